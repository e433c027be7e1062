"""OCR of image pages: scans drawn by the test (tests/scans.py) read back with Tesseract."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from eval import scans
from ingest.clauses import split_clauses
from ingest.errors import UnreadableFileError
from ingest.readers import read_file
from ingest.readers.ocr import join_cjk

WHY_NOT = scans.have_tesseract()
needs_ocr = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")


def _has_vert() -> bool:
    if WHY_NOT is not None:
        return False
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
    return "jpn_vert" in (out.stdout + out.stderr).split()


def test_spaces_next_to_japanese_go_and_latin_words_keep_theirs():
    assert join_cjk("第 1 条 （ 目 的 ）") == "第1条（目的）"
    assert (
        join_cjk("乙 は 、 Windows Server 2022 を 用い る 。")
        == "乙は、Windows Server 2022を用いる。"
    )
    assert join_cjk("SLA 99.9 %") == "SLA 99.9 %"


@needs_ocr
def test_clean_scan_reads_back_the_contract(tmp_path: Path):
    path = scans.image_pdf(tmp_path / "契約書（署名済み）.pdf", [scans.CONTRACT])
    said: list[str] = []
    blocks = read_file(path, said.append)

    assert blocks and all(b.ocr and b.page == 1 for b in blocks)
    accuracy = scans.char_accuracy("\n".join(scans.CONTRACT), "\n".join(b.text for b in blocks))
    assert accuracy >= 0.9, accuracy  # measured 0.97-0.99 (goal 0.95); see eval/ocr_accuracy.py
    assert any("OCR 1/1" in m for m in said)
    texts = [b.text for b in blocks]
    assert texts[0] == "業務委託契約書"  # a short title line is not dropped as noise
    # A sentence wrapped over two lines is one block, its paragraph number kept apart by a space.
    assert any(
        t.startswith("2 ") and "ただし、あらかじめ" in t and t.endswith("この限りでない。")
        for t in texts
    ), texts

    text, clauses = split_clauses(blocks)
    paths = [c.path for c in clauses]
    assert {"第1条", "第2条", "第2条 > 2", "第2条 > 3", "第3条"} <= set(paths)
    assert all(c.ocr for c in clauses)
    assert all(text[c.char_start : c.char_end] == c.text for c in clauses)
    purpose = next(c for c in clauses if c.path == "第1条")
    assert "運用保守業務" in purpose.text


@needs_ocr
def test_mixed_pdf_ocrs_only_the_image_page_and_keeps_page_numbers(tmp_path: Path):
    typed = ["第1条（目的）", "本契約は、保守業務について定める。"]
    scanned = ["第2条（署名）", "甲及び乙は、本書2通を作成し、各1通を保有する。"]
    path = scans.mixed_pdf(tmp_path / "契約書.pdf", typed, scanned)
    said: list[str] = []
    blocks = read_file(path, said.append)

    first = [b for b in blocks if b.page == 1]
    second = [b for b in blocks if b.page == 2]
    assert [b.text for b in first] == typed and not any(b.ocr for b in first)
    assert second and all(b.ocr for b in second)
    assert scans.char_accuracy("".join(scanned), "".join(b.text for b in second)) >= 0.9
    assert [m.strip() for m in said if "OCR" in m] == ["OCR 1/1 ページ"]  # page 1 not OCR'd

    _, clauses = split_clauses(blocks)
    by_path = {c.path: c for c in clauses}
    assert by_path["第1条"].page == 1 and not by_path["第1条"].ocr
    assert by_path["第2条"].page == 2 and by_path["第2条"].ocr


@needs_ocr
def test_blank_scan_has_no_text(tmp_path: Path):
    path = scans.blank_pdf(tmp_path / "白紙.pdf", pages=2)
    with pytest.raises(UnreadableFileError, match="文字が含まれていません"):
        read_file(path)


@needs_ocr
def test_work_folder_is_private_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    work = tmp_path / "tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    seen: list[int] = []

    def look(_message: str) -> None:
        seen.extend(p.stat().st_mode & 0o777 for p in work.iterdir())

    read_file(scans.image_pdf(tmp_path / "s.pdf", [scans.CONTRACT[:3]]), look)
    assert seen and set(seen) == {0o700}
    assert list(work.iterdir()) == []


@pytest.mark.skipif(not _has_vert(), reason="tesseract's jpn_vert model is not installed")
def test_vertical_page_is_read_with_the_vertical_model(tmp_path: Path):
    columns = [
        "第一条（目的）",
        "本契約は、甲が乙に委託する情報システムの運用保守業務について定める。",
    ]
    path = scans.save_images(tmp_path / "縦書き.pdf", [scans.render_vertical_page(columns)])
    blocks = read_file(path)
    assert scans.char_accuracy("".join(columns), "".join(b.text for b in blocks)) >= 0.9


def test_missing_tesseract_names_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    scan = scans.blank_pdf(tmp_path / "scan.pdf")
    typed = tmp_path / "typed.pdf"
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    c = canvas.Canvas(str(typed))
    c.setFont("HeiseiMin-W3", 11)
    c.drawString(60, 780, "第1条（目的）本契約は保守業務について定める。")
    c.save()
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    with pytest.raises(UnreadableFileError) as err:
        read_file(scan)
    assert "tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert" in err.value.ja
    assert "sudo apt-get install" in err.value.ja and "install" in err.value.en
    # A PDF with a text layer never needs Tesseract.
    assert read_file(typed)[0].text.startswith("第1条")
