"""The evidence drafter's verdict model: the shipped file, its reading, and the decision."""

from __future__ import annotations

import json

import pytest

from copilot.drafting.verdicts import FEATURES, Logistic, VerdictModel, decide, load_model
from copilot.errors import UserError
from copilot.settings import Settings


def test_the_shipped_model_reads_and_orders_verdicts_by_support():
    model = load_model()
    weak = (0.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.0)  # no key term, unlike the sample wording
    strong = (1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0)  # every term and element, close to the wording
    assert decide(model, weak, False).leaning == "反映なし"
    assert decide(model, strong, False).leaning == "反映あり"
    assert model.probabilities(strong)[1] > model.probabilities(weak)[1]
    # and sure of both: neither goes to a person as 要確認
    review_below = Settings().evidence_review_below
    assert decide(model, weak, False).verdict(review_below) == "反映なし"
    assert decide(model, strong, False).verdict(review_below) == "反映あり"


def test_the_three_verdicts_share_the_probability_and_the_lean_is_the_likeliest():
    model = load_model()
    for x in [(0.5, 0.3, 0.2, 0.4, 0.0, 0.5, 0.2), (0.8, 0.5, 0.6, 0.7, 1.0, 0.8, 0.6)]:
        d = decide(model, x, bool(x[4]))
        assert sum(d.probabilities.values()) == pytest.approx(1.0)
        assert all(p >= 0 for p in d.probabilities.values())
        assert d.confidence == max(d.probabilities.values())
        assert d.probabilities[d.leaning] == d.confidence


def test_a_judgement_between_two_verdicts_is_sent_to_a_person():
    # 一部反映 or better at even odds, 反映あり never: 反映なし 0.5 / 一部反映 0.5
    even = Logistic((0.0,) * len(FEATURES), 0.0)
    never = Logistic((0.0,) * len(FEATURES), -60.0)
    d = decide(VerdictModel(even, never), (0.0,) * len(FEATURES), False)
    assert d.confidence == pytest.approx(0.5)
    assert d.verdict(0.6) == "要確認"
    assert d.verdict(0.5) == d.leaning


def test_a_higher_temperature_makes_the_model_less_sure():
    sure = Logistic((1.0,) * len(FEATURES), 0.0)
    x = (1.0,) * len(FEATURES)
    cold = decide(VerdictModel(sure, sure), x, False)
    warm = decide(VerdictModel(sure, sure, temperature=3.0), x, False)
    assert cold.leaning == warm.leaning == "反映あり"
    assert warm.confidence < cold.confidence


def test_hedged_wording_is_never_reflected():
    sure = Logistic((0.0,) * len(FEATURES), 20.0)
    model = VerdictModel(sure, sure)
    assert decide(model, (0.0,) * len(FEATURES), True).leaning == "一部反映"
    assert decide(model, (0.0,) * len(FEATURES), False).leaning == "反映あり"


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
