"""Benchmark: gap analysis of the national guideline (1.2 MB) against the sample policy.

Ingests ``../shared/public_corpus/nco_toitsu_kijun_guideline_r7.txt`` (kind guideline) and the
sample policy of ``corpus_public/policy_gap/policy/`` into a fresh data folder, then judges every
requirement of the guideline against the policy. Ingest and analysis are timed separately; the
analysis prints requirements per second, and the same analysis of the sample guideline (39
requirements) is timed in the same run as the baseline. Exits 0 with a message when the public
corpus is absent.

Usage: python eval/bench_policy_gap.py [--data-dir DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDELINE = ROOT.parent / "shared" / "public_corpus" / "nco_toitsu_kijun_guideline_r7.txt"
SAMPLE = ROOT / "corpus_public" / "policy_gap"
POLICY = "policy/架空町情報セキュリティ対策基準.docx"
SAMPLE_GUIDELINE = "guideline/架空県市町村情報セキュリティ対策ガイドライン.docx"
NATIONAL = "nco_toitsu_kijun_guideline_r7.txt"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="data folder to use (kept; default: a temporary one)")
    parser.add_argument("--limit", type=int, help="judge only the first N requirements")
    args = parser.parse_args(argv)
    if not GUIDELINE.is_file():
        print(f"skipped: {GUIDELINE} is absent (the public corpus is not part of the repository)")
        return 0
    from copilot.policy.gap import make_judge
    from copilot.services import build_services
    from copilot.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data_dir) if args.data_dir else Path(tmp) / "data"
        services = build_services(load_settings(data_dir=data))
        try:
            t0 = time.perf_counter()
            services.ingest([SAMPLE])
            t1 = time.perf_counter()
            report = services.ingest([GUIDELINE], kind="guideline")
            t2 = time.perf_counter()
            if report.failed:
                print(f"ingest failed: {report.failed}", file=sys.stderr)
                return 1
            clauses = services.index.document(NATIONAL)
            judge = make_judge(services, POLICY, NATIONAL)
            t3 = time.perf_counter()
            reqs = judge.reqs[: args.limit] if args.limit else judge.reqs
            gaps = [judge.judge(r) for r in reqs]
            t4 = time.perf_counter()
            base = make_judge(services, POLICY, SAMPLE_GUIDELINE)
            t5 = time.perf_counter()
            for r in base.reqs:
                base.judge(r)
            t6 = time.perf_counter()
        finally:
            services.close()
    # 遵守事項 such as 2.1.1(1)(a); the rest are 基本対策事項 such as 2.1.1(1)-1
    labelled = sum(1 for r in judge.reqs if re.fullmatch(r"\d+(?:\.\d+)+\(\d+\)\([a-z]\)", r.id))
    national_rate = len(reqs) / (t4 - t2)
    sample_rate = len(base.reqs) / (t6 - t4)
    print(
        json.dumps(
            {
                "guideline": str(GUIDELINE),
                "guideline_clauses": clauses.n_clauses if clauses else None,
                "ingest_sample_s": round(t1 - t0, 1),
                "ingest_guideline_s": round(t2 - t1, 1),
                "requirements_found": len(judge.reqs),
                "compliance_items": labelled,
                "requirements_judged": len(reqs),
                "prepare_s": round(t3 - t2, 1),
                "judge_s": round(t4 - t3, 1),
                "analysis_total_s": round(t4 - t2, 1),
                "requirements_per_s": round(national_rate, 2),
                "coverage": dict(Counter(g.coverage for g in gaps)),
                "baseline_sample_guideline": {
                    "requirements": len(base.reqs),
                    "total_s": round(t6 - t4, 1),
                    "prepare_s": round(t5 - t4, 1),
                    "requirements_per_s": round(sample_rate, 2),
                },
                "ratio_rate_national_vs_sample": round(national_rate / sample_rate, 3),
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
