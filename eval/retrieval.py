"""The retrieval evaluation: our pipeline and the llama-index baseline on one golden set."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from copilot.retrieval import filters
from copilot.services import Services
from eval.baseline import Baseline
from eval.golden import RetrievalCase, load_retrieval
from eval.metrics import first_match, score

SearchFn = Callable[[RetrievalCase], list[str]]


def _report(
    cases: list[RetrievalCase], search: SearchFn
) -> tuple[dict[str, object], list[int | None]]:
    runs = []
    ranks = []
    started = time.perf_counter()
    for case in cases:
        texts = search(case)
        needles = [e.needle for e in case.expect]
        runs.append((texts, needles))
        ranks.append(first_match(texts[:10], needles))
    elapsed = time.perf_counter() - started
    out: dict[str, object] = {"overall": score(runs).as_dict()}
    for kind in ("lexical", "paraphrase"):
        sub = [r for r, c in zip(runs, cases, strict=True) if c.kind == kind]
        out[kind] = score(sub).as_dict()
    out["seconds_per_query"] = round(elapsed / max(len(cases), 1), 4)
    return out, ranks


def evaluate_retrieval(
    services: Services,
    golden: Path,
    with_baseline: bool = True,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Metrics of our pipeline and (optionally) the baseline, with the ratios between them."""
    say = notify or (lambda _m: None)
    cases = load_retrieval(golden)

    def ours(case: RetrievalCase) -> list[str]:
        hits = services.search(
            case.query, top_k=10, kind=case.filters.kind, contract=case.filters.contract
        )
        return [h.text for h in hits]

    say(f"本システムで {len(cases)} 件を評価中 / evaluating our pipeline")
    pipeline, our_ranks = _report(cases, ours)
    result: dict[str, object] = {
        "golden": str(golden),
        "queries": len(cases),
        "pipeline": pipeline,
        "settings": {
            "embedder": services.index.stored_fingerprint(),
            "dense_weight": services.fusion.dense_weight,
            "sparse_weight": services.fusion.sparse_weight,
            "rrf_k": services.fusion.k,
            "candidates": services.fusion.candidates,
            "clause_max_chars": services.settings.clause_max_chars,
        },
        "misses": [
            {"id": c.id, "kind": c.kind, "query": c.query}
            for c, r in zip(cases, our_ranks, strict=True)
            if r is None or r > 5
        ],
    }
    if with_baseline:
        say("比較用の llama-index 既定構成を構築中 / building the llama-index default baseline")
        base = Baseline(services.index, services.index.embedder)

        def baseline(case: RetrievalCase) -> list[str]:
            where = filters(case.filters.kind, case.filters.contract)
            return base.search(case.query, where, top_k=10)

        say(f"比較用構成で {len(cases)} 件を評価中 / evaluating the baseline")
        base_report, _ = _report(cases, baseline)
        result["baseline"] = base_report
        result["baseline_config"] = base.description
        ours_all = pipeline["overall"]
        base_all = base_report["overall"]
        assert isinstance(ours_all, dict) and isinstance(base_all, dict)
        result["ratios"] = {
            key: (round(ours_all[key] / base_all[key], 3) if base_all[key] else None)
            for key in ("recall@5", "recall@10", "mrr@10", "mean_chars_top5")
        }
    return result


def sweep_fusion(
    services: Services,
    golden: Path,
    dense_weights: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 3.0),
    rrf_ks: tuple[int, ...] = (10, 30, 60),
    notify: Callable[[str], None] | None = None,
) -> list[dict[str, object]]:
    """recall@5 and MRR@10 for each fusion setting, with and without the thesaurus, best first.

    This is how the fusion defaults in settings.py were chosen.
    """
    from dataclasses import replace

    from copilot.drafting.thesaurus import Thesaurus
    from copilot.retrieval import Fusion

    say = notify or (lambda _m: None)
    cases = load_retrieval(golden)
    rows: list[dict[str, object]] = []
    for use_thesaurus in (True, False):
        for dw in dense_weights:
            for k in rrf_ks:
                fusion = Fusion(
                    dense_weight=dw, sparse_weight=1.0, k=k, candidates=services.fusion.candidates
                )
                trial = replace(
                    services,
                    fusion=fusion,
                    thesaurus=services.thesaurus if use_thesaurus else Thesaurus(()),
                )

                def run(case: RetrievalCase, s: Services = trial) -> list[str]:
                    hits = s.search(
                        case.query, top_k=10, kind=case.filters.kind, contract=case.filters.contract
                    )
                    return [h.text for h in hits]

                report, _ = _report(cases, run)
                overall = report["overall"]
                assert isinstance(overall, dict)
                rows.append(
                    {
                        "dense_weight": dw,
                        "sparse_weight": 1.0,
                        "rrf_k": k,
                        "thesaurus": use_thesaurus,
                        "recall@5": overall["recall@5"],
                        "mrr@10": overall["mrr@10"],
                        "paraphrase_recall@5": report["paraphrase"]["recall@5"],  # type: ignore[index]
                    }
                )
                say(f"  dense={dw} k={k} thesaurus={use_thesaurus}: {overall['recall@5']}")
    rows.sort(key=lambda r: (-float(r["recall@5"]), -float(r["mrr@10"])))  # type: ignore[arg-type]
    return rows
