"""Policy gap evaluation: judge the golden guideline's requirements and score the coverage.

The golden set (``eval/golden/policy_gap.json``) names a policy and a guideline by document id
and gives the expected coverage (網羅 / 一部 / 欠落) of each requirement, written from the two
sample texts. Metrics: accuracy, macro-F1 over the three labels, quote validity (every quote
re-checked against the stored clause), the share sent to 要確認, the share of covered
requirements whose first quote comes from the expected policy clause, and seconds per
requirement.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from copilot.errors import UserError
from copilot.policy.gap import make_judge
from copilot.schemas import PolicyGap
from copilot.services import Services
from eval.metrics import macro_f1, quotes_valid

LABELS = ("網羅", "一部", "欠落")


class GoldenGap(BaseModel):
    """The expected coverage of one requirement (``why`` and other notes are ignored)."""

    model_config = ConfigDict(extra="ignore")
    requirement: str
    coverage: Literal["網羅", "一部", "欠落"]
    clause: str | None = None


class GoldenPolicy(BaseModel):
    """A policy, a guideline and the expected coverage of every requirement."""

    model_config = ConfigDict(extra="ignore")
    policy: str
    guideline: str
    cases: list[GoldenGap]


def load_golden(path: Path) -> GoldenPolicy:
    """Read the golden set.

    Raises:
        UserError: missing or malformed file.

    """
    if not path.is_file():
        raise UserError(
            f"正解データ {path} が見つかりません。", f"golden set {path} does not exist."
        )
    try:
        return GoldenPolicy.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise UserError(f"{path} が不正です: {exc}", f"{path} is invalid: {exc}") from exc


def _cases(golden: GoldenPolicy, found: list[str]) -> dict[str, GoldenGap]:
    cases = {c.requirement: c for c in golden.cases}
    unknown = sorted(set(cases) - set(found))
    if unknown:
        raise UserError(
            f"正解データの要件 {', '.join(unknown)} がガイドラインから読み取れません。",
            f"golden requirements {', '.join(unknown)} were not found in the guideline.",
        )
    return cases


def evaluate_policy(
    services: Services, golden_path: Path, notify: Callable[[str], None] | None = None
) -> dict[str, object]:
    """Accuracy, macro-F1, quote validity, 要確認 rate, clause hit rate and time per requirement."""
    say = notify or (lambda _m: None)
    golden = load_golden(golden_path)
    started = time.perf_counter()
    judge = make_judge(services, golden.policy, golden.guideline)
    cases = _cases(golden, [r.id for r in judge.reqs])
    gaps: list[PolicyGap] = []
    for n, req in enumerate(judge.reqs, start=1):
        say(f"[{n}/{len(judge.reqs)}] {req.id}")
        gaps.append(judge.judge(req))
    elapsed = time.perf_counter() - started
    scored = [g for g in gaps if g.requirement in cases]
    pairs = [(cases[g.requirement].coverage, g.coverage) for g in scored]
    valid = cited = hits = hit_total = 0
    for g in scored:
        cites = [*g.policy_citations, *([g.guideline_citation] if g.guideline_citation else [])]
        v, t = quotes_valid(services, cites)
        valid, cited = valid + v, cited + t
        want = cases[g.requirement].clause
        if want and g.coverage in ("網羅", "一部"):
            hit_total += 1
            hits += bool(g.policy_citations) and g.policy_citations[0].clause_path == want
    labels = [*LABELS, "要確認"]
    confusion = {e: {p: sum(1 for x in pairs if x == (e, p)) for p in labels} for e in LABELS}
    n = len(pairs)
    return {
        "golden": str(golden_path),
        "policy": golden.policy,
        "guideline": golden.guideline,
        "requirements": len(gaps),
        "scored": n,
        "accuracy": round(sum(e == p for e, p in pairs) / n, 4),
        "macro_f1": round(macro_f1(pairs, LABELS), 4),
        "quote_validity": round(valid / cited, 4) if cited else 1.0,
        "needs_review_rate": round(sum(p == "要確認" for _, p in pairs) / n, 4),
        "clause_hit_rate": round(hits / hit_total, 4) if hit_total else None,
        "seconds_per_requirement": round(elapsed / len(gaps), 3),
        "confusion": confusion,
        "wrong": [
            {
                "requirement": g.requirement,
                "expected": cases[g.requirement].coverage,
                "got": g.coverage,
            }
            for g in scored
            if cases[g.requirement].coverage != g.coverage
        ],
    }


def sweep_thresholds(
    services: Services, golden_path: Path, notify: Callable[[str], None] | None = None
) -> dict[str, object]:
    """Accuracy over a grid of (gap_margin, gap_full, gap_partial); how the defaults were chosen.

    The support of each requirement is computed once per margin; the thresholds only cut it.
    Ties are broken towards the middle of the widest run of equally good values, so that a
    default does not sit on the edge of what happened to work.
    """
    say = notify or (lambda _m: None)
    golden = load_golden(golden_path)
    judge = make_judge(services, golden.policy, golden.guideline)
    cases = _cases(golden, [r.id for r in judge.reqs])
    reqs = [r for r in judge.reqs if r.id in cases]
    grid = [round(x, 2) for x in np.arange(0.0, 0.8001, 0.02)]
    rows = []
    for margin in (0.0, 0.05, 0.1, 0.2, 0.4):
        say(f"gap_margin {margin}")
        assessed = [(judge.assess(r, margin), cases[r.id].coverage) for r in reqs]
        for full in grid:
            for partial in [p for p in grid if p <= full]:
                right = sum(
                    judge.coverage_of(a[0], a[2], full, partial) == want for a, want in assessed
                )
                rows.append(
                    {
                        "gap_margin": margin,
                        "gap_full": full,
                        "gap_partial": partial,
                        "accuracy": round(right / len(reqs), 4),
                    }
                )
    top = max(r["accuracy"] for r in rows)
    best = [r for r in rows if r["accuracy"] == top]
    chosen = best[len(best) // 2]
    return {"golden": str(golden_path), "best_accuracy": top, "chosen": chosen, "ties": len(best)}
