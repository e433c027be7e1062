"""Learning this city's judgement from sign-off: the refit of the verdict model and its use."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from copilot.audit import learning
from copilot.audit.checklist_run import run_checklist
from copilot.audit.checklists import import_checklist
from copilot.cli.main import main
from copilot.drafting.evidence import EvidenceDrafter
from copilot.drafting.verdict_fit import fit_scores, shipped_cases
from copilot.drafting.verdicts import FEATURES, LEVELS, decide
from copilot.errors import UserError
from copilot.review.checklist_runs import save_checklist_run
from copilot.review.store import ReviewStore, open_store
from copilot.services import build_services
from copilot.settings import load_settings
from tests.conftest import CORPUS

CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
PASSWORDS = {"admin": "admin-pass-1", "sato": "lead-pass-12", "tanaka": "auditor-pass-3"}


def _users(store: ReviewStore) -> None:
    store.add_user("admin", "管理者", "admin", PASSWORDS["admin"])
    store.add_user("sato", "佐藤 花子", "lead", PASSWORDS["sato"], by="admin")
    store.add_user("tanaka", "田中 一郎", "auditor", PASSWORDS["tanaka"], by="admin")


def _judgement(item: str, contract: str, verdict: str, x: tuple[float, ...]) -> dict:
    return {
        "item": item,
        "contract": contract,
        "verdict": verdict,
        "answer": "いいえ" if verdict == "反映なし" else "はい",
        "rationale": "試験用の判定",
        "measurements": dict(zip(FEATURES, x, strict=True)),
    }


def _signed(store: ReviewStore, rows: list[tuple[str, str, str, str | None]], x) -> list[int]:
    """Drafts (item, contract, drafted verdict, corrected verdict or None) signed off by the lead."""
    run = store.record_run(
        "checklist_run",
        {"contract": "test"},
        settings_digest="",
        drafter="evidence",
        model="rules",
        prompt="checklist_judgement",
        prompt_version="",
        prompt_hash="",
        evidence_ids=[],
        user="tanaka",
    )
    ids = []
    for item, contract, drafted, corrected in rows:
        payload = _judgement(item, contract, drafted, x)
        d = store.add_draft(run, "checklist_judgement", f"{contract}/{item}", payload, "tanaka")
        if corrected:
            store.edit(d, {**payload, "verdict": corrected}, "tanaka", "判定を修正")
        store.approve(d, "sato")
        ids.append(d)
    return ids


def test_a_weighted_case_counts_as_that_many_copies():
    """Weight 2 is the same fit as the case twice: the city's sign-offs count by their weight."""
    cases = shipped_cases()[:60]
    twice = [*cases, *cases[:10]]
    weighted = [replace(c, weight=2.0) if k < 10 else c for k, c in enumerate(cases)]
    a, b = fit_scores(twice), fit_scores(weighted)
    for la, lb in ((a.partial, b.partial), (a.full, b.full)):
        assert la.bias == pytest.approx(lb.bias, rel=1e-6, abs=1e-6)
        assert la.weights == pytest.approx(lb.weights, rel=1e-6, abs=1e-6)


def test_the_shipped_cases_are_the_four_sets_with_their_verdicts():
    cases = shipped_cases()
    assert {c.group.split("/")[0] for c in cases} == {
        "checklist_judgements",
        "heldout",
        "blind",
        "blind2",
    }
    assert {c.want for c in cases} == set(LEVELS)
    assert all(len(c.x) == len(FEATURES) for c in cases)
    assert all(c.hedged == (c.x[FEATURES.index("hedged")] >= 0.5) for c in cases)


def test_what_a_signoff_teaches(tmp_path: Path):
    """The newest signed-off draft of an item counts, with the lead's verdict; a draft still
    open, a rejected one, 要確認, or one without measurements teaches nothing."""
    x = shipped_cases()[0].x
    with ReviewStore(tmp_path / "review.sqlite") as store:
        _users(store)
        first = _signed(store, [("1-1-1", "C-1", "反映あり", None)], x)
        newer = _signed(store, [("1-1-1", "C-1", "反映あり", "一部反映")], x)
        _signed(store, [("1-1-2", "C-1", "一部反映", "要確認")], x)
        run = store.record_run(
            "checklist_run", {}, settings_digest="", drafter="llm", model="m", prompt="p",
            prompt_version="", prompt_hash="", evidence_ids=[], user="tanaka",
        )  # fmt: skip
        bare = {k: v for k, v in _judgement("1-2-1", "C-1", "反映なし", x).items()}
        del bare["measurements"]
        d = store.add_draft(run, "checklist_judgement", "C-1/1-2-1", bare, "tanaka")
        store.approve(d, "sato")
        open_one = store.add_draft(
            run, "checklist_judgement", "C-1/1-3-1", _judgement("1-3-1", "C-1", "反映なし", x),
            "tanaka",
        )  # fmt: skip
        rejected = store.add_draft(
            run, "checklist_judgement", "C-1/1-3-2", _judgement("1-3-2", "C-1", "反映なし", x),
            "tanaka",
        )  # fmt: skip
        store.reject(rejected, "sato", "根拠が違う")
        cases, unusable = learning.signed_off_cases(store)
    assert [(c.draft_id, c.item, c.case.want) for c in cases] == [(newer[0], "1-1-1", "一部反映")]
    assert first[0] != newer[0] and open_one not in [c.draft_id for c in cases]
    assert unusable == 2  # the 要確認 one and the one without measurements


def test_a_refit_needs_a_lead_and_enough_signoffs(tmp_path: Path, isolated_env: Path):
    settings = load_settings()
    x = shipped_cases()[0].x
    with open_store(settings) as store:
        _users(store)
        rows = [(f"1-{k}", "C-1", "反映あり", None) for k in range(learning.MIN_SIGNED - 1)]
        _signed(store, rows, x)
        with pytest.raises(UserError) as exc:
            learning.refit(settings, store, "sato")
        assert f"{learning.MIN_SIGNED} 件以上" in exc.value.ja
        assert not settings.verdict_model_file.exists()
        _signed(store, [("9-9", "C-2", "反映なし", None)], x)
        with pytest.raises(UserError) as exc:
            learning.refit(settings, store, "tanaka")  # an auditor
        assert "主任担当者" in exc.value.ja
        assert not settings.verdict_model_file.exists()
        report = learning.refit(settings, store, "sato", dry_run=True)
        assert report.signed == learning.MIN_SIGNED and not report.written
        assert not settings.verdict_model_file.exists()


def test_a_city_that_judges_strictly_teaches_the_drafter_to(
    corpus_data_dir: Path, tmp_path: Path, monkeypatch, capsys
):
    """The lead corrects every judgement of one contract to 反映なし and refits: the drafter
    then judges another contract with the data folder's model, named in the provenance, and
    leans further to 反映なし; the refit is in the verified log; a discard goes back.

    The fitted model decides the items no requirement profile matches (another city's own
    items): the drafters here judge every item that way."""
    data = tmp_path / "data"
    shutil.copytree(corpus_data_dir, data)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    settings = load_settings()
    checklist = import_checklist(CHECKLIST)
    services = build_services(settings)
    try:
        with open_store(settings) as store:
            _users(store)
            shipped = EvidenceDrafter(settings)
            shipped.profiles = {}  # every item judged by its wording, as an unprofiled item is
            assert shipped.model.startswith("rules+shipped:")
            run = run_checklist(services, checklist, "C-2026-001", shipped)
            assert all(
                sorted(j.measurements) == sorted(FEATURES) for j in run.judgements
            )  # every judgement keeps what a refit learns from
            save_checklist_run(store, store.get_user("tanaka"), services, run, CHECKLIST)
            for d in store.list_drafts(kind="checklist_judgement"):
                if d.payload["verdict"] != "反映なし":
                    store.edit(d.id, {**d.payload, "verdict": "反映なし"}, "tanaka", "厳しめに")
                store.approve(d.id, "sato")
            report = learning.refit(settings, store, "sato")
            assert report.written and report.signed == len(checklist.items)
            assert report.contracts == ["C-2026-001"]
            assert settings.verdict_model_file.is_file()
            assert (settings.verdict_model_file.stat().st_mode & 0o077) == 0
            logged = store.get_run(report.run_id)
            assert logged.task == "verdict_refit" and logged.user == "sato"
            assert len(logged.inputs["drafts"]) == report.signed
            assert store.verify().ok

            local = EvidenceDrafter(settings)
            local.profiles = {}
            assert local.model == f"rules+local:{report.model.digest}"
            other = run_checklist(services, checklist, "C-2026-002", local)
            assert {j.provenance.model for j in other.judgements} == {local.model}
            before = [decide(shipped.verdict_model, _x(j), _hedged(j)) for j in other.judgements]
            after = [decide(local.verdict_model, _x(j), _hedged(j)) for j in other.judgements]
            p_none = [d.probabilities["反映なし"] for d in after]
            assert sum(p_none) > sum(d.probabilities["反映なし"] for d in before)
            assert sum(d.leaning == "反映なし" for d in after) >= sum(
                d.leaning == "反映なし" for d in before
            )

            assert main(["review", "refit", "--status"]) == 0
            assert "この市の署名済み判定で再学習" in capsys.readouterr().out
            assert learning.discard(settings, store, "sato")
            assert not settings.verdict_model_file.exists()
            assert EvidenceDrafter(settings).model == shipped.model
            assert store.verify().ok
    finally:
        services.close()


def _x(j) -> tuple[float, ...]:
    return tuple(j.measurements[f] for f in FEATURES)


def _hedged(j) -> bool:
    return j.measurements["hedged"] >= 0.5


def test_the_cli_refit_refuses_an_auditor_in_both_languages(isolated_env, monkeypatch, capsys):
    settings = load_settings()
    with open_store(settings) as store:
        _users(store)
    monkeypatch.setenv("COPILOT_USER", "tanaka")
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS["tanaka"])
    assert main(["review", "refit"]) != 0
    err = capsys.readouterr().err
    assert "主任担当者" in err and "lead" in err
    assert not settings.verdict_model_file.exists()


def test_a_broken_local_model_is_named_with_the_fix(isolated_env):
    settings = load_settings()
    settings.verdict_model_file.parent.mkdir(parents=True, exist_ok=True)
    settings.verdict_model_file.write_text(json.dumps({"features": ["x"]}), encoding="utf-8")
    with pytest.raises(UserError) as exc:
        EvidenceDrafter(settings)
    assert str(settings.verdict_model_file) in exc.value.ja
    assert "refit" in exc.value.en
