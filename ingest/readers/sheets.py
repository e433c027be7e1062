"""Excel workbooks (and .xls/.ods through LibreOffice): rows of cells, merged ranges resolved."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from ingest.readers.blocks import CELL, Block, Notify, check_ooxml, corrupt, quiet
from ingest.readers.convert import to_current


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def row_cells(row: list[str]) -> list[str]:
    """Non-empty cells of a row, with the repeats that merged ranges leave side by side dropped."""
    out: list[str] = []
    for cell in row:
        if cell and (not out or out[-1] != cell):
            out.append(cell)
    return out


def read_sheet_rows(path: Path, say: Notify = quiet) -> list[tuple[str, list[list[str]]]]:
    """Every sheet's rows as text cells, merged ranges filled with their top-left value.

    An old Excel (.xls) or OpenDocument (.ods) workbook is read through its LibreOffice copy.

    Raises:
        UnreadableFileError: encrypted or corrupt workbook, or one LibreOffice cannot convert.

    """
    if path.suffix.lower() in (".xls", ".ods"):
        with to_current(path, say) as converted:
            return read_sheet_rows(converted)
    check_ooxml(path, "Excel ファイル", "Excel file")
    from openpyxl import load_workbook

    # openpyxl leaves a file it failed to parse open, so it reads from a handle we close
    with path.open("rb") as fh:
        try:
            wb = load_workbook(fh, data_only=True)
        except (KeyError, ValueError, OSError, SyntaxError, zipfile.BadZipFile, zlib.error) as exc:
            # SyntaxError covers XML ParseError; zlib.error a damaged compressed part
            raise corrupt(path, type(exc).__name__) from exc
    sheets = []
    for ws in wb.worksheets:
        grid = [[_cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:
            value = _cell_text(ws.cell(rng.min_row, rng.min_col).value)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                        grid[r - 1][c - 1] = value
        sheets.append((ws.title, grid))
    return sheets


def read_xlsx(path: Path, say: Notify = quiet) -> list[Block]:
    """Excel: every sheet (its name as a heading), row by row, merged cells resolved."""
    blocks = []
    for number, (title, grid) in enumerate(read_sheet_rows(path, say), start=1):
        rows = [row_cells(r) for r in grid]
        rows = [r for r in rows if r]
        if not rows:
            continue
        blocks.append(Block(title, page=number, heading_level=1))
        blocks.extend(Block(CELL.join(r), page=number, table_row=True) for r in rows)
    return blocks
