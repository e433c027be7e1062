"""The engagement's plan: the work plan (作業計画書, Word) and the WBS schedule (Excel).

The cover, team, milestone and fieldwork tables are shared with the final report
(``copilot.exports.final_report``).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from docx.document import Document as DocxDocument
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from copilot.calendar_jp import (
    CLOSURE,
    business_days_between,
    day_off_reason,
    days_off,
    is_business_day,
    wareki,
    weekday_ja,
)
from copilot.engagement.workplan import PHASES, REPORT_DAYS
from copilot.exports.styling import (
    BOX,
    GOTHIC,
    MINCHO,
    WRAP_TOP,
    head_cell,
    header_row,
    heading,
    labelled,
    new_document,
    para,
    put,
    save_docx,
    save_xlsx,
    set_properties,
    table,
    write_wrapped,
)
from copilot.schemas import (
    MILESTONES,
    Engagement,
    WorkItem,
    Workplan,
)

ROLE_DUTIES = {
    "統括責任者": "業務全体の統括、品質の管理、CISOへの説明、成果物の最終確認",
    "主任監査人": "監査実施方針の策定、ヒアリング・現地監査の主導、発見事項の取りまとめ",
    "監査人": "書面監査、契約書類の確認、議事録・結果概要の作成",
    "監査補助者": "資料の整理、記録の作成の補助",
}
BUSINESS_DAYS_NOTE = (
    "日程はすべて営業日（土曜日、日曜日、国民の祝日に関する法律に定める休日（振替休日を含む）"
    "及び12月29日から1月3日までを除く日）で計算している。"
)
CONFIDENTIALITY = (
    "本業務で取り扱う文書（機密性3の情報を含む）は、監査人の端末内でのみ処理し、外部のサービスに"
    "送信しない。契約の終了時には、すべてのデータを市に返却したうえで、復元できない方法により"
    "消去する。"
)


def _md(day: date) -> str:
    """A date in a table: 11/18（水）; the fiscal year tells the calendar year."""
    return f"{day.month}/{day.day}（{weekday_ja(day)}）"


def _day_full(day: date) -> str:
    """A date in running text: 令和8年11月18日（水）."""
    return f"{wareki(day)}（{weekday_ja(day)}）"


def _span(item: WorkItem) -> str:
    return _md(item.start) if item.start == item.end else f"{_md(item.start)}～{_md(item.end)}"


def engagement_title(e: Engagement, what: str) -> str:
    """A document's title: city, fiscal year, project and what the document is."""
    return f"{e.city}　{e.fiscal_year_ja}　{e.project}　{what}"


# --- WBS (Excel) -----------------------------------------------------------------------------

WBS_HEADERS = (
    "WBS番号",
    "フェーズ",
    "作業項目",
    "対象課",
    "担当（役割）",
    "開始日",
    "終了日",
    "営業日数",
    "先行作業",
    "成果物",
)
_WBS_WIDTHS = (10, 20, 48, 20, 12, 12, 12, 8, 16, 30)
GANTT_FIXED = ("WBS番号", "作業項目", "担当", "開始", "終了")
_GANTT_WIDTHS = (10, 52, 11, 7, 7)
_DAY_WIDTH = 2.6
_WORK_FILL = PatternFill("solid", fgColor="9BC2E6")
_MILESTONE_FILL = PatternFill("solid", fgColor="F4B183")
_OFF_FILL = PatternFill("solid", fgColor="BFBFBF")
_PHASE_FILL = PatternFill("solid", fgColor="EDEDED")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_DATE_FORMAT = "yyyy/mm/dd"


def _top_lines(ws: Worksheet, plan: Workplan, title: str) -> None:
    e = plan.engagement
    put(ws, 1, 1, title)
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    final = plan.milestone("final_report").end
    put(
        ws,
        2,
        1,
        f"契約日 {_day_full(e.contract_date)}　事業報告書の提出 {_day_full(final)}　"
        f"作成 {wareki(date.today())}　{BUSINESS_DAYS_NOTE}",
    )
    ws.cell(2, 1).font = Font(name=MINCHO, size=9)


def _print_setup(ws: Worksheet, title_rows: str, title_cols: str = "") -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "&P / &N"


def _scale(width: float) -> int:
    """The print scale that fits columns this wide (in width units) on an A3 landscape page.

    A fixed scale rather than "fit to 1 page wide", which LibreOffice reads as one page in all;
    a width unit prints about 2.8 mm wide at 100 % and the page leaves about 400 mm.
    """
    return max(10, min(100, int(100 * 400 / (width * 2.8))))


def _wbs_sheet(ws: Worksheet, plan: Workplan) -> None:
    """The WBS as a table: one row per work item under a styled, filtered, frozen header."""
    head = 4
    _top_lines(ws, plan, engagement_title(plan.engagement, "WBS（作業分解構成）"))
    header_row(ws, head, WBS_HEADERS, _WBS_WIDTHS)
    for r, item in enumerate(plan.items, start=head + 1):
        values: tuple[object, ...] = (
            item.id,
            item.phase,
            item.name,
            item.division,
            item.owner,
            item.start,
            item.end,
            business_days_between(item.start, item.end),
            "、".join(item.depends),
            item.deliverable,
        )
        for c, value in enumerate(values, start=1):
            if isinstance(value, str):
                write_wrapped(ws, r, c, value)
            else:
                ws.cell(r, c, value).alignment = WRAP_TOP
            cell = ws.cell(r, c)
            cell.border, cell.font = BOX, Font(name=MINCHO, bold=bool(item.milestone))
            if isinstance(value, date):
                cell.number_format = _DATE_FORMAT
            if item.milestone:
                cell.fill = _MILESTONE_FILL
    last = head + len(plan.items)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(WBS_HEADERS))}{last}"
    ws.freeze_panes = f"D{head + 1}"
    _print_setup(ws, f"{head}:{head}")
    ws.page_setup.scale = _scale(sum(_WBS_WIDTHS))


def _gantt_days(plan: Workplan) -> list[date]:
    """Every day from the first of the contract month to the end of the final report's month."""
    first = plan.engagement.contract_date.replace(day=1)
    end = plan.milestone("final_report").end
    last = (end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _gantt_header(ws: Worksheet, days: list[date], top: int) -> int:
    """Fixed column heads, month bands, day numbers and weekdays; the first day column."""
    for c, (name, width) in enumerate(zip(GANTT_FIXED, _GANTT_WIDTHS, strict=True), start=1):
        ws.merge_cells(start_row=top, start_column=c, end_row=top + 2, end_column=c)
        head_cell(ws, top, c, name)
        ws.column_dimensions[get_column_letter(c)].width = width
    first_col = len(GANTT_FIXED) + 1
    month_start = first_col
    for k, day in enumerate(days):
        col = first_col + k
        ws.column_dimensions[get_column_letter(col)].width = _DAY_WIDTH
        head_cell(ws, top + 1, col, str(day.day))
        off = day_off_reason(day)
        mark = "祝" if off and day.weekday() < 5 and off != CLOSURE else weekday_ja(day)
        head_cell(ws, top + 2, col, "休" if off == CLOSURE else mark)
        for r in (top + 1, top + 2):
            ws.cell(r, col).font = Font(name=GOTHIC, size=8, bold=False)
            if off:
                ws.cell(r, col).fill = _OFF_FILL
        is_last = k == len(days) - 1 or days[k + 1].month != day.month
        if is_last:
            ws.merge_cells(start_row=top, start_column=month_start, end_row=top, end_column=col)
            head_cell(ws, top, month_start, f"{day.year}年{day.month}月")
            if k != len(days) - 1:
                ws.col_breaks.append(Break(id=col))  # a printed page per month
            month_start = col + 1
    return first_col


def _gantt_sheet(ws: Worksheet, plan: Workplan) -> None:
    """The schedule as a calendar: business days of each item filled, days off shaded."""
    top = 5
    _top_lines(ws, plan, engagement_title(plan.engagement, "工程表"))
    days = _gantt_days(plan)
    first_col = _gantt_header(ws, days, top)
    legend = (
        ("作業（営業日）", _WORK_FILL),
        ("◆ マイルストーン　● 1日の作業", _MILESTONE_FILL),
        ("土日・祝日・年末年始（12/29～1/3）", _OFF_FILL),
    )
    for k, (text, fill) in enumerate(legend):
        col = first_col + 12 * k  # each label spills over the empty cells to its right
        ws.cell(3, col).fill, ws.cell(3, col).border = fill, BOX
        put(ws, 3, col + 1, text)
        ws.cell(3, col + 1).font = Font(name=MINCHO, size=9)
    off = {k for k, d in enumerate(days) if not is_business_day(d)}
    row = top + 3
    phase = ""
    for item in plan.items:
        if item.phase != phase:
            phase = item.phase
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(GANTT_FIXED))
            put(ws, row, 1, phase)
            ws.cell(row, 1).font, ws.cell(row, 1).fill = Font(name=GOTHIC, bold=True), _PHASE_FILL
            for k in off:
                ws.cell(row, first_col + k).fill = _OFF_FILL
            row += 1
        values: tuple[object, ...] = (item.id, item.name, item.owner, item.start, item.end)
        for c, value in enumerate(values, start=1):
            if isinstance(value, str):
                write_wrapped(ws, row, c, value)
            else:
                ws.cell(row, c, value).number_format = "m/d"
            cell = ws.cell(row, c)
            cell.border, cell.alignment = BOX, Alignment(vertical="center", wrap_text=True)
            cell.font = Font(name=MINCHO, size=9, bold=bool(item.milestone))
        one_day = item.start == item.end
        for k, day in enumerate(days):
            cell = ws.cell(row, first_col + k)
            if k in off:
                cell.fill = _OFF_FILL
            elif item.start <= day <= item.end:
                cell.fill = _MILESTONE_FILL if item.milestone else _WORK_FILL
                if one_day:
                    cell.value = "◆" if item.milestone else "●"
                    cell.alignment = _CENTER
                    cell.font = Font(name=GOTHIC, size=8)
        row += 1
    ws.freeze_panes = ws.cell(top + 3, first_col).coordinate
    _print_setup(ws, f"{top}:{top + 2}", f"A:{get_column_letter(len(GANTT_FIXED))}")
    # a page: the fixed columns and one month (31 day columns)
    ws.page_setup.scale = _scale(sum(_GANTT_WIDTHS) + 31 * _DAY_WIDTH)


def _milestone_sheet(ws: Worksheet, plan: Workplan) -> None:
    e = plan.engagement
    put(ws, 1, 1, engagement_title(e, "マイルストーン"))
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    given = e.milestones.model_dump()
    heads = ("WBS番号", "マイルストーン", "期日", "曜日", "日付の決め方")
    widths = (9, 44, 14, 6, 30)
    header_row(ws, 3, heads, widths)
    for r, key in enumerate(MILESTONES, start=4):
        item = plan.milestone(key)
        how = "設定ファイルで指定" if given[key] else "既定（期限以前の最後の営業日）"
        values: tuple[object, ...] = (item.id, item.name, item.end, weekday_ja(item.end), how)
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, value)
            cell.border, cell.font = BOX, Font(name=MINCHO)
            if isinstance(value, date):
                cell.number_format = _DATE_FORMAT
    _print_setup(ws, "3:3")


def _days_off_sheet(ws: Worksheet, plan: Workplan) -> None:
    e = plan.engagement
    put(ws, 1, 1, engagement_title(e, "休日一覧（祝日・年末年始。土日を除く）"))
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    for c, (name, width) in enumerate(
        zip(("日付", "曜日", "区分", "名称"), (14, 6, 14, 30), strict=True), start=1
    ):
        head_cell(ws, 3, c, name)
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, (day, reason) in enumerate(days_off(e.contract_date, e.year_end), start=4):
        kind = "年末年始休業" if reason == CLOSURE else "国民の祝日・休日"
        for c, value in enumerate((day, weekday_ja(day), kind, reason), start=1):
            cell = ws.cell(r, c, value)
            cell.border, cell.font = BOX, Font(name=MINCHO)
            if isinstance(value, date):
                cell.number_format = _DATE_FORMAT
    _print_setup(ws, "3:3")


def export_wbs(plan: Workplan, path: Path) -> Path:
    """Write the WBS schedule as Excel.

    Args:
        plan: the work plan.
        path: the .xlsx to write.

    Returns:
        The path written, with four sheets: WBS (one row per work item: number, phase, name,
        division, owner role, start, end, business days, dependencies, deliverable), 工程表 (the
        items against a calendar of days, business days of each item filled, weekends, public
        holidays and the 12/29–1/3 closure shaded, a printed A3 page per month), マイルストーン
        and 休日一覧 (the public holidays and closure days of the year, from the holiday library).

    Raises:
        UserError: the path does not end in .xlsx.

    """
    wb = Workbook()
    ws = wb.active
    ws.title = "WBS"
    _wbs_sheet(ws, plan)
    _gantt_sheet(wb.create_sheet("工程表"), plan)
    _milestone_sheet(wb.create_sheet("マイルストーン"), plan)
    _days_off_sheet(wb.create_sheet("休日一覧"), plan)
    set_properties(wb, engagement_title(plan.engagement, "WBS"))
    return save_xlsx(wb, path)


# --- 作業計画書 (Word) -------------------------------------------------------------------------


def engagement_purpose(e: Engagement) -> str:
    """The purpose of the engagement, in the words of the plan and the report."""
    return (
        f"本業務は、{e.city}の情報セキュリティポリシー及び関係規程に基づく情報セキュリティ対策の"
        "実施状況を、独立かつ専門的な立場から点検・評価し、その結果に基づく改善を促すことにより、"
        f"{e.city}の情報資産の機密性、完全性及び可用性を確保することを目的とする。"
        f"{e.fiscal_year_ja}は、{e.focus_theme}を重点テーマとする。"
    )


def cover(doc: DocxDocument, e: Engagement, what: str, day: date, end: date) -> None:
    """The title, the date and the table of the engagement's particulars."""
    heading(doc, f"{e.project}　{what}", 0)
    para(doc, wareki(day), align="right")
    labelled(
        doc,
        [
            ("業務名", f"{e.city}　{e.fiscal_year_ja}　{e.project}"),
            ("委託者", e.city),
            ("履行期間", f"{wareki(e.contract_date)}から{wareki(end)}まで"),
            ("重点テーマ", e.focus_theme),
            ("監査対象課", "、".join(e.divisions)),
        ],
    )


def team_table(doc: DocxDocument, e: Engagement) -> None:
    """The team: name, role, qualifications and main duties."""
    rows = [
        [str(k), m.name, m.role, m.qualifications, ROLE_DUTIES[m.role]]
        for k, m in enumerate(e.team, start=1)
    ]
    table(doc, ("No.", "氏名", "役割", "資格", "主な担当"), rows, (12, 26, 24, 36, 62))


MILESTONE_HEADERS = ("No.", "マイルストーン", "期日", "WBS番号")
MILESTONE_WIDTHS = (12, 78, 50, 20)


def milestone_rows(plan: Workplan) -> list[list[str]]:
    """The fixed milestones with their dates (under `MILESTONE_HEADERS`)."""
    items = [plan.milestone(key) for key in MILESTONES]
    return [[str(k), i.name, _day_full(i.end), i.id] for k, i in enumerate(items, start=1)]


def fieldwork_rows(plan: Workplan) -> list[list[str]]:
    """Each division's hearing and on-site days with the deadlines of their records."""
    by = {i.id: i for i in plan.items}
    rows = []
    for k, div in enumerate(plan.engagement.divisions, start=1):
        hearing, minutes = by[f"4.{k}.2"], by[f"4.{k}.3"]
        visit, summary = by.get(f"4.{k}.5"), by.get(f"4.{k}.6")
        rows.append(
            [
                div,
                _md(hearing.end),
                _md(minutes.end),
                _md(visit.end) if visit else "―",
                _md(summary.end) if summary else "―",
            ]
        )
    return rows


def _deliverable_rows(plan: Workplan) -> list[list[str]]:
    rows = []
    for i in plan.items:
        if not i.deliverable:
            continue
        kind = "Excel" if "Excel" in i.deliverable else "Word"
        rows.append([i.deliverable, i.id, _md(i.end), kind, i.owner])
    return rows


def export_workplan(plan: Workplan, path: Path, day: date | None = None) -> Path:
    """Write the work plan (作業計画書) as Word.

    Args:
        plan: the work plan.
        path: the .docx to write.
        day: the date under the title (today by default).

    Returns:
        The path written: a cover table, then 1 目的, 2 実施体制 (team and roles), 3 作業項目と
        依存関係 (per phase: number, item, owner, period, preceding items, deliverable), 4 日程
        (the fixed milestones, each division's hearing and on-site days with the 5-business-day
        deadlines), 5 成果物, 6 情報の取扱い.

    Raises:
        UserError: the path does not end in .docx.

    """
    e = plan.engagement
    final = plan.milestone("final_report").end
    doc = new_document(engagement_title(e, "作業計画書"), drafts=False)
    cover(doc, e, "作業計画書", day or date.today(), e.year_end)
    heading(doc, "1　目的", 1)
    para(doc, engagement_purpose(e))
    para(
        doc,
        f"本書は、業務の作業項目、その依存関係、実施体制及び日程を定めるものである。"
        f"本書は契約締結後14日以内（{_day_full(plan.milestone('plan_explained').end)}）に"
        "CISOに説明する。",
    )
    heading(doc, "2　実施体制", 1)
    team_table(doc, e)
    heading(doc, "3　作業項目と依存関係", 1)
    para(
        doc,
        "各作業項目は、先行作業（WBS番号）がすべて終了した翌営業日以降に開始する。"
        "期間は開始日から終了日まで（いずれも営業日）である。WBS（Excel）に同じ内容を工程表として示す。",
    )
    for phase in PHASES:
        items = [i for i in plan.items if i.phase == phase]
        if not items:
            continue
        heading(doc, phase.replace(" ", "　", 1), 2)
        rows = [
            [i.id, i.name, i.owner, _span(i), "、".join(i.depends) or "―", i.deliverable or "―"]
            for i in items
        ]
        table(
            doc,
            ("WBS番号", "作業項目", "担当", "期間", "先行作業", "成果物"),
            rows,
            (14, 46, 22, 30, 18, 30),
        )
    heading(doc, "4　日程", 1)
    para(doc, BUSINESS_DAYS_NOTE)
    heading(doc, "（1）マイルストーン", 2)
    table(doc, MILESTONE_HEADERS, milestone_rows(plan), MILESTONE_WIDTHS)
    heading(doc, "（2）ヒアリング及び現地監査", 2)
    para(
        doc,
        f"ヒアリングは証跡が残るよう原則として電子メールにより行い、対面又はウェブ会議により"
        f"実施した場合の議事録は{REPORT_DAYS}営業日以内に作成する。現地監査の結果概要は"
        f"{REPORT_DAYS}営業日以内に取りまとめる。",
    )
    table(
        doc,
        ("対象課", "ヒアリング", "議事録の期限", "現地監査", "結果概要の期限"),
        fieldwork_rows(plan),
        (48, 28, 28, 28, 28),
    )
    heading(doc, "5　成果物", 1)
    table(
        doc,
        ("成果物", "WBS番号", "期日", "形式", "作成担当"),
        _deliverable_rows(plan),
        (66, 18, 28, 18, 30),
    )
    para(doc, f"最終の成果物である事業報告書は{_day_full(final)}までに提出する。")
    heading(doc, "6　情報の取扱い", 1)
    para(doc, CONFIDENTIALITY)
    para(doc, "以上", align="right")
    return save_docx(doc, path)
