"""PowerPoint slides read back: titles are headings, tables go by cell, notes stand apart.

Decks are written by python-pptx; the .ppt and .odp are saved from them by LibreOffice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.util import Inches

from eval.scans import SOFFICE, office_save
from ingest.clauses import split_clauses
from ingest.errors import UnreadableFileError
from ingest.readers import CELL, FORM, read_document, read_file
from ingest.readers.slides import NOTES

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
DGM = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def numbered(paragraph: object, scheme: str = "arabicPeriod") -> None:
    """Give a paragraph PowerPoint's automatic numbering."""
    ppr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    etree.SubElement(ppr, f"{{{A}}}buAutoNum", type=scheme)


def write_deck(path: Path) -> Path:
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "情報セキュリティ研修"
    first.placeholders[1].text = "令和8年度 総務課"

    rules = deck.slides.add_slide(deck.slide_layouts[1])
    rules.shapes.title.text = "パスワードの管理"
    body = rules.placeholders[1].text_frame
    body.text = "パスワードは他人に教えないこと。"
    for text in ("十二文字以上とすること。", "使い回さないこと。"):
        p = body.add_paragraph()
        p.text = text
        numbered(p)
    p = body.add_paragraph()
    p.text = "管理者が定期的に点検する。"
    rules.notes_slide.notes_text_frame.text = "ここで漏えいの実例を紹介する。"

    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "持出しの区分"
    shape = table_slide.shapes.add_table(4, 3, Inches(1), Inches(2), Inches(8), Inches(2))
    table = shape.table
    rows = [
        ("区分", "持出し", "承認者"),
        ("機密性3", "禁止", "情報セキュリティ責任者"),
        ("機密性2", "可", "課長"),
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(3, 0).merge(table.cell(3, 2))
    table.cell(3, 0).text = "□要　□不要"

    loose = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title
    group = loose.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(1), Inches(5), Inches(1))
    box.text_frame.text = "グループ内の注意書き"
    loose.shapes.add_textbox(
        Inches(1), Inches(3), Inches(5), Inches(1)
    ).text_frame.text = "問合せ先：情報政策課"
    deck.save(str(path))
    return path


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_deck(tmp_path_factory.mktemp("deck") / "研修.pptx")


def test_titles_are_headings_and_every_block_has_its_slide(deck: Path):
    blocks = read_file(deck)
    headings = [(b.text, b.heading_level, b.page) for b in blocks if b.heading_level]
    assert headings == [
        ("情報セキュリティ研修", 1, 1),
        ("パスワードの管理", 1, 2),
        (NOTES, 2, 2),
        ("持出しの区分", 1, 3),
        ("（スライド 4）", 1, 4),  # a slide without a title still starts its own part
    ]
    by_text = {b.text: b for b in blocks}
    assert by_text["令和8年度 総務課"].page == 1
    assert by_text["問合せ先：情報政策課"].page == 4
    assert by_text["グループ内の注意書き"].page == 4  # a grouped shape's text is read


def test_bullets_are_blocks_and_automatic_numbers_are_labels(deck: Path):
    slide = [b for b in read_file(deck) if b.page == 2 and not b.heading_level]
    assert [(b.label, b.text) for b in slide][:4] == [
        ("", "パスワードは他人に教えないこと。"),
        ("1.", "十二文字以上とすること。"),
        ("2.", "使い回さないこと。"),
        ("", "管理者が定期的に点検する。"),
    ]
    _, clauses = split_clauses(read_file(deck))
    paths = {c.text.splitlines()[0]: c.path for c in clauses}
    assert paths["十二文字以上とすること。"] == "パスワードの管理 > 1"
    assert paths["使い回さないこと。"] == "パスワードの管理 > 2"
    assert all(not c.text.startswith("1.") for c in clauses)  # the number is not quoted


def test_table_rows_go_cell_by_cell(deck: Path):
    rows = [b for b in read_file(deck) if b.table_row]
    assert [b.text.split(CELL) for b in rows] == [
        ["区分", "持出し", "承認者"],
        ["機密性3", "禁止", "情報セキュリティ責任者"],
        ["機密性2", "可", "課長"],
        ["□要　□不要"],  # a merged cell is read once
    ]
    assert all(b.page == 3 for b in rows)
    assert [b.aside for b in rows] == ["", "", "", FORM]  # boxes to tick are a form's choice
    _, clauses = split_clauses(read_file(deck))
    quoted = [c for c in clauses if c.page == 3]
    assert all(" | " not in c.text for c in quoted)
    assert any(c.text == "機密性3\t禁止\t情報セキュリティ責任者" for c in quoted)


def test_notes_follow_their_slide_apart_from_its_text(deck: Path):
    blocks = read_file(deck)
    at = next(i for i, b in enumerate(blocks) if b.text == NOTES)
    assert blocks[at + 1].text == "ここで漏えいの実例を紹介する。" and blocks[at + 1].page == 2
    assert blocks[at + 2].text == "持出しの区分"  # the next slide
    _, clauses = split_clauses(blocks)
    notes = next(c for c in clauses if "実例" in c.text)
    assert notes.path == f"パスワードの管理 > {NOTES}" and notes.page == 2
    slide = [c for c in clauses if c.path == "パスワードの管理"]
    assert slide and all("実例" not in c.text for c in slide)


def add_smartart(slide: object, texts: list[str]) -> None:
    """A SmartArt diagram as PowerPoint stores it: a frame pointing at a data part of nodes."""
    points = "".join(
        f'<dgm:pt modelId="{k + 2}"><dgm:prSet/><dgm:spPr/><dgm:t><a:bodyPr/>'
        f"<a:p><a:r><a:t>{text}</a:t></a:r></a:p></dgm:t></dgm:pt>"
        for k, text in enumerate(texts)
    )
    data = (
        f'<dgm:dataModel xmlns:dgm="{DGM}" xmlns:a="{A}"><dgm:ptLst>'
        '<dgm:pt modelId="1" type="doc"><dgm:prSet/><dgm:spPr/></dgm:pt>'
        f'{points}<dgm:pt modelId="9" type="parTrans"><dgm:prSet/><dgm:spPr/><dgm:t>'
        "<a:bodyPr/><a:p><a:r><a:t>接続線</a:t></a:r></a:p></dgm:t></dgm:pt>"
        "</dgm:ptLst><dgm:cxnLst/></dgm:dataModel>"
    ).encode()
    part = Part(
        PackURI("/ppt/diagrams/data1.xml"),
        "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml",
        slide.part.package,  # type: ignore[attr-defined]
        data,
    )
    rid = slide.part.relate_to(  # type: ignore[attr-defined]
        part, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/diagramData"
    )
    frame = etree.fromstring(
        f'<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        f'xmlns:a="{A}" xmlns:r="{R}"><p:nvGraphicFramePr><p:cNvPr id="20" name="図表 1"/>'
        "<p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>"
        '<p:xfrm><a:off x="0" y="0"/><a:ext cx="100" cy="100"/></p:xfrm>'
        f'<a:graphic><a:graphicData uri="{DGM}"><dgm:relIds xmlns:dgm="{DGM}" r:dm="{rid}" '
        'r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic></p:graphicFrame>'
    )
    slide.shapes._spTree.append(frame)  # type: ignore[attr-defined]


def test_smartart_nodes_and_no_footers(tmp_path: Path):
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "報告の流れ"
    slide.placeholders[1].text = "事故を見つけたら報告する。"
    add_smartart(slide, ["発見", "課長へ報告", "CSIRTへ連絡"])
    layout_footer = next(
        p for p in deck.slide_layouts[1].placeholders if p.placeholder_format.type == 15
    )  # PP_PLACEHOLDER.FOOTER
    slide.shapes.clone_placeholder(layout_footer)
    footer = next(s for s in slide.placeholders if s.placeholder_format.type == 15)
    footer.text_frame.text = "架空市 総務課"
    path = tmp_path / "流れ.pptx"
    deck.save(str(path))
    texts = [b.text for b in read_file(path)]
    assert texts == [
        "報告の流れ",
        "事故を見つけたら報告する。",
        "発見",
        "課長へ報告",
        "CSIRTへ連絡",
    ]


def test_a_corrupt_or_protected_deck_names_the_file(tmp_path: Path, deck: Path):
    cut = tmp_path / "途中まで.pptx"
    cut.write_bytes(deck.read_bytes()[:2000])
    with pytest.raises(UnreadableFileError) as err:
        read_document(cut)
    assert err.value.path == str(cut) and "壊れている" in err.value.ja
    locked = tmp_path / "保護.pptx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with pytest.raises(UnreadableFileError) as err:
        read_document(locked)
    assert "パスワード" in err.value.ja and "PowerPoint" in err.value.ja
    assert "password-protected" in err.value.en


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("suffix,export", [("ppt", "MS PowerPoint 97"), ("odp", "impress8")])
def test_a_deck_saved_by_libreoffice_reads_the_same(
    deck: Path, tmp_path: Path, suffix: str, export: str
):
    old = office_save(deck, suffix, export, tmp_path)
    said: list[str] = []
    assert read_document(old, said.append).blocks == read_file(deck)
    assert said == [f"LibreOffice で変換しています: 研修.{suffix}"]
