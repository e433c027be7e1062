"""The structure read from a document: its levels, its items and whether their sizes are plausible.

A document's clauses carry paths (「別添1 > 第2 > 1」). Read back, the paths show how the splitter
understood the document: which kinds of numbering or headings make each level, how many items
(clauses of one path) there are, and how large they are. A structure read wrongly shows in the
sizes: when a heading was missed, or a list of contents became a level, the body falls into a few
huge items. ``read_structure`` summarises this and warns, in Japanese and English, when

- the median item is over ``MEDIAN_LARGE`` (1,200) characters, or
- at least ``LARGE_SHARE`` (3 %) of the items, and at least two, are over ``ITEM_LARGE`` (2,000)
  characters, or
- one item over ``ITEM_LARGE`` characters holds ``DOMINANT`` (30 %) or more of the document's text.

A well-read rule text has items of a few hundred characters at most (the national guideline:
median about 190, 6 of 1,602 items over 2,000); a list of contents read as a level gives items
of several thousand.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ingest.clauses import PREAMBLE, parse_marker

MEDIAN_LARGE = 1200
ITEM_LARGE = 2000
LARGE_SHARE = 0.03
DOMINANT = 0.30

_KIND_NAMES = {
    "dai": "第N",
    "dotted": "N.N",
    "code": "記号番号",
    "num": "N",
    "num.": "N.",
    "num)": "N)",
    "(num)": "(N)",
    "kana": "ア",
    "(kana)": "(ア)",
    "circled": "①",
    "(latin)": "(a)",
    "(LATIN)": "(A)",
    "latin)": "a)",
    "kanji": "一",
    "bracket": "【…】",
}
_BULLET_LABEL = re.compile(r"^([●○◆◇■◎・])\d+$")


class _ClauseLike(Protocol):
    path: str
    text: str


@dataclass(frozen=True)
class Level:
    """One depth of the paths: how many headings or items of each kind stand there."""

    depth: int
    kinds: dict[str, int]

    @property
    def count(self) -> int:
        """All the headings and items at this depth."""
        return sum(self.kinds.values())


@dataclass(frozen=True)
class Structure:
    """What the splitter read of one document (see the module's docstring)."""

    clauses: int
    items: int
    levels: list[Level]
    median_chars: int
    max_chars: int
    largest: str  # the path of the largest item
    large_items: int  # items over ITEM_LARGE characters
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (Japanese, English)


def label_kind(label: str) -> str:
    """The kind of a path's label as a reader names it (第N章, (N), ①, 【…】, 別添N, 見出し)."""
    if label == PREAMBLE:
        return PREAMBLE
    bullet = _BULLET_LABEL.match(label)
    if bullet:
        return bullet.group(1)
    parsed = parse_marker(label + " ")  # a label stands apart from its text: 「ア」 as 「ア 」
    if parsed is None:
        return "見出し"
    marker = parsed[0]
    if marker.kind.startswith("dai"):
        return f"第N{marker.kind[3:]}"
    if marker.kind == "part":
        return re.sub(r"[0-9一二三四五六七八九十A-Z]+$", "", marker.label) + "N"
    if marker.kind == "qa":
        return marker.label[0] + "N"
    return _KIND_NAMES.get(marker.kind, "見出し")


def read_structure(clauses: Sequence[_ClauseLike]) -> Structure:
    """The levels, the items and their sizes of one document's clauses (in document order)."""
    sizes: dict[str, int] = {}
    for c in clauses:
        sizes[c.path] = sizes.get(c.path, 0) + len(c.text)
    depths: dict[int, Counter[str]] = {}
    seen: set[tuple[str, ...]] = set()
    for path in sizes:
        parts = tuple(path.split(" > "))
        for d in range(1, len(parts) + 1):
            if parts[:d] not in seen:
                seen.add(parts[:d])
                depths.setdefault(d, Counter())[label_kind(parts[d - 1])] += 1
    levels = [Level(d, dict(depths[d].most_common())) for d in sorted(depths)]
    values = sorted(sizes.values())
    median = int(statistics.median(values)) if values else 0
    largest = max(sizes, key=lambda p: sizes[p]) if sizes else ""
    top = sizes.get(largest, 0)
    large = sum(1 for v in values if v > ITEM_LARGE)
    total = sum(values)
    warnings: list[tuple[str, str]] = []
    if median > MEDIAN_LARGE:
        warnings.append(
            (
                f"項目の長さの中央値が {median:,} 字で、{MEDIAN_LARGE:,} 字を超えています。"
                "見出しや番号が読み取れず、複数の条項が一つの項目にまとまっているおそれが"
                "あります。",
                f"the median item is {median:,} characters, over {MEDIAN_LARGE:,}: headings or "
                "numbers were probably not read, and several clauses fell into one item.",
            )
        )
    if values and large >= 2 and large >= LARGE_SHARE * len(values):
        warnings.append(
            (
                f"{ITEM_LARGE:,} 字を超える項目が {large} 件（全 {len(values)} 件の "
                f"{large / len(values):.0%}）あります。見出しや番号の一部が読み取れていない"
                "おそれがあります。構造の読み取りを確かめてください。",
                f"{large} of {len(values)} items ({large / len(values):.0%}) are over "
                f"{ITEM_LARGE:,} characters; check how the structure was read.",
            )
        )
    if top > ITEM_LARGE and total and top >= DOMINANT * total:
        warnings.append(
            (
                f"一つの項目（{largest}）が文書全体の {top / total:.0%} を占めています。"
                "文書の構造がほとんど読み取れていないおそれがあります。",
                f"one item ({largest}) holds {top / total:.0%} of the document: its structure "
                "was hardly read.",
            )
        )
    return Structure(len(clauses), len(values), levels, median, top, largest, large, warnings)
