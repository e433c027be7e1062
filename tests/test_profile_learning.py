"""Learning from sign-off into the profiles: a lead's corrected verdict becomes a suggestion.

Real review store (SQLite) and real drafts: a judgement made from a profile is stored, a lead
corrects its verdict and another lead signs it off; the suggestions name the element, the
sentence and the words, are written for review where no profile is read from, and change nothing
by themselves.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from copilot.audit.profile_learning import suggest, write_suggestions
from copilot.cli.main import main
from copilot.drafting.profile_judgement import judge_by_profile
from copilot.drafting.profiles import load_profiles
from copilot.review.store import ReviewStore, open_store
from copilot.schemas import ChecklistJudgement
from copilot.settings import load_settings
from tests.test_profile_judgement import PROFILES, SUB, contract


def _users(store: ReviewStore) -> None:
    store.add_user("admin", "管理者", "admin", "admin-pass-1")
    store.add_user("sato", "佐藤", "auditor", "sato-pass-1", by="admin")
    store.add_user("suzuki", "鈴木", "lead", "suzuki-pass-1", by="admin")
    store.add_user("tanaka", "田中", "lead", "tanaka-pass-1", by="admin")


def _stored(store: ReviewStore, j: ChecklistJudgement) -> int:
    run = store.record_run(
        "checklist",
        {"contract": "C-T"},
        settings_digest="test",
        drafter="evidence",
        model="rules",
        prompt="checklist_judgement",
        prompt_version="evidence-7",
        prompt_hash="test",
        evidence_ids=[c.clause_id for c in j.evidence],
        user="sato",
    )
    return store.add_draft(run, "checklist_judgement", f"C-T/{j.item}", j, "sato")


def test_a_lowered_verdict_suggests_the_quoted_sentence_as_a_look_alike(isolated_env: Path) -> None:
    settings = load_settings()
    j = judge_by_profile(
        SUB,
        "C-T",
        contract(
            "乙は、甲の承諾を得た場合に限り、業務の一部を第三者に委託することができる。",
            "乙は、再委託先に対し、本契約に定める乙の義務と同等の義務を負わせなければならない。",
        ),
        PROFILES["subcontracting"],
        0.5,
    )
    assert j.verdict == "反映あり"
    assert j.profile == f"subcontracting@{PROFILES['subcontracting'].version}"
    assert [e.status for e in j.elements] == ["met", "met"]
    with open_store(settings) as store:
        _users(store)
        draft = _stored(store, j)
        lowered = {**j.model_dump(mode="json"), "verdict": "一部反映", "answer": "いいえ"}
        store.edit(draft, lowered, "suzuki", "承諾ではなく事前の承認を求めるべき")
        store.approve(draft, "tanaka")
        found = suggest(settings, store)
    approval = PROFILES["subcontracting"].elements[0]
    look_alikes = [s for s in found if s.kind == "look_alike"]
    assert {s.element for s in look_alikes} == {"prior_approval", "same_duties"}
    first = next(s for s in look_alikes if s.element == approval.id)
    assert first.sentence == j.elements[0].quote and first.signed_by == "tanaka"
    assert (first.draft, first.contract, first.item) == (draft, "C-T", "1-5-1")

    (path,) = write_suggestions(settings, found)
    assert path.parent == isolated_env / "profiles" / "suggestions"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert any(s["sentence"] == first.sentence for s in data["suggestions"])
    # written for review only: the profiles the drafter reads are as they were
    assert set(load_profiles(settings)) == set(PROFILES)
    assert load_profiles(settings)["subcontracting"] == PROFILES["subcontracting"]


def test_a_raised_verdict_suggests_the_leads_quote_as_a_new_expression(
    isolated_env: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings()
    evidence = contract(
        "乙は、本業務の処理を他の事業者に行わせるときは、あらかじめ甲の書面による了解を得なければならない。",
        "乙は、再委託先に対し、本契約に定める乙の義務と同等の義務を負わせなければならない。",
    )
    j = judge_by_profile(SUB, "C-T", evidence, PROFILES["subcontracting"], 0.5)
    assert j.verdict == "一部反映"
    assert [e.status for e in j.elements] == ["missing", "met"]
    clause = evidence.scan[1]
    with open_store(settings) as store:
        _users(store)
        draft = _stored(store, j)
        raised = j.model_dump(mode="json")
        raised["verdict"], raised["answer"] = "反映あり", "はい"
        raised["evidence"] = [
            *raised["evidence"],
            {
                "clause_id": clause.clause_id,
                "document": clause.doc_id,
                "clause_path": clause.path,
                "page": clause.page,
                "quote": clause.text,
                "note": "",
            },
        ]
        store.edit(draft, raised, "suzuki", "他の事業者に行わせる＝再委託")
        store.approve(draft, "tanaka")
    assert main(["checklist", "suggest", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (s,) = out["suggestions"]
    assert (s["kind"], s["element"], s["sentence"]) == ("expression", "prior_approval", clause.text)
    # the words offered are not yet expressions of the element (the sentence holds none of them)
    assert s["words"] and not set(s["words"]) & set(PROFILES["subcontracting"].elements[0].terms[0])
    assert len(out["files"]) == 1 and Path(out["files"][0]).is_file()


def test_a_verdict_signed_as_drafted_suggests_nothing(isolated_env: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings()
    j = judge_by_profile(
        SUB,
        "C-T",
        contract("乙は、秘密を保持しなければならない。"),
        PROFILES["subcontracting"],
        0.5,
    )
    with open_store(settings) as store:
        _users(store)
        store.approve(_stored(store, j), "tanaka")
    assert main(["checklist", "suggest"]) == 0
    assert "提案なし" in capsys.readouterr().out
    assert not (isolated_env / "profiles" / "suggestions").exists()
