"""Revision advice from signed-off findings: the policy clauses they rest on, and what to change.

Every finding cites the rules it rests on (``Finding.criteria``). The policy clauses among them
are gathered, and for each clause one piece of advice is drafted: what the clause says now (a
verified quote), what the audit found (the findings, by division and number), and wording that
would prevent a recurrence: the clause made concrete on who does what, by when, and what record
shows it. The guideline requirement closest to the clause is cited as support when there is one.
The advice is a draft like any other and passes the citation gate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from copilot.drafting.citations import cite, gate
from copilot.drafting.registry import Evidence, provenance, sentences
from copilot.drafting.terms import WORDING_RULES, non_binding_wording, vague_wording
from copilot.errors import UserError
from copilot.review.store import ReviewStore
from copilot.schemas import Citation, Finding, FindingRef, PolicyAdvice
from copilot.services import Services
from ingest.index import ClauseRecord

VERSION = "policy-advice-1"
SIGNED = ("approved", "approved_with_edits")


@dataclass(frozen=True)
class SignedFinding:
    """A signed-off finding with where it sits in the review store."""

    draft_id: int
    division: str
    number: int
    finding: Finding


def signed_findings(store: ReviewStore) -> list[SignedFinding]:
    """Every signed-off finding (latest version), by division and number."""
    out = []
    for d in store.list_drafts(kind="finding"):
        if d.status not in SIGNED:
            continue
        division, _, number = d.key.rpartition("/")
        out.append(
            SignedFinding(
                d.id,
                division,
                int(number) if number.isdigit() else 0,
                Finding.model_validate(d.payload),
            )
        )
    return out


def _clause_of(services: Services, c: Citation) -> ClauseRecord | None:
    """The stored clause a citation names; by document and path when it was re-ingested."""
    found = services.index.clauses([c.clause_id]).get(c.clause_id)
    if found is not None:
        return found
    return next(
        (r for r in services.index.document_clauses(c.document) if r.path == c.clause_path), None
    )


def _wording(says: str, titles: list[str]) -> str:
    """The clause made concrete: who, by when, and the record that shows it."""
    body = says.split("　", 1)[-1] if says[:4].count("　") else says
    for hedge in vague_wording(body) + non_binding_wording(body):
        body = body.replace(hedge, "")
    subject = "、".join(dict.fromkeys(titles))
    return (
        f"{body.rstrip('。')}。この場合において、情報セキュリティ管理者は、{subject}について、"
        "担当者、実施の時期及び記録の方法を定め、毎年度その実施状況を確認し、"
        "その結果を記録しなければならない。"
    )


def draft_advice(services: Services, store: ReviewStore, policy: str = "") -> list[PolicyAdvice]:
    """One draft of revision advice per policy clause that signed-off findings rest on.

    Args:
        services: the open services (index and search).
        store: the review store holding the findings.
        policy: limit to this policy document (all policy documents when empty).

    Returns:
        The advice, in the order of the clauses in their documents.

    Raises:
        UserError: the policy is not ingested, there is no signed-off finding, or none of them
            cites a policy clause.

    """
    if policy and services.index.document(policy) is None:
        raise UserError(
            f"ポリシーの文書 {policy} は取り込まれていません。`copilot status` で確認して"
            "ください。",
            f"the policy document {policy} is not ingested; check `copilot status`.",
        )
    findings = signed_findings(store)
    if not findings:
        raise UserError(
            "承認済みの発見事項がありません。発見事項を下書きし（`copilot findings draft`）、"
            "主任担当者が承認してから実行してください。",
            "there is no signed-off finding; draft findings (`copilot findings draft`) and have "
            "a lead approve them first.",
        )
    by_clause: dict[str, tuple[ClauseRecord, list[SignedFinding]]] = {}
    for sf in findings:
        for c in sf.finding.criteria:
            clause = _clause_of(services, c)
            if clause is None or clause.kind != "policy" or (policy and clause.doc_id != policy):
                continue
            entry = by_clause.setdefault(f"{clause.doc_id}\0{clause.path}", (clause, []))
            if sf not in entry[1]:
                entry[1].append(sf)
    if not by_clause:
        raise UserError(
            "承認済みの発見事項がポリシーの条項を引用していません"
            f"{'（' + policy + '）' if policy else ''}。",
            f"no signed-off finding cites a policy clause{' of ' + policy if policy else ''}.",
        )
    rules = hashlib.sha256(f"{VERSION}|{WORDING_RULES}".encode()).hexdigest()[:16]
    out = []
    for clause, sfs in sorted(by_clause.values(), key=lambda e: (e[0].doc_id, e[0].ordinal)):
        says = next(iter(sentences(clause.text)), clause.text)
        hits = services.search(clause.text, 1, "guideline")
        support = services.index.clauses([h.clause_id for h in hits])
        basis = [support[h.clause_id] for h in hits if h.clause_id in support]
        evidence = Evidence(documents=[clause], basis=basis)
        refs = [
            FindingRef(
                division=sf.division,
                number=sf.number,
                draft_id=sf.draft_id,
                title=sf.finding.title,
                rating=sf.finding.rating,
                finding=sf.finding.finding,
            )
            for sf in sfs
        ]
        happened = "\n".join(
            f"{r.division} No.{r.number}「{r.title}」（{r.rating}）: {r.finding}" for r in refs
        )
        hedged = vague_wording(says) + non_binding_wording(says)
        advice = (
            f"{clause.title} {clause.path}は、監査で{len(refs)}件の発見事項の判断基準となった。"
            + (
                f"「{hedged[0]}」のように運用を担当者の判断に委ねる表現を改め、"
                if hedged
                else "定めの趣旨が運用で守られていないため、"
            )
            + "実施する者、時期及び記録を明記するよう改定を検討されたい。"
        )
        guideline = [
            cite(b, next(iter(sentences(b.text)), b.text)) for b in basis if sentences(b.text)
        ]
        draft = PolicyAdvice(
            policy=clause.doc_id,
            clause=cite(clause, says),
            clause_says=says,
            what_happened=happened,
            findings=refs,
            advice=advice,
            proposed_wording=_wording(says, [r.title for r in refs]),
            guideline_citations=guideline,
            provenance=provenance(
                "evidence", "rules", "policy_advice", VERSION, rules, evidence, services.settings
            ),
        )
        cites, errors = gate([draft.clause], evidence.allowed)
        more, _ = gate(draft.guideline_citations, evidence.allowed)
        if errors or not cites:
            raise RuntimeError(f"advice quote failed the gate: {errors}")  # a programming error
        out.append(draft.model_copy(update={"clause": cites[0], "guideline_citations": more}))
    return out
