"""``copilot ingest|search|status|purge|remove``: the index of documents.

Results go to stdout, progress and errors to stderr; an ingest with failed files exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from copilot.cli.common import auth_parent, err, login, open_services, print_json
from copilot.errors import UserError
from copilot.retrieval import ALL_BODIES
from copilot.review.replacements import Replacing
from copilot.review.store import STORE_FILE, open_store
from copilot.schemas import Hit
from copilot.services import purge
from copilot.settings import Settings, load_settings
from ingest.permissions import widened
from ingest.pipeline import KINDS


@contextmanager
def _replacing(args: argparse.Namespace, settings: Settings) -> Iterator[Replacing]:
    """The terminal's rule for new content of a known document (``copilot.review.replacements``).

    The acting user (``--user`` or COPILOT_USER) logs in only when a file replaces a document.
    """
    if not (Path(settings.data_dir) / STORE_FILE).exists():  # no review store: no users yet
        yield Replacing.terminal(None, lambda: None)
        return
    named = args.user or os.environ.get("COPILOT_USER")
    with open_store(settings) as store:
        yield Replacing.terminal(store, (lambda: login(args, store)) if named else (lambda: None))


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest files and folders; new content for a known document is a new version, logged."""
    with open_services() as s, _replacing(args, s.settings) as replacing:
        report = s.ingest(
            [Path(p) for p in args.paths],
            kind=args.kind,
            contract=args.contract,
            title=args.title,
            prune=args.prune,
            notify=err,
            body=args.body,
            replacing=replacing,
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
        contract += f" 〔{h.body}〕" if h.body else ""
        page += "（抜粋）" if h.excerpt else ""  # the sentences of a long clause that matched
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
        body = search_body(args)
        if args.query:
            hits = s.search(args.query, args.top_k, args.kind, args.contract, body)
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
                body,
            )
            if args.json:
                out = {"id": item.get("id"), "hits": [h.model_dump() for h in hits]}
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                print(f"# {item.get('id')}: {query}\n{_hit_lines(hits)}\n", flush=True)
    return 0


def search_body(args: argparse.Namespace) -> str:
    """The body a search is held to: --body NAME, --all-bodies, or the audited body ("")."""
    if args.all_bodies:
        return ALL_BODIES
    return args.body or ""


def body_flags(p: argparse.ArgumentParser) -> None:
    """--body / --all-bodies: search another body's documents (a sample kept for comparison)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--body", help="another public body's documents only (see _団体.txt)")
    group.add_argument("--all-bodies", action="store_true", help="every body's documents")


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
    """List the documents in the index and the embedder, or the structure read from one."""
    if args.document:
        with open_services() as s:
            shown = s.structure(args.document)
        if args.json:
            print_json(shown.as_json())
        else:
            print("\n".join(shown.lines()))
        return 0
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
        body = f"  〔{d.body}〕" if d.body else ""
        version = f"  （第{d.version}版）" if d.version > 1 else ""
        print(
            f"  {d.kind:<10} {contract:<12} {d.clauses:>5}  {d.ingested_at}  {d.document}{body}"
            f"{version}"
        )
        for v in d.earlier:  # kept for the citations of approved drafts; never searched
            print(
                f"      前の版 第{v.version}版 {v.clauses:>5} 条項  {v.ingested_at} 取込・"
                f"{v.replaced_at} 差し替え  {v.document}"
            )
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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `ingest`, `search`, `status`, `purge` and `remove` to the CLI."""
    p = sub.add_parser(
        "ingest",
        help="文書を取り込む / ingest documents",
        parents=[auth_parent()],  # who replaced a changed document, for the review log
    )
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--contract", help="contract id (e.g. C-2026-001)")
    p.add_argument("--title", help="document title (one file only)")
    p.add_argument("--prune", action="store_true", help="remove documents whose file vanished")
    p.add_argument(
        "--body", help="the public body the documents belong to, when not the audited one"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="条項を検索する / search clauses")
    p.add_argument("query", nargs="?")
    p.add_argument("--batch", help="JSONL file of {id, query, filters}")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--contract")
    p.add_argument("--top-k", type=int, default=None)
    body_flags(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("status", help="索引の状態 / index status")
    p.add_argument(
        "--document",
        metavar="DOC_ID",
        help="この文書から読み取った構造を表示 / show the structure read from this document",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("purge", help="データをすべて消去 / erase all data")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("remove", help="文書を索引から外す / remove a document from the index")
    p.add_argument("doc_id", metavar="DOC_ID", help="document id (see `copilot status`)")
    p.set_defaults(func=cmd_remove)
