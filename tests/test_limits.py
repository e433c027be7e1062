"""Limits on what an ingest reads: size, PDF pages, unpacked Office size, attachments, OCR pages.

Each is refused before the expensive step (the unzip, the parse, the OCR) with a message that
names the file and the setting to raise, and the index stays as it was. Through the CLI
(``copilot ingest``), a subprocess for the memory of a zip bomb, and the running UI with
Gradio's client for an upload over ``COPILOT_MAX_UPLOAD_MB``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import docx
import httpx
import pytest
from openpyxl import Workbook

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.review.store import open_store
from copilot.settings import load_settings
from tests.served import serving

MB = 1024 * 1024


def _bomb(path: Path, part: str, template: bytes, filler: bytes, unpacked: int) -> Path:
    """``template`` (a valid .docx/.xlsx) with ``part`` grown by ``filler`` repeated until it
    unpacks to about ``unpacked`` bytes: a few hundred KB on disk, written in 1 MB chunks."""
    with zipfile.ZipFile(io.BytesIO(template)) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    xml = parts[part]
    cut = xml.rindex(b"</")  # the filler goes before the root's closing tag
    chunk = filler * (MB // len(filler))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts.items():
            if name != part:
                out.writestr(name, data)
                continue
            with out.open(name, "w", force_zip64=True) as fh:
                fh.write(xml[:cut])
                for _ in range(unpacked // len(chunk)):
                    fh.write(chunk)
                fh.write(xml[cut:])
    return path


def _docx_bytes(text: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def docx_bomb(path: Path, unpacked: int, filler: bytes = b"<!-- " + b"x" * 64 + b" -->") -> Path:
    """A valid .docx with one paragraph of text whose document.xml unpacks to ``unpacked``."""
    return _bomb(path, "word/document.xml", _docx_bytes("第1条 本文です。"), filler, unpacked)


def xlsx_bomb(path: Path, unpacked: int) -> Path:
    """A valid .xlsx with one cell whose sheet unpacks to ``unpacked`` bytes (an XML comment)."""
    wb = Workbook()
    wb.active["A1"] = "委託先の管理"
    buf = io.BytesIO()
    wb.save(buf)
    filler = b"<!-- " + b"y" * 64 + b" -->"
    return _bomb(path, "xl/worksheets/sheet1.xml", buf.getvalue(), filler, unpacked)


def _documents() -> list[str]:
    from copilot.services import build_services

    s = build_services(load_settings())
    try:
        return sorted(d.doc_id for d in s.index.documents())
    finally:
        s.close()


@pytest.fixture
def indexed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """One small document already in the index: what every refusal must leave as it was."""
    kept = tmp_path / "kept" / "規程.txt"
    kept.parent.mkdir()
    kept.write_text("第1条 委託先は再委託してはならない。\n", encoding="utf-8")
    assert main(["ingest", str(kept)]) == 0
    capsys.readouterr()
    return _documents()


def _ingest(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    code = main(["ingest", str(path)])
    return code, capsys.readouterr().err


# --- finding 6: zip bombs -------------------------------------------------------------------------


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str], monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_MAX_UNPACKED_MB", "2")
    bomb = docx_bomb(tmp_path / "爆弾.docx", 8 * MB)
    assert bomb.stat().st_size < MB // 4  # small on disk, 8 MB unpacked
    code, err = _ingest(capsys, bomb)
    assert code == 1
    assert "爆弾.docx" in err and "展開すると" in err and "COPILOT_MAX_UNPACKED_MB" in err
    assert "zip bomb" in err
    assert _documents() == indexed  # nothing added, nothing lost

    monkeypatch.setenv("COPILOT_MAX_UNPACKED_MB", "20")  # the same file under a higher limit
    code, err = _ingest(capsys, bomb)
    assert code == 0, err
    assert len(_documents()) == len(indexed) + 1


def test_a_zip_bomb_xlsx_is_refused_and_so_is_its_checklist_import(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str], monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_MAX_UNPACKED_MB", "2")
    bomb = xlsx_bomb(tmp_path / "台帳.xlsx", 8 * MB)
    code, err = _ingest(capsys, bomb)
    assert code == 1
    assert "台帳.xlsx" in err and "COPILOT_MAX_UNPACKED_MB" in err
    assert _documents() == indexed
    # a reader called outside an ingest (a checklist's or ledger's rows) is held as well
    from copilot.services import build_services
    from ingest.readers import read_sheet_rows

    build_services(load_settings()).close()  # sets this process's limits from the settings
    with pytest.raises(UserError) as refused:
        read_sheet_rows(bomb)
    assert "COPILOT_MAX_UNPACKED_MB" in refused.value.en


def test_an_office_file_of_too_many_parts_is_refused_before_its_directory_is_read(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid .docx with 70,000 empty extra members (a Zip64 directory): refused by the count
    in its end record, not by parsing a directory of millions of entries."""
    from ingest.limits import MAX_PARTS

    path = tmp_path / "部品だらけ.docx"
    with zipfile.ZipFile(io.BytesIO(_docx_bytes("第1条 本文です。"))) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    with zipfile.ZipFile(path, "w", allowZip64=True) as out:
        for name, data in parts.items():
            out.writestr(name, data)
        for k in range(70_000):
            out.writestr(f"customXml/x{k}.xml", b"")
    assert 70_000 > MAX_PARTS
    code, err = _ingest(capsys, path)
    assert code == 1
    assert "部品だらけ.docx" in err and "個あり" in err and "多すぎる" in err and "zip bomb" in err
    assert _documents() == indexed


_READ_IN_CHILD = """
import resource, sys
cap = 3 * 1024 ** 3  # a bomb read whole dies here instead of taking the machine
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from ingest.readers import read_document
from ingest.errors import UserError
try:
    read_document(__import__("pathlib").Path(sys.argv[1]))
    said = "read"
except UserError as exc:
    said = exc.en
except MemoryError:
    said = "MemoryError"
print(said)
# this process's own peak: getrusage's ru_maxrss keeps the parent's peak across fork and exec
# (Linux), so a test run that has grown would be counted; VmHWM belongs to this image alone
status = open("/proc/self/status", encoding="ascii").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""


@pytest.mark.slow
def test_a_400_mb_zip_bomb_is_refused_with_little_memory(tmp_path: Path):
    """The finding's shape: a small .docx whose document.xml is 400 MB of empty paragraphs (each
    one an object once parsed). Read in a child process with the default limits (300 MB): refused
    by its recorded sizes, and the child's peak memory stays far below what parsing would take."""
    bomb = docx_bomb(tmp_path / "bomb.docx", 400 * MB, filler=b"<w:p/>" * 10)
    assert bomb.stat().st_size < 2 * MB
    done = subprocess.run(
        [sys.executable, "-c", _READ_IN_CHILD, str(bomb)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(lines) == 2, done.stderr[-2000:]
    said, peak_kb = lines[0], int(lines[1])
    assert "bomb.docx" in said and "COPILOT_MAX_UNPACKED_MB" in said, said
    assert peak_kb < 1024 * 1024, f"peak {peak_kb} KB"  # under 1 GB (a parse takes many GB)


# --- finding 8: sizes, pages, attachments, OCR ----------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str], monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_MAX_UPLOAD_MB", "1")
    big = tmp_path / "大きな規程.txt"
    big.write_text("第1条 本文。\n" + " " * (2 * MB), encoding="utf-8")
    code, err = _ingest(capsys, big)
    assert code == 1
    assert "大きな規程.txt" in err and "大きすぎます" in err and "COPILOT_MAX_UPLOAD_MB" in err
    assert _documents() == indexed


def _blank_pdf(path: Path, pages: int) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(width=595, height=842)
    with path.open("wb") as fh:
        w.write(fh)
    return path


def test_a_pdf_over_the_page_limit_is_refused_before_its_pages_are_read(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str], monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_MAX_PDF_PAGES", "3")
    code, err = _ingest(capsys, _blank_pdf(tmp_path / "長い.pdf", 5))
    assert code == 1
    assert "長い.pdf" in err and "5 ページ" in err and "COPILOT_MAX_PDF_PAGES" in err
    assert "OCR" not in err.replace("COPILOT_MAX", "")  # no page was read, by OCR or otherwise
    assert "Tesseract" not in err
    assert _documents() == indexed


def test_scanned_pages_over_the_ocr_limit_are_refused_before_the_ocr(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str], monkeypatch
):  # type: ignore[no-untyped-def]
    """Blank pages have no text layer, so each would go to Tesseract (whether installed or not:
    the limit is checked first)."""
    monkeypatch.setenv("COPILOT_MAX_OCR_PAGES", "2")
    code, err = _ingest(capsys, _blank_pdf(tmp_path / "スキャン.pdf", 3))
    assert code == 1
    assert "スキャン.pdf" in err and "COPILOT_MAX_OCR_PAGES" in err and "3 ページ" in err
    assert "OCR 1/" not in err and "Tesseract" not in err
    assert _documents() == indexed


def test_the_ocr_limit_counts_every_page_of_one_job() -> None:
    from ingest.errors import UnreadableFileError
    from ingest.limits import Limits, job, take_ocr_pages

    with job(Limits(max_ocr_pages=5)):
        take_ocr_pages(Path("a.pdf"), 3)
        with pytest.raises(UnreadableFileError) as refused:
            take_ocr_pages(Path("b.pdf"), 3)  # 6 in this job
        assert "b.pdf" in refused.value.ja and "既に 3 ページ" in refused.value.ja
        take_ocr_pages(Path("c.pdf"), 2)  # the refused file took nothing
    with job(Limits(max_ocr_pages=5)):  # a new job starts from nothing
        take_ocr_pages(Path("d.pdf"), 5)


def test_a_mail_attachment_over_the_limit_is_refused_the_rest_ingested(
    tmp_path: Path, indexed: list[str], capsys: pytest.CaptureFixture[str], monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_MAX_ATTACHMENT_MB", "1")
    msg = EmailMessage()
    msg["From"] = "総務課 <soumu@example.lg.jp>"
    msg["To"] = "audit@example.lg.jp"
    msg["Subject"] = "回答"
    msg.set_content("ご質問に回答します。\n委託先は年1回点検しています。\n")
    small = "別紙 点検記録は保存しています。\n".encode()
    big = "別紙 大きな記録。\n".encode() + b" " * (2 * MB)
    msg.add_attachment(small, maintype="text", subtype="plain", filename="別紙1.txt")
    msg.add_attachment(big, maintype="text", subtype="plain", filename="別紙2.txt")
    mail = tmp_path / "回答.eml"
    mail.write_bytes(msg.as_bytes())
    code = main(["ingest", str(mail), "--json"])
    out = capsys.readouterr()
    results = {Path(r["doc_id"]).name: r for r in json.loads(out.out)}
    assert code == 1
    assert results["回答.eml"]["status"] == "added"
    assert results["別紙1.txt"]["status"] == "added"
    refused = results["別紙2.txt"]
    assert refused["status"] == "failed"
    assert "別紙2.txt" in refused["error_ja"] and "COPILOT_MAX_ATTACHMENT_MB" in refused["error_ja"]
    assert "COPILOT_MAX_ATTACHMENT_MB" in refused["error_en"]
    assert _documents() == sorted([*indexed, "回答.eml", "回答.eml/別紙1.txt"])


# --- per-user jobs in the UI ----------------------------------------------------------------------


def test_a_user_runs_at_most_max_jobs_per_user_long_jobs_at_once(isolated_env: Path) -> None:
    from ui.jobs import long_job, running

    settings = load_settings(max_jobs_per_user=2)
    with long_job(settings, "sato"), long_job(settings, "sato"):
        assert running(settings, "sato") == 2
        with pytest.raises(UserError) as refused:
            with long_job(settings, "sato"):
                pass  # pragma: no cover - never entered
        assert "COPILOT_MAX_JOBS_PER_USER" in refused.value.ja
        assert "2 件" in refused.value.ja and "sato" in refused.value.en
        with long_job(settings, "suzuki"):  # another user is not held back
            assert running(settings, "suzuki") == 1
        assert running(settings, "sato") == 2  # the refused one was never counted
    assert running(settings, "sato") == 0
    with long_job(settings, "sato"):  # free again once the jobs ended
        pass


def test_a_second_ingest_of_one_user_is_refused_while_the_first_runs(isolated_env: Path) -> None:
    """Through the tab's own action: a job held by the user (a running ingest) makes the next
    ingest of the same user fail with the message, before it copies anything."""
    from ui.actions import Deps
    from ui.actions_records import ingest_uploads
    from ui.jobs import long_job

    settings = load_settings(max_jobs_per_user=1)
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤", "auditor", "sato-pass-1", by="admin")
        deps = Deps(settings, store)
        upload = isolated_env.parent / "upload.txt"
        upload.write_text("第1条 本文。\n", encoding="utf-8")
        with long_job(settings, "sato"):
            with pytest.raises(UserError) as refused:
                ingest_uploads(deps, "sato", [str(upload)], "", "", lambda _m: None)
            assert "COPILOT_MAX_JOBS_PER_USER" in refused.value.ja
        assert not list((Path(settings.data_dir) / "uploads").rglob("*.txt"))


# --- through the running UI -----------------------------------------------------------------------


@contextmanager
def _serving(tmp_path: Path, **settings: str) -> Iterator[tuple[str, Path]]:
    """`copilot serve` with these settings, an auditor (sato) and a lead (suzuki):
    (url, data folder)."""
    data = tmp_path / "served"
    with open_store(load_settings(data_dir=data)) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤", "auditor", "sato-pass-1", by="admin")
        store.add_user("suzuki", "鈴木", "lead", "suzuki-pass-1", by="admin")
    with serving(data, tmp_path / "serve.log", **settings) as (_, url):
        yield url, data


@pytest.fixture
def small_uploads(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`copilot serve` with COPILOT_MAX_UPLOAD_MB=1: (url, data folder)."""
    with _serving(tmp_path, COPILOT_MAX_UPLOAD_MB="1") as served:
        yield served


def _client(url: str, name: str):  # type: ignore[no-untyped-def]
    from gradio_client import Client

    return Client(
        url, auth=(name, f"{name}-pass-1"), verbose=False, analytics_enabled=False,
        download_files=False,
    )  # fmt: skip


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.slow
def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(
    small_uploads: tuple[str, Path], tmp_path: Path
) -> None:
    from gradio_client import Client, handle_file

    from tests.test_security_api import endpoint

    url, data = small_uploads
    big = tmp_path / "大きな契約書.txt"
    big.write_text("第1条 本文。\n" + " " * (2 * MB), encoding="utf-8")
    small = tmp_path / "小さな契約書.txt"
    small.write_text("第1条 受注者は再委託してはならない。\n", encoding="utf-8")
    client = Client(
        url, auth=("sato", "sato-pass-1"), verbose=False, analytics_enabled=False,
        download_files=False,
    )  # fmt: skip
    try:
        ingest = endpoint(client, output="ingest-msg")
        with pytest.raises(ValueError, match="exceeds the maximum file size of 1048576 bytes"):
            client.predict([handle_file(str(big))], "", "", api_name=ingest)  # told by the config
        with httpx.Client(base_url=url, timeout=30) as raw:  # past the client's own check
            login = raw.post("/login", data={"username": "sato", "password": "sato-pass-1"})
            assert login.status_code == 200, login.text
            with big.open("rb") as fh:
                up = raw.post("/gradio_api/upload", files={"files": (big.name, fh, "text/plain")})
            assert up.status_code == 413 and "maximum allowed size" in up.text, up.text
        assert _files_under(data / "uploads") == []
        cached = [p for p in _files_under(data / "gradio") if p.name == big.name]
        cached += [p for p in _files_under(data / "gradio") if p.stat().st_size > MB]
        assert cached == []  # never stored, not even in part in Gradio's cache
        message, _ = client.predict([handle_file(str(small))], "", "", api_name=ingest)
        assert "追加 1" in message  # a file under the limit goes through as before
    finally:
        client.close()
    assert [p.name for p in _files_under(data / "uploads")] == ["小さな契約書.txt"]


def test_the_upload_action_refuses_a_file_over_the_limit_before_copying_it(
    isolated_env: Path, tmp_path: Path
) -> None:
    """What the tab's action says of a file over COPILOT_MAX_UPLOAD_MB (one that reached it
    by another way than Gradio's upload route, which refuses it first)."""
    from ui.actions import Deps
    from ui.actions_records import ingest_uploads

    settings = load_settings(max_upload_mb=1)
    big = tmp_path / "大きな契約書.txt"
    big.write_text("第1条 本文。\n" + " " * (2 * MB), encoding="utf-8")
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤", "auditor", "sato-pass-1", by="admin")
        with pytest.raises(UserError) as refused:
            ingest_uploads(Deps(settings, store), "sato", [str(big)], "", "", lambda _m: None)
    assert "大きな契約書.txt" in refused.value.ja and "COPILOT_MAX_UPLOAD_MB" in refused.value.ja
    assert "COPILOT_MAX_UPLOAD_MB" in refused.value.en
    assert _files_under(Path(settings.data_dir) / "uploads") == []


def test_a_failed_upload_leaves_no_copy_in_uploads(isolated_env: Path, tmp_path: Path) -> None:
    """A file that fails to ingest (here: empty of text) is not kept under uploads/, where
    `status` would never show it."""
    from ui.actions import Deps
    from ui.actions_records import ingest_uploads

    settings = load_settings()
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤", "auditor", "sato-pass-1", by="admin")
        deps = Deps(settings, store)
        bad = tmp_path / "壊れた.docx"
        bad.write_bytes(b"PK\x03\x04 not really a zip")
        good = tmp_path / "規程.txt"
        good.write_text("第1条 本文。\n", encoding="utf-8")
        report = ingest_uploads(deps, "sato", [str(bad), str(good)], "", "", lambda _m: None)
    assert sorted(r.status for r in report.results) == ["added", "failed"]
    kept = [p.name for p in _files_under(Path(settings.data_dir) / "uploads")]
    assert kept == ["規程.txt"]


@pytest.mark.slow
def test_a_second_long_job_of_one_user_is_refused_through_the_ui(tmp_path: Path) -> None:
    """COPILOT_MAX_JOBS_PER_USER=1: while sato's long ingest runs, sato's next ingest is refused
    with the message (nothing copied); another user's goes through."""
    from gradio_client import handle_file

    from tests.test_security_api import endpoint

    long = tmp_path / "長い規程.txt"
    rows = [f"第{n}条 受注者は、委託業務第{n}号の記録を{n % 7 + 1}年間保存しなければならない。"
            for n in range(1, 4001)]  # fmt: skip
    long.write_text("\n".join(rows) + "\n", encoding="utf-8")
    short = tmp_path / "短い規程.txt"
    short.write_text("第1条 受注者は再委託してはならない。\n", encoding="utf-8")
    with _serving(tmp_path, COPILOT_MAX_JOBS_PER_USER="1") as (url, data):
        sato, suzuki = _client(url, "sato"), _client(url, "suzuki")
        try:
            ingest = endpoint(sato, output="ingest-msg")
            running = sato.submit([handle_file(str(long))], "", "", api_name=ingest)
            copy = data / "uploads" / "other" / long.name
            deadline = time.monotonic() + 120
            while not copy.exists():  # the first job has started (it copies, then ingests)
                assert time.monotonic() < deadline and not running.done()
                time.sleep(0.2)
            second = _client(url, "sato")  # another tab of the same user
            try:
                with pytest.raises(Exception, match="COPILOT_MAX_JOBS_PER_USER"):  # noqa: PT011
                    second.predict([handle_file(str(short))], "", "", api_name=ingest)
            finally:
                second.close()
            assert not (data / "uploads" / "other" / short.name).exists()
            assert not running.done()  # the refusal came while the first job ran
            message, _ = suzuki.predict([handle_file(str(short))], "", "", api_name=ingest)
            assert "追加 1" in message  # another user is not held back
        finally:
            sato.close()
            suzuki.close()
