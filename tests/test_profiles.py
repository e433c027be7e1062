"""The requirement profiles: each one valid, its sentences judged as written, its texts sendable.

Every element of every profile carries sentences written for this test: ``accepts`` must meet the
element, ``rejects`` (look-alikes: the provider's discretion, the user's own duty, a disclaimer,
a weaker condition) must not. The texts a city would send (記載例, 代替措置, risk, advice) are
checked against the patterns of broken Japanese that fragment-gluing produced.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from copilot.audit.checklists import import_checklist
from copilot.cli.main import main
from copilot.drafting.elements import assess
from copilot.drafting.obligations import read_sentence
from copilot.drafting.profiles import (
    BUILTIN,
    Element,
    Profile,
    load_profiles,
    match_profile,
)
from copilot.errors import UserError
from copilot.settings import load_settings
from tests.conftest import CORPUS

PROFILES = load_profiles()
ELEMENTS = [(p, e) for p in PROFILES.values() for e in p.elements]
CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"


def _id(pair: tuple[Profile, Element]) -> str:
    return f"{pair[0].id}.{pair[1].id}"


@pytest.mark.parametrize("pair", ELEMENTS, ids=[_id(p) for p in ELEMENTS])
def test_each_element_accepts_its_sentences_and_rejects_its_look_alikes(
    pair: tuple[Profile, Element],
) -> None:
    _, element = pair
    for sentence in element.accepts:
        status, why = assess(element, sentence, read_sentence(sentence))
        assert status == "met", (sentence, status, why)
    for sentence in element.rejects:
        status, _ = assess(element, sentence, read_sentence(sentence))
        assert status != "met", sentence


# --- the texts a city sends --------------------------------------------------------------------

# a verb (or an adjective) directly before について: 「取得しているについて」
_VERB_BEFORE_NITSUITE = re.compile(r"[るうくすつぬぶむぐた]について|ないについて")
# a particle or conjunction said twice: 「削除し又は又は無効化する」
_DOUBLED = re.compile(r"(又は|及び|並びに|若しくは|を|が|に|は|の|で)\1")
# a sentence must end in a predicate: 「…する。」「…こと。」「…である。」「…おそれがある。」
_ENDING = re.compile(r"(?:[るうくすつぬぶむぐたいだ]|こと|とする|ます|です|られたい|されたい)$")
# a list of bare words in brackets: 「「受入」「報告書」「提出」に関する定め」
_WORD_LIST = re.compile(r"」「")


def broken_japanese(text: str) -> list[str]:
    """What is wrong with a text meant for a city (empty when it reads as Japanese)."""
    problems = []
    if _VERB_BEFORE_NITSUITE.search(text):
        problems.append("a verb before について")
    if m := _DOUBLED.search(text):
        problems.append(f"doubled {m.group(0)}")
    if _WORD_LIST.search(text):
        problems.append("a list of bare words")
    if not text.endswith("。"):
        problems.append("no full stop at the end")
    for sentence in filter(None, (s.strip() for s in text.split("。"))):
        if not _ENDING.search(sentence):
            problems.append(f"no predicate at the end of 「{sentence}」")
    return problems


def test_the_checks_for_broken_japanese_catch_what_was_sent_before() -> None:
    assert broken_japanese("認証を取得しているについて定めること。")
    assert broken_japanese("削除し又は又は無効化すること。")
    assert broken_japanese("「受入」「報告書」「提出」に関する定めを確認する。")
    assert broken_japanese("再委託先への同等の義務")
    assert not broken_japanese(
        "再委託に当たっては、事前に市の承認を得ることを明記するよう助言する。"
    )


@pytest.mark.parametrize("pair", ELEMENTS, ids=[_id(p) for p in ELEMENTS])
def test_every_text_of_every_element_reads_as_japanese(pair: tuple[Profile, Element]) -> None:
    _, element = pair
    for field in ("proposal", "alternative", "risk", "soft_advice"):
        text = getattr(element, field)
        assert broken_japanese(text) == [], (field, text)
    # the label is a noun phrase: 「準拠法: 第16条…」 must read
    assert not re.search(r"[るうくすつぬぶむぐたい、。]$|こと$", element.label), element.label


# --- matching a city's items ---------------------------------------------------------------------


def test_every_item_of_the_sample_checklist_finds_the_profile_written_for_it() -> None:
    checklist = import_checklist(CHECKLIST)
    for item in checklist.items:
        profile = match_profile(item.id, item.text, PROFILES)
        written_for = [p.id for p in PROFILES.values() if item.id in p.items]
        if written_for:
            assert profile is not None and profile.id in written_for, (item.id, profile)


def test_an_item_reworded_by_another_city_still_finds_its_profile() -> None:
    profile = match_profile(
        "5",
        "委託先が業務を下請けに出すときに市の許可を要することとしているか。",
        PROFILES,
    )
    assert profile is not None and profile.id == "subcontracting"
    profile = match_profile("9", "紛争時の裁判管轄及び準拠法は定められているか。", PROFILES)
    assert profile is not None and profile.id == "law_court"


def test_an_item_of_another_topic_finds_no_profile() -> None:
    assert match_profile("99", "庁舎の防火扉は閉鎖されているか。", PROFILES) is None


# --- a user's own profiles -----------------------------------------------------------------------


def _user_profile(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mine.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_users_profile_replaces_the_built_in_one_with_the_same_id(isolated_env: Path) -> None:
    original = (BUILTIN / "law_court.toml").read_text(encoding="utf-8")
    version = load_profiles(load_settings())["law_court"].version
    changed = original.replace(f"version = {version}", "version = 99").replace(
        'topic = "準拠法・管轄裁判所"', 'topic = "準拠法と裁判管轄"'
    )
    _user_profile(isolated_env / "profiles", changed)
    profiles = load_profiles(load_settings())
    assert profiles["law_court"].version == 99
    assert profiles["law_court"].topic == "準拠法と裁判管轄"
    assert set(PROFILES) <= set(profiles)


def test_a_broken_user_profile_is_named_with_the_field_to_fix(isolated_env: Path) -> None:
    path = _user_profile(isolated_env / "profiles", 'id = "x"\nversion = 1\ntopic = "試し"\n')
    with pytest.raises(UserError) as err:
        load_profiles(load_settings())
    assert str(path) in err.value.ja and "match" in err.value.ja
    path.write_text("id = [", encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_profiles(load_settings())
    assert str(path) in err.value.ja and "TOML" in err.value.ja


def test_the_cli_lists_and_checks_the_profiles(isolated_env: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["checklist", "profiles", "--check"]) == 0
    out = capsys.readouterr().out
    for profile in PROFILES.values():
        assert profile.id in out
    _user_profile(isolated_env / "profiles", 'id = "x"\n')
    assert main(["checklist", "profiles", "--check"]) == 2
    assert "mine.toml" in capsys.readouterr().err
