"""How the evidence drafter turns the support it measured into a verdict.

Five measurements of a checklist item against a contract's sentences (see ``FEATURES``) feed two
logistic scores: the probability that the contract addresses the item at all (一部反映 or better)
and the probability that it binds everything the item asks for (反映あり). Both are ordinary
logistic regressions whose weights were fitted on the project's golden judgements with
``copilot eval checklist --sweep --model-out FILE`` (``eval/checklist.py``); the fitted model is
``verdict_model.json`` beside this module. The cut-offs on the two probabilities are settings
(``evidence_partial``, ``evidence_full``).

Why a fitted model and not hand-set thresholds: two thresholds on hand-weighted scores fitted our
golden set a little better (0.84 against 0.83) but carried over poorly to contracts written by
other people (0.59 and 0.52 on ``eval/heldout`` and ``eval/blind``, two independently written
sets); the fitted weights, fitted on the same golden set only, reached 0.67 and 0.62 there. The
biggest single difference: a hedged top sentence is evidence that the contract does address the
item (一部反映), which the thresholds read as no support at all.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from copilot.errors import UserError

FEATURES = (
    "coverage",  # best sentence's weighted share of the item's key terms
    "similarity_example",  # best dense likeness to the sample wording (記載例), rescaled
    "similarity_item",  # best dense likeness to the item text, rescaled
    "detail",  # the top sentence's share of the item's and the sample wording's terms
    "hedged",  # 1 when the top sentence is vague or does not bind (drafting.terms.hedges_in)
)


@dataclass(frozen=True)
class Logistic:
    """P = 1 / (1 + exp(-(weights · x + bias))), x in the order of ``FEATURES``."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, x: Sequence[float]) -> float:
        """The logistic probability of the features."""
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


@dataclass(frozen=True)
class VerdictModel:
    """The two logistic scores, and where they were fitted."""

    partial: Logistic
    full: Logistic
    fitted_on: str = ""
    accuracy: float | None = None  # on the set it was fitted on, at the default cut-offs

    def probabilities(self, x: Sequence[float]) -> tuple[float, float]:
        """(P(一部反映 or better), P(反映あり)) for the features."""
        return self.partial.probability(x), self.full.probability(x)

    def to_json(self) -> str:
        """The model as the JSON that ``load_model`` reads."""
        doc = {
            "features": list(FEATURES),
            "partial": {"weights": list(self.partial.weights), "bias": self.partial.bias},
            "full": {"weights": list(self.full.weights), "bias": self.full.bias},
            "fitted_on": self.fitted_on,
            "accuracy": self.accuracy,
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

    @property
    def digest(self) -> str:
        """Short hash of the model, part of every draft's rules hash."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def decide(
    model: VerdictModel, x: Sequence[float], hedged: bool, partial_cut: float, full_cut: float
) -> str:
    """反映あり / 一部反映 / 反映なし by the two probabilities and their cut-offs.

    Wording that is vague or does not bind (``hedged``) is never 反映あり.
    """
    partial, full = model.probabilities(x)
    if partial < partial_cut:
        return "反映なし"
    return "反映あり" if full >= full_cut and not hedged else "一部反映"


def parse_model(text: str, source: str) -> VerdictModel:
    """A model from its JSON.

    Raises:
        UserError: not JSON, or not a model for these features.

    """
    try:
        doc = json.loads(text)
        if doc["features"] != list(FEATURES):
            raise ValueError(f"features {doc['features']} != {list(FEATURES)}")
        parts = [
            Logistic(tuple(float(w) for w in doc[k]["weights"]), float(doc[k]["bias"]))
            for k in ("partial", "full")
        ]
        if any(len(p.weights) != len(FEATURES) for p in parts):
            raise ValueError("wrong number of weights")
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"判定モデル {source} を読めません: {exc}", f"verdict model {source} is unusable: {exc}"
        ) from exc
    accuracy = doc.get("accuracy")
    return VerdictModel(
        parts[0],
        parts[1],
        str(doc.get("fitted_on", "")),
        None if accuracy is None else float(accuracy),
    )


def load_model(path: Path | None = None) -> VerdictModel:
    """The built-in model, or the one in ``path``."""
    if path is None:
        text = resources.files("copilot.drafting").joinpath("verdict_model.json").read_text("utf-8")
        return parse_model(text, "verdict_model.json")
    return parse_model(path.read_text(encoding="utf-8"), str(path))
