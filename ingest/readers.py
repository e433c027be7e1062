"""Readers per file format: each turns one file into a list of text blocks.

A block is one paragraph, one table row, one spreadsheet row or one line of a PDF page. The
document's text is the blocks joined by newlines; clause offsets point into that text.
Readers are registered by suffix in ``READERS``.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UnreadableFileError

_CFB_MAGIC = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: encrypted OOXML or legacy .doc/.xls
)


@dataclass(frozen=True)
class Block:
    """One unit of text as the reader found it."""

    text: str
    page: int | None = None
    heading_level: int | None = None
    table_row: bool = False  # a spreadsheet or table row: a number at its start is an item id


Reader = Callable[[Path], list[Block]]


def read_file(path: Path) -> list[Block]:
    """Read one file into blocks.

    Raises:
        UnreadableFileError: unsupported type, corrupt, encrypted or without text.

    """
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFileError(
            str(path),
            f"対応していない形式です（対応: {', '.join(sorted(READERS))}）。"
            "Word・Excel・PDF・テキストに変換してから取り込んでください。",
            f"unsupported file type (supported: {', '.join(sorted(READERS))}); "
            "convert it to Word, Excel, PDF or text first.",
        )
    if path.stat().st_size == 0:
        raise UnreadableFileError(
            str(path), "空のファイルです。内容を確認してください。", "the file is empty; check it."
        )
    blocks = [b for b in reader(path) if b.text.strip()]
    if not blocks:
        raise UnreadableFileError(
            str(path),
            "文字が含まれていません（スキャン画像のPDFなら、OCRで文字を付けてから取り込んでください）。",
            "the file contains no text (if it is a scanned PDF, run OCR on it first).",
        )
    return blocks


def _check_ooxml(path: Path, kind_ja: str, kind_en: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _CFB_MAGIC:
        raise UnreadableFileError(
            str(path),
            f"パスワードで保護されているか、古い形式の{kind_ja}です。"
            "パスワードを解除し、新しい形式で保存し直してから取り込んでください。",
            f"the {kind_en} is password-protected or in the legacy format; remove the password "
            "and save it in the current format, then ingest it again.",
        )
    if not zipfile.is_zipfile(path):
        raise _corrupt(path)


def _corrupt(path: Path, detail: str = "") -> UnreadableFileError:
    extra = f"（{detail}）" if detail else ""
    return UnreadableFileError(
        str(path),
        f"ファイルが壊れているため読めません{extra}。元のファイルを開いて保存し直してください。",
        f"the file is corrupt and cannot be read{f' ({detail})' if detail else ''}; "
        "open the original and save it again.",
    )


# --- text and Markdown -----------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError(
        str(path),
        "文字コードを判別できません。UTF-8 で保存し直してください。",
        "unknown text encoding; save the file as UTF-8.",
    )


def read_text(path: Path) -> list[Block]:
    """Plain text and Markdown: one block per line; '#' headings carry their level."""
    blocks = []
    markdown = path.suffix.lower() == ".md"
    for line in _decode(path).splitlines():
        m = _MD_HEADING.match(line) if markdown else None
        if m:
            blocks.append(Block(m.group(2), heading_level=len(m.group(1))))
        else:
            blocks.append(Block(line.rstrip()))
    return blocks


# --- PDF -------------------------------------------------------------------------------------


_PAGE_NUMBER = re.compile(
    r"^[\s\-－—–ー‐]*(?:p\.?\s*)?\d+(?:\s*/\s*\d+)?[\s\-－—–ー‐]*$", re.IGNORECASE
)


def strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop page numbers and running headers and footers, which would land inside clauses.

    A running line is one that recurs, digits aside, at the top or bottom of several pages.
    """

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", line.strip())

    edges: dict[str, int] = {}
    for lines in pages:
        for line in {shape(x) for x in lines[:2] + lines[-2:]}:
            edges[line] = edges.get(line, 0) + 1
    repeated = {k for k, n in edges.items() if k and n >= 2 and n * 2 >= len(pages)}
    out = []
    for lines in pages:
        keep = list(lines)
        for i in [0, 1, len(keep) - 1, len(keep) - 2]:
            if 0 <= i < len(keep):
                line = keep[i]
                if _PAGE_NUMBER.match(line) or shape(line) in repeated:
                    keep[i] = ""
        out.append(keep)
    return out


def read_pdf(path: Path) -> list[Block]:
    """PDF: the text of each page, line by line, with its page number.

    Page numbers and running headers and footers are left out.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFileError(
                str(path),
                "パスワードで保護されたPDFです。保護を解除してから取り込んでください。",
                "the PDF is password-protected; remove the protection and ingest it again.",
            )
        pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
        pages = [[ln.rstrip() for ln in lines if ln.strip()] for lines in pages]
        return [
            Block(line, page=number)
            for number, lines in enumerate(strip_running_lines(pages), start=1)
            for line in lines
            if line
        ]
    except UnreadableFileError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _corrupt(path, type(exc).__name__) from exc


# --- Excel -----------------------------------------------------------------------------------


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


def read_sheet_rows(path: Path) -> list[tuple[str, list[list[str]]]]:
    """Every sheet's rows as text cells, merged ranges filled with their top-left value.

    Raises:
        UnreadableFileError: encrypted or corrupt workbook.

    """
    _check_ooxml(path, "Excel ファイル", "Excel file")
    from openpyxl import load_workbook

    # openpyxl leaves a file it failed to parse open, so it reads from a handle we close
    with path.open("rb") as fh:
        try:
            wb = load_workbook(fh, data_only=True)
        except (KeyError, ValueError, OSError, SyntaxError, zipfile.BadZipFile, zlib.error) as exc:
            # SyntaxError covers XML ParseError; zlib.error a damaged compressed part
            raise _corrupt(path, type(exc).__name__) from exc
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


def read_xlsx(path: Path) -> list[Block]:
    """Excel: every sheet (its name as a heading), row by row, merged cells resolved."""
    blocks = []
    for number, (title, grid) in enumerate(read_sheet_rows(path), start=1):
        rows = [row_cells(r) for r in grid]
        rows = [r for r in rows if r]
        if not rows:
            continue
        blocks.append(Block(title, page=number, heading_level=1))
        blocks.extend(Block(" | ".join(r), page=number, table_row=True) for r in rows)
    return blocks


# --- Word ------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(\d)$", re.IGNORECASE)
_KANA_AIUEO = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
)
_KANA_IROHA = (
    "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス"
)
_KANJI_DIGITS = "〇一二三四五六七八九"


def _kanji_number(n: int) -> str:
    if n < 10:
        return _KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _KANJI_DIGITS[tens]) + "十" + (_KANJI_DIGITS[ones] if ones else "")


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += sym
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """Render counter ``n`` in a Word number format (numFmt)."""
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return str(n).translate(full)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("aiueoFullWidth", "aiueo"):
        return _KANA_AIUEO[(n - 1) % len(_KANA_AIUEO)]
    if fmt in ("irohaFullWidth", "iroha"):
        return _KANA_IROHA[(n - 1) % len(_KANA_IROHA)]
    if fmt == "decimalEnclosedCircle":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else f"({n})"
    if fmt in ("decimalEnclosedParen",):
        return f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return f"{n}."
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    if fmt in ("japaneseCounting", "ideographDigital", "japaneseLegal", "chineseCounting"):
        return _kanji_number(n)
    if fmt == "none":
        return ""
    return str(n)


class _Numbering:
    """Renders Word's automatic list numbers the way Word displays them."""

    def __init__(self, document: object) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.num_to_abstract: dict[str, str] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element  # type: ignore[attr-defined]
        except (NotImplementedError, KeyError, AttributeError):
            return
        for absn in root.findall(qn("w:abstractNum")):
            aid = absn.get(qn("w:abstractNumId"))
            lvls = {}
            for lvl in absn.findall(qn("w:lvl")):
                ilvl = int(lvl.get(qn("w:ilvl"), "0"))
                fmt = self._val(lvl, "w:numFmt") or "decimal"
                text = self._val(lvl, "w:lvlText") or ""
                start = int(self._val(lvl, "w:start") or "1")
                lvls[ilvl] = (fmt, text, start)
            self.levels[aid] = lvls
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.num_to_abstract[num.get(qn("w:numId"))] = ref.get(qn("w:val"))

    def _val(self, el: object, tag: str) -> str | None:
        child = el.find(self._qn(tag))  # type: ignore[attr-defined]
        return None if child is None else child.get(self._qn("w:val"))

    def label(self, paragraph: object) -> str:
        """The rendered number of a paragraph, or '' when it is not numbered."""
        p = paragraph._p  # type: ignore[attr-defined]
        num_pr = p.pPr.numPr if p.pPr is not None else None
        if num_pr is None:
            style = paragraph.style  # type: ignore[attr-defined]
            while style is not None and num_pr is None:
                ppr = style.element.pPr
                num_pr = ppr.numPr if ppr is not None else None
                style = style.base_style
        if num_pr is None or num_pr.numId is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
        aid = self.num_to_abstract.get(num_id)
        lvls = self.levels.get(aid or "", {})
        if ilvl not in lvls:
            return ""
        counters = self.counters.setdefault(aid or num_id, [0] * 9)
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else lvls[ilvl][2]
        fmt, text, _ = lvls[ilvl]
        if fmt == "bullet":
            return "・"

        def repl(m: re.Match[str]) -> str:
            level = int(m.group(1)) - 1
            lf = lvls.get(level, ("decimal", "", 1))[0]
            value = counters[level] or lvls.get(level, ("", "", 1))[2]
            return format_number(value, lf)

        return re.sub(r"%(\d)", repl, text)


def _heading_level(paragraph: object) -> int | None:
    name = getattr(paragraph.style, "name", "") or ""  # type: ignore[attr-defined]
    if name.lower() == "title" or name == "表題":
        return 0  # the document's title, not a level of its clauses
    m = _HEADING_STYLE.match(name.strip())
    return int(m.group(1)) if m else None


def read_docx(path: Path) -> list[Block]:
    """Word: paragraphs (heading styles and automatic numbering rendered) and tables row by row.

    Pages are counted from explicit and last-rendered page breaks when the file has them.
    """
    _check_ooxml(path, "Word ファイル", "Word file")
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise _corrupt(path, type(exc).__name__) from exc
    except Exception as exc:  # python-docx raises PackageNotFoundError and lxml errors
        if type(exc).__name__ in ("PackageNotFoundError", "XMLSyntaxError"):
            raise _corrupt(path, type(exc).__name__) from exc
        raise
    numbering = _Numbering(document)
    body = document.element.body
    has_pages = bool(
        body.xpath(".//w:lastRenderedPageBreak") or body.xpath('.//w:br[@w:type="page"]')
    )
    page = 1
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = row_cells([c.text.strip().replace("\n", " ") for c in row.cells])
                if cells:
                    blocks.append(
                        Block(" | ".join(cells), page=page if has_pages else None, table_row=True)
                    )
            continue
        # Word records where a rendered page began; an explicit break ends the page after it.
        page += len(item._p.xpath(".//w:lastRenderedPageBreak"))
        label = numbering.label(item)
        text = item.text.strip()
        if label and text:
            text = f"{label}\u3000{text}" if label != "・" else f"・{text}"
        blocks.append(
            Block(text, page=page if has_pages else None, heading_level=_heading_level(item))
        )
        page += len(item._p.xpath('.//w:br[@w:type="page"]'))
    return blocks


READERS: dict[str, Reader] = {
    ".docx": read_docx,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".pdf": read_pdf,
    ".txt": read_text,
    ".md": read_text,
}
