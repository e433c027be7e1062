"""OCR of PDF pages that are images, with Tesseract and its Japanese models (placeholder)."""

from __future__ import annotations

from pathlib import Path

from ingest.readers.blocks import Notify


def ocr_pages(path: Path, pages: list[int], say: Notify) -> dict[int, list[str]]:
    """The text lines of each listed page (1-based), read by OCR from the page's image.

    Pages on which OCR finds no text are left out of the result.

    Raises:
        UnreadableFileError: Tesseract or its Japanese model is not installed (the message names
            the Debian packages), or the page images cannot be made.

    """
    raise NotImplementedError("OCR is being written")
