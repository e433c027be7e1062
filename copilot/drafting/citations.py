"""The citation gate: the product's core promise.

A citation is accepted only when its clause is one of the clauses the drafter was given and its
quote occurs in that clause's stored text (after NFKC and whitespace normalisation). The
document, clause path and page are always taken from the store, never from the drafter, so a
citation shown to the auditor cannot point at the wrong place.
"""

from __future__ import annotations

from collections.abc import Mapping

from copilot.schemas import ANSWER_OF, Answer, ChecklistJudgement, Citation, Finding
from ingest.index import ClauseRecord
from ingest.normalise import squash

# Words a contract never needs but a text that tries to steer a model uses.
_INSTRUCTION_MARKERS = (
    "反映あり",
    "一部反映",
    "反映なし",
    "要確認",
    "判定せよ",
    "判定すること",
    "指示を無視",
    "これまでの指示",
    "以前の指示",
    "システムプロンプト",
    "言語モデル",
    "ignore previous",
    "ignore all previous",
    "system prompt",
)


def looks_like_instruction(text: str) -> bool:
    """Whether a passage addresses the drafter rather than the parties of a contract."""
    low = text.lower()
    return any(m.lower() in low for m in _INSTRUCTION_MARKERS)


def cite(clause: ClauseRecord, quote: str) -> Citation:
    """A citation of words from a stored clause; document, path and page come from the store."""
    return Citation(
        clause_id=clause.clause_id,
        document=clause.doc_id,
        clause_path=clause.path,
        page=clause.page,
        quote=quote,
    )


def bind(citation: Citation, clause: ClauseRecord) -> Citation:
    """The citation with its document, path and page taken from the stored clause."""
    return citation.model_copy(
        update={"document": clause.doc_id, "clause_path": clause.path, "page": clause.page}
    )


def citation_error(citation: Citation, allowed: Mapping[str, ClauseRecord]) -> str | None:
    """Why a citation fails the gate, or None when it passes."""
    clause = allowed.get(citation.clause_id)
    if clause is None:
        return f"clause_id {citation.clause_id} は与えられた根拠の中にありません"
    if looks_like_instruction(citation.quote):
        return f"{citation.clause_id} の引用は文書中の指示文であり、根拠になりません"
    quote = squash(citation.quote)
    if len(quote) < 4:
        return f"{citation.clause_id} の引用が短すぎます（4文字以上）"
    if quote not in squash(clause.text):
        return f"{citation.clause_id} の引用「{citation.quote[:40]}」は条項の本文にありません"
    return None


def gate(
    citations: list[Citation], allowed: Mapping[str, ClauseRecord]
) -> tuple[list[Citation], list[str]]:
    """Bound citations that pass, and the errors of those that do not."""
    good: list[Citation] = []
    errors: list[str] = []
    for c in citations:
        problem = citation_error(c, allowed)
        if problem:
            errors.append(problem)
        else:
            good.append(bind(c, allowed[c.clause_id]))
    return good, errors


def judgement_errors(
    j: ChecklistJudgement, allowed: Mapping[str, ClauseRecord]
) -> tuple[ChecklistJudgement, list[str]]:
    """The judgement with bound citations, and every reason it fails the gate."""
    evidence, errors = gate(j.evidence, allowed)
    basis, basis_errors = gate(j.basis, allowed)
    errors += basis_errors
    wrong_contract = [
        c.clause_id
        for c in evidence
        if allowed[c.clause_id].kind != "contract" or allowed[c.clause_id].contract != j.contract
    ]
    if wrong_contract:
        errors.append(
            f"契約 {j.contract} の文書ではない条項を契約側の根拠にしています: {wrong_contract}"
        )
    if j.verdict in ("反映あり", "一部反映") and not evidence:
        errors.append(f"{j.verdict} には契約書類からの検証済みの引用が1件以上必要です")
    expected = ANSWER_OF[j.verdict]
    if j.answer != expected:
        errors.append(f"判定 {j.verdict} の回答は {expected} です（{j.answer} ではありません）")
    return j.model_copy(update={"evidence": evidence, "basis": basis}), errors


def answer_errors(a: Answer, allowed: Mapping[str, ClauseRecord]) -> tuple[Answer, list[str]]:
    """The answer with bound citations, and every reason it fails the gate."""
    cites, errors = gate(a.citations, allowed)
    if not cites:
        errors.append("回答には検証済みの引用が1件以上必要です")
    return a.model_copy(update={"citations": cites}), errors


def finding_errors(f: Finding, allowed: Mapping[str, ClauseRecord]) -> tuple[Finding, list[str]]:
    """The finding with bound citations, and every reason it fails the gate."""
    criteria, errors = gate(f.criteria, allowed)
    evidence, more = gate(f.evidence, allowed)
    errors += more
    if not criteria:
        errors.append("発見事項には判断基準（規程）の検証済みの引用が1件以上必要です")
    return f.model_copy(update={"criteria": criteria, "evidence": evidence}), errors
