"""OCR accuracy and speed on scans whose text is known, run by hand, not in CI.

Character accuracy is 1 - edit distance / length of the true text, over NFKC text with all
whitespace removed, summed over the pages of a set. Sets:

- ``drawn-mincho``, ``drawn-gothic``: the test contract (tests/scans.py) drawn at 300 dpi in
  IPAex Mincho and Gothic, two pages each;
- ``drawn-vertical``: the same articles set vertically (when ``jpn_vert`` is installed);
- ``scanned-<name>``: each .docx of corpus_public/contracts/C-2026-002 made into a PDF by
  LibreOffice (when ``soffice`` is installed), then rasterised at 300 dpi into an image-only copy;
  the truth is the text layer of LibreOffice's PDF;
- ``throughput``: 16 drawn pages read in one call, for pages per second with all cores.

Usage::

    .venv/bin/python eval/ocr_accuracy.py [--json] [--psm 4] [--psm 3 ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_DIR = ROOT / "corpus_public" / "contracts" / "C-2026-002"


def _scans():  # type: ignore[no-untyped-def]
    """The scan helpers (eval/scans.py), which draw the pages."""
    from eval import scans

    return scans


def _pdf_text(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def measure(path: Path, truths: list[str]) -> dict[str, float | int]:
    """OCR every page of ``path``; accuracy against ``truths`` (one text a page) and speed."""
    from ingest.readers.ocr import ocr_pages

    scans = _scans()
    pages = list(range(1, len(truths) + 1))
    started = time.perf_counter()
    read = ocr_pages(path, pages, lambda _m: None)
    seconds = time.perf_counter() - started
    errors = total = 0
    for n, truth in zip(pages, truths, strict=True):
        t = scans._squash(truth)
        errors += scans.edit_distance(t, scans._squash("".join(read.get(n, []))))
        total += len(t)
    return {
        "pages": len(pages),
        "chars": total,
        "accuracy": round(max(0.0, 1 - errors / total), 4) if total else 0.0,
        "seconds": round(seconds, 2),
        "pages_per_s": round(len(pages) / seconds, 2),
    }


def cases(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """The scans to read, each with its true text a page."""
    scans = _scans()
    from ingest.readers.ocr import tesseract

    two = [scans.CONTRACT, scans.CONTRACT[6:] + scans.CONTRACT[1:6]]
    out = {}
    for name, font in (("mincho", scans.MINCHO), ("gothic", scans.GOTHIC)):
        path = scans.image_pdf(folder / f"drawn-{name}.pdf", two, font=font)
        out[f"drawn-{name}"] = (path, ["\n".join(p) for p in two])
    if "jpn_vert" in tesseract(folder)[1]:
        columns = scans.CONTRACT[1:6]
        path = folder / "drawn-vertical.pdf"
        scans.save_images(path, [scans.render_vertical_page(columns)])
        out["drawn-vertical"] = (path, ["".join(columns)])
    for docx in sorted(CONTRACT_DIR.glob("*.docx")):
        made = scans.docx_to_pdf(docx, folder)
        if made is None:
            print("soffice not installed: scanned copies of the .docx skipped", file=sys.stderr)
            break
        copy = scans.rasterise_pdf(made, folder / f"{docx.stem}-scan.pdf")
        out[f"scanned-{docx.stem}"] = (copy, _pdf_text(made))
    sixteen = [scans.CONTRACT] * 16
    path = scans.image_pdf(folder / "throughput.pdf", sixteen)
    out["throughput"] = (path, ["\n".join(p) for p in sixteen])
    return out


def run(psms: list[int]) -> dict[str, object]:
    """Every set read with each page segmentation mode; the overall figures per mode."""
    from ingest.readers import ocr

    chosen = ocr.PSM
    result: dict[str, object] = {"psm_chosen": chosen}
    with tempfile.TemporaryDirectory() as tmp:
        sets = cases(Path(tmp))
        try:
            for psm in psms:
                ocr.PSM = psm
                per = {name: measure(path, truths) for name, (path, truths) in sets.items()}
                errors = sum((1 - v["accuracy"]) * v["chars"] for v in per.values())
                chars = sum(v["chars"] for v in per.values())
                result[f"psm{psm}"] = {
                    "sets": per,
                    "accuracy_overall": round(1 - errors / chars, 4),
                    "pages_per_s": per["throughput"]["pages_per_s"],
                }
        finally:
            ocr.PSM = chosen
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the figures; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--psm", type=int, action="append", help="modes to compare (default 4)")
    args = parser.parse_args(argv)
    scans = _scans()
    why = scans.have_tesseract()
    if why:
        print(f"skipped: {why}", file=sys.stderr)
        return 0
    from ingest.readers.ocr import PSM

    result = run(args.psm or [PSM])
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"psm chosen: {result['psm_chosen']}")
    for key, value in result.items():
        if not key.startswith("psm") or key == "psm_chosen":
            continue
        assert isinstance(value, dict)
        print(f"--psm {key[3:]}: accuracy {value['accuracy_overall']}, {value['pages_per_s']} p/s")
        for name, v in value["sets"].items():
            print(
                f"  {name:>22}: accuracy {v['accuracy']:.4f} over {v['chars']} chars, "
                f"{v['pages']} pages in {v['seconds']} s ({v['pages_per_s']} pages/s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
