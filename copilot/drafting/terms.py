"""Key terms of a requirement and how much of them a passage covers.

Terms are what a requirement is about: identifiers (ISMAP, ISO/IEC 27017, SOC2, TLS1.2), figures
with units (72時間, 99.9%), katakana compounds (データセンター) and kanji compounds (再委託,
準拠法). Words that every requirement shares (市, 定める, 場合 …) are weighted down by how many
stored clauses contain them, so no hand-kept list decides what matters.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from copilot.drafting.thesaurus import Thesaurus
from ingest.normalise import squash

_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[/\-.][A-Za-z0-9]+)*(?: ?\d+(?:\.\d+)?)?")
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:時間|営業日|日|週間|か月|ヶ月|カ月|年|分|%|世代|回)")
_KATAKANA = re.compile(r"[ァ-ヴー]{2,}")
_KANJI = re.compile(r"[一-龥々〆ヵヶ]{2,}")
# Function words of requirement sentences that carry no subject matter.
_JOINERS = re.compile(r"[及又並若]")  # 及び・又は・並びに・若しくは join two terms
_SUFFIXES = "上中的等"  # 通信経路上 → 通信経路, 以上等 → 以上
_GENERIC = frozenset(
    "場合 定め 求め 確認 有無 内容 必要 事項 実施 記載 対象 等 一部 全部 当該 各号 前項 次項 "
    "以下 以上 以内 適切 明確 具体的 含む 含め".split()
)


def key_terms(text: str) -> list[str]:
    """Distinct key terms of a requirement, in order of appearance."""
    s = squash(text)
    found: list[str] = []
    for pattern in (_IDENT, _FIGURE, _KATAKANA, _KANJI):
        for m in pattern.finditer(s):
            pieces = _JOINERS.split(m.group(0)) if pattern is _KANJI else [m.group(0)]
            for term in pieces:
                if len(term) >= 3 and term[-1] in _SUFFIXES:
                    term = term[:-1]
                if len(term) >= 2 and term not in _GENERIC and term not in found:
                    found.append(term)
    # a term inside a longer one (再委託 in 再委託先) adds nothing but double weight
    return [t for t in found if not any(t != o and o in t for o in found if len(o) >= 2)]


# Wording that leaves the level to someone's judgement: vague unless a figure stands beside it.
_VAGUE = re.compile(
    r"必要に応じ|適切[にな]|速やかに|遅滞なく|可能な(?:限り|範囲で)|できる限り|協議の上|協議により"
    r"|原則として|当社(?:所定|の判断|が適当と判断|が必要と判断)"
)
# Wording that does not bind at all, figure or not: a target, an effort, a disclaimer.
_NON_BINDING = re.compile(
    r"目標と(?:する|して|し)|努め(?:るものとする|るものと|ること|ます|る|)|望ましい"
    r"|保証(?:する)?ものでは(?:ない|ありません)|保証(?:いた)?しません|保証しない"
    r"|責任を負(?:わない|いません|いかねます)"
)
# Part of every rules hash that depends on them (a change of wording rules changes drafts).
WORDING_RULES = f"{_VAGUE.pattern}|{_NON_BINDING.pattern}"


def vague_wording(text: str) -> list[str]:
    """The vague phrases of a passage (「必要に応じて」「適切に」「速やかに」「当社所定の」 …)."""
    return list(dict.fromkeys(m.group(0) for m in _VAGUE.finditer(squash(text))))


def non_binding_wording(text: str) -> list[str]:
    """The phrases that make a passage bind no one (「目標とする」「努める」「保証しません」 …)."""
    return list(dict.fromkeys(m.group(0) for m in _NON_BINDING.finditer(squash(text))))


def hedges_in(text: str, requirement: str = "") -> list[str]:
    """Why a passage is not a firm commitment: non-binding wording, or vague wording alone.

    「速やかに」 alone is vague; 「速やかに、遅くとも24時間以内に」 is not. A kind of wording
    that the requirement uses itself does not count: a guideline that says 「速やかに」 asks for
    no more.
    """
    out = [] if non_binding_wording(requirement) else non_binding_wording(text)
    if not vague_wording(requirement) and not has_figure(text):
        out += vague_wording(text)
    return out


def has_figure(text: str) -> bool:
    """Whether a passage states a figure: a number with a unit or a versioned identifier.

    72時間, 99.9%, TLS1.2 and AES-256 are figures; a list marker or an article number ((3),
    第5条) is not one.
    """
    s = squash(text)
    return bool(_FIGURE.search(s)) or any(
        any(ch.isdigit() for ch in m.group(0)) for m in _IDENT.finditer(s)
    )


def _bigrams(term: str) -> set[str]:
    return {term[i : i + 2] for i in range(len(term) - 1)}


@functools.lru_cache(maxsize=4096)
def _synonyms(term: str, thesaurus: Thesaurus) -> tuple[str, ...]:
    """The squashed words of every thesaurus group the term belongs to.

    A compound belongs by its head too: セキュリティインシデント is an インシデント.
    """
    return tuple(
        squash(v)
        for group in thesaurus.groups
        if any(term == v or (len(v) >= 3 and term.endswith(v)) for v in group)
        for v in group
    )


def term_in(term: str, text: str, thesaurus: Thesaurus | None = None) -> bool:
    """Whether a passage (already squashed) mentions a term, a synonym or most of a long term."""
    if term in text:
        return True
    if thesaurus is not None and any(v in text for v in _synonyms(term, thesaurus)):
        return True
    if len(term) >= 4 and _KANJI.fullmatch(term):
        grams = _bigrams(term)
        return sum(g in text for g in grams) * 3 >= len(grams) * 2
    return False


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of terms over a set of passages."""

    passages: tuple[str, ...]
    _known: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def over(cls, texts: Iterable[str]) -> TermWeights:
        """Weights computed over these passages."""
        return cls(tuple(squash(t) for t in texts))

    def weight(self, term: str) -> float:
        """log((N + 1) / (df + 0.5)): rare terms weigh more (counted once per term)."""
        if term not in self._known:
            df = sum(term in p for p in self.passages)
            self._known[term] = math.log((len(self.passages) + 1) / (df + 0.5))
        return self._known[term]


def coverage(
    terms: Sequence[str],
    passages: Sequence[str],
    weights: TermWeights,
    thesaurus: Thesaurus | None = None,
) -> tuple[float, list[str]]:
    """Weighted share of the terms that the passages mention together, and the missing terms."""
    if not terms:
        return 0.0, []
    texts = [squash(p) for p in passages]
    total = 0.0
    got = 0.0
    missing = []
    for term in terms:
        w = max(weights.weight(term), 0.05)
        total += w
        if any(term_in(term, t, thesaurus) for t in texts):
            got += w
        else:
            missing.append(term)
    return got / total, missing
