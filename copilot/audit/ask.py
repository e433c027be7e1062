"""Answer a question from the policy and guidelines, every statement with a verified quote."""

from __future__ import annotations

from copilot.drafting.citations import answer_errors
from copilot.drafting.registry import Drafter, Evidence
from copilot.schemas import Answer
from copilot.services import Services

BASIS_KINDS = ["policy", "guideline"]


def ask(
    services: Services, question: str, drafter: Drafter, top_k: int = 6, body: str = ""
) -> Answer:
    """Retrieve policy and guideline clauses, draft an answer, and pass it through the gate.

    The basis is the audited body's documents unless ``body`` names another (see ``filters``).

    Raises:
        IndexMissingError: nothing ingested yet.

    """
    hits = services.search(question, top_k, BASIS_KINDS, body=body)
    found = services.index.clauses([h.clause_id for h in hits])
    evidence = Evidence(
        documents=[], basis=[found[h.clause_id] for h in hits if h.clause_id in found]
    )
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None:
        prepare(services.index)
    draft = drafter.answer(question, evidence)
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
