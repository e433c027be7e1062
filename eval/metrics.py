"""Metrics: recall@k, MRR@10 and characters to read over ranked texts; quotes re-checked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.schemas import Citation
from copilot.services import Services
from ingest.normalise import squash


def matches(text: str, needles: Sequence[str]) -> bool:
    """Whether a hit's text contains any needle, after NFKC and whitespace removal."""
    t = squash(text)
    return any(squash(n) in t for n in needles)


def latency_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 of measured durations, in milliseconds (one decimal)."""
    ordered = sorted(seconds)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[max(0, int(0.95 * len(ordered)) - 1)]
    return round(1000 * p50, 1), round(1000 * p95, 1)


READ_BUDGET = 2000  # characters an auditor reads down the list (recall within them)


def _raw_end(text: str, squashed_end: int) -> int:
    """The position in ``text`` just after its ``squashed_end``-th squashed character."""
    seen = 0
    for i, ch in enumerate(text):
        seen += len(squash(ch))
        if seen >= squashed_end:
            return i + 1
    return len(text)


def found_within(texts: Sequence[str], needles: Sequence[str], budget: int = READ_BUDGET) -> bool:
    """Whether a needle ends within the first ``budget`` characters read down the ranked list.

    The hits are read in order, each shown whole: a needle counts when the characters of the
    hits above it plus its own end inside its hit are at most ``budget`` (the hit's characters as
    shown, whitespace included; the needle is found as in ``matches``).
    """
    read = 0
    for text in texts:
        if read >= budget:
            return False
        t = squash(text)
        ends = [t.find(s) + len(s) for s in (squash(n) for n in needles) if s in t]
        if ends and read + _raw_end(text, min(ends)) <= budget:
            return True
        read += len(text)
    return False


def first_match(texts: Sequence[str], needles: Sequence[str]) -> int | None:
    """1-based rank of the first text that contains a needle, or None."""
    for rank, text in enumerate(texts, start=1):
        if matches(text, needles):
            return rank
    return None


@dataclass(frozen=True)
class Scores:
    """Aggregated metrics of one system over a set of queries."""

    queries: int
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    mean_chars_top5: float
    recall_within_read: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict with the metric names used in reports."""
        return {
            "queries": self.queries,
            "recall@5": round(self.recall_at_5, 4),
            "recall@10": round(self.recall_at_10, 4),
            "mrr@10": round(self.mrr_at_10, 4),
            "mean_chars_top5": round(self.mean_chars_top5, 1),
            "recall@2000chars": round(self.recall_within_read, 4),
        }


def score(runs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> Scores:
    """Metrics over (ranked hit texts, needles) pairs (the first 10 texts of each count)."""
    n = len(runs)
    if n == 0:
        return Scores(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    ranks = [first_match(list(texts)[:10], needles) for texts, needles in runs]
    return Scores(
        queries=n,
        recall_at_5=sum(1 for r in ranks if r is not None and r <= 5) / n,
        recall_at_10=sum(1 for r in ranks if r is not None) / n,
        mrr_at_10=sum(1.0 / r for r in ranks if r is not None) / n,
        mean_chars_top5=sum(sum(len(t) for t in list(texts)[:5]) for texts, _ in runs) / n,
        recall_within_read=sum(found_within(list(texts)[:10], needles) for texts, needles in runs)
        / n,
    )


def quotes_valid(services: Services, cites: list[Citation]) -> tuple[int, int]:
    """(valid, total): quotes that occur in the stored clause they name, at its path."""
    stored = services.index.clauses([c.clause_id for c in cites])
    valid = sum(
        1
        for c in cites
        if c.clause_id in stored
        and squash(c.quote) in squash(stored[c.clause_id].text)
        and stored[c.clause_id].path == c.clause_path
        and stored[c.clause_id].doc_id == c.document
    )
    return valid, len(cites)


def macro_f1(pairs: Sequence[tuple[str, str]], labels: Sequence[str]) -> float:
    """Macro-F1 of (expected, predicted) pairs over ``labels``.

    A prediction outside the labels (要確認) is wrong for every class.
    """
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


COVERAGES = (0.5, 0.6, 0.7, 0.9)


def selective(rows: Sequence[tuple[float, bool]], bins: int = 10) -> dict[str, object]:
    """How far a confidence can be trusted, from (confidence, lean was right) per judgement.

    ``accuracy_at_coverage``: the accuracy of the most confident 50/60/70/90 % (ties kept in the
    order given); ``ece``: expected calibration error over ``bins`` equal-width bins; ``brier``:
    the mean squared gap between the confidence and being right.
    """
    if not rows:
        return {"accuracy_at_coverage": {}, "ece": None, "brier": None}
    ranked = sorted(rows, key=lambda r: -r[0])
    n = len(ranked)
    at = {}
    for q in COVERAGES:
        top = ranked[: max(1, math.ceil(q * n))]
        at[f"{round(q * 100)}%"] = round(sum(ok for _, ok in top) / len(top), 4)
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in ranked if lo < c <= hi or (b == 0 and c == 0)]
        if inside:
            mean_c = sum(c for c, _ in inside) / len(inside)
            mean_ok = sum(ok for _, ok in inside) / len(inside)
            ece += len(inside) / n * abs(mean_c - mean_ok)
    brier = sum((c - ok) ** 2 for c, ok in ranked) / n
    return {"accuracy_at_coverage": at, "ece": round(ece, 4), "brier": round(brier, 4)}
