"""Ingest benchmark on the public corpus (../shared/public_corpus), run by hand, not in CI.

Prints clauses per second for a first ingest with one embedding worker and with one per core
(``COPILOT_EMBED_WORKERS``), each into a fresh data folder in the same run, and the speed-up of
the second over the first; then, over the index the workers built, the time of a no-change
re-ingest and its ratio to the first, query latency p50/p95 over 100 queries, and this process's
peak memory; then OCR pages per second: the ingest of an image-only contract of ``OCR_PAGES``
pages drawn at 300 dpi (eval/scans.py), read by Tesseract, from file to stored clauses
("skipped: ..." where Tesseract or its Japanese model is not installed).
``--workers-only`` stops after the two first ingests.

``--baseline-rev REV`` measures instead, in one run, the first ingest of one document
(``--document``, default the NISC guideline, ``--kind`` guideline) by the code at REV (a
``git worktree`` in a temporary folder, removed afterwards) and by the code of this working tree,
each in its own Python process (``PYTHONPATH`` and the working folder set to its tree, the
``copilot`` it imported checked) into a fresh data folder, with the same settings (the built-in
embedder, offline; ``--workers`` embedding workers). ``--rounds N`` runs N of each, alternating
(B C, C B, B C, ...) so that a drift in the machine's load falls on both alike, and prints every
time, the median of each and the ratio current/baseline of the medians (lower is better; 1.0 or
less: no slower than REV), and the same for the CPU seconds of each ingest's process and its
embedding workers, which a busy machine changes less than the wall-clock time, and of the
ingest's process alone (``own_cpu_s``: imports, reading, splitting, Chroma, SQLite and BM25, all
but the embedding). Usage:

    .venv/bin/python eval/bench_ingest.py [--corpus DIR] [--workers N] [--workers-only] [--json]
    .venv/bin/python eval/bench_ingest.py --baseline-rev 2bef4fb [--document FILE] [--kind K]
        [--rounds N] [--workers N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
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


ROOT = Path(__file__).resolve().parents[1]
NISC_GUIDELINE = ROOT.parent / "shared" / "public_corpus" / "nco_toitsu_kijun_guideline_r7.txt"
# the public texts reserved for measuring whether retrieval choices carry over (issue 31): never
# ingested by a benchmark either
RESERVED = ("ppc_", "mext_", "soumu_")

# Run in a fresh interpreter whose working folder and PYTHONPATH are one tree of the code: build
# the services on a fresh data folder, time the first ingest of one document, print one JSON line.
_CHILD = """
import json, resource, sys, time
from pathlib import Path
import copilot
from copilot.services import build_services
from copilot.settings import load_settings
document, kind, data, workers = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
started = time.perf_counter()
services = build_services(load_settings(data_dir=data, embed_workers=workers))
try:
    built = time.perf_counter()
    report = services.ingest([Path(document)], kind=kind)
    done = time.perf_counter()
    failed = [str(r) for r in report.failed]
    clauses = services.index.count_clauses()
finally:
    services.close()
own = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the embedding workers, once joined
print(json.dumps({"copilot": copilot.__file__, "ingest_s": done - built,
                  "build_s": built - started, "clauses": clauses, "failed": failed,
                  "own_cpu_s": own.ru_utime + own.ru_stime,
                  "workers_cpu_s": workers.ru_utime + workers.ru_stime}))
"""


def _child_env(tree: Path) -> dict[str, str]:
    """The environment without COPILOT_* settings, offline, importing from ``tree``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
    env.update(PYTHONPATH=str(tree), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def _one_ingest(tree: Path, document: Path, kind: str, data: Path, workers: int) -> dict:
    """The first ingest of ``document`` by the code in ``tree``, in its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(document), kind, str(data), str(workers)],
        cwd=tree,
        env=_child_env(tree),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the process and its embedding workers
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"ingest in {tree} failed:\n{done.stderr[-4000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(got["copilot"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the process for {tree} imported {got['copilot']}")
    if got["failed"]:
        raise RuntimeError(f"ingest in {tree} failed: {got['failed']}")
    got["process_s"] = wall
    got["cpu_s"] = cpu
    return got


def compare_with(args: argparse.Namespace) -> dict[str, object]:
    """First ingest of one document by the code at ``args.baseline_rev`` and by this tree."""
    from ingest.embed_pool import worker_count

    document = args.document.resolve()
    if not document.is_file():
        raise SystemExit(f"no document at {document}")
    workers = worker_count(args.workers)
    rev = subprocess.run(
        ["git", "rev-parse", "--verify", f"{args.baseline_rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    times: dict[str, list[float]] = {"baseline": [], "current": []}
    cpu: dict[str, list[float]] = {"baseline": [], "current": []}
    own: dict[str, list[float]] = {"baseline": [], "current": []}
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(tree), rev],
            cwd=ROOT,
            check=True,
        )
        try:
            trees = {"baseline": tree, "current": ROOT}
            for n in range(args.rounds):
                order = ("baseline", "current") if n % 2 == 0 else ("current", "baseline")
                for which in order:
                    data = Path(tmp) / f"data-{which}-{n}"
                    got = _one_ingest(trees[which], document, args.kind, data, workers)
                    times[which].append(got["ingest_s"])
                    cpu[which].append(got["cpu_s"])
                    own[which].append(got["own_cpu_s"])
                    runs.append(
                        {
                            "code": which,
                            "ingest_s": round(got["ingest_s"], 1),
                            "build_s": round(got["build_s"], 1),
                            "process_s": round(got["process_s"], 1),
                            "cpu_s": round(got["cpu_s"], 1),
                            "own_cpu_s": round(got["own_cpu_s"], 1),
                            "workers_cpu_s": round(got["workers_cpu_s"], 1),
                            "clauses": got["clauses"],
                            "load_1min": round(os.getloadavg()[0], 2),
                        }
                    )
                    if not args.json:
                        print(f"{which:>8} round {n + 1}: {runs[-1]}", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)
    baseline = statistics.median(times["baseline"])
    current = statistics.median(times["current"])
    return {
        "document": document.name,
        "kind": args.kind,
        "bytes": document.stat().st_size,
        "baseline_rev": rev[:12],
        "current": f"{head[:12]} + working tree",
        "workers": workers,
        "rounds": args.rounds,
        "runs": runs,
        "baseline_median_s": round(baseline, 1),
        "current_median_s": round(current, 1),
        "ratio_current_over_baseline": round(current / baseline, 3),
        "baseline_median_cpu_s": round(statistics.median(cpu["baseline"]), 1),
        "current_median_cpu_s": round(statistics.median(cpu["current"]), 1),
        "cpu_ratio_current_over_baseline": round(
            statistics.median(cpu["current"]) / statistics.median(cpu["baseline"]), 3
        ),
        # the ingest process's own share (reading, splitting, Chroma, SQLite, BM25); the rest
        # is the embedding workers', which a busy machine moves most
        "baseline_median_own_cpu_s": round(statistics.median(own["baseline"]), 1),
        "current_median_own_cpu_s": round(statistics.median(own["current"]), 1),
    }


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
    parser.add_argument(
        "--baseline-rev",
        metavar="REV",
        help="compare the first ingest of --document by the code at REV with this tree's",
    )
    parser.add_argument("--document", type=Path, default=NISC_GUIDELINE)
    parser.add_argument("--kind", default="guideline", help="document kind (ingest --kind)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="ingests of each code, alternating (B C, C B, ...)"
    )
    args = parser.parse_args(argv)
    if args.baseline_rev:
        return _print(compare_with(args), args.json)
    files = sorted(args.corpus.glob("*.txt")) if args.corpus.is_dir() else []
    files = [f for f in files if not f.name.startswith(RESERVED)]
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
