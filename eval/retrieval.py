"""The retrieval evaluation: our pipeline and the llama-index baseline on the golden sets.

Two sets: the sample corpus's (over the data folder's index) and the real-text one, over the
public corpus in ``../shared/public_corpus`` (national security standards, 1.4 MB), which is
ingested into its own folder under the data folder (``eval/public_corpus``) so that the city's
index never holds it; a second run reuses that index and its embeddings.

Any other folder of documents with its own golden set goes through ``evaluate_corpus``
(``copilot eval retrieval --corpus DIR --golden FILE``): ingested into a data folder of its own,
measured for ours and the llama-index baselines over the same files, twice when asked, so that
the lists that differ between identical runs are counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from copilot.errors import UserError
from copilot.retrieval import filters
from copilot.services import Services
from copilot.settings import Settings
from eval.baseline import Baseline
from eval.golden import PUBLIC_CORPUS, REAL_GOLDEN, RetrievalCase, load_retrieval
from eval.metrics import first_match, latency_ms, score

SearchFn = Callable[[RetrievalCase], list[str]]
# the systems of a report: ours, then llama-index's three over its default windows
SYSTEMS = {
    "pipeline": "本システム / ours",
    "baseline": "llama-index 既定 / default",
    "baseline_dense": "llama-index dense",
    "baseline_fusion": "dense+文字BM25 RRF",
}
_MODES = {"baseline": "default", "baseline_dense": "dense", "baseline_fusion": "fusion"}


def _run(cases: list[RetrievalCase], search: SearchFn) -> tuple[list[list[str]], list[float]]:
    """The top-10 texts of every case and the seconds each search took."""
    lists, times = [], []
    for case in cases:
        started = time.perf_counter()
        lists.append(search(case)[:10])
        times.append(time.perf_counter() - started)
    return lists, times


def _report(
    cases: list[RetrievalCase], lists: list[list[str]], times: list[float]
) -> tuple[dict[str, object], list[int | None]]:
    runs = [(texts, [e.needle for e in c.expect]) for texts, c in zip(lists, cases, strict=True)]
    ranks = [first_match(texts, needles) for texts, needles in runs]
    out: dict[str, object] = {"overall": score(runs).as_dict()}
    for kind in ("lexical", "paraphrase"):
        sub = [r for r, c in zip(runs, cases, strict=True) if c.kind == kind]
        out[kind] = score(sub).as_dict()
    out["seconds_per_query"] = round(sum(times) / max(len(cases), 1), 4)
    if times:
        out["p50_ms"], out["p95_ms"] = latency_ms(times)
    return out, ranks


def differing(a: list[list[str]], b: list[list[str]]) -> int:
    """How many queries' top-10 lists differ between two runs (order counts)."""
    return sum(x[:10] != y[:10] for x, y in zip(a, b, strict=True))


def _ours(services: Services) -> SearchFn:
    def search(case: RetrievalCase) -> list[str]:
        hits = services.search(
            case.query, top_k=10, kind=case.filters.kind, contract=case.filters.contract
        )
        return [h.text for h in hits]

    return search


def _theirs(base: Baseline, mode: str) -> SearchFn:
    def search(case: RetrievalCase) -> list[str]:
        where = filters(case.filters.kind, case.filters.contract)
        return base.search(case.query, where, top_k=10, mode=mode)

    return search


def evaluate_retrieval(
    services: Services,
    golden: Path,
    with_baseline: bool = True,
    notify: Callable[[str], None] | None = None,
    repeat: bool = False,
) -> dict[str, object]:
    """Metrics of our pipeline and (optionally) the baselines, with the ratios between them.

    The baselines are llama-index's default stack, its dense retriever alone and dense with
    character BM25 fused by reciprocal rank (see ``eval.baseline``), all over the same windows.
    With ``repeat`` every system runs the set a second time on the same index through a fresh
    retriever (ours: new services over the same data folder; theirs: a new ``Baseline``), and
    each system's ``differing_lists`` counts the queries whose top-10 lists differ.
    """
    from copilot.services import build_services

    say = notify or (lambda _m: None)
    cases = load_retrieval(golden)
    services.index.query_vector("準備")  # load the model before the clock starts
    say(f"本システムで {len(cases)} 件を評価中 / evaluating our pipeline")
    lists, times = _run(cases, _ours(services))
    pipeline, our_ranks = _report(cases, lists, times)
    if repeat:
        say("本システムを新しい検索器でもう一度実行中 / our pipeline again, fresh retriever")
        fresh = build_services(services.settings)
        try:
            pipeline["differing_lists"] = differing(lists, _run(cases, _ours(fresh))[0])
        finally:
            fresh.close()
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
        say("比較用の llama-index 構成を構築中 / building the llama-index baselines")
        base = Baseline(services.index, services.index.embedder)
        again = Baseline(services.index, services.index.embedder) if repeat else None
        for system, mode in _MODES.items():
            say(f"比較用構成 {SYSTEMS[system]} で {len(cases)} 件を評価中 / evaluating {mode}")
            lists, times = _run(cases, _theirs(base, mode))
            result[system], _ = _report(cases, lists, times)
            if again is not None:
                second = _run(cases, _theirs(again, mode))[0]
                result[system]["differing_lists"] = differing(lists, second)  # type: ignore[index]
        result["baseline_config"] = base.description
        ours_all = pipeline["overall"]
        base_all = result["baseline"]["overall"]  # type: ignore[index]
        assert isinstance(ours_all, dict) and isinstance(base_all, dict)
        result["ratios"] = {
            key: (round(ours_all[key] / base_all[key], 3) if base_all[key] else None)
            for key in ("recall@5", "recall@10", "mrr@10", "mean_chars_top5")
        }
    return result


def evaluate_corpus(
    settings: Settings,
    corpus: Path,
    golden: Path,
    data: Path | None = None,
    kind: str | None = None,
    with_baseline: bool = True,
    repeat: bool = True,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """``evaluate_retrieval`` over any folder of documents, ingested by our pipeline.

    The folder goes into ``data`` (a data folder used for this corpus before is reused: only new
    or changed files are read again) or, without it, into a temporary data folder removed
    afterwards. The city's data folder is never touched. The embedder is the one configured.

    Raises:
        UserError: the folder or the golden set is missing, ``data`` holds documents from
            elsewhere, or nothing in the folder could be ingested.

    """
    import shutil
    import tempfile

    from copilot.services import build_services

    say = notify or (lambda _m: None)
    if not corpus.is_dir():
        raise UserError(
            f"評価するフォルダ {corpus} が見つかりません。文書の入ったフォルダを指定してください。",
            f"corpus folder {corpus} does not exist; give a folder of documents.",
        )
    load_retrieval(golden)  # a bad golden set fails before the ingest
    folder = data or Path(tempfile.mkdtemp(prefix="copilot-eval-"))
    try:
        services = build_services(settings.model_copy(update={"data_dir": folder}))
        try:
            root = corpus.resolve()
            foreign = [
                d.doc_id
                for d in services.index.documents()
                if not Path(d.source).resolve().is_relative_to(root)
            ]
            if foreign:
                raise UserError(
                    f"データフォルダ {folder} には {corpus} 以外の文書が {len(foreign)} 件"
                    f"あります（{foreign[0]} など）。空のフォルダか、このフォルダの評価に使った"
                    "データフォルダを --data に指定してください。",
                    f"data folder {folder} holds {len(foreign)} documents from outside {corpus} "
                    f"(e.g. {foreign[0]}); give --data an empty folder or the one used for "
                    "this corpus before.",
                )
            say(f"{corpus} を {folder} に取り込み中 / ingesting the corpus")
            report = services.ingest([corpus], kind=kind, prune=True, notify=say)
            if not services.index.documents():
                raise UserError(
                    f"{corpus} から取り込める文書がありませんでした。対応する形式の文書を"
                    "入れてください。",
                    f"nothing in {corpus} could be ingested; put documents of a supported "
                    "type there.",
                )
            result = evaluate_retrieval(
                services, golden, with_baseline=with_baseline, notify=say, repeat=repeat
            )
            result["corpus"] = str(corpus)
            result["documents"] = len(services.index.documents())
            # files left out (an unsupported type, a file over a limit): named, not fatal
            result["not_ingested"] = [f"{r.doc_id}: {r.error_ja}" for r in report.failed]
        finally:
            services.close()
    finally:
        if data is None:
            shutil.rmtree(folder, ignore_errors=True)
    return result


def public_corpus_services(
    services: Services, corpus: Path, notify: Callable[[str], None]
) -> Services:
    """Services over the public corpus, ingested as guidelines into <data>/eval/public_corpus."""
    from copilot.services import build_services

    settings = services.settings.model_copy(
        update={"data_dir": services.settings.data_dir / "eval" / "public_corpus"}
    )
    real = build_services(settings)
    try:
        report = real.ingest(sorted(corpus.glob("*.txt")), kind="guideline", notify=notify)
    except BaseException:
        real.close()
        raise
    if report.failed:
        real.close()
        first = report.failed[0]
        raise UserError(
            f"公開コーパスを取り込めません: {first.error_ja}",
            f"cannot ingest the public corpus: {first.error_en}",
        )
    return real


def evaluate_real_text(
    services: Services,
    golden: Path = REAL_GOLDEN,
    corpus: Path = PUBLIC_CORPUS,
    with_baseline: bool = True,
    notify: Callable[[str], None] | None = None,
    repeat: bool = False,
) -> dict[str, object]:
    """The real-text golden set over the public corpus, or why it was skipped."""
    say = notify or (lambda _m: None)
    if not corpus.is_dir() or not any(corpus.glob("*.txt")):
        return {"skipped": f"no public corpus at {corpus} (../shared/public_corpus)"}
    say(f"公開コーパス {corpus} を取り込み中 / ingesting the public corpus")
    real = public_corpus_services(services, corpus, say)
    try:
        return evaluate_retrieval(
            real, golden, with_baseline=with_baseline, notify=say, repeat=repeat
        )
    finally:
        real.close()


def sweep_fusion(
    services: Services,
    golden: Path,
    dense_weights: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0),
    item_weights: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0),
    rrf_ks: tuple[int, ...] = (10, 30, 60),
    notify: Callable[[str], None] | None = None,
    real_text: Services | None = None,
    real_golden: Path = REAL_GOLDEN,
) -> list[dict[str, object]]:
    """recall@5 and MRR@10 for each fusion setting, with and without the thesaurus, best first.

    Every setting weighs the four rankings (clause dense and BM25, item dense and BM25; BM25's
    weights stay 1 for clauses and follow the item weight for items). With ``real_text`` (services
    over the public corpus) the real-text golden set is scored too and the rows are ordered by
    the mean recall@5 of both sets. This is how the fusion defaults in settings.py were chosen.
    """
    from copilot.drafting.thesaurus import Thesaurus
    from copilot.retrieval import Fusion, candidates, filters, rank

    say = notify or (lambda _m: None)
    sets = [(services, load_retrieval(golden))]
    if real_text is not None:
        sets.append((real_text, load_retrieval(real_golden)))
    rows: list[dict[str, object]] = []
    for use_thesaurus in (True, False):
        found = []
        for svc, cases in sets:
            thesaurus = svc.thesaurus if use_thesaurus else Thesaurus(())
            found.append(
                [
                    candidates(
                        svc.index,
                        c.query,
                        filters(c.filters.kind, c.filters.contract),
                        svc.fusion.candidates,
                        thesaurus,
                    )
                    for c in cases
                ]
            )
        say(f"  candidates ready (thesaurus={use_thesaurus})")
        for dw in dense_weights:
            for iw in item_weights:
                for idw in item_weights:
                    for k in rrf_ks:
                        fusion = Fusion(
                            dense_weight=dw,
                            sparse_weight=1.0,
                            k=k,
                            candidates=services.fusion.candidates,
                            item_dense_weight=idw,
                            item_sparse_weight=iw,
                        )
                        row: dict[str, object] = {
                            "dense_weight": dw,
                            "item_dense_weight": idw,
                            "item_sparse_weight": iw,
                            "rrf_k": k,
                            "thesaurus": use_thesaurus,
                        }
                        for name, (svc, cases), cands in zip(
                            ("sample", "real_text"), sets, found, strict=False
                        ):
                            runs = [
                                (
                                    [h.text for h in rank(svc.index, cand, fusion, 10)],
                                    [e.needle for e in case.expect],
                                )
                                for case, cand in zip(cases, cands, strict=True)
                            ]
                            sc = score(runs).as_dict()
                            row[f"{name}_recall@5"] = sc["recall@5"]
                            row[f"{name}_mrr@10"] = sc["mrr@10"]
                            row[f"{name}_chars_top5"] = sc["mean_chars_top5"]
                        rows.append(row)
    keys = [f"{name}_recall@5" for name in ("sample", "real_text")[: len(sets)]]
    rows.sort(
        key=lambda r: (
            -sum(float(r[k]) for k in keys),  # type: ignore[arg-type]
            -float(r["sample_mrr@10"]),  # type: ignore[arg-type]
        )
    )
    return rows
