"""Simulate learning from sign-off: how a refit on signed-off contracts judges the next one.

For each judgement set (one author, like one city) and each of its contracts: the other
contracts of the set are signed off from their truth, the verdict model is refitted on the
shipped cases of the *other* sets and those sign-offs (``copilot.audit.learning``, each
sign-off counting ``weight`` times), and the contract left out is judged. Beside it, the
model fitted on the other sets alone: what the city gets before any sign-off. A set the shipped
model was not fitted on (``eval/blind3``) keeps every shipped case as the base.

The measurements are those the evidence drafter takes in the data folder given
(``eval.checklist.judged_cases``); the refit is the same function ``copilot review refit``
calls, so the simulation differs from the real thing only in who signs off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from copilot.audit.learning import fit_with_signed
from copilot.drafting.verdict_fit import Case, shipped_cases
from copilot.drafting.verdicts import decide
from copilot.services import Services
from eval.checklist import judged_cases, set_of
from eval.metrics import selective

WEIGHTS = (1.0, 2.0, 3.0, 5.0, 10.0)  # copilot.audit.learning.SIGNED_WEIGHT among them


def _contract(case: Case) -> str:
    return case.group.split("/", 1)[1]


def _scores(rows: list[tuple[str, str, float]], review_below: float) -> dict[str, object]:
    """Accuracy (要確認 counted wrong), lean accuracy, selective metrics of (lean, want, conf)."""
    n = len(rows)
    plain = sum(lean == want and conf >= review_below for lean, want, conf in rows)
    lean_ok = sum(lean == want for lean, want, _ in rows)
    sel = selective([(conf, lean == want) for lean, want, conf in rows])
    return {
        "judgements": n,
        "accuracy": round(plain / n, 4),
        "lean_accuracy": round(lean_ok / n, 4),
        "needs_review_rate": round(sum(c < review_below for _, _, c in rows) / n, 4),
        **sel,
    }


def simulate(
    cases: Sequence[Case],
    base: Sequence[Case],
    weights: Sequence[float] = WEIGHTS,
    review_below: float = 0.5,
) -> dict[str, object]:
    """Per set: the model before sign-off against refits with each weight, contract by contract."""
    out: dict[str, object] = {}
    for name in sorted({set_of(c) for c in cases}):
        own = [c for c in cases if set_of(c) == name]
        others = [c for c in base if set_of(c) != name]
        rows: dict[str, list[tuple[str, str, float]]] = {"before": []}
        rows.update({f"signed x{w:g}": [] for w in weights})
        for contract in sorted({_contract(c) for c in own}):
            judged = [c for c in own if _contract(c) == contract]
            signed = [c for c in own if _contract(c) != contract]
            models = {"before": fit_with_signed(others, [])}
            models.update({f"signed x{w:g}": fit_with_signed(others, signed, w) for w in weights})
            for label, model in models.items():
                for c in judged:
                    d = decide(model, c.x, c.hedged)
                    rows[label].append((d.leaning, c.want, d.confidence))
        out[name] = {
            "contracts": len({_contract(c) for c in own}),
            "base_cases": len(others),
            **{label: _scores(r, review_below) for label, r in rows.items()},
        }
    return out


def simulate_learning(
    services: Services,
    checklist_path: Path,
    golden_paths: list[Path],
    weights: Sequence[float] = WEIGHTS,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """``simulate`` over the judgement sets, measured in this data folder."""
    cases = judged_cases(services, checklist_path, golden_paths, notify)
    return simulate(cases, shipped_cases(), weights, services.settings.evidence_review_below)
