"""`copilot export ...` and `copilot export-all`: Word, Excel and PowerPoint from signed-off drafts.

Only signed-off drafts go into a file unless ``--include-drafts`` is given, in which case the
unsigned parts are marked 【下書き】. ``export-all`` writes everything the city owns as one zip
archive with a manifest of sha256s, before ``copilot purge --yes`` erases the data folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.errors import UserError
from copilot.filenames import inside, safe_name
from copilot.settings import load_settings

if TYPE_CHECKING:
    from copilot.audit.ledger import LedgerCheck
    from copilot.engagement.final_report import FinalReport


def cmd_notice(args: argparse.Namespace) -> int:
    """The audit-result notice draft of one division, headed from the engagement file."""
    from copilot.cli.common import engagement_of, open_services
    from copilot.exports.notice import export_notice, letterhead
    from copilot.review.recording import reviewed_findings
    from copilot.review.store import open_store

    head = letterhead(engagement_of(args) if args.engagement else None, args.division)
    with open_store(load_settings()) as store:
        findings = reviewed_findings(store, args.division.strip())
    if not findings and not args.engagement:
        raise UserError(
            f"{args.division} の発見事項がありません。課の名前を確かめてください。監査対象課で"
            "指摘すべき事項がない場合は、--engagement に作業計画の設定ファイルを指定すると、"
            "その旨の通知案を作成します。",
            f"no findings for {args.division}; check the name, or give --engagement to write "
            "a notice saying that nothing was found in an audited division.",
        )
    with open_services() as services:
        titles = {d.doc_id: d.title for d in services.index.documents()}
    out = export_notice(args.division, findings, Path(args.out), head, args.include_drafts, titles)
    print(out)
    return 0


def cmd_checklist(args: argparse.Namespace) -> int:
    """The checklist result of one contract, in the checklist's own workbook."""
    from copilot.cli.common import default_checklist, open_services
    from copilot.exports.checklist import export_checklist
    from copilot.review.recording import reviewed_judgements
    from copilot.review.store import open_store

    with open_services() as services:
        source = Path(args.checklist) if args.checklist else default_checklist(services)
    with open_store(load_settings()) as store:
        judgements = reviewed_judgements(store, args.contract)
    if not judgements:
        raise UserError(
            f"契約 {args.contract} の判定がありません。先に `copilot checklist run --user …` を"
            "実行してください。",
            f"no judgements for {args.contract}; run `copilot checklist run --user …` first.",
        )
    out = export_checklist(source, args.contract, judgements, Path(args.out), args.include_drafts)
    print(out)
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    """The ledger check of one contract as Excel."""
    from copilot.audit.ledger import check_ledger
    from copilot.cli.common import open_services
    from copilot.exports.ledger import export_ledger_check

    with open_services() as services:
        check = check_ledger(services, Path(args.ledger), args.contract)
    print(export_ledger_check(check, Path(args.out)))
    return 0


def cmd_approach(args: argparse.Namespace) -> int:
    """The audit approach document from the self-check triage."""
    from copilot.audit.selfcheck import triage
    from copilot.cli.common import open_services
    from copilot.exports.approach import export_approach

    with open_services() as services:
        result = triage(services, [Path(p) for p in args.selfcheck])
    schedule = [(d.division, "（日程調整中）") for d in result.divisions[: args.divisions]]
    print(export_approach(result, args.period, schedule, Path(args.out)))
    return 0


def cmd_hearing(args: argparse.Namespace) -> int:
    """Hearing-minutes and on-site summary templates for one division."""
    from copilot.audit.selfcheck import triage
    from copilot.cli.common import open_services
    from copilot.exports.hearing import export_hearing_minutes, export_onsite_summary

    with open_services() as services:
        result = triage(services, [Path(args.selfcheck)])
    division = result.divisions[0]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name, reasons = division.division, division.reasons
    print(export_hearing_minutes(name, reasons, out / "ヒアリング議事録.docx"))
    print(export_onsite_summary(name, reasons, out / "現地監査結果概要.docx"))
    return 0


def cmd_onsite(args: argparse.Namespace) -> int:
    """The on-site check's time table (Word), one per visit, for the city to confirm."""
    from copilot.cli.common import engagement_of, open_services
    from copilot.engagement.final_report import approach_triage
    from copilot.engagement.onsite import checks_for, visit, visits
    from copilot.engagement.workplan import build_workplan
    from copilot.exports.onsite import export_onsite_timetable
    from copilot.exports.styling import check_suffix

    plan = build_workplan(engagement_of(args), args.engagement)
    chosen = [visit(plan, args.division)] if args.division else visits(plan)
    if args.out:
        check_suffix(Path(args.out), ".docx")
    if bool(args.out) == bool(args.out_dir) or (args.out and len(chosen) > 1):
        raise UserError(
            "--division と --out で1課分を、又は --out-dir で現地監査の全課分を書き出します。",
            "give --division with --out for one visit, or --out-dir for every visit.",
        )
    with open_services() as services:
        result, _ = approach_triage(services, [Path(p) for p in args.selfcheck or ()])
    for v in chosen:
        out = (
            Path(args.out)
            if args.out
            else inside(Path(args.out_dir), f"現地監査タイムテーブル_{safe_name(v.division)}.docx")
        )
        print(export_onsite_timetable(plan, v.division, checks_for(result, v.division), out))
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    """A briefing deck (PowerPoint): the plan, the results (of one division) or the final report."""
    from copilot.cli.common import engagement_of
    from copilot.engagement.final_report import compile_final_report
    from copilot.engagement.workplan import build_workplan
    from copilot.exports.briefing import check_briefing, export_briefing
    from copilot.exports.styling import check_suffix
    from copilot.review.store import open_store

    check_briefing(args.briefing, args.division)
    out = Path(args.out)
    check_suffix(out, ".pptx")
    plan = build_workplan(engagement_of(args), args.engagement)
    report = None
    if args.briefing != "plan":
        with open_store(load_settings()) as store:
            report = compile_final_report(store, plan, include_drafts=args.include_drafts)
    ledger = _ledger_checks(Path(args.ledger), report) if args.ledger and report else None
    print(export_briefing(args.briefing, plan, report, out, args.division, ledger))
    return 0


def _ledger_checks(ledger: Path, report: FinalReport) -> list[LedgerCheck]:
    """The ledger check of every contract the results deck shows."""
    from copilot.audit.ledger import check_ledger
    from copilot.cli.common import open_services

    with open_services() as services:
        return [check_ledger(services, ledger, c.contract) for c in report.contracts]


def _unused(folder: Path, prefix: str, name: str, suffix: str) -> Path:
    """A new file in ``folder`` named from stored data (a division, a contract id), cleaned.

    Numbered ``_2``, ``_3`` … where two names were cleaned alike; a name with nothing usable in
    it is written as 名称なし, so that one odd name does not stop the whole export.
    """
    try:
        stem = prefix + safe_name(name)
    except UserError:
        stem = prefix + "名称なし"
    path, n = inside(folder, stem + suffix), 1
    while path.exists():
        n += 1
        path = inside(folder, f"{stem}_{n}{suffix}")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_all(folder: Path) -> Path:
    """Write everything the city owns into one zip archive with a sha256 manifest.

    Raises:
        UserError: the folder lies inside the data folder that purge would erase.

    """
    from copilot.cli.common import default_checklist
    from copilot.exports.checklist import export_checklist
    from copilot.exports.notice import export_notice
    from copilot.review.recording import reviewed_findings, reviewed_judgements
    from copilot.review.store import open_store
    from copilot.services import build_services

    settings = load_settings()
    if folder.resolve().is_relative_to(settings.data_dir.resolve()):
        raise UserError(
            "書き出し先がデータフォルダの中です。purge で消えてしまうので、"
            "別の場所を指定してください。",
            "the export folder is inside the data folder that purge erases; choose another.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    archive = folder / f"audit-copilot-export-{stamp}.zip"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        services = build_services(settings)
        try:
            (root / "documents.json").write_text(
                services.status().model_dump_json(indent=2), encoding="utf-8"
            )
            titles = {d.doc_id: d.title for d in services.index.documents()}
            try:
                checklist: Path | None = default_checklist(services)
            except UserError:  # no checklist ingested: the archive just has no checklist files
                checklist = None
        finally:
            services.close()
        with open_store(settings) as store:
            drafts = store.list_drafts()
            (root / "drafts.json").write_text(
                json.dumps(
                    [
                        {
                            "id": d.id,
                            "run": d.run_id,
                            "kind": d.kind,
                            "key": d.key,
                            "status": d.status,
                            "versions": [v.__dict__ for v in d.versions],
                            "log": [r.__dict__ for r in d.log],
                        }
                        for d in drafts
                    ],
                    ensure_ascii=False,
                    indent=2,
                    default=str,
                ),
                encoding="utf-8",
            )
            check = store.verify()
            (root / "log.json").write_text(
                json.dumps(check.__dict__, ensure_ascii=False, indent=2, default=str),
                encoding="utf-8",
            )
            exports = root / "exports"
            exports.mkdir()
            divisions = sorted({d.key.split("/")[0] for d in drafts if d.kind == "finding"})
            for division in divisions:
                if division.strip():
                    export_notice(
                        division,
                        reviewed_findings(store, division),
                        _unused(exports, "監査結果通知案_", division, ".docx"),
                        include_drafts=True,
                        titles=titles,
                    )
            contracts = sorted(
                {d.key.split("/")[0] for d in drafts if d.kind == "checklist_judgement"}
            )
            for contract in contracts if checklist else []:
                export_checklist(
                    checklist,
                    contract,
                    reviewed_judgements(store, contract),  # type: ignore[arg-type]
                    _unused(exports, "チェックリスト結果_", contract, ".xlsx"),
                    include_drafts=True,
                )
        files = sorted(p for p in root.rglob("*") if p.is_file())
        manifest = {p.relative_to(root).as_posix(): _sha(p) for p in files}
        (root / "manifest.json").write_text(
            json.dumps({"created": stamp, "files": manifest}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for p in [*files, root / "manifest.json"]:
                z.write(p, p.relative_to(root).as_posix())
    return archive


def cmd_export_all(args: argparse.Namespace) -> int:
    """Everything the city owns, as one archive."""
    print(export_all(Path(args.folder)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `copilot export ...` and `copilot export-all`."""
    p = sub.add_parser("export", help="Word・Excel に書き出す / export to Word and Excel")
    ex = p.add_subparsers(dest="export_command", required=True)
    drafts_help = "include unsigned drafts, marked 【下書き】"

    c = ex.add_parser("notice", help="監査結果通知案 (Word)")
    c.add_argument("--division", required=True)
    c.add_argument("--out", required=True)
    c.add_argument(
        "--engagement",
        help="the engagement file (TOML): 文書番号, 宛先, 差出人 and the audit period",
    )
    c.add_argument("--include-drafts", action="store_true", help=drafts_help)
    c.set_defaults(func=cmd_notice)

    c = ex.add_parser("checklist", help="チェックリスト結果 (Excel, the checklist's own layout)")
    c.add_argument("--contract", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--checklist", help="default: the ingested checklist")
    c.add_argument("--include-drafts", action="store_true", help=drafts_help)
    c.set_defaults(func=cmd_checklist)

    c = ex.add_parser("ledger", help="台帳照合結果 (Excel)")
    c.add_argument("--ledger", required=True)
    c.add_argument("--contract", required=True)
    c.add_argument("--out", required=True)
    c.set_defaults(func=cmd_ledger)

    c = ex.add_parser("approach", help="監査実施方針案 (Word)")
    c.add_argument("selfcheck", nargs="+")
    c.add_argument("--out", required=True)
    c.add_argument("--period", default="")
    c.add_argument("--divisions", type=int, default=4, help="how many divisions to audit")
    c.set_defaults(func=cmd_approach)

    c = ex.add_parser("hearing", help="ヒアリング議事録・現地監査結果概要の様式 (Word)")
    c.add_argument("selfcheck", help="the division's self-check sheet")
    c.add_argument("--out-dir", required=True)
    c.set_defaults(func=cmd_hearing)

    c = ex.add_parser("onsite", help="現地監査タイムテーブル (Word) / on-site check time table")
    c.add_argument("--engagement", required=True, help="the engagement file (TOML)")
    c.add_argument("--division", default="", help="one visit's division (default: every visit)")
    c.add_argument("--out", help="with --division: the .docx to write")
    c.add_argument("--out-dir", help="write one .docx per visit here")
    c.add_argument("--selfcheck", nargs="*", help="self-check sheets (default: the ingested ones)")
    c.set_defaults(func=cmd_onsite)

    c = ex.add_parser("briefing", help="説明資料 (PowerPoint) / briefing deck for the CISO")
    c.add_argument("--for", dest="briefing", required=True, help="plan | results | final")
    c.add_argument("--engagement", required=True, help="the engagement file (TOML)")
    c.add_argument("--out", required=True, help="the .pptx to write")
    c.add_argument("--division", default="", help="results: one division's briefing")
    c.add_argument("--ledger", help="results: check the contracts against this ledger (.xlsx)")
    c.add_argument("--include-drafts", action="store_true", help=drafts_help)
    c.set_defaults(func=cmd_briefing)

    p = sub.add_parser("export-all", help="契約終了時の全データ書き出し / export everything")
    p.add_argument("folder")
    p.set_defaults(func=cmd_export_all)
