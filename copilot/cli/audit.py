"""``copilot ask|checklist|ledger|selfcheck|findings``: the audit tasks of ``copilot.audit``.

The drafting commands (``ask``, ``checklist run``, ``findings draft``) record their run and drafts
in the review store under the acting user, unless ``--no-save``; ``ask`` logs the question and
keeps its answer as a draft only with ``--draft``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from copilot.cli.common import (
    default_checklist,
    drafter_name,
    drafting_user,
    err,
    open_services,
    print_json,
    save,
    save_parent,
)
from copilot.cli.index import body_flags, search_body
from copilot.errors import UserError


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question from policy and guidelines (and a contract's or division's documents).

    The question is logged under the acting user; ``--draft`` also keeps the answer as a draft
    for review, as 「この回答を保存」 does in the browser.
    """
    from copilot.audit.ask import Focus, ask
    from copilot.drafting.answers import grouped
    from copilot.drafting.drafters import make_drafter
    from copilot.exports.styling import noted
    from copilot.review.recording import record_question, save_answer

    user = drafting_user(args)
    focus = Focus(contract=args.contract or "", division=args.division or "")
    with open_services() as s:
        answer = ask(
            s,
            args.question,
            make_drafter(drafter_name(args), s.settings),
            body=search_body(args),
            focus=focus,
        )
    record = save_answer if args.draft else record_question
    save(user, lambda store, u, s: record(store, u, s, answer))
    if args.json:
        print_json(answer.model_dump())
        return 0
    print(answer.text)
    for document, cites in grouped(answer.citations):
        print(f"■ {document}")
        for n, c in cites:
            page = f" p.{c.page}" if c.page else ""
            print(noted(f"  [{n}] {c.clause_path}{page}「{c.quote}」", c.note))
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


def cmd_checklist_profiles(args: argparse.Namespace) -> int:
    """List the requirement profiles (built-in and the data folder's), validating every one."""
    from copilot.drafting.profiles import load_profiles
    from copilot.settings import load_settings

    profiles = load_profiles(load_settings())  # a file that does not fit raises, named
    if args.json:
        print_json([p.model_dump() for p in profiles.values()])
        return 0
    for p in sorted(profiles.values(), key=lambda p: (p.items or ["~"], p.id)):
        print(f"{p.id} v{p.version}  {p.topic}  （{'・'.join(p.items) or '標準の設問なし'}）")
        for e in p.elements:
            need = "" if e.required else "（任意）"
            print(f"  - {e.label}{need}")
        print(f"    {p.source}")
    if args.check:
        print(f"{len(profiles)} 件のプロファイルはすべて形式に合っています。")
    return 0


def cmd_checklist_suggest(args: argparse.Namespace) -> int:
    """What the lead's corrected sign-offs suggest for the profiles, written for review."""
    from dataclasses import asdict

    from copilot.audit.profile_learning import suggest, write_suggestions
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    settings = load_settings()
    with open_store(settings) as store:
        found = suggest(settings, store)
    written = write_suggestions(settings, found)
    if args.json:
        print_json({"suggestions": [asdict(s) for s in found], "files": [str(p) for p in written]})
        return 0
    if not found:
        print("判定を直して承認された、要件プロファイルによる判定はありません（提案なし）。")
        return 0
    kinds = {
        "look_alike": "紛らわしい文（rejects・exclude の候補）",
        "expression": "新しい言い回し",
    }
    for s in found:
        print(
            f"■ {s.profile} / {s.label}: {kinds[s.kind]}（下書き {s.draft}、{s.signed_by} が承認）"
        )
        print(f"  「{s.sentence}」")
        if s.words:
            print(f"  語の候補: {'、'.join(s.words)}")
    for path in written:
        print(f"提案を書き出しました（確かめてからプロファイルに写してください）: {path}")
    return 0


def cmd_checklist_run(args: argparse.Namespace) -> int:
    """Judge every checklist item against one contract's documents."""
    from copilot.audit.checklist_run import run_checklist
    from copilot.audit.checklists import import_checklist
    from copilot.drafting.drafters import make_drafter
    from copilot.exports.styling import noted
    from copilot.review.checklist_runs import KeptRun, save_checklist_run

    source = Path(args.checklist)
    checklist = import_checklist(source)
    user = drafting_user(args)
    with open_services() as s:
        drafter = make_drafter(drafter_name(args), s.settings)
        run = run_checklist(
            s,
            checklist,
            args.contract,
            drafter,
            notify=lambda n, total, item: err(f"[{n}/{total}] {item} を判定中"),
        )
    kept: list[KeptRun] = []  # one draft per item: a re-run adds versions (as the UI's run)

    def record(store, u, s) -> int:  # type: ignore[no-untyped-def]
        kept.append(save_checklist_run(store, u, s, run, source))
        return kept[0].run_id

    save(user, record)
    if kept:
        err(kept[0].message())
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
            print(noted(f"      根拠: {c.document} {c.clause_path}「{c.quote}」", c.note))
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    """Check a contract's entry in the ledger of external services."""
    from copilot.audit.ledger import check_ledger
    from copilot.exports.styling import noted

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
                print(noted(f"      根拠: {e.document} {e.clause_path}「{e.quote}」", e.note))
    return 0


def cmd_selfcheck_triage(args: argparse.Namespace) -> int:
    """Rank divisions by the risk their self-check answers show."""
    from copilot.audit.selfcheck import triage
    from copilot.exports.styling import noted

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
                b = r.basis
                print(noted(f"       根拠: {b.document} {b.clause_path}「{b.quote}」", b.note))
            print(f"       資料依頼: {'、'.join(r.documents)}")
            print(f"       ヒアリング: {r.hearing}")
    return 0


def cmd_findings_draft(args: argparse.Namespace) -> int:
    """Draft findings from a contract's checklist judgements or from self-check sheets.

    From sheets, a division that answered a hearing by e-mail has its replies cited too.
    """
    from copilot.audit.checklist_run import run_checklist
    from copilot.audit.checklists import import_checklist
    from copilot.audit.findings import from_checklist, from_selfcheck
    from copilot.audit.selfcheck import triage
    from copilot.drafting.drafters import make_drafter
    from copilot.exports.styling import noted
    from copilot.review.recording import hearing_logs, save_findings
    from copilot.review.store import STORE_FILE, open_store

    if bool(args.contract) == bool(args.selfcheck):
        raise UserError(
            "--contract ID か --selfcheck FILE.xlsx のどちらか一方を指定してください。",
            "give either --contract ID or --selfcheck FILE.xlsx.",
        )
    user = drafting_user(args)
    with open_services() as s:
        drafter = make_drafter(drafter_name(args), s.settings)
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
            result = triage(s, [Path(p) for p in args.selfcheck])
            logs = {}
            if (s.settings.data_dir / STORE_FILE).exists():  # never made just to read it
                with open_store(s.settings) as store:
                    logs = hearing_logs(store, [d.division for d in result.divisions])
            if logs:
                err(f"ヒアリング（書面）の回答を根拠に加えます: {'、'.join(logs)}")
            drafts = from_selfcheck(s, result, drafter, logs)
    save(user, lambda store, u, s: save_findings(store, u, s, drafts))
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
                print(noted(f"     判断基準: {c.document} {c.clause_path}「{c.quote}」", c.note))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `ask`, `checklist`, `ledger`, `selfcheck` and `findings` to the CLI."""
    p = sub.add_parser(
        "ask", help="規程について質問する / ask about the policy", parents=[save_parent()]
    )
    p.add_argument("question")
    p.add_argument("--drafter", choices=["evidence", "llm"])
    focus = p.add_mutually_exclusive_group()
    focus.add_argument("--contract", help="ask about this contract's documents too")
    focus.add_argument("--division", help="ask about this division's self-check and replies too")
    p.add_argument(
        "--draft", action="store_true", help="keep the answer as a draft for review (承認・履歴)"
    )
    body_flags(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("checklist", help="チェックリスト / external-service checklist")
    checklist_sub = p.add_subparsers(dest="checklist_command", required=True)
    c = checklist_sub.add_parser("import", help="チェックリストを読み込む / read a checklist")
    c.add_argument("file")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_checklist_import)
    c = checklist_sub.add_parser(
        "profiles", help="設問の要件プロファイル / requirement profiles of the items"
    )
    c.add_argument("--check", action="store_true", help="validate every profile")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_checklist_profiles)
    c = checklist_sub.add_parser(
        "suggest", help="署名からのプロファイルの提案 / profile suggestions from sign-off"
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_checklist_suggest)
    c = checklist_sub.add_parser(
        "run", help="契約書類を審査する / judge a contract", parents=[save_parent()]
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
        "draft", help="発見事項を下書きする / draft findings", parents=[save_parent()]
    )
    c.add_argument("--contract")
    c.add_argument("--checklist", help="checklist .xlsx (default: the ingested checklist)")
    c.add_argument("--division", help="division the contract's findings go to")
    c.add_argument("--selfcheck", nargs="+", help="self-check .xlsx files")
    c.add_argument("--drafter", choices=["evidence", "llm"])
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_findings_draft)
