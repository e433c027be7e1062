"""Ingest benchmark on the public corpus (../shared/public_corpus), run by hand, not in CI.

Prints clauses per second for a first ingest with one embedding worker and with one per core
(``COPILOT_EMBED_WORKERS``), each into a fresh data folder in the same run, and the speed-up of
the second over the first; then, over the index the workers built, the time of a no-change
re-ingest and its ratio to the first, query latency p50/p95 over 100 queries, and this process's
peak memory; then OCR pages per second: the ingest of an image-only contract of ``OCR_PAGES``
pages drawn at 300 dpi (eval/scans.py), read by Tesseract, from file to stored clauses
("skipped: ..." where Tesseract or its Japanese model is not installed).
``--workers-only`` stops after the two first ingests. Usage:

    .venv/bin/python eval/bench_ingest.py [--corpus DIR] [--workers N] [--workers-only] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

OCR_PAGES = 8


def _ocr_scan(folder: Path) -> tuple[Path | None, str]:
    """An image-only contract of ``OCR_PAGES`` pages, or None and why it cannot be read here."""
    from eval import scans

    why = scans.have_tesseract()
    if why:
        return None, f"skipped: {why}"
    folder.mkdir(parents=True)
    n = len(scans.CONTRACT)  # each page starts elsewhere: no line repeats as a running header
    pages = [scans.CONTRACT[i % n :] + scans.CONTRACT[: i % n] for i in range(OCR_PAGES)]
    return scans.image_pdf(folder / "契約書-scan.pdf", pages), ""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "public_corpus"
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument(
        "--workers", type=int, default=0, help="embedding workers to compare with one (0: cores)"
    )
    parser.add_argument(
        "--workers-only", action="store_true", help="only the two first ingests and the speed-up"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    files = sorted(args.corpus.glob("*.txt")) if args.corpus.is_dir() else []
    if not files:
        print(f"skipped: no public corpus at {args.corpus}", file=sys.stderr)
        return 0

    from copilot.services import build_services
    from copilot.settings import load_settings
    from eval.metrics import latency_ms
    from ingest.embed_pool import worker_count

    workers = worker_count(args.workers)
    result: dict[str, object] = {
        "files": [f.name for f in files],
        "bytes": sum(f.stat().st_size for f in files),
    }
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs" / "guideline"
        docs.mkdir(parents=True)
        for f in files:
            (docs / f.name).write_bytes(f.read_bytes())
        alone = build_services(load_settings(data_dir=Path(tmp) / "data-1", embed_workers=1))
        try:
            started = time.perf_counter()
            alone.ingest([docs.parent])
            first_alone = time.perf_counter() - started
            clauses = alone.index.count_clauses()
        finally:
            alone.close()
        services = build_services(load_settings(data_dir=Path(tmp) / "data", embed_workers=workers))
        try:
            started = time.perf_counter()
            services.ingest([docs.parent])
            first = time.perf_counter() - started
            assert services.index.count_clauses() == clauses
            result.update(
                {
                    "clauses": clauses,
                    "first_ingest_1_worker_s": round(first_alone, 1),
                    "clauses_per_s_1_worker": round(clauses / first_alone, 2),
                    "workers": workers,
                    "first_ingest_s": round(first, 1),
                    "clauses_per_s": round(clauses / first, 2),
                    "speedup_vs_1_worker": round(first_alone / first, 2),
                }
            )
            if args.workers_only:
                return _print(result, args.json)

            started = time.perf_counter()
            report = services.ingest([docs.parent])
            again = time.perf_counter() - started
            assert report.count("unchanged") == len(files)

            rng = random.Random(7)
            rows = services.index.db.execute("SELECT heading, text FROM clauses").fetchall()
            queries = [
                (t[:40] if rng.random() < 0.5 else (h or t)[-40:]) for h, t in rng.sample(rows, 100)
            ]
            services.search(queries[0])  # load models and the BM25 index once
            latencies = []
            for q in queries:
                t0 = time.perf_counter()
                services.search(q)
                latencies.append(time.perf_counter() - t0)

            scan, why = _ocr_scan(Path(tmp) / "scan" / "contracts" / "C-OCR")
            if scan is not None:
                started = time.perf_counter()
                got = services.ingest([scan.parents[1]])
                ocr_s = time.perf_counter() - started
                assert not got.failed, got.failed
                ocr_clauses = services.index.count_clauses() - clauses
        finally:
            services.close()
    p50_ms, p95_ms = latency_ms(latencies)
    result.update(
        {
            "no_change_reingest_s": round(again, 3),
            "reingest_over_first_ratio": round(again / first, 5),
            "query_p50_ms": p50_ms,
            "query_p95_ms": p95_ms,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
    if scan is None:
        result["ocr_pages_per_s"] = why
    else:
        result.update(
            {
                "ocr_pages": OCR_PAGES,
                "ocr_clauses": ocr_clauses,
                "ocr_ingest_s": round(ocr_s, 1),
                "ocr_pages_per_s": round(OCR_PAGES / ocr_s, 2),
            }
        )
    return _print(result, args.json)


def _print(result: dict[str, object], as_json: bool) -> int:
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for k, v in result.items():
            print(f"{k:>28}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
