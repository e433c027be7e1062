"""Word files: paragraphs with their rendered list numbers, headings and tables."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.readers.blocks import CELL, FORM, Block, Notify, check_ooxml, open_package, quiet

_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(\d)$", re.IGNORECASE)
_KANA_AIUEO = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
)
_KANA_IROHA = (
    "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス"
)
_KANJI_DIGITS = "〇一二三四五六七八九"
_BOX = re.compile("[□☐■☑☒▢]")
_SENTENCE = (
    "こと",
    "ます",
    "する",
    "しない",
    "です",
    "である",
)  # a duty or a statement, not a choice
_BLANK = re.compile(r"[（(][）)]|[「［\[][」］\]]|_+")  # an empty blank, once spaces are gone


def _kanji_number(n: int) -> str:
    if n < 10:
        return _KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _KANJI_DIGITS[tens]) + "十" + (_KANJI_DIGITS[ones] if ones else "")


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += sym
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """Render counter ``n`` in a Word number format (numFmt)."""
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate(full)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("aiueoFullWidth", "aiueo"):
        return _KANA_AIUEO[(n - 1) % len(_KANA_AIUEO)]
    if fmt in ("irohaFullWidth", "iroha"):
        return _KANA_IROHA[(n - 1) % len(_KANA_IROHA)]
    if fmt == "decimalEnclosedCircle":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else f"({n})"
    if fmt in ("decimalEnclosedParen",):
        return f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return f"{n}."
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt in ("japaneseCounting", "ideographDigital", "japaneseLegal", "chineseCounting"):
        return _kanji_number(n)
    if fmt == "none":
        return ""
    return str(n)


class _Numbering:
    """Renders Word's automatic list numbers the way Word displays them."""

    def __init__(self, document: object) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.num_to_abstract: dict[str, str] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element  # type: ignore[attr-defined]
        except (NotImplementedError, KeyError, AttributeError):
            return
        for absn in root.findall(qn("w:abstractNum")):
            aid = absn.get(qn("w:abstractNumId"))
            lvls = {}
            for lvl in absn.findall(qn("w:lvl")):
                ilvl = int(lvl.get(qn("w:ilvl"), "0"))
                fmt = self._val(lvl, "w:numFmt") or "decimal"
                text = self._val(lvl, "w:lvlText") or ""
                start = int(self._val(lvl, "w:start") or "1")
                lvls[ilvl] = (fmt, text, start)
            self.levels[aid] = lvls
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.num_to_abstract[num.get(qn("w:numId"))] = ref.get(qn("w:val"))

    def _val(self, el: object, tag: str) -> str | None:
        child = el.find(self._qn(tag))  # type: ignore[attr-defined]
        return None if child is None else child.get(self._qn("w:val"))

    def label(self, paragraph: object) -> str:
        """The rendered number of a paragraph, or '' when it is not numbered."""
        p = paragraph._p  # type: ignore[attr-defined]
        num_pr = p.pPr.numPr if p.pPr is not None else None
        if num_pr is None:
            style = paragraph.style  # type: ignore[attr-defined]
            while style is not None and num_pr is None:
                ppr = style.element.pPr
                num_pr = ppr.numPr if ppr is not None else None
                style = style.base_style
        if num_pr is None or num_pr.numId is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
        aid = self.num_to_abstract.get(num_id)
        lvls = self.levels.get(aid or "", {})
        if ilvl not in lvls:
            return ""
        counters = self.counters.setdefault(aid or num_id, [0] * 9)
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else lvls[ilvl][2]
        fmt, text, _ = lvls[ilvl]
        if fmt == "bullet":
            return "・"

        def repl(m: re.Match[str]) -> str:
            level = int(m.group(1)) - 1
            lf = lvls.get(level, ("decimal", "", 1))[0]
            value = counters[level] or lvls.get(level, ("", "", 1))[2]
            return format_number(value, lf)

        return re.sub(r"%(\d)", repl, text)


def _heading_level(paragraph: object) -> int | None:
    name = getattr(paragraph.style, "name", "") or ""  # type: ignore[attr-defined]
    if name.lower() == "title" or name == "表題":
        return 0  # the document's title, not a level of its clauses
    m = _HEADING_STYLE.match(name.strip())
    return int(m.group(1)) if m else None


def _table_rows(table: object) -> list[list[str]]:
    """A table's rows as a person sees them: each cell once, then the rows of tables in cells.

    A cell merged across columns (gridSpan) is one cell; one merged down rows (vMerge) is read in
    its first row only, not repeated below. A cell's paragraphs are joined by a space; a table
    inside a cell gives rows of its own after the row that holds it.
    """
    from docx.table import _Cell

    rows: list[list[str]] = []
    for row in table.rows:  # type: ignore[attr-defined]
        texts: list[str] = []
        inner: list[object] = []
        for tc in row._tr.tc_lst:
            if tc.vMerge == "continue":
                continue
            cell = _Cell(tc, table)  # type: ignore[arg-type]
            # a tab in a cell is not the end of the cell: it is read as a space
            lines = (p.text.strip().replace("\n", " ").replace(CELL, " ") for p in cell.paragraphs)
            text = " ".join(line for line in lines if line)
            if text:
                texts.append(text)
            inner.extend(cell.tables)
        if texts:
            rows.append(texts)
        for nested in inner:
            rows.extend(_table_rows(nested))
    return rows


def is_form_choice(text: str) -> bool:
    """A form's boxes to tick (「□要　□不要」「☐有・☐無」): a choice for whoever fills it in.

    Two or more boxes, or one box before a short word and little else (a blank to fill in, such
    as 「（　　）」, counts for nothing), make a choice; a sentence that merely mentions a box, or
    one a box stands before as a bullet (「□ 報告すること」), is not one. A table row is a choice
    when any of its cells is.
    """
    if CELL in text:
        return any(is_form_choice(cell) for cell in text.split(CELL))
    boxes = _BOX.findall(text)
    if len(boxes) >= 2:
        return True
    rest = _BLANK.sub("", re.sub(r"[\s\u3000]+", "", _BOX.sub("", text)))
    return len(boxes) == 1 and len(rest) <= 20 and "。" not in rest and not rest.endswith(_SENTENCE)


def read_docx(path: Path, say: Notify = quiet) -> list[Block]:
    """Word: paragraphs (heading styles and automatic numbering apart as the label) and tables.

    The text of a block is what Word shows of the paragraph itself; the list number Word draws in
    front of it is the block's ``label`` (it gives the clause path and is never quoted). A table
    row is one block whose cells are joined by ``CELL``. A form's boxes to tick are set aside.
    Pages are counted from explicit and last-rendered page breaks when the file has them.
    """
    check_ooxml(path, "Word ファイル", "Word file")
    import docx
    from docx.table import Table

    document = open_package(path, docx.Document)
    numbering = _Numbering(document)
    body = document.element.body
    has_pages = bool(
        body.xpath(".//w:lastRenderedPageBreak") or body.xpath('.//w:br[@w:type="page"]')
    )
    page = 1
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        at = page if has_pages else None
        if isinstance(item, Table):
            for cells in _table_rows(item):
                text = CELL.join(cells)
                aside = FORM if is_form_choice(text) else ""
                blocks.append(Block(text, page=at, table_row=True, aside=aside))
            page += len(item._tbl.xpath(".//w:lastRenderedPageBreak"))
            continue
        # Word records where a rendered page began; an explicit break ends the page after it.
        page += len(item._p.xpath(".//w:lastRenderedPageBreak"))
        label = numbering.label(item)
        text = item.text.strip()
        blocks.append(
            Block(
                text,
                page=page if has_pages else None,
                heading_level=_heading_level(item),
                label=label if text else "",
                aside=FORM if is_form_choice(text) else "",
            )
        )
        page += len(item._p.xpath('.//w:br[@w:type="page"]'))
    return blocks
