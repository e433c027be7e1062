"""Briefing decks (PowerPoint) for the CISO and the divisions: the plan, the results, the year.

The plan deck (`export_plan_briefing`) shows the purpose, the scope, the team and the WBS as a
chart of its phases with the milestones beside it. The results deck (`export_results_briefing`)
shows per division the findings by rating with risk and recommendation, per contract the checklist
verdicts per group as a chart, and the ledger check when one is given. The final deck
(`export_final_briefing`) shows the year in figures, the main risks and the policy advice.
Content comes in as a `FinalReport` (already filtered by sign-off); a slide holding an unsigned
part says 【下書き】 at its top right and on the part. Each slide's text is laid out by an estimate
of its wrapped height, so a long list continues on the next slide instead of running out of its
box; citations are short footnotes (document and clause path).
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PptxPresentation
from pptx.slide import Slide
from pptx.text.text import TextFrame, _Run
from pptx.util import Emu, Inches, Pt

from copilot.audit.ledger import LedgerCheck
from copilot.calendar_jp import weekday_ja
from copilot.engagement.final_report import ContractResult, FinalReport
from copilot.engagement.workplan import PHASES
from copilot.exports.styling import AUTHOR, GOTHIC, check_suffix, clean, save_atomically, wareki
from copilot.exports.workplan import ROLE_DUTIES, engagement_purpose
from copilot.schemas import (
    DRAFT,
    MILESTONES,
    VERDICTS,
    Citation,
    Finding,
    ReviewInfo,
    Workplan,
)

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
RATINGS = ("指摘", "意見")
CHART_VERDICTS = ("反映あり", "一部反映", "反映なし")
VERDICT_COLOURS = {"反映あり": "5B9BD5", "一部反映": "FFC000", "反映なし": "C00000"}
RED = RGBColor(0xC0, 0x00, 0x00)
GREY = RGBColor(0x59, 0x59, 0x59)
EXCEL_EPOCH = date(1899, 12, 30)
NO_LEDGER = (
    "台帳照合の結果は審査記録に保存されないため、この資料には含めていません。"
    "`copilot export ledger`（又は `copilot export briefing --ledger 台帳.xlsx`）で"
    "確認してください。"
)


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


def _fit(text: str, size_pt: float, width: int) -> str:
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


def _text(
    slide: Slide,
    box: tuple[int, int, int, int],
    lines: Sequence[str],
    size: float,
    name: str,
    bold: bool = False,
    colour: RGBColor | None = None,
    align: PP_ALIGN | None = None,
) -> TextFrame:
    tf = _frame(slide, *box, name=name)
    for k, line in enumerate(lines):
        p = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
        if align is not None:
            p.alignment = align
        _font(p.add_run(), size, bold, colour)
        p.runs[0].text = clean(line)
    return tf


def _new_slide(prs: PptxPresentation, title: str, draft: bool) -> Slide:
    """A blank slide with its title (one line) and, for a slide holding drafts, the mark."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = SLIDE_W - 2 * MARGIN - (Inches(1.8) if draft else 0)
    _text(slide, (MARGIN, TITLE_TOP, width, TITLE_H), [_fit(title, TITLE_PT, width)], TITLE_PT,
          "title", bold=True)  # fmt: skip
    if draft:
        box = (SLIDE_W - MARGIN - Inches(1.7), TITLE_TOP, Inches(1.7), Inches(0.5))
        _text(slide, box, [DRAFT], 16, "draft-mark", bold=True, colour=RED, align=PP_ALIGN.RIGHT)
    line = slide.shapes.add_connector(1, MARGIN, BODY_TOP - Inches(0.12),
                                      SLIDE_W - MARGIN, BODY_TOP - Inches(0.12))  # fmt: skip
    line.line.color.rgb = GREY
    return slide


def _footnote(slide: Slide, cites: Sequence[Citation]) -> None:
    """The slide's citations, short, in a small box at its bottom (the first few, then ほかn件)."""
    names = list(dict.fromkeys(short_cite(c) for c in cites))
    if not names:
        return
    shown = names[:MAX_FOOTNOTES]
    more = f"　ほか{len(names) - len(shown)}件" if len(names) > len(shown) else ""
    width = SLIDE_W - 2 * MARGIN
    text = "出典：" + "；".join(_fit(n, FOOT_PT, width // 2) for n in shown) + more
    top = SLIDE_H - FOOT_H - Inches(0.15)
    _text(slide, (MARGIN, top, width, FOOT_H), [text], FOOT_PT, "footnote", colour=GREY)


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
        slide = _new_slide(prs, title + ("（続き）" if k else ""), any(b.draft for b in page))
        _bullets(slide, (MARGIN, BODY_TOP, width, BODY_H), page)
        _footnote(slide, [c for b in page for c in b.cites])
        slides.append(slide)
    return slides


def _style_chart(chart: object, legend: bool) -> None:
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


def _count_axis(chart: object, most: int) -> None:
    """A value axis of whole counts from 0, with at most about eight steps."""
    axis = chart.value_axis  # type: ignore[attr-defined]
    axis.minimum_scale = 0
    axis.major_unit = max(1, math.ceil(most / 8))
    axis.maximum_scale = max(1, most)
    axis.has_major_gridlines = True
    axis.tick_labels.number_format = "0"
    axis.tick_labels.number_format_is_linked = False


def _cover(prs: PptxPresentation, title: str, lines: Sequence[str], draft: bool) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width = SLIDE_W - 2 * MARGIN
    _text(slide, (MARGIN, Inches(2.3), width, Inches(1.0)), [_fit(title, 32, width)], 32, "title",
          bold=True, align=PP_ALIGN.CENTER)  # fmt: skip
    sub = [_fit(s, 18, width) for s in lines]
    _text(slide, (MARGIN, Inches(3.6), width, Inches(2.6)), sub, 18, "subtitle",
          align=PP_ALIGN.CENTER)  # fmt: skip
    if draft:
        box = (SLIDE_W - MARGIN - Inches(1.7), TITLE_TOP, Inches(1.7), Inches(0.5))
        _text(slide, box, [DRAFT], 16, "draft-mark", bold=True, colour=RED, align=PP_ALIGN.RIGHT)
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


def _day(d: date) -> str:
    return f"{wareki(d)}（{weekday_ja(d)}）"


def _md(d: date) -> str:
    return f"{d.month}/{d.day}（{weekday_ja(d)}）"


# --- the plan deck -------------------------------------------------------------------------------


def _gantt(prs: PptxPresentation, plan: Workplan) -> Slide:
    """The WBS phases as horizontal bars against dates, the milestones listed beside them."""
    slide = _new_slide(prs, "WBS（工程）とマイルストーン", False)
    start = {ph: min(i.start for i in plan.items if i.phase == ph) for ph in PHASES}
    end = {ph: max(i.end for i in plan.items if i.phase == ph) for ph in PHASES}
    origin = (plan.engagement.contract_date - EXCEL_EPOCH).days
    data = CategoryChartData(number_format="m/d")
    data.categories = list(PHASES)
    data.add_series("開始", [(start[ph] - EXCEL_EPOCH).days for ph in PHASES])
    data.add_series("期間（日）", [(end[ph] - start[ph]).days + 1 for ph in PHASES])
    width = Inches(8.4)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_STACKED, MARGIN, BODY_TOP, width, BODY_H, data)
    frame.name = "wbs-chart"
    chart = frame.chart
    _style_chart(chart, legend=False)
    offset, span = chart.plots[0].series
    offset.format.fill.background()
    offset.format.line.fill.background()
    span.format.fill.solid()
    span.format.fill.fore_color.rgb = RGBColor(0x5B, 0x9B, 0xD5)
    chart.plots[0].gap_width = 60
    chart.category_axis.reverse_order = True
    axis = chart.value_axis
    axis.minimum_scale = origin
    axis.maximum_scale = (plan.engagement.year_end - EXCEL_EPOCH).days
    axis.major_unit = 30
    axis.has_major_gridlines = True
    axis.tick_labels.number_format = "m/d"
    axis.tick_labels.number_format_is_linked = False
    axis.tick_labels.font.size = Pt(10)
    left = MARGIN + width + Inches(0.2)
    lines = ["マイルストーン"]
    for key in MILESTONES:
        item = plan.milestone(key)
        lines.append(f"{_md(item.end)}　{MILESTONES[key]}")
    box = (left, BODY_TOP, SLIDE_W - MARGIN - left, BODY_H)
    tf = _text(slide, box, lines, SMALL_PT, "milestones")
    tf.paragraphs[0].runs[0].font.bold = True
    for p in tf.paragraphs:
        p.space_after = Pt(4)
    return slide


def export_plan_briefing(plan: Workplan, path: Path) -> Path:
    """The plan deck: purpose, scope, team and roles, the WBS as a chart with the milestones.

    Args:
        plan: the engagement's work plan.
        path: the .pptx to write.

    Returns:
        The path written.

    Raises:
        UserError: the path does not end in .pptx.

    """
    check_suffix(path, ".pptx")
    e = plan.engagement
    title = f"{e.fiscal_year_ja}　{e.project}　作業計画の説明"
    prs = new_deck(title)
    day = plan.milestone("plan_explained").end
    _cover(prs, title, [e.city, f"{_day(day)}　CISO への説明"], False)
    bullet_slides(prs, "1　目的", [Bullet(engagement_purpose(e))])
    scope = [Bullet("監査対象課：" + "、".join(e.divisions))]
    scope += [Bullet("現地監査：" + "、".join(f"{o.division}（{_md(o.date)}）" for o in e.onsite))]
    if e.hearings:
        hearings = "、".join(f"{h.division}（{_md(h.date)}）" for h in e.hearings)
        scope.append(Bullet(f"ヒアリング（日程を定めたもの）：{hearings}"))
    if e.contracts:
        scope.append(Bullet(f"外部サービス契約の確認：{len(e.contracts)}件"))
        scope += [Bullet(f"{c.id}　{c.service}（{c.division}）", 1) for c in e.contracts]
    scope.append(Bullet(f"重点テーマ：{e.focus_theme}"))
    scope.append(Bullet(f"ポリシー改定に関する助言：{e.policy_rounds}回"))
    bullet_slides(prs, "2　監査の範囲", scope)
    team = []
    for m in e.team:
        quals = f"（{m.qualifications}）" if m.qualifications else ""
        team.append(Bullet(f"{m.role}：{m.name}{quals}"))
        team.append(Bullet(ROLE_DUTIES[m.role], 1))
    bullet_slides(prs, "3　実施体制と役割", team)
    _gantt(prs, plan)
    return save_pptx(prs, path)


# --- the results deck ----------------------------------------------------------------------------


def _finding_bullets(findings: Sequence[tuple[Finding, ReviewInfo]]) -> list[Bullet]:
    """The findings, 指摘 first, each with its risk and recommendation."""
    out: list[Bullet] = []
    for rating in RATINGS:
        rated = [(f, r) for f, r in findings if f.rating == rating]
        for n, (f, r) in enumerate(rated, start=1):
            draft = not r.signed
            out.append(Bullet(f"{rating}{n}　{f.title}", 0, draft, list(f.criteria)))
            out.append(Bullet(f"リスク：{f.risk}", 1, draft))
            out.append(Bullet(f"改善提言：{f.recommendation}", 1, draft))
    return out


def _counts(findings: Sequence[tuple[Finding, ReviewInfo]]) -> str:
    c = Counter(f.rating for f, _ in findings)
    return "、".join(f"{k}{c[k]}件" for k in RATINGS)


def group_of(item: str) -> str:
    """The checklist group of an item id: 1-5-1 -> 1-5, 2-3 -> 2."""
    return item.rsplit("-", 1)[0] if "-" in item else item


def _checklist_chart(prs: PptxPresentation, c: ContractResult) -> Slide:
    """One contract's verdicts per checklist group as stacked columns."""
    draft = any(not r.signed for _, r in c.judgements)
    slide = _new_slide(prs, f"チェックリスト確認結果（{c.contract}）", draft)
    groups = sorted({group_of(j.item) for j, _ in c.judgements}, key=_id_key)
    counts = Counter((group_of(j.item), j.verdict) for j, _ in c.judgements)
    width = SLIDE_W - 2 * MARGIN
    all_verdicts = Counter(j.verdict for j, _ in c.judgements)
    caption = f"{c.service or '（サービス名なし）'}　{c.division}　判定{len(c.judgements)}件："
    caption += "、".join(f"{v}{all_verdicts[v]}" for v in (*CHART_VERDICTS, "要確認", "対象外"))
    unsigned = sum(not r.signed for _, r in c.judgements)
    if unsigned:
        caption += f"（うち{DRAFT}{unsigned}件）"
    if c.withheld:
        caption += f"（承認されていない判定{c.withheld}件は含まない）"
    _text(slide, (MARGIN, BODY_TOP, width, Inches(0.75)), [caption], SMALL_PT, "caption")
    if not groups:
        box = (MARGIN, BODY_TOP + Inches(0.9), width, Inches(0.6))
        _text(slide, box, ["承認済みの判定はありません。"], BODY_PT, "body")
        return slide
    data = CategoryChartData(number_format="0")
    data.categories = groups
    for v in CHART_VERDICTS:
        data.add_series(v, [counts[(g, v)] for g in groups])
    top = BODY_TOP + Inches(0.8)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_STACKED, MARGIN, top, width, BODY_H - Inches(0.8), data
    )
    frame.name = "checklist-chart"
    chart = frame.chart
    _style_chart(chart, legend=True)
    for s in chart.plots[0].series:
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = RGBColor.from_string(VERDICT_COLOURS[s.name])
    _count_axis(chart, max(sum(counts[(g, v)] for v in CHART_VERDICTS) for g in groups))
    cites = [c2 for j, _ in c.judgements if j.verdict != "反映あり" for c2 in j.basis]
    _footnote(slide, cites)
    return slide


def _id_key(group: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in group.split("-"))


def _ledger_bullets(checks: Sequence[LedgerCheck]) -> list[Bullet]:
    out = []
    for check in checks:
        if check.state == "未登録":
            out.append(Bullet(f"{check.contract}：台帳に登録がありません。{check.note}"))
            continue
        statuses = Counter(f.status for r in check.rows for f in r.fields)
        summary = "、".join(f"{k}{v}件" for k, v in sorted(statuses.items()))
        out.append(Bullet(f"{check.contract}：{summary}"))
        for r in check.rows:
            for f in r.fields:
                if f.status != "一致":
                    cites = [f.evidence] if f.evidence else []
                    out.append(Bullet(f"{f.item}（{f.status}）：{f.note}", 1, cites=cites))
    return out


def export_results_briefing(
    report: FinalReport,
    path: Path,
    division: str = "",
    ledger: Sequence[LedgerCheck] | None = None,
) -> Path:
    """The results deck: per division the findings, per contract the checklist chart, the ledger.

    Args:
        report: the review store's content, filtered by sign-off (`compile_final_report`).
        path: the .pptx to write.
        division: only this division's findings and contracts (for its own briefing), or all.
        ledger: ledger checks of the contracts, or None when there are none (a slide says so).

    Returns:
        The path written.

    Raises:
        UserError: the path does not end in .pptx.

    """
    check_suffix(path, ".pptx")
    e = report.plan.engagement
    findings = [(d, fs) for d, fs in report.findings if not division or d == division]
    contracts = [c for c in report.contracts if not division or c.division == division]
    to = division or "CISO"
    key = "divisions_explanation" if division else "ciso_explanation"
    title = f"{e.fiscal_year_ja}　情報セキュリティ監査　結果の説明"
    prs = new_deck(title)
    lines = [e.city, f"{_day(report.plan.milestone(key).end)}　{to} への説明"]
    if report.withheld and not report.include_drafts:
        lines.append(f"承認されていない下書き{report.withheld}件は記載していません。")
    _cover(prs, title, lines, report.drafts)
    summary = [Bullet(f"{d}：{_counts(fs)}", draft=any(not r.signed for _, r in fs))
               for d, fs in findings]  # fmt: skip
    summary.append(Bullet(f"チェックリストで確認した契約：{len(contracts)}件"))
    bullet_slides(prs, "監査結果の概要", summary)
    for d, fs in findings:
        bullet_slides(
            prs, f"発見事項　{d}", _finding_bullets(fs), empty="承認済みの発見事項はありません。"
        )
    for c in contracts:
        _checklist_chart(prs, c)
    if ledger is None:
        bullet_slides(prs, "外部サービス利用管理台帳の照合", [Bullet(NO_LEDGER)])
    else:
        checks = [
            c for c in ledger if not division or c.contract in {x.contract for x in contracts}
        ]
        bullet_slides(prs, "外部サービス利用管理台帳の照合", _ledger_bullets(checks),
                      empty="照合した契約はありません。")  # fmt: skip
    return save_pptx(prs, path)


# --- the final deck ------------------------------------------------------------------------------


def _figures(prs: PptxPresentation, report: FinalReport) -> Slide:
    """The year in figures: findings by rating, contracts judged, verdict counts (a chart)."""
    judgements = [(j, r) for c in report.contracts for j, r in c.judgements]
    shown = [(f, r) for _, fs in report.findings for f, r in fs]
    draft = any(not r.signed for _, r in [*judgements, *shown])
    slide = _new_slide(prs, f"{report.plan.engagement.fiscal_year_ja}の実績", draft)
    judged = sum(bool(c.judgements) for c in report.contracts)
    ratings = Counter(f.rating for f, _ in shown)
    verdicts = Counter(j.verdict for j, _ in judgements)
    lines = [
        f"監査対象課：{len(report.plan.engagement.divisions)}課",
        f"発見事項：指摘{ratings['指摘']}件、意見{ratings['意見']}件",
        f"チェックリストで判定した契約：{judged}件（判定{len(judgements)}件）",
        f"改定助言：{len(report.advice)}件",
    ]
    if report.withheld and not report.include_drafts:
        lines.append(f"承認されていない下書き{report.withheld}件は数えていません。")
    width = Inches(5.2)
    tf = _text(slide, (MARGIN, BODY_TOP, width, BODY_H), lines, BODY_PT, "figures")
    for p in tf.paragraphs:
        p.space_after = Pt(10)
    data = CategoryChartData(number_format="0")
    data.categories = list(VERDICTS)
    data.add_series("判定の件数", [verdicts[v] for v in VERDICTS])
    left = MARGIN + width + Inches(0.2)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, left, BODY_TOP, SLIDE_W - MARGIN - left, BODY_H, data
    )
    frame.name = "verdict-chart"
    chart = frame.chart
    _style_chart(chart, legend=False)
    chart.has_title = True
    chart.chart_title.text_frame.text = "チェックリストの判定（件）"
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(SMALL_PT)
    _count_axis(chart, max(verdicts.values(), default=0))
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format = "0"
    plot.data_labels.number_format_is_linked = False
    return slide


def export_final_briefing(report: FinalReport, path: Path) -> Path:
    """The final deck: the year in figures, the main risks (the 指摘), the policy advice.

    Args:
        report: the review store's content, filtered by sign-off (`compile_final_report`).
        path: the .pptx to write.

    Returns:
        The path written.

    Raises:
        UserError: the path does not end in .pptx.

    """
    check_suffix(path, ".pptx")
    e = report.plan.engagement
    title = f"{e.fiscal_year_ja}　{e.project}　最終報告"
    prs = new_deck(title)
    day = report.plan.milestone("final_report").end
    _cover(prs, title, [e.city, f"{_day(day)}　CISO への報告"], report.drafts)
    _figures(prs, report)
    risks = []
    for d, fs in report.findings:
        for f, r in fs:
            if f.rating == "指摘":
                risks.append(Bullet(f"{d}：{f.title}", 0, not r.signed, list(f.criteria)))
                risks.append(Bullet(f.risk, 1, not r.signed))
    bullet_slides(prs, "主なリスク（指摘事項）", risks, empty="承認済みの指摘事項はありません。")
    advice = []
    for a, r in report.advice:
        where = short_cite(a.clause)
        advice.append(Bullet(f"{where}：{a.advice}", 0, not r.signed, [a.clause]))
        advice.append(Bullet(f"改定案：{a.proposed_wording}", 1, not r.signed))
    bullet_slides(prs, "ポリシー改定の助言", advice, empty="承認済みの改定助言はありません。")
    return save_pptx(prs, path)
