"""Build the sample corpus of the fictional city 架空市 from its text sources.

All human-written text lives under ``corpus_public/_src/``; this script turns it into the
Word, Excel and PDF files that sit beside it.  The output is deterministic: fixed document
properties and fixed ZIP timestamps, so re-running it changes nothing.

Source markup (``*.txt`` files for Word/PDF documents), one block per line:

    =TITLE text      document title (Title style, centred)
    # text           Heading 1        ## text  Heading 2        ### text  Heading 3
    >R text          right-aligned paragraph      >C text   centred paragraph
    @N text          paragraph in Word's automatic numbered list ("List Number")
    | a | b | c |    table row (the first row of a run of rows is the header row)
    ---page          page break
    other text       ordinary paragraph; a leading item marker (1　, (1)　, ア　, (ア)　, ①)
                     sets a hanging indent, the marker itself stays literal text
    blank lines and lines starting with "//" are ignored

Excel workbooks are built from tab-separated sources in ``_src`` (see each builder).

Usage: python tools/build_corpus.py   (needs python-docx, openpyxl, fpdf2 and a Japanese TTF
font such as fonts-ipaexfont at build time only).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus_public"
SRC = CORPUS / "_src"

FIXED_DT = dt.datetime(2026, 4, 1, 9, 0, 0)
FIXED_ZIP_DT = (2026, 4, 1, 9, 0, 0)
AUTHOR = "架空市総務局デジタル推進部情報政策課"

FONT_CANDIDATES = {
    "mincho": [
        "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
    ],
    "gothic": [
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    ],
}

# (source text, output file, also render as PDF)
DOCX_DOCS = [
    ("policy/架空市情報セキュリティ対策基準.txt", "policy/架空市情報セキュリティ対策基準.docx", False),
    ("guideline/架空市外部サービス利用ガイドライン.txt", "guideline/架空市外部サービス利用ガイドライン.docx", False),
    ("contracts/C-2026-001/募集要項.txt", "contracts/C-2026-001/募集要項.docx", False),
    ("contracts/C-2026-001/仕様書.txt", "contracts/C-2026-001/仕様書.docx", False),
    ("contracts/C-2026-001/契約書.txt", "contracts/C-2026-001/契約書.docx", False),
    ("contracts/C-2026-002/仕様書.txt", "contracts/C-2026-002/仕様書.docx", True),
    ("contracts/C-2026-002/契約書.txt", "contracts/C-2026-002/契約書.docx", False),
    ("contracts/C-2026-003/契約書.txt", "contracts/C-2026-003/契約書.docx", False),
    ("contracts/C-2026-003/発注仕様書.txt", "contracts/C-2026-003/発注仕様書.docx", False),
    # the gap-analysis pair: a prefecture's guideline and a town's standard with known gaps
    (
        "policy_gap/guideline/架空県市町村情報セキュリティ対策ガイドライン.txt",
        "policy_gap/guideline/架空県市町村情報セキュリティ対策ガイドライン.docx",
        False,
    ),
    (
        "policy_gap/policy/架空町情報セキュリティ対策基準.txt",
        "policy_gap/policy/架空町情報セキュリティ対策基準.docx",
        False,
    ),
]
COPIED = [("policy/架空市情報セキュリティ基本方針.md", "policy/架空市情報セキュリティ基本方針.md")]

KATAKANA_MARK = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
MARKERS = [
    (re.compile(r"^第[0-9０-９]+条"), 0),
    (re.compile(r"^[0-9０-９]+(\.[0-9]+)*　"), 0),
    (re.compile(r"^[（(][0-9０-９]+[)）]　"), 1),
    (re.compile(rf"^[{KATAKANA_MARK}]　"), 2),
    (re.compile(rf"^[（(][{KATAKANA_MARK}][)）]　"), 3),
    (re.compile(r"^[①-⑳]　?"), 3),
]


def item_level(text: str) -> int | None:
    """Return the indent level of a numbered item, or None for running text."""
    for rx, level in MARKERS:
        if rx.match(text):
            return level
    return None


def parse_blocks(path: Path) -> list[tuple[str, object]]:
    """Parse a source file into (kind, payload) blocks; table rows are grouped."""
    blocks: list[tuple[str, object]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if not line.strip() or line.startswith("//"):
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if blocks and blocks[-1][0] == "table":
                blocks[-1][1].append(cells)  # type: ignore[union-attr]
            else:
                blocks.append(("table", [cells]))
            continue
        for prefix, kind in (("=TITLE ", "title"), ("### ", "h3"), ("## ", "h2"), ("# ", "h1"),
                             (">R ", "right"), (">C ", "center"), ("@N ", "listnum")):
            if line.startswith(prefix):
                blocks.append((kind, line[len(prefix):]))
                break
        else:
            if line.strip() == "---page":
                blocks.append(("page", ""))
            else:
                blocks.append(("para", line))
    return blocks


# --------------------------------------------------------------------------- Word


def _set_east_asian(run_or_style, name: str) -> None:
    from docx.oxml.ns import qn

    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)


def _add_page_number_footer(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("－ ")
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    para._p.append(fld)
    para.add_run(" －")


def _paren_numbering(doc) -> int:
    """Add (once) a "(1) (2) …" numbering definition to numbering.xml and return its numId."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    numbering = doc.part.numbering_part.element
    num_id = 101
    for num in numbering.findall(qn("w:num")):
        if num.get(qn("w:numId")) == str(num_id):
            return num_id
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{num_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="(%1)"/><w:lvlJc w:val="left"/>'
        '<w:pPr><w:ind w:left="840" w:hanging="420"/></w:pPr></w:lvl>'
        '</w:abstractNum>'
    )
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(
        f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/></w:num>'
    ))
    return num_id


def _set_num_pr(paragraph, num_id: int) -> None:
    """Attach automatic numbering (numPr) to a paragraph."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    ppr = paragraph._p.get_or_add_pPr()
    ppr.insert(1, parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'
    ))


def build_docx(blocks, out: Path, title: str) -> None:
    """Write one Word document from parsed blocks."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(25)
    sec.top_margin = sec.bottom_margin = Mm(25)
    _add_page_number_footer(sec)

    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    _set_east_asian(normal, "ＭＳ 明朝")
    normal.paragraph_format.space_after = Pt(0)
    for name, size in (("Title", 16), ("Heading 1", 12), ("Heading 2", 11), ("Heading 3", 10.5)):
        st = doc.styles[name]
        st.font.size = Pt(size)
        st.font.bold = True
        st.font.italic = False
        st.font.color.rgb = RGBColor(0, 0, 0)
        _set_east_asian(st, "ＭＳ ゴシック")
        st.paragraph_format.space_before = Pt(6)
        st.paragraph_format.space_after = Pt(3)

    unit = Pt(10.5)
    for kind, payload in blocks:
        if kind == "title":
            p = doc.add_paragraph(payload, style="Title")
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind in ("h1", "h2", "h3"):
            doc.add_paragraph(payload, style={"h1": "Heading 1", "h2": "Heading 2", "h3": "Heading 3"}[kind])
        elif kind == "right":
            doc.add_paragraph(payload).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif kind == "center":
            doc.add_paragraph(payload).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "listnum":
            p = doc.add_paragraph(payload, style="List Number")
            _set_num_pr(p, _paren_numbering(doc))
        elif kind == "page":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif kind == "para":
            p = doc.add_paragraph(payload)
            level = item_level(payload)
            pf = p.paragraph_format
            if level is None:
                pf.first_line_indent = unit
            else:
                pf.left_indent = unit * (level + 1)
                pf.first_line_indent = -unit
        elif kind == "table":
            rows = payload
            ncols = max(len(r) for r in rows)
            table = doc.add_table(rows=len(rows), cols=ncols)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for i, row in enumerate(rows):
                for j in range(ncols):
                    cell = table.cell(i, j)
                    cell.text = row[j] if j < len(row) else ""
                    if i == 0:
                        for r in cell.paragraphs[0].runs:
                            r.bold = True
                        shd = OxmlElement("w:shd")
                        shd.set(qn("w:val"), "clear")
                        shd.set(qn("w:color"), "auto")
                        shd.set(qn("w:fill"), "D9D9D9")
                        cell._tc.get_or_add_tcPr().append(shd)
            doc.add_paragraph()

    cp = doc.core_properties
    cp.title = title
    cp.author = AUTHOR
    cp.last_modified_by = AUTHOR
    cp.created = FIXED_DT
    cp.modified = FIXED_DT
    cp.last_printed = FIXED_DT
    cp.revision = 1
    cp.comments = "架空市（実在しない自治体）のサンプル文書。本文はすべて独自に作成したもの。"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(out)
    normalize_zip(out)


# --------------------------------------------------------------------------- PDF


def _font(kind: str) -> str:
    for cand in FONT_CANDIDATES[kind]:
        if Path(cand).exists():
            return cand
    sys.exit(f"Japanese font not found ({kind}); install fonts-ipaexfont")


NO_LINE_START = "。、，．）」』】〕！？ー・：；々ゃゅょっャュョッ"


def _wrap_ja(pdf, text: str, width: float) -> list[str]:
    """Break Japanese text into lines that fit width, keeping closing punctuation off line starts."""
    lines, cur = [], ""
    for ch in text:
        if cur and pdf.get_string_width(cur + ch) > width and ch not in NO_LINE_START:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        lines.append(cur)
    return lines


def _write_lines(pdf, text: str, x: float, width: float, line_h: float) -> None:
    """Write wrapped lines starting at x (the current line for the first one)."""
    from fpdf.enums import XPos, YPos

    for i, line in enumerate(_wrap_ja(pdf, text, width)):
        if pdf.will_page_break(line_h):
            pdf.add_page()
        pdf.set_x(x)
        pdf.cell(width, line_h, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def build_pdf(blocks, out: Path, title: str) -> None:
    """Render parsed blocks to an A4 PDF with extractable Japanese text and page numbers."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode, XPos, YPos
    from fpdf.fonts import FontFace

    class Doc(FPDF):
        def header(self) -> None:
            if self.page_no() == 1:
                self.ln(8)
                return
            self.set_font("Gothic", size=8)
            self.cell(0, 5, title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Mincho", size=9)
            self.cell(0, 10, f"－ {self.page_no()} －", align="C")

    pdf = Doc(format="A4")
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_font("Mincho", fname=_font("mincho"))
    pdf.add_font("Mincho", style="B", fname=_font("gothic"))
    pdf.add_font("Gothic", fname=_font("gothic"))
    pdf.set_creation_date(FIXED_DT.replace(tzinfo=dt.timezone(dt.timedelta(hours=9))))
    pdf.set_title(title)
    pdf.set_author(AUTHOR)
    pdf.set_creator("tools/build_corpus.py")
    pdf.set_lang("ja")
    pdf.add_page()
    width = pdf.epw
    unit = 3.7  # one 10.5pt full-width character in mm
    line_h = 6.0

    for kind, payload in blocks:
        if kind == "title":
            pdf.set_font("Gothic", size=16)
            pdf.multi_cell(width, 10, payload, align="C", wrapmode=WrapMode.CHAR,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(4)
        elif kind in ("h1", "h2", "h3"):
            if pdf.will_page_break(36 if kind == "h1" else 24):  # keep a heading with what follows
                pdf.add_page()
            pdf.ln(2 if kind != "h1" else 3)
            pdf.set_font("Gothic", size={"h1": 12, "h2": 11, "h3": 10.5}[kind])
            pdf.multi_cell(width, 7, payload, align="L", wrapmode=WrapMode.CHAR,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif kind in ("right", "center"):
            pdf.set_font("Mincho", size=10.5)
            pdf.multi_cell(width, line_h, payload, align="R" if kind == "right" else "C",
                           wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif kind == "page":
            pdf.add_page()
        elif kind in ("para", "listnum"):
            pdf.set_font("Mincho", size=10.5)
            text = str(payload)
            level = item_level(text)
            if level is None:
                _write_lines(pdf, "　" + text, pdf.l_margin, width, line_h)
                continue
            m = re.match(r"^(\S+?　|第[0-9０-９]+条　?|[①-⑳]　?)", text)
            marker = m.group(1) if m else ""
            body = text[len(marker):]
            left = pdf.l_margin + unit * level
            mw = max(unit, pdf.get_string_width(marker))
            pdf.set_x(left)
            pdf.cell(mw, line_h, marker)
            _write_lines(pdf, body, left + mw, width - (left - pdf.l_margin) - mw, line_h)
        elif kind == "table":
            rows = payload
            ncols = max(len(r) for r in rows)
            widths = {3: (14, 40, 106), 2: (40, 120)}.get(ncols)
            pdf.set_font("Mincho", size=9.5)
            pdf.ln(1)
            with pdf.table(col_widths=widths, wrapmode=WrapMode.CHAR, text_align="LEFT",
                           line_height=5.5, padding=1.2,
                           headings_style=FontFace(emphasis="B", fill_color=(217, 217, 217))) as table:
                for row in rows:
                    r = table.row()
                    for j in range(ncols):
                        r.cell(row[j] if j < len(row) else "")
            pdf.ln(2)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))


# --------------------------------------------------------------------------- Excel


def _xl_styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return {
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "title": Font(name="ＭＳ ゴシック", size=14, bold=True),
        "bold": Font(name="ＭＳ ゴシック", size=10.5, bold=True),
        "font": Font(name="ＭＳ 明朝", size=10.5),
        "head_fill": PatternFill("solid", fgColor="D9D9D9"),
        "group_fill": PatternFill("solid", fgColor="DDEBF7"),
    }


def _box(ws, ref: str, s, font=None, align=None, fill=None) -> None:
    for row in ws[ref]:
        for cell in row:
            cell.border = s["border"]
            cell.font = font or s["font"]
            cell.alignment = align or s["wrap"]
            if fill is not None:
                cell.fill = fill


def _finish_wb(wb, out: Path, title: str) -> None:
    wb.properties.creator = AUTHOR
    wb.properties.lastModifiedBy = AUTHOR
    wb.properties.title = title
    wb.properties.created = FIXED_DT
    wb.properties.modified = FIXED_DT
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    normalize_zip(out)


def read_tsv(rel: str) -> list[list[str]]:
    """Read a tab-separated source; '//' lines and blank lines are skipped."""
    rows = []
    for line in (SRC / rel).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        rows.append([c.strip() for c in line.split("\t")])
    return rows


def build_checklist() -> None:
    """外部サービス利用時チェックリスト: group rows (G), item rows (I) with guidance."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: F401

    s = _xl_styles()
    rows = read_tsv("checklists/外部サービス利用時チェックリスト.tsv")
    wb = Workbook()
    ws = wb.active
    ws.title = "チェックリスト"
    for col, w in zip("ABCD", (10, 62, 16, 30)):
        ws.column_dimensions[col].width = w
    ws.merge_cells("A1:D1")
    ws["A1"] = "外部サービス利用時チェックリスト"
    ws["A1"].font = s["title"]
    ws["A1"].alignment = s["center"]
    ws.row_dimensions[1].height = 28
    ws.merge_cells("A2:D2")
    ws["A2"] = "所管課名：　　　　　　　　　　サービス名：　　　　　　　　　　　　　　記入日：令和　　年　　月　　日"
    ws["A2"].font = s["font"]
    ws["A3"] = "※　各設問について、契約書、仕様書、募集要項等の記載を確認の上、該当する□を■にしてください。「いいえ」の場合は理由又は代替措置を記入してください。"
    ws.merge_cells("A3:D3")
    ws["A3"].font = s["font"]
    ws["A3"].alignment = s["wrap"]
    ws.row_dimensions[3].height = 30
    header = 4
    for col, text in zip("ABCD", ("設問", "確認項目", "回答", "備考")):
        ws[f"{col}{header}"] = text
    _box(ws, f"A{header}:D{header}", s, font=s["bold"], align=s["center"], fill=s["head_fill"])
    r = header + 1
    guide = []
    for row in rows:
        if row[0] == "G":
            ws.merge_cells(f"A{r}:D{r}")
            ws[f"A{r}"] = row[1]
            _box(ws, f"A{r}:D{r}", s, font=s["bold"], fill=s["group_fill"])
            r += 1
            continue
        _, item_id, text, viewpoint, example = row
        ws[f"A{r}"] = item_id
        ws[f"B{r}"] = text
        ws[f"C{r}"] = "□はい　□いいえ"
        _box(ws, f"A{r}:D{r}", s)
        ws[f"A{r}"].alignment = s["center"]
        ws[f"C{r}"].alignment = s["center"]
        ws.row_dimensions[r].height = 15 * max(2, -(-len(text) // 30))
        r += 1
        ws[f"B{r}"] = "いいえの場合の理由・代替措置："
        ws.merge_cells(f"C{r}:D{r}")
        _box(ws, f"A{r}:D{r}", s)
        ws.row_dimensions[r].height = 36
        r += 1
        guide.append((item_id, viewpoint, example))
    ws.print_title_rows = f"{header}:{header}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = f"A{header + 1}"

    g = wb.create_sheet("記入要領")
    for col, w in zip("ABC", (10, 55, 60)):
        g.column_dimensions[col].width = w
    g.merge_cells("A1:C1")
    g["A1"] = "外部サービス利用時チェックリスト　記入要領"
    g["A1"].font = s["title"]
    g["A1"].alignment = s["center"]
    for col, text in zip("ABC", ("設問", "確認の観点", "記載例")):
        g[f"{col}2"] = text
    _box(g, "A2:C2", s, font=s["bold"], align=s["center"], fill=s["head_fill"])
    for i, (item_id, viewpoint, example) in enumerate(guide, start=3):
        g[f"A{i}"], g[f"B{i}"], g[f"C{i}"] = item_id, viewpoint, example
        _box(g, f"A{i}:C{i}", s)
        g[f"A{i}"].alignment = s["center"]
        g.row_dimensions[i].height = 15 * max(3, -(-max(len(viewpoint), len(example)) // 28))
    g.freeze_panes = "A3"
    _finish_wb(wb, CORPUS / "checklists/外部サービス利用時チェックリスト.xlsx", "外部サービス利用時チェックリスト")


def build_ledger() -> None:
    """外部サービス利用管理台帳: title, as-of line, header row, one row per service."""
    from openpyxl import Workbook

    s = _xl_styles()
    rows = read_tsv("ledger/外部サービス利用管理台帳.tsv")
    head, data = rows[0], rows[1:]
    wb = Workbook()
    ws = wb.active
    ws.title = "利用管理台帳"
    widths = (12, 26, 24, 12, 22, 13, 12, 10, 22, 24, 26, 14, 40)
    last = chr(ord("A") + len(head) - 1)
    for i, w in enumerate(widths[: len(head)]):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = "外部サービス利用管理台帳"
    ws["A1"].font = s["title"]
    ws["A1"].alignment = s["center"]
    ws.row_dimensions[1].height = 28
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = "令和8年5月1日現在　　管理：総務局デジタル推進部情報政策課"
    ws["A2"].font = s["font"]
    ws["A2"].alignment = s["wrap"]
    for i, text in enumerate(head):
        ws.cell(row=3, column=i + 1, value=text)
    _box(ws, f"A3:{last}3", s, font=s["bold"], align=s["center"], fill=s["head_fill"])
    ws.row_dimensions[3].height = 32
    for r, row in enumerate(data, start=4):
        for i, text in enumerate(row):
            ws.cell(row=r, column=i + 1, value=text)
        _box(ws, f"A{r}:{last}{r}", s)
        ws.row_dimensions[r].height = 48
    ws.freeze_panes = "C4"
    ws.auto_filter.ref = f"A3:{last}{3 + len(data)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    _finish_wb(wb, CORPUS / "ledger/外部サービス利用管理台帳.xlsx", "外部サービス利用管理台帳")


def build_self_checks() -> None:
    """自己点検シート per division: category rows merged A:D, question rows No/点検項目/回答/補足."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    s = _xl_styles()
    questions = read_tsv("self_check/点検項目.tsv")
    answers = read_tsv("self_check/回答.tsv")
    divisions = answers[0][1:]
    by_no = {row[0]: row[1:] for row in answers[1:]}
    notes = {}
    for row in read_tsv("self_check/補足.tsv"):
        notes[(row[0], row[1])] = row[2]
    for d_idx, division in enumerate(divisions):
        org, recorder, date = division.split("／")
        short = org.split("局")[-1].replace("事務", "")
        wb = Workbook()
        ws = wb.active
        ws.title = "自己点検シート"
        for col, w in zip("ABCD", (7, 66, 14, 40)):
            ws.column_dimensions[col].width = w
        ws.merge_cells("A1:D1")
        ws["A1"] = "令和8年度　情報セキュリティ自己点検シート"
        ws["A1"].font = s["title"]
        ws["A1"].alignment = s["center"]
        ws.row_dimensions[1].height = 28
        ws.merge_cells("A2:D2")
        ws["A2"] = f"所属：{org}　　記入者：{recorder}　　記入日：{date}"
        ws["A2"].font = s["font"]
        for col, text in zip("ABCD", ("No", "点検項目", "回答", "補足")):
            ws[f"{col}3"] = text
        _box(ws, "A3:D3", s, font=s["bold"], align=s["center"], fill=s["head_fill"])
        dv = DataValidation(type="list", formula1='"はい,いいえ"', allow_blank=True)
        ws.add_data_validation(dv)
        r = 4
        for q in questions:
            if q[0] == "G":
                ws.merge_cells(f"A{r}:D{r}")
                ws[f"A{r}"] = q[1]
                _box(ws, f"A{r}:D{r}", s, font=s["bold"], fill=s["group_fill"])
                r += 1
                continue
            no, text = q[1], q[2]
            ws[f"A{r}"] = int(no)
            ws[f"B{r}"] = text
            ws[f"C{r}"] = by_no[no][d_idx]
            ws[f"D{r}"] = notes.get((no, short), "")
            _box(ws, f"A{r}:D{r}", s)
            ws[f"A{r}"].alignment = s["center"]
            ws[f"C{r}"].alignment = s["center"]
            dv.add(f"C{r}")
            ws.row_dimensions[r].height = 15 * max(2, -(-max(len(text) // 32, len(notes.get((no, short), "")) // 19) // 1) + 1)
            r += 1
        ws.freeze_panes = "A4"
        ws.print_title_rows = "3:3"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        _finish_wb(wb, CORPUS / f"self_check/自己点検シート_{short}.xlsx", f"自己点検シート（{short}）")


# --------------------------------------------------------------------------- common


def normalize_zip(path: Path) -> None:
    """Rewrite an OOXML package with fixed timestamps so that builds are byte-stable."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    stamp = FIXED_DT.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              lambda m: m.group(1) + stamp + m.group(3), text)
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_DT)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zout.writestr(info, data)


def main() -> int:
    for src, out, as_pdf in DOCX_DOCS:
        blocks = parse_blocks(SRC / src)
        title = next((str(p) for k, p in blocks if k == "title"), Path(out).stem)
        build_docx(blocks, CORPUS / out, title)
        if as_pdf:
            build_pdf(blocks, (CORPUS / out).with_suffix(".pdf"), title)
    for src, out in COPIED:
        (CORPUS / out).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SRC / src, CORPUS / out)
    build_checklist()
    build_ledger()
    build_self_checks()
    print("built corpus under", CORPUS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
