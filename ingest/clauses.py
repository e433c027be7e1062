"""Split a document's blocks into clauses along Japanese clause numbering.

Recognised numbering: 第N章/節/款/条/項/部/編, a bare 第N, dotted and hyphenated ids
(2.1.1(1)(a), 1-1-1), 1. / 1) / 1 (with a space), (1), ア, (ア), ①, (a), a), 一 (with a space),
and Word heading styles or Markdown headings. A number the source shows apart from the text (a
block's ``label``: Word's automatic list numbering) is parsed as the marker, and so gives the path,
but stays out of the clause text: a quote is the paragraph's own words.

A table row is a clause of its own: a paragraph after a table continues the clause the table stands
in, never the table's last row. A clause read by OCR is marked ``ocr``; one whose every block is set
aside (earlier mail quoted in a reply, a form's boxes to tick) carries that ``aside`` and is never
cited. An item's explanation (from a 【解説】 or [解説] line to the end of the item) is split off as
``COMMENTARY`` pieces of the same path: search counts it for the item, and returns the item.

Nesting follows the order in which marker kinds appear: a kind already open closes everything
opened after it (a sibling), a new kind opens a child. A marker whose number does not continue
its kind's sequence (or start one) is taken as ordinary text, which keeps a line that merely
begins with "(3)" from breaking a clause in two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.readers import COMMENTARY, Block

PREAMBLE = "前文"
# Bump when a change to this module splits the same file differently: ingest then re-splits
# unchanged files (embeddings of unchanged clauses are reused from the cache).
SPLITTER_VERSION = 4
# 【解説】, [解説], （解説）, 解説：, and the same with 説明・趣旨・補足・参考: explanation
# from this line to the end of the item.
EXPLANATION = re.compile(r"^\s*(?:[【\[［（(](?:解説|説明|趣旨|補足|参考)[】\]］）)]|解説[:：])")
_CAPTION = re.compile(r"^[\s\u3000]*[（(][^）)]{1,24}[）)][\s\u3000]*$")

_WIDTH = str.maketrans(
    "０１２３４５６７８９（）．｜［］ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ－",
    "0123456789().|[]abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-",
)
_KANA = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
)
_KANJI = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_SEP = r"(?=[\s\u3000|]|$)"
_NUM = r"(\d+|[〇一二三四五六七八九十百]+)"
_LABEL_PREFIX = re.compile(r"^(?:\[[^\]]{1,10}\]|【[^】]{1,10}】)\s*")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("dai", re.compile(rf"^第{_NUM}(章|節|款|条|項|部|編)(?:の(\d+|[一二三四五六七八九十]+))?")),
    ("dai", re.compile(rf"^第{_NUM}(){_SEP}")),
    (
        "dotted",
        re.compile(
            r"^(\d+(?:\.\d+)+|\d+(?:-\d+)+)\.?((?:\([0-9a-zA-Z]{1,3}\)|-\d+)*)(?: ([a-z])\))?"
            + _SEP
        ),
    ),
    ("code", re.compile(r"^([A-Za-z]{1,4}\d{0,4}-\d{1,5})" + _SEP)),  # R8-002: a register row
    ("num.", re.compile(r"^(\d+)\.(?!\d)")),
    ("num)", re.compile(r"^(\d+)\)")),
    ("num", re.compile(r"^(\d+)" + _SEP)),
    ("(num)", re.compile(r"^\((\d+)\)")),
    ("(kana)", re.compile(rf"^\(([{_KANA}])\)")),
    ("kana", re.compile(rf"^([{_KANA}])(?=[\s\u3000.、])")),
    ("circled", re.compile(r"^([\u2460-\u2473])")),
    ("(latin)", re.compile(r"^\(([a-z])\)")),
    ("(LATIN)", re.compile(r"^\(([A-Z])\)")),
    ("latin)", re.compile(r"^([a-z])\)")),
    ("kanji", re.compile(r"^([一二三四五六七八九十]+)" + _SEP)),
]


# Paragraph-level numbering: below any 第N章/条 and any dotted section number.
_ITEM_KINDS = frozenset(
    ("num", "num.", "num)", "(num)", "kana", "(kana)", "circled", "(latin)", "(LATIN)", "latin)")
) | {"kanji"}


@dataclass(frozen=True)
class Clause:
    """One retrievable unit: a numbered item (or a sentence-bounded piece of a long one)."""

    ordinal: int
    path: str
    heading: str
    page: int | None
    text: str
    char_start: int
    char_end: int
    ocr: bool = False
    aside: str = ""


@dataclass
class _Marker:
    kind: str
    ordinal: int
    label: str
    components: tuple[str, ...] = ()
    spaced: bool = True  # followed by a space, a tab or the end of the line


@dataclass
class _Node:
    marker: _Marker
    start: int
    title: str
    page: int | None
    heading_level: int | None = None
    children: int = 0
    lines: int = 1
    end: int = 0
    ancestors: list[_Node] = field(default_factory=list)
    table: bool = False  # opened by a table row
    of: _Node | None = None  # the clause this one goes on with (same path)
    ocr: bool = False
    asides: set[str] = field(default_factory=set)

    def add(self, block: Block) -> None:
        """Note what a block of this node was read from."""
        self.ocr = self.ocr or block.ocr
        self.asides.add(block.aside)


def _to_int(num: str) -> int:
    if num.isdigit():
        return int(num)
    total, current = 0, 0
    for ch in num:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            current = current * 10 + _KANJI.get(ch, 0)
    return total + current


def parse_marker(line: str) -> tuple[_Marker, int] | None:
    """The numbering marker at the start of a line and the length of the line's marker part."""
    lead = len(line) - len(line.lstrip(" \t\u3000"))
    s = line[lead:].translate(_WIDTH)
    prefix = _LABEL_PREFIX.match(s)
    if prefix and any(p.match(s[prefix.end() :]) for k, p in _PATTERNS if k == "dotted"):
        lead += prefix.end()
        s = s[prefix.end() :]
    for kind, pattern in _PATTERNS:
        m = pattern.match(s)
        if not m:
            continue
        raw = line[lead : lead + m.end()].strip(" \t\u3000").translate(_WIDTH)
        if kind == "num.":
            raw = raw.rstrip(".")
        if kind == "dai":
            unit = m.group(2)
            return _Marker(f"dai{unit}", _to_int(m.group(1)), raw), lead + m.end()
        if kind == "dotted":
            parts = tuple(re.split(r"[.\-]", m.group(1))) + tuple(
                re.findall(r"\(\w+\)|-\d+", m.group(2))
            )
            if m.group(3):
                parts += (m.group(3) + ")",)
            return _Marker("dotted", 0, raw.rstrip("."), parts), lead + m.end()
        token = m.group(1)
        if kind in ("kana", "(kana)"):
            ordinal = _KANA.index(token) + 1
        elif kind == "circled":
            ordinal = ord(token) - 0x2460 + 1
        elif kind in ("(latin)", "latin)"):
            ordinal = ord(token) - ord("a") + 1
        elif kind == "(LATIN)":
            ordinal = ord(token) - ord("A") + 1
        elif kind == "code":
            ordinal = 0  # only a table row's first cell is taken as such an id
        else:
            ordinal = _to_int(token)
        after = s[m.end() : m.end() + 1]
        spaced = after in ("", " ", "\t", "\u3000", "|")
        return _Marker(kind, ordinal, raw, spaced=spaced), lead + m.end()
    return None


def _title(line: str, marker_end: int) -> str:
    rest = line[marker_end:].strip(" \t\u3000|")
    return rest[:40]


def _repeats(node: _Node, nodes: list[_Node], marker: _Marker) -> bool:
    """Whether a marker line only repeats the id of the dotted node opened on the line before."""
    if node is not nodes[-1] or node.lines != 1 or node.title or node.marker.kind != "dotted":
        return False
    label = marker.label.translate(_WIDTH).replace(" ", "")
    own = node.marker.label.translate(_WIDTH).replace(" ", "")
    last = node.marker.components[-1] if node.marker.components else ""
    return label in (own, last)


def _accept(stack: list[_Node], marker: _Marker, forced: bool) -> bool:
    if marker.kind == "dotted" or marker.kind.startswith("dai") or forced:
        return True
    for node in reversed(stack):
        if node.marker.kind == marker.kind:
            step = marker.ordinal - node.marker.ordinal
            # a gap in the numbering is believed only when the marker stands apart from the text
            return step == 1 or marker.ordinal == 1 or (step > 1 and marker.spaced)
    if marker.ordinal == 1:
        return True
    # In an article (第N条) the first paragraph is unnumbered and the second starts at ２.
    return (
        marker.kind == "num"
        and marker.ordinal == 2
        and bool(stack)
        and stack[-1].marker.kind.startswith("dai")
    )


def _place(stack: list[_Node], marker: _Marker, heading_level: int | None) -> None:
    """Pop the stack to where a node with this marker belongs."""
    if heading_level is not None:
        while stack and not (
            stack[-1].heading_level is not None and stack[-1].heading_level < heading_level
        ):
            stack.pop()
        return
    if marker.kind[3:] in ("条", "章", "節", "款", "編", "部") and marker.kind.startswith("dai"):
        # An article (第N条) never sits inside a paragraph item: 「1 件名」 … 「4 支払方法」 on a
        # contract's cover page are items of their own, and 第1条 follows them, not item 4.
        while stack and stack[-1].marker.kind in _ITEM_KINDS and stack[-1].heading_level is None:
            stack.pop()
    if marker.kind == "dotted":
        for i in range(len(stack) - 1, -1, -1):
            comps = stack[i].marker.components
            if (
                stack[i].marker.kind == "dotted"
                and marker.components[: len(comps)] == comps
                and len(comps) < len(marker.components)
            ):
                del stack[i + 1 :]
                return
        first = next((i for i, n in enumerate(stack) if n.marker.kind == "dotted"), None)
        if first is not None:
            del stack[first:]
        return
    for i in range(len(stack) - 1, -1, -1):
        if stack[i].marker.kind == marker.kind:
            del stack[i:]
            return


def _pieces(text: str, start: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentence-bounded spans (absolute offsets) of at most about ``max_chars`` characters."""
    if len(text) <= max_chars:
        return [(start, start + len(text))]
    bounds = [m.end() for m in re.finditer(r"。|\n", text)]
    if not bounds or bounds[-1] != len(text):
        bounds.append(len(text))
    spans: list[tuple[int, int]] = []
    begin = 0
    last = 0
    for b in bounds:
        if b - begin > max_chars and last > begin:
            spans.append((begin, last))
            begin = last
        while b - begin > 2 * max_chars:  # a run-on sentence: cut it hard
            spans.append((begin, begin + max_chars))
            begin += max_chars
        last = b
    if begin < len(text):
        spans.append((begin, len(text)))
    out = []
    for a, b in spans:
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail > lead:
            out.append((start + a + lead, start + a + trail))
    return out


def split_clauses(blocks: list[Block], max_chars: int = 400) -> tuple[str, list[Clause]]:
    """Split blocks into clauses.

    Returns:
        The document text (blocks joined by newlines) and its clauses, whose ``text`` is
        exactly ``document_text[char_start:char_end]``.

    """
    text = "\n".join(b.text for b in blocks)
    levels = [b.heading_level for b in blocks]
    headed = [lv for lv in levels if lv]
    if headed and levels[0] == min(headed) and headed.count(levels[0]) == 1:
        levels[0] = 0  # a lone top heading at the very start is the document's title
    nodes: list[_Node] = []
    stack: list[_Node] = []
    offset = 0
    preamble: _Node | None = None
    previous, previous_opened = "", False
    for block, level in zip(blocks, levels, strict=True):
        line = block.text
        level = level or None  # level 0 (a title) is ordinary text
        labelled = parse_marker(block.label) if block.label else None
        if labelled is not None:
            parsed: tuple[_Marker, int] | None = (labelled[0], 0)
        else:
            parsed = parse_marker(line)
        forced = level is not None or block.table_row or labelled is not None
        if parsed is None and level is not None:
            marker = _Marker(f"h{level}", 0, line.strip()[:30])
            parsed = (marker, len(line) - len(line.lstrip()))
            title = ""
        elif parsed is not None:
            title = _title(line, parsed[1])
        if parsed is not None and stack and _repeats(stack[-1], nodes, parsed[0]):
            # "[遵守事項] 2.1.1(1)(a)" followed by "(a) text": the marker is said twice.
            stack[-1].title = _title(line, parsed[1])
        elif parsed is not None and _accept(stack, parsed[0], forced):
            marker = parsed[0]
            while stack and stack[-1].table and not block.table_row:
                stack.pop()  # the table has ended
            _place(stack, marker, level)
            if stack:
                stack[-1].children += 1
            start = offset
            if nodes and not previous_opened and _CAPTION.match(previous):
                # 「（再委託）」 above 「第8条」 is the article's caption, not the end of 第7条
                start = offset - len(previous) - 1
                nodes[-1].lines -= 1
                title = previous.strip()
            node = _Node(marker, start, title, block.page, level, ancestors=list(stack))
            node.table = block.table_row
            if nodes:
                nodes[-1].end = start
            nodes.append(node)
            stack.append(node)
        elif nodes and (block.table_row or nodes[-1].table) and line.strip():
            # A row without an id is a clause of its own; a paragraph after a table goes on with
            # the clause the table stands in. Both take the path of the clause around them.
            while stack and stack[-1].table:
                stack.pop()
            if stack:
                around = stack[-1]
                marker, ancestors = around.marker, around.ancestors
            else:
                marker, ancestors = _Marker("pre", 0, PREAMBLE), []
            node = _Node(marker, offset, "", block.page, None, ancestors=list(ancestors))
            node.table, node.of = block.table_row, stack[-1] if stack else None
            nodes[-1].end = offset
            nodes.append(node)
        elif nodes:
            nodes[-1].lines += 1
        elif preamble is None and line.strip():
            preamble = _Node(_Marker("pre", 0, PREAMBLE), offset, "", block.page)
            nodes.append(preamble)
        if nodes and line.strip():
            nodes[-1].add(block)
        offset += len(line) + 1
        previous_opened = (
            bool(nodes)
            and nodes[-1].start == offset - len(line) - 1
            and nodes[-1].marker.kind != "pre"
        )
        previous = line
    if nodes:
        nodes[-1].end = len(text)

    clauses: list[Clause] = []
    for i, node in enumerate(nodes):
        body = text[node.start : node.end]
        stripped = body.strip()
        if not stripped:
            continue
        after = nodes[i + 1] if i + 1 < len(nodes) else None
        has_child = after is not None and (node in after.ancestors or after.of is node)
        if has_child and node.lines == 1 and "。" not in stripped and len(stripped) <= 60:
            continue  # a bare heading: it lives on as the children's heading
        chain = node.ancestors + [node]
        path = " > ".join(n.marker.label for n in chain)
        heading = " > ".join(
            (f"{n.marker.label} {n.title}".strip() if n.title else n.marker.label)
            for n in node.ancestors
        )
        lead = len(body) - len(body.lstrip())
        start = node.start + lead
        end = node.start + len(body.rstrip())
        asides = node.asides - {""} if "" not in node.asides else set()
        aside = next(iter(asides)) if len(asides) == 1 else ""
        for part_start, part_end, part_aside in _parts(text, start, end, aside):
            for a, b in _pieces(text[part_start:part_end], part_start, max_chars):
                n = len(clauses)
                clauses.append(
                    Clause(n, path, heading, node.page, text[a:b], a, b, node.ocr, part_aside)
                )
    return text, clauses


def _parts(text: str, start: int, end: int, aside: str) -> list[tuple[int, int, str]]:
    """The item's own words, and its explanation (``COMMENTARY``) when one follows them."""
    offset = start
    for line in text[start:end].split("\n"):
        if offset > start and EXPLANATION.match(line) and text[start:offset].strip():
            return [(start, offset, aside), (offset, end, COMMENTARY)]
        offset += len(line) + 1
    return [(start, end, aside)]
