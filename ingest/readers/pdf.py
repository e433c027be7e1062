"""PDF files: text lines, ruled tables row by row, headings and printed page numbers.

The page's characters are read with pdfplumber (on pdfminer.six), which gives each one its box,
font and size; pypdf reads the outline, the page labels and tells an encrypted file. Pages
without a text layer are read by OCR (``ocr_pages``).

What a person reads, not what the text layer holds:

- **Tables**: a ruled table is read row by row, one block a row, its cells apart (joined by
  ``CELL``); the table's characters are not read again as lines. pdfplumber was chosen over
  pdfminer.six's own layout analysis and pypdfium2: pdfminer groups a row's cells into separate
  text boxes in an order that mixes rows, and pypdfium2 gives characters and rectangles but no
  tables, so either would mean writing a table finder. pdfplumber finds the ruling lines and the
  cells (merged cells included), is MIT-licensed and maintained, and runs on pdfminer.six, which
  we need anyway. PyMuPDF's table finder is as good but is AGPL (a licence we cannot ship under),
  and camelot needs Ghostscript or its own rasteriser. Tables without ruling lines stay lines.
- **Headings and numbers**, **the table of contents** (never text), **printed page numbers**:
  see ``pdf_structure``. ``Block.page`` is the printed page where the page shows one (or
  /PageLabels gives one), else the physical page.
- **Clean text**: a private-use character used as a bullet (Wingdings U+F09E) becomes 「・」,
  others are dropped; lines a paragraph was wrapped into are joined into one block when a line
  runs to the right edge of the text without ending a sentence and the next line starts no item,
  heading or table. Page numbers and running headers and footers are left out.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.limits import check_pdf_pages
from ingest.readers.blocks import Block, Notify, corrupt, quiet
from ingest.readers.ocr import ocr_pages
from ingest.readers.pdf_layout import ITEM_START, Line, join_wrapped, page_lines
from ingest.readers.pdf_structure import (
    mark_contents,
    mark_headings,
    mark_lead_ins,
    outline_entries,
    printed_pages,
)

_PAGE_NUMBER = re.compile(
    r"^[\s\-－—–ー‐]*(?:p\.?\s*)?\d+(?:\s*/\s*\d+)?[\s\-－—–ー‐]*$", re.IGNORECASE
)
_PRIVATE_BULLET = re.compile(r"(^|(?<=[\s\u3000\t]))[\ue000-\uf8ff][\s\u3000]*")
_PRIVATE = re.compile(r"[\ue000-\uf8ff\x00-\x08\x0b-\x1f]")  # and control characters
_ENDS = ("。", "．", "：", ":", "！", "？", "!", "?")
# A closing bracket ends a line that stops short; at the right edge it is only where the wrap fell.
_CLOSERS = ("」", "』", "）", ")", "】", "〕", "］", "]")


def strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop page numbers and running headers and footers, which would land inside clauses.

    A running line is one that recurs, digits aside, at the top or bottom of several pages.
    """

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip())

    edges: dict[str, int] = {}
    for lines in pages:
        for line in {shape(x) for x in lines[:2] + lines[-2:]}:
            edges[line] = edges.get(line, 0) + 1
    repeated = {k for k, n in edges.items() if k and n >= 2 and n * 2 >= len(pages)}
    out = []
    for lines in pages:
        keep = list(lines)
        for i in [0, 1, len(keep) - 1, len(keep) - 2]:
            if 0 <= i < len(keep):
                line = keep[i]
                if _PAGE_NUMBER.match(line) or shape(line) in repeated:
                    keep[i] = ""
        out.append(keep)
    return out


def clean_text(text: str) -> str:
    """Private-use characters out: a bullet becomes 「・」, any other (and a control) is dropped."""
    return _PRIVATE.sub("", _PRIVATE_BULLET.sub(lambda m: m.group(1) + "・", text)).strip()


def _read_pages(path: Path) -> tuple[object, list[list[Line]]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFileError(
                str(path),
                "パスワードで保護されたPDFです。保護を解除してから取り込んでください。",
                "the PDF is password-protected; remove the protection and ingest it again.",
            )
        check_pdf_pages(path, len(reader.pages))  # before a page is parsed
        import pdfplumber

        with pdfplumber.open(str(path)) as pdf:
            pages = [page_lines(page) for page in pdf.pages]
    except UnreadableFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise corrupt(path, type(exc).__name__) from exc
    except Exception as exc:  # noqa: BLE001 - pdfminer's own errors (PDFSyntaxError, ...)
        raise corrupt(path, type(exc).__name__) from exc
    return reader, pages


def _edges(pages: list[list[Line]]) -> dict[int, tuple[float, float]]:
    """The left and right edges of each page's text.

    The right edge is where full lines typically end, not the longest line's end: a proportional
    font and line-breaking rules leave lines of one paragraph ragged by up to an em or so.
    """
    edges: dict[int, tuple[float, float]] = {}
    for lines in pages:
        placed = [ln for ln in lines if ln.placed and ln.cells is None and not ln.drop]
        if not placed:
            continue
        widest = max(ln.x1 for ln in placed)
        em = max(statistics.median(ln.size for ln in placed), 1.0)
        full = [ln.x1 for ln in placed if ln.x1 >= widest - 3 * em]
        edges[placed[0].page] = (min(ln.x0 for ln in placed), statistics.median(full))
    return edges


def _runs_on(
    a: Line, b: Line, edges: dict[int, tuple[float, float]], before: Line | None = None
) -> bool:
    """Whether line ``b`` continues the paragraph that line ``a`` was wrapped from.

    ``before`` is the line above ``a``: when it is a short line without a full stop at the same
    indent, ``a`` is taken as the next entry of a list of such lines unless it is filled to within
    an em of the edge (Japanese wraps at any character, so a wrapped line is nearly full).
    """
    if not (a.placed and b.placed) or a.cells is not None or b.cells is not None:
        return False
    if a.level is not None or b.level is not None or b.label or a.label:
        return False
    if a.text.endswith(_ENDS) or ITEM_START.match(b.text) or abs(a.size - b.size) > 0.6:
        return False
    left, right = edges.get(a.page, (a.x0, a.x1))
    em = max(a.size, 1.0)
    # A line stops short of the edge where it ends, unless the next line's first word (or, in
    # Japanese, character) would not have fitted there; line-breaking rules allow an em more.
    room = max(2 * em, b.lead + 0.5 * em)
    if right - a.x1 > room or (a.text.endswith(_CLOSERS) and a.x1 < right - 0.5 * em):
        return False
    if (
        before is not None
        and before.placed
        and before.cells is None
        and before.level is None
        and abs(before.size - a.size) <= 0.6
        and before.page == a.page
        and abs(before.x0 - a.x0) < 0.5 * em
        and before.x1 < right - 2 * em
        and not before.text.endswith(_ENDS)
        and a.x1 < right - em
    ):
        return False  # one more entry of a list of unpunctuated lines
    if a.x0 - left > 0.35 * (right - left) or b.x0 > a.x0 + 2.5 * em:
        return False  # set to the right (a date, a signature) or indented apart
    if a.page == b.page:
        return 0 <= b.top - a.bottom <= 1.0 * max(a.size, 1.0)
    return b.page == a.page + 1


def read_pdf(path: Path, say: Notify = quiet) -> list[Block]:
    """PDF: its paragraphs, table rows and headings, each with its printed page number.

    Raises:
        UnreadableFileError: encrypted or corrupt (OCR may raise it for image pages).

    """
    reader, pages = _read_pages(path)
    # Pages without a text layer are images (a scan, a fax): OCR reads them, page numbers kept.
    images = [n for n, lines in enumerate(pages, start=1) if not lines]
    scanned = ocr_pages(path, images, say) if images else {}
    for n, texts in scanned.items():
        pages[n - 1] = [Line(t.rstrip(), n, placed=False) for t in texts if t.strip()]
    printed = printed_pages(reader, pages)
    for lines, kept in zip(
        pages, strip_running_lines([[ln.text for ln in lines] for lines in pages]), strict=True
    ):
        for ln, text in zip(lines, kept, strict=True):
            ln.drop = ln.drop or (not text and ln.cells is None)
    contents = mark_contents(pages)
    for lines in pages:
        for ln in lines:
            ln.text = clean_text(ln.text)
            if ln.cells is not None:
                ln.cells = [c for c in (clean_text(c) for c in ln.cells) if c]
                ln.text = "\t".join(ln.cells)
            ln.drop = ln.drop or not ln.text
    flat = [ln for lines in pages for ln in lines if not ln.drop]
    mark_headings(flat, outline_entries(reader), contents, len(pages))
    mark_lead_ins(flat)
    edges = _edges(pages)
    blocks: list[Block] = []
    current: Line | None = None
    before: Line | None = None
    text = ""
    for ln in flat:
        if current is not None and _runs_on(current, ln, edges, before):
            text = join_wrapped(text, ln.text)
            before, current = current, ln
            continue
        before = current
        if current is not None:
            blocks.append(_block(current, text, printed))
        current, text = ln, ln.text
        current.extra["first_page"] = ln.page
    if current is not None:
        blocks.append(_block(current, text, printed))
    return blocks


def _block(last: Line, text: str, printed: dict[int, int]) -> Block:
    page = last.extra.get("first_page", last.page)
    return Block(
        text,
        page=printed.get(page, page),
        heading_level=last.level,
        table_row=last.cells is not None,
        label=last.label,
        ocr=not last.placed,
    )
