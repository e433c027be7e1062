"""The PDF reader on PDFs the tests write with reportlab, and on a real public bid specification.

Each written PDF stands for one thing a person sees on the page and the reader must keep: a ruled
table (one clause a row, its cells apart), a table of contents (never evidence), headings whose
numbers live only in the outline, a Wingdings bullet (a private-use character), printed page
numbers that differ from the physical ones, and a word wrapped across two lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from ingest.clauses import Clause, split_clauses
from ingest.readers import CELL, Block, read_file

JA = "HeiseiMin-W3"
BODY = 10.0
PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
REAL_PDF = (
    Path(__file__).parents[1].parent
    / "shared"
    / "real_documents"
    / "digital-bidspec"
    / "BidSpec.pdf"
)


def _canvas(path: Path):  # type: ignore[no-untyped-def]
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(JA))
    return canvas.Canvas(str(path))


def _text(c, x: float, y: float, text: str, size: float = BODY) -> None:  # type: ignore[no-untyped-def]
    c.setFont(JA, size)
    c.drawString(x, y, text)


def _clauses(path: Path) -> tuple[list[Block], str, list[Clause]]:
    blocks = read_file(path)
    text, clauses = split_clauses(blocks)
    return blocks, text, clauses


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# ---------------------------------------------------------------- written PDFs


def test_ruled_table_is_read_row_by_row_with_cells_apart(tmp_path: Path):
    path = tmp_path / "委託基準.pdf"
    c = _canvas(path)
    _text(c, 60, 790, "1. 委託先の管理", 14)
    _text(c, 60, 765, "委託先には次の事項を求める。")
    cols = [60, 110, 230, 520]
    tops = [750, 730, 710, 675]  # the last row holds a cell wrapped onto two lines
    rows = [
        ["項番", "項目", "内容"],
        ["1", "データの保管", "国内のデータセンタに限る。"],
        ["2", "再委託", ["事前に書面で申請し、主管課の承認を", "得ること。"]],
    ]
    for x in cols:
        c.line(x, tops[0], x, tops[-1])
    for y in tops:
        c.line(cols[0], y, cols[-1], y)
    for top, row in zip(tops, rows, strict=False):
        for x, cell in zip(cols, row, strict=False):
            for k, piece in enumerate(cell if isinstance(cell, list) else [cell]):
                _text(c, x + 4, top - 14 - 14 * k, piece)
    _text(c, 60, 650, "以上の事項は契約書に明記すること。")
    c.showPage()
    c.save()

    blocks, text, clauses = _clauses(path)
    assert [b.text for b in blocks if b.table_row] == [
        CELL.join(["項番", "項目", "内容"]),
        CELL.join(["1", "データの保管", "国内のデータセンタに限る。"]),
        CELL.join(["2", "再委託", "事前に書面で申請し、主管課の承認を得ること。"]),
    ]
    rows_read = [cl for cl in clauses if CELL in cl.text]
    assert [cl.text.count(CELL) for cl in rows_read] == [2, 2, 2]  # one clause a row
    assert [cl.path for cl in rows_read][1:] == ["1 > 1", "1 > 2"]
    assert all(" | " not in cl.text for cl in clauses)
    assert text.count("データの保管") == 1  # the table's words are not read again as lines
    assert any(cl.text.endswith("以上の事項は契約書に明記すること。") for cl in clauses)


def test_table_of_contents_gives_no_clause(tmp_path: Path):
    path = tmp_path / "規程.pdf"
    c = _canvas(path)
    _text(c, 250, 790, "目次", 14)
    entries = [("1. 総則", "1"), ("2. 情報の管理", "2"), ("3. 委託先の管理", "2")]
    for i, (title, page) in enumerate(entries):
        _text(c, 60, 760 - 18 * i, f"{title} {'.' * (60 - 2 * len(title))} {page}")
    c.showPage()
    _text(c, 60, 790, "1. 総則", 14)
    _text(c, 60, 765, "この規程は、本市の情報資産の管理について定める。")
    _text(c, 60, 730, "2. 情報の管理", 14)
    _text(c, 60, 705, "職員は、情報を分類し、適切に管理しなければならない。")
    c.showPage()
    _text(c, 60, 790, "3. 委託先の管理", 14)
    _text(c, 60, 765, "委託先には、情報の取扱いに関する契約を結ばせること。")
    c.showPage()
    c.save()

    _, text, clauses = _clauses(path)
    assert [cl.path for cl in clauses] == ["1", "2", "3"]
    assert not any(re.search(r"\.{4,}", cl.text) or "目次" in cl.text for cl in clauses)
    assert "...." not in text and text.count("情報の管理") == 1  # the heading, not its entry


def test_headings_take_their_numbers_from_the_outline(tmp_path: Path):
    path = tmp_path / "基本方針.pdf"
    c = _canvas(path)
    outline = [
        # (title on the page, outline entry, outline level, heading size, body under it)
        ("総則", "1 総則", 0, 16, "この方針は、本市の情報セキュリティの基本を定める。"),
        ("目的", "1.1 目的", 1, 13, "情報資産を脅威から守ることを目的とする。"),
        ("適用範囲", "1.2 適用範囲", 1, 13, "本市のすべての職員に適用する。"),
        ("組織体制", "2 組織体制", 0, 16, "情報セキュリティの組織を次のとおり置く。"),
        ("責任者", "2.1 責任者", 1, 13, "最高情報セキュリティ責任者は副市長とする。"),
    ]
    y = 790.0
    for i, (title, entry, level, size, body) in enumerate(outline):
        if i == 3:
            c.showPage()
            y = 790.0
        key = f"h{i}"
        c.bookmarkPage(key, fit="XYZ", top=y + size)
        c.addOutlineEntry(entry, key, level=level)
        _text(c, 60, y, title, size)
        _text(c, 60, y - 24, body)
        y -= 64
    c.showPage()
    c.save()

    _, _, clauses = _clauses(path)
    by_path = {cl.path: cl.text for cl in clauses}
    assert {"1 > 1.1", "1 > 1.2", "2 > 2.1"} <= set(by_path)
    assert by_path["1 > 1.1"] == "目的\n情報資産を脅威から守ることを目的とする。"
    headings = {title for title, *_ in outline}
    for cl in clauses:  # a heading opens its own clause, never ends the one before it
        assert cl.text.splitlines()[-1] not in headings
        assert not re.match(r"^\d", cl.text)  # the numbers are the path, not the quote


def _bulleted_pdf(path: Path) -> Path:
    """Bullets set in a symbol font whose text layer maps them to U+F09E, as Word writes."""
    import reportlab
    from pypdf import PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    raw = path.with_suffix(".raw.pdf")
    c = _canvas(raw)
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    pdfmetrics.registerFont(TTFont("Vera", str(vera)))
    _text(c, 60, 790, "1. 情報の持出し", 14)
    _text(c, 60, 765, "職員は、次の事項を守らなければならない。")
    for i, item in enumerate(["情報を庁外に持ち出さないこと。", "持ち出した記録を残すこと。"]):
        t = c.beginText(75, 745 - 18 * i)
        t.setFont("Vera", BODY)
        t.textOut("\uf09e ")  # not in Vera: drawn as glyph 0, its text mapped below
        t.setFont(JA, BODY)
        t.textOut(item)
        c.drawText(t)
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=str(raw))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/ToUnicode" in font:
                cmap = font["/ToUnicode"].get_object()
                cmap.set_data(cmap.get_data().replace(b"<00> <0000>", b"<00> <F09E>"))
    writer.write(str(path))
    return path


def test_private_use_bullet_is_not_in_clause_text(tmp_path: Path):
    import pdfplumber

    path = _bulleted_pdf(tmp_path / "持出し.pdf")
    with pdfplumber.open(str(path)) as pdf:  # the text layer holds the private-use bullet
        assert "\uf09e" in pdf.pages[0].extract_text()

    blocks, text, clauses = _clauses(path)
    assert not PRIVATE_USE.search(text)
    items = [b.text for b in blocks if "こと。" in b.text]
    assert items == ["・情報を庁外に持ち出さないこと。", "・持ち出した記録を残すこと。"]
    assert all(not PRIVATE_USE.search(cl.text) for cl in clauses)


def test_clause_page_is_the_printed_page_number(tmp_path: Path):
    path = tmp_path / "仕様書.pdf"
    c = _canvas(path)
    _text(c, 200, 600, "調達仕様書", 20)
    _text(c, 230, 560, "令和7年4月")
    c.showPage()
    for printed, (heading, body) in enumerate(
        [
            ("1. 目的", "本業務は、庁内の情報システムを監査するものである。"),
            ("2. 範囲", "監査の範囲は、本庁舎の業務システムとする。"),
            ("3. 報告", "受託者は、監査の結果を書面で報告すること。"),
        ],
        start=1,
    ):
        _text(c, 60, 790, heading, 14)
        _text(c, 60, 765, body)
        _text(c, 295, 40, str(printed))  # the footer: the number a person looks up
        c.showPage()
    c.save()

    blocks, text, clauses = _clauses(path)
    pages = {cl.path: cl.page for cl in clauses}
    assert pages == {"前文": 1, "1": 1, "2": 2, "3": 3}  # physical pages 2–4
    assert not any(b.text.strip().isdigit() for b in blocks)  # the folios are not text


def test_word_wrapped_across_lines_is_joined(tmp_path: Path):
    path = tmp_path / "クラウド.pdf"
    c = _canvas(path)
    full = 40  # characters in a full line: the text runs from x=60 to x=460
    lines = [
        # (text, x, character spacing): the page's lines, top to bottom
        ("受託者は、クラウドサービスで取り扱う情報について、その機密性を確保するアクセス制", 60, 0),
        ("御及び暗号化を確実に行い、その記録を保存すること。", 60, 0),
        # a comma hangs past the margin; the next line wraps 1.3 em short of it, inside a word
        (
            "利用の記録は、監査の際に主管課の求めに応じて速やかに提示できるよう、所定の様式等、",
            60,
            0,
        ),
        ("で作成し、その原本を契約の期間が満了した後も五年間にわたり適切な場所に保管す", 60, 0.2),
        ("ること。", 60, 0),
        # a closing bracket at the right edge is where the line wrapped, not an end
        ("受託者は、情報の暗号化に用いる鍵を適切に管理し、その手順書（暗号鍵の更新を含む）", 60, 0),
        ("を定期的に見直すこと。", 60, 0),
        # three ems short: the bracketed Latin word that follows would not have fitted there
        ("クラウドサービスは、原則として登録簿に掲載されたサービスから選定し、併せて", 60, 0),
        ("「ISMAP管理基準」の統制目標を満たすこと。", 60, 0),
        ("利用者の氏名", 75, 0),
        ("利用したクラウドサービスの名称と契約の番号及び利用した期間と利用の主な目的", 75, 0),
        ("保存した情報の分類", 75, 0),
    ]
    assert len(lines[0][0]) == full and len(lines[5][0]) == full
    _text(c, 60, 800, "1. クラウドサービスの利用", 14)
    for i, (line, x, spacing) in enumerate(lines):
        c.setFont(JA, BODY)
        c.drawString(x, 775 - 16 * i, line, charSpace=spacing)
    c.showPage()
    c.save()

    blocks, _, clauses = _clauses(path)
    texts = [b.text for b in blocks]
    assert texts[1:] == [
        lines[0][0] + lines[1][0],
        lines[2][0] + lines[3][0] + lines[4][0],
        lines[5][0] + lines[6][0],
        lines[7][0] + lines[8][0],
        # an entry of a list of lines without full stops stays an entry, however long it runs
        *(line for line, _, _ in lines[9:]),
    ]
    assert any("アクセス制御及び暗号化" in cl.text for cl in clauses)


def test_lead_in_line_heads_the_items_below_it(tmp_path: Path):
    path = tmp_path / "効果.pdf"
    c = _canvas(path)
    _text(c, 60, 790, "1. 調達の目的", 14)
    _text(c, 70, 765, "本調達は、監査業務の効率化を目的とする。")
    _text(c, 70, 735, "期待する効果")
    _text(c, 70, 719, "(1) 監査に要する時間の短縮")
    _text(c, 70, 703, "(2) 指摘事項の記録の標準化")
    c.showPage()
    c.save()

    _, _, clauses = _clauses(path)
    assert clauses[0].text.endswith("目的とする。")  # the lead-in does not end the clause above
    items = [cl for cl in clauses if cl.path.endswith(("(1)", "(2)"))]
    assert [cl.text for cl in items] == ["(1) 監査に要する時間の短縮", "(2) 指摘事項の記録の標準化"]
    assert all("期待する効果" in cl.heading for cl in items)


# ---------------------------------------------------------------- the real bid specification

needs_real = pytest.mark.skipif(
    not REAL_PDF.exists(), reason=f"real public document not present: {REAL_PDF}"
)


@pytest.fixture(scope="module")
def real() -> tuple[list[Block], list[Clause]]:
    blocks = read_file(REAL_PDF)
    _, clauses = split_clauses(blocks)
    return blocks, clauses


@pytest.fixture(scope="module")
def layer() -> list[list[dict]]:
    """The real PDF's text lines as pdfplumber gives them, page by page (the test's own view)."""
    import pdfplumber

    with pdfplumber.open(str(REAL_PDF)) as pdf:
        return [page.extract_text_lines(return_chars=True) for page in pdf.pages]


@needs_real
def test_real_contents_pages_give_no_clause(real, layer):
    _, clauses = real
    leader = re.compile(r"(?:\.{4,}|…{2,}|・{3,})\s*\d+\s*$")
    entries = Counter(
        _norm(leader.sub("", ln["text"]))
        for page in layer
        for ln in page
        if leader.search(ln["text"])
    )
    assert sum(entries.values()) >= 10  # the file does have a table of contents
    assert not any(re.search(r"\.{4,}|…{2,}", cl.text) for cl in clauses)
    # an entry's title is in the text as often as the contents lists it: as the body's heading
    lines = Counter(_norm(line) for cl in clauses for line in cl.text.splitlines())
    assert all(lines[title] <= n for title, n in entries.items())


@needs_real
def test_real_section_5_items_have_distinct_paths_under_its_numbers(real):
    _, clauses = real
    under5 = [cl for cl in clauses if cl.path.split(" > ")[0] == "5"]
    assert under5
    second = {cl.path.split(" > ")[1] for cl in under5 if " > " in cl.path}
    assert second == {f"5.{k}" for k in range(1, 8)}
    assert all(" > " in cl.path for cl in under5)  # no item hangs on the bare 5
    # a path is one item: its clauses (pieces of one long item) follow each other
    runs = [cl.path for i, cl in enumerate(under5) if i == 0 or under5[i - 1].path != cl.path]
    assert len(runs) == len(set(runs))


@needs_real
def test_real_text_has_no_private_use_characters(real):
    blocks, clauses = real
    assert not any(PRIVATE_USE.search(b.text) for b in blocks)
    assert not any(PRIVATE_USE.search(cl.text) for cl in clauses)


def _folios(layer: list[list[dict]]) -> dict[int, int]:
    """Physical page -> the number printed in its footer (a bare number, lowest on the page)."""
    folios: dict[int, int] = {}
    for physical, lines in enumerate(layer, start=1):
        last = max(lines, key=lambda ln: ln["top"], default=None)
        if last is not None and re.fullmatch(r"\d{1,3}", last["text"].strip()):
            folios[physical] = int(last["text"])
    return folios


@needs_real
def test_real_pages_are_the_printed_ones(real, layer):
    blocks, clauses = real
    folios = _folios(layer)
    assert len(folios) >= 10 and any(p != n for p, n in folios.items())
    printed = set(folios.values())
    # the cover and the contents carry no folio: only the cover gives text, on its own page 1
    assert {b.page for b in blocks} <= printed | {1}
    assert printed <= {b.page for b in blocks}
    assert max(cl.page or 0 for cl in clauses) == max(printed)


@needs_real
def test_real_no_clause_ends_with_the_heading_after_it(real, layer):
    _, clauses = real
    sizes = Counter(round(c["size"], 1) for page in layer for ln in page for c in ln["chars"])
    body = sizes.most_common(1)[0][0]
    body_pages = [layer[p - 1] for p in _folios(layer)]  # not the cover's title lines
    headings = {
        _norm(ln["text"])
        for page in body_pages
        for ln in page
        if min(round(c["size"], 1) for c in ln["chars"] if not c["text"].isspace()) > body
    }
    assert len(headings) >= 20
    for cl in clauses:
        lines = cl.text.splitlines()
        assert _norm(lines[-1]) not in headings or len(lines) == 1


@needs_real
def test_real_table_rows_are_clauses_with_cells(real):
    blocks, clauses = real
    rows = [b for b in blocks if b.table_row]
    assert len(rows) >= 10 and all(CELL in b.text for b in rows)
    assert all(" | " not in cl.text for cl in clauses)
    row_texts = {b.text for b in rows}
    assert all(cl.text in row_texts for cl in clauses if CELL in cl.text)
