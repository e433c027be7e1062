"""Domain objects (pydantic v2), all in one place."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Hit(BaseModel):
    """One retrieved clause, with everything needed to cite it."""

    model_config = ConfigDict(frozen=True)

    rank: int
    score: float
    clause_id: str
    document: str
    document_title: str
    kind: str
    contract: str
    clause_path: str
    page: int | None
    text: str
    char_start: int
    char_end: int


class SearchResult(BaseModel):
    """A query and its hits."""

    query: str
    hits: list[Hit]


class DocumentStatus(BaseModel):
    """A row of `copilot status`."""

    document: str
    title: str
    kind: str
    contract: str
    clauses: int
    ingested_at: str
    source: str


class IndexStatus(BaseModel):
    """What the index holds and which embedder built it."""

    data_dir: str
    documents: list[DocumentStatus]
    clauses: int
    embedder: dict[str, object] | None
