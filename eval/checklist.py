"""Checklist evaluation: run a drafter over the golden contracts and score its judgements."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from copilot.audit.checklist_run import judge_item
from copilot.audit.checklists import import_checklist
from copilot.drafting.registry import Drafter
from copilot.drafting.verdicts import Logistic, VerdictModel, decide
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
    x: tuple[float, ...]
    hedged: bool


LEVEL = {"反映なし": 0, "一部反映": 1, "反映あり": 2}
CUTS = [round(0.30 + 0.02 * k, 2) for k in range(21)]  # cut-offs tried: 0.30 … 0.70
L2 = 0.3  # ridge penalty of both logistic fits (on standardised features)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> Logistic:
    """Logistic regression by gradient descent on standardised features.

    The weights are returned for the raw features, so the drafter needs no scaling.
    """
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = np.c_[(x - mu) / sd, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    penalty = np.r_[np.ones(z.shape[1] - 1), 0.0]
    for _ in range(3000):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        w -= 0.5 * (z.T @ (p - y) + l2 * penalty * w) / len(y)
    raw = w[:-1] / sd
    return Logistic(tuple(float(v) for v in raw), float(w[-1] - (w[:-1] * mu / sd).sum()))


def fit_model(cases: list[_Case], l2: float = L2, fitted_on: str = "") -> VerdictModel:
    """The two logistic scores: 一部反映 or better, and 反映あり."""
    x = np.array([c.x for c in cases], dtype=float)
    level = np.array([LEVEL[c.want] for c in cases])
    partial = _fit_logistic(x, (level >= 1).astype(float), l2)
    full = _fit_logistic(x, (level >= 2).astype(float), l2)
    return VerdictModel(partial, full, fitted_on)


def _hits(model: VerdictModel, cases: list[_Case], low: float, high: float) -> int:
    return sum(decide(model, c.x, c.hedged, low, high) == c.want for c in cases)


def _best_cuts(model: VerdictModel, cases: list[_Case]) -> tuple[int, float, float]:
    """(hits, partial cut, full cut) with the most hits; ties go to the cuts nearest 0.5."""
    best = (-1, 0.5, 0.5)
    for low in CUTS:
        for high in CUTS:
            hits = _hits(model, cases, low, high)
            near = abs(low - 0.5) + abs(high - 0.5) < abs(best[1] - 0.5) + abs(best[2] - 0.5)
            if hits > best[0] or (hits == best[0] and near):
                best = (hits, low, high)
    return best


def sweep_thresholds(
    services: Services,
    checklist_path: Path,
    golden_path: Path,
    model_out: Path | None = None,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """The evidence drafter's verdict model and cut-offs, fitted on the golden judgements.

    The drafter's measurements (``copilot.drafting.verdicts.FEATURES``) are taken once per
    golden case; two logistic regressions are fitted (一部反映 or better; 反映あり), then every
    pair of cut-offs on their probabilities is scored (a hedged 反映あり counts as 一部反映, as in
    the drafter). This is how ``copilot/drafting/verdict_model.json`` and the defaults of
    ``evidence_partial`` and ``evidence_full`` were made. The report also gives
    leave-one-contract-out accuracy: model and cut-offs fitted on the other contracts, scored on
    the one left out.
    """
    from copilot.audit.checklist_run import gather_evidence
    from copilot.drafting.evidence import EvidenceDrafter

    say = notify or (lambda _m: None)
    items = {i.id: i for i in import_checklist(checklist_path).items}
    golden = load_judgements(golden_path)
    drafter = EvidenceDrafter(services.settings)
    drafter.prepare(services.index)
    cases: list[_Case] = []
    for n, g in enumerate(golden, start=1):
        say(f"[{n}/{len(golden)}] {g.contract} {g.item}")
        sup = drafter.support(items[g.item], gather_evidence(services, items[g.item], g.contract))
        cases.append(_Case(g.contract, GOLDEN_VERDICT[g.verdict], sup.features(), bool(sup.hedges)))
    model = fit_model(cases, fitted_on=f"{golden_path.name} ({len(cases)} judgements)")
    hits, low, high = _best_cuts(model, cases)
    if model_out is not None:
        recorded = replace(model, accuracy=round(hits / len(cases), 4) if cases else None)
        model_out.write_text(recorded.to_json(), encoding="utf-8")
    current = _hits(
        model, cases, services.settings.evidence_partial, services.settings.evidence_full
    )
    # How well a model fitted on the other contracts does on each contract: an estimate of the
    # accuracy on contracts it was not fitted to (though written by the same hand).
    held_out = 0
    for contract in sorted({c.contract for c in cases}):
        rest = [c for c in cases if c.contract != contract]
        fold = fit_model(rest)
        _, fold_low, fold_high = _best_cuts(fold, rest)
        held_out += _hits(fold, [c for c in cases if c.contract == contract], fold_low, fold_high)
    return {
        "judgements": len(cases),
        "best_accuracy": round(hits / len(cases), 4) if cases else None,
        "leave_one_contract_out_accuracy": round(held_out / len(cases), 4) if cases else None,
        "evidence_partial": low,
        "evidence_full": high,
        "model": json.loads(model.to_json()),
        "current": {
            "accuracy_of_this_fit": round(current / len(cases), 4) if cases else None,
            "evidence_partial": services.settings.evidence_partial,
            "evidence_full": services.settings.evidence_full,
            "model": drafter.verdict_model.fitted_on,
        },
    }
