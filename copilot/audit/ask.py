"""Answer a question from the policy and guidelines, every statement with a verified quote.

A question is asked with a focus: the whole policy (全体), one contract (its documents and the
policy), or one division (its self-check sheet, its hearing replies and the policy). A question
that names a contract or a division moves the focus there; a follow-up that names none keeps it
(``focus_of``). Only clauses that hold a relevant sentence (``copilot.drafting.answers``) go to the
drafter; when there is none, the answer says so and no drafter, LLM or not, is asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from copilot.drafting.answers import NOT_FOUND, VERSION, relevant_sentences
from copilot.drafting.citations import answer_errors
from copilot.drafting.registry import Drafter, Evidence, provenance
from copilot.drafting.terms import TermWeights
from copilot.errors import UserError
from copilot.retrieval import search
from copilot.schemas import Answer
from copilot.services import Services
from ingest.index import ClauseIndex, ClauseRecord

BASIS_KINDS = ["policy", "guideline"]
DOCUMENTS_TOP_K = 6  # of a focused contract's or division's documents


@dataclass(frozen=True)
class Focus:
    """What a question is about: ``contract`` or ``division`` (one at most), or all when empty."""

    contract: str = ""
    division: str = ""

    @property
    def label(self) -> str:
        """The focus as the auditor reads it: 全体, 契約 C-2026-001 or 市民課."""
        if self.contract:
            return f"契約 {self.contract}"
        return self.division or "全体"


def divisions(index: ClauseIndex) -> dict[str, list[str]]:
    """The divisions with documents in the index (self-check sheets, hearing replies), by name.

    A self-check sheet's division is the one its 所属 cell names (else its file name's last part),
    as the self-check triage reads it; a reply's is its ``hearings/<division>/`` folder.
    """
    from copilot.audit.selfcheck import read_selfcheck

    found: dict[str, list[str]] = {}
    for d in index.documents():
        name = ""
        if d.kind == "correspondence":
            name = json.loads(d.meta or "{}").get("division", "")
        elif d.kind == "self_check":
            name = d.title.split("_")[-1]
            if Path(d.source).is_file():
                try:
                    name = read_selfcheck(Path(d.source)).division or name
                except UserError:
                    pass  # a sheet the triage cannot read either: known by its file name
        if name:
            found.setdefault(name, []).append(d.doc_id)
    return found


def focus_of(question: str, previous: Focus, contracts: list[str], named: list[str]) -> Focus:
    """The focus of a question: a contract or division it names, else the previous one.

    The longest name wins, so 「C-2026-0011」 is not read as 「C-2026-001」; a division is named
    in full or without its bureau (市民課 for 市民局市民課).
    """
    for name in sorted(contracts, key=len, reverse=True):
        if name and name in question:
            return Focus(contract=name)
    for name in sorted(named, key=len, reverse=True):
        short = name.rsplit("局", 1)[-1]  # 市民局市民課 is 市民課 to its auditors
        if name and (name in question or (len(short) >= 2 and short in question)):
            return Focus(division=name)
    return previous


def _scope(
    services: Services, question: str, focus: Focus, top_k: int, body: str
) -> tuple[list[ClauseRecord], list[ClauseRecord]]:
    """The focused documents' clauses and the policy's, retrieved for the question."""
    documents = []
    if focus.contract:
        documents = services.search(question, DOCUMENTS_TOP_K, "contract", focus.contract, body)
    elif focus.division:
        doc_ids = divisions(services.index).get(focus.division)
        if not doc_ids:
            raise UserError(
                f"{focus.division} の自己点検シート又はヒアリングの回答は取り込まれていません。"
                "対象を選び直してください。",
                f"no self-check sheet or hearing reply of {focus.division} is ingested; choose "
                "another focus.",
            )
        documents = search(
            services.index,
            question,
            DOCUMENTS_TOP_K,
            {"doc_id": doc_ids},
            services.fusion,
            services.thesaurus,
        )
    basis = services.search(question, top_k, BASIS_KINDS, body=body)
    hits = [*documents, *basis]
    found = services.index.clauses([h.clause_id for h in hits])
    clauses = [found[h.clause_id] for h in hits if h.clause_id in found]
    cut = len([h for h in documents if h.clause_id in found])
    return clauses[:cut], clauses[cut:]


def _unnamed(question: str, focus: Focus) -> str:
    """The question less the name of its focus.

    No clause holds 「C-2026-001」: as a term of the question, its rarity would outweigh what
    the question asks about.
    """
    names = [focus.contract] if focus.contract else []
    if focus.division:
        names += [focus.division, focus.division.rsplit("局", 1)[-1]]
    for name in names:
        if name:
            question = question.replace(name, " ")
    return question.strip() or question


def index_weights(index: ClauseIndex) -> TermWeights:
    """Term rarity over every stored clause."""
    return TermWeights.over(r[0] for r in index.db.execute("SELECT text FROM clauses"))


def ask(
    services: Services,
    question: str,
    drafter: Drafter,
    top_k: int = 8,
    body: str = "",
    focus: Focus | None = None,
) -> Answer:
    """Retrieve the focus's clauses, draft an answer from the relevant ones, and gate it.

    The basis is the audited body's documents unless ``body`` names another (see ``filters``).

    Raises:
        IndexMissingError: nothing ingested yet.
        UserError: the focus names a contract or division with no documents.

    """
    focus = focus or Focus()
    asked = _unnamed(question, focus)
    documents, basis = _scope(services, asked, focus, top_k, body)
    found = Evidence(documents=documents, basis=basis)
    relevant = relevant_sentences(
        asked,
        [*found.documents, *found.basis],
        index_weights(services.index),
        services.thesaurus,
    )
    if not relevant:
        prov = provenance(drafter.name, drafter.model, "ask", VERSION, "", found, services.settings)
        return Answer(question=question, text=NOT_FOUND, provenance=prov)
    keep = {x.clause.clause_id for x in relevant}
    evidence = Evidence(
        documents=[c for c in found.documents if c.clause_id in keep],
        basis=[c for c in found.basis if c.clause_id in keep],
    )
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None:
        prepare(services.index)
    draft = drafter.answer(asked, evidence).model_copy(update={"question": question})
    checked, errors = answer_errors(draft, evidence.allowed)
    if errors:
        return checked.model_copy(
            update={
                "text": "根拠を検証できる回答を作成できませんでした（要確認）: "
                + " / ".join(errors),
                "citations": [],
            }
        )
    return checked
