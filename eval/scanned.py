"""A scanned contract against its born-digital original: how far do the checklist drafts agree.

The contract's documents (default C-2026-002) are printed to PDF by LibreOffice and rasterised
into image-only PDFs at 300 dpi, as a scanner would hand them over, and put beside the sample
corpus as a second contract (``<id>-SCAN``). Both are ingested in one run (the scans through OCR)
and every item of the external-service checklist is judged for each by the evidence drafter. The
report gives the verdict agreement, the citation validity of the scanned contract's drafts (every
quote checked against the stored OCR text), how many of its citations carry the OCR note, the OCR
pages per second and the time per item.

    python eval/scanned.py [--contract C-2026-002] [--dpi 300] [--json] [--keep DIR]

Needs ``soffice`` and ``tesseract`` (with ``jpn``); nothing is written outside a temporary folder
(or ``--keep DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKLIST = ROOT / "corpus_public" / "checklists" / "外部サービス利用時チェックリスト.xlsx"


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def make_scans(contract_dir: Path, out_dir: Path, dpi: int) -> int:
    """Scanned copies of every document of a contract folder; returns the pages made."""
    from eval.scans import docx_to_pdf, rasterise_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="scan-"))
    pages = 0
    try:
        for source in sorted(contract_dir.iterdir()):
            pdf = source if source.suffix.lower() == ".pdf" else docx_to_pdf(source, work)
            if pdf is None:
                raise RuntimeError(f"LibreOffice made no PDF of {source}")
            name = (
                source.name
                if source.suffix.lower() == ".pdf"
                else f"{source.stem}_{source.suffix[1:]}.pdf"
            )
            rasterise_pdf(pdf, out_dir / name, dpi)
            pages += _pages(out_dir / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return pages


def run(contract: str, dpi: int, folder: Path) -> dict[str, object]:
    """Build the corpus with the scanned copy, ingest it and compare the two contracts' drafts."""
    corpus = folder / "corpus"
    shutil.copytree(ROOT / "corpus_public", corpus)
    scan_id = f"{contract}-SCAN"
    pages = make_scans(
        ROOT / "corpus_public" / "contracts" / contract, corpus / "contracts" / scan_id, dpi
    )
    os.environ["COPILOT_DATA_DIR"] = str(folder / "data")
    from copilot.audit.checklist_run import judge_item
    from copilot.audit.checklists import import_checklist
    from copilot.drafting.citations import OCR_NOTE
    from copilot.drafting.evidence import EvidenceDrafter
    from copilot.services import build_services
    from copilot.settings import load_settings
    from eval.metrics import quotes_valid

    services = build_services(load_settings())
    try:
        started = time.perf_counter()
        report = services.ingest([corpus / "contracts" / scan_id], base=corpus)
        ocr_seconds = time.perf_counter() - started
        report2 = services.ingest([corpus])
        failed = [r.path for r in [*report.failed, *report2.failed]]
        drafter = EvidenceDrafter(services.settings)
        drafter.prepare(services.index)
        items = import_checklist(CHECKLIST).items
        agree = valid = cited = noted = 0
        differ = []
        started = time.perf_counter()
        for item in items:
            digital = judge_item(services, drafter, item, contract)
            scanned = judge_item(services, drafter, item, scan_id)
            agree += digital.verdict == scanned.verdict
            if digital.verdict != scanned.verdict:
                differ.append(
                    {"item": item.id, "digital": digital.verdict, "scanned": scanned.verdict}
                )
            v, t = quotes_valid(services, [*scanned.evidence])
            valid, cited = valid + v, cited + t
            noted += sum(OCR_NOTE in c.note for c in scanned.evidence)
        per_item = (time.perf_counter() - started) / (2 * len(items))
    finally:
        services.close()
    return {
        "contract": contract,
        "dpi": dpi,
        "items": len(items),
        "verdict_agreement": round(agree / len(items), 4),
        "scanned_citation_validity": round(valid / cited, 4) if cited else 1.0,
        "scanned_citations": cited,
        "scanned_citations_with_ocr_note": noted,
        "scanned_pages": pages,
        "ocr_pages_per_second": round(pages / ocr_seconds, 3),
        "seconds_per_item": round(per_item, 3),
        "failed_files": failed,
        "differ": differ,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contract", default="C-2026-002")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    for tool in ("soffice", "tesseract"):
        if shutil.which(tool) is None:
            print(
                f"{tool} がありません / {tool} is not installed (make system-deps)", file=sys.stderr
            )
            return 2
    folder = args.keep or Path(tempfile.mkdtemp(prefix="copilot-scan-eval-"))
    try:
        result = run(args.contract, args.dpi, folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
