"""Guideline change impact: what changed between two editions, and which policy clauses it touches.

An item is a clause of the index with its pieces joined back (a long clause is stored in pieces
under one path). Its wording is compared without its numbering marker and whitespace, so an
item that was only renumbered compares equal. The editions are aligned in two passes:

1. the same wording: the same item, wherever it now stands;
2. the most similar pairs, best first, among those with a bigram Jaccard of at least
   ``SIMILARITY`` anywhere, or of at least ``PATH_SIMILARITY`` at the same path or in the
   section where most items of the old one went (a heavy rewrite in place).

What is left over was 削除 (old) or 追加 (new). A pair is 移動 when it left the order of the
other pairs (it is not on the longest run of pairs kept in order) or when it went to another
section than the one most items of its old section went to; a pair whose path differs for
neither reason was renumbered with its neighbours: counted, not listed as a change, so that
inserting a section does not turn the rest of the chapter into changes.

For each change the policy clauses on its subject are found with the hybrid search held to the
policy document, and each is quoted by its sentence that names most of the change's key terms;
the quote passes the citation gate, and a clause whose sentence names none is not listed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse

from copilot.drafting.citations import gate
from copilot.drafting.registry import sentences
from copilot.drafting.terms import TermWeights, key_terms, term_in
from copilot.errors import IndexMissingError, UserError
from copilot.retrieval import search
from copilot.schemas import (
    Citation,
    DiffSegment,
    GuidelineChange,
    GuidelineDiff,
    Renumbered,
    RevisionCandidate,
)
from copilot.services import Services
from ingest.clauses import parse_marker
from ingest.index import ClauseRecord
from ingest.normalise import squash

GUIDELINE_KINDS = ("guideline",)
POLICY_KINDS = ("policy",)
# Bigram Jaccard from which two wordings are one item reworded. Measured on the sample guideline:
# an item and its most similar other item 0.19 (median) to 0.41 (max); a phrase reworded
# 0.61-0.92; a sentence rewritten 0.34-0.49, which only its place tells apart from a new item.
SIMILARITY = 0.5
PATH_SIMILARITY = 0.3  # in place (same path or section), less likeness is asked for
POLICY_CLAUSES = 3  # policy clauses listed per change at most
MIN_SHARE = 0.25  # weighted share of a change's key terms the quoted sentence must name
RELATIVE = 0.5  # a clause is listed only when it scores at least half as well as the best one
RARE_ENOUGH = 1.0  # idf over the policy's clauses of a term that says what a clause is about
SEARCH_TOP_K = 8


class _Piece(Protocol):
    """What items are made of: ingest's Clause or the index's ClauseRecord."""

    @property
    def path(self) -> str: ...
    @property
    def heading(self) -> str: ...
    @property
    def char_start(self) -> int: ...
    @property
    def char_end(self) -> int: ...


@dataclass(frozen=True)
class Item:
    """One numbered item of an edition."""

    index: int
    path: str
    slot: str  # the path, made unique when a path recurs ("#2", "#3" …)
    heading: str
    text: str  # as it stands in the document, its marker included
    body: str  # without the marker, whitespace runs made one space: what the diff shows
    key: str  # the body squashed (NFKC, no whitespace): what "the same wording" means

    @property
    def parent(self) -> str:
        """The path of the section the item stands in."""
        return self.path.rpartition(" > ")[0]


_WS = re.compile(r"\s+")


def _body(text: str) -> str:
    """The item's words without its numbering marker (nor a label line that only repeats it)."""
    lines = text.split("\n")
    for n in range(min(2, len(lines))):
        parsed = parse_marker(lines[n])
        if parsed is not None:
            lines[n] = lines[n][parsed[1] :]
        if lines[n].strip(" \t\u3000|"):
            break
    return _WS.sub(" ", "\n".join(lines)).strip(" |")


def items_of(text: str, pieces: Sequence[_Piece]) -> list[Item]:
    """The items of a document: runs of pieces that share a path, joined back into one text."""
    runs: list[list[_Piece]] = []
    for p in pieces:
        if runs and runs[-1][0].path == p.path:
            runs[-1].append(p)
        else:
            runs.append([p])
    seen: Counter[str] = Counter()
    items = []
    for n, run in enumerate(runs):
        first, last = run[0], run[-1]
        whole = text[first.char_start : last.char_end]
        seen[first.path] += 1
        slot = first.path if seen[first.path] == 1 else f"{first.path}#{seen[first.path]}"
        body = _body(whole)
        items.append(Item(n, first.path, slot, first.heading, whole, body, squash(body)))
    return items


# --- similarity --------------------------------------------------------------------------------


def _grams(key: str) -> set[str]:
    return {key[i : i + 2] for i in range(len(key) - 1)} or {key}


def jaccard(a: str, b: str) -> float:
    """Character-bigram Jaccard similarity of two squashed wordings."""
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / len(ga | gb)


def _similarities(old: list[Item], new: list[Item]) -> np.ndarray:
    """Bigram Jaccard of every old item against every new one (sparse products, no loops)."""
    vocab: dict[str, int] = {}
    rows = [[vocab.setdefault(g, len(vocab)) for g in _grams(i.key)] for i in [*old, *new]]

    def matrix(rs: list[list[int]]) -> sparse.csr_matrix:
        data = [np.ones(len(r), dtype=np.float32) for r in rs]
        indptr = np.cumsum([0] + [len(r) for r in rs])
        cols = np.concatenate([np.asarray(r, dtype=np.int64) for r in rs]) if rs else []
        return sparse.csr_matrix(
            (np.concatenate(data) if rs else [], cols, indptr), shape=(len(rs), len(vocab))
        )

    a, b = matrix(rows[: len(old)]), matrix(rows[len(old) :])
    inter = (a @ b.T).toarray()
    sizes_a = np.asarray(a.sum(axis=1)).ravel()
    sizes_b = np.asarray(b.sum(axis=1)).ravel()
    union = sizes_a[:, None] + sizes_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


# --- alignment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """An old item and the new item it became."""

    old: Item
    new: Item
    similarity: float
    moved: bool = False


@dataclass(frozen=True)
class Alignment:
    """Two editions aligned: the pairs and the items of either side left unpaired."""

    pairs: list[Pair]
    removed: list[Item]
    added: list[Item]


def _same_wording(old: list[Item], new: list[Item]) -> list[tuple[Item, Item]]:
    by_key: dict[str, list[Item]] = defaultdict(list)
    for item in new:
        by_key[item.key].append(item)
    pairs = []
    left: list[Item] = []
    for item in old:  # an item still at its own path is taken first, then in order
        twin = next((n for n in by_key.get(item.key, []) if n.slot == item.slot), None)
        if twin is not None:
            by_key[item.key].remove(twin)
            pairs.append((item, twin))
        else:
            left.append(item)
    for item in left:
        if by_key.get(item.key):
            pairs.append((item, by_key[item.key].pop(0)))
    return pairs


def _in_order(pairs: list[tuple[Item, Item]]) -> set[int]:
    """Positions (in old order) of the pairs on a longest run kept in the same order."""
    seq = [n.index for _, n in pairs]
    tails: list[int] = []  # tails[k]: position of the smallest last value of a run of k + 1
    back = [-1] * len(seq)
    for i, v in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]] < v:
                lo = mid + 1
            else:
                hi = mid
        back[i] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    keep: set[int] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        keep.add(i)
        i = back[i]
    return keep


def _sections(pairs: list[tuple[Item, Item]]) -> dict[str, str]:
    """Where each old section went: where most of its items went, one new section for one old."""
    votes = Counter((o.parent, n.parent) for o, n in pairs)
    taken_old: dict[str, str] = {}
    taken_new: set[str] = set()
    for (a, b), _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
        if a not in taken_old and b not in taken_new:
            taken_old[a] = b
            taken_new.add(b)
    return taken_old


def align(old: list[Item], new: list[Item]) -> Alignment:
    """Pair the items of two editions (see the module's docstring for the passes)."""
    same = _same_wording(old, new)
    found = {(o.index, n.index): 1.0 for o, n in same}
    paired_old = {o for o, _ in found}
    paired_new = {n for _, n in found}
    rest_old = [o for o in old if o.index not in paired_old]
    rest_new = [n for n in new if n.index not in paired_new]
    if rest_old and rest_new:
        sim = _similarities(rest_old, rest_new)
        went = _sections(same)

        def in_place(o: Item, n: Item) -> bool:  # its path, or its section's new place
            return o.slot == n.slot or went.get(o.parent) == n.parent

        candidates = []
        for i, j in zip(*np.nonzero(sim >= PATH_SIMILARITY), strict=True):
            o, n = rest_old[int(i)], rest_new[int(j)]
            if sim[i, j] >= SIMILARITY or in_place(o, n):
                candidates.append((float(sim[i, j]), int(o.slot == n.slot), int(i), int(j)))
        used_i: set[int] = set()
        used_j: set[int] = set()
        for s, _, i, j in sorted(candidates, key=lambda c: (-c[0], -c[1], c[2], c[3])):
            if i not in used_i and j not in used_j:
                used_i.add(i)
                used_j.add(j)
                found[(rest_old[i].index, rest_new[j].index)] = s
    by_old = {o.index: o for o in old}
    by_new = {n.index: n for n in new}
    ordered = sorted(found)
    raw = [(by_old[a], by_new[b]) for a, b in ordered]
    kept = _in_order(raw)
    went = _sections(raw)
    pairs = []
    for k, ((o, n), key) in enumerate(zip(raw, ordered, strict=True)):
        elsewhere = o.slot != n.slot and went.get(o.parent) != n.parent
        pairs.append(Pair(o, n, found[key], moved=k not in kept or elsewhere))
    done_old = {o.index for o, _ in raw}
    done_new = {n.index for _, n in raw}
    return Alignment(
        pairs,
        [o for o in old if o.index not in done_old],
        [n for n in new if n.index not in done_new],
    )


# --- the changed words -------------------------------------------------------------------------

_TOKEN = re.compile(
    r"[\u4e00-\u9fff\u3400-\u4dbf々〆ヵヶ]"  # kanji, one by one: compounds share parts
    r"|[\u3041-\u309f]+"  # hiragana
    r"|[\u30a0-\u30ffー]+"  # katakana
    r"|[0-9A-Za-z０-９Ａ-Ｚａ-ｚ.．]+"  # figures and Latin words
    r"|\s+"
    r"|."  # any other character on its own
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[DiffSegment]:
    """The new wording in segments: kept, inserted and deleted runs of words.

    Japanese has no spaces, so the words are runs of one script (kanji, hiragana, katakana,
    figures and Latin); width and whitespace differences count as the same.
    """
    a, b = _tokens(old), _tokens(new)

    def norm(t: str) -> str:
        return " " if t.isspace() else unicodedata.normalize("NFKC", t)

    ops: list[list[str]] = []  # [op, old text, new text]
    matcher = difflib.SequenceMatcher(None, [norm(t) for t in a], [norm(t) for t in b], False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        was, now = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag != "equal" and not (was + now).strip():
            tag = "equal"  # whitespace alone is no change
        op = "equal" if tag == "equal" else "change"
        if ops and ops[-1][0] == op:
            ops[-1][1] += was
            ops[-1][2] += now
        else:
            ops.append([op, was, now])
    # A kept run of a character or two between two changes (の, を) reads better inside them.
    merged: list[list[str]] = []
    for op in ops:
        if (
            op[0] == "change"
            and len(merged) >= 2
            and merged[-1][0] == "equal"
            and len(merged[-1][2].strip()) <= 2
            and merged[-2][0] == "change"
        ):
            eq = merged.pop()
            merged[-1][1] += eq[1] + op[1]
            merged[-1][2] += eq[2] + op[2]
        else:
            merged.append(op)
    out: list[DiffSegment] = []
    for op, was, now in merged:
        if op == "equal":
            if now:
                out.append(DiffSegment(op="equal", text=now))
            continue
        if was:
            out.append(DiffSegment(op="delete", text=was))
        if now:
            out.append(DiffSegment(op="insert", text=now))
    return out


def marked(segments: Sequence[DiffSegment]) -> str:
    """The wording on one line with 〔削除:…〕 and 〔追加:…〕 around the changed words."""
    parts = []
    for s in segments:
        if s.op == "equal":
            parts.append(s.text)
        elif s.op == "delete":
            parts.append(f"〔削除:{s.text}〕")
        else:
            parts.append(f"〔追加:{s.text}〕")
    return "".join(parts)


def changed_words(segments: Sequence[DiffSegment]) -> list[str]:
    """The inserted and deleted runs, in order."""
    return [s.text for s in segments if s.op != "equal"]


# --- the policy clauses a change touches -------------------------------------------------------


@dataclass(frozen=True)
class _Policy:
    doc_id: str
    weights: TermWeights


def _topic(item: Item) -> str:
    """The title of the section an item stands in, without its number: the item's subject."""
    last = item.heading.rpartition(" > ")[2]
    parsed = parse_marker(last)
    return last[parsed[1] :].strip() if parsed else last


def _revision_candidates(
    services: Services, policy: _Policy, item: Item, changed: Sequence[str]
) -> list[RevisionCandidate]:
    """Policy clauses on the change's subject, each quoted by its sentence naming most of it.

    A sentence is scored by the weighted share it names of the change's key terms that the
    policy uses at all (the changed words count twice); it must name two terms that are not in
    nearly every clause, so that one word in common does not make a clause on the subject.
    """
    terms = key_terms(item.body) + key_terms(" ".join(changed))
    terms = [t for t in terms if any(t in p for p in policy.weights.passages)]
    if not terms:
        return []
    hits = search(
        services.index,
        f"{_topic(item)}\n{item.body}",
        top_k=SEARCH_TOP_K,
        where={"doc_id": policy.doc_id},
        fusion=services.fusion,
        thesaurus=services.thesaurus,
    )
    clauses = services.index.clauses([h.clause_id for h in hits])
    weight = {t: max(policy.weights.weight(t), 0.05) for t in set(terms)}
    total = sum(weight[t] for t in terms)
    found: list[tuple[float, int, ClauseRecord, str, list[str]]] = []
    for rank, h in enumerate(hits):
        clause = clauses.get(h.clause_id)
        if clause is None:
            continue
        best: tuple[float, str, list[str]] | None = None
        for s in sentences(clause.text):
            text = squash(s)
            named = [t for t in terms if term_in(t, text, services.thesaurus)]
            share = sum(weight[t] for t in named) / total
            if best is None or share > best[0]:
                best = (share, s, named)
        if best is None or best[0] < MIN_SHARE:
            continue
        if len({t for t in best[2] if weight[t] >= RARE_ENOUGH}) >= 2:
            found.append((best[0], rank, clause, best[1], best[2]))
    out: list[RevisionCandidate] = []
    found.sort(key=lambda f: (-f[0], f[1]))
    for share, _, clause, quote, named in found:
        if share < RELATIVE * found[0][0]:
            break
        cite = Citation(clause_id=clause.clause_id, document="", clause_path="", quote=quote)
        good, _ = gate([cite], {clause.clause_id: clause})
        if not good:
            continue
        out.append(
            RevisionCandidate(
                clause_path=clause.path,
                heading=clause.heading,
                citation=good[0],
                terms=list(dict.fromkeys(named)),
                score=round(share, 3),
            )
        )
        if len(out) == POLICY_CLAUSES:
            break
    return out


# --- the service -------------------------------------------------------------------------------


def _document(services: Services, doc_id: str, kinds: tuple[str, ...], role: str) -> str:
    """The document's id after checking it exists and is of the kind its role needs."""
    docs = services.index.documents()
    if not docs:
        raise IndexMissingError()
    doc = next((d for d in docs if d.doc_id == doc_id), None)
    fit = [d.doc_id for d in docs if d.kind in kinds]
    if doc is None:
        raise UserError(
            f"{role}の文書 {doc_id} は取り込まれていません（取り込み済み: "
            f"{', '.join(fit) or 'なし'}）。`copilot status` で文書IDを確認してください。",
            f"document {doc_id} is not ingested (ingested {'/'.join(kinds)} documents: "
            f"{', '.join(fit) or 'none'}); check the document id with `copilot status`.",
        )
    if doc.kind not in kinds:
        raise UserError(
            f"{doc_id} は{role}として使えません（種別 {doc.kind}。{'・'.join(kinds)} の文書が"
            f"必要です）。`copilot ingest --kind {kinds[0]}` で取り込み直すか、別の文書を"
            "指定してください。",
            f"{doc_id} cannot serve as the {_ROLE_EN[role]}: its kind is {doc.kind}, not "
            f"{'/'.join(kinds)}; ingest it again with `--kind {kinds[0]}` or name another.",
        )
    return doc.doc_id


_ROLE_EN = {"旧版": "old edition", "新版": "new edition", "規程": "policy"}


def _items(services: Services, doc_id: str) -> list[Item]:
    return items_of(services.index.document_text(doc_id), services.index.document_clauses(doc_id))


def _change(
    kind: str, old: Item | None, new: Item | None, similarity: float | None
) -> GuidelineChange:
    if old is not None and new is not None:
        segments = word_diff(old.body, new.body)
    elif new is not None:
        segments = [DiffSegment(op="insert", text=new.body)]
    else:
        assert old is not None
        segments = [DiffSegment(op="delete", text=old.body)]
    return GuidelineChange(
        kind=kind,  # type: ignore[arg-type]
        old_path=old.path if old else "",
        new_path=new.path if new else "",
        old_heading=old.heading if old else "",
        new_heading=new.heading if new else "",
        old_text=old.text if old else "",
        new_text=new.text if new else "",
        reworded=old is None or new is None or old.key != new.key,
        similarity=None if similarity is None else round(similarity, 3),
        segments=segments,
    )


def diff_guidelines(
    services: Services, old_doc: str, new_doc: str, policy_doc: str
) -> GuidelineDiff:
    """Compare two editions of a guideline and find the policy clauses each change touches.

    Args:
        services: the index to read both editions and the policy from.
        old_doc: the document id of the old edition (kind guideline).
        new_doc: the document id of the new edition (kind guideline).
        policy_doc: the document id of the policy whose clauses may need revision (kind policy).

    Returns:
        The changes in the new edition's order (a removed item where it used to stand), with
        the changed words marked and the policy clauses on each change's subject; unchanged and
        merely renumbered items are counted, not listed as changes. Identical editions give no
        changes.

    Raises:
        IndexMissingError: nothing is ingested.
        UserError: a document id is not ingested or is not of the kind its role needs.

    """
    old_id = _document(services, old_doc, GUIDELINE_KINDS, "旧版")
    new_id = _document(services, new_doc, GUIDELINE_KINDS, "新版")
    policy_id = _document(services, policy_doc, POLICY_KINDS, "規程")
    old, new = _items(services, old_id), _items(services, new_id)
    al = align(old, new)
    placed: list[tuple[float, int, GuidelineChange, Item]] = []
    renumbered: list[Renumbered] = []
    unchanged = 0
    went_to = [-1.0] * (len(old) + 1)  # went_to[i]: latest new place of old items before i
    for p in al.pairs:
        went_to[p.old.index + 1] = p.new.index
    for i in range(1, len(went_to)):
        went_to[i] = max(went_to[i], went_to[i - 1])
    for p in al.pairs:
        if p.moved:
            change = _change("移動", p.old, p.new, p.similarity)
        elif p.old.key != p.new.key:
            change = _change("変更", p.old, p.new, p.similarity)
        elif p.old.slot != p.new.slot:
            renumbered.append(Renumbered(old_path=p.old.path, new_path=p.new.path))
            continue
        else:
            unchanged += 1
            continue
        placed.append((p.new.index, p.old.index, change, p.new))
    for o in al.removed:  # just after where the old items before it went
        placed.append((went_to[o.index] + 0.5, o.index, _change("削除", o, None, None), o))
    for n in al.added:
        placed.append((n.index, -1, _change("追加", None, n, None), n))
    placed.sort(key=lambda x: (x[0], x[1]))
    policy = _Policy(
        policy_id,
        TermWeights.over(c.text for c in services.index.document_clauses(policy_id)),
    )
    changes = []
    for _, _, change, item in placed:
        found = _revision_candidates(services, policy, item, changed_words(change.segments))
        changes.append(change.model_copy(update={"policy_clauses": found}))
    return GuidelineDiff(
        old_document=old_id,
        new_document=new_id,
        policy_document=policy_id,
        old_items=len(old),
        new_items=len(new),
        unchanged=unchanged,
        renumbered=renumbered,
        changes=changes,
    )
