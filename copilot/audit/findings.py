"""Draft findings (発見事項) from checklist judgements or from a division's self-check answers.

A contract item judged 反映なし becomes a 指摘 (the contract lacks what the policy requires the
city to secure), one judged 一部反映 an 意見. A self-check question answered いいえ becomes a 指摘
when the policy sentence it rests on is an obligation, else an 意見. The drafter writes the
finding; the citation gate checks it like every other draft. Where the division answered a
hearing by e-mail, its reply sentence is cited beside the rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from copilot.audit.checklist_run import ChecklistRun
from copilot.audit.hearing_records import LogEntry
from copilot.audit.selfcheck import Triage
from copilot.drafting.citations import finding_errors
from copilot.drafting.registry import Drafter, Evidence, FindingInput
from copilot.schemas import ChecklistItem, Finding
from copilot.services import Services

_OBLIGATIONS = ("しなければならない", "してはならない", "ものとする", "こと。")


class FindingsDraft(BaseModel):
    """Findings drafted for one division from one source (a contract or a self-check)."""

    division: str
    source: str
    findings: list[Finding]


def _subject(item_id: str, item: ChecklistItem | None) -> str:
    """「設問 1-5-1（再委託）」: the id and the item's group without its number."""
    if item is None or not item.group:
        return f"設問 {item_id} の事項"
    topic = item.group.split("：")[-1].split(" ", 1)[-1].strip()
    return f"設問 {item_id}（{topic}）の事項"


def _gated(drafter: Drafter, given: FindingInput) -> Finding:
    draft = drafter.finding(given)
    checked, errors = finding_errors(draft, given.evidence.allowed)
    if not errors:
        return checked
    return checked.model_copy(
        update={
            "title": f"【要確認】{checked.title}",
            "finding": f"{checked.finding}（根拠の検証に失敗: {' / '.join(errors)}）",
        }
    )


def from_checklist(
    services: Services,
    run: ChecklistRun,
    drafter: Drafter,
    division: str = "",
    items: dict[str, ChecklistItem] | None = None,
) -> FindingsDraft:
    """A finding for every item of the run judged 反映なし or 一部反映."""
    division = division or f"契約 {run.contract} の所管課"
    findings = []
    for j in run.judgements:
        if j.verdict not in ("反映なし", "一部反映"):
            continue
        ids = [c.clause_id for c in [*j.evidence, *j.basis]]
        found = services.index.clauses(ids)
        evidence = Evidence(
            documents=[found[c.clause_id] for c in j.evidence if c.clause_id in found],
            basis=[found[c.clause_id] for c in j.basis if c.clause_id in found],
        )
        if not evidence.basis:
            continue  # no rule to cite: an auditor must write this one
        problem = (
            f"契約 {run.contract} の契約書類について、外部サービス利用時チェックリスト"
            f"設問 {j.item} を確認したところ、{j.rationale}"
        )
        findings.append(
            _gated(
                drafter,
                FindingInput(
                    division=division,
                    subject=_subject(j.item, (items or {}).get(j.item)),
                    problem=problem,
                    severity_hint="指摘" if j.verdict == "反映なし" else "意見",
                    evidence=evidence,
                    evidence_quotes=[(c.clause_id, c.quote) for c in j.evidence],
                ),
            )
        )
    return FindingsDraft(division=division, source=f"contract {run.contract}", findings=findings)


def _reply_said(entry: LogEntry) -> str:
    when = f"{entry.date[:10]}付けの" if entry.date else ""
    return f"書面によるヒアリングに対し、{when}回答で「{entry.quote}」としている。"


def from_selfcheck(
    services: Services,
    triage: Triage,
    drafter: Drafter,
    hearings: Mapping[str, Sequence[LogEntry]] | None = None,
) -> list[FindingsDraft]:
    """A finding for every self-check question a division answered いいえ or left open.

    Args:
        services: the index the rules are read from.
        triage: the divisions and the questions each answered いいえ or left open.
        drafter: writes each finding (checked by the citation gate).
        hearings: each division's hearing log (``copilot.audit.hearings.hearing_log``), if any:
            a question whose reply sentence is a citation of the ingested reply gets that
            sentence in the problem and among the finding's evidence, so the finding cites the
            division's own words next to the rule.

    """
    drafts = []
    for division in triage.divisions:
        replies = {
            e.reason_id: e
            for e in (hearings or {}).get(division.division, ())
            if e.citation is not None
        }
        findings = []
        for reason in division.reasons:
            if reason.basis is None:
                continue
            entry = replies.get(reason.id)
            said = [entry.citation.clause_id] if entry and entry.citation else []
            found = services.index.clauses([reason.basis.clause_id, *said])
            clause = found.get(reason.basis.clause_id)
            if clause is None:
                continue
            note = f"（補足: {reason.note}）" if reason.note else ""
            problem = (
                f"自己点検において「{reason.question}」に「{reason.answer}」と回答している{note}。"
            )
            documents, quotes = [], []
            if entry and entry.citation and entry.citation.clause_id in found:
                documents = [found[entry.citation.clause_id]]
                quotes = [(entry.citation.clause_id, entry.citation.quote)]
                problem += _reply_said(entry)
            mandatory = any(m in reason.basis.quote for m in _OBLIGATIONS)
            findings.append(
                _gated(
                    drafter,
                    FindingInput(
                        division=division.division,
                        subject=reason.category.lstrip("0123456789.．　 ") or reason.question[:20],
                        problem=problem,
                        severity_hint="指摘" if mandatory else "意見",
                        evidence=Evidence(documents=documents, basis=[clause]),
                        evidence_quotes=quotes,
                    ),
                )
            )
        drafts.append(
            FindingsDraft(division=division.division, source=division.source, findings=findings)
        )
    return drafts
