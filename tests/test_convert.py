"""Old Office and OpenDocument files read through LibreOffice: the same clauses, rows and items.

Every old-format file here is written by LibreOffice itself from a file python-docx or openpyxl
wrote, as a city's old file would have been saved by an office suite. Conversions take seconds,
so each converted file is made once per module.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
import time
from pathlib import Path

import docx
import olefile
import pytest
from openpyxl import Workbook, load_workbook

from copilot.audit.checklists import import_checklist
from copilot.errors import UserError
from copilot.exports.checklist import export_checklist
from copilot.schemas import ChecklistJudgement, ReviewInfo
from copilot.services import build_services
from copilot.settings import load_settings
from eval.scans import SOFFICE, office_save
from ingest.clauses import split_clauses
from ingest.errors import UnreadableFileError
from ingest.readers import READERS, read_document, read_file, read_sheet_rows, to_current
from tests.conftest import CORPUS

REAL = Path(__file__).parents[1].parent / "shared" / "real_documents"
MODEL_SPEC = REAL / "lasdec-webapp" / "特記仕様書（雛形・脚注なし）-1.0版.docx"
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"


def write_rules(path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("架空市情報資産持出し規程", style="Title")
    d.add_heading("第1章　総則", level=1)
    d.add_paragraph("第1条　この規程は、情報資産の持出しに関し必要な事項を定める。")
    d.add_heading("第2章　持出し", level=1)
    d.add_paragraph("第2条　職員は、次の各号に掲げる事項を守らなければならない。")
    d.add_paragraph("持出しの前に情報セキュリティ管理者の許可を得ること。", style="List Number")
    d.add_paragraph("持出しの記録を台帳に残すこと。", style="List Number")
    d.add_paragraph("第3条　持出しの区分は、次の表のとおりとする。")
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [("区分", "持出し", "承認者"), ("機密性3", "禁止", "－"), ("機密性2", "可", "課長")]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("附則　この規程は、令和8年4月1日から施行する。")
    d.save(str(path))
    return path


def write_ledger(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "委託先台帳"
    ws.append(["架空市 委託先台帳"])
    ws.merge_cells("A1:D1")
    ws.append(["番号", "委託先", "契約額", "再委託"])
    ws.append([1, "架空システム株式会社", 1200000, "なし"])
    ws.append([2, "架空データ株式会社", 350000.5, "あり"])
    ws.append([3, "架空ネット株式会社", None, "なし"])
    other = wb.create_sheet("備考")
    other.append(["更新日", "令和8年4月1日"])
    wb.save(str(path))
    return path


@pytest.fixture(scope="module")
def word_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    root = tmp_path_factory.mktemp("word")
    source = write_rules(root / "規程.docx")
    files = {".docx": source}
    for suffix, export in (("doc", "MS Word 97"), ("rtf", "Rich Text Format"), ("odt", "writer8")):
        files[f".{suffix}"] = office_save(source, suffix, export, root / suffix)
    return files


@pytest.fixture(scope="module")
def sheet_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    root = tmp_path_factory.mktemp("sheets")
    source = write_ledger(root / "台帳.xlsx")
    return {
        ".xlsx": source,
        ".xls": office_save(source, "xls", "MS Excel 97", root / "xls"),
        ".ods": office_save(source, "ods", "calc8", root / "ods"),
    }


@pytest.fixture(scope="module")
def checklist_xls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    root = tmp_path_factory.mktemp("checklist")
    return office_save(CHECKLIST, "xls", "MS Excel 97", root)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of the test's own, to see that a conversion leaves nothing in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def clauses(path: Path) -> list[tuple[str, str, str]]:
    return [(c.path, c.heading, c.text) for c in split_clauses(read_file(path))[1]]


# --- Word ------------------------------------------------------------------------------------


@needs_soffice
@pytest.mark.parametrize("suffix", [".doc", ".rtf", ".odt"])
def test_old_word_formats_give_the_clauses_of_the_docx(
    word_files: dict[str, Path], suffix: str, private_tmp: Path
):
    said: list[str] = []
    reading = read_document(word_files[suffix], said.append)
    expected = clauses(word_files[".docx"])
    assert [(c.path, c.heading, c.text) for c in split_clauses(reading.blocks)[1]] == expected
    paths = [p for p, _, _ in expected]
    assert "第2章 > 第2条 > 1" in paths and "第2章 > 第2条 > 2" in paths  # Word's numbering
    assert any("\t" in text for _, _, text in expected)  # the table's rows, cell by cell
    assert said == [f"LibreOffice で変換しています: 規程{suffix}"]
    assert list(private_tmp.iterdir()) == []  # the converted copy and the profile are gone


@needs_soffice
@pytest.mark.skipif(not MODEL_SPEC.is_file(), reason="shared/real_documents is not present")
def test_a_real_specification_saved_as_doc_keeps_its_clause_texts(tmp_path: Path):
    old = office_save(MODEL_SPEC, "doc", "MS Word 97", tmp_path / "doc")
    original = split_clauses(read_file(MODEL_SPEC))[1]
    converted = split_clauses(read_file(old))[1]
    assert len(converted) == len(original) > 100
    assert [c.text for c in converted] == [c.text for c in original]
    assert sum(c.text.count("\t") for c in converted) > 50  # its tables, cell by cell
    assert all(c.page is not None for c in converted)  # LibreOffice records its page breaks
    # Not asserted: every clause path. LibreOffice writes the first Heading 1 of this file into
    # a list of its own, so the next one reads as "1." where the .doc shows "2.".


@needs_soffice
def test_the_converted_copy_lives_in_a_private_folder_removed_afterwards(
    word_files: dict[str, Path], private_tmp: Path
):
    with to_current(word_files[".doc"]) as converted:
        assert converted.suffix == ".docx" and converted.stat().st_size > 0
        folder = converted.parent.parent
        assert folder.parent == private_tmp
        assert (folder.stat().st_mode & 0o777) == 0o700
        assert (folder / "profile").is_dir()  # LibreOffice ran with a profile of its own
    assert not folder.exists() and list(private_tmp.iterdir()) == []
    assert not list(word_files[".doc"].parent.glob(".~lock*"))  # nothing beside the user's file


@needs_soffice
def test_a_corrupt_doc_names_the_file_and_the_fix_and_leaves_nothing(
    word_files: dict[str, Path], tmp_path: Path, private_tmp: Path
):
    # an OLE container whose Word stream is blank: LibreOffice runs and cannot load it
    broken = tmp_path / "壊れた規程.doc"
    shutil.copyfile(word_files[".doc"], broken)
    with olefile.OleFileIO(str(broken), write_mode=True) as ole:
        ole.write_stream("WordDocument", b"\0" * ole.get_size("WordDocument"))
    with pytest.raises(UnreadableFileError) as err:
        read_document(broken)
    assert err.value.path == str(broken)
    assert str(broken) in err.value.ja and "変換できませんでした" in err.value.ja
    assert ".docx 形式で保存し直して" in err.value.ja and "save it as .docx" in err.value.en
    assert "source" not in str(err.value)  # the temporary copy's name is never shown
    assert list(private_tmp.iterdir()) == []


def test_bytes_of_no_office_format_are_refused_before_libreoffice_runs(
    tmp_path: Path, private_tmp: Path
):
    junk = tmp_path / "規程.doc"
    junk.write_bytes(bytes(range(256)) * 8)  # LibreOffice would import these as text
    with pytest.raises(UnreadableFileError) as err:
        read_document(junk)
    assert err.value.path == str(junk) and "壊れているか、別の形式" in err.value.ja
    assert "save it as .docx" in err.value.en
    not_rtf = tmp_path / "規程.rtf"
    not_rtf.write_text("ただのテキスト", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"\.rtf"):
        read_document(not_rtf)
    sheet = junk.rename(tmp_path / "台帳.xls")
    with pytest.raises(UnreadableFileError) as err:
        read_sheet_rows(sheet)
    assert err.value.path == str(sheet) and "save it as .xlsx" in err.value.en
    assert list(private_tmp.iterdir()) == []


@needs_soffice
def test_a_password_protected_doc_says_so(word_files: dict[str, Path], tmp_path: Path):
    locked = tmp_path / "保護.doc"
    shutil.copyfile(word_files[".doc"], locked)
    with olefile.OleFileIO(str(locked), write_mode=True) as ole:
        fib = bytearray(ole.openstream("WordDocument").read())
        flags = struct.unpack_from("<H", fib, 10)[0]
        struct.pack_into("<H", fib, 10, flags | 0x0100)  # FibBase.fEncrypted, as Word sets it
        ole.write_stream("WordDocument", bytes(fib))
    with pytest.raises(UnreadableFileError) as err:
        read_document(locked)
    assert err.value.path == str(locked)
    assert "パスワード" in err.value.ja and "パスワードを解除" in err.value.ja
    assert "password-protected" in err.value.en and "save it as .docx" in err.value.en


def test_without_libreoffice_the_error_names_the_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    rtf = tmp_path / "通知.rtf"
    rtf.write_text(r"{\rtf1\ansi Notice\par}", encoding="ascii")
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(UnreadableFileError) as err:
        read_document(rtf)
    for words in (err.value.ja, err.value.en):
        assert str(rtf) in words
        assert "libreoffice-writer libreoffice-calc libreoffice-impress" in words
        assert "make demo" in words and "root" in words
    assert "LibreOffice" in err.value.ja and ".docx" in err.value.ja


def fake_soffice(folder: Path, script: str) -> None:
    """A stand-in for LibreOffice on PATH: a shell script doing what a broken install might."""
    folder.mkdir()
    exe = folder / "soffice"
    exe.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    exe.chmod(0o755)


def test_a_conversion_that_hangs_is_stopped_with_all_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
):
    pid_file = tmp_path / "child.pid"
    fake_soffice(tmp_path / "bin", f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    rtf = tmp_path / "通知.rtf"
    rtf.write_text(r"{\rtf1\ansi Notice\par}", encoding="ascii")
    started = time.monotonic()
    with pytest.raises(UnreadableFileError) as err:
        with to_current(rtf, timeout_s=2):
            pass
    assert time.monotonic() - started < 30
    assert "2 秒で終わりませんでした" in err.value.ja and "within 2 s" in err.value.en
    assert ".docx 形式で保存し直して" in err.value.ja
    child = int(pid_file.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()
    assert list(private_tmp.iterdir()) == []


def test_a_failing_libreoffice_is_reported_with_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
):
    fake_soffice(tmp_path / "bin", "echo 'Error: source file could not be loaded' >&2\nexit 81\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    rtf = tmp_path / "通知.rtf"
    rtf.write_text(r"{\rtf1\ansi Notice\par}", encoding="ascii")
    with pytest.raises(UnreadableFileError) as err:
        read_document(rtf)
    assert "終了コード 81" in err.value.ja and "could not be loaded" in err.value.en
    assert list(private_tmp.iterdir()) == []


# --- Excel -----------------------------------------------------------------------------------


@needs_soffice
@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_old_workbooks_give_the_rows_of_the_xlsx(sheet_files: dict[str, Path], suffix: str):
    rows = read_sheet_rows(sheet_files[suffix])
    assert rows == read_sheet_rows(sheet_files[".xlsx"])
    assert [name for name, _ in rows] == ["委託先台帳", "備考"]
    ledger = dict(rows)["委託先台帳"]
    assert ledger[0][:4] == ["架空市 委託先台帳"] * 4  # the merged title, filled in
    assert ledger[3] == ["2", "架空データ株式会社", "350000.5", "あり"]
    assert read_file(sheet_files[suffix]) == read_file(sheet_files[".xlsx"])


@needs_soffice
def test_an_xls_checklist_is_the_same_checklist_and_exports_as_xlsx(
    checklist_xls: Path, tmp_path: Path, private_tmp: Path
):
    old, current = import_checklist(checklist_xls), import_checklist(CHECKLIST)
    assert len(old.items) == len(current.items) == 29
    fields = ("id", "text", "group", "sheet", "row", "guidance", "example")
    assert [[getattr(i, f) for f in fields] for i in old.items] == [
        [getattr(i, f) for f in fields] for i in current.items
    ]
    assert old.title == current.title and old.source == str(checklist_xls)
    judgement = ChecklistJudgement(
        item="1-1-1",
        contract="C-2026-001",
        verdict="反映あり",
        answer="はい",
        rationale="仕様書で認証の取得を求めている。",
    )
    signed = ReviewInfo(status="approved", reviewer="主任担当者 佐藤花子", reviewed_at="2026-02-10")
    out = export_checklist(checklist_xls, "C-2026-001", [(judgement, signed)], tmp_path / "o.xlsx")
    ws = load_workbook(out)[old.items[0].sheet]
    row = old.items[0].row
    assert ws[f"A{row}"].value == "1-1-1" and ws[f"C{row}"].value.startswith("■はい")
    assert list(private_tmp.iterdir()) == []
    with pytest.raises(UserError, match=r"\.xlsx"):
        export_checklist(checklist_xls, "C-2026-001", [(judgement, signed)], tmp_path / "o.xls")


# --- through the pipeline --------------------------------------------------------------------


@needs_soffice
def test_an_ingested_doc_keeps_its_name_and_hash(
    word_files: dict[str, Path], tmp_path: Path, private_tmp: Path
):
    docs = tmp_path / "docs" / "policy"
    docs.mkdir(parents=True)
    shutil.copyfile(word_files[".doc"], docs / "持出し規程.doc")
    services = build_services(load_settings())
    try:
        report = services.ingest([tmp_path / "docs"])
        assert report.count("added") == 1 and not report.failed
        (record,) = services.index.documents()
        assert record.doc_id == "policy/持出し規程.doc" and record.kind == "policy"
        digest = hashlib.sha256((docs / "持出し規程.doc").read_bytes()).hexdigest()
        assert record.sha256 == digest
        stored = [(c.path, c.text) for c in services.index.document_clauses(record.doc_id)]
        assert [(p, t) for p, _, t in clauses(word_files[".docx"])] == stored
        hits = services.search("持出しの記録を台帳に残す")
        assert hits and hits[0].document == "policy/持出し規程.doc"
        again = services.ingest([tmp_path / "docs"])
        assert again.count("unchanged") == 1  # the same .doc is not converted twice
    finally:
        services.close()
    assert list(private_tmp.iterdir()) == []


def test_every_old_format_has_a_reader():
    for suffix in (".doc", ".rtf", ".odt", ".xls", ".ods", ".ppt", ".odp", ".pptx"):
        assert suffix in READERS
