"""``copilot plan`` and ``copilot report final``: the engagement's own documents.

``plan`` reads the engagement file and writes the work plan (作業計画書.docx) and the WBS schedule
(WBS.xlsx); ``plan --due`` lists the deadlines with the overdue ones marked, and
``plan --done WBS`` records a deliverable done (``copilot.engagement.deadlines``); ``report final``
compiles the final report (事業報告書) from the signed-off drafts of the review store.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.settings import load_settings

if TYPE_CHECKING:
    from copilot.audit.selfcheck import Triage
    from copilot.schemas import Workplan

PLAN_DOCX = "作業計画書.docx"
WBS_XLSX = "WBS.xlsx"


def cmd_plan(args: argparse.Namespace) -> int:
    """The WBS of the engagement: printed, as JSON, or written as Word and Excel."""
    from copilot.cli.common import engagement_of, print_json
    from copilot.engagement.workplan import build_workplan
    from copilot.exports.workplan import export_wbs, export_workplan

    plan = build_workplan(engagement_of(args), args.engagement)
    if args.due or args.done:
        return _deadlines(args, plan)
    if args.out_dir:
        out = Path(args.out_dir)
        print(export_workplan(plan, out / PLAN_DOCX))
        print(export_wbs(plan, out / WBS_XLSX))
    elif args.json:
        print_json(plan.model_dump(mode="json"))
    else:
        for i in plan.items:
            when = f"{i.start}" if i.start == i.end else f"{i.start}～{i.end}"
            after = f"（先行 {'、'.join(i.depends)}）" if i.depends else ""
            print(f"{i.id:<6} {when:<22} {i.owner}　{i.name}{after}")
    return 0


def _deadlines(args: argparse.Namespace, plan: Workplan) -> int:
    """``plan --due`` and ``plan --done``."""
    from copilot.cli.common import login, print_json
    from copilot.engagement.deadlines import deadlines, parse_day, record_done
    from copilot.review.store import open_store

    with open_store(load_settings()) as store:
        if args.done:
            d = record_done(
                plan, store, login(args, store), args.done, parse_day(args.on, "完了日")
            )
            print(f"{d.wbs} {d.what} を {d.done_on} に完了として記録しました。")
            return 0
        rows = deadlines(plan, store)
    today = parse_day(args.today, "基準日")
    if args.json:
        print_json(
            [
                {
                    "wbs": d.wbs,
                    "what": d.what,
                    "division": d.division,
                    "due": d.due.isoformat(),
                    "state": d.state(today),
                    "done_on": d.done_on.isoformat() if d.done_on else None,
                    "done_by": d.done_by,
                }
                for d in rows
            ]
        )
        return 0
    late = sum(d.state(today) == "期限超過" for d in rows)
    print(f"{today} 現在の期限（{len(rows)} 件、うち期限超過 {late} 件）")
    for d in rows:
        state = d.state(today)
        mark = f"【{state}】" if state in ("期限超過", "本日期限") else state
        done = f"（{d.done_on} 完了、{d.done_by}）" if d.done_on else ""
        print(f"{d.due}  {mark:<8} {d.wbs:<6} {d.what}{done}")
    return 0


def _triage(selfcheck: list[str] | None) -> tuple[Triage | None, str]:
    """The self-check triage over the given (else the ingested) sheets, or why there is none."""
    from copilot.cli.common import open_services
    from copilot.engagement.final_report import approach_triage

    with open_services() as s:
        return approach_triage(s, [Path(p) for p in selfcheck or ()])


def cmd_report_final(args: argparse.Namespace) -> int:
    """The final report (事業報告書) from the signed-off drafts."""
    from copilot.cli.common import engagement_of
    from copilot.engagement.final_report import compile_final_report
    from copilot.engagement.workplan import build_workplan
    from copilot.exports.final_report import export_final_report
    from copilot.review.store import open_store

    plan = build_workplan(engagement_of(args), args.engagement)
    result, note = _triage(args.selfcheck)
    with open_store(load_settings()) as store:
        report = compile_final_report(
            store,
            plan,
            triage=result,
            include_drafts=args.include_drafts,
            triage_note=note,
        )
    print(export_final_report(report, Path(args.out)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``copilot plan`` and ``copilot report final``."""
    from copilot.cli.common import auth_parent

    p = sub.add_parser(
        "plan", parents=[auth_parent()], help="作業計画書・WBS・期限 / work plan, WBS, deadlines"
    )
    p.add_argument("--engagement", required=True, help="the engagement file (TOML)")
    p.add_argument("--due", action="store_true", help="list the deadlines, overdue ones marked")
    p.add_argument("--today", help="with --due: the day to judge against (default: today)")
    p.add_argument("--done", metavar="WBS", help="record a deliverable (minutes …) as done")
    p.add_argument("--on", help="with --done: the day it was done (default: today)")
    p.add_argument("--out-dir", help=f"write {PLAN_DOCX} and {WBS_XLSX} here")
    p.add_argument("--json", action="store_true", help="print the work items as JSON")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("report", help="報告書 / reports")
    rsub = p.add_subparsers(dest="report_command", required=True)
    c = rsub.add_parser("final", help="事業報告書 (Word) / final report")
    c.add_argument("--engagement", required=True, help="the engagement file (TOML)")
    c.add_argument("--out", required=True, help="the .docx to write")
    c.add_argument(
        "--include-drafts", action="store_true", help="include unsigned drafts, marked 【下書き】"
    )
    c.add_argument("--selfcheck", nargs="+", help="self-check sheets (default: the ingested ones)")
    c.set_defaults(func=cmd_report_final)
