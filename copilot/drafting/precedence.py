"""Which of a contract's documents governs where they differ, and whether two provisions conflict.

A contract often comes as several documents: a 契約書 with an attached 利用規約, an SLA, a
特記事項. One may bind the provider (「乙は、データを日本国内で保管しなければならない」) while
another permits the opposite (「当社は、データを国外のリージョンに保管することがあります」).
The documents themselves say which governs:

- a precedence clause: 「本契約書と利用規約の定めが異なる場合は、本契約書の定めが優先する」,
  「協定、本約款及びサービス仕様書の定めが矛盾するときは、この順に優先します」;
- a supplement clause: 「本契約に定めのない事項は、利用規約の定めによる」 (the 利用規約 fills
  gaps only: the 契約 governs);
- an override in the binding sentence itself: 「乙は、規約第6条の定めにかかわらず、…」.

A document is known by its kind (契約・規約・仕様・特記・覚書・SLA・協定・要項), read from its title
and from how its own text names itself (「本規約」「この約款」), so that a terms of service filed as
「契約書.docx」 is still the 利用規約 a precedence clause names. Only the wording decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from ingest.normalise import nfkc

__all__ = ["Governing", "conflict_note", "governing"]

# the kinds of document, the more particular first (「特記仕様書」 is a 特記, not a 仕様)
_KINDS: tuple[tuple[str, str], ...] = (
    ("特記", r"特記事項|特記仕様"),
    ("覚書", r"覚書|覚え書"),
    ("規約", r"規約|約款|利用条件|サービス条件"),
    ("SLA", r"SLA|サービスレベル"),
    ("仕様", r"仕様書|仕様"),
    ("協定", r"協定"),
    ("要項", r"要項|要領"),
    ("契約", r"契約書|契約"),
)
_SELF = re.compile(
    r"(?:本|この|当該)(特記事項|特記仕様書|覚書|利用規約|規約|約款|仕様書|協定|契約書|契約)"
)
_MENTION = re.compile("|".join(f"(?P<k{n}>{p})" for n, (_, p) in enumerate(_KINDS)))
_DIFFER = re.compile(r"異な|矛盾|抵触|齟齬|相違|相反|食い違")
_IN_ORDER = re.compile(r"(?:この|その|記載の|列記の|上記の|前記の)?順(?:に|で|番に)?優先")
_WINS = re.compile(r"(?:の(?:定め|規定|内容|記載|条項))?(?:が|を)(?:優先|優越)")
_GAPS = re.compile(
    r"定め(?:の)?(?:ない|なき)事項(?:は|については)[、,]?\s*(.{0,30}?)(?:の定め)?による"
)
_DESPITE = re.compile(r"にかかわらず|に関わらず|に優先して")


class _Clause(Protocol):
    doc_id: str
    title: str


class _Sentence(Protocol):
    clause: _Clause
    text: str


def _kind(word: str) -> str:
    for kind, pattern in _KINDS:
        if re.search(pattern, word):
            return kind
    return ""


class Governing:
    """The kinds of each document and which governs which."""

    def __init__(self, kinds: dict[str, frozenset[str]], over: set[tuple[str, str]]) -> None:
        """Hold each document's kinds and the pairs (governing, governed)."""
        self.kinds = kinds
        self.over = over

    def governs(self, upper: str, lower: str) -> bool:
        """True when the document ``upper`` prevails over ``lower`` (directly or by a chain)."""
        seen, todo = {upper}, [upper]
        while todo:
            doc = todo.pop()
            for a, b in self.over:
                if a == doc and b not in seen:
                    if b == lower:
                        return True
                    seen.add(b)
                    todo.append(b)
        return False

    def ordered(self) -> bool:
        """Whether the documents say anything about their order."""
        return bool(self.over)


def _docs_named(word: str, own: str, kinds: dict[str, frozenset[str]], self_ref: bool) -> set[str]:
    kind = _kind(word)
    if not kind:
        return set()
    if self_ref:
        return {own}
    named = {d for d, ks in kinds.items() if kind in ks and d != own}
    return named or ({own} if kind in kinds.get(own, frozenset()) else set())


def governing(pool: Iterable[_Sentence]) -> Governing:
    """Read the documents' kinds and every precedence and supplement clause of a contract."""
    sentences = list(pool)
    titles: dict[str, str] = {}
    self_refs: dict[str, dict[str, int]] = {}
    for s in sentences:
        titles.setdefault(s.clause.doc_id, s.clause.title)
        counts = self_refs.setdefault(s.clause.doc_id, {})
        for m in _SELF.finditer(nfkc(s.text)):
            kind = _kind(m.group(1))
            counts[kind] = counts.get(kind, 0) + 1
    kinds: dict[str, frozenset[str]] = {}
    for doc, title in titles.items():
        # 「サービス仕様書（サービスレベル合意を含む）」 is a 仕様書: what a title adds in brackets
        found = {_kind(re.sub(r"[（(][^）)]*[）)]", "", nfkc(title)))} - {""}
        refs = self_refs.get(doc, {})
        if refs:
            found.add(max(refs, key=lambda k: refs[k]))
        kinds[doc] = frozenset(found)
    over: set[tuple[str, str]] = set()
    for s in sentences:
        text, own = nfkc(s.text), s.clause.doc_id
        if "優先" in text and _DIFFER.search(text):
            mentions: list[set[str]] = []
            wins: set[str] = set()
            for m in _MENTION.finditer(text):
                self_ref = text[max(0, m.start() - 2) : m.start()].endswith(("本", "この"))
                docs = _docs_named(m.group(0), own, kinds, self_ref)
                if not docs:
                    continue
                if not mentions or docs != mentions[-1]:
                    mentions.append(docs)
                if _WINS.match(text, m.end()):
                    wins = docs
            if _IN_ORDER.search(text):
                for n, upper in enumerate(mentions):
                    for lower in mentions[n + 1 :]:
                        over |= {(a, b) for a in upper for b in lower if a != b}
            elif wins:
                for docs in mentions:
                    over |= {(a, b) for a in wins for b in docs if a != b}
        if m := _GAPS.search(text):
            head = text[: m.start()]
            named = [_docs_named(w.group(0), own, kinds, True) for w in _MENTION.finditer(head)]
            uppers = named[-1] if named and named[-1] else {own}
            for w in _MENTION.finditer(m.group(1)):
                lower = _docs_named(w.group(0), own, kinds, False)
                over |= {(a, b) for a in uppers for b in lower if a != b}
    return Governing(kinds, over)


def _overrides(binding: _Sentence, other: str, rules: Governing) -> bool:
    """「乙は、規約第6条の定めにかかわらず、…」: the binding sentence sets the other aside."""
    text = nfkc(binding.text)
    m = _DESPITE.search(text)
    if not m:
        return False
    kinds = rules.kinds.get(other, frozenset())
    return any(_kind(w.group(0)) in kinds for w in _MENTION.finditer(text[: m.start()]))


def conflict_note(met: list[_Sentence], contrary: list[_Sentence], rules: Governing) -> str:
    """Why an element met in one document is only soft for a contrary one in another, or "".

    The element stays met when some binding sentence's document governs every document that
    permits or disclaims the opposite (by a precedence or supplement clause, or by overriding it
    in its own words). Otherwise it is soft: the documents conflict with no order between them,
    or the one that binds gives way.
    """
    others = {s.clause.doc_id for s in contrary} - {s.clause.doc_id for s in met}
    if not others:
        return ""
    for s in met:
        doc = s.clause.doc_id
        if all(rules.governs(doc, o) or _overrides(s, o, rules) for o in others):
            return ""
    if any(rules.governs(o, s.clause.doc_id) for o in others for s in met):
        return "優先する文書に相反する定めがある"
    return "文書間で定めが相反しており、優先関係が定められていない"
