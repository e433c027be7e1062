"""The original page of a cited clause: its image with the quote marked, and its neighbours.

An auditor checks an extraction against the page it came from. For a cited clause this finds
the file the document was read from (the manifest keeps its path and sha256), draws the page
that holds the quote (``ingest.render``) and gives the clauses before and after it:

- a PDF: its page, the quote marked where the text layer holds it; a scanned page (read by
  OCR) is the scan itself, beside the text OCR read from it;
- Word, Excel, PowerPoint: printed to PDF by LibreOffice once per file content, then as a PDF;
- text, Markdown and mail: no image; the extracted text with the quote marked is the original.

The file must still have the content that was ingested (its sha256): a file changed or replaced
since is not drawn, and the page says why. Drawn pages and printed PDFs are kept under
``<data>/source_pages/<sha256 of the file>/`` (owner-only, erased by ``purge`` and when the
document is removed), so a page is drawn once and a document printed once; a version kept after
its replacement keeps the pages already drawn of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import UnreadableFileError
from copilot.settings import Settings
from ingest.index import ClauseIndex, ClauseRecord
from ingest.permissions import private_mkdir
from ingest.pipeline import sha256_file
from ingest.render import DPI, PRINTED, locate, render, squash, to_pdf

FOLDER = "source_pages"
_RECIPE = f"dpi={DPI};v=2"  # a change here draws the pages again
_PRINT = "print.pdf"

OCR_NOTE = (
    "この条項は画像のページを文字認識（OCR）で読み取ったものです。"
    "読み取った文字を原本の画像と照らし合わせて確認してください。"
)
UNMARKED_NOTE = (
    "原本のページ上で引用箇所を特定できなかったため、画像には印を付けていません。"
    "抽出した本文と照らし合わせて確認してください。"
)
PARTIAL_NOTE = "引用がページをまたいでいるため、このページにある部分に印を付けています。"
TEXT_NOTE = "テキスト形式の文書のため、原本の画像はありません。抽出した本文で引用箇所を示します。"
MAIL_NOTE = (
    "メールから読み取った文書のため、原本の画像はありません。抽出した本文で引用箇所を示します。"
)
MISSING_NOTE = (
    "原本のファイル（{name}）が取り込んだときの場所に見つからないため、画像は表示できません。"
)
CHANGED_NOTE = (
    "原本のファイル（{name}）が取り込んだ後に変更または差し替えられているため、"
    "画像は表示できません。"
)
PRINT_NOTE = "原本（{name}）を LibreOffice で PDF に変換できなかったため、画像は表示できません。"
UNKNOWN_NOTE = "この文書の原本の記録が索引にないため、画像は表示できません。"


@dataclass(frozen=True)
class SourcePage:
    """A cited clause as the original shows it."""

    clause: ClauseRecord
    quote: str
    image: bytes | None  # the page as a PNG (None: no image, ``notes`` say why)
    page: int | None  # the page drawn, counted from the first page of the file (1-based)
    pages: int  # how many pages the file (or its printed PDF) has
    marked: bool  # the quote is marked on the image
    before: ClauseRecord | None  # the clause before it in the document
    after: ClauseRecord | None  # and the one after it
    notes: tuple[str, ...]  # whole Japanese sentences for the auditor


@dataclass
class _Original:
    """What is known of one document's file for this call."""

    folder: Path  # the cache folder of its content
    pdf: Path | None = None  # a PDF to draw from (the file itself, or its printed copy)
    note: str = ""  # why there is no PDF
    text: bool = False  # a text or mail document: no image by nature


def cache_folder(settings: Settings) -> Path:
    """Where drawn pages and printed PDFs are kept."""
    return Path(settings.data_dir) / FOLDER


def forget(settings: Settings, sha256s: Sequence[str]) -> None:
    """Erase what was drawn or printed from files of these contents (a removed document's)."""
    root = cache_folder(settings)
    for sha in sha256s:
        if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha):
            shutil.rmtree(root / sha, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    """Write a file whole (owner-only), so that a reader never sees half of it."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(partial, path)


def _originals(settings: Settings, index: ClauseIndex, doc_ids: list[str]) -> dict[str, _Original]:
    """Each document's file, checked against its sha256; Office files printed in one run."""
    out: dict[str, _Original] = {}
    printing: dict[Path, Path] = {}
    waiting: dict[Path, list[_Original]] = {}
    for doc_id in doc_ids:
        known = index.original(doc_id)
        if known is None:
            out[doc_id] = _Original(cache_folder(settings), note=UNKNOWN_NOTE)
            continue
        source, sha = known
        folder = cache_folder(settings) / sha
        entry = out[doc_id] = _Original(folder)
        path = Path(source)
        suffix = path.suffix.lower()
        name = path.name
        if "#" in source or suffix in (".eml", ".msg"):
            entry.text, entry.note = True, MAIL_NOTE
        elif suffix not in PRINTED and suffix != ".pdf":
            entry.text, entry.note = True, TEXT_NOTE
        elif suffix in PRINTED and (folder / _PRINT).is_file():
            entry.pdf = folder / _PRINT  # printed before: the file need not be read again
        elif not path.is_file():
            entry.note = MISSING_NOTE.format(name=name)
        elif sha256_file(path) != sha:
            entry.note = CHANGED_NOTE.format(name=name)
        elif suffix == ".pdf":
            entry.pdf = path
        else:
            private_mkdir(folder)
            printing[path] = folder / _PRINT
            waiting.setdefault(path, []).append(entry)
            entry.note = PRINT_NOTE.format(name=name)
    if printing:
        try:
            done = to_pdf(printing)
        except UnreadableFileError:  # no LibreOffice, or it failed: the note says so
            done = []
        for path in done:
            for entry in waiting[path]:
                entry.pdf, entry.note = printing[path], ""
    return out


def _key(rec: ClauseRecord, quote: str) -> str:
    digest = hashlib.sha256(
        "\0".join([_RECIPE, str(rec.page), squash(quote), squash(rec.text)]).encode()
    ).hexdigest()
    return digest[:32]


def _drawn(rec: ClauseRecord, quote: str, original: _Original) -> tuple[bytes, dict[str, object]]:
    """The page's PNG and what was found, from the cache or drawn now (and kept)."""
    key = _key(rec, quote)
    png, info = original.folder / f"{key}.png", original.folder / f"{key}.json"
    if png.is_file() and info.is_file():
        return png.read_bytes(), json.loads(info.read_text(encoding="utf-8"))
    assert original.pdf is not None
    found = locate(original.pdf, quote, rec.page, rec.text)
    image = render(original.pdf, found.page, found.boxes)
    about: dict[str, object] = {
        "page": found.page + 1,
        "pages": found.pages,
        "marked": bool(found.boxes),
        "whole": found.whole,
        "text_layer": found.text_layer,
    }
    private_mkdir(original.folder)
    _write(png, image)
    _write(info, json.dumps(about).encode())
    return image, about


def _cached(rec: ClauseRecord, quote: str, original: _Original) -> bool:
    key = _key(rec, quote)
    return (original.folder / f"{key}.png").is_file()


def source_pages(
    settings: Settings, index: ClauseIndex, cites: Sequence[tuple[ClauseRecord, str]]
) -> list[SourcePage]:
    """The original page of each cited clause (with its quote), in the order given.

    Pages drawn before come from the cache; the files of the others are read once each (and
    Office files printed in one LibreOffice run). What cannot be drawn is a page without an
    image whose ``notes`` say why; nothing here raises for a missing or changed file.
    """
    need = [rec.doc_id for rec, _ in cites]
    originals: dict[str, _Original] = {}
    # documents whose every cited page is drawn already need not have their file looked at
    for doc_id in dict.fromkeys(need):
        known = index.original(doc_id)
        if known is not None:
            folder = cache_folder(settings) / known[1]
            ready = _Original(folder)
            if all(_cached(r, q, ready) for r, q in cites if r.doc_id == doc_id):
                originals[doc_id] = ready
    missing = [d for d in dict.fromkeys(need) if d not in originals]
    originals.update(_originals(settings, index, missing))
    out = []
    for rec, quote in cites:
        original = originals[rec.doc_id]
        before, after = index.neighbours(rec)
        notes: list[str] = []
        image: bytes | None = None
        page: int | None = None
        pages = 0
        marked = False
        if original.pdf is not None or _cached(rec, quote, original):
            image, about = _drawn(rec, quote, original)
            page, pages = int(about["page"]), int(about["pages"])  # type: ignore[call-overload]
            marked = bool(about["marked"])
            if rec.ocr or not about["text_layer"]:
                notes.append(OCR_NOTE if rec.ocr else UNMARKED_NOTE)
            elif not marked:
                notes.append(UNMARKED_NOTE)
            elif not about["whole"]:
                notes.append(PARTIAL_NOTE)
        else:
            notes.append(original.note)
        out.append(SourcePage(rec, quote, image, page, pages, marked, before, after, tuple(notes)))
    return out
