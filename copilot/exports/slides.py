"""The look every briefing deck shares: a 16:9 page, Japanese fonts, titles, bullets, footnotes.

Text is laid out by an estimate of its wrapped height (full-width characters one em, others
0.65 em, lines of 1.3 font sizes), so a list that would run out of its box continues on a next
slide (`paginate`, `bullet_slides`) and a title is cut to one line (`fit_line`). A slide holding
an unsigned part carries the 【下書き】 mark (`mark_draft`); citations are short footnotes
(`short_cite`, `footnote`). Decks are saved atomically (`save_pptx`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PptxPresentation
from pptx.slide import Slide
from pptx.text.text import TextFrame, _Run
from pptx.util import Emu, Inches, Pt

from copilot.exports.styling import AUTHOR, GOTHIC, check_suffix, clean, save_atomically
from copilot.schemas import DRAFT, Citation

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
TITLE_TOP, TITLE_H = Inches(0.35), Inches(0.8)
BODY_TOP = Inches(1.3)
FOOT_H = Inches(0.55)
BODY_H = SLIDE_H - BODY_TOP - FOOT_H - Inches(0.3)
TITLE_PT, BODY_PT, SMALL_PT, FOOT_PT = 26, 16, 13, 10
LINE = 1.3  # the height of a line, in font sizes (IPAex: ascent + descent + leading)
INSET = Inches(0.1)  # the text frame's default left and right insets
LEVEL_INDENT = Inches(0.5)  # per level, from the default template's text styles
MAX_BULLETS = 8  # per slide, even when more would fit
MAX_CHARS = 240  # of one bullet; the Word documents hold the full text
MAX_FOOTNOTES = 3
RED = RGBColor(0xC0, 0x00, 0x00)
GREY = RGBColor(0x59, 0x59, 0x59)


@dataclass
class Bullet:
    """One paragraph of a slide's body: its text, indent level and whether it is a draft."""

    text: str
    level: int = 0
    draft: bool = False
    cites: list[Citation] = field(default_factory=list)


# --- text measure ------------------------------------------------------------------------------


def text_width(text: str, size_pt: float) -> float:
    """The width of a line of text in points: full-width characters one em, others 0.65 em."""
    return sum(
        size_pt if unicodedata.east_asian_width(ch) in "WFA" else 0.65 * size_pt for ch in text
    )


def wrapped_lines(text: str, size_pt: float, width_emu: int) -> int:
    """How many lines a paragraph takes when wrapped in a box of this width (at least one)."""
    room = Emu(width_emu - 2 * INSET).pt * 0.96
    return sum(max(1, math.ceil(text_width(line, size_pt) / room)) for line in text.split("\n"))


def _height(b: Bullet, size_pt: float, width: int) -> float:
    size = size_pt - b.level  # a sub-bullet is one point smaller
    lines = wrapped_lines(_shown(b), size, width - LEVEL_INDENT * b.level)
    return lines * size * LINE + 0.4 * size_pt  # space after the paragraph


def _shown(b: Bullet) -> str:
    text = clean(b.text)
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 1] + "…"
    return ("・" if b.level == 0 else "－ ") + (DRAFT if b.draft else "") + text


def fit_line(text: str, size_pt: float, width: int) -> str:
    """The text cut (with …) so that it stays on one line of the box."""
    text = clean(text)
    room = Emu(width - 2 * INSET).pt * 0.96
    if text_width(text, size_pt) <= room:
        return text
    while text and text_width(text + "…", size_pt) > room:
        text = text[:-1]
    return text + "…"


def short_cite(c: Citation) -> str:
    """A citation as a footnote: the document's name without folder or suffix, and its clause."""
    name = PurePosixPath(c.document.replace("\\", "/")).stem
    return " ".join(x for x in (name, c.clause_path, f"p.{c.page}" if c.page else "") if x)


def paginate(
    bullets: Sequence[Bullet], width: int, height: int, size_pt: float = BODY_PT
) -> list[list[Bullet]]:
    """The bullets split into slides, each within the height and `MAX_BULLETS` top-level ones.

    A top-level bullet stays with the sub-bullets that follow it where they fit on one slide.
    """
    groups: list[list[Bullet]] = []
    for b in bullets:
        if b.level == 0 or not groups:
            groups.append([b])
        else:
            groups[-1].append(b)
    pages: list[list[Bullet]] = [[]]
    used = 0.0
    room = Emu(height).pt
    for g in groups:
        h = sum(_height(b, size_pt, width) for b in g)
        tops = sum(b.level == 0 for b in pages[-1])
        if pages[-1] and (used + h > room or tops >= MAX_BULLETS):
            pages.append([])
            used = 0.0
        for b in g:  # a group taller than a slide is split between its bullets
            bh = _height(b, size_pt, width)
            if pages[-1] and used + bh > room:
                pages.append([])
                used = 0.0
            pages[-1].append(b)
            used += bh
    return [p for p in pages if p]


# --- drawing -----------------------------------------------------------------------------------


def _font(run: _Run, size: float, bold: bool = False, colour: RGBColor | None = None) -> None:
    """The Japanese font on a run: the Latin and the East Asian typeface both."""
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    run.font.name = GOTHIC
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = rpr.makeelement(qn("a:ea"), {})
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", GOTHIC)


def _frame(slide: Slide, left: int, top: int, width: int, height: int, name: str) -> TextFrame:
    box = slide.shapes.add_textbox(left, top, width, height)
    box.name = name
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.vertical_anchor = MSO_ANCHOR.TOP
    return tf


def text_box(
    slide: Slide,
    box: tuple[int, int, int, int],
    lines: Sequence[str],
    size: float,
    name: str,
    bold: bool = False,
    colour: RGBColor | None = None,
    align: PP_ALIGN | None = None,
) -> TextFrame:
    """A text box of one paragraph per line, all in one font size."""
    tf = _frame(slide, *box, name=name)
    for k, line in enumerate(lines):
        p = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
        if align is not None:
            p.alignment = align
        _font(p.add_run(), size, bold, colour)
        p.runs[0].text = clean(line)
    return tf


def mark_draft(slide: Slide) -> None:
    """The 【下書き】 mark at the top right of a slide holding unsigned parts."""
    box = (SLIDE_W - MARGIN - Inches(1.7), TITLE_TOP, Inches(1.7), Inches(0.5))
    text_box(slide, box, [DRAFT], 16, "draft-mark", bold=True, colour=RED, align=PP_ALIGN.RIGHT)


def new_slide(prs: PptxPresentation, title: str, draft: bool) -> Slide:
    """A blank slide with its title (one line) and, for a slide holding drafts, the mark."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = SLIDE_W - 2 * MARGIN - (Inches(1.8) if draft else 0)
    box = (MARGIN, TITLE_TOP, width, TITLE_H)
    text_box(slide, box, [fit_line(title, TITLE_PT, width)], TITLE_PT, "title", bold=True)
    if draft:
        mark_draft(slide)
    rule = BODY_TOP - Inches(0.12)
    line = slide.shapes.add_connector(1, MARGIN, rule, SLIDE_W - MARGIN, rule)
    line.line.color.rgb = GREY
    return slide


def footnote(slide: Slide, cites: Sequence[Citation]) -> None:
    """The slide's citations, short, in a small box at its bottom (the first few, then ほかn件)."""
    names = list(dict.fromkeys(short_cite(c) for c in cites))
    if not names:
        return
    shown = names[:MAX_FOOTNOTES]
    more = f"　ほか{len(names) - len(shown)}件" if len(names) > len(shown) else ""
    width = SLIDE_W - 2 * MARGIN
    text = "出典：" + "；".join(fit_line(n, FOOT_PT, width // 2) for n in shown) + more
    top = SLIDE_H - FOOT_H - Inches(0.15)
    text_box(slide, (MARGIN, top, width, FOOT_H), [text], FOOT_PT, "footnote", colour=GREY)


def _bullets(slide: Slide, box: tuple[int, int, int, int], bullets: Sequence[Bullet]) -> None:
    tf = _frame(slide, *box, name="body")
    for k, b in enumerate(bullets):
        p = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
        p.level = b.level
        p.space_after = Pt(0.4 * BODY_PT)
        run = p.add_run()
        _font(run, BODY_PT if b.level == 0 else BODY_PT - 1, colour=RED if b.draft else None)
        run.text = _shown(b)


def bullet_slides(
    prs: PptxPresentation, title: str, bullets: Sequence[Bullet], empty: str = ""
) -> list[Slide]:
    """As many slides as the bullets need (titles 「（続き）」 after the first), with footnotes."""
    width = SLIDE_W - 2 * MARGIN
    pages = paginate(bullets, width, BODY_H)
    if not pages and empty:
        pages = [[Bullet(empty)]]
    slides = []
    for k, page in enumerate(pages):
        slide = new_slide(prs, title + ("（続き）" if k else ""), any(b.draft for b in page))
        _bullets(slide, (MARGIN, BODY_TOP, width, BODY_H), page)
        footnote(slide, [c for b in page for c in b.cites])
        slides.append(slide)
    return slides


def style_chart(chart: object, legend: bool) -> None:
    """The Japanese font on a chart's text, and its legend (at the bottom) or none."""
    chart.font.size = Pt(SMALL_PT)  # type: ignore[attr-defined]
    chart.font.name = GOTHIC  # type: ignore[attr-defined]
    rpr = chart._chartSpace.find(".//" + qn("a:defRPr"))  # type: ignore[attr-defined]
    if rpr is not None and rpr.find(qn("a:ea")) is None:
        ea = rpr.makeelement(qn("a:ea"), {"typeface": GOTHIC})
        rpr.find(qn("a:latin")).addnext(ea)
    chart.has_legend = legend  # type: ignore[attr-defined]
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM  # type: ignore[attr-defined]
        chart.legend.include_in_layout = False  # type: ignore[attr-defined]


def count_axis(chart: object, most: int) -> None:
    """A value axis of whole counts from 0, with at most about eight steps."""
    axis = chart.value_axis  # type: ignore[attr-defined]
    axis.minimum_scale = 0
    axis.major_unit = max(1, math.ceil(most / 8))
    axis.maximum_scale = max(1, most)
    axis.has_major_gridlines = True
    axis.tick_labels.number_format = "0"
    axis.tick_labels.number_format_is_linked = False


def cover_slide(prs: PptxPresentation, title: str, lines: Sequence[str], draft: bool) -> Slide:
    """The first slide: the deck's title and the lines under it (city, date, audience)."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = SLIDE_W - 2 * MARGIN
    box = (MARGIN, Inches(2.3), width, Inches(1.0))
    centre = PP_ALIGN.CENTER
    text_box(slide, box, [fit_line(title, 32, width)], 32, "title", bold=True, align=centre)
    sub = [fit_line(s, 18, width) for s in lines]
    text_box(slide, (MARGIN, Inches(3.6), width, Inches(2.6)), sub, 18, "subtitle", align=centre)
    if draft:
        mark_draft(slide)
    return slide


def new_deck(title: str) -> PptxPresentation:
    """An empty 16:9 presentation with its core properties."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    props = prs.core_properties
    props.title, props.author, props.last_modified_by = clean(title), AUTHOR, AUTHOR
    return prs


def save_pptx(prs: PptxPresentation, path: Path) -> Path:
    """Save a deck atomically (UserError unless the path ends in .pptx)."""
    check_suffix(path, ".pptx")
    return save_atomically(path, lambda tmp: prs.save(str(tmp)))
