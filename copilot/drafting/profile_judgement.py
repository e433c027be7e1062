"""A checklist judgement composed from the item's requirement profile, element by element.

The verdict follows ``copilot.drafting.elements.item_verdict``; the texts are composed only from
whole sentences: each element's own 記載例, 代替措置 and advice (``copilot.drafting.profiles``) and
a few fixed sentences here, never from fragments of the item. Quotes, at most three per item and
none at all for 反映なし: the sentence of each element met or soft; then, while there is room, a
second sentence of an element that says more of it (``ElementResult.also``) and, for an element
missing, the sentence that speaks of it without binding the provider (its discretion, a
disclaimer, the user's duty: ``ElementResult.against``), which shows the auditor why it is
missing. On the four choice sets these raised the share of labelled evidence quoted from 0.64 to
0.72 while 74 % of the quotes stayed the evidence (``eval/CHOICES.md``).

Confidence says how clear the element matches are: a duty of a named provider is clearer than one
whose party the sentence does not name, and a soft match clearer than a bare statement (a table
cell, a description), which may or may not be meant as a duty; an element whose only match is
such a statement makes the item 要確認 when its confidence falls below ``evidence_review_below``.
"""

from __future__ import annotations

from copilot.drafting.citations import cite, looks_like_instruction
from copilot.drafting.elements import (
    ElementResult,
    Sentence,
    contract_sentences,
    item_verdict,
    judge_elements,
)
from copilot.drafting.profiles import Profile
from copilot.drafting.registry import Evidence
from copilot.schemas import (
    ANSWER_OF,
    ChecklistItem,
    ChecklistJudgement,
    Citation,
    ElementStanding,
)

__all__ = ["MAX_QUOTES", "compose", "contract_pool", "judge_by_profile"]

MAX_QUOTES = 3

# How sure an element's standing is, by what it rests on.
_CLEAR_NAMED = 0.95  # a binding sentence that names the provider (or both parties)
_CLEAR_UNNAMED = 0.85  # a binding sentence with no party named (a specification's style)
_CLEAR_SOFT = 0.8  # hedged, or a condition short
_CLEAR_STATEMENT = 0.45  # only a bare statement: a person must read it
_CLEAR_MISSING = 0.9  # no sentence holds the element's expressions
_CLEAR_REJECTED = 0.8  # sentences hold them, but none binds the right side


def _clarity(result: ElementResult, near: bool) -> float:
    if result.status == "met":
        party = result.sentence.reading.party if result.sentence else "none"
        return _CLEAR_NAMED if party in ("provider", "both", "city") else _CLEAR_UNNAMED
    if result.status == "soft":
        statement = result.sentence is not None and result.sentence.reading.modality == "statement"
        return _CLEAR_STATEMENT if statement else _CLEAR_SOFT
    return _CLEAR_REJECTED if near else _CLEAR_MISSING


def _where(result: ElementResult) -> str:
    assert result.sentence is not None
    clause = result.sentence.clause
    return f"{clause.title} {clause.path}".strip()


def _rationale(results: list[ElementResult], verdict: str) -> str:
    lines = []
    for r in results:
        optional = "" if r.element.required else "（任意）"
        if r.status == "missing" and r.against is not None:
            clause = r.against.clause
            whose = "市の権利" if "provider" not in r.element.accept else "外部サービス提供者の義務"
            why = (
                f"{r.against.limit}ため" if r.against.limit else f"{whose}として定めたものではなく"
            )
            lines.append(
                f"{r.element.label}{optional}: {clause.title} {clause.path}「{r.against.text}」は"
                f"{why}、定めが見当たらない"
            )
        elif r.status == "missing":
            lines.append(f"{r.element.label}{optional}: 契約書類に定めが見当たらない")
        elif r.status == "soft":
            lines.append(
                f"{r.element.label}{optional}: {_where(r)}「{r.sentence.text}」"
                f"（{r.sentence.limit or r.why}）"
            )  # type: ignore[union-attr]
        else:
            lines.append(f"{r.element.label}{optional}: {_where(r)}「{r.sentence.text}」")  # type: ignore[union-attr]
    closing = {
        "反映あり": "求められる要素は、いずれも契約書類に定められている。",
        "一部反映": "求められる要素の一部が定められていないか、定め方が十分でない。",
        "反映なし": "求められる要素は、いずれも契約書類に定められていない。",
    }[verdict]
    return "／".join(lines) + "。" + closing


def _labels(labels: list[str]) -> str:
    """「A」, 「A及びB」, 「A、B及びC」: labels are noun phrases."""
    return labels[0] if len(labels) == 1 else "、".join(labels[:-1]) + "及び" + labels[-1]


def _advice(results: list[ElementResult], verdict: str) -> str:
    """Advice on every element missing or soft; for 要確認 with none, what to check."""
    missing = [r.element.label for r in results if r.status == "missing"]
    out = []
    if missing:
        out.append(
            f"{_labels(missing)}について定めがないため、記載例を参考に契約書又は仕様書に"
            "追記するよう助言する。"
        )
    out += [r.element.soft_advice for r in results if r.status == "soft"]
    if not out and verdict == "要確認":
        out.append(
            "引用した定めが、外部サービス提供者の義務として定められたものか、原文で確かめる。"
        )
    return "".join(out)


def contract_pool(evidence: Evidence) -> list[Sentence]:
    """Every sentence of the contract, read, less any that addresses the drafter."""
    clauses = evidence.scan or evidence.documents
    return [s for s in contract_sentences(clauses) if not looks_like_instruction(s.text)]


def judge_by_profile(
    item: ChecklistItem,
    contract: str,
    evidence: Evidence,
    profile: Profile,
    review_below: float,
) -> ChecklistJudgement:
    """The judgement of one item from its profile (without basis and provenance)."""
    pool = contract_pool(evidence)
    return compose(item, contract, profile, judge_elements(profile, pool), pool, review_below)


def compose(
    item: ChecklistItem,
    contract: str,
    profile: Profile,
    results: list[ElementResult],
    pool: list[Sentence],
    review_below: float,
    confidence: float | None = None,
) -> ChecklistJudgement:
    """The judgement from each element's standing: verdict rule, quotes and the texts.

    Args:
        item: the checklist item.
        contract: the contract id.
        profile: the item's profile.
        results: each element's standing (by the rules, or as an LLM read it).
        pool: the contract's sentences (to tell an element nobody mentions from one rejected).
        review_below: a judgement less sure than this is 要確認.
        confidence: the drafter's own confidence, if lower than the clarity of the matches.

    """
    leaning = item_verdict(results)
    near = {r.element.id: any(r.element.holds(s.scope) for s in pool) for r in results}
    clarity = [_clarity(r, near[r.element.id]) for r in results if r.element.required]
    sure = min([*clarity, *([confidence] if confidence is not None else [])] or [_CLEAR_MISSING])
    verdict = leaning if sure >= review_below else "要確認"

    quotes: list[Citation] = []
    seen: set[str] = set()
    if leaning != "反映なし":
        stood = [r for r in results if r.status != "missing"]
        # each element's own sentence first, then the second ones while there is room
        against = [r.against for r in results if r.status == "missing"]
        for sentence in [r.sentence for r in stood] + [r.also for r in stood] + against:
            if sentence is not None and len(quotes) < MAX_QUOTES:
                if sentence.text not in seen:
                    seen.add(sentence.text)
                    quotes.append(cite(sentence.clause, sentence.text))
    short = [r for r in results if r.status != "met"]
    rationale = _rationale(results, leaning)
    if verdict == "要確認":
        rationale = (
            "要素の記載が義務として定められたものか文面から判断できないため、担当者の確認が"
            f"必要です（判定案: {leaning}）。" + rationale
        )
    proposed = "".join(r.element.proposal for r in short)
    alternative = "".join(r.element.alternative for r in short if r.status == "missing")
    met = sum(r.status == "met" for r in results)
    reason = (
        f"確信度 {sure:.2f}。要素 {len(results)} 件中 {met} 件は契約書類の定めで満たされ、"
        f"{sum(r.status == 'soft' for r in results)} 件は定め方が十分でなく、"
        f"{sum(r.status == 'missing' for r in results)} 件は定めが見当たらない"
        f"（要件プロファイル {profile.id} 第{profile.version}版）。"
    )
    return ChecklistJudgement(
        item=item.id,
        contract=contract,
        verdict=verdict,  # type: ignore[arg-type]
        answer=ANSWER_OF[verdict],  # type: ignore[arg-type]
        rationale=rationale,
        evidence=quotes,
        advice=_advice(results, verdict),
        proposed_wording=proposed,
        alternative_measure=alternative,
        confidence=round(sure, 4),
        leaning=leaning,  # type: ignore[arg-type]
        confidence_reason=reason,
        profile=f"{profile.id}@{profile.version}",
        elements=[
            ElementStanding(
                id=r.element.id,
                label=r.element.label,
                status=r.status,
                quote=r.sentence.text if r.sentence is not None and r.status != "missing" else "",
            )
            for r in results
        ],
    )
