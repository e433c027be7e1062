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

Structure beyond numbering, by general rules (never by a document's name):

- a list of contents (目次, see ``ingest.contents``) is no level: its lines give no clause, and the
  body after it nests as if it were not there;
- 別添1, （別添２）, 別紙, 別表第一, 附属書, 付録 open a part of the document: nothing but the
  document's own title holds it;
- a 【…】 line on its own is a heading (closing the items open before it); 【解説】 and the like
  stay explanations, and 【取扱注意：機密性2】 (a field and its value) is text;
- ⑴⑵ are read as (1)(2), ⒜ as (a), ㉑… as circled numbers;
- a bullet (● ○ ◆ ◇ ■ ◎ ・) before a sentence is a sub-item of the clause it stands in (●1, ●2 …);
  a bullet before a fragment (「・研修」) stays text of that clause;
- a question (Q1, 問3) opens an item that holds its answer (A., 答): numbering and bullets inside
  the answer are its text;
- a heading standing alone with no text under it, short and without a sentence end (a slide's
  title, a 【…】 line), goes on with the clause after it instead of making an item of its own.

Nesting follows the order in which marker kinds appear: a kind already open closes everything
opened after it (a sibling), a new kind opens a child. A marker whose number does not continue
its kind's sequence (or start one) is taken as ordinary text, which keeps a line that merely
begins with "(3)" from breaking a clause in two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.contents import contents_lines
from ingest.readers import COMMENTARY, Block

PREAMBLE = "前文"
# Bump when a change to this module splits the same file differently: ingest then re-splits
# unchanged files (embeddings of unchanged clauses are reused from the cache).
SPLITTER_VERSION = 5
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

# 別添1, （別添２）, 別紙, 別表第一, 附属書A, 付録3: a part of its own, never in the body's items
_PART = re.compile(
    r"^\(?(別添|別紙|別表|附属書|付属書|付録|添付資料)(第)?(\d+|[一二三四五六七八九十]+|[A-Z])?(\))?"
)
_PART_MAX = 60  # characters of a part's heading line
_BRACKET = re.compile(r"^【([^】]{1,30})】[\s\u3000]*$")  # 【基本的な考え方】 on its own line
_QA = re.compile(r"^(Q|問)[ \u3000]?(\d+(?:-\d+)*)(?:[.:：)、]|(?=[\s\u3000]|$))")  # Q1. / 問３
# a bullet, before a sentence only; 「○○市は」 is a placeholder, no bullet
_BULLET = re.compile(r"^([●○◆◇■◎・･])(?!\1)[\s\u3000]*(?=\S)")
_SENTENCE_END = ("。", "．", ".")
_BULLETS = frozenset("●○◆◇■◎・")
_FRAGMENT_MAX = 40  # characters of a heading that goes on with the text after it
CONTENTS = "contents"
_NOT_IN_TABLES = frozenset({"part", "bracket", *(f"bullet{b}" for b in _BULLETS)})
_ENCLOSED = {
    **{chr(0x2474 + i): ("(num)", i + 1, f"({i + 1})") for i in range(20)},  # ⑴…⒇
    **{chr(0x249C + i): ("(latin)", i + 1, f"({chr(0x61 + i)})") for i in range(26)},  # ⒜…⒵
    **{chr(0x3251 + i): ("circled", 21 + i, chr(0x3251 + i)) for i in range(15)},  # ㉑…㉟
    **{chr(0x32B1 + i): ("circled", 36 + i, chr(0x32B1 + i)) for i in range(15)},  # ㊱…㊿
}

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


def _is_item(kind: str) -> bool:
    """Paragraph-level numbering or a bullet: what a heading, a part or a question closes."""
    return kind in _ITEM_KINDS or kind.startswith("bullet")


def is_sentence(text: str) -> bool:
    """Whether a line says something whole (has a sentence end), not a fragment of a slide."""
    s = text.strip(" \t\u3000")
    return "。" in s or s.endswith(_SENTENCE_END)


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
    bullets: dict[str, int] = field(default_factory=dict)  # bullets under it, by symbol
    root: bool = False  # the one heading of the top level: the document's own name
    note: bool = False  # an explanation after the bullets of the clause it goes on with

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
    special = _special_marker(s)
    if special is not None:
        return special[0], lead + special[1]
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


def _special_marker(s: str) -> tuple[_Marker, int] | None:
    """Parts (別添1), 【…】 headings, questions (Q1), enclosed numbers (⑴, ⒜) and bullets.

    ``s`` is the line from its first character on, with widths made even. A bullet is a marker
    only before a sentence: a slide's fragments (「・生成AI」) stay with the text around them.
    """
    if s[:1] in _ENCLOSED:
        kind, ordinal, label = _ENCLOSED[s[0]]
        after = s[1:2]
        return _Marker(kind, ordinal, label, spaced=after in ("", " ", "\t", "\u3000")), 1
    m = _PART.match(s)
    if m and (m.group(3) or m.group(4) or len(s.strip()) == m.end()):
        rest = s[m.end() :]
        opened = m.group(0).startswith("(")
        if (
            (not rest.strip() or rest[0] in " \t\u3000(「:：-" or (opened and m.group(4)))
            and opened == bool(m.group(4))
            and "。" not in s
            and len(s.strip()) <= _PART_MAX
        ):
            label = m.group(1) + (m.group(2) or "") + (m.group(3) or "")
            ordinal = _to_int(m.group(3)) if m.group(3) and not m.group(3).isalpha() else 1
            return _Marker("part", ordinal, label), m.end()
    m = _BRACKET.match(s)
    if m and not EXPLANATION.match(s) and not re.search(r"[:：]", m.group(1)):
        # 【取扱注意：機密性2】 is a field and its value, not a heading
        return _Marker("bracket", 0, f"【{m.group(1).strip()}】"), m.end()
    m = _QA.match(s)
    if m:
        return _Marker("qa", 0, f"{m.group(1)}{m.group(2)}"), m.end()
    m = _BULLET.match(s)
    if m and is_sentence(s[m.end() :]):
        symbol = "・" if m.group(1) == "･" else m.group(1)
        return _Marker(f"bullet{symbol}", 0, symbol), m.end()
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
    if marker.kind in ("dotted", "part", "bracket", "qa") or marker.kind.startswith("dai"):
        return True
    if forced:
        return True
    question = next((i for i in range(len(stack) - 1, -1, -1) if stack[i].marker.kind == "qa"), -1)
    if question >= 0 and not any(n.marker.kind == marker.kind for n in stack[:question]):
        return False  # a question's answer is one item: its own numbering and bullets are text
    if marker.kind.startswith("bullet"):
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
    if marker.kind == "part" and heading_level is None:
        # 別添1 is a part of the document: no heading or item holds it but the document's title
        del stack[1 if stack and stack[0].root else 0 :]
        return
    if heading_level is not None:
        while stack and not (
            stack[-1].heading_level is not None and stack[-1].heading_level < heading_level
        ):
            stack.pop()
        return
    if marker.kind in ("bracket", "qa"):
        # a 【…】 heading or a question is never a bullet's sub-item
        while stack and stack[-1].marker.kind.startswith("bullet"):
            stack.pop()
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
    rows = {i for i, b in enumerate(blocks) if b.table_row}
    contents = contents_lines([b.text for b in blocks], rows)
    levels = [None if i in contents else b.heading_level for i, b in enumerate(blocks)]
    headed = [lv for lv in levels if lv]
    if headed and levels[0] == min(headed) and headed.count(levels[0]) == 1:
        levels[0] = 0  # a lone top heading at the very start is the document's title
    headed = [lv for lv in levels if lv]
    top = min(headed) if headed and headed.count(min(headed)) == 1 else None
    nodes: list[_Node] = []
    stack: list[_Node] = []
    offset = 0
    preamble: _Node | None = None
    previous, previous_opened = "", False
    bullets: dict[str, int] = {}  # bullets at the top, by symbol (a node counts its own)
    for index, (block, level) in enumerate(zip(blocks, levels, strict=True)):
        line = block.text
        if index in contents:
            # a list of contents is no level of the document: its lines are left out of clauses
            if not (nodes and nodes[-1].marker.kind == CONTENTS):
                if nodes:
                    nodes[-1].end = offset
                nodes.append(_Node(_Marker(CONTENTS, 0, ""), offset, "", block.page))
            offset += len(line) + 1
            previous, previous_opened = "", False
            continue
        level = level or None  # level 0 (a title) is ordinary text
        labelled = parse_marker(block.label) if block.label else None
        if labelled is None and block.label.strip() in _BULLETS and is_sentence(line):
            labelled = (_Marker(f"bullet{block.label.strip()}", 0, block.label.strip()), 0)
        if labelled is not None:
            parsed: tuple[_Marker, int] | None = (labelled[0], 0)
        else:
            parsed = parse_marker(line)
        if parsed and block.table_row and parsed[0].kind in _NOT_IN_TABLES:
            parsed = None  # a cell 「○」「別表1」「【注意】」 is the row's text
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
            if marker.kind.startswith("bullet"):
                counts = stack[-1].bullets if stack else bullets
                counts[marker.kind] = marker.ordinal = counts.get(marker.kind, 0) + 1
                marker.label = f"{marker.label}{marker.ordinal}"
            start = offset
            if nodes and not previous_opened and _CAPTION.match(previous):
                # 「（再委託）」 above 「第8条」 is the article's caption, not the end of 第7条
                start = offset - len(previous) - 1
                nodes[-1].lines -= 1
                title = previous.strip()
            part = marker.kind == "part" and level is None
            level = 0 if part else level
            node = _Node(marker, start, title, block.page, level, ancestors=list(stack))
            node.table, node.root = block.table_row, level is not None and level == top
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
        elif nodes and nodes[-1].marker.kind == CONTENTS and line.strip():
            # the body after a list of contents goes on with the clause before it
            around = stack[-1] if stack else preamble
            marker = around.marker if around else _Marker("pre", 0, PREAMBLE)
            ancestors = around.ancestors if around else []
            node = _Node(marker, offset, "", block.page, None, ancestors=list(ancestors))
            node.of = around
            nodes[-1].end = offset
            nodes.append(node)
            preamble = preamble or node
        elif stack and stack[-1].marker.kind.startswith("bullet") and EXPLANATION.match(line):
            # 【解説】 after a list of bullets explains the clause the bullets stand in
            while stack and stack[-1].marker.kind.startswith("bullet"):
                stack.pop()
            around = stack[-1] if stack else preamble
            marker = around.marker if around else _Marker("pre", 0, PREAMBLE)
            ancestors = around.ancestors if around else []
            node = _Node(marker, offset, "", block.page, None, ancestors=list(ancestors))
            node.of, node.note = around, True
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
    shown = [_shown(text, nodes, i) for i in range(len(nodes))]
    carried: int | None = None  # where a heading standing alone begins: it goes on with the next
    for i, node in enumerate(nodes):
        if not shown[i]:
            carried = None
            continue
        body = text[node.start : node.end]
        stripped = body.strip()
        if (
            i + 1 < len(nodes)
            and shown[i + 1]
            and _alone(node, stripped)
            and not nodes[i + 1].table
            and nodes[i + 1] not in [*node.ancestors, node]
        ):
            carried = node.start if carried is None else carried
            continue
        chain = node.ancestors + [node]
        path = " > ".join(n.marker.label for n in chain)
        heading = " > ".join(
            (f"{n.marker.label} {n.title}".strip() if n.title else n.marker.label)
            for n in node.ancestors
        )
        lead = len(body) - len(body.lstrip())
        start = node.start + lead
        if carried is not None:
            start = carried + len(text[carried:start]) - len(text[carried:start].lstrip())
            carried = None
        end = node.start + len(body.rstrip())
        asides = node.asides - {""} if "" not in node.asides else set()
        aside = COMMENTARY if node.note else next(iter(asides)) if len(asides) == 1 else ""
        for part_start, part_end, part_aside in _parts(text, start, end, aside):
            for a, b in _pieces(text[part_start:part_end], part_start, max_chars):
                n = len(clauses)
                clauses.append(
                    Clause(n, path, heading, node.page, text[a:b], a, b, node.ocr, part_aside)
                )
    return text, clauses


def _shown(text: str, nodes: list[_Node], i: int) -> bool:
    """Whether a node gives clauses: not a list of contents, nor a bare heading over children."""
    node = nodes[i]
    stripped = text[node.start : node.end].strip()
    if node.marker.kind == CONTENTS or not stripped:
        return False
    after = nodes[i + 1] if i + 1 < len(nodes) else None
    has_child = after is not None and (node in after.ancestors or after.of is node)
    # a bare heading: it lives on as the children's heading
    return not (has_child and node.lines == 1 and "。" not in stripped and len(stripped) <= 60)


def _alone(node: _Node, stripped: str) -> bool:
    """A heading that stands alone (a slide's title, a 【…】 line) with no text under it."""
    return (
        (node.marker.kind.startswith("h") or node.marker.kind == "bracket")
        and node.lines == 1
        and not node.table
        and len(stripped) <= _FRAGMENT_MAX
        and not is_sentence(stripped)
    )


def _parts(text: str, start: int, end: int, aside: str) -> list[tuple[int, int, str]]:
    """The item's own words, and its explanation (``COMMENTARY``) when one follows them."""
    offset = start
    for line in text[start:end].split("\n"):
        if offset > start and EXPLANATION.match(line) and text[start:offset].strip():
            return [(start, offset, aside), (offset, end, COMMENTARY)]
        offset += len(line) + 1
    return [(start, end, aside)]
