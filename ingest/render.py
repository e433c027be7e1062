"""Pages of an original document as images, with a quote marked where the text layer holds it.

What the auditor checks an extraction against is the page itself, not the text read from it.
A PDF page is drawn with pypdfium2 (already used to render pages for OCR), and its text layer
gives each character's box, so the quote can be found on the page and a translucent band drawn
over its characters. Word, Excel and PowerPoint files (and their older or OpenDocument forms) are
turned into a PDF by LibreOffice first (``to_pdf``): that is how they print, so its pages are
the pages a person would see.

Finding the quote: the page texts and the quote are compared as ``squash`` compares quotes (NFKC,
whitespace removed), so full-width digits, a wrapped line or a table's cell gap do not hide it.
A quote that runs over a page break is found by its longest part that one page holds; where a
quote occurs on several pages, the page nearest to the clause's own page number wins. A page
without a text layer (a scan) has no characters to mark: the page is still found by number.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.limits import temp_folder
from ingest.readers.convert import _not_installed, _run, soffice

DPI = 110  # readable on a screen at full width, and a page's PNG stays around 100 KB
MAX_SIDE = 1600  # pixels: an A3 or banner page is drawn smaller, not larger
MIN_PART = 6  # characters: a shorter piece of a quote found on a page says nothing
# Suffixes LibreOffice prints to PDF for us (the readers take the current forms; the old ones
# are turned into those first, see ``ingest.readers.convert``).
PRINTED = (
    ".docx",
    ".doc",
    ".rtf",
    ".odt",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".ods",
    ".pptx",
    ".ppt",
    ".odp",
)
_WS = re.compile(r"\s+")
HIGHLIGHT = (255, 214, 0, 96)  # translucent yellow, as a marker pen
OUTLINE = (230, 120, 0, 255)
PALETTE = 24  # shades of the page (text is black on white, anti-aliased)

Box = tuple[float, float, float, float]  # left, top, right, bottom in PDF points (top > bottom)


@dataclass
class Located:
    """Where a quote is in a PDF: the page (0-based) and its characters' boxes, line by line."""

    page: int
    boxes: list[Box] = field(default_factory=list)
    whole: bool = False  # the whole quote was found (not only a part of it)
    pages: int = 0  # the PDF's page count
    text_layer: bool = True  # the page has characters (False: a scan)


def squash(text: str) -> str:
    """NFKC with all whitespace removed: how quotes are compared."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _page_chars(textpage: object) -> list[str]:
    """The page's characters, one string per character index of the text layer."""
    import pypdfium2.raw as raw

    n = textpage.count_chars()  # type: ignore[attr-defined]
    whole = textpage.get_text_range() if n else ""  # type: ignore[attr-defined]
    if len(whole) == n:
        return list(whole)
    # a character outside the BMP takes two UTF-16 units: ask for each one
    handle = textpage.raw  # type: ignore[attr-defined]
    return [chr(raw.FPDFText_GetUnicode(handle, i) or 32) for i in range(n)]


def _squashed(chars: list[str]) -> tuple[str, list[int]]:
    """The page's squashed text and, for each of its characters, the index it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(chars):
        for c in squash(ch):
            out.append(c)
            where.append(i)
    return "".join(out), where


def _longest(texts: list[str], quote: str, from_start: bool) -> str:
    """The longest start (or end) of ``quote`` that one of ``texts`` holds ("" if none)."""

    def held(n: int) -> bool:
        part = quote[:n] if from_start else quote[len(quote) - n :]
        return any(part in t for t in texts)

    lo, hi = 0, len(quote)
    while lo < hi:  # a part of a held part is held too: bisect on the length
        mid = (lo + hi + 1) // 2
        if held(mid):
            lo = mid
        else:
            hi = mid - 1
    return (quote[:lo] if from_start else quote[len(quote) - lo :]) if lo >= MIN_PART else ""


def locate(pdf: Path, quote: str, near: int | None = None, hint: str = "") -> Located:
    """Find ``quote`` in a PDF; ``near`` is the clause's page number (1-based), ``hint`` its text.

    The quote, else its longest start or end one page holds, else the start of ``hint`` (the
    clause) picks the page; nothing found, the page is ``near`` itself (a scanned page).
    """
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        texts: list[tuple[str, list[int]]] = []
        for page in doc:
            textpage = page.get_textpage()
            try:
                texts.append(_squashed(_page_chars(textpage)))
            finally:
                textpage.close()
                page.close()
        pages = len(texts)
        wanted = squash(quote)
        plain = [t for t, _ in texts]
        part = wanted if wanted and any(wanted in t for t in plain) else ""
        if not part and wanted:
            part = _longest(plain, wanted, True) or _longest(plain, wanted, False)
        marked = bool(part)
        if not part and hint:
            part = _longest(plain, squash(hint)[:40], True)
        hits = [k for k, t in enumerate(plain) if part and part in t]
        target = (near or 1) - 1
        if not hits:
            page = min(max(target, 0), max(pages - 1, 0))
            return Located(page, pages=pages, text_layer=bool(plain and plain[page]))
        page = min(hits, key=lambda k: (abs(k - target), k))
        if not marked:
            return Located(page, pages=pages)
        text, where = texts[page]
        at = text.index(part)
        indices = sorted(set(where[at : at + len(part)]))
        return Located(page, _boxes(doc, page, indices), part == wanted, pages)
    finally:
        doc.close()


def _boxes(doc: object, page_index: int, indices: list[int]) -> list[Box]:
    """The characters' boxes merged into one box per line they stand on."""
    page = doc[page_index]  # type: ignore[index]
    textpage = page.get_textpage()
    try:
        lines: list[list[float]] = []
        for i in indices:
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            if right - left <= 0 or top - bottom <= 0:
                continue  # a space or line break the text layer made up
            last = lines[-1] if lines else None
            mid = (top + bottom) / 2
            if last is not None and last[3] <= mid <= last[1] and left >= last[0] - 1:
                last[0], last[1] = min(last[0], left), max(last[1], top)
                last[2], last[3] = max(last[2], right), min(last[3], bottom)
            else:
                lines.append([left, top, right, bottom])
        return [(a, b, c, d) for a, b, c, d in lines]
    finally:
        textpage.close()
        page.close()


def render(pdf: Path, page_index: int, boxes: list[Box] | None = None, dpi: int = DPI) -> bytes:
    """One page as a PNG, with a translucent band over each box (PDF points, see ``Box``)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[page_index]
        try:
            width, height = page.get_size()
            scale = min(dpi / 72, MAX_SIDE / max(width, height, 1))
            image = page.render(scale=scale).to_pil().convert("RGB")
            left, _, _, top = page.get_cropbox()
            rotated = page.get_rotation() != 0
        finally:
            page.close()
    finally:
        doc.close()
    if boxes and not rotated:  # boxes are in the unrotated page's space
        layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        pad = 2
        for x0, y0, x1, y1 in boxes:
            rect = (
                (x0 - left) * scale - pad,
                (top - y0) * scale - pad,
                (x1 - left) * scale + pad,
                (top - y1) * scale + pad,
            )
            draw.rectangle(rect, fill=HIGHLIGHT, outline=OUTLINE, width=2)
        image = Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")
    out = io.BytesIO()
    _few_colours(image, bool(boxes and not rotated)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _few_colours(image: Any, marked: bool) -> Any:
    """The page in a small palette: a page is mostly paper and ink, so the PNG gets small.

    A palette chosen from the whole page would give the few marked pixels no colour of their
    own; the marked shades are added: each of the page's colours seen through the band.
    """
    from PIL import Image

    plain = image.quantize(colors=PALETTE, method=Image.Quantize.MEDIANCUT)
    flat = (plain.getpalette() or [])[: PALETTE * 3]
    # a box of the cut averages paper with the palest ink: paper stays white, ink black
    flat = [255 if v >= 240 else 0 if v <= 16 else v for v in flat]
    plain.putpalette(flat + [0] * (768 - len(flat)))
    if not marked:
        return plain
    shades = [tuple(flat[i : i + 3]) for i in range(0, len(flat), 3)]
    alpha = HIGHLIGHT[3] / 255
    seen = [
        tuple(round(c * (1 - alpha) + h * alpha) for c, h in zip(rgb, HIGHLIGHT[:3], strict=False))
        for rgb in shades
    ]
    colours = [*shades, *seen, OUTLINE[:3]]
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for rgb in colours for v in rgb] + [0] * (768 - 3 * len(colours)))
    return image.quantize(palette=palette, dither=Image.Dither.NONE)


def to_pdf(jobs: dict[Path, Path], timeout_s: int = 180) -> list[Path]:
    """Print Office files to PDF with LibreOffice, in one run; returns the sources printed.

    ``jobs`` maps each source to the PDF to write (each written whole or not at all).
    LibreOffice works on copies with ASCII names in a private temporary folder with a user
    profile of its own, removed afterwards.

    Raises:
        UnreadableFileError: LibreOffice is not installed, failed or timed out.

    """
    sources = list(jobs)
    if not sources:
        return []
    command = soffice()
    if command is None:
        raise _not_installed(sources[0], "pdf")
    work = temp_folder("copilot-print-")
    try:
        copies = []
        for k, src in enumerate(sources):
            copy = work / f"f{k}{src.suffix.lower()}"
            shutil.copyfile(src, copy)
            copies.append(copy)
        out = work / "out"
        out.mkdir()
        args = [
            command,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, copies),
        ]
        _run(args, sources[0], "pdf", "LibreOffice", timeout_s)
        done = []
        for src, copy in zip(sources, copies, strict=True):
            made = out / f"{copy.stem}.pdf"
            if made.is_file() and made.stat().st_size > 0:
                target = jobs[src]
                partial = target.with_name(f".{target.name}.{os.getpid()}.part")
                shutil.copyfile(made, partial)
                os.chmod(partial, 0o600)  # a contract's pages: the owner's only
                os.replace(partial, target)  # a reader never sees half a PDF
                done.append(src)
        return done
    finally:
        shutil.rmtree(work, ignore_errors=True)
