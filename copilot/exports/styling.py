"""The look every export shares: fonts, page set-up, headings, tables, cells and atomic saves.

Word: an A4 document in the Japanese fonts with page numbers and core properties
(`new_document`), headings, paragraphs and grid tables; Excel: column heads, wrapped cells that
raise their row, workbook properties and printing one A3 page wide. Both are saved through a
temporary file (`save_docx`, `save_xlsx`), so no half-written file is left. Also the text helpers
(`clean`, `cite_text`, `noted`), the page header of a document holding unsigned parts
(`DRAFT_HEADER`; the 【下書き】 mark itself is ``copilot.schemas.DRAFT``) and the wording the
audit documents share (`SHITEKI`, `IKEN`, `METHODS`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from copilot.errors import UserError
from copilot.schemas import Citation

AUTHOR = "監査コパイロット"
DRAFT_HEADER = "【下書き】承認前の内容を含みます（【下書き】と付した部分は未承認です）。"
SHITEKI = (
    "指摘：情報セキュリティポリシー、対策基準その他の規程等に違反している事項、又は放置すると"
    "情報資産の機密性・完全性・可用性を損なうおそれがあり、是正を要する事項"
)
IKEN = "意見：規程等への違反ではないが、情報セキュリティの水準を高めるため改善が望ましい事項"
METHODS = (
    (
        "書面監査",
        "自己点検結果及び予備調査の結果を踏まえ、対象課に資料の提出を依頼し、規程等への準拠状況を"
        "書面により確認する。外部サービスの契約については、募集要項、契約書、仕様書等の契約書類を"
        "外部サービス利用時チェックリストの各項目に照らして確認する。",
    ),
    (
        "ヒアリング",
        "書面で確認できない事項は、証跡が残るよう原則として電子メールにより質問し、回答を得る。"
        "対面又はウェブ会議により実施した場合は、実施後5営業日以内に議事録を作成する。",
    ),
    (
        "現地監査",
        "1から3の課を対象に、事前に調整したタイムテーブルに従い、執務室、サーバ室、書庫等において"
        "運用の実態を確認する。確認結果の概要は、実施後5営業日以内に取りまとめる。",
    ),
)


_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """Text that is valid in Word and Excel XML: control characters and lone surrogates removed."""
    return _INVALID.sub("", "" if text is None else str(text))


def noted(text: str, note: str) -> str:
    """A citation's shown text with its note after it (… ※OCR による読み取り…), or the text alone.

    Every face (CLI, Word, Excel, UI) shows a citation's note this way; the UI escapes both parts
    before joining them.
    """
    return f"{text} ※{note}" if note else text


def cite_text(c: Citation) -> str:
    """A citation on one line: 「quote」（document 第35 > 2 p.3）, then its note if it has one."""
    where = " ".join(x for x in (c.document, c.clause_path, f"p.{c.page}" if c.page else "") if x)
    return noted(f"「{c.quote}」（{where}）" if where else f"「{c.quote}」", c.note)


def check_suffix(path: Path, *allowed: str) -> None:
    """UserError unless the output path ends in an allowed suffix (Word and Excel check it)."""
    if path.suffix.lower() not in allowed:
        raise UserError(
            f"{path}: 出力先のファイル名は {' 又は '.join(allowed)} で終わるようにしてください。",
            f"{path}: the output file name must end in {' or '.join(allowed)}.",
        )


def save_atomically(path: Path, save: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, so no half-written file is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        save(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# --- Word ------------------------------------------------------------------------------------

MINCHO = "ＭＳ 明朝"
GOTHIC = "ＭＳ ゴシック"
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_fonts(rpr: OxmlElement, east_asia: str, latin: str) -> None:
    """Set the font names of a run-properties element, dropping theme fonts that override them."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia)):
        fonts.set(qn(attr), name)


def _style_fonts(doc: DocxDocument) -> None:
    """Japanese fonts and black headings on the styles the exports use."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, MINCHO, "Century")
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "ja-JP")
    sizes = {"Normal": 10.5, "Title": 16, "Heading 1": 13, "Heading 2": 11.5, "Heading 3": 10.5}
    for name, size in sizes.items():
        style = doc.styles[name]
        mincho = name == "Normal"
        _set_fonts(style.element.get_or_add_rPr(), MINCHO if mincho else GOTHIC, "Century")
        style.font.size = Pt(size)
        if not mincho:
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.bold = True
            style.paragraph_format.space_before = Pt(10 if name != "Heading 3" else 6)
            style.paragraph_format.space_after = Pt(4)
    for name in ("Header", "Footer", "Table Grid"):
        _set_fonts(doc.styles[name].element.get_or_add_rPr(), MINCHO, "Century")
    doc.styles["Normal"].paragraph_format.space_after = Pt(2)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.15
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page_number(paragraph: Paragraph) -> None:
    """A centred PAGE field."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def new_document(title: str, drafts: bool) -> DocxDocument:
    """An A4 portrait document with Japanese styles, page numbers and core properties.

    Args:
        title: the document's title (core property).
        drafts: whether it holds unsigned parts; if so its page header says 【下書き】.

    Returns:
        The document, still empty.

    """
    doc = Document()
    _style_fonts(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(25)
    header = section.header.paragraphs[0]
    header.text = DRAFT_HEADER if drafts else ""
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _page_number(section.footer.paragraphs[0])
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = clean(title), AUTHOR, AUTHOR
    props.created = props.modified = datetime.now().replace(microsecond=0)
    props.revision = 1
    return doc


def heading(doc: DocxDocument, text: str, level: int) -> None:
    """A paragraph in Word's own heading style (Title for level 0)."""
    doc.add_heading(clean(text), level)


def para(doc: DocxDocument, text: str = "", align: str = "") -> None:
    """A body paragraph; line breaks in the text stay line breaks."""
    p = doc.add_paragraph()
    p.add_run(clean(text))
    if align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def table(
    doc: DocxDocument,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    blank_height: float = 0,
) -> Table:
    """A grid table with a bold header row; empty cells get blank_height millimetres (writing room).

    Args:
        doc: the document.
        headers: the header row (empty for a table without one).
        rows: the cell texts.
        widths: the width of each column in millimetres.
        blank_height: the least height of a row holding an empty cell, in millimetres.

    Returns:
        The table.

    """
    grid = doc.add_table(rows=0, cols=len(widths))
    grid.style = doc.styles["Table Grid"]
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Mm(width)  # the grid LibreOffice reads; each cell's width is for Word
    for k, cells in enumerate([headers, *rows] if headers else rows):
        row = grid.add_row()
        for c, text in enumerate(cells):
            cell = row.cells[c]
            cell.width = Mm(widths[c])
            cell.paragraphs[0].add_run(clean(text)).bold = bool(headers) and k == 0
        if headers and k == 0:
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeats on each page
        if blank_height and any(not t for t in cells):
            row.height = Mm(blank_height)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    doc.add_paragraph()
    return grid


def labelled(doc: DocxDocument, pairs: Sequence[tuple[str, str]], blank: float = 0) -> None:
    """A two-column table of labels and values (an empty value leaves room to write)."""
    table(doc, [], [list(p) for p in pairs], (40, 120), blank_height=blank)


def save_docx(doc: DocxDocument, path: Path) -> Path:
    """Save a document atomically (UserError unless the path ends in .docx)."""
    check_suffix(path, ".docx")
    return save_atomically(path, lambda tmp: doc.save(str(tmp)))


# --- Excel -----------------------------------------------------------------------------------

_THIN = Side(style="thin")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")


def head_cell(ws: Worksheet, row: int, col: int, text: str) -> Cell:
    """A column head: bold Gothic on grey, boxed, centred and wrapped."""
    cell = ws.cell(row, col, text)
    cell.font, cell.fill, cell.border = Font(name=GOTHIC, bold=True), _HEAD_FILL, BOX
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return cell


def header_row(ws: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float]) -> None:
    """A table's header row from column A, with the column widths."""
    for c, (name, width) in enumerate(zip(headers, widths, strict=True), start=1):
        head_cell(ws, row, c, name)
        ws.column_dimensions[get_column_letter(c)].width = width


WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_MAX_CELL = 32767
_LINE_PT = 14.0


def top_left(ws: Worksheet, row: int, col: int) -> Cell:
    """The cell at (row, col), or the top-left cell of the merged range that covers it."""
    cell = ws.cell(row, col)
    if isinstance(cell, MergedCell):
        rng = next(r for r in ws.merged_cells.ranges if cell.coordinate in r)
        return ws.cell(rng.min_row, rng.min_col)
    return cell


def put(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Write text (never a formula) into a cell, or the top-left cell of its merged range."""
    cell = top_left(ws, row, col)
    cell.value = clean(text)[:_MAX_CELL]
    if cell.data_type == "f":
        cell.data_type = "s"  # text starting with "=" stays text


def _grow_row(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Raise a row (never lower it) so that the text wrapped in the cell can all be seen."""
    cell = top_left(ws, row, col)
    rng = next((r for r in ws.merged_cells.ranges if cell.coordinate in r), None)
    cols = range(rng.min_col, rng.max_col + 1) if rng else [cell.column]
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 9 for c in cols)
    per_line = max(1, int(width / 2))  # a Japanese character takes about two width units
    lines = sum(-(-max(1, len(part)) // per_line) for part in text.split("\n"))
    dim = ws.row_dimensions[row]
    if (dim.height or 15) < lines * _LINE_PT + 4:
        dim.height = lines * _LINE_PT + 4


def write_wrapped(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Write text wrapped and top-aligned, raising the row when the text needs more lines."""
    put(ws, row, col, text)
    top_left(ws, row, col).alignment = WRAP_TOP
    if text:
        _grow_row(ws, row, col, text)


def set_properties(wb: Workbook, title: str) -> None:
    """The workbook's title, author and modification time."""
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy = clean(title), AUTHOR, AUTHOR
    props.modified = datetime.now().replace(microsecond=0)


def save_xlsx(wb: Workbook, path: Path) -> Path:
    """Save a workbook atomically (UserError unless .xlsx, or .xlsm for one with macros)."""
    check_suffix(path, ".xlsm" if wb.vba_archive else ".xlsx")
    return save_atomically(path, lambda tmp: wb.save(tmp))


def print_one_page_wide(ws: Worksheet) -> None:
    """A3 landscape at the scale that fits every column on one page width.

    A fixed scale rather than "fit to 1 page wide": LibreOffice reads fitToHeight="0" as one page.
    A column width unit prints about 2.8 mm wide at 100 % in the Japanese fonts.
    """
    dims = ws.column_dimensions
    chars = sum(dims[get_column_letter(c)].width or 9 for c in range(1, ws.max_column + 1))
    margins = (ws.page_margins.left + ws.page_margins.right) * 25.4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = max(10, min(100, int(100 * (420 - margins) / (chars * 2.8))))
