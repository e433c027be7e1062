from __future__ import annotations

from pathlib import Path

import docx
import pytest
from openpyxl import Workbook
from pypdf import PdfWriter

from ingest.errors import UnreadableFileError
from ingest.readers import format_number, read_file


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    c = canvas.Canvas(str(path))
    for lines in pages:
        c.setFont("HeiseiMin-W3", 11)
        for i, line in enumerate(lines):
            c.drawString(60, 780 - 16 * i, line)
        c.showPage()
    c.save()
    return path


def test_docx_headings_numbering_and_tables(tmp_path: Path):
    d = docx.Document()
    d.add_heading("第35　外部サービスの利用", level=1)
    d.add_paragraph("１　職員は、承認を得て利用しなければならない。")
    d.add_paragraph("外部サービスの選定", style="List Number")
    d.add_paragraph("外部サービスの契約", style="List Number")
    table = d.add_table(rows=2, cols=3)
    for i, (a, b, c) in enumerate([("項番", "要件", "内容"), ("1", "データ保管", "国内に限る。")]):
        table.rows[i].cells[0].text = a
        table.rows[i].cells[1].text = b
        table.rows[i].cells[2].text = c
    merged = d.add_table(rows=1, cols=3)
    merged.rows[0].cells[0].merge(merged.rows[0].cells[2]).text = "結合されたセル"
    path = tmp_path / "基準.docx"
    d.save(str(path))

    blocks = read_file(path)
    texts = [b.text for b in blocks]
    assert blocks[0].heading_level == 1 and texts[0] == "第35　外部サービスの利用"
    assert "１　職員は、承認を得て利用しなければならない。" in texts
    numbered = [(b.label, b.text) for b in blocks if b.text.endswith(("選定", "契約"))]
    # Word draws the list number; it is the label (the path), never part of the quoted text
    assert numbered == [("1.", "外部サービスの選定"), ("2.", "外部サービスの契約")]
    assert "1\tデータ保管\t国内に限る。" in texts  # one cell after another, never joined by " | "
    assert texts[-1] == "結合されたセル"


@pytest.mark.parametrize(
    ("fmt", "n", "expected"),
    [
        ("aiueoFullWidth", 3, "ウ"),
        ("decimalFullWidth", 12, "１２"),
        ("decimalEnclosedCircle", 2, "②"),
        ("japaneseCounting", 35, "三十五"),
        ("lowerLetter", 1, "a"),
        ("upperRoman", 4, "IV"),
    ],
)
def test_word_number_formats(fmt: str, n: int, expected: str):
    assert format_number(n, fmt) == expected


def test_xlsx_every_sheet_with_merged_cells_resolved(tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws.title = "チェックリスト"
    ws.append(["設問", "確認項目", "回答"])
    ws.append(["1-1 選定基準", None, None])
    ws.merge_cells("A2:C2")
    ws.append(["1-1-1", "ISMAP に登録されていること", "□はい　□いいえ"])
    ws2 = wb.create_sheet("記入要領")
    ws2.append(["1-1-1", "登録簿で確認する"])
    path = tmp_path / "list.xlsx"
    wb.save(str(path))

    blocks = read_file(path)
    texts = [b.text for b in blocks]
    assert texts == [
        "チェックリスト",
        "設問\t確認項目\t回答",
        "1-1 選定基準",
        "1-1-1\tISMAP に登録されていること\t□はい　□いいえ",
        "記入要領",
        "1-1-1\t登録簿で確認する",
    ]
    assert blocks[0].heading_level == 1 and blocks[4].page == 2


def test_pdf_text_per_page_with_page_numbers(tmp_path: Path):
    path = write_pdf(
        tmp_path / "仕様書.pdf",
        [
            ["第1条　目的", "本仕様書は業務を定める。"],
            ["第2条　再委託", "再委託は事前の承認を要する。"],
        ],
    )
    blocks = read_file(path)
    assert [(b.text, b.page) for b in blocks] == [
        ("第1条\u3000目的", 1),
        ("本仕様書は業務を定める。", 1),
        ("第2条\u3000再委託", 2),
        ("再委託は事前の承認を要する。", 2),
    ]


def test_markdown_headings_and_cp932_text(tmp_path: Path):
    md = tmp_path / "方針.md"
    md.write_text("# 基本方針\n\n## 第1条（目的）\n本方針は情報資産を守る。\n", encoding="utf-8")
    blocks = [b for b in read_file(md)]
    assert (blocks[0].text, blocks[0].heading_level) == ("基本方針", 1)
    assert (blocks[1].text, blocks[1].heading_level) == ("第1条（目的）", 2)
    sj = tmp_path / "old.txt"
    sj.write_bytes("第1条　古い文書は Shift_JIS で保存されている。".encode("cp932"))
    assert read_file(sj)[0].text.startswith("第1条")


def _reason(path: Path) -> str:
    with pytest.raises(UnreadableFileError) as info:
        read_file(path)
    assert str(path) in info.value.ja and str(path) in info.value.en
    return info.value.ja


def test_corrupt_docx_is_reported_by_name(tmp_path: Path):
    bad = tmp_path / "壊れた.docx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    assert "壊れ" in _reason(bad)


def test_docx_that_is_a_zip_but_not_word(tmp_path: Path):
    import zipfile

    bad = tmp_path / "偽物.docx"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("hello.txt", "not a word document")
    assert "壊れ" in _reason(bad)


def test_encrypted_office_file_is_reported(tmp_path: Path):
    enc = tmp_path / "暗号.xlsx"
    enc.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "パスワード" in _reason(enc)


def test_encrypted_pdf_is_reported(tmp_path: Path):
    src = write_pdf(tmp_path / "plain.pdf", [["秘密の文書"]])
    writer = PdfWriter(clone_from=str(src))
    writer.encrypt(user_password="secret", owner_password="owner")
    enc = tmp_path / "暗号.pdf"
    with enc.open("wb") as fh:
        writer.write(fh)
    assert "パスワード" in _reason(enc)


def test_empty_pdf_and_empty_file(tmp_path: Path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    blank = tmp_path / "白紙.pdf"
    with blank.open("wb") as fh:
        writer.write(fh)
    assert "文字が含まれていません" in _reason(blank)
    empty = tmp_path / "空.txt"
    empty.write_bytes(b"")
    assert "空のファイル" in _reason(empty)


def test_unsupported_type(tmp_path: Path):
    jtd = tmp_path / "報告書.jtd"  # 一太郎: no reader, no converter here
    jtd.write_bytes(b"whatever")
    reason = _reason(jtd)
    assert "対応していない形式" in reason
    assert ".docx" in reason and ".eml" in reason  # the message names what can be read


def test_randomly_damaged_workbooks_always_give_the_clear_error(tmp_path: Path):
    import random

    from tests.conftest import CORPUS

    src = (CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx").read_bytes()
    rng = random.Random(7)
    for n in range(40):
        damaged = bytearray(src)
        for _ in range(5):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"damaged{n}.xlsx"
        path.write_bytes(bytes(damaged))
        try:
            read_file(path)
        except UnreadableFileError as exc:
            assert path.name in exc.ja
