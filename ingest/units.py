"""Items: the unit a search scores with context, built from a document's clauses.

A clause is what a search returns and what a draft quotes: one numbered item of a rule, or a
sentence-bounded piece of a long one. Scored alone, a short item (「b) 対策基準の決定、見直し」) has
too few words to be found, and the words that would find it sit around it: the headings above,
the item that introduces it, its explanation (【解説】). So every item (all the clauses of one
path) also gets an *item text*: its heading path, its own words, the words of the items under it
and the start of its explanation. The item text is scored (dense and BM25) beside the clauses, and
a hit on it returns the item's best clause. Explanations are scored but never returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ingest.readers import COMMENTARY

# Bump when a change here builds different item texts: ingest then rebuilds them.
UNITS_VERSION = 1
# The item text's budget in characters: multilingual-e5 reads about 512 tokens, which Japanese
# fills at roughly one character each.
ITEM_CHARS = 480
_OWN_CHARS = 240  # of the item's own words
_CHILD_CHARS = 200  # of the items under it, together
_NOTE_CHARS = 120  # of its explanation


class _ClauseLike(Protocol):
    path: str
    heading: str
    text: str
    aside: str


@dataclass(frozen=True)
class Item:
    """One item of a document: its path, its clauses' ordinals and the text that is scored."""

    path: str
    ordinals: tuple[int, ...]  # positions of its clauses in the document's clause list
    text: str


def _cut(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n]


def build_items(clauses: Sequence[_ClauseLike]) -> list[Item]:
    """The items of one document's clauses (in document order), each with its scored text."""
    order: list[str] = []
    members: dict[str, list[int]] = {}
    for i, c in enumerate(clauses):
        if c.path not in members:
            order.append(c.path)
            members[c.path] = []
        members[c.path].append(i)

    def own(path: str) -> str:
        return " ".join(clauses[i].text for i in members[path] if clauses[i].aside != COMMENTARY)

    def note(path: str) -> str:
        return " ".join(clauses[i].text for i in members[path] if clauses[i].aside == COMMENTARY)

    items = []
    for n, path in enumerate(order):
        children = []
        for later in order[n + 1 :]:
            if not later.startswith(path + " > "):
                break  # document order: an item's descendants follow it directly
            children.append(own(later))
        first = clauses[members[path][0]]
        parts = [
            first.heading.replace(" > ", " / "),
            _cut(own(path), _OWN_CHARS),
            _cut(" ".join(children), _CHILD_CHARS),
            _cut(note(path), _NOTE_CHARS),
        ]
        text = "\n".join(p for p in parts if p)
        items.append(Item(path, tuple(members[path]), text[:ITEM_CHARS]))
    return items
