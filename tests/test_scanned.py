"""A scanned contract judged like its born-digital original (eval/scanned.py, in the suite)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eval import scans
from eval.scanned import run

WHY_NOT = scans.have_tesseract() or (
    None if shutil.which("soffice") else "LibreOffice (soffice) is not installed"
)


@pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")
def test_a_scanned_contract_gets_the_drafts_of_the_original(tmp_path: Path):
    # C-2026-002 printed by LibreOffice, rasterised at 300 dpi, ingested through OCR beside the
    # original: the checklist verdicts agree (goal 0.9), every quote is in the stored OCR text and
    # every citation of the scan tells the auditor to check the original.
    result = run("C-2026-002", 300, tmp_path)
    assert result["failed_files"] == []
    assert result["verdict_agreement"] >= 0.9, result["differ"]
    assert result["scanned_citations"] > 0
    assert result["scanned_citation_validity"] == 1.0
    assert result["scanned_citations_with_ocr_note"] == result["scanned_citations"]
