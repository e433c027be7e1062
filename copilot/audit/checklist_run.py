"""Run a checklist against one contract's documents: evidence, draft, gate, for every item."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from copilot.drafting.citations import judgement_errors
from copilot.drafting.facets import facets
from copilot.drafting.registry import Drafter, Evidence
from copilot.schemas import ANSWER_OF, Checklist, ChecklistItem, ChecklistJudgement, Hit
from copilot.services import Services
from ingest.index import ClauseRecord

BASIS_KINDS = ["policy", "guideline"]


class ChecklistRun(BaseModel):
    """All judgements of one checklist against one contract."""

    contract: str
    checklist: str
    judgements: list[ChecklistJudgement]


def _records(services: Services, hits: list[Hit]) -> list[ClauseRecord]:
    found = services.index.clauses([h.clause_id for h in hits])
    return [found[h.clause_id] for h in hits if h.clause_id in found]


def _union(*lists: list[ClauseRecord]) -> list[ClauseRecord]:
    seen: set[str] = set()
    out = []
    for rec in [r for lst in lists for r in lst]:
        if rec.clause_id not in seen:
            seen.add(rec.clause_id)
            out.append(rec)
    return out


def gather_evidence(services: Services, item: ChecklistItem, contract: str) -> Evidence:
    """The contract's clauses closest to the item, and the policy clauses it rests on.

    The item's sample wording (記載例) is searched too: it is phrased the way contracts are; and
    so is each element of an item that asks for several (``copilot.drafting.facets``). Every
    clause of the contract goes along as ``scan``, for a drafter that reads them all.

    Raises:
        UserError: the contract has no ingested documents.

    """
    docs = _records(services, services.search(item.text, 8, "contract", contract))
    if item.example:
        docs = _union(
            docs, _records(services, services.search(item.example, 4, "contract", contract))
        )
    parts = facets(item.text)
    if len(parts) > 1:  # each element is looked for on its own, across all the documents
        docs = _union(
            docs,
            *(
                _records(
                    services, services.search(" ".join(f.alternatives), 3, "contract", contract)
                )
                for f in parts
            ),
        )
    basis = _records(services, services.search(item.text, 2, BASIS_KINDS))
    return Evidence(documents=docs, basis=basis, scan=contract_clauses(services, contract))


def contract_clauses(services: Services, contract: str) -> list[ClauseRecord]:
    """Every clause of the contract's documents, document by document in reading order."""
    docs = [
        d for d in services.index.documents() if d.contract == contract and d.kind == "contract"
    ]
    return [c for d in docs for c in services.index.document_clauses(d.doc_id)]


def needs_review(j: ChecklistJudgement, errors: list[str]) -> ChecklistJudgement:
    """A judgement that failed the citation gate, turned into 要確認 with the reasons."""
    return j.model_copy(
        update={
            "verdict": "要確認",
            "answer": ANSWER_OF["要確認"],
            "rationale": "根拠の検証に失敗したため、担当者の確認が必要です: " + " / ".join(errors),
            "evidence": [],
            # read first: whatever the drafter believed, its quotes did not check out
            "confidence": 0.0,
            "confidence_reason": "引用が原文と照合できなかったため、確信度は 0 とした。",
        }
    )


def judge_item(
    services: Services, drafter: Drafter, item: ChecklistItem, contract: str
) -> ChecklistJudgement:
    """One item: gather evidence, draft, and pass the draft through the citation gate."""
    evidence = gather_evidence(services, item, contract)
    draft = drafter.judge(item, contract, evidence)
    checked, errors = judgement_errors(draft, evidence.allowed)
    return needs_review(checked, errors) if errors else checked


def run_checklist(
    services: Services,
    checklist: Checklist,
    contract: str,
    drafter: Drafter,
    notify: Callable[[int, int, str], None] | None = None,
) -> ChecklistRun:
    """Judge every item of the checklist against the contract, reporting progress per item."""
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None:  # drafters that read the index (term rarity, embeddings)
        prepare(services.index)
    judgements = []
    total = len(checklist.items)
    for n, item in enumerate(checklist.items, start=1):
        if notify:
            notify(n, total, item.id)
        judgements.append(judge_item(services, drafter, item, contract))
    return ChecklistRun(contract=contract, checklist=checklist.title, judgements=judgements)
