"""Word files read as a person reads them: list numbers apart, cells one by one, forms set aside.

The real model 特記仕様書 in ``../shared/real_documents`` is read when it is there; its text is
never copied here, so the tests assert what must hold of any clause of it.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

from ingest.clauses import split_clauses
from ingest.readers import CELL, FORM, read_document
from ingest.readers.word import is_form_choice

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real_documents"
SPEC = REAL / "lasdec-webapp" / "特記仕様書（雛形・脚注なし）-1.0版.docx"


def _spec_with_numbers_table_and_form(path: Path) -> None:
    d = docx.Document()
    d.add_heading("第1章　総則", level=1)
    d.add_paragraph("受注者は次の事項を守ること。")
    d.add_paragraph("個人情報を目的外に利用しないこと。", style="List Number")
    d.add_paragraph("再委託には市の承認を得ること。", style="List Number")
    table = d.add_table(rows=3, cols=3)
    rows = [
        ("項目", "水準", "備考"),
        ("稼働率", "99.9%以上", "月間で計る。"),
        ("データの保管場所", "□国内　□国外", ""),
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.rows[r].cells[c].text = value
    d.add_paragraph("以上の水準を満たさない場合は、速やかに報告すること。")
    d.save(str(path))


def test_list_numbers_give_the_path_and_stay_out_of_the_quote(tmp_path: Path):
    path = tmp_path / "仕様書.docx"
    _spec_with_numbers_table_and_form(path)

    _, clauses = split_clauses(read_document(path).blocks)
    by_text = {c.text: c for c in clauses}

    first = by_text["個人情報を目的外に利用しないこと。"]
    second = by_text["再委託には市の承認を得ること。"]
    assert first.path != second.path  # each numbered paragraph has its own place
    assert first.path.endswith("> 1") and second.path.endswith("> 2")
    assert first.path.startswith("第1章")


def test_a_table_row_is_a_clause_of_cells_and_a_form_row_is_set_aside(tmp_path: Path):
    path = tmp_path / "仕様書.docx"
    _spec_with_numbers_table_and_form(path)

    blocks = read_document(path).blocks
    rows = [b for b in blocks if b.table_row]
    assert [b.text.split(CELL) for b in rows] == [
        ["項目", "水準", "備考"],
        ["稼働率", "99.9%以上", "月間で計る。"],
        ["データの保管場所", "□国内　□国外"],
    ]
    assert [b.aside for b in rows] == ["", "", FORM]
    assert not any(" | " in b.text for b in blocks)

    _, clauses = split_clauses(blocks)
    texts = [c.text for c in clauses]
    assert "稼働率\t99.9%以上\t月間で計る。" in texts  # the row alone, not run into what follows
    after = next(c for c in clauses if c.text.startswith("以上の水準"))
    assert "稼働率" not in after.text
    form = next(c for c in clauses if "□国内" in c.text)
    assert form.aside == FORM


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("□要　□不要", True),
        ("☐有・☐無", True),
        ("□該当", True),
        ("□ 開発及び保守", True),
        ("□Internet Explorer（        \u3000\u3000)", True),  # a blank to fill in
        ("氏名\t□男　□女", True),  # a row with a choice in one cell
        ("□ パスワードを暗号化すること", False),  # a box as a bullet before a duty
        ("□月△日に更新した。", False),
        (
            "該当する項目に□を付けたうえで、提出書類の一覧と照合し、受注者の責任で提出すること。",
            False,
        ),
        ("受注者は、個人情報を目的外に利用しないこと。", False),
    ],
)
def test_what_counts_as_a_form_choice(text: str, choice: bool):
    assert is_form_choice(text) is choice


def test_a_merged_cell_is_read_once(tmp_path: Path):
    d = docx.Document()
    table = d.add_table(rows=1, cols=3)
    table.rows[0].cells[0].merge(table.rows[0].cells[1]).text = "区分"
    table.rows[0].cells[2].text = "内容"
    path = tmp_path / "結合.docx"
    d.save(str(path))

    assert [b.text for b in read_document(path).blocks] == ["区分\t内容"]


def test_a_cell_merged_down_rows_is_read_in_its_first_row_only(tmp_path: Path):
    d = docx.Document()
    table = d.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "認証"
    table.cell(0, 1).text = "パスワードは8文字以上とする。"
    table.cell(1, 1).text = "ロックアウトを設ける。"
    table.cell(2, 0).text = "ログ"
    table.cell(2, 1).text = "3年保管する。"
    path = tmp_path / "縦結合.docx"
    d.save(str(path))

    blocks = read_document(path).blocks

    assert [b.text for b in blocks] == [
        "認証\tパスワードは8文字以上とする。",
        "ロックアウトを設ける。",
        "ログ\t3年保管する。",
    ]
    _, clauses = split_clauses(blocks)
    assert sum("認証" in c.text for c in clauses) == 1


def test_a_table_in_a_cell_gives_its_own_rows_once(tmp_path: Path):
    d = docx.Document()
    outer = d.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "提出物"
    outer.cell(0, 1).text = "次のとおり。"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    for r, (name, when) in enumerate([("設計書", "契約後1か月"), ("検査報告書", "納品時")]):
        inner.cell(r, 0).text = name
        inner.cell(r, 1).text = when
    path = tmp_path / "入れ子.docx"
    d.save(str(path))

    blocks = read_document(path).blocks

    assert [b.text for b in blocks] == [
        "提出物\t次のとおり。",
        "設計書\t契約後1か月",
        "検査報告書\t納品時",
    ]
    assert all(b.table_row for b in blocks)


def _squeezed(text: str) -> str:
    """Text without its spaces and line breaks (a cell's paragraphs are joined by a space)."""
    return re.sub(r"\s+", "", text)


def _own_texts(path: Path) -> list[str]:
    """Every paragraph's and cell's own text as python-docx shows it."""
    d = docx.Document(str(path))
    texts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            texts.extend(cell.text.replace("\n", " ") for cell in row.cells)
    return texts


@pytest.mark.skipif(not SPEC.exists(), reason=f"real document absent: {SPEC}")
def test_the_real_model_spec_quotes_only_its_own_words():
    reading = read_document(SPEC)
    labels = {b.label for b in reading.blocks if b.label}
    assert len(labels) > 10  # the template numbers its paragraphs with Word's lists
    _, clauses = split_clauses(reading.blocks)
    own = _squeezed("\n".join(_own_texts(SPEC)))
    for clause in clauses:
        assert " | " not in clause.text
        for line in clause.text.split("\n"):
            for cell in line.split(CELL):
                # every piece a quote can be taken from is words the document itself shows
                assert _squeezed(cell) in own, (clause.path, cell[:40])
    numbered = [b for b in reading.blocks if b.label and not b.table_row]
    assert not any(b.text.startswith(b.label) for b in numbered if b.label != "・")


@pytest.mark.skipif(not SPEC.exists(), reason=f"real document absent: {SPEC}")
def test_the_real_model_spec_keeps_rows_apart_and_sets_its_check_sheet_aside():
    reading = read_document(SPEC)
    _, clauses = split_clauses(reading.blocks)
    rows = [b for b in reading.blocks if b.table_row]
    assert rows
    forms = [c for c in clauses if c.aside == FORM]
    assert forms, "the check sheet's boxes to tick are set aside"
    assert all(is_form_choice(c.text) for c in forms)
    for clause in clauses:
        # a row never runs into the paragraphs after it: a clause holding a cell boundary is a row
        if CELL in clause.text:
            assert "\n" not in clause.text.strip(), clause.path
    paths = [c.path for c in clauses if not c.aside]
    assert len(set(paths)) > len(paths) // 2  # numbered items give distinct paths


@pytest.mark.skipif(not SPEC.exists(), reason=f"real document absent: {SPEC}")
def test_the_real_model_spec_reads_each_cell_once_however_merged():
    from docx.oxml.ns import qn

    body = docx.Document(str(SPEC)).element.body
    assert body.xpath(".//w:vMerge") and body.xpath(".//w:gridSpan")  # the template merges
    cells = [
        tc
        for tc in body.iter(qn("w:tc"))
        if tc.vMerge != "continue" and "".join(tc.xpath("./w:p//w:t/text()")).strip()
    ]
    rows = [b for b in read_document(SPEC).blocks if b.table_row]
    assert sum(len(b.text.split(CELL)) for b in rows) == len(cells)
