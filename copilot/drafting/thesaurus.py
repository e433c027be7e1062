"""A domain thesaurus: groups of words that mean one thing (下請け, 外注 → 再委託 …).

Two uses. A query is expanded: BM25 reads it with the other terms of its groups, since
character n-grams cannot know that two different words are one thing, and the dense model reads
the query followed by the formal terms of its groups as a second query beside the query as
asked (``copilot.retrieval``). And a key term of a
requirement counts as present in a passage that uses another word of its group
(``copilot.drafting.terms.term_in``): contracts state a duty in their own wording. The built-in
list lives in ``thesaurus.tsv`` beside this module; users add their own in the same format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ingest.normalise import nfkc


def parse(text: str) -> list[tuple[str, ...]]:
    """Groups of equivalent terms: one group a line, tab- or comma-separated, '#' comments."""
    groups = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        terms = tuple(nfkc(t.strip()) for t in re.split(r"[\t,、]", line) if t.strip())
        if len(terms) > 1:
            groups.append(terms)
    return groups


@dataclass(frozen=True)
class Thesaurus:
    """Term groups; a query mentioning one term of a group also searches for the others."""

    groups: tuple[tuple[str, ...], ...]

    def expand(self, query: str) -> str:
        """The query followed by the other terms of every group it mentions."""
        q = nfkc(query)
        extra: list[str] = []
        for group in self.groups:
            if any(term in q for term in group):
                extra.extend(t for t in group if t not in q)
        return " ".join([query, *extra]) if extra else query

    def formal_terms(self, query: str) -> list[str]:
        """The formal term (a group's first) of every group the query mentions but does not name.

        「予備のデータ」 gives バックアップ; a query already saying バックアップ gives nothing.
        """
        q = nfkc(query)
        terms: list[str] = []
        for group in self.groups:
            if group[0] not in q and group[0] not in terms and any(t in q for t in group):
                terms.append(group[0])
        return terms


def load_thesaurus(user_file: Path | None = None) -> Thesaurus:
    """The built-in thesaurus plus the user's file, if given."""
    text = resources.files("copilot.drafting").joinpath("thesaurus.tsv").read_text(encoding="utf-8")
    groups = parse(text)
    if user_file is not None:
        groups += parse(user_file.read_text(encoding="utf-8"))
    return Thesaurus(tuple(groups))
