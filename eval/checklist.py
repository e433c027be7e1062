"""Checklist evaluation: run a drafter over the golden contracts and score its judgements."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from copilot.audit.checklist_run import judge_item
from copilot.audit.checklists import import_checklist
from copilot.drafting.registry import Drafter
from copilot.drafting.verdict_fit import Case, cases_json, fit_model, held_out
from copilot.drafting.verdicts import decide
from copilot.errors import UserError
from copilot.services import Services
from eval.metrics import macro_f1, matches, quotes_valid, selective

GOLDEN_VERDICT = {"reflected": "反映あり", "partial": "一部反映", "not_reflected": "反映なし"}
LABELS = ("反映あり", "一部反映", "反映なし")


class GoldenJudgement(BaseModel):
    """One expected judgement (other fields in the file are ignored)."""

    model_config = ConfigDict(extra="ignore")
    contract: str
    item: str
    verdict: Literal["reflected", "partial", "not_reflected"]
    evidence: list[str] = []


def load_judgements(path: Path) -> list[GoldenJudgement]:
    """Read a JSON list of golden judgements.

    Raises:
        UserError: missing or malformed file (the bad entry is named by position).

    """
    if not path.is_file():
        raise UserError(
            f"正解データ {path} が見つかりません。", f"golden set {path} does not exist."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path} は JSON ではありません: {exc}", f"{path} is not JSON: {exc}"
        ) from exc
    out = []
    for n, entry in enumerate(raw, start=1):
        try:
            out.append(GoldenJudgement.model_validate(entry))
        except ValidationError as exc:
            raise UserError(
                f"{path} の {n} 件目が不正です: {exc}", f"entry {n} of {path} is invalid: {exc}"
            ) from exc
    return out


def evaluate_checklist(
    services: Services,
    checklist_path: Path,
    golden_path: Path,
    drafter: Drafter,
    notify: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Verdict accuracy, macro-F1, evidence recall, citation validity, 要確認 rate, time/item.

    ``verdict_accuracy`` counts 要確認 as wrong; ``decided_accuracy`` leaves it out;
    ``lean_accuracy`` scores the verdict the drafter leaned to on every item. How far the
    confidence can be trusted: ``accuracy_at_coverage`` (the lean on the most confident 50, 60,
    70 and 90 % of items), ``ece`` and ``brier`` (``eval.metrics.selective``).
    """
    say = notify or (lambda _m: None)
    checklist = import_checklist(checklist_path)
    items = {i.id: i for i in checklist.items}
    golden = load_judgements(golden_path)
    unknown = sorted({g.item for g in golden} - set(items))
    if unknown:
        raise UserError(
            f"正解データの設問 {', '.join(unknown)} がチェックリストにありません。",
            f"golden items {', '.join(unknown)} are not in the checklist.",
        )
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None:  # drafters that read the index (term rarity, embeddings)
        prepare(services.index)
    pairs: list[tuple[str, str]] = []
    confident: list[tuple[float, bool]] = []  # (confidence, lean right) of judgements that have one
    found = expected = valid = cited = review = 0
    quoted = quoted_right = 0  # quotes shown, and those that hold a labelled evidence string
    wrong = []
    started = time.perf_counter()
    for n, g in enumerate(golden, start=1):
        say(f"[{n}/{len(golden)}] {g.contract} {g.item}")
        j = judge_item(services, drafter, items[g.item], g.contract)
        want = GOLDEN_VERDICT[g.verdict]
        pairs.append((want, j.verdict))
        review += j.verdict == "要確認"
        if j.confidence is not None:
            confident.append((j.confidence, (j.leaning or j.verdict) == want))
        v, t = quotes_valid(services, [*j.evidence, *j.basis])
        valid, cited = valid + v, cited + t
        quotes = [c.quote for c in j.evidence]
        quoted += len(quotes)
        quoted_right += sum(bool(g.evidence) and matches(q, g.evidence) for q in quotes)
        for needle in g.evidence:
            expected += 1
            found += any(matches(q, [needle]) for q in quotes)
        if want != j.verdict:
            wrong.append(
                {"contract": g.contract, "item": g.item, "expected": want, "got": j.verdict}
            )
    elapsed = time.perf_counter() - started
    n = len(golden)
    decided = [(g, p) for g, p in pairs if p != "要確認"]
    recall = {
        label: (
            round(sum(p == label for w, p in pairs if w == label) / total, 4)
            if (total := sum(w == label for w, _ in pairs))
            else None
        )
        for label in LABELS
    }
    return {
        "golden": str(golden_path),
        "drafter": drafter.name,
        "model": drafter.model,
        "judgements": n,
        "verdict_accuracy": round(sum(g == p for g, p in pairs) / n, 4),
        "decided_accuracy": (
            round(sum(g == p for g, p in decided) / len(decided), 4) if decided else None
        ),
        "lean_accuracy": (
            round(sum(ok for _, ok in confident) / len(confident), 4) if confident else None
        ),
        **selective(confident),
        "macro_f1": round(macro_f1(pairs, LABELS), 4),
        "evidence_recall": round(found / expected, 4) if expected else None,
        # how much of what the auditor reads is the evidence, and how much there is to read
        "evidence_precision": round(quoted_right / quoted, 4) if quoted else None,
        "quotes_per_item": round(quoted / n, 3),
        "recall_by_verdict": recall,
        # the score of answering 反映なし for every item: what a drafter must beat
        "all_not_reflected_accuracy": round(sum(w == "反映なし" for w, _ in pairs) / n, 4),
        "citation_validity": round(valid / cited, 4) if cited else 1.0,
        "needs_review_rate": round(review / n, 4),
        "seconds_per_item": round(elapsed / n, 3),
        "wrong": wrong,
    }


def _set_name(path: Path) -> str:
    """A judgement set's name: its folder (eval/blind2), or the file for the sample golden set."""
    return path.parent.name if path.name.startswith("_") else path.stem


def judged_cases(
    services: Services,
    checklist_path: Path,
    golden_paths: list[Path],
    notify: Callable[[str], None] | None = None,
) -> list[Case]:
    """The evidence drafter's measurements of each golden judgement, as cases to fit on.

    The group of a case is ``<set>/<contract>`` (``copilot.drafting.verdict_fit.Case``).
    """
    from copilot.audit.checklist_run import gather_evidence
    from copilot.drafting.evidence import EvidenceDrafter

    say = notify or (lambda _m: None)
    items = {i.id: i for i in import_checklist(checklist_path).items}
    drafter = EvidenceDrafter(services.settings)
    drafter.prepare(services.index)
    cases: list[Case] = []
    for path in golden_paths:
        golden = load_judgements(path)
        for n, g in enumerate(golden, start=1):
            say(f"{_set_name(path)} [{n}/{len(golden)}] {g.contract} {g.item}")
            sup = drafter.support(
                items[g.item], gather_evidence(services, items[g.item], g.contract)
            )
            group = f"{_set_name(path)}/{g.contract}"
            cases.append(Case(group, GOLDEN_VERDICT[g.verdict], sup.features(), bool(sup.hedges)))
    return cases


def set_of(case: Case) -> str:
    """The judgement set a case of ``judged_cases`` comes from."""
    return case.group.split("/", 1)[0]


def sweep_thresholds(
    services: Services,
    checklist_path: Path,
    golden_paths: list[Path],
    model_out: Path | None = None,
    notify: Callable[[str], None] | None = None,
    cases_out: Path | None = None,
) -> dict[str, object]:
    """The evidence drafter's verdict model, fitted on one or more judgement sets.

    The drafter's measurements (``copilot.drafting.verdicts.FEATURES``) are taken once per case;
    the two logistic scores are fitted on all of them and calibrated on held-out groups
    (``copilot.drafting.verdict_fit``). The groups are the sets when there are several (each set
    is another author), else the contracts. The report gives the accuracy of the lean on the cases
    fitted, and per group the accuracy of a model fitted on the other groups: the estimate of how
    it does on contracts written by someone else. This is how
    ``copilot/drafting/verdict_model.json`` was made (the four sets of ``eval/``, all ingested
    into one data folder), and ``cases_out`` how ``verdict_cases.json`` beside it was.
    """
    from copilot.drafting.evidence import EvidenceDrafter

    judged = judged_cases(services, checklist_path, golden_paths, notify)
    by_set = len(golden_paths) > 1
    cases = [replace(c, group=set_of(c)) if by_set else c for c in judged]
    current_model = EvidenceDrafter(services.settings).verdict_model
    names = ", ".join(_set_name(p) for p in golden_paths)
    model = fit_model(cases, fitted_on=f"{names} ({len(cases)} judgements)")
    if model_out is not None:
        model_out.write_text(model.to_json(), encoding="utf-8")
    if cases_out is not None:
        note = f"the cases verdict_model.json was fitted on ({names}), as measured for its fit"
        cases_out.write_text(cases_json(judged, note), encoding="utf-8")
    per_group: dict[str, list[bool]] = {}
    for fold, case in held_out(cases):
        fold = replace(fold, temperature=model.temperature)
        per_group.setdefault(case.group, []).append(
            decide(fold, case.x, case.hedged).leaning == case.want
        )
    pooled = [hit for hits in per_group.values() for hit in hits]
    current = sum(decide(current_model, c.x, c.hedged).leaning == c.want for c in cases)
    return {
        "judgements": len(cases),
        "groups": "sets" if by_set else "contracts",
        "accuracy_of_fit": model.accuracy,
        "held_out_accuracy": round(sum(pooled) / len(pooled), 4) if pooled else None,
        "held_out_by_group": {g: round(sum(h) / len(h), 4) for g, h in sorted(per_group.items())},
        "temperature": model.temperature,
        "model": json.loads(model.to_json()),
        "current": {
            "accuracy": round(current / len(cases), 4) if cases else None,
            "model": current_model.fitted_on,
        },
    }
