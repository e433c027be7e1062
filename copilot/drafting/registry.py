"""What every drafter shares: the evidence it is given, its interface and the registry.

Drafters are registered by name with ``register`` (``evidence`` is built in and needs no LLM;
``llm`` talks to a local OpenAI-compatible server); ``copilot.drafting.drafters`` imports the
built-in ones, so this module imports none of them. A drafter sees only the clauses in its
``Evidence``; the citation gate then checks every quote against those clauses.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from copilot.schemas import Answer, ChecklistItem, ChecklistJudgement, Finding, Provenance
from copilot.settings import Settings
from ingest.index import ClauseRecord
from ingest.readers import CELL


@dataclass(frozen=True)
class Evidence:
    """Clauses retrieved for one task: the documents under review and the rules they answer to."""

    documents: list[ClauseRecord]
    basis: list[ClauseRecord]
    query_vector_hint: str = ""
    # every clause of the contract's documents, for drafters that read them all (profiles)
    scan: list[ClauseRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A clause set aside when read (quoted earlier mail, a form's boxes) is never evidence.
        object.__setattr__(self, "documents", [c for c in self.documents if not c.aside])
        object.__setattr__(self, "basis", [c for c in self.basis if not c.aside])
        object.__setattr__(self, "scan", [c for c in self.scan if not c.aside])

    @property
    def allowed(self) -> dict[str, ClauseRecord]:
        """Every clause a citation may point at, by id."""
        return {c.clause_id: c for c in [*self.documents, *self.basis, *self.scan]}

    @property
    def retrieved(self) -> list[str]:
        """The ids of the clauses retrieved for the task (what a draft's provenance names)."""
        return list(dict.fromkeys(c.clause_id for c in [*self.documents, *self.basis]))


@dataclass(frozen=True)
class FindingInput:
    """What a finding is drafted from: a problem found for a division, with its evidence."""

    division: str
    subject: str
    problem: str
    severity_hint: str  # "指摘" or "意見", the rule-based rating a drafter may confirm
    evidence: Evidence
    evidence_quotes: list[tuple[str, str]] = field(default_factory=list)  # (clause_id, quote)


class Drafter(Protocol):
    """A way of drafting: deterministic rules or a local LLM."""

    name: str
    model: str

    def judge(self, item: ChecklistItem, contract: str, evidence: Evidence) -> ChecklistJudgement:
        """A verdict on one checklist item against one contract's clauses."""
        ...

    def answer(self, question: str, evidence: Evidence) -> Answer:
        """An answer from policy and guideline clauses."""
        ...

    def finding(self, given: FindingInput) -> Finding:
        """A finding (発見事項 / 評価 / リスク / 改善提言) for one division."""
        ...


DrafterFactory = Callable[[Settings], Drafter]
DRAFTERS: dict[str, DrafterFactory] = {}


def register(name: str) -> Callable[[DrafterFactory], DrafterFactory]:
    """Register a drafter factory under a name."""

    def add(factory: DrafterFactory) -> DrafterFactory:
        DRAFTERS[name] = factory
        return factory

    return add


def settings_digest(settings: Settings) -> str:
    """A short hash of the settings that shape a draft."""
    data = settings.model_dump(mode="json", exclude={"data_dir"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def provenance(
    drafter: str,
    model: str,
    prompt: str,
    version: str,
    prompt_hash: str,
    evidence: Evidence,
    settings: Settings,
    attempts: int = 1,
) -> Provenance:
    """Provenance of a draft made now."""
    return Provenance(
        drafter=drafter,
        model=model,
        prompt=prompt,
        prompt_version=version,
        prompt_hash=prompt_hash,
        evidence_ids=evidence.retrieved,
        settings_digest=settings_digest(settings),
        created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        attempts=attempts,
    )


_OPEN, _CLOSE = "「『（(【〔", "」』）)】〕"


def sentences(text: str) -> list[str]:
    """The sentences of a clause, each an exact substring of it (markers and captions kept).

    Only a 。 outside brackets, or the end of a table cell, ends a sentence:
    「…（以下「乙」という。）は…」 is one sentence, and a PDF that wraps lines in mid-sentence
    must not have its quotes cut at a line end.
    """
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif ch == "。" and depth == 0:
            out.append(text[start : i + 1].strip())
            start = i + 1
        elif ch == CELL:  # a table's cells are quoted one by one, never run together
            out.append(text[start:i].strip())
            start, depth = i + 1, 0
    out.append(text[start:].strip())
    return [s for s in out if len(s) >= 4]
