"""The チェックリスト審査 desk: judge a contract, show its latest run, give the Excel files.

The run keeps one draft per contract and item (``copilot.review.checklist_runs``, as ``copilot
checklist run``); the table reads those drafts back in the checklist's item order, so a reload
or a change of contract shows what was last judged. The Excel files are those of ``copilot
export checklist`` and ``copilot export ledger``, written under the data folder's download area.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from copilot.audit.checklist_run import run_checklist
from copilot.audit.checklists import import_checklist
from copilot.drafting.drafters import make_drafter
from copilot.errors import UserError
from copilot.filenames import safe_name
from copilot.review.checklist_runs import KeptRun, latest_judgements, save_checklist_run
from copilot.review.drafts import Draft
from copilot.review.recording import reviewed_judgements
from copilot.schemas import ChecklistItem
from ui.actions import Deps, Notify, checklist_file, current_user, download_folder, reader
from ui.jobs import long_job

READERS = ("auditor", "lead")


@dataclass(frozen=True)
class DeskRow:
    """One checklist item and its latest judgement draft."""

    item: ChecklistItem
    draft: Draft


def _contract(contract: str | None) -> str:
    if not contract:
        raise UserError("契約を選んでください。", "choose a contract.")
    return contract


def judge(deps: Deps, name: str | None, contract: str, checklist: str, notify: Notify) -> KeptRun:
    """Judge every item against the contract and keep the run (one draft per item)."""
    user = current_user(deps, name)
    source = checklist_file(deps, checklist)
    with long_job(deps.settings, user.name), deps.services() as s:
        run = run_checklist(
            s,
            import_checklist(source),
            _contract(contract),
            make_drafter(deps.drafter_name(), s.settings),
            notify=notify,
        )
        return save_checklist_run(deps.store, user, s, run, source)


def desk_rows(
    deps: Deps, name: str | None, contract: str | None, checklist: str | None
) -> list[DeskRow]:
    """The contract's latest judgements in the checklist's item order (judged items only).

    Nothing before a contract and a checklist are picked, and nothing for the admin, who does
    not read the audit's drafts: the table then stays empty instead of raising on page load.
    """
    if not contract or not checklist or current_user(deps, name).role not in READERS:
        return []
    items = import_checklist(checklist_file(deps, checklist)).items
    drafts = latest_judgements(deps.store, contract)
    return [DeskRow(it, drafts[it.id]) for it in items if it.id in drafts]


def checklist_xlsx(
    deps: Deps, name: str | None, contract: str, checklist: str, include_drafts: bool
) -> Path:
    """The contract's checklist result in the city's own workbook (``copilot export checklist``).

    Raises:
        UserError: no contract or checklist, nothing judged yet, or (without
            ``include_drafts``) nothing signed off yet.

    """
    from copilot.exports.checklist import export_checklist

    reader(deps, name)
    contract = _contract(contract)
    source = checklist_file(deps, checklist)
    judgements = reviewed_judgements(deps.store, contract)
    if not judgements:
        raise UserError(
            f"契約 {contract} はまだ審査していません。先に「審査を実行」を押してください。",
            f"contract {contract} has not been judged yet; press 審査を実行 first.",
        )
    if not include_drafts and not any(r.signed for _, r in judgements):
        raise UserError(
            f"契約 {contract} には承認済みの判定がまだありません。承認を待たずに出力するには、"
            "「未承認の判定も含める」を選んでください（状態欄に【下書き】と記します）。",
            f"contract {contract} has no signed-off judgement yet; tick 未承認の判定も含める to "
            "export the drafts (marked 【下書き】).",
        )
    out = download_folder(deps, "checklist") / safe_name(f"チェックリスト確認結果_{contract}.xlsx")
    return export_checklist(source, contract, judgements, out, include_drafts)
