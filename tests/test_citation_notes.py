"""A citation's note (OCR, a mail's sender and date) is shown with its quote on every face.

A small corpus the test writes (a contract and a policy as .txt, the sample checklist) is ingested
for real; one contract clause and one policy clause are then marked as read by OCR, as the OCR
reader would have marked them. Real evidence-drafter runs through the CLI, the Word and Excel
exports and the UI's rendering must show 「…」 followed by the OCR note for those clauses only.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from copilot.cli.main import main
from copilot.drafting.citations import OCR_NOTE
from copilot.review.store import open_store
from copilot.schemas import Answer, Citation
from copilot.services import build_services
from copilot.settings import load_settings
from tests.conftest import CORPUS
from tests.test_page import MD, TAG, shown
from ui.sources import answer_md, citations_html

CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
CONTRACT = "C-OCR"
DIVISION = "情報政策課"
PASSWORD = "auditor-pass-3"

CONTRACT_TEXT = """業務委託契約書

第1条（目的）
本契約は、市が受託者に委託する電子申請サービスの提供について必要な事項を定める。

第2条（再委託）
受託者は、本業務の一部を第三者に再委託する場合には、あらかじめ市の書面による承認を得なければならない。受託者は、再委託先に本契約と同等の義務を課すものとする。

第3条（情報資産の保管場所）
受託者は、市の情報資産を日本国内に所在するデータセンターにおいてのみ保存し、又は処理するものとする。

第4条（秘密保持）
受託者は、本業務で知り得た市の情報を目的外に利用してはならず、その秘密を保持しなければならない。この義務は、契約終了後も存続する。
"""

POLICY_TEXT = """情報セキュリティ対策基準

第10条（外部サービスの利用）
外部サービスを利用する場合は、外部サービスに保存される市の情報の暗号化を外部サービス提供者に求めなければならない。

第11条（再委託）
外部サービス提供者が業務の一部を再委託する場合は、事前に市の承認を得させ、再委託先に同等の義務を課さなければならない。
"""


@pytest.fixture(scope="module")
def ocr_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A data folder with the corpus ingested, two clauses marked OCR and an auditor; their ids."""
    root = tmp_path_factory.mktemp("ocr-notes")
    docs = root / "docs"
    for folder, name, text in (
        (docs / "contracts" / CONTRACT, "契約書.txt", CONTRACT_TEXT),
        (docs / "policy", "対策基準.txt", POLICY_TEXT),
    ):
        folder.mkdir(parents=True)
        (folder / name).write_text(text, encoding="utf-8")
    (docs / "checklists").mkdir()
    shutil.copy(CHECKLIST, docs / "checklists" / CHECKLIST.name)
    data = root / "data"
    settings = load_settings(data_dir=data)
    services = build_services(settings)
    try:
        assert not services.ingest([docs]).failed
    finally:
        services.close()
    db = sqlite3.connect(str(data / "index" / "manifest.sqlite"))
    try:
        marked = (("contracts/C-OCR/契約書.txt", "第3条"), ("policy/対策基準.txt", "第10条"))
        ids = set()
        for doc, path in marked:
            rows = db.execute(
                "SELECT clause_id FROM clauses WHERE doc_id = ? AND path = ?", (doc, path)
            ).fetchall()
            assert len(rows) == 1, (doc, path, rows)
            ids.add(rows[0][0])
        db.executemany("UPDATE clauses SET ocr = 1 WHERE clause_id = ?", [(i,) for i in ids])
        db.commit()
    finally:
        db.close()
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤", "auditor", PASSWORD, by="admin")
    return data, ids


@pytest.fixture
def ocr_ids(ocr_corpus, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """A fresh copy of the OCR corpus at COPILOT_DATA_DIR, the auditor's password set; OCR ids."""
    data, ids = ocr_corpus
    shutil.copytree(data, isolated_env)
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORD)
    return ids


def _rest_of_line(text: str, quote: str, start: int = 0) -> str | None:
    """What follows the quote on its (last) line, or None when the quote is not there."""
    at = text.find(quote, start)
    return None if at < 0 else text[at + len(quote) :].split("\n", 1)[0]


def _noted_somewhere(texts: list[str], quote: str) -> bool:
    """Whether some text shows the quote with the OCR note after it on the same line."""
    for text in texts:
        at = text.find(quote)
        while at >= 0:
            if OCR_NOTE in (_rest_of_line(text, quote, at) or ""):
                return True
            at = text.find(quote, at + 1)
    return False


def _run_json(capsys) -> list[dict]:
    argv = ["checklist", "run", "--checklist", str(CHECKLIST), "--contract", CONTRACT]
    assert main([*argv, "--no-save", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["judgements"]


def test_checklist_run_prints_the_ocr_note_after_each_quote_of_an_ocr_clause(ocr_ids, capsys):
    judgements = _run_json(capsys)
    cites = [c for j in judgements for c in j["evidence"]]
    assert {c["clause_id"] for c in cites} & ocr_ids, "the OCR'd contract clause is cited"
    for c in cites:  # the note comes from the store, OCR clauses only
        assert c["note"] == (OCR_NOTE if c["clause_id"] in ocr_ids else "")

    argv = ["checklist", "run", "--checklist", str(CHECKLIST), "--contract", CONTRACT]
    assert main([*argv, "--no-save"]) == 0
    out = capsys.readouterr().out
    for c in cites:
        line = f"根拠: {c['document']} {c['clause_path']}「{c['quote']}」"
        rest = _rest_of_line(out, line)
        assert rest is not None, line
        assert rest == (f" ※{OCR_NOTE}" if c["clause_id"] in ocr_ids else ""), (line, rest)


def test_ask_prints_the_ocr_note_of_a_policy_clause(ocr_ids, capsys):
    assert main(["ask", "外部サービスに保存する情報の暗号化", "--no-save", "--json"]) == 0
    cites = json.loads(capsys.readouterr().out)["citations"]
    assert any(c["clause_id"] in ocr_ids for c in cites)
    assert main(["ask", "外部サービスに保存する情報の暗号化", "--no-save"]) == 0
    out = capsys.readouterr().out
    for n, c in enumerate(cites, start=1):
        page = f" p.{c['page']}" if c["page"] else ""
        assert f"■ {c['document']}" in out  # the quotes are listed under their document
        rest = _rest_of_line(out, f"[{n}] {c['clause_path']}{page}「{c['quote']}」")
        assert rest == (f" ※{OCR_NOTE}" if c["clause_id"] in ocr_ids else ""), (n, rest)


def _docx_texts(path: Path) -> list[str]:
    doc = Document(str(path))
    cells = [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    return [p.text for p in doc.paragraphs] + cells


def _xlsx_texts(path: Path) -> list[str]:
    wb = load_workbook(path)
    return [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value]


def test_word_and_excel_exports_show_the_ocr_note_after_the_quote(ocr_ids, tmp_path, capsys):
    judgements = _run_json(capsys)
    base = ["--checklist", str(CHECKLIST), "--contract", CONTRACT, "--user", "sato"]
    assert main(["checklist", "run", *base]) == 0
    capsys.readouterr()
    assert main(["findings", "draft", *base, "--division", DIVISION, "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)[0]["findings"]
    sheet, notice = tmp_path / "結果.xlsx", tmp_path / "通知.docx"
    argv = ["export", "checklist", "--contract", CONTRACT, "--checklist", str(CHECKLIST)]
    assert main([*argv, "--out", str(sheet), "--include-drafts"]) == 0
    argv = ["export", "notice", "--division", DIVISION, "--out", str(notice), "--include-drafts"]
    assert main(argv) == 0

    cells = _xlsx_texts(sheet)
    cited = [c for j in judgements for c in j["evidence"]]
    assert any(c["clause_id"] in ocr_ids for c in cited)
    for c in cited:
        assert _noted_somewhere(cells, c["quote"]) == (c["clause_id"] in ocr_ids), c["quote"]

    texts = _docx_texts(notice)
    cited = [c for f in findings for c in (*f["criteria"], *f["evidence"])]
    assert {c["clause_id"] for c in cited} >= ocr_ids, "both OCR'd clauses are in the notice"
    for c in cited:
        assert _noted_somewhere(texts, c["quote"]) == (c["clause_id"] in ocr_ids), c["quote"]


def test_ui_citations_show_the_note_escaped(ocr_ids, capsys):
    argv = ["checklist", "run", "--checklist", str(CHECKLIST), "--contract", CONTRACT]
    assert main([*argv, "--user", "sato"]) == 0
    settings = load_settings()
    services = build_services(settings)
    try:
        with open_store(settings) as store:
            drafts = store.list_drafts(kind="checklist_judgement", key_prefix=f"{CONTRACT}/")
            draft = next(
                d for d in drafts if any(c["clause_id"] in ocr_ids for c in d.payload["evidence"])
            )
            fields = {"evidence": "契約書類の根拠", "basis": "規程の根拠"}  # as the tab shows it
            cites = [*draft.payload["evidence"], *draft.payload["basis"]]
            found = services.index.clauses([c["clause_id"] for c in cites])
            page = citations_html(draft, found, fields)
            blocks = page.split("<p>[")[1:]  # one block per citation, in order
            assert len(blocks) == len(cites)
            for c, block in zip(cites, blocks, strict=True):
                assert (f"※{OCR_NOTE}" in block) == (c["clause_id"] in ocr_ids), block

            # a note holding markup (a mail's sender as written) is shown as text, not markup
            sender = "差出人: 山田 <img src=x onerror=alert(1)> & 佐藤"
            evidence = [{**c, "note": sender} for c in draft.payload["evidence"]]
            payload = {**draft.payload, "evidence": evidence}
            store.edit(draft.id, payload, "sato", "注記の表示確認")
            page = citations_html(store.get_draft(draft.id), found, fields)
            assert "<img" not in page and "※差出人: 山田 &lt;img src=x onerror=alert(1)&gt;" in page
            gone = citations_html(store.get_draft(draft.id), {}, fields)  # clauses not indexed
            assert "<img" not in gone and "&lt;img" in gone and "※差出人" in gone
    finally:
        services.close()


def test_answer_markdown_shows_the_note_as_text():
    note = "メール（差出人: 山田 <a href='http://203.0.113.9/'>x</a>・件名: [至急]）"
    cite = Citation(clause_id="c1", document="d", clause_path="第1条", quote="保存する", note=note)
    md = answer_md(
        Answer(question="q", text="回答", citations=[cite, cite.model_copy(update={"note": ""})])
    )
    assert not TAG.search(MD.render(md))
    lines = shown(md).splitlines()
    assert lines[-2].endswith(f"「保存する」 ※{note}")
    assert lines[-1].endswith("「保存する」")
