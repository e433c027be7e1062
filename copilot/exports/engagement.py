"""The engagement's own documents: the work plan (Word), the WBS schedule (Excel), the final report.

Pure functions from models to files, on the helpers of ``copilot.exports.documents`` (the same fonts, page
set-up, atomic saves, 【下書き】 marking and sign-off rules). The final report's content comes in
as a `FinalReport`, which ``copilot.engagement.final_report`` compiles from the review store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from docx.document import Document as DocxDocument
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from copilot.audit.selfcheck import Triage
from copilot.engagement.calendar_jp import (
    CLOSURE,
    business_days_between,
    day_off_reason,
    days_off,
    is_business_day,
    weekday_ja,
)
from copilot.engagement.workplan import PHASES, REPORT_DAYS
from copilot.exports.documents import (
    _BOX,
    _WRAP_TOP,
    DRAFT,
    GOTHIC,
    IKEN,
    METHODS,
    MINCHO,
    SHITEKI,
    ReviewInfo,
    _head_cell,
    _header_row,
    _heading,
    _labelled,
    _new_document,
    _para,
    _put,
    _save_docx,
    _save_xlsx,
    _set_properties,
    _table,
    _wareki,
    _write_wrapped,
)
from copilot.schemas import (
    MILESTONES,
    VERDICTS,
    ChecklistJudgement,
    Citation,
    Engagement,
    Finding,
    PolicyAdvice,
    PolicyGap,
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
    return f"{_wareki(day)}（{weekday_ja(day)}）"


def _span(item: WorkItem) -> str:
    return _md(item.start) if item.start == item.end else f"{_md(item.start)}～{_md(item.end)}"


def _title(e: Engagement, what: str) -> str:
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
    _put(ws, 1, 1, title)
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    final = plan.milestone("final_report").end
    _put(
        ws,
        2,
        1,
        f"契約日 {_day_full(e.contract_date)}　事業報告書の提出 {_day_full(final)}　"
        f"作成 {_wareki(date.today())}　{BUSINESS_DAYS_NOTE}",
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
    _top_lines(ws, plan, _title(plan.engagement, "WBS（作業分解構成）"))
    _header_row(ws, head, WBS_HEADERS, _WBS_WIDTHS)
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
                _write_wrapped(ws, r, c, value)
            else:
                ws.cell(r, c, value).alignment = _WRAP_TOP
            cell = ws.cell(r, c)
            cell.border, cell.font = _BOX, Font(name=MINCHO, bold=bool(item.milestone))
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
        _head_cell(ws, top, c, name)
        ws.column_dimensions[get_column_letter(c)].width = width
    first_col = len(GANTT_FIXED) + 1
    month_start = first_col
    for k, day in enumerate(days):
        col = first_col + k
        ws.column_dimensions[get_column_letter(col)].width = _DAY_WIDTH
        _head_cell(ws, top + 1, col, str(day.day))
        off = day_off_reason(day)
        mark = "祝" if off and day.weekday() < 5 and off != CLOSURE else weekday_ja(day)
        _head_cell(ws, top + 2, col, "休" if off == CLOSURE else mark)
        for r in (top + 1, top + 2):
            ws.cell(r, col).font = Font(name=GOTHIC, size=8, bold=False)
            if off:
                ws.cell(r, col).fill = _OFF_FILL
        is_last = k == len(days) - 1 or days[k + 1].month != day.month
        if is_last:
            ws.merge_cells(start_row=top, start_column=month_start, end_row=top, end_column=col)
            _head_cell(ws, top, month_start, f"{day.year}年{day.month}月")
            if k != len(days) - 1:
                ws.col_breaks.append(Break(id=col))  # a printed page per month
            month_start = col + 1
    return first_col


def _gantt_sheet(ws: Worksheet, plan: Workplan) -> None:
    """The schedule as a calendar: business days of each item filled, days off shaded."""
    top = 5
    _top_lines(ws, plan, _title(plan.engagement, "工程表"))
    days = _gantt_days(plan)
    first_col = _gantt_header(ws, days, top)
    legend = (
        ("作業（営業日）", _WORK_FILL),
        ("◆ マイルストーン　● 1日の作業", _MILESTONE_FILL),
        ("土日・祝日・年末年始（12/29～1/3）", _OFF_FILL),
    )
    for k, (text, fill) in enumerate(legend):
        col = first_col + 12 * k  # each label spills over the empty cells to its right
        ws.cell(3, col).fill, ws.cell(3, col).border = fill, _BOX
        _put(ws, 3, col + 1, text)
        ws.cell(3, col + 1).font = Font(name=MINCHO, size=9)
    off = {k for k, d in enumerate(days) if not is_business_day(d)}
    row = top + 3
    phase = ""
    for item in plan.items:
        if item.phase != phase:
            phase = item.phase
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(GANTT_FIXED))
            _put(ws, row, 1, phase)
            ws.cell(row, 1).font, ws.cell(row, 1).fill = Font(name=GOTHIC, bold=True), _PHASE_FILL
            for k in off:
                ws.cell(row, first_col + k).fill = _OFF_FILL
            row += 1
        values: tuple[object, ...] = (item.id, item.name, item.owner, item.start, item.end)
        for c, value in enumerate(values, start=1):
            if isinstance(value, str):
                _write_wrapped(ws, row, c, value)
            else:
                ws.cell(row, c, value).number_format = "m/d"
            cell = ws.cell(row, c)
            cell.border, cell.alignment = _BOX, Alignment(vertical="center", wrap_text=True)
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
    _put(ws, 1, 1, _title(e, "マイルストーン"))
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    given = e.milestones.model_dump()
    heads = ("WBS番号", "マイルストーン", "期日", "曜日", "日付の決め方")
    widths = (9, 44, 14, 6, 30)
    _header_row(ws, 3, heads, widths)
    for r, key in enumerate(MILESTONES, start=4):
        item = plan.milestone(key)
        how = "設定ファイルで指定" if given[key] else "既定（期限以前の最後の営業日）"
        values: tuple[object, ...] = (item.id, item.name, item.end, weekday_ja(item.end), how)
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c, value)
            cell.border, cell.font = _BOX, Font(name=MINCHO)
            if isinstance(value, date):
                cell.number_format = _DATE_FORMAT
    _print_setup(ws, "3:3")


def _days_off_sheet(ws: Worksheet, plan: Workplan) -> None:
    e = plan.engagement
    _put(ws, 1, 1, _title(e, "休日一覧（祝日・年末年始。土日を除く）"))
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    for c, (name, width) in enumerate(
        zip(("日付", "曜日", "区分", "名称"), (14, 6, 14, 30), strict=True), start=1
    ):
        _head_cell(ws, 3, c, name)
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, (day, reason) in enumerate(days_off(e.contract_date, e.year_end), start=4):
        kind = "年末年始休業" if reason == CLOSURE else "国民の祝日・休日"
        for c, value in enumerate((day, weekday_ja(day), kind, reason), start=1):
            cell = ws.cell(r, c, value)
            cell.border, cell.font = _BOX, Font(name=MINCHO)
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
    _set_properties(wb, _title(plan.engagement, "WBS"))
    return _save_xlsx(wb, path)


# --- 作業計画書 (Word) -------------------------------------------------------------------------


def _purpose(e: Engagement) -> str:
    return (
        f"本業務は、{e.city}の情報セキュリティポリシー及び関係規程に基づく情報セキュリティ対策の"
        "実施状況を、独立かつ専門的な立場から点検・評価し、その結果に基づく改善を促すことにより、"
        f"{e.city}の情報資産の機密性、完全性及び可用性を確保することを目的とする。"
        f"{e.fiscal_year_ja}は、{e.focus_theme}を重点テーマとする。"
    )


def _cover(doc: DocxDocument, e: Engagement, what: str, day: date, end: date) -> None:
    _heading(doc, f"{e.project}　{what}", 0)
    _para(doc, _wareki(day), align="right")
    _labelled(
        doc,
        [
            ("業務名", f"{e.city}　{e.fiscal_year_ja}　{e.project}"),
            ("委託者", e.city),
            ("履行期間", f"{_wareki(e.contract_date)}から{_wareki(end)}まで"),
            ("重点テーマ", e.focus_theme),
            ("監査対象課", "、".join(e.divisions)),
        ],
    )


def _team_table(doc: DocxDocument, e: Engagement) -> None:
    rows = [
        [str(k), m.name, m.role, m.qualifications, ROLE_DUTIES[m.role]]
        for k, m in enumerate(e.team, start=1)
    ]
    _table(doc, ("No.", "氏名", "役割", "資格", "主な担当"), rows, (12, 26, 24, 36, 62))


MILESTONE_HEADERS = ("No.", "マイルストーン", "期日", "WBS番号")
_MILESTONE_WIDTHS = (12, 78, 50, 20)


def _milestone_rows(plan: Workplan) -> list[list[str]]:
    items = [plan.milestone(key) for key in MILESTONES]
    return [[str(k), i.name, _day_full(i.end), i.id] for k, i in enumerate(items, start=1)]


def _fieldwork_rows(plan: Workplan) -> list[list[str]]:
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
    doc = _new_document(_title(e, "作業計画書"), drafts=False)
    _cover(doc, e, "作業計画書", day or date.today(), e.year_end)
    _heading(doc, "1　目的", 1)
    _para(doc, _purpose(e))
    _para(
        doc,
        f"本書は、業務の作業項目、その依存関係、実施体制及び日程を定めるものである。"
        f"本書は契約締結後14日以内（{_day_full(plan.milestone('plan_explained').end)}）に"
        "CISOに説明する。",
    )
    _heading(doc, "2　実施体制", 1)
    _team_table(doc, e)
    _heading(doc, "3　作業項目と依存関係", 1)
    _para(
        doc,
        "各作業項目は、先行作業（WBS番号）がすべて終了した翌営業日以降に開始する。"
        "期間は開始日から終了日まで（いずれも営業日）である。WBS（Excel）に同じ内容を工程表として示す。",
    )
    for phase in PHASES:
        items = [i for i in plan.items if i.phase == phase]
        if not items:
            continue
        _heading(doc, phase.replace(" ", "　", 1), 2)
        rows = [
            [i.id, i.name, i.owner, _span(i), "、".join(i.depends) or "―", i.deliverable or "―"]
            for i in items
        ]
        _table(
            doc,
            ("WBS番号", "作業項目", "担当", "期間", "先行作業", "成果物"),
            rows,
            (14, 46, 22, 30, 18, 30),
        )
    _heading(doc, "4　日程", 1)
    _para(doc, BUSINESS_DAYS_NOTE)
    _heading(doc, "（1）マイルストーン", 2)
    _table(doc, MILESTONE_HEADERS, _milestone_rows(plan), _MILESTONE_WIDTHS)
    _heading(doc, "（2）ヒアリング及び現地監査", 2)
    _para(
        doc,
        f"ヒアリングは証跡が残るよう原則として電子メールにより行い、対面又はウェブ会議により"
        f"実施した場合の議事録は{REPORT_DAYS}営業日以内に作成する。現地監査の結果概要は"
        f"{REPORT_DAYS}営業日以内に取りまとめる。",
    )
    _table(
        doc,
        ("対象課", "ヒアリング", "議事録の期限", "現地監査", "結果概要の期限"),
        _fieldwork_rows(plan),
        (48, 28, 28, 28, 28),
    )
    _heading(doc, "5　成果物", 1)
    _table(
        doc,
        ("成果物", "WBS番号", "期日", "形式", "作成担当"),
        _deliverable_rows(plan),
        (66, 18, 28, 18, 30),
    )
    _para(doc, f"最終の成果物である事業報告書は{_day_full(final)}までに提出する。")
    _heading(doc, "6　情報の取扱い", 1)
    _para(doc, CONFIDENTIALITY)
    _para(doc, "以上", align="right")
    return _save_docx(doc, path)


# --- 事業報告書 (Word) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractResult:
    """One contract's checklist judgements as the final report shows them."""

    contract: str
    division: str
    service: str
    judgements: list[tuple[ChecklistJudgement, ReviewInfo]]
    withheld: int = 0  # unsigned judgements left out


@dataclass(frozen=True)
class FinalReport:
    """Everything the final report (事業報告書) shows, already filtered by sign-off."""

    plan: Workplan
    findings: list[tuple[str, list[tuple[Finding, ReviewInfo]]]]
    contracts: list[ContractResult]
    triage: Triage | None
    gaps: list[tuple[PolicyGap, ReviewInfo]] = field(default_factory=list)
    advice: list[tuple[PolicyAdvice, ReviewInfo]] = field(default_factory=list)
    include_drafts: bool = False
    withheld: int = 0  # unsigned drafts left out (all kinds)
    triage_note: str = ""

    @property
    def drafts(self) -> bool:
        """Whether any unsigned part is shown."""
        reviews = [r for _, fs in self.findings for _, r in fs]
        reviews += [r for c in self.contracts for _, r in c.judgements]
        reviews += [r for _, r in self.gaps] + [r for _, r in self.advice]
        return any(not r.signed for r in reviews)


class Citations:
    """The report's citations, numbered in the order the body first uses them."""

    def __init__(self) -> None:
        self.cited: list[Citation] = []
        self._numbers: dict[tuple[str, str, int | None, str], int] = {}

    def number(self, c: Citation) -> int:
        """The citation's number (a new one the first time it is used)."""
        key = (c.document, c.clause_path, c.page, c.quote)
        if key not in self._numbers:
            self.cited.append(c)
            self._numbers[key] = len(self.cited)
        return self._numbers[key]

    def refs(self, cites: Sequence[Citation]) -> str:
        """References in the body: ［1］［2］ (empty for none)."""
        return "".join(f"［{n}］" for n in dict.fromkeys(self.number(c) for c in cites))

    def rows(self) -> list[list[str]]:
        """The appendix: No., 文書, 条項パス, 頁, 引用."""
        return [
            [str(k), c.document, c.clause_path, str(c.page) if c.page else "", c.quote]
            for k, c in enumerate(self.cited, start=1)
        ]


def _mark(review: ReviewInfo) -> str:
    return "" if review.signed else DRAFT


def _report_course(doc: DocxDocument, r: FinalReport) -> None:
    e = r.plan.engagement
    _heading(doc, "1　業務の概要", 1)
    _heading(doc, "（1）目的", 2)
    _para(doc, _purpose(e))
    _heading(doc, "（2）監査の方法", 2)
    for name, text in METHODS:
        _para(doc, f"・{name}：{text}")
    _heading(doc, "（3）実施体制", 2)
    _team_table(doc, e)
    _heading(doc, "2　実施経過", 1)
    _para(doc, "作業計画書に定めた日程は次のとおりである。" + BUSINESS_DAYS_NOTE)
    _table(doc, MILESTONE_HEADERS, _milestone_rows(r.plan), _MILESTONE_WIDTHS)
    _table(
        doc,
        ("対象課", "ヒアリング", "議事録の期限", "現地監査", "結果概要の期限"),
        _fieldwork_rows(r.plan),
        (48, 28, 28, 28, 28),
    )


def _report_approach(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    e = r.plan.engagement
    _heading(doc, "3　監査実施方針（自己点検結果に基づくリスク評価）", 1)
    if r.triage is None:
        _para(doc, r.triage_note or "自己点検の結果がないため、記載していない。")
        return
    _para(
        doc,
        "各所属の自己点検結果を、規程の義務の強さと機密性3の情報資産への関わりで重み付けして"
        "順位付けし、これを基に監査対象課を選定した。" + f"（注）{r.triage.formula}",
    )
    rows = [
        [
            str(d.rank),
            d.division,
            f"{d.score:g}",
            str(d.no_count),
            str(d.unanswered_count),
            "○" if d.division in e.divisions else "",
        ]
        for d in r.triage.divisions
    ]
    heads = ("順位", "所属", "点数", "いいえ", "未回答", "監査対象")
    _table(doc, heads, rows, (14, 62, 20, 20, 20, 24))
    for d in r.triage.divisions:
        if d.division not in e.divisions or not d.reasons:
            continue
        _heading(doc, f"{d.division}（{d.explanation}）", 3)
        rows = [
            [f"No.{x.id}", x.question, x.answer, cites.refs([x.basis]) if x.basis else "―"]
            for x in d.reasons
        ]
        _table(doc, ("設問", "内容", "回答", "根拠"), rows, (16, 104, 16, 24))


def _report_finding(
    doc: DocxDocument, number: str, f: Finding, review: ReviewInfo, cites: Citations
) -> None:
    _heading(doc, f"{_mark(review)}{number}　{f.title}", 3)
    rating = SHITEKI if f.rating == "指摘" else IKEN
    for title, text in (
        ("発見事項", f.finding),
        ("指摘・意見の評価", f"{f.rating}（{rating.split('：', 1)[1]}）"),
        ("想定されるリスク", f.risk),
        ("改善提言", f.recommendation),
    ):
        _para(doc, f"【{title}】{text}")
    basis = []
    if f.criteria:
        basis.append(f"判断基準 {cites.refs(f.criteria)}")
    if f.evidence:
        basis.append(f"確認した証跡 {cites.refs(f.evidence)}")
    _para(doc, f"【根拠】{'　'.join(basis) if basis else '引用なし'}")
    if not review.signed:
        _para(doc, f"（状態：{review.label()}）")


def _report_findings(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    _heading(doc, "4　対象課ごとの監査結果", 1)
    _para(
        doc,
        "発見事項は、対象課との事実確認を経て主任担当者が承認したものを記載する。"
        "評価の区分は次のとおりである。",
    )
    _para(doc, f"・{SHITEKI}")
    _para(doc, f"・{IKEN}")
    counts = [
        [div, *(str(sum(f.rating == k for f, _ in fs)) for k in ("指摘", "意見"))]
        for div, fs in r.findings
    ]
    _table(doc, ("対象課", "指摘", "意見"), counts, (100, 30, 30))
    for k, (div, fs) in enumerate(r.findings, start=1):
        _heading(doc, f"（{k}）{div}", 2)
        if not fs:
            _para(doc, "承認された発見事項はない。")
            continue
        for rating in ("指摘", "意見"):
            for n, (f, review) in enumerate([x for x in fs if x[0].rating == rating], start=1):
                _report_finding(doc, f"{rating}{n}", f, review, cites)


NEEDS_ACTION = ("一部反映", "反映なし", "要確認")


def _report_contracts(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    e = r.plan.engagement
    _heading(doc, f"5　外部サービス契約の確認結果（重点テーマ：{e.focus_theme}）", 1)
    if not r.contracts:
        _para(doc, "承認された確認結果はない。")
        return
    _para(
        doc,
        "対象課の外部サービスの契約書類（募集要項、仕様書、契約書等）が、外部サービス利用時"
        "チェックリストの各項目を反映しているかを確認した。判定ごとの件数は次のとおりである。",
    )
    rows = []
    for c in r.contracts:
        n = Counter(j.verdict for j, _ in c.judgements)
        rows.append(
            [c.contract, c.service or c.division]
            + [str(n[v]) for v in VERDICTS]
            + [str(len(c.judgements))]
        )
    _table(
        doc,
        ("契約", "サービス・所属", *VERDICTS, "計"),
        rows,
        (26, 46, 14, 14, 14, 14, 14, 12),
    )
    for k, c in enumerate(r.contracts, start=1):
        service = f"　{c.service}" if c.service else ""
        _heading(doc, f"（{k}）契約 {c.contract}{service}（{c.division}）", 2)
        action = [(j, rv) for j, rv in c.judgements if j.verdict in NEEDS_ACTION]
        if c.withheld:
            _para(doc, f"承認されていない判定{c.withheld}件は記載していない。")
        if not c.judgements:
            _para(doc, "承認された判定はない。")
            continue
        if not action:
            _para(doc, "対応を要する項目はない。")
            continue
        _para(doc, "対応を要する項目（一部反映・反映なし・要確認）は次のとおりである。")
        rows = [
            [
                j.item,
                _mark(rv) + j.verdict,
                "\n".join(
                    x
                    for x in (
                        j.advice or j.rationale,
                        f"記載例：{j.proposed_wording}" if j.proposed_wording else "",
                        f"代替措置：{j.alternative_measure}" if j.alternative_measure else "",
                    )
                    if x
                ),
                cites.refs([*j.evidence, *j.basis]) or "―",
            ]
            for j, rv in action
        ]
        _table(doc, ("設問", "判定", "助言・記載例", "根拠"), rows, (16, 24, 96, 24))


def _gap_row(g: PolicyGap, review: ReviewInfo, cites: Citations) -> list[str]:
    wording = f"文案：{g.proposed_wording}" if g.proposed_wording else ""
    quoted = [g.guideline_citation] if g.guideline_citation else []
    return [
        f"{g.requirement}\n{g.requirement_text}",
        _mark(review) + g.coverage,
        "\n".join(x for x in (g.advice, wording) if x),
        cites.refs([*quoted, *g.policy_citations]) or "―",
    ]


def _report_policy(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    _heading(doc, "6　情報セキュリティポリシーの改定に関する助言", 1)
    if not r.gaps and not r.advice:
        _para(doc, "承認された助言はない。")
        return
    if r.gaps:
        _heading(doc, "（1）ガイドラインとの対照", 2)
        n = Counter(g.coverage for g, _ in r.gaps)
        _para(
            doc,
            "ガイドラインの要件ごとにポリシーの規定を対照した結果は、"
            + "、".join(f"{k}{v}件" for k, v in n.items())
            + "である。網羅していない要件は次のとおりである。",
        )
        rows = [_gap_row(g, rv, cites) for g, rv in r.gaps if g.coverage != "網羅"]
        if rows:
            _table(doc, ("要件", "網羅状況", "助言・文案", "根拠"), rows, (56, 20, 60, 24))
    if r.advice:
        _heading(doc, "（2）監査結果に基づく改定の助言", 2)
        for k, (a, rv) in enumerate(r.advice, start=1):
            _heading(doc, f"{_mark(rv)}{k}　{a.clause.document} {a.clause.clause_path}", 3)
            _para(doc, f"【現行の規定】{a.clause_says} {cites.refs([a.clause])}")
            _para(doc, f"【発見事項】{a.what_happened}")
            _para(doc, f"【助言】{a.advice}")
            _para(doc, f"【改定文案】{a.proposed_wording}")
            if a.guideline_citations:
                _para(doc, f"【ガイドラインの根拠】{cites.refs(a.guideline_citations)}")


def _report_summary(doc: DocxDocument, r: FinalReport) -> None:
    e = r.plan.engagement
    shiteki = sum(f.rating == "指摘" for _, fs in r.findings for f, _ in fs)
    iken = sum(f.rating == "意見" for _, fs in r.findings for f, _ in fs)
    missing = sum(j.verdict == "反映なし" for c in r.contracts for j, _ in c.judgements)
    partly = sum(j.verdict == "一部反映" for c in r.contracts for j, _ in c.judgements)
    checked = sum(bool(c.judgements) for c in r.contracts)
    advised = len(r.advice) + sum(g.coverage != "網羅" for g, _ in r.gaps)
    _heading(doc, "7　総括", 1)
    _para(
        doc,
        f"{e.fiscal_year_ja}は、{len(e.divisions)}課を対象に監査を実施し、指摘{shiteki}件、"
        f"意見{iken}件を取りまとめた。重点テーマである{e.focus_theme}については、"
        f"{checked}件の契約の書類を確認し、チェックリストの項目のうち反映なし{missing}件、"
        f"一部反映{partly}件について記載例又は代替措置を助言した。"
        f"ポリシーの改定については、{advised}件の助言を行った。"
        "対象課においては、指摘事項の改善の計画を策定し、その実施状況を報告されたい。",
    )
    if r.withheld and not r.include_drafts:
        _para(doc, f"（注）承認されていない下書き{r.withheld}件は本書に記載していない。")


def export_final_report(r: FinalReport, path: Path, day: date | None = None) -> Path:
    """Write the final report (事業報告書) as Word.

    Args:
        r: what the report shows (signed-off content; unsigned parts only with include_drafts).
        path: the .docx to write.
        day: the date under the title (today by default).

    Returns:
        The path written: a cover table, 1 業務の概要 (purpose, methods, team), 2 実施経過
        (milestones, hearings and on-site checks), 3 監査実施方針 (the self-check ranking and the
        reasons of the audited divisions), 4 対象課ごとの監査結果 (findings with rating, risk,
        recommendation), 5 外部サービス契約の確認結果 (counts per verdict, items needing action),
        6 ポリシー改定に関する助言, 7 総括, and 付録 引用一覧: every citation of the body,
        numbered, with document, clause path, page and quote; the body refers to them as ［n］.
        Unsigned parts carry 【下書き】 and the page header says so.

    Raises:
        UserError: the path does not end in .docx.

    """
    e = r.plan.engagement
    cites = Citations()
    doc = _new_document(_title(e, "事業報告書"), drafts=r.drafts)
    _cover(doc, e, "事業報告書", day or date.today(), e.year_end)
    _report_course(doc, r)
    _report_approach(doc, r, cites)
    _report_findings(doc, r, cites)
    _report_contracts(doc, r, cites)
    _report_policy(doc, r, cites)
    _report_summary(doc, r)
    doc.add_page_break()
    _heading(doc, "付録　引用一覧", 1)
    _para(doc, "本文中の［n］は、次の文書の条項からの引用（原文のまま）を示す。")
    if cites.cited:
        _table(doc, ("No.", "文書", "条項パス", "頁", "引用"), cites.rows(), (12, 40, 30, 10, 68))
    else:
        _para(doc, "引用はない。")
    _para(doc, "以上", align="right")
    return _save_docx(doc, path)


__all__ = [
    "Citations",
    "ContractResult",
    "FinalReport",
    "export_final_report",
    "export_wbs",
    "export_workplan",
]
