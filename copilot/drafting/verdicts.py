"""How the evidence drafter turns the support it measured into a verdict and a confidence.

Seven measurements of a checklist item against a contract's sentences (see ``FEATURES``) feed two
logistic scores: the probability that the contract addresses the item at all (一部反映 or better)
and the probability that it binds everything the item asks for (反映あり). Together they give a
probability for each of the three verdicts; the drafter leans to the likeliest, and that
probability is the judgement's confidence. When it is below the setting
``evidence_review_below`` (0.5: the lean is more likely wrong than right) the evidence sits between
two verdicts and the verdict is 要確認, with what is missing.

The weights were fitted with ``copilot eval checklist --sweep --model-out FILE`` on the project's
four judgement sets (``eval/golden``, ``eval/heldout``, ``eval/blind``, ``eval/blind2``: four
authors); the fitted model is ``verdict_model.json`` beside this module. Its ``temperature``
rescales both scores so that the confidences are calibrated: it is the one that best predicts each
set from a model fitted on the other three. ``copilot review refit`` fits the same model on a data
folder's own signed-off judgements (``copilot.audit.learning``), and the drafter then judges with
that one (``model_in_use``).

Why a fitted model and not hand-set thresholds: two thresholds on hand-weighted scores fitted our
golden set a little better (0.84 against 0.83) but carried over poorly to contracts written by
other people (0.59 and 0.52 on ``eval/heldout`` and ``eval/blind``); the fitted weights reached
0.67 and 0.62 there. The biggest single difference: a hedged top sentence is evidence that the
contract does address the item (一部反映), which the thresholds read as no support at all.
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
from copilot.settings import Settings

FEATURES = (
    "coverage",  # best sentence's weighted share of the item's key terms
    "similarity_example",  # best dense likeness to the sample wording (記載例), rescaled
    "similarity_item",  # best dense likeness to the item text, rescaled
    "detail",  # the top sentence's share of the item's and the sample wording's terms
    "hedged",  # 1 when the top sentence is vague or does not bind (drafting.terms.hedges_in)
    "facets_mean",  # the item's elements (drafting.facets): mean of each one's best coverage
    "facets_min",  # the least covered element's best coverage
)


@dataclass(frozen=True)
class Logistic:
    """P = 1 / (1 + exp(-(weights · x + bias))), x in the order of ``FEATURES``."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, x: Sequence[float], bias_scale: float = 1.0) -> float:
        """The logistic probability of the features."""
        z = self.bias * bias_scale + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))


@dataclass(frozen=True)
class VerdictModel:
    """The two logistic scores, their calibration, and where they were fitted."""

    partial: Logistic
    full: Logistic
    fitted_on: str = ""
    accuracy: float | None = None  # of the lean, on the judgements it was fitted on
    temperature: float = 1.0  # both scores' logits are divided by it (calibration)

    def probabilities(self, x: Sequence[float]) -> tuple[float, float]:
        """(P(一部反映 or better), P(反映あり)) for the features."""
        t = self.temperature
        return (
            self.partial.probability([v / t for v in x], 1 / t),
            self.full.probability([v / t for v in x], 1 / t),
        )

    def to_json(self) -> str:
        """The model as the JSON that ``load_model`` reads."""
        doc = {
            "features": list(FEATURES),
            "partial": {"weights": list(self.partial.weights), "bias": self.partial.bias},
            "full": {"weights": list(self.full.weights), "bias": self.full.bias},
            "temperature": self.temperature,
            "fitted_on": self.fitted_on,
            "accuracy": self.accuracy,
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"

    @property
    def digest(self) -> str:
        """Short hash of the model, part of every draft's rules hash."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


LEVELS = ("反映あり", "一部反映", "反映なし")


@dataclass(frozen=True)
class Decision:
    """What the model makes of one item: the verdict it leans to, and how sure it is."""

    leaning: str  # 反映あり / 一部反映 / 反映なし
    confidence: float  # the probability of the lean
    probabilities: dict[str, float]

    def verdict(self, review_below: float) -> str:
        """The lean, or 要確認 when it is less sure than ``review_below``."""
        return self.leaning if self.confidence >= review_below else "要確認"

    @property
    def runner_up(self) -> str:
        """The second likeliest verdict."""
        return sorted(LEVELS, key=lambda v: -self.probabilities[v])[1]


def decide(model: VerdictModel, x: Sequence[float], hedged: bool) -> Decision:
    """The probability of each verdict, and the likeliest.

    Wording that is vague or does not bind (``hedged``) is never 反映あり.
    """
    partial, full = model.probabilities(x)
    full = 0.0 if hedged else min(full, partial)
    probs = {"反映あり": full, "一部反映": partial - full, "反映なし": 1.0 - partial}
    leaning = max(LEVELS, key=lambda v: (probs[v], -LEVELS.index(v)))
    return Decision(leaning, probs[leaning], probs)


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
    temperature = float(doc.get("temperature", 1.0))
    if not temperature > 0:
        raise UserError(
            f"判定モデル {source} の temperature が正の数ではありません: {temperature}",
            f"verdict model {source}: temperature must be positive, not {temperature}",
        )
    return VerdictModel(
        parts[0],
        parts[1],
        str(doc.get("fitted_on", "")),
        None if accuracy is None else float(accuracy),
        temperature,
    )


def load_model(path: Path | None = None) -> VerdictModel:
    """The built-in model, or the one in ``path``."""
    if path is None:
        text = resources.files("copilot.drafting").joinpath("verdict_model.json").read_text("utf-8")
        return parse_model(text, "verdict_model.json")
    return parse_model(path.read_text(encoding="utf-8"), str(path))


def model_in_use(settings: Settings) -> tuple[VerdictModel, str]:
    """The model the evidence drafter judges with, and its name for the drafts' provenance.

    The data folder's own model (``settings.verdict_model_file``, written by
    ``copilot review refit`` from the lead's sign-offs) when there is one, else the shipped one.
    The name says which and the model's digest: ``rules+shipped:1a2b…`` or ``rules+local:3c4d…``.
    """
    path = settings.verdict_model_file
    if path.is_file():
        try:
            model = load_model(path)
        except UserError as exc:
            raise UserError(
                f"{exc.ja} 主任担当者が `copilot review refit` で作り直すか、"
                "`copilot review refit --discard` で同梱モデルに戻してください。",
                f"{exc.en}; a lead can make it again with `copilot review refit`, or go back "
                "to the shipped model with `copilot review refit --discard`.",
            ) from exc
        return model, f"rules+local:{model.digest}"
    model = load_model()
    return model, f"rules+shipped:{model.digest}"
