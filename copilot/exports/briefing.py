"""Briefing decks (PowerPoint) for the CISO and the divisions: the plan, the results, the year.

The plan deck (`export_plan_briefing`) shows the purpose, the scope, the team and the WBS as a
chart of its phases with the milestones beside it. The results deck (`export_results_briefing`)
shows per division the findings by rating with risk and recommendation, per contract the checklist
verdicts per group as a chart, and the ledger check when one is given. The final deck
(`export_final_briefing`) shows the year in figures, the main risks and the policy advice.
Content comes in as a `FinalReport` (already filtered by sign-off); a slide holding an unsigned
part says 【下書き】 at its top right and on the part. The shared look (fonts, text that stays in
its box, footnotes) is ``slides``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE
from pptx.presentation import Presentation as PptxPresentation
from pptx.slide import Slide
from pptx.util import Inches, Pt

from copilot.audit.ledger import LedgerCheck
from copilot.calendar_jp import wareki, weekday_ja
from copilot.engagement.final_report import ContractResult, FinalReport
from copilot.engagement.workplan import PHASES
from copilot.errors import UserError
from copilot.exports.slides import (
    BODY_H,
    BODY_PT,
    BODY_TOP,
    MARGIN,
    SLIDE_W,
    SMALL_PT,
    Bullet,
    bullet_slides,
    count_axis,
    cover_slide,
    footnote,
    new_deck,
    new_slide,
    save_pptx,
    short_cite,
    style_chart,
    text_box,
)
from copilot.exports.styling import check_suffix
from copilot.exports.workplan import ROLE_DUTIES, engagement_purpose
from copilot.schemas import (
    DRAFT,
    MILESTONES,
    VERDICTS,
    Finding,
    ReviewInfo,
    Workplan,
)

RATINGS = ("指摘", "意見")
CHART_VERDICTS = ("反映あり", "一部反映", "反映なし")
VERDICT_COLOURS = {"反映あり": "5B9BD5", "一部反映": "FFC000", "反映なし": "C00000"}
EXCEL_EPOCH = date(1899, 12, 30)
NO_LEDGER = (
    "台帳照合の結果は審査記録に保存されないため、この資料には含めていません。"
    "照合の結果は、監査コパイロットの「台帳照合」画面で契約ごとに確認でき、同じ画面から"
    "Excel に出力できます。"
)


def _day(d: date) -> str:
    return f"{wareki(d)}（{weekday_ja(d)}）"


def _md(d: date) -> str:
    return f"{d.month}/{d.day}（{weekday_ja(d)}）"


# --- the plan deck -------------------------------------------------------------------------------


def _gantt(prs: PptxPresentation, plan: Workplan) -> Slide:
    """The WBS phases as horizontal bars against dates, the milestones listed beside them."""
    slide = new_slide(prs, "WBS（工程）とマイルストーン", False)
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
    style_chart(chart, legend=False)
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
    tf = text_box(slide, box, lines, SMALL_PT, "milestones")
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
    e = plan.engagement
    title = f"{e.fiscal_year_ja}　{e.project}　作業計画の説明"
    prs = new_deck(title)
    day = plan.milestone("plan_explained").end
    cover_slide(prs, title, [e.city, f"{_day(day)}　CISO への説明"], False)
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
    slide = new_slide(prs, f"チェックリスト確認結果（{c.contract}）", draft)
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
    text_box(slide, (MARGIN, BODY_TOP, width, Inches(0.75)), [caption], SMALL_PT, "caption")
    if not groups:
        box = (MARGIN, BODY_TOP + Inches(0.9), width, Inches(0.6))
        text_box(slide, box, ["承認済みの判定はありません。"], BODY_PT, "body")
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
    style_chart(chart, legend=True)
    for s in chart.plots[0].series:
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = RGBColor.from_string(VERDICT_COLOURS[s.name])
    count_axis(chart, max(sum(counts[(g, v)] for v in CHART_VERDICTS) for g in groups))
    cites = [c2 for j, _ in c.judgements if j.verdict != "反映あり" for c2 in j.basis]
    footnote(slide, cites)
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
    cover_slide(prs, title, lines, report.drafts)
    summary = [
        Bullet(f"{d}：{_counts(fs)}", draft=any(not r.signed for _, r in fs)) for d, fs in findings
    ]
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
        none = "照合した契約はありません。"
        bullet_slides(prs, "外部サービス利用管理台帳の照合", _ledger_bullets(checks), none)
    return save_pptx(prs, path)


# --- the final deck ------------------------------------------------------------------------------


def _figures(prs: PptxPresentation, report: FinalReport) -> Slide:
    """The year in figures: findings by rating, contracts judged, verdict counts (a chart)."""
    judgements = [(j, r) for c in report.contracts for j, r in c.judgements]
    shown = [(f, r) for _, fs in report.findings for f, r in fs]
    draft = any(not r.signed for _, r in [*judgements, *shown])
    slide = new_slide(prs, f"{report.plan.engagement.fiscal_year_ja}の実績", draft)
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
    tf = text_box(slide, (MARGIN, BODY_TOP, width, BODY_H), lines, BODY_PT, "figures")
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
    style_chart(chart, legend=False)
    chart.has_title = True
    chart.chart_title.text_frame.text = "チェックリストの判定（件）"
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(SMALL_PT)
    count_axis(chart, max(verdicts.values(), default=0))
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
    e = report.plan.engagement
    title = f"{e.fiscal_year_ja}　{e.project}　最終報告"
    prs = new_deck(title)
    day = report.plan.milestone("final_report").end
    cover_slide(prs, title, [e.city, f"{_day(day)}　CISO への報告"], report.drafts)
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


# --- choosing the deck ---------------------------------------------------------------------------

BRIEFINGS = {"plan": "作業計画", "results": "監査結果", "final": "最終報告"}


def check_briefing(kind: str, division: str = "") -> None:
    """UserError unless the deck is known and a division is given for the results deck only."""
    if kind not in BRIEFINGS:
        raise UserError(
            f"--for {kind} は使えません。plan（作業計画）、results（監査結果）、"
            "final（最終報告）のいずれかを指定してください。",
            f"--for {kind} is not known; give plan, results or final.",
        )
    if division and kind != "results":
        raise UserError(
            "--division（対象課）は --for results（監査結果）のときだけ指定できます。",
            "--division applies to --for results only.",
        )


def export_briefing(
    kind: str,
    plan: Workplan,
    report: FinalReport | None,
    path: Path,
    division: str = "",
    ledger: Sequence[LedgerCheck] | None = None,
) -> Path:
    """The briefing deck of this kind (a key of `BRIEFINGS`).

    Args:
        kind: plan, results or final.
        plan: the engagement's work plan.
        report: the review store's content (`compile_final_report`); not needed for plan.
        path: the .pptx to write.
        division: results only: one division's deck.
        ledger: results only: the ledger checks of the contracts, if any.

    Returns:
        The path written.

    Raises:
        UserError: an unknown kind, a division for another deck or one that is neither audited
            nor in the store, or a path that does not end in .pptx.

    """
    check_briefing(kind, division)
    check_suffix(path, ".pptx")
    if kind == "plan":
        return export_plan_briefing(plan, path)
    if report is None:
        raise ValueError("the results and final decks need the report")
    if kind == "final":
        return export_final_briefing(report, path)
    known = [d for d, _ in report.findings]
    if division and division not in known:
        raise UserError(
            f"「{division}」は監査対象課にも審査記録にもありません。"
            f"次のいずれかを指定してください：{'、'.join(known)}",
            f"{division} is neither an audited division nor in the review store; "
            f"give one of: {', '.join(known)}.",
        )
    return export_results_briefing(report, path, division, ledger)
