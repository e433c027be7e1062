"""Hybrid retrieval: dense (Chroma) and BM25 (character n-grams) at two grain sizes, fused by RRF.

Clauses (sentence-bounded pieces of numbered items) and items (an item's text with its headings,
the items under it and its explanation: ``ingest.units``) are each ranked by dense and by BM25
similarity. A fifth ranking, by BM25 over passages along each document's text (overlapping
windows of 500 characters, ``ClauseIndex.WINDOWS``), does not depend on the structure being read
right: a passage stands for the clauses it overlaps, the most overlapped first, and so credits
their items and, within an item, the clause that holds the words asked for (a sentence deep in
an item read too large). A query in everyday words is embedded a second time followed by the
formal terms of its thesaurus groups (予備 → バックアップ), and that query's dense ranks of
clauses and items join the item fusion at half the weight of the query's own. All are fused
per item by weighted reciprocal-rank fusion, and each item found returns its best clause of its
own words: an explanation (【解説】) helps find its item but is never a hit, and the top k hold
k different items. A clause longer than a passage (clauses kept long, or a structure read
wrongly) is shown by its sentences that hold the words asked for, marked as an excerpt.
The first 20 hits are then reordered a little by the dense similarity of
their items' stored vectors (``rerank_by_meaning``): fusion counts only ranks, and without this
rules that share a question's everyday words outvote the one nearest to it in meaning.

An item's best clause is the one the clause rankings (the passages' too) fuse highest, except that
a table row whose first cell (its label, two characters or more) the query names comes first,
the longest label named first: asked 「機密性2の定義」, a table of 機密性1–3 returns
its 機密性2 row, not the 機密性1 row that says 「機密性2又は機密性3以外」 and fuses a
little higher, nor a header row 「機密性」. Giving each table row its own fusion key instead
was measured and dropped: the public corpus's PDF text has a tab after most labels, so a tab
does not mark a table there (real-text recall@5 0.69 → 0.57), and rows scored without their
item's rankings cost the golden checklist accuracy (0.72 → 0.68).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from copilot.drafting.thesaurus import Thesaurus
from copilot.errors import IndexMissingError, UserError
from copilot.schemas import Hit
from ingest.index import ClauseIndex, ClauseRecord, Where, window_starts
from ingest.normalise import squash, tokens
from ingest.pipeline import KINDS
from ingest.readers import CELL, COMMENTARY

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Fusion:
    """Weighted reciprocal-rank fusion parameters."""

    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    k: int = 30
    candidates: int = 50
    item_dense_weight: float = 0.5
    item_sparse_weight: float = 0.5
    window_weight: float = 0.5  # BM25 ranks of passages along the text (0: off)
    # dense ranks of the query followed by the formal terms of its thesaurus groups, as a share
    # of the query's own dense weights (clauses and items); only when there are such terms (0: off)
    expanded_dense_weight: float = 0.5
    # the first ``rerank_depth`` hits are reordered by the dense similarity of their items: each
    # gains rerank_weight x (its item's similarity, standardised over them) x the top score (0: off)
    rerank_depth: int = 20
    rerank_weight: float = 0.1


# the characters of a hit's clause that its item's text must hold for the item's vector to stand
# for it in ``rerank_by_meaning``
_COVER = 20
# fewer hits than this are left in fusion's order: standardised over a handful of similarities,
# a difference of a few thousandths would count as much as a wide margin does among twenty
_RERANK_MIN = 10

ALL_BODIES = "*"  # a search over every body's documents, the audited one's and the others'


def filters(
    kind: str | list[str] | None = None, contract: str | None = None, body: str = ""
) -> Where:
    """The metadata filter for a search; ``kind`` may name one kind or several.

    ``body`` holds the search to one body's documents: "" (the default) is the audited body,
    another name a body named at ingest (``_団体.txt``), ``ALL_BODIES`` every body.

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
    if body != ALL_BODIES:
        where["body"] = body
    return where


def fuse(ranked: Sequence[tuple[Sequence[K], float]], k: int) -> dict[K, float]:
    """Weighted RRF: each list adds weight / (k + rank) to the ids it holds."""
    scores: dict[K, float] = {}
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
    documents = index.documents()
    if "contract" in where and not any(d.contract == where["contract"] for d in documents):
        known = sorted({d.contract for d in documents if d.contract})
        raise UserError(
            f"契約 {where['contract']} の文書は取り込まれていません（取り込み済み: "
            f"{', '.join(known) or 'なし'}）。`copilot status` で確認してください。",
            f"no documents of contract {where['contract']} are ingested (known: "
            f"{', '.join(known) or 'none'}); check `copilot status`.",
        )
    bodies = {d.body for d in documents}
    if where.get("body") and where["body"] not in bodies:
        others = sorted(b for b in bodies if b)
        raise UserError(
            f"団体 {where['body']} の文書は取り込まれていません（他団体の文書: "
            f"{', '.join(others) or 'なし'}）。`copilot status` で確認してください。",
            f"no documents of the body {where['body']} are ingested (other bodies: "
            f"{', '.join(others) or 'none'}); check `copilot status`.",
        )
    if bodies <= {""}:  # one body: the filter would select everything, at the cost of a pre-filter
        where = {k: v for k, v in where.items() if k != "body"}
    found = candidates(
        index,
        query,
        where,
        fusion.candidates,
        thesaurus,
        windows=fusion.window_weight > 0,
        expanded=fusion.expanded_dense_weight > 0,
    )
    if fusion.rerank_weight <= 0 or fusion.rerank_depth < 2:
        return rank(index, found, fusion, top_k)
    hits = rank(index, found, fusion, max(top_k, fusion.rerank_depth))
    formal = thesaurus.formal_terms(query) if thesaurus and fusion.expanded_dense_weight > 0 else []
    queries = [query, " ".join([query, *formal])] if formal else [query]
    return rerank_by_meaning(index, queries, hits, fusion)[:top_k]


def rerank_by_meaning(
    index: ClauseIndex, queries: list[str], hits: list[Hit], fusion: Fusion
) -> list[Hit]:
    """The first ``fusion.rerank_depth`` hits reordered by how near their items are in meaning.

    Each of them gains ``rerank_weight`` x its item's dense similarity to the query, standardised
    over those hits (how far above or below their mean), x the first hit's score; the hits after
    them keep their scores. The similarity is that of the item's stored vector, or of the shown
    clause's where the item's text does not hold it (an item read too large), the higher of the
    two; and the highest over ``queries`` (the query as asked and, where the thesaurus gives
    formal terms, the query followed by them). Nothing is embedded but the queries.

    Fusion counts only ranks, so an item that the query's words find in all the BM25 rankings
    outvotes one much the nearest in meaning (「無料Wi-Fi」 asks for the rule on 公衆無線LAN);
    this lets the margin in meaning count among the hits that fusion ranks close together.
    """
    head = hits[: fusion.rerank_depth]
    keys = [(h.document, h.clause_path) for h in head]
    items = index.item_texts(keys)
    # an item's vector reads its text (headings, the start of its words): where that does not
    # hold the clause shown (deep in an item read too large), the clause's own vector counts
    covered = {
        h.clause_id: key in items and squash(h.text)[:_COVER] in squash(items[key][1])
        for h, key in zip(head, keys, strict=True)
    }
    item_ids = [items[key][0] for key in keys if key in items]
    clause_ids = [h.clause_id for h in head if not covered[h.clause_id]]
    sims: dict[tuple[str, str], float] = {}
    for query in queries:
        near = index.similarity(query, item_ids, index.ITEMS)
        near.update(index.similarity(query, clause_ids))
        for h, key in zip(head, keys, strict=True):
            uids = [items[key][0]] if key in items else []
            uids += [] if covered[h.clause_id] else [h.clause_id]
            for uid in uids:
                if uid in near:
                    sims[key] = max(near[uid], sims.get(key, near[uid]))
    known = [sims[(h.document, h.clause_path)] for h in head if (h.document, h.clause_path) in sims]
    if len(known) < _RERANK_MIN:  # the spread of a handful of similarities says little
        return hits
    mean = sum(known) / len(known)
    spread = (sum((x - mean) ** 2 for x in known) / len(known)) ** 0.5
    if spread <= 0:
        return hits
    gain = fusion.rerank_weight * head[0].score / spread
    scored = [
        (h.score + gain * (sims.get((h.document, h.clause_path), mean) - mean), n, h)
        for n, h in enumerate(head)
    ] + [(h.score, len(head) + n, h) for n, h in enumerate(hits[len(head) :])]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [
        h.model_copy(update={"rank": rank_no, "score": round(score, 6)})
        for rank_no, (score, _, h) in enumerate(scored, start=1)
    ]


@dataclass(frozen=True)
class Candidates:
    """The rankings of one query: clauses and items by dense and BM25 similarity, and passages."""

    clause_dense: list[str]
    clause_sparse: list[str]
    item_dense: list[str]
    item_sparse: list[str]
    records: dict[str, ClauseRecord]  # the clauses ranked
    items: dict[str, tuple[str, str]]  # (doc_id, path) of the items ranked
    query: str = ""  # as asked: a table row it names by its first cell is its item's best clause
    # passages along the text by BM25, and the clauses each overlaps (the most overlapped first)
    windows: list[str] = field(default_factory=list)
    window_clauses: dict[str, list[str]] = field(default_factory=dict)
    # dense ranks of the query followed by the formal terms of its thesaurus groups (or none)
    expanded_dense: list[str] = field(default_factory=list)
    expanded_item_dense: list[str] = field(default_factory=list)


def candidates(
    index: ClauseIndex,
    query: str,
    where: Where,
    n: int,
    thesaurus: Thesaurus | None = None,
    windows: bool = True,
    expanded: bool = True,
) -> Candidates:
    """The top ``n`` of each ranking (BM25 reads the query expanded by the thesaurus).

    With ``windows``, the passages along the text are ranked too, and each is mapped to the
    clauses it overlaps. With ``expanded``, a query whose thesaurus groups have a formal term
    it does not say is also embedded followed by those terms (「予備のデータ」 followed by
    バックアップ) and ranked by dense similarity beside the query as asked: the rule's own term
    moves its vector towards the rule, while the query's vector alone keeps what the everyday
    words meant. That second ranking counts for the items only, not for the clause each shows.
    """
    sparse_query = thesaurus.expand(query) if thesaurus else query
    clause_dense = [c for c, _ in index.dense(query, n, where)]
    clause_sparse = [c for c, _ in index.sparse(sparse_query, n, where)]
    item_dense = [i for i, _ in index.dense(query, n, where, unit=index.ITEMS)]
    formal = thesaurus.formal_terms(query) if thesaurus and expanded else []
    dense_query = " ".join([query, *formal])
    expanded_dense = [c for c, _ in index.dense(dense_query, n, where)] if formal else []
    expanded_items = (
        [i for i, _ in index.dense(dense_query, n, where, unit=index.ITEMS)] if formal else []
    )
    item_sparse = [i for i, _ in index.sparse(sparse_query, n, where, unit=index.ITEMS)]
    passages = (
        [w for w, _ in index.sparse(sparse_query, n, where, unit=index.WINDOWS)] if windows else []
    )
    overlaps = index.window_clauses(passages)
    in_windows = [c for w in passages for c in overlaps[w]]
    return Candidates(
        clause_dense,
        clause_sparse,
        item_dense,
        item_sparse,
        index.clauses(
            list(dict.fromkeys([*clause_dense, *clause_sparse, *in_windows, *expanded_dense]))
        ),
        index.items(list({*item_dense, *item_sparse, *expanded_items})),
        query,
        passages,
        overlaps,
        expanded_dense,
        expanded_items,
    )


def rank(
    index: ClauseIndex,
    found: Candidates,
    fusion: Fusion,
    top_k: int,
    excerpt_over: int | None = None,
) -> list[Hit]:
    """Fuse the rankings per item and return each item's best clause of its own words.

    A clause longer than ``excerpt_over`` characters (by default a passage's length) is shown
    by the sentences of it that answer the query (``_excerpt``), with its own id and path.
    """
    over = index.window_chars if excerpt_over is None else excerpt_over
    records = found.records
    # a passage stands for the clauses it overlaps, the most overlapped first
    in_windows = [c for w in found.windows for c in found.window_clauses.get(w, [])]
    clause_lists = [
        (found.clause_dense, fusion.dense_weight),
        (found.clause_sparse, fusion.sparse_weight),
        (list(dict.fromkeys(in_windows)), fusion.window_weight),
    ]
    # the query with the formal terms helps find the item, but which of its clauses is shown
    # is left to the query as asked: the words added were not the auditor's
    expanded = (found.expanded_dense, fusion.dense_weight * fusion.expanded_dense_weight)
    ranked = [
        ([(records[c].doc_id, records[c].path) for c in ids if c in records], weight)
        for ids, weight in [*clause_lists, expanded]
    ] + [
        ([found.items[i] for i in ids if i in found.items], weight)
        for ids, weight in (
            (found.item_dense, fusion.item_dense_weight),
            (found.item_sparse, fusion.item_sparse_weight),
            (found.expanded_item_dense, fusion.item_dense_weight * fusion.expanded_dense_weight),
        )
    ]
    scores = fuse([(list(dict.fromkeys(keys)), weight) for keys, weight in ranked], fusion.k)
    by_clause = fuse(clause_lists, fusion.k)  # which clause of an item answers best
    named = {c: _named_label(found.query, rec.text) for c, rec in records.items()}
    best: dict[tuple[str, str], ClauseRecord] = {}
    for cid in sorted(by_clause, key=lambda c: (-named.get(c, 0), -by_clause[c], c)):
        rec = records.get(cid)
        if rec is not None and rec.aside != COMMENTARY:
            best.setdefault((rec.doc_id, rec.path), rec)
    ordered = sorted(scores, key=lambda key: (-scores[key], key))
    hits: list[Hit] = []
    seen_text: set[str] = set()
    for start in range(0, len(ordered), top_k):
        batch = ordered[start : start + top_k]
        missing = [key for key in batch if key not in best]
        for key, clauses in index.item_clauses(missing).items():
            own = [c for c in clauses if c.aside != COMMENTARY]
            if own:  # an item found only by its explanation or its item text: its first words
                best[key] = own[0]
        for key in batch:
            rec = best.get(key)
            if rec is None:  # a vector whose document was replaced a moment ago
                continue
            words = squash(rec.text)
            if words in seen_text:  # the same words in another file (a .docx and its .pdf)
                continue
            seen_text.add(words)
            span = _excerpt(index, found.query, rec) if len(rec.text) > over else None
            hits.append(_hit(rec, len(hits) + 1, scores[key], span))
            if len(hits) == top_k:
                return hits
    return hits


def _named_label(query: str, text: str) -> int:
    """How long a first cell (機密性2, 1-3-2, 稼働率 …) of this table row the query names, or 0.

    The longest wins: 「区分Bの定義」 names the row 区分B before the header row 区分.
    """
    if CELL not in text:
        return 0
    label = squash(text.split(CELL, 1)[0])
    return len(label) if len(label) >= 2 and label in squash(query) else 0


def _excerpt(index: ClauseIndex, query: str, rec: ClauseRecord) -> tuple[int, int] | None:
    """Where the sentences of a long clause that answer the query begin and end, or None.

    The stretch of a passage's length (``ClauseIndex.window_chars``, on the passages' stride)
    that holds the most of the query's two-character words, widened to the sentences it cuts as
    long as that adds at most half a passage on a side, and narrowed to them otherwise. Choosing
    the stretch by the best-ranked passage overlapping the clause instead lost the sought
    sentence more often (eval/RETRIEVAL_CHOICES.md, 2026-12-07, excerpts).
    """
    size, text = index.window_chars, rec.text
    asked = tokens(query)
    wanted = {t for t in asked if len(t) > 1} or set(asked)
    starts = window_starts(len(text), size, index.window_stride)
    found = [len(wanted & set(tokens(text[s : s + size]))) for s in starts]
    lo = starts[found.index(max(found))]
    a, b = _to_sentences(text, lo, min(lo + size, len(text)), size // 2)
    return None if b - a >= len(text.strip()) else (a, b)


_SENTENCE_END = re.compile(r"。|\n")


def _to_sentences(text: str, a: int, b: int, reach: int) -> tuple[int, int]:
    """``text[a:b]`` cut at sentence ends (。 or a line end), then stripped."""
    ends = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    before = max(e for e in ends if e <= a)
    if a - before > reach:  # a long sentence: begin at the next one inside
        before = min((e for e in ends if a <= e < b), default=a)
    after = min(e for e in ends if e >= b)
    if after - b > reach:
        after = max((e for e in ends if a < e <= b), default=b)
    if after <= before:
        before, after = a, b
    seg = text[before:after]
    lead = len(seg) - len(seg.lstrip())
    return before + lead, before + len(seg.rstrip())


def _hit(rec: ClauseRecord, rank: int, score: float, span: tuple[int, int] | None = None) -> Hit:
    """A hit showing the clause, or the part ``span`` of its text (an excerpt)."""
    a, b = span or (0, len(rec.text))
    return Hit(
        rank=rank,
        score=round(score, 6),
        clause_id=rec.clause_id,
        document=rec.doc_id,
        document_title=rec.title,
        kind=rec.kind,
        contract=rec.contract,
        clause_path=rec.path,
        page=rec.page,
        text=rec.text[a:b],
        char_start=rec.char_start + a,
        char_end=rec.char_start + b,
        body=rec.body,
        excerpt=span is not None,
    )


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
