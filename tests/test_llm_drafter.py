"""The LLM drafter end to end against a real llama-cpp-python server on loopback.

The model is the tiny random-weight GGUF from tests/tiny_gguf.py: it writes schema-shaped
JSON with arbitrary content, which is exactly what the validation and the citation gate exist
for. With quotes constrained by the schema every draft it makes is checkable and passes; with
free-text quotes it invents words, and the gate turns each draft into 要確認 after the retries.
"""

from __future__ import annotations

import json
import time

import pytest

from copilot.audit.ask import ask
from copilot.audit.checklist_run import judge_item
from copilot.audit.checklists import import_checklist
from copilot.cli.main import main
from copilot.drafting.drafters import make_drafter
from copilot.drafting.profiles import load_profiles
from copilot.errors import UserError
from copilot.services import build_services
from copilot.settings import load_settings
from tests.conftest import CORPUS
from tests.llm_server import free_port
from tests.test_profiles import broken_japanese

CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"

pytestmark = pytest.mark.llm


@pytest.fixture
def llm_services(corpus_data_dir, llm_server_url, monkeypatch):
    monkeypatch.setenv("COPILOT_DATA_DIR", str(corpus_data_dir))
    monkeypatch.setenv("COPILOT_LLM_BASE_URL", llm_server_url)
    monkeypatch.setenv("COPILOT_LLM_MODEL", "tiny-random-llama")
    monkeypatch.setenv("COPILOT_LLM_DIALECT", "json_object_schema")
    monkeypatch.setenv("COPILOT_LLM_TIMEOUT_S", "60")
    services = build_services(load_settings())
    yield services
    services.close()


def _items(n: int):
    return import_checklist(CHECKLIST).items[:n]


def test_valid_structured_output_is_accepted_with_verified_quotes(llm_services):
    drafter = make_drafter("llm", llm_services.settings)
    drafter.profiles = {}  # the path of an item that no requirement profile matches
    for item in _items(3):
        j = judge_item(llm_services, drafter, item, "C-2026-001")
        assert j.verdict != "要確認", j.rationale
        assert j.provenance is not None and j.provenance.drafter == "llm"
        assert j.provenance.model == "tiny-random-llama"
        assert j.provenance.prompt == "checklist_judgement" and j.provenance.prompt_version == "v2"
        # the same footing as the evidence drafter: a confidence, and 要確認 below the cut
        assert (
            j.confidence is not None and j.confidence >= llm_services.settings.evidence_review_below
        )
        assert j.leaning == j.verdict
        for c in [*j.evidence, *j.basis]:
            stored = llm_services.index.clauses([c.clause_id])[c.clause_id]
            assert c.quote in stored.text
            assert (c.document, c.clause_path) == (stored.doc_id, stored.path)
        for c in j.evidence:
            assert c.document.startswith("contracts/C-2026-001/")


def test_invented_quotes_are_rejected_and_retries_end_in_needs_review(llm_services, monkeypatch):
    monkeypatch.setenv("COPILOT_LLM_CONSTRAIN_QUOTES", "false")
    monkeypatch.setenv("COPILOT_LLM_RETRIES", "1")
    settings = load_settings()
    drafter = make_drafter("llm", settings)
    drafter.profiles = {}  # the path of an item that no requirement profile matches
    item = _items(1)[0]
    j = judge_item(llm_services, drafter, item, "C-2026-001")
    assert j.verdict == "要確認" and j.answer == "未回答"
    assert "検証" in j.rationale
    assert j.evidence == []
    assert j.provenance is not None and j.provenance.attempts == 2


def test_an_item_with_a_profile_is_answered_element_by_element(llm_services):
    """Whatever the model says of each element, the verdict follows the rule, the quotes are the
    contract's sentences word for word (one per element at most) and the texts a city receives
    are the profile's own sentences, never the model's."""
    drafter = make_drafter("llm", llm_services.settings)
    item = next(i for i in import_checklist(CHECKLIST).items if i.id == "1-5-1")
    profile = load_profiles()["subcontracting"]
    j = judge_item(llm_services, drafter, item, "C-2026-001")
    assert j.provenance is not None and j.provenance.drafter == "llm"
    assert (j.provenance.prompt, j.provenance.prompt_version) == ("checklist_elements", "v1")
    assert len(j.evidence) <= len(profile.elements)
    for c in j.evidence:
        stored = llm_services.index.clauses([c.clause_id])[c.clause_id]
        assert c.quote in stored.text and c.document.startswith("contracts/C-2026-001/")
    rest = j.proposed_wording
    for e in profile.elements:
        rest = rest.replace(e.proposal, "")
    assert rest == ""
    if j.verdict == "反映なし":
        assert j.evidence == [] and j.proposed_wording and j.alternative_measure


def test_ask_through_the_llm_cites_only_policy_text(llm_services):
    drafter = make_drafter("llm", llm_services.settings)
    answer = ask(llm_services, "外部サービスの利用承認の手続", drafter)
    assert answer.citations
    for c in answer.citations:
        stored = llm_services.index.clauses([c.clause_id])[c.clause_id]
        assert stored.kind in ("policy", "guideline") and c.quote in stored.text


def test_checklist_run_cli_with_the_llm(llm_services, tmp_path, capsys):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["設問", "確認項目", "回答"])
    for item in _items(2):
        ws.append([item.id, item.text, "□はい　□いいえ"])
    path = tmp_path / "short.xlsx"
    wb.save(str(path))
    argv = [
        "checklist",
        "run",
        "--checklist",
        str(path),
        "--contract",
        "C-2026-002",
        "--drafter",
        "llm",
        "--json",
        "--no-save",
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert [j["item"] for j in out["judgements"]] == ["1-1-1", "1-2-1"]
    assert all(j["provenance"]["drafter"] == "llm" for j in out["judgements"])


def test_server_down_gives_a_clear_error_quickly(corpus_data_dir, monkeypatch, capsys):
    monkeypatch.setenv("COPILOT_DATA_DIR", str(corpus_data_dir))
    monkeypatch.setenv("COPILOT_LLM_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("COPILOT_LLM_TIMEOUT_S", "5")
    started = time.monotonic()
    assert main(["ask", "パスワードの長さ", "--drafter", "llm", "--no-save"]) == 2
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert "LLM サーバ" in err and "COPILOT_LLM_BASE_URL" in err and "Traceback" not in err
    settings = load_settings()
    with pytest.raises(UserError):
        drafter = make_drafter("llm", settings)
        services = build_services(settings)
        try:
            judge_item(services, drafter, _items(1)[0], "C-2026-001")
        finally:
            services.close()


def test_instructions_inside_a_contract_are_never_accepted_as_llm_evidence(
    injected_index, llm_server_url, monkeypatch
):
    monkeypatch.setenv("COPILOT_LLM_BASE_URL", llm_server_url)
    monkeypatch.setenv("COPILOT_LLM_DIALECT", "json_object_schema")
    drafter = make_drafter("llm", load_settings())
    for item in _items(4):
        j = judge_item(injected_index, drafter, item, "C-INJECTED")
        assert all("指示" not in c.quote for c in j.evidence), item.id


def test_a_reply_cut_off_at_the_token_limit_says_so(llm_services, monkeypatch):
    monkeypatch.setenv("COPILOT_LLM_MAX_TOKENS", "16")
    monkeypatch.setenv("COPILOT_LLM_RETRIES", "0")
    drafter = make_drafter("llm", load_settings())
    j = judge_item(llm_services, drafter, _items(1)[0], "C-2026-001")
    assert j.verdict == "要確認"
    assert "COPILOT_LLM_MAX_TOKENS=16" in j.rationale


def _cut_off_drafter(monkeypatch):  # type: ignore[no-untyped-def]
    """A drafter whose every reply stops mid-JSON, so no draft passes and it ends in 要確認."""
    monkeypatch.setenv("COPILOT_LLM_MAX_TOKENS", "16")
    monkeypatch.setenv("COPILOT_LLM_RETRIES", "0")
    return make_drafter("llm", load_settings())


def test_a_needs_review_with_a_profile_still_advises_from_the_profile(llm_services, monkeypatch):
    """No reply passed: the advice is the evidence drafter's for the same item, the profile's own
    sentences for each element missing or soft, and the proposed wording the profile's 記載例."""
    drafter = _cut_off_drafter(monkeypatch)
    item = next(i for i in import_checklist(CHECKLIST).items if i.id == "1-5-1")
    j = judge_item(llm_services, drafter, item, "C-2026-001")
    assert j.verdict == "要確認" and j.evidence == []
    assert j.advice and not broken_japanese(j.advice), j.advice
    rules = judge_item(
        llm_services, make_drafter("evidence", llm_services.settings), item, "C-2026-001"
    )
    if rules.advice:
        assert j.advice == rules.advice
        assert j.proposed_wording == rules.proposed_wording
    profile = load_profiles()["subcontracting"]
    rest = j.proposed_wording
    for e in profile.elements:
        rest = rest.replace(e.proposal, "")
    assert rest == ""


def test_a_needs_review_without_a_profile_says_what_to_look_for(llm_services, monkeypatch):
    drafter = _cut_off_drafter(monkeypatch)
    drafter.profiles = {}  # the path of an item that no requirement profile matches
    for item in _items(2):
        j = judge_item(llm_services, drafter, item, "C-2026-001")
        assert j.verdict == "要確認"
        assert j.advice and not broken_japanese(j.advice), j.advice
        assert "原文で確かめる" in j.advice
