"""Learn this city's judgement from sign-off: refit the verdict model on the lead's verdicts.

Every checklist judgement of the evidence drafter keeps its measurements
(``ChecklistJudgement.measurements``). A judgement the lead approved, with or without correcting
its verdict, is a case to learn from: those measurements, and the verdict as signed off. A refit
fits the verdict model (``copilot.drafting.verdict_fit``) on the shipped cases and this data
folder's signed-off cases, the latter counting ``SIGNED_WEIGHT`` times each, and writes it to
``settings.verdict_model_file``; from then on the evidence drafter judges with it, and every
draft's provenance names it (``rules+local:<digest>``). Below ``MIN_SIGNED`` signed-off
judgements the shipped model stays in use: a refit is refused.

A refit and a discard are recorded as runs in the review store's hash-chained log, with the
drafts they learned from and the model's sha256.

Why the shipped cases stay in: one city signs off a few contracts a year, too few to fit seven
weights alone. The weight was chosen by simulation (``copilot eval learning``, ``eval/learning.py``)
on the four sets the shipped model is fitted on: for each set, sign off its other contracts from
their truth, fit with the other three sets as the shipped cases, and judge the contract left out.
Over the 261 judgements the lean was right for 176 before any sign-off, and for 177, 182, 179,
176 and 174 with weights 1, 2, 3, 5 and 10 (plain accuracy, 要確認 counted wrong: 163, 164,
163, 159, 157, 157). A heavier weight fits the one contract signed off and carries over worse;
the gain is small at any weight (a city's next contract is another vendor's wording).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from copilot.drafting.registry import settings_digest
from copilot.drafting.verdict_fit import Case, fit_model, fit_scores, shipped_cases
from copilot.drafting.verdicts import FEATURES, LEVELS, VerdictModel, decide, load_model
from copilot.errors import UserError
from copilot.review.drafts import Draft
from copilot.review.store import ReviewStore
from copilot.review.users import User
from copilot.settings import Settings

MIN_SIGNED = 20  # signed-off judgements before a refit is allowed
SIGNED_WEIGHT = 2.0  # how much one signed-off judgement counts against one shipped case
CITY = "city"  # group prefix of the signed-off cases (``city/<contract>``)


@dataclass(frozen=True)
class SignedCase:
    """One signed-off judgement as a case to learn from."""

    draft_id: int
    contract: str
    item: str
    case: Case


def _as_case(draft: Draft) -> SignedCase | None:
    """The draft as a case, or None when it cannot teach (no measurements, no verdict level)."""
    measured = draft.original.payload.get("measurements") or {}
    verdict = draft.payload.get("verdict")
    if verdict not in LEVELS or sorted(measured) != sorted(FEATURES):
        return None
    x = tuple(float(measured[f]) for f in FEATURES)
    contract = str(draft.payload.get("contract", ""))
    case = Case(f"{CITY}/{contract}", str(verdict), x, x[FEATURES.index("hedged")] >= 0.5)
    return SignedCase(draft.id, contract, str(draft.payload.get("item", "")), case)


def signed_off_cases(store: ReviewStore) -> tuple[list[SignedCase], int]:
    """The signed-off judgements to learn from, and how many signed-off ones cannot teach.

    Of a contract's item judged more than once, the newest signed-off draft counts. A verdict
    of 要確認 or 対象外, or a judgement drafted without measurements (by the LLM, or before
    measurements were kept), cannot teach the model.
    """
    drafts = store.list_drafts(
        status=("approved", "approved_with_edits"), kind="checklist_judgement"
    )
    newest: dict[str, Draft] = {}
    for d in drafts:
        if d.key not in newest or d.id > newest[d.key].id:
            newest[d.key] = d
    cases = [c for c in map(_as_case, newest.values()) if c is not None]
    return sorted(cases, key=lambda c: c.draft_id), len(newest) - len(cases)


@dataclass(frozen=True)
class Refit:
    """What a refit learned and how it does."""

    model: VerdictModel
    signed: int  # signed-off judgements learned from
    unusable: int  # signed-off judgements that cannot teach
    contracts: list[str]
    shipped_accuracy: float  # the shipped model's lean against the signed-off verdicts
    held_out_accuracy: float | None  # each contract judged by a refit without it (≥ 2 contracts)
    written: bool
    run_id: int | None

    def summary(self) -> str:
        """What the refit learned and how it does, in Japanese."""
        done = "判定モデルを再学習し、以後の判定に使います" if self.written else "試算しました"
        lines = [
            f"署名済みの判定 {self.signed} 件（契約 {', '.join(self.contracts)}）で{done}。",
            f"同梱モデルの判定と署名済みの判定の一致率: {self.shipped_accuracy:.1%}",
        ]
        if self.held_out_accuracy is not None:
            lines.append(
                "各契約を、その契約を除いて再学習したモデルで判定したときの一致率: "
                f"{self.held_out_accuracy:.1%}"
            )
        lines.append(f"モデル: {self.model.digest}（温度 {self.model.temperature:g}）")
        if self.unusable:
            lines.append(
                f"学習に使えなかった署名済みの判定: {self.unusable} 件"
                "（要確認・対象外、又は測定値のない判定）"
            )
        return "\n".join(lines)


def _lean_accuracy(pairs: Sequence[tuple[VerdictModel, Case]]) -> float:
    hits = sum(decide(m, c.x, c.hedged).leaning == c.want for m, c in pairs)
    return round(hits / len(pairs), 4) if pairs else 0.0


def fit_with_signed(
    base: Sequence[Case], signed: Sequence[Case], weight: float = SIGNED_WEIGHT, fitted_on: str = ""
) -> VerdictModel:
    """The verdict model on ``base`` (grouped by judgement set) and ``signed`` (weighted)."""
    base_sets = [replace(c, group=c.group.split("/", 1)[0]) for c in base]
    return fit_model(
        [*base_sets, *(replace(c, weight=weight) for c in signed)], fitted_on=fitted_on
    )


def _held_out(base: list[Case], signed: list[Case], temperature: float) -> float | None:
    """Each contract judged by a model fitted without it: how the refit does on a new contract."""
    contracts = sorted({c.group for c in signed})
    if len(contracts) < 2:
        return None
    base = [replace(c, group=c.group.split("/", 1)[0]) for c in base]
    pairs = []
    for group in contracts:
        rest = [replace(c, weight=SIGNED_WEIGHT) for c in signed if c.group != group]
        model = replace(fit_scores([*base, *rest]), temperature=temperature)
        pairs += [(model, c) for c in signed if c.group == group]
    return _lean_accuracy(pairs)


def refit(settings: Settings, store: ReviewStore, user: str | User, dry_run: bool = False) -> Refit:
    """Fit the verdict model on the shipped cases and the lead's sign-offs, and put it in use.

    Args:
        settings: whose data folder gets the model.
        store: the review store with the sign-offs.
        user: a lead (主任担当者).
        dry_run: measure, but write nothing.

    Raises:
        UserError: the user is not a lead, or fewer than ``MIN_SIGNED`` judgements can teach.

    """
    actor = store.require(user, "lead")
    signed, unusable = signed_off_cases(store)
    if len(signed) < MIN_SIGNED:
        raise UserError(
            f"学習に使える署名済みの判定が {len(signed)} 件です（{MIN_SIGNED} 件以上必要）。"
            "チェックリストの判定を承認（必要なら判定を修正のうえ承認）してから再学習してください。"
            "それまでは同梱の判定モデルを使います。",
            f"{len(signed)} signed-off judgements can teach the model; a refit needs "
            f"{MIN_SIGNED}. Approve (or correct and approve) checklist judgements first; until "
            "then the shipped verdict model stays in use.",
        )
    base = shipped_cases()
    city = [s.case for s in signed]
    contracts = sorted({s.contract for s in signed})
    note = (
        f"shipped cases ({len(base)}) + {len(city)} judgements signed off in this data folder "
        f"(contracts {', '.join(contracts)}; each counts {SIGNED_WEIGHT:g}), by {actor.name}"
    )
    model = fit_with_signed(base, city, fitted_on=note)
    shipped = load_model()
    report = Refit(
        model,
        len(city),
        unusable,
        contracts,
        _lean_accuracy([(shipped, c) for c in city]),
        _held_out(base, city, model.temperature),
        written=False,
        run_id=None,
    )
    if dry_run:
        return report
    path = settings.verdict_model_file
    path.parent.mkdir(parents=True, exist_ok=True)
    text = model.to_json()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)
    try:
        run_id = store.record_run(
            "verdict_refit",
            {
                "drafts": [s.draft_id for s in signed],
                "contracts": contracts,
                "shipped_cases": len(base),
                "signed_weight": SIGNED_WEIGHT,
                "model_file": str(path),
                "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "shipped_accuracy": report.shipped_accuracy,
                "held_out_accuracy": report.held_out_accuracy,
            },
            settings_digest=settings_digest(settings),
            drafter="evidence",
            model=f"rules+local:{model.digest}",
            prompt="verdict_model",
            prompt_version=model.digest,
            prompt_hash=model.digest,
            evidence_ids=[],
            user=actor,
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return replace(report, written=True, run_id=run_id)


def discard(settings: Settings, store: ReviewStore, user: str | User) -> bool:
    """Go back to the shipped model: remove this data folder's own (lead only).

    Returns:
        Whether there was one to remove.

    """
    actor = store.require(user, "lead")
    path = settings.verdict_model_file
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    store.record_run(
        "verdict_discard",
        {"model_file": str(path), "model_sha256": hashlib.sha256(text.encode()).hexdigest()},
        settings_digest=settings_digest(settings),
        drafter="evidence",
        model=f"rules+shipped:{load_model().digest}",
        prompt="verdict_model",
        prompt_version="",
        prompt_hash="",
        evidence_ids=[],
        user=actor,
    )
    path.unlink()
    return True


def describe(settings: Settings, store: ReviewStore) -> str:
    """Which verdict model is in use and what a refit would learn from, in Japanese."""
    path = settings.verdict_model_file
    signed, unusable = signed_off_cases(store)
    if path.is_file():
        model = load_model(path)
        signed_in = re.search(r"\+ (\d+) judgements signed off", model.fitted_on)
        learnt = f"、この市の判定 {signed_in.group(1)} 件を加えて学習" if signed_in else ""
        head = f"判定モデル: この市の署名済み判定で再学習したもの（版 {model.digest[:8]}{learnt}）"
    else:
        model = load_model()
        shipped = re.search(r"\((\d+) judgements\)", model.fitted_on)
        learnt = f"、用意された判定 {shipped.group(1)} 件から学習" if shipped else ""
        head = f"判定モデル: 同梱（版 {model.digest[:8]}{learnt}）"
    line = f"学習に使える署名済みの判定: {len(signed)} 件（再学習には {MIN_SIGNED} 件以上）"
    if unusable:
        line += f"。ほかに学習に使えない署名済み判定 {unusable} 件（要確認・対象外、測定値なし）"
    return f"{head}\n{line}"
