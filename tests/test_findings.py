"""Findings drafted from checklist judgements and from self-check answers, through the CLI."""

from __future__ import annotations

import json

from copilot.cli.main import main
from tests.conftest import CORPUS


def _check_citations(services, citations, kinds):
    for c in citations:
        stored = services.index.clauses([c["clause_id"]])[c["clause_id"]]
        assert stored.kind in kinds
        assert c["quote"] in stored.text
        assert (c["document"], c["clause_path"]) == (stored.doc_id, stored.path)


def test_findings_from_a_contract_rest_on_policy_and_contract_quotes(corpus_services, capsys):
    assert (
        main(
            [
                "findings",
                "draft",
                "--contract",
                "C-2026-003",
                "--division",
                "学校教育課",
                "--json",
                "--no-save",
            ]
        )
        == 0
    )
    (draft,) = json.loads(capsys.readouterr().out)
    assert draft["division"] == "学校教育課"
    findings = draft["findings"]
    # the sample contract C-2026-003 leaves most of the checklist unaddressed
    assert len(findings) >= 10
    assert {f["rating"] for f in findings} <= {"指摘", "意見"}
    assert any(f["rating"] == "指摘" for f in findings)
    for f in findings:
        assert f["finding"] and f["risk"] and f["recommendation"]
        assert f["criteria"], f["title"]
        _check_citations(corpus_services, f["criteria"], {"policy", "guideline"})
        _check_citations(corpus_services, f["evidence"], {"contract"})
        assert not f["title"].startswith("【要確認】")


def test_findings_from_self_check_answers(corpus_services, capsys):
    sheet = CORPUS / "self_check" / "自己点検シート_税務課.xlsx"
    assert main(["findings", "draft", "--selfcheck", str(sheet), "--json", "--no-save"]) == 0
    (draft,) = json.loads(capsys.readouterr().out)
    assert "税務課" in draft["division"]
    assert len(draft["findings"]) == 1  # the sheet answers いいえ once
    finding = draft["findings"][0]
    assert "いいえ" in finding["finding"]
    _check_citations(corpus_services, finding["criteria"], {"policy", "guideline"})


def test_findings_need_exactly_one_source(corpus_services, capsys):
    assert main(["findings", "draft"]) == 2
    assert "--contract" in capsys.readouterr().err


def test_ledger_and_triage_commands(corpus_services, capsys):
    ledger = CORPUS / "ledger" / "外部サービス利用管理台帳.xlsx"
    assert main(["ledger", "check", "--ledger", str(ledger), "--contract", "C-2026-002"]) == 0
    out = capsys.readouterr().out
    assert "第三者認証" in out and "不一致" in out
    sheets = sorted(str(p) for p in (CORPUS / "self_check").glob("*.xlsx"))
    assert main(["selfcheck", "triage", *sheets, "--json"]) == 0
    triage = json.loads(capsys.readouterr().out)
    assert triage["divisions"][0]["division"].endswith("福祉政策課")


def test_drafting_without_a_named_user_is_refused_before_any_work(corpus_services, capsys):
    assert main(["findings", "draft", "--contract", "C-2026-003"]) == 2
    err = capsys.readouterr().err
    assert "--user" in err and "--no-save" in err
