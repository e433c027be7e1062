"""A checklist run kept for review: one draft per contract and item, whatever the re-runs.

The rule an auditor expects when a contract is judged again (``save_checklist_run``; the UI's
「審査を実行」 and ``copilot checklist run`` both use it):

- an item judged for the first time becomes a new draft (key ``<contract>/<item>``);
- an item whose draft is unsigned gets the new judgement as its next version: the earlier ones,
  a person's edits among them, stay in its history, and whoever had an earlier version open is
  told so before saving or signing off (``seen_version``);
- an item whose draft is signed off (approved, or rejected) is left as the lead signed it; to
  have it judged again, the lead reopens it (差戻し) and runs the checklist again.

So the approval queue holds one draft per item however often the contract is judged, and the
latest run is what the table shows (``latest_judgements``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from copilot.audit.checklist_run import ChecklistRun
from copilot.review.drafts import Draft
from copilot.review.recording import _documents, _run_fields
from copilot.review.reruns import Placed
from copilot.review.store import ReviewStore
from copilot.review.users import User
from copilot.services import Services
from ingest.pipeline import sha256_file

__all__ = ["KEPT_KIND", "KeptRun", "latest_judgements", "save_checklist_run"]

KEPT_KIND = "checklist_judgement"


@dataclass(frozen=True)
class KeptRun:
    """What a checklist run did to the stored drafts."""

    run_id: int
    contract: str
    placed: list[Placed]

    def count(self, outcome: str) -> int:
        """How many items went ``created``, ``version`` or ``signed``."""
        return sum(p.outcome == outcome for p in self.placed)

    @property
    def replaced_edits(self) -> int:
        """How many new versions follow a person's edit (which stays in the history)."""
        return sum(p.replaced_edit for p in self.placed)

    def message(self) -> str:
        """What the run did, in sentences for the auditor."""
        parts = [
            f"{label} {n} 件"
            for label, n in (
                ("新しい下書き", self.count("created")),
                ("新しい版", self.count("version")),
                ("承認・却下済みのため据え置き", self.count("signed")),
            )
            if n
        ]
        text = f"{len(self.placed)} 項目を判定しました。内訳は、{'、'.join(parts)}です。"
        if self.replaced_edits:
            text += (
                f"新しい版のうち {self.replaced_edits} 件は担当者が修正していた項目で、"
                "修正した版は履歴に残っています。"
            )
        if self.count("signed"):
            text += (
                "据え置いた項目を判定し直すには、主任担当者が差し戻してから"
                "もう一度実行してください。"
            )
        return text


def save_checklist_run(
    store: ReviewStore, user: User, services: Services, run: ChecklistRun, checklist: Path
) -> KeptRun:
    """Store a checklist run and place each judgement by the module's rule, in one transaction.

    Returns:
        The run's id and, for each item in the run's order, its draft and what became of it.

    """
    evidence = sorted(
        {e for j in run.judgements if j.provenance for e in j.provenance.evidence_ids}
    )
    first = next((j.provenance for j in run.judgements if j.provenance), None)
    run_id, placed = store.record_rerun(
        "checklist_run",
        {
            "contract": run.contract,
            "checklist": str(checklist),
            "checklist_sha256": sha256_file(checklist),
            "documents": _documents(services, run.contract),
        },
        _run_fields(first, evidence),
        KEPT_KIND,
        [(f"{run.contract}/{j.item}", j) for j in run.judgements],
        user,
        comment="審査の再実行による判定",
    )
    return KeptRun(run_id, run.contract, placed)


def latest_judgements(store: ReviewStore, contract: str) -> dict[str, Draft]:
    """A contract's judgement drafts by item: of an item judged in several drafts, the newest."""
    prefix = f"{contract}/"
    return {d.key[len(prefix) :]: d for d in store.list_drafts(kind=KEPT_KIND, key_prefix=prefix)}
