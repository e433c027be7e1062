"""Fitting the verdict model (``copilot.drafting.verdicts``) on judged cases.

Used by ``copilot eval checklist --sweep`` (the shipped model, fitted on the project's judgement
sets) and by ``copilot review refit`` (a data folder's own model: the shipped cases and the
judgements its lead signed off, ``copilot.audit.learning``). Both logistic scores are
ridge-penalised, case-weighted regressions on standardised features; the temperature that
calibrates them is the one that best predicts each group of cases (a judgement set, a contract)
from a model fitted on the other groups.

The shipped model's cases (their measurements and right verdicts, no text) lie beside it in
``verdict_cases.json``, so that a data folder's refit starts from the same ground.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from importlib import resources

import numpy as np

from copilot.drafting.verdicts import FEATURES, Logistic, VerdictModel, decide

LEVEL = {"反映なし": 0, "一部反映": 1, "反映あり": 2}
L2 = 1.0  # ridge penalty of both fits (chosen by leave-one-set-out accuracy over 0.3, 1, 3)
TEMPERATURES = tuple(round(0.5 + 0.05 * k, 2) for k in range(51))  # 0.5 … 3.0


@dataclass(frozen=True)
class Case:
    """One judged item: its group (a set or a contract), the right verdict and the measurements."""

    group: str
    want: str  # 反映あり / 一部反映 / 反映なし
    x: tuple[float, ...]
    hedged: bool
    weight: float = 1.0  # how much the case counts in a fit


def shipped_cases() -> list[Case]:
    """The cases the shipped model was fitted on (``verdict_cases.json``)."""
    text = resources.files("copilot.drafting").joinpath("verdict_cases.json").read_text("utf-8")
    doc = json.loads(text)
    if doc["features"] != list(FEATURES):
        raise AssertionError("verdict_cases.json is not for these features: regenerate it")
    return [Case(c["group"], c["want"], tuple(c["x"]), bool(c["hedged"])) for c in doc["cases"]]


def cases_json(cases: Sequence[Case], note: str) -> str:
    """Cases as the JSON that ``shipped_cases`` reads."""
    rows = [
        json.dumps({k: v for k, v in asdict(c).items() if k != "weight"}, ensure_ascii=False)
        for c in cases
    ]
    head = json.dumps({"features": list(FEATURES), "note": note}, ensure_ascii=False)
    return head[:-1] + ', "cases": [\n' + ",\n".join(rows) + "\n]}\n"


def _fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float) -> Logistic:
    """Weighted logistic regression by gradient descent on standardised features.

    The weights are returned for the raw features, so the drafter needs no scaling.
    """
    share = weight / weight.sum()
    mu = share @ x
    sd = np.sqrt(share @ (x - mu) ** 2)
    sd = np.where(sd > 0, sd, 1.0)
    z = np.c_[(x - mu) / sd, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    penalty = np.r_[np.ones(z.shape[1] - 1), 0.0]
    for _ in range(3000):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        w -= 0.5 * (z.T @ (share * (p - y)) + l2 * penalty * w / weight.sum())
    raw = w[:-1] / sd
    return Logistic(tuple(float(v) for v in raw), float(w[-1] - (w[:-1] * mu / sd).sum()))


def fit_scores(cases: Sequence[Case], l2: float = L2) -> VerdictModel:
    """The two logistic scores (一部反映 or better; 反映あり), uncalibrated."""
    x = np.array([c.x for c in cases], dtype=float)
    level = np.array([LEVEL[c.want] for c in cases])
    weight = np.array([c.weight for c in cases], dtype=float)
    partial = _fit_logistic(x, (level >= 1).astype(float), weight, l2)
    full = _fit_logistic(x, (level >= 2).astype(float), weight, l2)
    return VerdictModel(partial, full)


def held_out(cases: Sequence[Case], l2: float = L2) -> list[tuple[VerdictModel, Case]]:
    """Each case with the model fitted on the other groups (one model per group)."""
    out = []
    for group in sorted({c.group for c in cases}):
        model = fit_scores([c for c in cases if c.group != group], l2)
        out.extend((model, c) for c in cases if c.group == group)
    return out


def log_loss(pairs: Sequence[tuple[VerdictModel, Case]], temperature: float = 1.0) -> float:
    """Mean negative log-probability of the right verdict (weighted by the cases' weights)."""
    total = 0.0
    for model, case in pairs:
        p = decide(replace(model, temperature=temperature), case.x, case.hedged).probabilities
        total -= case.weight * math.log(max(p[case.want], 1e-9))
    return total / sum(case.weight for _, case in pairs)


def fit_model(cases: Sequence[Case], l2: float = L2, fitted_on: str = "") -> VerdictModel:
    """The verdict model: both scores on all cases, calibrated on held-out groups.

    With a single group there is nothing held out and the temperature stays 1.
    """
    model = fit_scores(cases, l2)
    temperature = 1.0
    if len({c.group for c in cases}) > 1:
        pairs = held_out(cases, l2)
        temperature = min(TEMPERATURES, key=lambda t: (log_loss(pairs, t), abs(t - 1.0)))
    model = replace(model, temperature=temperature, fitted_on=fitted_on)
    hits = sum(decide(model, c.x, c.hedged).leaning == c.want for c in cases)
    return replace(model, accuracy=round(hits / len(cases), 4) if cases else None)
