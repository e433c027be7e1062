"""The command line: `copilot <command>`, a thin face over ``copilot.services``.

Results go to stdout, progress and errors to stderr. A user error prints one Japanese and one
English line and exits 2; an ingest with failed files exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path

from copilot import __version__
from copilot.cli import engagement as cli_engagement
from copilot.cli import export as cli_export
from copilot.cli import policy as cli_policy
from copilot.cli import review as cli_review
from copilot.errors import UserError
from copilot.review.users import User
from copilot.schemas import Hit
from copilot.services import Services, build_services, purge
from copilot.settings import load_settings
from ingest.permissions import OWNER_ONLY_UMASK, widened
from ingest.pipeline import KINDS


@contextmanager
def open_services() -> Iterator[Services]:
    """Services from the current settings, closed afterwards."""
    services = build_services(load_settings())
    try:
        yield services
    finally:
        services.close()


def err(message: str) -> None:
    """A diagnostic line on stderr."""
    print(message, file=sys.stderr, flush=True)


def print_json(obj: object) -> None:
    """JSON on stdout, Japanese kept readable."""
    print(json.dumps(obj, ensure_ascii=False, indent=2))


# --- commands --------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest files and folders."""
    with open_services() as s:
        report = s.ingest(
            [Path(p) for p in args.paths],
            kind=args.kind,
            contract=args.contract,
            title=args.title,
            prune=args.prune,
            notify=err,
        )
    for r in report.failed:
        err(f"失敗: {r.error_ja}\nfailed: {r.error_en}")
    err(
        f"完了: 追加 {report.count('added')} / 更新 {report.count('updated')} / "
        f"変更なし {report.count('unchanged')} / 削除 {report.count('removed')} / "
        f"失敗 {report.count('failed')}"
    )
    if args.json:
        print_json([r.__dict__ for r in report.results])
    return 1 if report.failed else 0


def _hit_lines(hits: list[Hit]) -> str:
    lines = []
    for h in hits:
        page = f" p.{h.page}" if h.page else ""
        contract = f" [{h.contract}]" if h.contract else ""
        lines.append(
            f"{h.rank}. {h.document_title}{contract} {h.clause_path}{page} ({h.score:.4f})"
        )
        lines.append("   " + h.text.replace("\n", " ")[:200])
    return "\n".join(lines)


def cmd_search(args: argparse.Namespace) -> int:
    """Search clauses, one query or a JSONL batch."""
    if bool(args.query) == bool(args.batch):
        raise UserError(
            "検索語か --batch FILE.jsonl のどちらか一方を指定してください。",
            "give either a query or --batch FILE.jsonl, not both.",
        )
    with open_services() as s:
        if args.query:
            hits = s.search(args.query, args.top_k, args.kind, args.contract)
            if args.json:
                print_json({"query": args.query, "hits": [h.model_dump() for h in hits]})
            else:
                print(_hit_lines(hits) or "該当する条項はありません。")
            return 0
        for number, line in enumerate(_read_lines(Path(args.batch)), start=1):
            try:
                item = json.loads(line)
                query = item["query"]
                flt = item.get("filters") or {}
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise UserError(
                    f"{args.batch} の {number} 行目が読めません"
                    '（{"id", "query"} の JSON が必要）。',
                    f"line {number} of {args.batch} is not a JSON object with id and query.",
                ) from exc
            hits = s.search(
                query,
                item.get("top_k") or args.top_k,
                flt.get("kind") or args.kind,
                flt.get("contract") or args.contract,
            )
            if args.json:
                out = {"id": item.get("id"), "hits": [h.model_dump() for h in hits]}
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                print(f"# {item.get('id')}: {query}\n{_hit_lines(hits)}\n", flush=True)
    return 0


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise UserError(f"{path} が見つかりません。", f"{path} does not exist.")
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _warn_widened(data_dir: Path) -> None:
    """Warn on stderr when others may read the data folder or anything in it."""
    open_to_others = widened(data_dir)
    if not open_to_others:
        return
    shown = ", ".join(str(p) for p in open_to_others[:3])
    more = f" …（ほか {len(open_to_others) - 3} 件）" if len(open_to_others) > 3 else ""
    err(
        f"警告: データフォルダに所有者以外も読み書きできるものがあります（{shown}{more}）。"
        f"契約書の本文が読まれるおそれがあります。`chmod -R go-rwx {data_dir}` を実行してください。"
        f"\nWarning: other users can read {len(open_to_others)} item(s) in the data folder "
        f"({shown}); run `chmod -R go-rwx {data_dir}`."
    )


def cmd_status(args: argparse.Namespace) -> int:
    """List the documents in the index and the embedder."""
    with open_services() as s:
        status = s.status()
    _warn_widened(Path(status.data_dir))
    if args.json:
        print_json(status.model_dump())
        return 0
    print(f"データフォルダ: {status.data_dir}")
    fp = status.embedder
    print(
        "埋め込みモデル: "
        + (f"{fp['name']} (dim {fp['dim']}, weights {fp['weights']})" if fp else "（未作成）")
    )
    print(f"文書 {len(status.documents)} 件 / 条項 {status.clauses} 件")
    for d in status.documents:
        contract = d.contract or "-"
        print(f"  {d.kind:<10} {contract:<12} {d.clauses:>5}  {d.ingested_at}  {d.document}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Erase the data folder."""
    settings = load_settings()
    if not args.yes:
        raise UserError(
            f"{settings.data_dir} をすべて消去します。確認のため --yes を付けてください。",
            f"this erases {settings.data_dir}; add --yes to confirm.",
        )
    removed = purge(settings)
    for p in removed:
        err(f"消去: {p}")
    err(f"データフォルダ {settings.data_dir} を消去しました（{len(removed)} 項目）。")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Take a document out of the index (the file stays where it is)."""
    with open_services() as s:
        doc = s.remove(args.doc_id)
    err(f"索引から外しました: {doc.document}（{doc.clauses} 条項）。ファイルは残っています。")
    return 0


def _drafting_user(args: argparse.Namespace) -> User | None:
    """The authenticated user a drafting run is recorded under; None only with --no-save.

    Checked before the work starts, so a missing user or a wrong password costs nothing.

    Raises:
        UserError: no acting user named (and no --no-save), or authentication failed.

    """
    if args.no_save:
        return None
    if not (args.user or os.environ.get("COPILOT_USER")):
        raise UserError(
            "下書きは審査記録に保存します。担当者を --user NAME（または COPILOT_USER）で指定して"
            "ください。保存しない試行なら --no-save を付けてください。",
            "drafts are recorded for review: name the user with --user NAME (or COPILOT_USER), "
            "or add --no-save for a trial run that is not recorded.",
        )
    from copilot.review.store import open_store

    with open_store(load_settings()) as store:
        return cli_review.login(args, store)


def _save(user: User | None, save: Callable[..., int]) -> None:
    """Keep the run and its drafts in the review store (nothing with --no-save)."""
    if user is None:
        err("注意: --no-save のため審査記録に保存していません。/ note: not recorded (--no-save).")
        return
    from copilot.review.store import open_store

    with open_store(load_settings()) as store, open_services() as s:
        run_id = save(store, user, s)
    err(f"審査記録に保存しました（実行 #{run_id}）。`copilot review list` で確認できます。")


def _drafter_name(args: argparse.Namespace) -> str:
    settings = load_settings()
    return args.drafter or ("llm" if settings.llm_base_url else "evidence")


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question from policy and guidelines, with citations."""
    from copilot.audit.ask import ask
    from copilot.drafting.registry import make_drafter
    from copilot.review.recording import save_answer

    user = _drafting_user(args)
    with open_services() as s:
        answer = ask(s, args.question, make_drafter(_drafter_name(args), s.settings))
    _save(user, lambda store, u, s: save_answer(store, u, s, answer))
    if args.json:
        print_json(answer.model_dump())
        return 0
    print(answer.text)
    for n, c in enumerate(answer.citations, start=1):
        page = f" p.{c.page}" if c.page else ""
        print(f"  [{n}] {c.document} {c.clause_path}{page}「{c.quote}」")
    return 0


def cmd_checklist_import(args: argparse.Namespace) -> int:
    """Read a checklist workbook and list its items."""
    from copilot.audit.checklists import import_checklist

    checklist = import_checklist(Path(args.file))
    if args.json:
        print_json(checklist.model_dump())
        return 0
    print(f"{checklist.title}（{len(checklist.items)} 項目）")
    group = None
    for item in checklist.items:
        if item.group != group:
            group = item.group
            print(f"■ {group}")
        print(f"  {item.id}  {item.text}")
    return 0


def cmd_checklist_run(args: argparse.Namespace) -> int:
    """Judge every checklist item against one contract's documents."""
    from copilot.audit.checklist_run import run_checklist
    from copilot.audit.checklists import import_checklist
    from copilot.drafting.registry import make_drafter
    from copilot.review.recording import save_checklist_run

    source = Path(args.checklist)
    checklist = import_checklist(source)
    user = _drafting_user(args)
    with open_services() as s:
        drafter = make_drafter(_drafter_name(args), s.settings)
        run = run_checklist(
            s,
            checklist,
            args.contract,
            drafter,
            notify=lambda n, total, item: err(f"[{n}/{total}] {item} を判定中"),
        )
    _save(user, lambda store, u, s: save_checklist_run(store, u, s, run, source))
    if args.json:
        print_json(
            {
                "contract": run.contract,
                "checklist": run.checklist,
                "judgements": [
                    {"item": j.item, **j.model_dump(exclude={"item", "contract"})}
                    for j in run.judgements
                ],
            }
        )
        return 0
    for j in run.judgements:
        print(f"{j.item}  {j.verdict}（{j.answer}）  {j.rationale}")
        for c in j.evidence:
            print(f"      根拠: {c.document} {c.clause_path}「{c.quote}」")
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    """Check a contract's entry in the ledger of external services."""
    from copilot.audit.ledger import check_ledger

    with open_services() as s:
        result = check_ledger(s, Path(args.ledger), args.contract)
    if args.json:
        print_json(result.model_dump())
        return 0
    print(result.note)
    for row in result.rows:
        print(f"■ {row.number} {row.service}（{row.division}）")
        for f in row.fields:
            print(f"  {f.item}: 台帳「{f.ledger_value}」→ {f.status}　{f.note}")
            if f.evidence:
                e = f.evidence
                print(f"      根拠: {e.document} {e.clause_path}「{e.quote}」")
    return 0


def cmd_selfcheck_triage(args: argparse.Namespace) -> int:
    """Rank divisions by the risk their self-check answers show."""
    from copilot.audit.selfcheck import triage

    with open_services() as s:
        result = triage(s, [Path(p) for p in args.files])
    if args.json:
        print_json(result.model_dump())
        return 0
    for d in result.divisions:
        print(f"{d.rank}. {d.division}　リスク点 {d.score}（いいえ {d.no_count}）　{d.explanation}")
        for r in d.reasons:
            print(f"   - No.{r.id} {r.question}")
            if r.basis:
                print(f"       根拠: {r.basis.document} {r.basis.clause_path}「{r.basis.quote}」")
            print(f"       資料依頼: {'、'.join(r.documents)}")
            print(f"       ヒアリング: {r.hearing}")
    return 0


def default_checklist(s: Services) -> Path:
    """The source file of the ingested checklist.

    Raises:
        UserError: no checklist is ingested.

    """
    for doc in s.index.documents():
        if doc.kind == "checklist" and Path(doc.source).is_file():
            return Path(doc.source)
    raise UserError(
        "チェックリストが取り込まれていません。--checklist FILE.xlsx で指定してください。",
        "no checklist is ingested; give one with --checklist FILE.xlsx.",
    )


def cmd_findings_draft(args: argparse.Namespace) -> int:
    """Draft findings from a contract's checklist judgements or from self-check sheets."""
    from copilot.audit.checklist_run import run_checklist
    from copilot.audit.checklists import import_checklist
    from copilot.audit.findings import from_checklist, from_selfcheck
    from copilot.audit.selfcheck import triage
    from copilot.drafting.registry import make_drafter
    from copilot.review.recording import save_findings

    if bool(args.contract) == bool(args.selfcheck):
        raise UserError(
            "--contract ID か --selfcheck FILE.xlsx のどちらか一方を指定してください。",
            "give either --contract ID or --selfcheck FILE.xlsx.",
        )
    user = _drafting_user(args)
    with open_services() as s:
        drafter = make_drafter(_drafter_name(args), s.settings)
        if args.contract:
            checklist = import_checklist(
                Path(args.checklist) if args.checklist else default_checklist(s)
            )
            run = run_checklist(
                s,
                checklist,
                args.contract,
                drafter,
                notify=lambda n, total, item: err(f"[{n}/{total}] {item} を判定中"),
            )
            items = {i.id: i for i in checklist.items}
            drafts = [from_checklist(s, run, drafter, args.division or "", items)]
        else:
            drafts = from_selfcheck(s, triage(s, [Path(p) for p in args.selfcheck]), drafter)
    _save(user, lambda store, u, s: save_findings(store, u, s, drafts))
    if args.json:
        print_json([d.model_dump() for d in drafts])
        return 0
    for d in drafts:
        print(f"■ {d.division}（{d.source}）　{len(d.findings)} 件")
        for n, f in enumerate(d.findings, start=1):
            print(f"  {n}. [{f.rating}] {f.title}")
            print(f"     発見事項: {f.finding}")
            print(f"     想定されるリスク: {f.risk}")
            print(f"     改善提言: {f.recommendation}")
            for c in f.criteria:
                print(f"     判断基準: {c.document} {c.clause_path}「{c.quote}」")
    return 0


# --- parser ----------------------------------------------------------------------------------


def _save_parent() -> argparse.ArgumentParser:
    parent = cli_review.auth_parent()
    parent.add_argument(
        "--no-save", action="store_true", help="a trial run: do not record it for review"
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, including commands that other packages register."""
    parser = argparse.ArgumentParser(
        prog="copilot", description="監査コパイロット / audit copilot (on-premises)"
    )
    parser.add_argument("--version", action="version", version=f"copilot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="文書を取り込む / ingest documents")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--contract", help="contract id (e.g. C-2026-001)")
    p.add_argument("--title", help="document title (one file only)")
    p.add_argument("--prune", action="store_true", help="remove documents whose file vanished")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="条項を検索する / search clauses")
    p.add_argument("query", nargs="?")
    p.add_argument("--batch", help="JSONL file of {id, query, filters}")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--contract")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("status", help="索引の状態 / index status")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("purge", help="データをすべて消去 / erase all data")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("remove", help="文書を索引から外す / remove a document from the index")
    p.add_argument("doc_id", metavar="DOC_ID", help="document id (see `copilot status`)")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser(
        "ask", help="規程について質問する / ask about the policy", parents=[_save_parent()]
    )
    p.add_argument("question")
    p.add_argument("--drafter", choices=["evidence", "llm"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("checklist", help="チェックリスト / external-service checklist")
    checklist_sub = p.add_subparsers(dest="checklist_command", required=True)
    c = checklist_sub.add_parser("import", help="チェックリストを読み込む / read a checklist")
    c.add_argument("file")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_checklist_import)
    c = checklist_sub.add_parser(
        "run", help="契約書類を審査する / judge a contract", parents=[_save_parent()]
    )
    c.add_argument("--checklist", required=True)
    c.add_argument("--contract", required=True)
    c.add_argument("--drafter", choices=["evidence", "llm"])
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_checklist_run)

    p = sub.add_parser("ledger", help="台帳照合 / ledger of external services")
    ledger_sub = p.add_subparsers(dest="ledger_command", required=True)
    c = ledger_sub.add_parser("check", help="契約と台帳を照合する / check a contract's entry")
    c.add_argument("--ledger", required=True)
    c.add_argument("--contract", required=True)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_ledger_check)

    p = sub.add_parser("selfcheck", help="自己点検 / self-check sheets")
    sc_sub = p.add_subparsers(dest="selfcheck_command", required=True)
    c = sc_sub.add_parser("triage", help="リスク順に並べる / rank divisions by risk")
    c.add_argument("files", nargs="+")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_selfcheck_triage)

    p = sub.add_parser("findings", help="発見事項 / findings")
    f_sub = p.add_subparsers(dest="findings_command", required=True)
    c = f_sub.add_parser(
        "draft", help="発見事項を下書きする / draft findings", parents=[_save_parent()]
    )
    c.add_argument("--contract")
    c.add_argument("--checklist", help="checklist .xlsx (default: the ingested checklist)")
    c.add_argument("--division", help="division the contract's findings go to")
    c.add_argument("--selfcheck", nargs="+", help="self-check .xlsx files")
    c.add_argument("--drafter", choices=["evidence", "llm"])
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_findings_draft)

    cli_review.register(sub)
    cli_export.register(sub)
    cli_engagement.register(sub)
    cli_policy.register(sub)
    for ep in sorted(entry_points(group="copilot.commands"), key=lambda e: e.name):
        register: Callable[[argparse._SubParsersAction], None] = ep.load()  # type: ignore[type-arg]
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    # the data folder holds contracts' text: every file a command (or a library it calls, such
    # as Chroma) creates is the owner's alone; restored after, for callers such as the tests
    umask = os.umask(OWNER_ONLY_UMASK)
    try:
        return int(args.func(args))
    except UserError as exc:
        err(f"エラー: {exc.ja}\nError: {exc.en}")
        return 2
    except KeyboardInterrupt:
        err("中断しました / interrupted")
        return 130
    finally:
        os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())
