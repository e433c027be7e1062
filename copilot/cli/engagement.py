"""``copilot plan`` and ``copilot report final``: the engagement's own documents.

``plan`` reads the engagement file and writes the work plan (作業計画書.docx) and the WBS schedule
(WBS.xlsx); ``report final`` compiles the final report (事業報告書) from the signed-off drafts of
the review store.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.settings import load_settings

if TYPE_CHECKING:
    from copilot.audit.selfcheck import Triage

PLAN_DOCX = "作業計画書.docx"
WBS_XLSX = "WBS.xlsx"


def cmd_plan(args: argparse.Namespace) -> int:
    """The WBS of the engagement: printed, as JSON, or written as Word and Excel."""
    from copilot.cli.common import print_json
    from copilot.engagement.file import load_engagement
    from copilot.engagement.workplan import build_workplan
    from copilot.exports.workplan import export_wbs, export_workplan

    plan = build_workplan(load_engagement(Path(args.engagement)), args.engagement)
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


def _triage(selfcheck: list[str] | None) -> tuple[Triage | None, str]:
    """The self-check triage over the given (else the ingested) sheets, or why there is none."""
    from copilot.cli.common import open_services
    from copilot.engagement.final_report import approach_triage

    with open_services() as s:
        return approach_triage(s, [Path(p) for p in selfcheck or ()])


def cmd_report_final(args: argparse.Namespace) -> int:
    """The final report (事業報告書) from the signed-off drafts."""
    from copilot.engagement.file import load_engagement
    from copilot.engagement.final_report import compile_final_report
    from copilot.engagement.workplan import build_workplan
    from copilot.exports.final_report import export_final_report
    from copilot.review.store import open_store

    plan = build_workplan(load_engagement(Path(args.engagement)), args.engagement)
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
    p = sub.add_parser("plan", help="作業計画書・WBS / work plan and WBS schedule")
    p.add_argument("--engagement", required=True, help="the engagement file (TOML)")
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
