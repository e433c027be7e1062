"""The lines and ruled tables of a PDF page, with where they stand and how they are set.

pdfplumber (on pdfminer.six) gives each character its box, font and size. A page's characters
are grouped into lines; the characters inside a ruled table are read as the table's rows instead
(one row, its cells apart), so a table's text is never read a second time as plain lines.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ingest.readers.blocks import CELL

_BOLD = re.compile(r"bold|black|heavy|demi|semibold|-W[6-9]\b|W[6-9]$", re.IGNORECASE)
_SYMBOL_FONT = re.compile(r"wingding|symbol|webding|dingbat", re.IGNORECASE)
_ENDS_LATIN = re.compile(r"[A-Za-z0-9,]$")
_STARTS_LATIN = re.compile(r"^[A-Za-z0-9]")
_OPENERS = "「『（(［[【〔〈《\"'“‘"
_WORD_CHAR = re.compile(r"[A-Za-z0-9@._/:%&+\-]")
# A line that starts an item of its own: a bullet, (1), 1., ア, ①, 第N条 …
ITEM_START = re.compile(
    r"^[\s\u3000]*(?:[・･•◦▪■□●○◆◇◎※➢➤►▶→\-－‐*＊]|"
    r"[（(][0-9０-９a-zA-Zア-ン一二三四五六七八九十]{1,3}[）)]|"
    r"[0-9０-９]{1,3}(?:[.．][0-9０-９]+)*[.．)）]?[\s\u3000]|"
    r"[ア-ン][\s\u3000.、]|[A-Za-z][)）]|[\u2460-\u2473]|第[0-9０-９一二三四五六七八九十]+[章節条款項])"
)


@dataclass
class Line:
    """One line of a page (or one row of a table, with ``cells``)."""

    text: str
    page: int  # physical page, 1-based
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0  # the size most of its characters are set in
    bold: bool = False
    marked: bool = False  # an image or a blank stands before the text (a number drawn apart)
    lead: float = 0.0  # the width of its first unbreakable piece (a kanji, a Latin word)
    cells: list[str] | None = None  # a table row's cells
    placed: bool = True  # False for lines read by OCR: no geometry
    level: int | None = None  # heading level, once known (0: the document's title)
    label: str = ""  # a heading number recovered from the outline, the contents or the order
    drop: bool = False  # a running line or a line of the table of contents
    extra: dict[str, Any] = field(default_factory=dict)


def join_wrapped(first: str, second: str) -> str:
    """Two pieces of text a layout wrapped apart, as a person reads them on one line.

    Japanese text runs on without a space; two Latin words get one.
    """
    sep = " " if _ENDS_LATIN.search(first) and _STARTS_LATIN.match(second) else ""
    return first + sep + second


def _style(chars: list[dict[str, Any]]) -> tuple[float, bool]:
    weights: Counter[float] = Counter()
    bold = 0
    counted = 0
    for c in chars:
        if c["text"].isspace() or _SYMBOL_FONT.search(c.get("fontname", "")):
            continue
        weights[round(float(c["size"]), 1)] += 1
        bold += bool(_BOLD.search(c.get("fontname", "")))
        counted += 1
    if not counted:
        return 0.0, False
    return weights.most_common(1)[0][0], bold * 2 > counted


def _inside(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _contains(outer: tuple[float, ...], inner: tuple[float, ...]) -> bool:
    return (
        outer[0] - 1 <= inner[0]
        and outer[1] - 1 <= inner[1]
        and inner[2] <= outer[2] + 1
        and inner[3] <= outer[3] + 1
    )


def _cell_text(text: str) -> str:
    """A cell's lines as one: wrapped lines run on; a line that starts an item keeps a space."""
    out = ""
    for raw in text.splitlines():
        piece = raw.strip()
        if not piece:
            continue
        if not out:
            out = piece
        elif piece[0] in "・･-－ー•◦▪■□●○◆◇※➢>" or out.endswith(("。", "：", ":")):
            out = out + " " + piece
        else:
            out = join_wrapped(out, piece)
    return out


def _rows(table: Any) -> list[tuple[tuple[float, ...], list[tuple[tuple[float, ...], str]]]]:
    """A table's rows, each with its cells' boxes and texts (empty cells left out).

    A ruled box drawn inside one row's height (a cell split by a shading line, its wrapped text
    cut in two) is no row of its own: its text goes on in the cell of the row above it.
    """
    rows: list[tuple[tuple[float, ...], list[tuple[tuple[float, ...], str]]]] = []
    for row, texts in zip(table.rows, table.extract(), strict=False):
        cells = [
            (tuple(box), _cell_text(text))
            for box, text in zip(row.cells, texts, strict=False)
            if box is not None and text
        ]
        cells = [(box, text) for box, text in cells if text]
        box = tuple(row.bbox)
        if rows and rows[-1][0][1] - 1 <= box[1] and box[3] <= rows[-1][0][3] + 1:
            above = rows[-1][1]
            for cbox, text in cells:
                at = next(
                    (
                        i
                        for i, (b, _) in enumerate(above)
                        if b[0] - 1 <= cbox[0] and cbox[2] <= b[2] + 1
                    ),
                    None,
                )
                if at is None:
                    above.append((cbox, text))
                else:
                    above[at] = (above[at][0], join_wrapped(above[at][1], text))
            continue
        rows.append((box, cells))
    return rows


def _lead(visible: list[dict[str, Any]]) -> float:
    """The width of a line's first unbreakable piece: a character, or a bracketed Latin word.

    The line above was wrapped before this piece when the piece did not fit at its end.
    """
    end = 0
    while end < len(visible) - 1 and visible[end]["text"] in _OPENERS:
        end += 1
    if _WORD_CHAR.match(visible[end]["text"]):
        while end + 1 < len(visible) and _WORD_CHAR.match(visible[end + 1]["text"]):
            end += 1
    return float(visible[end]["x1"] - visible[0]["x0"])


def _tables(page: Any) -> list[tuple[tuple[float, ...], list[Line]]]:
    """The ruled tables of a page with two columns or more: their boxes and their rows."""
    found = page.find_tables()
    boxes = [tuple(t.bbox) for t in found]
    out: list[tuple[tuple[float, ...], list[Line]]] = []
    for i, table in enumerate(found):
        inside = (j for j in range(len(found)) if j != i and boxes[j] != boxes[i])
        if any(_contains(boxes[j], boxes[i]) for j in inside):
            continue  # a box drawn inside another table's cell
        rows: list[Line] = []
        widest = 0
        for (x0, top, x1, bottom), cells in _rows(table):
            texts = [text for _, text in sorted(cells, key=lambda c: c[0][0])]
            if not texts:
                continue
            widest = max(widest, len(texts))
            rows.append(Line(CELL.join(texts), page.page_number, x0, x1, top, bottom, cells=texts))
        if widest >= 2:  # a framed paragraph (one column) is read as lines
            out.append((tuple(table.bbox), rows))
    return out


def page_lines(page: Any) -> list[Line]:
    """A page's lines and table rows, top to bottom.

    Raises:
        Exception: whatever pdfplumber raises on a malformed page (the caller reports it).

    """
    tables = _tables(page)
    boxes = [box for box, _ in tables]
    plain = page.filter(
        lambda o: o.get("object_type") != "char" or not any(_inside(o, b) for b in boxes)
    )
    images = [im for im in page.images if not any(_inside(im, b) for b in boxes)]
    lines: list[Line] = []
    for got in plain.extract_text_lines(keep_blank_chars=True, return_chars=True, strip=False):
        chars = got["chars"]
        text = got["text"].strip()
        if not text:
            continue
        visible = [c for c in chars if not c["text"].isspace()]
        x0 = min(c["x0"] for c in visible)
        size, bold = _style(chars)
        leading_blank = bool(chars) and chars[0]["text"].isspace()
        image_before = any(
            im["x1"] <= x0 + 2
            and im["x0"] >= x0 - 80
            and im["top"] < got["bottom"]
            and im["bottom"] > got["top"]
            for im in images
        )
        lines.append(
            Line(
                text,
                page.page_number,
                x0,
                max(c["x1"] for c in visible),
                got["top"],
                got["bottom"],
                size,
                bold,
                marked=leading_blank or image_before,
                lead=_lead(visible),
            )
        )
    for _, rows in tables:
        lines.extend(rows)
    lines.sort(key=lambda ln: (round(ln.top, 0), ln.x0))
    return lines
