"""「原文を表示」: a cited clause's original page, drawn with the quote marked, and its neighbours.

The files are written by the tests (a PDF with reportlab, a scan drawn with Pillow, a .docx
with python-docx), ingested into a real index and drawn through ``copilot.source_pages``.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from copilot.services import build_services
from copilot.settings import load_settings
from copilot.source_pages import (
    CHANGED_NOTE,
    OCR_NOTE,
    TEXT_NOTE,
    cache_folder,
    source_pages,
)
from ingest.readers.convert import soffice
from ingest.render import DPI, HIGHLIGHT, OUTLINE
from ui.sources import citations_html, original_html

JA = "HeiseiMin-W3"
WANTED = "受託者は、個人情報を市の承認なく第三者に提供してはならない。"
QUOTE = "個人情報を市の承認なく第三者に提供してはならない"
A4 = (595.2756, 841.8898)
# where the sentence is set on page 2 (landscape A4), in PDF points from the bottom-left
X, Y, SIZE = 72.0, 400.0, 12.0


def _pdf(path: Path) -> Path:
    """Three pages: portrait, landscape (the sentence), portrait: the page drawn tells itself."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(JA))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(JA, SIZE)
    c.drawString(72, 760, "第1条 この契約は、業務の委託について定める。")
    c.showPage()
    c.setPageSize((A4[1], A4[0]))
    c.setFont(JA, SIZE)
    c.drawString(X, 480, "第2条 受託者は、業務を誠実に行わなければならない。")
    c.drawString(X, Y, "第3条 " + WANTED)
    c.drawString(X, 320, "第4条 受託者は、業務の終了後に資料を返還しなければならない。")
    c.showPage()
    c.setPageSize(A4)
    c.setFont(JA, SIZE)
    c.drawString(72, 760, "第5条 この契約に定めのない事項は、協議して定める。")
    c.showPage()
    c.save()
    return path


def _services(tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_services(load_settings(data_dir=tmp_path / "data"))


def _clause_with(services, doc_id: str, text: str):  # type: ignore[no-untyped-def]
    clauses = services.index.document_clauses(doc_id)
    return next(c for c in clauses if text in c.text)


def _ingest(services, path: Path) -> str:  # type: ignore[no-untyped-def]
    report = services.ingest([path], kind="contract", contract="C-TEST")
    assert not report.failed, report.failed
    return path.name


def _coloured_box(png: bytes, rgb: tuple[int, int, int]) -> tuple[int, int, int, int] | None:
    """The bounding box of the pixels of one colour."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = image.load()
    xs, ys = [], []
    for y in range(image.height):
        for x in range(image.width):
            if pixels[x, y] == rgb:
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def test_a_pdf_quote_on_page_2_is_drawn_on_page_2_with_the_quote_marked(tmp_path: Path):
    pdf = _pdf(tmp_path / "委託契約書.pdf")
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, pdf)
        rec = _clause_with(services, doc_id, QUOTE)
        [view] = source_pages(services.settings, services.index, [(rec, QUOTE)])
    finally:
        services.close()
    assert view.page == 2 and view.pages == 3
    assert view.marked and view.notes == ()
    image = Image.open(io.BytesIO(view.image or b""))
    assert image.width > image.height  # the landscape page, not the portrait ones around it
    scale = DPI / 72
    assert abs(image.width - A4[1] * scale) <= 2 and abs(image.height - A4[0] * scale) <= 2
    # the orange frame lies around the sentence: from its quote's start to the line's end
    box = _coloured_box(view.image or b"", OUTLINE[:3])
    assert box is not None
    left, top, right, bottom = box
    line_top = (A4[0] - Y - SIZE) * scale
    line_bottom = (A4[0] - Y + 0.3 * SIZE) * scale
    assert line_top - 8 <= top <= line_top + 8 and line_bottom - 8 <= bottom <= line_bottom + 8
    quote_left = (X + len("第3条 受託者は、") * SIZE) * scale
    assert abs(left - quote_left) <= 1.5 * SIZE * scale
    assert right <= (X + len("第3条 " + WANTED) * SIZE) * scale + 8
    # the neighbours are the clauses before and after it in the document
    assert view.before is not None and "誠実に" in view.before.text
    assert view.after is not None and "返還" in view.after.text
    assert HIGHLIGHT[3] < 255  # translucent: the text under the mark stays readable


def test_the_view_is_html_with_the_page_inline_and_no_server_path(tmp_path: Path):
    pdf = _pdf(tmp_path / "委託契約書.pdf")
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, pdf)
        rec = _clause_with(services, doc_id, QUOTE)
        [view] = source_pages(services.settings, services.index, [(rec, QUOTE)])
    finally:
        services.close()
    shown = original_html(view)
    assert "<summary" in shown and "原文を表示" in shown
    assert "data:image/png;base64," in shown
    assert f"<mark>{QUOTE}</mark>" in shown
    assert "前の条項" in shown and "誠実に" in shown and "次の条項" in shown and "返還" in shown
    assert str(tmp_path) not in shown and "委託契約書.pdf" not in shown
    assert len(shown) < 400_000  # a page travels as a small palette PNG


def test_a_changed_file_is_not_drawn_and_the_page_says_why(tmp_path: Path):
    pdf = _pdf(tmp_path / "委託契約書.pdf")
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, pdf)
        rec = _clause_with(services, doc_id, QUOTE)
        pdf.write_bytes(pdf.read_bytes() + b"\n%changed\n")
        [view] = source_pages(services.settings, services.index, [(rec, QUOTE)])
    finally:
        services.close()
    assert view.image is None
    assert view.notes == (CHANGED_NOTE.format(name="委託契約書.pdf"),)
    assert "変更または差し替えられている" in original_html(view)


def test_a_text_file_shows_its_text_with_the_quote_marked(tmp_path: Path):
    path = tmp_path / "仕様書.txt"
    path.write_text(
        "第1条 目的\n\nこの仕様書は、委託業務の内容を定める。\n\n"
        f"第2条 個人情報\n\n{WANTED}\n\n第3条 報告\n\n受託者は、毎月の作業を報告する。\n",
        encoding="utf-8",
    )
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, path)
        rec = _clause_with(services, doc_id, QUOTE)
        [view] = source_pages(services.settings, services.index, [(rec, QUOTE)])
    finally:
        services.close()
    assert view.image is None and view.notes == (TEXT_NOTE,)
    shown = original_html(view)
    assert f"<mark>{QUOTE}</mark>" in shown and "<img" not in shown
    assert view.after is not None and "報告" in view.after.text


def _scan(path: Path) -> Path:
    """A one-page PDF that is only an image of printed text (no text layer), as a scanner makes."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf")
    if not font.is_file():
        pytest.skip("the IPAex Mincho font (fonts-ipaexfont) is needed to draw the scan")
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", (1654, 2339), "white")  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(font), 44)
    draw.text((160, 300), "第1条 受託者は、作業の記録を保管する。", font=face, fill="black")
    draw.text((160, 420), "第2条 " + WANTED[:22], font=face, fill="black")
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return path


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract (OCR) is not installed")
def test_a_scanned_page_is_the_scan_itself_beside_what_ocr_read(tmp_path: Path):
    pdf = _scan(tmp_path / "スキャン.pdf")
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, pdf)
        rec = next(c for c in services.index.document_clauses(doc_id) if "個人情報" in c.text)
        assert rec.ocr
        [view] = source_pages(services.settings, services.index, [(rec, "個人情報")])
    finally:
        services.close()
    assert view.page == 1 and view.image is not None and not view.marked
    assert view.notes == (OCR_NOTE,)
    image = Image.open(io.BytesIO(view.image))
    assert image.height > image.width  # the scanned A4 page
    assert "文字認識（OCR）" in original_html(view)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_a_docx_is_printed_once_and_its_page_found(tmp_path: Path):
    from docx import Document
    from docx.enum.text import WD_BREAK

    path = tmp_path / "契約書.docx"
    doc = Document()
    doc.add_paragraph("第1条 この契約は、業務の委託について定める。")
    doc.add_paragraph("").add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("第2条 受託者は、業務を誠実に行わなければならない。")
    doc.add_paragraph("第3条 " + WANTED)
    doc.add_paragraph("").add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("第4条 この契約に定めのない事項は、協議して定める。")
    doc.save(str(path))
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, path)
        rec = _clause_with(services, doc_id, QUOTE)
        [view] = source_pages(services.settings, services.index, [(rec, QUOTE)])
        assert view.page == 2 and view.pages == 3 and view.marked and view.notes == ()
        printed = cache_folder(services.settings) / services.index.original(doc_id)[1]
        assert (printed / "print.pdf").is_file()
        # drawn once: with the file gone, the page still shows (no second LibreOffice run)
        path.unlink()
        [again] = source_pages(services.settings, services.index, [(rec, QUOTE)])
        assert again.image == view.image and again.page == 2
        # removing the document erases what was drawn of it
        services.remove(doc_id)
        assert not printed.exists()
    finally:
        services.close()


def test_citations_of_a_draft_each_open_their_original(tmp_path: Path):
    from copilot.errors import UserError
    from copilot.review.store import open_store
    from ui.actions import Deps
    from ui.actions_sources import original_of, originals

    pdf = _pdf(tmp_path / "委託契約書.pdf")
    services = _services(tmp_path)
    try:
        doc_id = _ingest(services, pdf)
        rec = _clause_with(services, doc_id, QUOTE)
        other = _clause_with(services, doc_id, "返還")
    finally:
        services.close()
    settings = services.settings
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-password-1")
        store.add_user("sato", "佐藤 花子", "auditor", "sato-password-1", by="admin")
        run = store.record_run(
            "checklist_run", {"contract": "C-TEST"}, settings_digest="", drafter="evidence",
            model="rules", prompt="checklist_judgement", prompt_version="", prompt_hash="",
            evidence_ids=[], user="sato",
        )  # fmt: skip
        cite = {"document": doc_id, "clause_path": rec.path, "page": rec.page}
        payload = {
            "item": "1-1",
            "contract": "C-TEST",
            "verdict": "反映あり",
            "answer": "はい",
            "rationale": "定めがある",
            "evidence": [
                {**cite, "clause_id": rec.clause_id, "quote": QUOTE},
                {**cite, "clause_id": other.clause_id, "quote": "資料を返還"},
            ],
        }
        draft_id = store.add_draft(run, "checklist_judgement", "C-TEST/1-1", payload, "sato")
        draft = store.get_draft(draft_id)
        deps = Deps(settings, store)
        found = {rec.clause_id: rec, other.clause_id: other}
        views = originals(deps, "sato", draft, found)
        shown = citations_html(draft, found, {"evidence": "根拠"}, views)
        assert shown.count("原文を表示") == 2 and shown.count("data:image/png;base64,") == 2
        assert "<mark>資料を返還</mark>" in shown
        with pytest.raises(UserError, match="admin"):
            originals(deps, "admin", draft, found)
        # without them, each element asks the server for its page when opened: none is drawn now
        asked = citations_html(draft, found, {"evidence": "根拠"})
        assert asked.count("原文を表示") == 2 and "data:image" not in asked
        assert f"data-clause='{rec.clause_id}'" in asked and f"data-quote='{QUOTE}'" in asked
        # what the server function answers for one of them: the page, for a reader only
        view = original_of(deps, "sato", rec.clause_id, QUOTE)
        assert view.page == 2 and view.marked
        with pytest.raises(UserError, match="admin"):
            original_of(deps, "admin", rec.clause_id, QUOTE)
        with pytest.raises(UserError, match="索引にない"):
            original_of(deps, "sato", "no-such-clause", QUOTE)
