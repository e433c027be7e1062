"""Readers per file format: each turns one file into text blocks (see ``blocks``).

One module a format family: ``text``, ``pdf`` (with ``ocr`` for pages that are images),
``sheets``, ``word``, ``slides``, ``mail``, and ``convert`` for the old Office and OpenDocument
formats, which LibreOffice turns into their current counterparts first. Readers are registered
by suffix in ``READERS``; ``read_document`` is the one entry point.
"""

from __future__ import annotations

from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.limits import check_file_size
from ingest.readers.blocks import (
    CELL,
    COMMENTARY,
    FORM,
    QUOTED,
    Attachment,
    Block,
    Notify,
    Reader,
    Reading,
    quiet,
)
from ingest.readers.convert import TARGETS, to_current
from ingest.readers.mail import read_eml, read_msg
from ingest.readers.pdf import read_pdf, strip_running_lines
from ingest.readers.sheets import read_sheet_rows, read_xlsx, row_cells
from ingest.readers.slides import read_pptx
from ingest.readers.text import read_text
from ingest.readers.word import format_number, read_docx

__all__ = [
    "CELL",
    "COMMENTARY",
    "FORM",
    "QUOTED",
    "READERS",
    "READERS_VERSION",
    "Attachment",
    "Block",
    "Reading",
    "format_number",
    "read_document",
    "read_eml",
    "read_file",
    "read_msg",
    "read_pptx",
    "read_sheet_rows",
    "row_cells",
    "strip_running_lines",
    "to_current",
]


def read_converted(path: Path, notify: Notify = quiet) -> list[Block]:
    """Read an old Office or OpenDocument file through its converted copy (see ``convert``)."""
    current = {"docx": read_docx, "xlsx": read_xlsx, "pptx": read_pptx}
    with to_current(path, notify) as converted:
        return current[TARGETS[path.suffix.lower()][0]](converted, notify)


# Raised when a reader reads the same file into other blocks: stored files are then read again.
READERS_VERSION = 2

READERS: dict[str, Reader] = {
    ".docx": read_docx,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".pdf": read_pdf,
    ".txt": read_text,
    ".md": read_text,
    ".eml": read_eml,
    ".msg": read_msg,
    ".pptx": read_pptx,
    **dict.fromkeys(TARGETS, read_converted),
}


def read_document(path: Path, notify: Notify | None = None) -> Reading:
    """Read one file: its blocks, metadata and attachments.

    Raises:
        UnreadableFileError: unsupported type, corrupt, encrypted or without text.

    """
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFileError(
            str(path),
            f"対応していない形式です（対応: {', '.join(sorted(READERS))}）。"
            "対応する形式で保存し直してから取り込んでください。",
            f"unsupported file type (supported: {', '.join(sorted(READERS))}); "
            "save it in one of them first.",
        )
    if path.stat().st_size == 0:
        raise UnreadableFileError(
            str(path), "空のファイルです。内容を確認してください。", "the file is empty; check it."
        )
    check_file_size(path)
    got = reader(path, notify or quiet)
    reading = got if isinstance(got, Reading) else Reading(got)
    reading.blocks = [b for b in reading.blocks if b.text.strip()]
    if not reading.blocks and not reading.attachments:
        raise UnreadableFileError(
            str(path),
            "文字が含まれていません。内容のあるファイルか確認してください。",
            "the file contains no text; check that it is the right file.",
        )
    return reading


def read_file(path: Path, notify: Notify | None = None) -> list[Block]:
    """Read one file into blocks (see ``read_document``)."""
    return read_document(path, notify).blocks
