"""What every reader returns: text blocks, and for some formats metadata and attachments.

A block is one paragraph, one table row, one spreadsheet row, one slide's title or one line of a
PDF page. The document's text is the blocks joined by newlines; clause offsets point into that
text. The cells of a table row are joined by ``CELL`` (a tab): a quote never runs across it, so a
quote from a table is the words of a cell, as a person finds them in the source.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ingest.errors import UnreadableFileError
from ingest.limits import check_package

CELL = "\t"
_CFB_MAGIC = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: encrypted OOXML or legacy .doc/.xls
)

# Why a block is not the document's own words of obligation (it may be found, never cited):
QUOTED = "quoted"  # earlier mail quoted in a reply
FORM = "form"  # a form's choice to tick (□要／□不要), not a requirement
COMMENTARY = "commentary"  # an item's explanation (【解説】…): it helps find the item, never a hit

Notify = Callable[[str], None]
T = TypeVar("T")


def quiet(_message: str) -> None:
    """A progress callback that says nothing."""


@dataclass(frozen=True)
class Block:
    """One unit of text as the reader found it."""

    text: str
    page: int | None = None
    heading_level: int | None = None
    table_row: bool = False  # a spreadsheet or table row: a number at its start is an item id
    label: str = ""  # the number the source shows before the text (Word list numbering)
    ocr: bool = False  # read by OCR from an image of the page
    aside: str = ""  # QUOTED or FORM: kept for search, never cited


@dataclass(frozen=True)
class Attachment:
    """A file carried inside another (an e-mail's attachment)."""

    name: str
    data: bytes


@dataclass
class Reading:
    """A whole file as read: its blocks, its metadata (e-mail headers) and its attachments."""

    blocks: list[Block]
    meta: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


Reader = Callable[[Path, Notify], "list[Block] | Reading"]


def check_ooxml(path: Path, kind_ja: str, kind_en: str) -> None:
    """Refuse an encrypted Office file and one that is not a zip.

    Raises:
        UnreadableFileError: password-protected, legacy or corrupt.

    """
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _CFB_MAGIC:
        raise UnreadableFileError(
            str(path),
            f"パスワードで保護されているか、古い形式の{kind_ja}です。"
            "パスワードを解除し、新しい形式で保存し直してから取り込んでください。",
            f"the {kind_en} is password-protected or in the legacy format; remove the password "
            "and save it in the current format, then ingest it again.",
        )
    if not zipfile.is_zipfile(path):
        raise corrupt(path)
    check_package(path)  # before any part is unpacked: a zip bomb stops here


def open_package(path: Path, opener: Callable[[str], T]) -> T:
    """Open an Office package with its library, any parse failure reported as ``corrupt``.

    Raises:
        UnreadableFileError: the package's parts cannot be parsed.

    """
    try:
        return opener(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise corrupt(path, type(exc).__name__) from exc
    except Exception as exc:  # python-docx/-pptx raise PackageNotFoundError and lxml errors
        if type(exc).__name__ in ("PackageNotFoundError", "XMLSyntaxError"):
            raise corrupt(path, type(exc).__name__) from exc
        raise


def corrupt(path: Path, detail: str = "") -> UnreadableFileError:
    """The error for a file that cannot be parsed."""
    extra = f"（{detail}）" if detail else ""
    return UnreadableFileError(
        str(path),
        f"ファイルが壊れているため読めません{extra}。元のファイルを開いて保存し直してください。",
        f"the file is corrupt and cannot be read{f' ({detail})' if detail else ''}; "
        "open the original and save it again.",
    )
