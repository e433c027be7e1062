"""The ledger check (外部サービス利用管理台帳 照合結果), as Excel."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from copilot.audit.ledger import LedgerCheck
from copilot.exports.styling import (
    BOX,
    GOTHIC,
    MINCHO,
    WRAP_TOP,
    cite_text,
    header_row,
    print_one_page_wide,
    put,
    save_xlsx,
    set_properties,
    write_wrapped,
)

LEDGER_HEADERS = (
    "管理番号",
    "サービス名",
    "項目",
    "台帳の記載",
    "判定",
    "契約書類の根拠",
    "備考",
)
_LEDGER_WIDTHS = (12, 22, 16, 22, 14, 50, 50)
_STATUS_FILL = {
    "不一致": PatternFill("solid", fgColor="F8CBAD"),
    "契約書類に記載なし": PatternFill("solid", fgColor="FFF2CC"),
    "台帳に記載なし": PatternFill("solid", fgColor="FFF2CC"),
}


def export_ledger_check(check: LedgerCheck, path: Path) -> Path:
    """Write a ledger check (台帳照合結果) as Excel.

    Args:
        check: the check of one contract's ledger rows.
        path: the .xlsx to write.

    Returns:
        The path written: a title, the ledger file, registration state and summary, then one row
        per field checked (管理番号, サービス名, 項目, 台帳の記載, 判定, 契約書類の根拠 with quote,
        document and clause path, 備考) under a styled, filtered and frozen header.

    Raises:
        UserError: the path does not end in .xlsx.

    """
    wb = Workbook()
    ws = wb.active
    ws.title = "台帳照合結果"
    title = f"外部サービス利用管理台帳 照合結果（契約 {check.contract}）"
    head = 6
    header_row(ws, head, LEDGER_HEADERS, _LEDGER_WIDTHS)
    _ledger_top(ws, title, check)
    last = _ledger_rows(ws, head, check)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(LEDGER_HEADERS))}{max(last, head + 1)}"
    ws.freeze_panes = f"A{head + 1}"
    ws.print_title_rows = f"{head}:{head}"
    print_one_page_wide(ws)
    set_properties(wb, title)
    return save_xlsx(wb, path)


def _ledger_top(ws: Worksheet, title: str, check: LedgerCheck) -> None:
    """The title, the ledger file, the registration state and the summary above the table."""
    put(ws, 1, 1, title)
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    lines = (("台帳", check.ledger), ("登録状況", check.state), ("照合結果の概要", check.note))
    for r, (label, value) in enumerate(lines, start=2):
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(LEDGER_HEADERS))
        put(ws, r, 1, label)
        ws.cell(r, 1).font, ws.cell(r, 1).alignment = Font(name=GOTHIC, bold=True), WRAP_TOP
        write_wrapped(ws, r, 2, value)
        ws.cell(r, 2).font = Font(name=MINCHO)


def _ledger_rows(ws: Worksheet, head: int, check: LedgerCheck) -> int:
    """One row per field checked, below the header; the last row written."""
    r = head
    for row in check.rows:
        for f in row.fields:
            r += 1
            values = (
                row.number or f"{row.sheet} {row.row}行目",
                row.service,
                f.item + (f"（{f.column}）" if f.column and f.column != f.item else ""),
                f.ledger_value,
                f.status,
                cite_text(f.evidence) if f.evidence else "",
                f.note,
            )
            for c, text in enumerate(values, start=1):
                write_wrapped(ws, r, c, text)
                ws.cell(r, c).font, ws.cell(r, c).border = Font(name=MINCHO), BOX
            if fill := _STATUS_FILL.get(f.status):
                ws.cell(r, 5).fill = fill
    return r
