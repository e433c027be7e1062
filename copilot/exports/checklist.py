"""One contract's checklist result, written into a copy of the city's own workbook.

The city's sheets, merged cells, styles and widths stay as they were; the answer boxes are
ticked, the いいえ reasons written and the added columns (助言, 記載例, 根拠, 確認者, 状態) filled.
Only signed-off judgements unless ``include_drafts`` (their status cell marked 【下書き】).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from copilot.audit.checklists import _first, _header, _norm_id, import_checklist
from copilot.errors import UserError
from copilot.exports.styling import (
    BOX,
    WRAP_TOP,
    cite_text,
    print_one_page_wide,
    put,
    save_xlsx,
    set_properties,
    top_left,
    write_wrapped,
)
from copilot.schemas import (
    DRAFT,
    ChecklistItem,
    ChecklistJudgement,
    ReviewInfo,
    shows,
)
from ingest.readers import read_sheet_rows, to_current
from ingest.readers.convert import TARGETS

_TICK = re.compile(r"[□☐■☑☒](\s*)(はい|いいえ)")
_REASON = re.compile(r"いいえの場合|理由|代替措置")
ADDED = ("助言", "記載例", "根拠（契約書類の引用と条項）", "確認者", "状態")
_ADDED_WIDTHS = (32, 32, 44, 12, 14)


def ticked(cell: str, answer: str) -> str:
    """The text of an answer cell with the box of the answer filled.

    Args:
        cell: the cell as the city wrote it, e.g. 「□はい　□いいえ」 (or empty).
        answer: はい, いいえ or 未回答.

    Returns:
        「■はい　□いいえ」 or 「□はい　■いいえ」 (spacing kept); every box empty for 未回答; a
        cell without boxes becomes はい / いいえ (or stays as it was for 未回答).

    """
    if _TICK.search(cell):
        return _TICK.sub(lambda m: ("■" if m[2] == answer else "□") + m[1] + m[2], cell)
    return answer if answer in ("はい", "いいえ") else cell


def _reason_text(j: ChecklistJudgement) -> str:
    alt = f"代替措置：{j.alternative_measure}" if j.alternative_measure else ""
    return "\n".join(x for x in (j.rationale, alt) if x)


def _advice(j: ChecklistJudgement) -> str:
    if j.answer == "未回答" and not j.advice:
        return f"（{j.verdict}）{j.rationale}"
    return j.advice


def _evidence(j: ChecklistJudgement) -> str:
    if not j.evidence:
        return "契約書類に該当する記載なし" if j.verdict == "反映なし" else ""
    return "\n".join(cite_text(c) for c in j.evidence)


def _at(cells: list[str], col: int) -> str:
    """The text of a 1-based column of a grid row ("" past its end)."""
    return cells[col - 1] if col - 1 < len(cells) else ""


def _last_column(ws: Worksheet) -> int:
    """The rightmost column holding a value or a merged range."""
    used = [c.column for row in ws.iter_rows() for c in row if c.value not in (None, "")]
    used += [r.max_col for r in ws.merged_cells.ranges]
    return max(used, default=1)


def _reason_cell(
    grid: list[list[str]], row: int, stop: int, last: int
) -> tuple[int, int, str] | None:
    """Where the いいえ reason of the item on `row` goes: (row, column, prompt text), 1-based.

    The reason row is a row after the item's (before `stop`) whose cell asks for it; the text goes
    into the first empty cell right of the prompt, else after the prompt in its own cell.
    """
    for r in range(row + 1, min(stop, len(grid) + 1)):
        cells = grid[r - 1]
        for c, text in enumerate(cells[:last]):
            if not _REASON.search(text):
                continue
            empty = next((k for k in range(c + 1, last) if k >= len(cells) or not cells[k]), None)
            return (r, empty + 1, "") if empty is not None else (r, c + 1, text)
    return None


@dataclass(frozen=True)
class _Layout:
    """Where things are on the checklist sheet (1-based rows and columns)."""

    header: int | None
    answer: int | None
    note: int | None
    first_added: int
    added: tuple[str, ...]


def _layout(ws: Worksheet, grid: list[list[str]], items: list[ChecklistItem]) -> _Layout:
    head, roles = _header(grid)
    answer, note = _first(roles, "answer"), _first(roles, "note")
    added = ADDED if answer is not None else ("回答", "理由・代替措置", *ADDED)
    first_row = min(it.row or 1 for it in items)
    header = head + 1 if head is not None else (first_row - 1 or None)
    return _Layout(
        header=header,
        answer=None if answer is None else answer + 1,
        note=None if note is None else note + 1,
        first_added=_last_column(ws) + 1,
        added=added,
    )


def _add_columns(ws: Worksheet, lay: _Layout, items: list[ChecklistItem]) -> None:
    """The added columns' header (styled like the sheet's own header), widths and borders."""
    widths = (10, 32, *_ADDED_WIDTHS) if len(lay.added) > len(ADDED) else _ADDED_WIDTHS
    last_row = max(it.row or 1 for it in items) + 1
    for k, (name, width) in enumerate(zip(lay.added, widths, strict=True)):
        col = lay.first_added + k
        ws.column_dimensions[get_column_letter(col)].width = width
        if lay.header is None:
            continue
        src = top_left(ws, lay.header, lay.first_added - 1)
        cell = ws.cell(lay.header, col, name)
        cell.font, cell.fill, cell.border = copy(src.font), copy(src.fill), copy(src.border)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for r in range(lay.header + 1, last_row + 1):
            ws.cell(r, col).border = BOX
            ws.cell(r, col).alignment = WRAP_TOP


def _fill_item(
    ws: Worksheet,
    grid: list[list[str]],
    lay: _Layout,
    item: ChecklistItem,
    stop: int,
    judged: tuple[ChecklistJudgement, ReviewInfo],
) -> None:
    """Tick the answer, write the reason and fill the added columns of one item."""
    j, review = judged
    row = item.row or 1
    added = {name: lay.first_added + k for k, name in enumerate(lay.added)}
    reason = _reason_text(j) if j.answer == "いいえ" else ""
    mark = "" if review.signed or not reason else DRAFT
    left = ""  # a reason the layout has no place for goes to 助言
    if lay.answer is not None:
        cells = grid[row - 1]
        put(ws, row, lay.answer, ticked(_at(cells, lay.answer), j.answer))
        place = _reason_cell(grid, row, stop, lay.first_added - 1)
        if place is None and lay.note is not None:
            place = (row, lay.note, _at(cells, lay.note))
        if reason and place is not None:
            r, c, before = place
            write_wrapped(ws, r, c, f"{before}{mark}{reason}")
        elif reason:
            left = f"（理由・代替措置）{mark}{reason}"
    else:
        put(ws, row, added["回答"], j.answer)
        write_wrapped(ws, row, added["理由・代替措置"], mark + reason)
    values = {
        "助言": "\n".join(x for x in (left, _advice(j)) if x),
        "記載例": j.proposed_wording,
        "根拠（契約書類の引用と条項）": _evidence(j),
        "確認者": review.reviewer,
        "状態": review.label(),
    }
    for name, text in values.items():
        write_wrapped(ws, row, added[name], text)


def _by_id(
    items: list[ChecklistItem], judgements: Sequence[tuple[ChecklistJudgement, ReviewInfo]]
) -> dict[str, tuple[ChecklistJudgement, ReviewInfo]]:
    """The judgements by normalised item id (UserError for an id the checklist lacks)."""
    known = {it.id for it in items}
    found = {_norm_id(j.item): (j, r) for j, r in judgements}
    if unknown := sorted(set(found) - known):
        raise UserError(
            f"チェックリストにない設問番号の判定があります：{'、'.join(unknown)}。"
            "判定に用いたチェックリストと同じファイルを指定してください。",
            f"judgements name items the checklist lacks: {', '.join(unknown)}; give the "
            "checklist the judgements were made with.",
        )
    return found


def export_checklist(
    checklist_path: Path,
    contract: str,
    judgements: Sequence[tuple[ChecklistJudgement, ReviewInfo]],
    path: Path,
    include_drafts: bool = False,
) -> Path:
    """Write one contract's checklist result into a copy of the city's own workbook.

    Args:
        checklist_path: the city's checklist workbook (left unchanged).
        contract: the contract the judgements are about.
        judgements: each item's judgement with its review state.
        path: the .xlsx to write (not the city's file).
        include_drafts: also write unsigned judgements, their status marked 【下書き】.

    Returns:
        The path written: the city's sheets, merged cells, styles and widths as they were; on each
        judged item row the 回答 box ticked (or はい/いいえ written), the いいえ reason row filled
        with the rationale and alternative measure, and added columns 助言, 記載例, 根拠（契約書類の
        引用と条項）, 確認者, 状態 (plus 回答 and 理由・代替措置 when the sheet has no 回答 column).

    Raises:
        UserError: the checklist cannot be read (see ``import_checklist``), the output would
            overwrite it or does not end in .xlsx (.xlsm for an .xlsm checklist; an .xls or .ods
            checklist gives an .xlsx), or a judgement names an item the checklist lacks.
        ValueError: a judgement is about another contract.

    """
    if path.resolve() == checklist_path.resolve():
        raise UserError(
            f"{path}: 市のチェックリストの原本には上書きできません。別の出力先を指定してください。",
            f"{path}: will not overwrite the city's checklist; choose another output path.",
        )
    if other := sorted({j.contract for j, _ in judgements} - {contract}):
        raise ValueError(f"judgements of other contracts given for {contract}: {other}")
    checklist = import_checklist(checklist_path)
    items = checklist.items
    by_id = _by_id(items, judgements)
    shown = {k: (j, r) for k, (j, r) in by_id.items() if shows(r, include_drafts)}
    sheet = items[0].sheet
    if checklist_path.suffix.lower() in TARGETS:
        # an old .xls or an .ods: its LibreOffice .xlsx copy is the workbook written into
        with to_current(checklist_path) as current:
            grid = dict(read_sheet_rows(current))[sheet]
            with current.open("rb") as fh:
                wb = load_workbook(fh)
    else:
        grid = dict(read_sheet_rows(checklist_path))[sheet]
        xlsm = checklist_path.suffix.lower() == ".xlsm" and path.suffix.lower() == ".xlsm"
        with checklist_path.open("rb") as fh:
            wb = load_workbook(fh, keep_vba=xlsm)
    ws = wb[sheet]
    lay = _layout(ws, grid, items)
    _add_columns(ws, lay, items)
    rows = [it.row or 1 for it in items] + [len(grid) + 1]
    for k, it in enumerate(items):
        if it.id in shown:
            _fill_item(ws, grid, lay, it, rows[k + 1], shown[it.id])
    drafts = any(not r.signed for _, r in shown.values())
    _checklist_notes(ws, lay, contract, drafts)
    set_properties(wb, f"{checklist.title}（契約 {contract} 確認結果）")
    return save_xlsx(wb, path)


def _checklist_notes(ws: Worksheet, lay: _Layout, contract: str, drafts: bool) -> None:
    """The contract above the added columns, the draft notice, and printing on one page wide."""
    note = f"契約 {contract} の確認結果（監査コパイロットにより記入）"
    if drafts:
        note = f"{DRAFT}未承認の判定を含みます（状態欄に【下書き】）。{note}"
        ws.oddHeader.center.text = DRAFT + (ws.oddHeader.center.text or "")
    if lay.header is not None and lay.header > 1:
        put(ws, lay.header - 1, lay.first_added, note)  # one line, spilling over to the right
        ws.cell(lay.header - 1, lay.first_added).alignment = Alignment(vertical="bottom")
    print_one_page_wide(ws)
