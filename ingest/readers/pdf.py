"""PDF files with a text layer."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.readers.blocks import Block, Notify, corrupt, quiet
from ingest.readers.ocr import ocr_pages

_PAGE_NUMBER = re.compile(
    r"^[\s\-－—–ー‐]*(?:p\.?\s*)?\d+(?:\s*/\s*\d+)?[\s\-－—–ー‐]*$", re.IGNORECASE
)


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


def read_pdf(path: Path, say: Notify = quiet) -> list[Block]:
    """PDF: the text of each page, line by line, with its page number.

    Page numbers and running headers and footers are left out.
    """
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
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
        pages = [[ln.rstrip() for ln in lines if ln.strip()] for lines in pages]
    except UnreadableFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise corrupt(path, type(exc).__name__) from exc
    # Pages without a text layer are images (a scan, a fax): OCR reads them, page numbers kept.
    images = [n for n, lines in enumerate(pages, start=1) if not lines]
    scanned = ocr_pages(path, images, say) if images else {}
    for n, lines in scanned.items():
        pages[n - 1] = lines
    return [
        Block(line, page=number, ocr=number in scanned)
        for number, lines in enumerate(strip_running_lines(pages), start=1)
        for line in lines
        if line
    ]
