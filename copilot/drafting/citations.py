"""The citation gate: the product's core promise.

A citation is accepted only when its clause is one of the clauses the drafter was given and its
quote occurs in that clause's stored text (after NFKC and whitespace normalisation). The
document, clause path and page are always taken from the store, never from the drafter, so a
citation shown to the auditor cannot point at the wrong place. A clause set aside when it was
read (earlier mail quoted in a reply, a form's boxes to tick) is never accepted, and every
citation carries the store's note on how its words were read (OCR, an e-mail's sender and date).
"""

from __future__ import annotations

from collections.abc import Mapping

from copilot.schemas import ANSWER_OF, Answer, ChecklistJudgement, Citation, Finding
from ingest.index import ClauseRecord
from ingest.normalise import squash
from ingest.readers import QUOTED

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


OCR_NOTE = "OCR による読み取り。原本で確認してください"
_MAIL_FIELDS = (("from", "差出人"), ("to", "宛先"), ("date", "日時"), ("subject", "件名"))


def source_note(clause: ClauseRecord) -> str:
    """What an auditor must know of where a clause's words come from, shown with its citation.

    An OCR'd clause must be checked against the original; a mail's words are the sender's on a
    date; an attachment is known by the mail it came with.
    """
    notes = [OCR_NOTE] if clause.ocr else []
    headers = clause.headers
    mail = "・".join(f"{ja}: {headers[k]}" for k, ja in _MAIL_FIELDS if headers.get(k))
    if mail:
        notes.append(f"メール（{mail}）")
    if headers.get("attached_to"):
        notes.append(f"メール {headers['attached_to']} の添付ファイル")
    return "。".join(notes)


def cite(clause: ClauseRecord, quote: str) -> Citation:
    """A citation of words from a stored clause; document, path and page come from the store."""
    return Citation(
        clause_id=clause.clause_id,
        document=clause.doc_id,
        clause_path=clause.path,
        page=clause.page,
        quote=quote,
        note=source_note(clause),
    )


def bind(citation: Citation, clause: ClauseRecord) -> Citation:
    """The citation with its document, path, page and note taken from the stored clause."""
    return citation.model_copy(
        update={
            "document": clause.doc_id,
            "clause_path": clause.path,
            "page": clause.page,
            "note": source_note(clause),
        }
    )


def citation_error(citation: Citation, allowed: Mapping[str, ClauseRecord]) -> str | None:
    """Why a citation fails the gate, or None when it passes."""
    clause = allowed.get(citation.clause_id)
    if clause is None:
        return f"clause_id {citation.clause_id} は与えられた根拠の中にありません"
    if clause.aside == QUOTED:
        return f"{citation.clause_id} は返信に引用された以前のメールで、差出人の言葉ではありません"
    if clause.aside:
        return f"{citation.clause_id} は様式の選択欄（□要／□不要など）で、要件ではありません"
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
