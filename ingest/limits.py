"""How much one ingest may read, and where its temporary files go.

``Limits`` is built from the settings by ``copilot.services`` (``ingest`` may not import them):
the largest file, PDF pages, unpacked size of an Office package, mail attachment, and pages to
OCR in one job, and the folder for temporary files (page images, LibreOffice copies, a mail's
attachments), which lies in the data folder so that ``copilot purge`` erases what an interrupted
job left. Every check runs before the expensive step (the parse, the unzip, the OCR) and raises an
``UnreadableFileError`` naming the file and the setting to raise.

``configure`` sets the limits of this process (the CLI and the UI call it through
``build_services``); ``job`` starts one ingest's count of OCR pages. Readers ask ``active()``.
The defaults below are the settings' own, so a reader called without settings is held too.
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.permissions import private_mkdir

MB = 1024 * 1024
# Members of one Office package at most: a real one holds tens to a few thousand (a part per
# sheet, slide, image); a crafted one with millions costs memory before a byte is unpacked.
MAX_PARTS = 20_000
_TAIL = 22 + 0xFFFF  # the end record and the longest comment it may carry


@dataclass(frozen=True)
class Limits:
    """What one ingest may read (bytes and pages), and its temporary folder (None: the system's)."""

    max_file_bytes: int = 100 * MB
    max_pdf_pages: int = 1000
    max_unpacked_bytes: int = 300 * MB
    max_attachment_bytes: int = 20 * MB
    max_ocr_pages: int = 100
    tmp_dir: Path | None = None


@dataclass
class _Job:
    """One ingest job's running count of OCR'd pages."""

    limits: Limits
    ocr_pages: int = 0


_process = Limits()
_job: ContextVar[_Job | None] = ContextVar("ingest_job", default=None)


def configure(limits: Limits) -> None:
    """Set the limits of this process (a job started with ``job`` may carry its own)."""
    global _process
    _process = limits


def active() -> Limits:
    """The limits in force: the current job's, else the process's."""
    current = _job.get()
    return current.limits if current is not None else _process


@contextmanager
def job(limits: Limits | None = None) -> Iterator[None]:
    """One ingest job: its limits and its count of OCR'd pages, until the block ends."""
    token = _job.set(_Job(limits or active()))
    try:
        yield
    finally:
        _job.reset(token)


def temp_folder(prefix: str) -> Path:
    """A new private (0700) folder for a job's temporary files, in the limits' ``tmp_dir``."""
    parent = active().tmp_dir
    if parent is not None:
        private_mkdir(parent)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def _mb(n: int) -> str:
    return f"{n / MB:.0f}" if n >= MB else f"{n / MB:.2f}"


def check_file_size(path: Path) -> None:
    """Refuse a file larger than ``max_file_bytes`` before anything reads it.

    Raises:
        UnreadableFileError: too large.

    """
    limit = active().max_file_bytes
    size = path.stat().st_size
    if size > limit:
        raise too_large(str(path), size, limit)


def too_large(name: str, size: int, limit: int) -> UnreadableFileError:
    """The error for a file over ``max_file_bytes`` (an upload or an ingested file)."""
    return UnreadableFileError(
        name,
        f"ファイルが大きすぎます（{_mb(size)} MB。上限 {_mb(limit)} MB）。ファイルを分けるか、"
        "必要なら設定 COPILOT_MAX_UPLOAD_MB を大きくしてください。",
        f"the file is too large ({_mb(size)} MB, the limit is {_mb(limit)} MB); split it, or "
        "raise the setting COPILOT_MAX_UPLOAD_MB if it is needed.",
    )


def check_package(path: Path) -> None:
    """Refuse a zip package (.docx/.xlsx/.pptx/.odt …) that would unpack beyond the limit.

    The sizes come from the zip's central directory, which is read without unpacking anything;
    Python's zipfile never returns more of a member than its recorded size, so a package that
    passes cannot unpack to more than the sum.

    Raises:
        UnreadableFileError: the recorded sizes add up to more than ``max_unpacked_bytes``.

    """
    parts = _parts(path)
    if parts is not None and parts > MAX_PARTS:
        raise UnreadableFileError(
            str(path),
            f"中のファイル（部品）が {parts} 個あり、Office ファイルとしては多すぎるため読みません"
            f"（上限 {MAX_PARTS} 個。圧縮を悪用したファイルの可能性があります）。元のアプリで開き、"
            "保存し直してから取り込んでください。",
            f"it holds {parts} parts, too many for an Office file (at most {MAX_PARTS}; it may "
            "be a zip bomb), so it was not read; open it in its application, save it again and "
            "ingest that.",
        )
    limit = active().max_unpacked_bytes
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: the reader reports it as corrupt
    if total > limit:
        raise UnreadableFileError(
            str(path),
            f"展開すると {_mb(total)} MB になるため読みません（上限 {_mb(limit)} MB。"
            "圧縮を悪用したファイル（zip 爆弾）の可能性があります）。正しいファイルか確認し、"
            "必要なら設定 COPILOT_MAX_UNPACKED_MB を大きくしてください。",
            f"it would unpack to {_mb(total)} MB (the limit is {_mb(limit)} MB; it may be a zip "
            "bomb), so it was not read; check the file, or raise the setting "
            "COPILOT_MAX_UNPACKED_MB if it is genuine.",
        )


def _parts(path: Path) -> int | None:
    """How many members a zip says it holds (its end record), read before its directory is.

    None when no end record is found: the reader then reports a damaged file.
    """
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - _TAIL))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        total = struct.unpack_from("<H", tail, at + 10)[0]
        locator = at - 20  # a Zip64 file says 0xFFFF here and the count in its own end record
        if total != 0xFFFF or locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            return total
        fh.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
        record = fh.read(40)
    if len(record) < 40 or record[:4] != b"PK\x06\x06":
        return None
    return int(struct.unpack_from("<Q", record, 32)[0])


def check_pdf_pages(path: Path, pages: int) -> None:
    """Refuse a PDF of more than ``max_pdf_pages`` pages before its pages are read.

    Raises:
        UnreadableFileError: too many pages.

    """
    limit = active().max_pdf_pages
    if pages > limit:
        raise UnreadableFileError(
            str(path),
            f"PDF のページ数が多すぎます（{pages} ページ。上限 {limit} ページ）。PDF を分けるか、"
            "必要なら設定 COPILOT_MAX_PDF_PAGES を大きくしてください。",
            f"the PDF has too many pages ({pages}, the limit is {limit}); split it, or raise "
            "the setting COPILOT_MAX_PDF_PAGES if it is needed.",
        )


def take_ocr_pages(path: Path, pages: int) -> None:
    """Count ``pages`` to OCR against the job's ``max_ocr_pages``, before the OCR starts.

    Raises:
        UnreadableFileError: the job would OCR more pages than allowed (nothing is counted).

    """
    current = _job.get()
    limits = active()
    used = current.ocr_pages if current is not None else 0
    if used + pages > limits.max_ocr_pages:
        so_far = f"（この取り込みで既に {used} ページ）" if used else ""
        so_far_en = f" ({used} already in this ingest)" if used else ""
        raise UnreadableFileError(
            str(path),
            f"画像のページが {pages} ページあり、OCR の上限 {limits.max_ocr_pages} ページを"
            f"超えるため読みません{so_far}。PDF を分けて取り込むか、必要なら設定 "
            "COPILOT_MAX_OCR_PAGES を大きくしてください。",
            f"it has {pages} pages that are images, over the OCR limit of "
            f"{limits.max_ocr_pages} pages{so_far_en}, so it was not read; ingest the PDF in "
            "parts, or raise the setting COPILOT_MAX_OCR_PAGES if it is needed.",
        )
    if current is not None:
        current.ocr_pages += pages


def attachment_too_large(name: str, size: int) -> UnreadableFileError | None:
    """The error for a mail attachment over ``max_attachment_bytes``, or None when it fits."""
    limit = active().max_attachment_bytes
    if size <= limit:
        return None
    return UnreadableFileError(
        name,
        f"添付ファイルが大きすぎるため読みません（{_mb(size)} MB。上限 {_mb(limit)} MB）。"
        "添付ファイルを取り出して別に取り込むか、必要なら設定 COPILOT_MAX_ATTACHMENT_MB を"
        "大きくしてください。",
        f"the attachment is too large ({_mb(size)} MB, the limit is {_mb(limit)} MB), so it "
        "was not read; save it and ingest it on its own, or raise the setting "
        "COPILOT_MAX_ATTACHMENT_MB if it is needed.",
    )
