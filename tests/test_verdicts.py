"""The evidence drafter's verdict model: the shipped file, its reading, and the decision."""

from __future__ import annotations

import json

import pytest

from copilot.drafting.verdicts import FEATURES, Logistic, VerdictModel, decide, load_model
from copilot.errors import UserError
from copilot.settings import Settings


def test_the_shipped_model_reads_and_orders_verdicts_by_support():
    model = load_model()
    cuts = Settings().evidence_partial, Settings().evidence_full
    weak = (0.0, -1.0, -1.0, 0.0, 0.0)  # no key term, unlike the sample wording
    strong = (1.0, 1.0, 1.0, 1.0, 0.0)  # every term, close to the sample wording
    assert decide(model, weak, False, *cuts) == "反映なし"
    assert decide(model, strong, False, *cuts) == "反映あり"
    assert model.probabilities(strong)[1] > model.probabilities(weak)[1]


def test_hedged_wording_is_never_reflected():
    sure = Logistic((0.0,) * len(FEATURES), 20.0)
    model = VerdictModel(sure, sure)
    assert decide(model, (0.0,) * len(FEATURES), True, 0.5, 0.5) == "一部反映"
    assert decide(model, (0.0,) * len(FEATURES), False, 0.5, 0.5) == "反映あり"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"features": ["coverage"], "partial": {}, "full": {}}),
        json.dumps(
            {
                "features": list(FEATURES),
                "partial": {"weights": [1.0], "bias": 0.0},
                "full": {"weights": [1.0], "bias": 0.0},
            }
        ),
    ],
)
def test_an_unusable_model_file_is_named_in_both_languages(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_model(path)
    assert str(path) in caught.value.ja and str(path) in caught.value.en
