"""Compile the final report (事業報告書) from what the review store holds.

The report shows, per audited division, its findings; per contract, its checklist judgements;
and the policy-revision drafts (``policy_gap``, ``policy_advice``) — each signed off by a named
lead, by the same rules as every export (``copilot.schemas.shows``): unsigned drafts only
with ``include_drafts`` (marked 【下書き】), rejected ones never. Where a key was drafted in several
runs, the newest run's draft counts (as ``recording.reviewed_judgements`` does). The approach
section is the self-check triage, which is not stored: the caller runs it over the self-check
sheets and passes it in. What the report shows is a `FinalReport`, which
``copilot.exports.final_report`` writes as Word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from copilot.audit.selfcheck import Triage, ingested_sheets, triage
from copilot.review.recording import review_info, reviewed_findings, reviewed_judgements
from copilot.review.store import ReviewStore
from copilot.schemas import (
    ChecklistJudgement,
    Finding,
    PolicyAdvice,
    PolicyGap,
    ReviewInfo,
    Workplan,
    kept,
)
from copilot.services import Services

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ContractResult:
    """One contract's checklist judgements as the final report shows them."""

    contract: str
    division: str
    service: str
    judgements: list[tuple[ChecklistJudgement, ReviewInfo]]
    withheld: int = 0  # unsigned judgements left out


@dataclass(frozen=True)
class FinalReport:
    """Everything the final report (事業報告書) shows, already filtered by sign-off."""

    plan: Workplan
    findings: list[tuple[str, list[tuple[Finding, ReviewInfo]]]]
    contracts: list[ContractResult]
    triage: Triage | None
    gaps: list[tuple[PolicyGap, ReviewInfo]] = field(default_factory=list)
    advice: list[tuple[PolicyAdvice, ReviewInfo]] = field(default_factory=list)
    include_drafts: bool = False
    withheld: int = 0  # unsigned drafts left out (all kinds)
    triage_note: str = ""

    @property
    def drafts(self) -> bool:
        """Whether any unsigned part is shown."""
        reviews = [r for _, fs in self.findings for _, r in fs]
        reviews += [r for c in self.contracts for _, r in c.judgements]
        reviews += [r for _, r in self.gaps] + [r for _, r in self.advice]
        return any(not r.signed for r in reviews)


NO_SELFCHECK = (
    "自己点検シートが取り込まれていないため、自己点検結果に基づくリスク評価は記載していない。"
)


def approach_triage(services: Services, sheets: Sequence[Path] = ()) -> tuple[Triage | None, str]:
    """The self-check triage behind the approach, over ``sheets`` or else the ingested ones.

    Returns:
        The triage and "", or None and the sentence the report shows when there are no sheets.

    """
    sheets = list(sheets) or ingested_sheets(services)
    if not sheets:
        return None, NO_SELFCHECK
    return triage(services, list(sheets)), ""


def _latest(store: ReviewStore, kind: str, model: type[M]) -> list[tuple[M, ReviewInfo]]:
    """The drafts of a kind (the newest per key), parsed with their model, in key order."""
    latest: dict[str, tuple[M, ReviewInfo]] = {}
    for d in store.list_drafts(kind=kind):
        latest[d.key] = (model.model_validate(d.payload), review_info(d))
    return [latest[k] for k in sorted(latest)]


def _unsigned(drafts: Sequence[tuple[object, ReviewInfo]]) -> int:
    return sum(r.status == "draft" for _, r in drafts)


def compile_final_report(
    store: ReviewStore,
    plan: Workplan,
    triage: Triage | None = None,
    include_drafts: bool = False,
    triage_note: str = "",
) -> FinalReport:
    """What the final report shows, from the review store.

    Args:
        store: the review store.
        plan: the engagement's work plan (divisions, contracts, milestones, team).
        triage: the self-check triage behind the approach, or None when there is none.
        include_drafts: also show unsigned drafts (they are marked 【下書き】).
        triage_note: why there is no triage (shown in its place).

    Returns:
        The report's content: the engagement's divisions (then any other division with shown
        findings) with their findings; the engagement's contracts (then any other contract with
        shown judgements) with their judgements; the policy gaps and advice; and how many
        unsigned drafts were left out.

    """
    e = plan.engagement
    withheld = 0

    stored = {d.key.split("/", 1)[0] for d in store.list_drafts(kind="finding")}
    findings = []
    for div in [*e.divisions, *sorted(stored - set(e.divisions))]:
        drafts = reviewed_findings(store, div)
        shown = kept(drafts, include_drafts)
        withheld += 0 if include_drafts else _unsigned(drafts)
        if div in e.divisions or shown:
            findings.append((div, shown))

    planned = {c.id: c for c in e.contracts}
    judged = {d.key.split("/", 1)[0] for d in store.list_drafts(kind="checklist_judgement")}
    contracts = []
    for cid in [*planned, *sorted(judged - set(planned))]:
        drafts = reviewed_judgements(store, cid)
        shown = kept(drafts, include_drafts)
        left = 0 if include_drafts else _unsigned(drafts)
        withheld += left
        if cid not in planned and not shown:
            continue
        c = planned.get(cid)
        contracts.append(
            ContractResult(
                contract=cid,
                division=c.division if c else "",
                service=c.service if c else "",
                judgements=shown,
                withheld=left,
            )
        )

    gaps = _latest(store, "policy_gap", PolicyGap)
    advice = _latest(store, "policy_advice", PolicyAdvice)
    if not include_drafts:
        withheld += _unsigned(gaps) + _unsigned(advice)
    return FinalReport(
        plan=plan,
        findings=findings,
        contracts=contracts,
        triage=triage,
        gaps=kept(gaps, include_drafts),
        advice=kept(advice, include_drafts),
        include_drafts=include_drafts,
        withheld=withheld,
        triage_note=triage_note,
    )
