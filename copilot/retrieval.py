"""Hybrid retrieval: dense (Chroma) and BM25 (character n-grams) fused by weighted RRF.

Long clauses are stored as sentence-bounded pieces; only the best piece of a clause is returned,
so the top k hold k different clauses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from copilot.drafting.thesaurus import Thesaurus
from copilot.errors import IndexMissingError, UserError
from copilot.schemas import Hit
from ingest.index import ClauseIndex, Where
from ingest.normalise import squash
from ingest.pipeline import KINDS


@dataclass(frozen=True)
class Fusion:
    """Weighted reciprocal-rank fusion parameters."""

    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    k: int = 30
    candidates: int = 50


def filters(kind: str | list[str] | None = None, contract: str | None = None) -> Where:
    """The metadata filter for a search; ``kind`` may name one kind or several.

    Raises:
        UserError: unknown kind.

    """
    where: Where = {}
    if kind:
        for k in [kind] if isinstance(kind, str) else kind:
            if k not in KINDS:
                raise UserError(
                    f"文書種別 {k} は使えません（{', '.join(KINDS)} のいずれか）。",
                    f"unknown document kind {k}; use one of {', '.join(KINDS)}.",
                )
        where["kind"] = kind
    if contract:
        where["contract"] = contract
    return where


def fuse(ranked: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Weighted RRF: each list adds weight / (k + rank) to the ids it holds."""
    scores: dict[str, float] = {}
    for ids, weight in ranked:
        if weight <= 0:
            continue
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def search(
    index: ClauseIndex,
    query: str,
    top_k: int = 5,
    where: Where | None = None,
    fusion: Fusion | None = None,
    thesaurus: Thesaurus | None = None,
) -> list[Hit]:
    """The top clauses for a query.

    Raises:
        IndexMissingError: nothing has been ingested.
        UserError: the contract id given in the filter is not in the index.

    """
    fusion = fusion or Fusion()
    where = where or {}
    if not index.count_clauses():
        raise IndexMissingError()
    if "contract" in where and not any(d.contract == where["contract"] for d in index.documents()):
        known = sorted({d.contract for d in index.documents() if d.contract})
        raise UserError(
            f"契約 {where['contract']} の文書は取り込まれていません（取り込み済み: "
            f"{', '.join(known) or 'なし'}）。`copilot status` で確認してください。",
            f"no documents of contract {where['contract']} are ingested (known: "
            f"{', '.join(known) or 'none'}); check `copilot status`.",
        )
    sparse_query = thesaurus.expand(query) if thesaurus else query
    dense = [cid for cid, _ in index.dense(query, fusion.candidates, where)]
    sparse = [cid for cid, _ in index.sparse(sparse_query, fusion.candidates, where)]
    scores = fuse([(dense, fusion.dense_weight), (sparse, fusion.sparse_weight)], fusion.k)
    ordered = sorted(scores, key=lambda c: (-scores[c], c))
    records = index.clauses(ordered)
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    seen_text: set[str] = set()
    for cid in ordered:
        rec = records.get(cid)
        if rec is None:  # a vector whose document was replaced a moment ago
            continue
        if (rec.doc_id, rec.path) in seen:  # another piece of a clause already returned
            continue
        words = squash(rec.text)
        if words in seen_text:  # the same words in another file (a .docx and its .pdf)
            continue
        seen.add((rec.doc_id, rec.path))
        seen_text.add(words)
        hits.append(
            Hit(
                rank=len(hits) + 1,
                score=round(scores[cid], 6),
                clause_id=cid,
                document=rec.doc_id,
                document_title=rec.title,
                kind=rec.kind,
                contract=rec.contract,
                clause_path=rec.path,
                page=rec.page,
                text=rec.text,
                char_start=rec.char_start,
                char_end=rec.char_end,
            )
        )
        if len(hits) == top_k:
            break
    return hits


def llama_retriever(search_fn: Callable[[str], list[Hit]]) -> Any:
    """Our search as a llama-index retriever (NodeWithScore over TextNodes), for drafters.

    Each node's id is the clause id and its metadata carries the citation fields.
    """
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    class ClauseRetriever(BaseRetriever):
        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            return [
                NodeWithScore(
                    node=TextNode(
                        id_=h.clause_id,
                        text=h.text,
                        metadata=h.model_dump(exclude={"text", "rank", "score"}),
                    ),
                    score=h.score,
                )
                for h in search_fn(query_bundle.query_str)
            ]

    return ClauseRetriever()
