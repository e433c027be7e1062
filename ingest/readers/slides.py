"""PowerPoint slides: each slide's title as a heading, its text, tables and speaker notes.

A slide is a page: every block of slide N has ``page=N``. Its title is a heading (level 1); a
slide without one is headed 「（スライド N）」 so that its text is not taken for the previous
slide's. The text of every other shape follows in the slide's own order (the order PowerPoint
reads it aloud in), shapes inside groups included, a paragraph a block, an automatic number
(1. ／ (a) ／ ①) as the block's label. A table row is one block, its cells joined by ``CELL``.
Speaker notes are the presenter's words, not the slide's: they follow the slide under a heading
「（ノート）」 at level 2, so that they are found but never read as the slide's own text. Footers,
dates and slide numbers repeated on every slide are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ingest.readers.blocks import (
    CELL,
    FORM,
    Block,
    Notify,
    check_ooxml,
    open_package,
    quiet,
)
from ingest.readers.word import format_number, is_form_choice

NOTES = "（ノート）"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PARENS = (("ParenBoth", "({})"), ("ParenR", "{})"), ("DbPeriod", "{}．"), ("Period", "{}."))
_FORMATS = (  # an autonumber scheme's start -> Word's name for the same digits
    ("alphaLc", "lowerLetter"),
    ("alphaUc", "upperLetter"),
    ("romanLc", "lowerRoman"),
    ("romanUc", "upperRoman"),
    ("arabicDb", "decimalFullWidth"),
    ("circleNum", "decimalEnclosedCircle"),
    ("ea1", "japaneseCounting"),
)


def read_pptx(path: Path, say: Notify = quiet) -> list[Block]:
    """PowerPoint: slide by slide, the title as a heading, then text, tables and the notes.

    Raises:
        UnreadableFileError: encrypted, legacy or corrupt.

    """
    check_ooxml(path, "PowerPoint ファイル", "PowerPoint file")
    from pptx import Presentation

    slides = open_package(path, lambda name: list(Presentation(name).slides))
    blocks: list[Block] = []
    for number, slide in enumerate(slides, start=1):
        blocks.extend(_slide(slide, number))
    return blocks


def _slide(slide: object, number: int) -> list[Block]:
    title_shape = slide.shapes.title  # type: ignore[attr-defined]
    title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
    blocks = [Block(title or f"（スライド {number}）", page=number, heading_level=1)]
    for shape in _shapes(slide.shapes):  # type: ignore[attr-defined]
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        blocks.extend(_shape_blocks(shape, slide, number))
    if slide.has_notes_slide:  # type: ignore[attr-defined]
        frame = slide.notes_slide.notes_text_frame  # type: ignore[attr-defined]
        notes = _paragraphs(frame, number) if frame is not None else []
        if notes:
            blocks.append(Block(NOTES, page=number, heading_level=2))
            blocks.extend(notes)
    return blocks


def _shapes(shapes: object) -> Iterator[object]:
    """Every shape in reading order, a group's members in its place."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

    running = (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.SLIDE_NUMBER)
    for shape in shapes:  # type: ignore[attr-defined]
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        elif shape.is_placeholder and shape.placeholder_format.type in running:
            continue
        else:
            yield shape


def _shape_blocks(shape: object, slide: object, number: int) -> list[Block]:
    if getattr(shape, "has_table", False):
        return _table(shape.table, number)  # type: ignore[attr-defined]
    if getattr(shape, "has_text_frame", False):
        return _paragraphs(shape.text_frame, number)  # type: ignore[attr-defined]
    return _smartart(shape, slide, number)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.replace("\v", "\n").splitlines() if part.strip())


def _paragraphs(frame: object, number: int) -> list[Block]:
    """A text frame's paragraphs, a block each, automatic numbers rendered as labels."""
    counters: dict[int, int] = {}
    blocks = []
    for paragraph in frame.paragraphs:  # type: ignore[attr-defined]
        text = paragraph.text.replace("\v", "\n").strip()
        if not text:
            continue
        label = _autonumber(paragraph, counters)
        aside = FORM if is_form_choice(text) else ""
        blocks.append(Block(text, page=number, label=label, aside=aside))
    return blocks


def _autonumber(paragraph: object, counters: dict[int, int]) -> str:
    """The number PowerPoint draws before a paragraph (a:buAutoNum), or ''."""
    level = paragraph.level  # type: ignore[attr-defined]
    for deeper in [k for k in counters if k > level]:
        del counters[deeper]
    ppr = paragraph._p.pPr  # type: ignore[attr-defined]
    auto = ppr.find(f"{_A}buAutoNum") if ppr is not None else None
    if auto is None:
        counters.pop(level, None)  # a paragraph without a number ends the run at its level
        return ""
    scheme = auto.get("type", "arabicPeriod")
    counters[level] = counters[level] + 1 if level in counters else int(auto.get("startAt", "1"))
    fmt = next((word for start, word in _FORMATS if scheme.startswith(start)), "decimal")
    template = next((t for end, t in _PARENS if scheme.endswith(end)), "{}")
    return template.format(format_number(counters[level], fmt))


def _table(table: object, number: int) -> list[Block]:
    """A table row a block, each cell once (a merged cell in its first row and column)."""
    blocks = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells = []
        for cell in row.cells:
            if cell.is_spanned:
                continue
            lines = (
                p.text.replace("\v", " ").replace(CELL, " ").strip()
                for p in cell.text_frame.paragraphs
            )
            text = " ".join(line for line in lines if line)
            if text:
                cells.append(text)
        if cells:
            text = CELL.join(cells)
            aside = FORM if is_form_choice(text) else ""
            blocks.append(Block(text, page=number, table_row=True, aside=aside))
    return blocks


def _smartart(shape: object, slide: object, number: int) -> list[Block]:
    """The text of a SmartArt diagram's nodes, in the order of its data model."""
    element = shape._element  # type: ignore[attr-defined]
    ids = element.find(f".//{_DGM}relIds")
    if ids is None or ids.get(f"{_R}dm") is None:
        return []
    from lxml import etree

    try:
        part = slide.part.related_part(ids.get(f"{_R}dm"))  # type: ignore[attr-defined]
        model = etree.fromstring(part.blob)
    except (KeyError, etree.XMLSyntaxError):
        return []
    blocks = []
    for point in model.iter(f"{_DGM}pt"):
        if point.get("type", "node") != "node":
            continue
        for p in point.iter(f"{_A}p"):
            text = "".join(t.text or "" for t in p.iter(f"{_A}t")).strip()
            if text:
                blocks.append(Block(text, page=number))
    return blocks
