"""Checklist evaluation: run a drafter over the golden contracts and score its judgements."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from copilot.checklist_run import judge_item
from copilot.checklists import import_checklist
from copilot.drafting import Drafter
from copilot.errors import UserError
from copilot.services import Services
from eval.metrics import macro_f1, matches, quotes_valid

GOLDEN_VERDICT = {"reflected": "反映あり", "partial": "一部反映", "not_reflected": "反映なし"}
LABELS = ("反映あり", "一部反映", "反映なし")


class GoldenJudgement(BaseModel):
    """One expected judgement (other fields in the file are ignored)."""

    model_config = ConfigDict(extra="ignore")
    contract: str
    item: str
    verdict: Literal["reflected", "partial", "not_reflected"]
    evidence: list[str] = []


def load_judgements(path: Path) -> list[GoldenJudgement]:
    """Read a JSON list of golden judgements.

    Raises:
        UserError: missing or malformed file (the bad entry is named by position).

    """
    if not path.is_file():
        raise UserError(
            f"正解データ {path} が見つかりません。", f"golden set {path} does not exist."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path} は JSON ではありません: {exc}", f"{path} is not JSON: {exc}"
        ) from exc
    out = []
    for n, entry in enumerate(raw, start=1):
        try:
            out.append(GoldenJudgement.model_validate(entry))
        except ValidationError as exc:
            raise UserError(
                f"{path} の {n} 件目が不正です: {exc}", f"entry {n} of {path} is invalid: {exc}"
            ) from exc
    return out


def evaluate_checklist(
    services: Services,
    checklist_path: Path,
    golden_path: Path,
    drafter: Drafter,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Verdict accuracy, macro-F1, evidence recall, citation validity, 要確認 rate, time/item."""
    say = notify or (lambda _m: None)
    checklist = import_checklist(checklist_path)
    items = {i.id: i for i in checklist.items}
    golden = load_judgements(golden_path)
    unknown = sorted({g.item for g in golden} - set(items))
    if unknown:
        raise UserError(
            f"正解データの設問 {', '.join(unknown)} がチェックリストにありません。",
            f"golden items {', '.join(unknown)} are not in the checklist.",
        )
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None:  # drafters that read the index (term rarity, embeddings)
        prepare(services.index)
    pairs: list[tuple[str, str]] = []
    found = expected = valid = cited = review = 0
    wrong = []
    started = time.perf_counter()
    for n, g in enumerate(golden, start=1):
        say(f"[{n}/{len(golden)}] {g.contract} {g.item}")
        j = judge_item(services, drafter, items[g.item], g.contract)
        want = GOLDEN_VERDICT[g.verdict]
        pairs.append((want, j.verdict))
        review += j.verdict == "要確認"
        v, t = quotes_valid(services, [*j.evidence, *j.basis])
        valid, cited = valid + v, cited + t
        quotes = [c.quote for c in j.evidence]
        for needle in g.evidence:
            expected += 1
            found += any(matches(q, [needle]) for q in quotes)
        if want != j.verdict:
            wrong.append(
                {"contract": g.contract, "item": g.item, "expected": want, "got": j.verdict}
            )
    elapsed = time.perf_counter() - started
    n = len(golden)
    return {
        "golden": str(golden_path),
        "drafter": drafter.name,
        "model": drafter.model,
        "judgements": n,
        "verdict_accuracy": round(sum(g == p for g, p in pairs) / n, 4),
        "macro_f1": round(macro_f1(pairs, LABELS), 4),
        "evidence_recall": round(found / expected, 4) if expected else None,
        "citation_validity": round(valid / cited, 4) if cited else 1.0,
        "needs_review_rate": round(review / n, 4),
        "seconds_per_item": round(elapsed / n, 3),
        "wrong": wrong,
    }


@dataclass(frozen=True)
class _Case:
    contract: str
    want: str
    score: float
    completeness: float
    hedged: bool


def _verdict(c: _Case, low: float, high: float) -> str:
    """The evidence drafter's rule (copilot.evidence_drafter) for given thresholds."""
    if c.score < low:
        return "反映なし"
    return "反映あり" if c.completeness >= high and not c.hedged else "一部反映"


def _best_thresholds(cases: list[_Case]) -> tuple[float, float, float]:
    """(accuracy, partial, full) with the best accuracy on a 0.01 grid; ties keep the first."""
    grid = [round(x * 0.01, 2) for x in range(0, 101)]
    best = (-1.0, 0.0, 0.0)
    for low in grid:
        for high in grid:
            hits = sum(_verdict(c, low, high) == c.want for c in cases)
            if cases and hits / len(cases) > best[0]:
                best = (hits / len(cases), low, high)
    return best


def sweep_thresholds(
    services: Services,
    checklist_path: Path,
    golden_path: Path,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """The evidence drafter's thresholds that best reproduce the golden verdicts.

    Support is computed once per golden case; every pair of thresholds on a 0.01 grid is then
    scored (hedged 反映あり counts as 一部反映, as in the drafter). This is how the defaults of
    ``evidence_full`` and ``evidence_partial`` were chosen. The report also gives the accuracy of
    leave-one-contract-out: thresholds fitted on the other contracts, scored on the one left out.
    """
    from copilot.checklist_run import gather_evidence
    from copilot.evidence_drafter import EvidenceDrafter

    say = notify or (lambda _m: None)
    items = {i.id: i for i in import_checklist(checklist_path).items}
    golden = load_judgements(golden_path)
    drafter = EvidenceDrafter(services.settings)
    drafter.prepare(services.index)
    cases: list[_Case] = []
    for n, g in enumerate(golden, start=1):
        say(f"[{n}/{len(golden)}] {g.contract} {g.item}")
        sup = drafter.support(items[g.item], gather_evidence(services, items[g.item], g.contract))
        want = GOLDEN_VERDICT[g.verdict]
        cases.append(_Case(g.contract, want, sup.score, sup.completeness, bool(sup.hedges)))
    best = _best_thresholds(cases)
    # How well thresholds chosen on the other contracts do on each contract: an estimate of the
    # accuracy on contracts the thresholds were not fitted to.
    held_out = 0
    for contract in sorted({c.contract for c in cases}):
        _, low, high = _best_thresholds([c for c in cases if c.contract != contract])
        held_out += sum(_verdict(c, low, high) == c.want for c in cases if c.contract == contract)
    return {
        "judgements": len(cases),
        "best_accuracy": round(best[0], 4),
        "leave_one_contract_out_accuracy": round(held_out / len(cases), 4) if cases else None,
        "evidence_partial": best[1],
        "evidence_full": best[2],
        "current": {
            "evidence_partial": services.settings.evidence_partial,
            "evidence_full": services.settings.evidence_full,
        },
    }
