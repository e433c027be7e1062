"""Exports in the city's formats: Word notices, plans and templates; Excel checklists and ledgers.

Pure functions from our models to files. The review state of each draft comes in as plain data
(`ReviewInfo`), so nothing here depends on the review store. Only signed-off parts are written
unless ``include_drafts`` is set; then every unsigned part carries 【下書き】 in its heading (or
its status cell) and the document says so in its page header. Rejected drafts are never written.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal, TypeVar

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
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel, ConfigDict

from copilot.audit.checklists import _first, _header, _norm_id, import_checklist
from copilot.audit.ledger import LedgerCheck
from copilot.audit.selfcheck import DivisionRisk, Reason, Triage
from copilot.errors import UserError
from copilot.schemas import ChecklistItem, ChecklistJudgement, Citation, Finding
from ingest.readers import read_sheet_rows

AUTHOR = "監査コパイロット"
DRAFT = "【下書き】"
DRAFT_HEADER = "【下書き】承認前の内容を含みます（【下書き】と付した部分は未承認です）。"
ReviewStatus = Literal["draft", "approved", "approved_with_edits", "rejected"]
STATUS_LABEL: dict[str, str] = {
    "draft": "未承認",
    "approved": "承認済",
    "approved_with_edits": "修正のうえ承認済",
    "rejected": "却下",
}
SHITEKI = (
    "指摘：情報セキュリティポリシー、対策基準その他の規程等に違反している事項、又は放置すると"
    "情報資産の機密性・完全性・可用性を損なうおそれがあり、是正を要する事項"
)
IKEN = "意見：規程等への違反ではないが、情報セキュリティの水準を高めるため改善が望ましい事項"
DEFAULT_CRITERIA = f"{SHITEKI}。\n{IKEN}。"
DEFAULT_PURPOSE = (
    "本監査は、市の情報セキュリティポリシー及び関係規程に基づく情報セキュリティ対策の実施状況を、"
    "独立かつ専門的な立場から点検・評価し、その結果に基づく改善を促すことにより、市の情報資産の"
    "機密性、完全性及び可用性を確保することを目的とする。本年度は、外部サービス（クラウドサービス、"
    "LGWAN-ASP等）の利用を重点テーマとする。"
)
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

T = TypeVar("T")


class ReviewInfo(BaseModel):
    """The sign-off state of one exported draft, as the review store reports it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ReviewStatus
    reviewer: str = ""
    reviewed_at: str = ""

    @property
    def signed(self) -> bool:
        """Whether a named person approved the draft (with or without edits)."""
        return self.status in ("approved", "approved_with_edits")

    def label(self) -> str:
        """The status in Japanese, with the date of the sign-off when there is one."""
        when = f"（{self.reviewed_at}）" if self.signed and self.reviewed_at else ""
        return (DRAFT if self.status == "draft" else "") + STATUS_LABEL[self.status] + when


def shows(review: ReviewInfo, include_drafts: bool) -> bool:
    """Whether an export shows a draft.

    Args:
        review: the draft's sign-off state.
        include_drafts: whether unsigned drafts are shown too.

    Returns:
        True for a signed draft, for an unsigned one only with include_drafts; never for a
        rejected one.

    """
    return review.signed or (include_drafts and review.status == "draft")


def kept(
    drafts: Iterable[tuple[T, ReviewInfo]], include_drafts: bool
) -> list[tuple[T, ReviewInfo]]:
    """The drafts an export shows.

    Args:
        drafts: each draft with its sign-off state.
        include_drafts: whether unsigned drafts are kept too.

    Returns:
        The drafts that `shows` lets through, in their order.

    """
    return [(d, r) for d, r in drafts if shows(r, include_drafts)]


# --- text ------------------------------------------------------------------------------------

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _clean(text: object) -> str:
    """Text that is valid in Word and Excel XML: control characters and lone surrogates removed."""
    return _INVALID.sub("", "" if text is None else str(text))


def _wareki(day: date) -> str:
    """A date in the Japanese era (令和7年4月1日); dates before 令和 in the Western calendar."""
    if day < date(2019, 5, 1):
        return f"{day.year}年{day.month}月{day.day}日"
    year = day.year - 2018
    return f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"


def _cite_text(c: Citation) -> str:
    """A citation on one line: 「quote」（document 第35 > 2 p.3）."""
    where = " ".join(x for x in (c.document, c.clause_path, f"p.{c.page}" if c.page else "") if x)
    return f"「{c.quote}」（{where}）" if where else f"「{c.quote}」"


def _check_suffix(path: Path, *allowed: str) -> None:
    """UserError unless the output path ends in an allowed suffix (Word and Excel check it)."""
    if path.suffix.lower() not in allowed:
        raise UserError(
            f"{path}: 出力先のファイル名は {' 又は '.join(allowed)} で終わるようにしてください。",
            f"{path}: the output file name must end in {' or '.join(allowed)}.",
        )


def _save_atomically(path: Path, save: Callable[[Path], None]) -> Path:
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


def _new_document(title: str, drafts: bool) -> DocxDocument:
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
    props.title, props.author, props.last_modified_by = _clean(title), AUTHOR, AUTHOR
    props.created = props.modified = datetime.now().replace(microsecond=0)
    props.revision = 1
    return doc


def _heading(doc: DocxDocument, text: str, level: int) -> None:
    """A paragraph in Word's own heading style (Title for level 0)."""
    doc.add_heading(_clean(text), level)


def _para(doc: DocxDocument, text: str = "", align: str = "") -> None:
    """A body paragraph; line breaks in the text stay line breaks."""
    p = doc.add_paragraph()
    p.add_run(_clean(text))
    if align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _table(
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
            cell.paragraphs[0].add_run(_clean(text)).bold = bool(headers) and k == 0
        if headers and k == 0:
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeats on each page
        if blank_height and any(not t for t in cells):
            row.height = Mm(blank_height)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    doc.add_paragraph()
    return grid


def _labelled(doc: DocxDocument, pairs: Sequence[tuple[str, str]], blank: float = 0) -> None:
    """A two-column table of labels and values (an empty value leaves room to write)."""
    _table(doc, [], [list(p) for p in pairs], (40, 120), blank_height=blank)


def _save_docx(doc: DocxDocument, path: Path) -> Path:
    _check_suffix(path, ".docx")
    return _save_atomically(path, lambda tmp: doc.save(str(tmp)))


# --- 監査結果通知（案） -------------------------------------------------------------------------


def _basis_rows(f: Finding) -> list[list[str]]:
    rows = [("判断基準", c) for c in f.criteria] + [("確認した証跡", c) for c in f.evidence]
    return [
        [kind, c.document, c.clause_path, str(c.page) if c.page else "", c.quote]
        for kind, c in rows
    ]


def _finding(doc: DocxDocument, number: str, f: Finding, review: ReviewInfo) -> None:
    """One finding: its heading, the four parts and the table of its basis."""
    mark = "" if review.signed else DRAFT
    _heading(doc, f"{mark}{number}　{f.title}", 2)
    rating = SHITEKI if f.rating == "指摘" else IKEN
    parts = (
        ("（1）発見事項", f.finding),
        ("（2）指摘・意見の評価", f"{f.rating}（{rating.split('：', 1)[1]}）"),
        ("（3）想定されるリスク", f.risk),
        ("（4）改善提言", f.recommendation),
    )
    for title, text in parts:
        _heading(doc, title, 3)
        _para(doc, text)
    _heading(doc, "（5）根拠", 3)
    rows = _basis_rows(f)
    if rows:
        _table(doc, ("区分", "文書", "条項", "頁", "引用"), rows, (22, 32, 26, 10, 70))
    else:
        _para(doc, "根拠の引用はありません。")


def export_notice(
    division: str,
    findings: Sequence[tuple[Finding, ReviewInfo]],
    period: str,
    signer: str,
    path: Path,
    include_drafts: bool = False,
    day: date | None = None,
) -> Path:
    """Write the audit-result notice draft (監査結果通知（案）) of one division as Word.

    Args:
        division: the audited division; every finding must be of this division.
        findings: each finding with its review state.
        period: the audit period, e.g. 「令和7年6月1日から令和8年3月19日まで」.
        signer: who signs the notice (name and title).
        path: the .docx to write.
        include_drafts: also write unsigned findings, marked 【下書き】.
        day: the date on the cover (today by default).

    Returns:
        The path written: a cover (title, division, period, signer, date, counts), then the
        指摘 and then the 意見, numbered, each with 発見事項, 指摘・意見の評価, 想定されるリスク,
        改善提言 and a table of its basis (document, clause path, page, quote).

    Raises:
        ValueError: a finding belongs to another division.
        UserError: the path does not end in .docx.

    """
    if other := [f.division for f, _ in findings if f.division != division]:
        raise ValueError(f"findings of another division given for {division}: {other}")
    shown = kept(findings, include_drafts)
    shown.sort(key=lambda fr: fr[0].rating != "指摘")  # stable: 指摘 first, order kept
    drafts = any(not r.signed for _, r in shown)
    doc = _new_document(f"情報セキュリティ監査結果通知（案）　{division}", drafts)
    _heading(doc, "情報セキュリティ監査結果通知（案）", 0)
    _para(doc, _wareki(day or date.today()), align="right")
    _labelled(doc, [("対象課", division), ("監査期間", period), ("通知者", signer)])
    counts = {k: sum(f.rating == k for f, _ in shown) for k in ("指摘", "意見")}
    _para(
        doc,
        f"{division}を対象として実施した情報セキュリティ監査の結果、下記のとおり指摘事項"
        f"{counts['指摘']}件及び意見{counts['意見']}件がありましたので通知します。"
        + (
            "指摘事項については、改善の計画及び実施状況を報告してください。"
            if counts["指摘"]
            else ""
        ),
    )
    doc.add_page_break()
    _para(doc, "記", align="center")
    if not shown:
        _para(doc, "承認された発見事項はありません。")
    for rating, title in (("指摘", "第1　指摘事項"), ("意見", "第2　意見")):
        group = [(f, r) for f, r in shown if f.rating == rating]
        if group:
            _heading(doc, title, 1)
        for k, (f, r) in enumerate(group, start=1):
            _finding(doc, f"{rating}{k}", f, r)
    _para(doc, "以上", align="right")
    return _save_docx(doc, path)


# --- 監査実施方針（案） -------------------------------------------------------------------------


def _documents(risk: DivisionRisk) -> list[list[str]]:
    """Each document to request once, with the questions that need it and their basis."""
    by_doc: dict[str, list[Reason]] = {}
    for r in risk.reasons:
        for name in r.documents:
            by_doc.setdefault(name, []).append(r)
    return [
        [
            str(k),
            name,
            "、".join(f"No.{r.id}" for r in rs),
            "\n".join(dict.fromkeys(_cite_text(r.basis) for r in rs if r.basis)) or "―",
        ]
        for k, (name, rs) in enumerate(by_doc.items(), start=1)
    ]


def _hearing(reasons: Sequence[Reason]) -> list[list[str]]:
    return [
        [str(k), f"No.{r.id}", r.hearing, _cite_text(r.basis) if r.basis else "―"]
        for k, r in enumerate(reasons, start=1)
    ]


def export_approach(
    triage: Triage,
    period: str,
    divisions_schedule: Sequence[tuple[str, str]],
    path: Path,
    purpose: str = DEFAULT_PURPOSE,
    criteria: str = DEFAULT_CRITERIA,
    day: date | None = None,
) -> Path:
    """Write the audit approach document (監査実施方針（案）) as Word.

    Args:
        triage: the self-check triage of the divisions.
        period: the audit period.
        divisions_schedule: the audited divisions in order, each with its date or schedule text.
        path: the .docx to write.
        purpose: the purpose of the audit.
        criteria: how a 指摘 is told from an 意見.
        day: the date under the title (today by default).

    Returns:
        The path written: purpose; methods (書面監査, ヒアリング mostly by e-mail, 現地監査);
        period; the schedule with each division's self-check result; per division the documents
        to request and the hearing topics, each with its policy basis; the 指摘/意見 criteria.

    Raises:
        UserError: the path does not end in .docx.

    """
    risks = {d.division: d for d in triage.divisions}
    doc = _new_document("情報セキュリティ監査実施方針（案）", drafts=False)
    _heading(doc, "情報セキュリティ監査実施方針（案）", 0)
    _para(doc, _wareki(day or date.today()), align="right")
    _heading(doc, "1　監査の目的", 1)
    _para(doc, purpose)
    _heading(doc, "2　監査の方法", 1)
    for k, (name, text) in enumerate(METHODS, start=1):
        _heading(doc, f"（{k}）{name}", 2)
        _para(doc, text)
    _heading(doc, "3　監査の期間", 1)
    _para(doc, period)
    _heading(doc, "4　監査対象課及び日程", 1)
    rows = [
        [str(k), div, when, risks[div].explanation if div in risks else "自己点検結果なし"]
        for k, (div, when) in enumerate(divisions_schedule, start=1)
    ]
    _table(doc, ("No.", "対象課", "日程", "自己点検の結果"), rows, (12, 38, 40, 70))
    _para(doc, f"（注）自己点検の結果の点数：{triage.formula}")
    _heading(doc, "5　対象課ごとの依頼資料及びヒアリング事項", 1)
    for k, (div, _) in enumerate(divisions_schedule, start=1):
        _heading(doc, f"（{k}）{div}", 2)
        risk = risks.get(div)
        if risk is None or not risk.reasons:
            _para(doc, "自己点検の結果から追加で依頼する資料及びヒアリング事項はありません。")
            continue
        _heading(doc, "依頼資料", 3)
        _table(
            doc, ("No.", "資料", "関係する設問", "根拠（規程）"), _documents(risk), (12, 53, 25, 70)
        )
        _heading(doc, "ヒアリング事項", 3)
        _table(
            doc,
            ("No.", "設問", "ヒアリング事項", "根拠（規程）"),
            _hearing(risk.reasons),
            (12, 18, 70, 60),
        )
    _heading(doc, "6　指摘と意見の区分", 1)
    for line in criteria.splitlines():
        _para(doc, line)
    _para(doc, "以上", align="right")
    return _save_docx(doc, path)


# --- ヒアリング議事録・現地監査結果概要 ----------------------------------------------------------


def _onsite_check(r: Reason) -> str:
    return f"No.{r.id}「{r.question.rstrip('。')}」について、現地において運用の実態を確認する。"


def _question(doc: DocxDocument, k: int, r: Reason, asked: str, blanks: Sequence[str]) -> None:
    _heading(doc, f"{asked}{k}　No.{r.id}", 2)
    answered = r.answer + (f"（補足：{r.note}）" if r.note else "")
    rows = [
        ("設問", f"{r.category}　{r.question}".strip()),
        ("自己点検の回答", answered),
        ("質問事項", r.hearing) if asked == "質問" else ("確認事項", _onsite_check(r)),
        ("根拠（規程）", _cite_text(r.basis) if r.basis else "―"),
    ]
    if asked != "質問":
        rows.append(("確認する資料・現物", "、".join(r.documents)))
    _labelled(doc, rows + [(b, "") for b in blanks], blank=30)


def export_hearing_minutes(division: str, reasons: Sequence[Reason], path: Path) -> Path:
    """Write a hearing-minutes template (ヒアリング議事録) for one division as Word.

    Args:
        division: the audited division.
        reasons: the self-check questions to ask about (from the triage).
        path: the .docx to write.

    Returns:
        The path written: the 5-business-day note, fields for date, place, method and attendees,
        then per question the question, the self-check answer, the hearing question and its
        policy basis, with blank rooms for the answer and the documents seen.

    Raises:
        UserError: the path does not end in .docx.

    """
    doc = _new_document(f"ヒアリング議事録　{division}", drafts=False)
    _heading(doc, "情報セキュリティ監査　ヒアリング議事録", 0)
    _para(
        doc,
        "※ 対面又はウェブ会議により実施したヒアリングの議事録は、実施後5営業日以内に作成し、"
        "対象課の確認を経て提出すること。",
    )
    fields = (
        "実施日時",
        "実施場所・方法（対面／ウェブ会議）",
        "出席者（対象課）",
        "出席者（監査人）",
    )
    _labelled(doc, [("対象課", division), *((f, "") for f in fields), ("作成者・作成日", "")])
    _heading(doc, "質問事項及び回答", 1)
    for k, r in enumerate(reasons, start=1):
        _question(doc, k, r, "質問", ("回答", "確認した資料"))
    _heading(doc, "その他・特記事項", 1)
    _labelled(doc, [("特記事項", ""), ("今後の対応（追加資料の依頼等）", "")], blank=30)
    return _save_docx(doc, path)


def export_onsite_summary(division: str, reasons: Sequence[Reason], path: Path) -> Path:
    """Write an on-site check summary template (現地監査結果概要) for one division as Word.

    Args:
        division: the audited division.
        reasons: the self-check questions to check on site (from the triage).
        path: the .docx to write.

    Returns:
        The path written: the 5-business-day note, fields for date, place and attendees, a blank
        time table, then per question the question, what to check, its policy basis and the
        records to see, with blank rooms for the observation, the evidence and the rating.

    Raises:
        UserError: the path does not end in .docx.

    """
    doc = _new_document(f"現地監査結果概要　{division}", drafts=False)
    _heading(doc, "情報セキュリティ監査　現地監査結果概要", 0)
    _para(doc, "※ 現地監査の結果概要は、実施後5営業日以内に取りまとめること。")
    fields = ("実施日時", "実施場所", "対応者（対象課）", "監査人")
    _labelled(doc, [("対象課", division), *((f, "") for f in fields), ("作成者・作成日", "")])
    _heading(doc, "タイムテーブル", 1)
    _table(doc, ("時刻", "内容", "場所"), [["", "", ""]] * 4, (30, 90, 40), blank_height=8)
    _heading(doc, "確認事項及び結果", 1)
    blanks = ("確認結果", "確認した証跡（写真番号等）", "評価（指摘／意見／問題なし）")
    for k, r in enumerate(reasons, start=1):
        _question(doc, k, r, "確認", blanks)
    _heading(doc, "総括", 1)
    _labelled(doc, [("総括", "")], blank=40)
    return _save_docx(doc, path)


# --- Excel -----------------------------------------------------------------------------------

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")


def _head_cell(ws: Worksheet, row: int, col: int, text: str) -> Cell:
    """A column head: bold Gothic on grey, boxed, centred and wrapped."""
    cell = ws.cell(row, col, text)
    cell.font, cell.fill, cell.border = Font(name=GOTHIC, bold=True), _HEAD_FILL, _BOX
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return cell


def _header_row(ws: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float]) -> None:
    """A table's header row from column A, with the column widths."""
    for c, (name, width) in enumerate(zip(headers, widths, strict=True), start=1):
        _head_cell(ws, row, c, name)
        ws.column_dimensions[get_column_letter(c)].width = width


_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_MAX_CELL = 32767
_LINE_PT = 14.0


def _top_left(ws: Worksheet, row: int, col: int) -> Cell:
    """The cell at (row, col), or the top-left cell of the merged range that covers it."""
    cell = ws.cell(row, col)
    if isinstance(cell, MergedCell):
        rng = next(r for r in ws.merged_cells.ranges if cell.coordinate in r)
        return ws.cell(rng.min_row, rng.min_col)
    return cell


def _put(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Write text (never a formula) into a cell, or the top-left cell of its merged range."""
    cell = _top_left(ws, row, col)
    cell.value = _clean(text)[:_MAX_CELL]
    if cell.data_type == "f":
        cell.data_type = "s"  # text starting with "=" stays text


def _grow_row(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Raise a row (never lower it) so that the text wrapped in the cell can all be seen."""
    cell = _top_left(ws, row, col)
    rng = next((r for r in ws.merged_cells.ranges if cell.coordinate in r), None)
    cols = range(rng.min_col, rng.max_col + 1) if rng else [cell.column]
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 9 for c in cols)
    per_line = max(1, int(width / 2))  # a Japanese character takes about two width units
    lines = sum(-(-max(1, len(part)) // per_line) for part in text.split("\n"))
    dim = ws.row_dimensions[row]
    if (dim.height or 15) < lines * _LINE_PT + 4:
        dim.height = lines * _LINE_PT + 4


def _write_wrapped(ws: Worksheet, row: int, col: int, text: str) -> None:
    """Write text wrapped and top-aligned, raising the row when the text needs more lines."""
    _put(ws, row, col, text)
    _top_left(ws, row, col).alignment = _WRAP_TOP
    if text:
        _grow_row(ws, row, col, text)


def _set_properties(wb: Workbook, title: str) -> None:
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy = _clean(title), AUTHOR, AUTHOR
    props.modified = datetime.now().replace(microsecond=0)


def _save_xlsx(wb: Workbook, path: Path) -> Path:
    _check_suffix(path, ".xlsm" if wb.vba_archive else ".xlsx")
    return _save_atomically(path, lambda tmp: wb.save(tmp))


# --- チェックリスト --------------------------------------------------------------------------

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
    return "\n".join(_cite_text(c) for c in j.evidence)


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
        src = _top_left(ws, lay.header, lay.first_added - 1)
        cell = ws.cell(lay.header, col, name)
        cell.font, cell.fill, cell.border = copy(src.font), copy(src.fill), copy(src.border)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for r in range(lay.header + 1, last_row + 1):
            ws.cell(r, col).border = _BOX
            ws.cell(r, col).alignment = _WRAP_TOP


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
        _put(ws, row, lay.answer, ticked(_at(cells, lay.answer), j.answer))
        place = _reason_cell(grid, row, stop, lay.first_added - 1)
        if place is None and lay.note is not None:
            place = (row, lay.note, _at(cells, lay.note))
        if reason and place is not None:
            r, c, before = place
            _write_wrapped(ws, r, c, f"{before}{mark}{reason}")
        elif reason:
            left = f"（理由・代替措置）{mark}{reason}"
    else:
        _put(ws, row, added["回答"], j.answer)
        _write_wrapped(ws, row, added["理由・代替措置"], mark + reason)
    values = {
        "助言": "\n".join(x for x in (left, _advice(j)) if x),
        "記載例": j.proposed_wording,
        "根拠（契約書類の引用と条項）": _evidence(j),
        "確認者": review.reviewer,
        "状態": review.label(),
    }
    for name, text in values.items():
        _write_wrapped(ws, row, added[name], text)


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
            overwrite it or does not end in .xlsx (.xlsm for an .xlsm checklist), or a judgement
            names an item the checklist lacks.
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
    _set_properties(wb, f"{checklist.title}（契約 {contract} 確認結果）")
    return _save_xlsx(wb, path)


def _checklist_notes(ws: Worksheet, lay: _Layout, contract: str, drafts: bool) -> None:
    """The contract above the added columns, the draft notice, and printing on one page wide."""
    note = f"契約 {contract} の確認結果（監査コパイロットにより記入）"
    if drafts:
        note = f"{DRAFT}未承認の判定を含みます（状態欄に【下書き】）。{note}"
        ws.oddHeader.center.text = DRAFT + (ws.oddHeader.center.text or "")
    if lay.header is not None and lay.header > 1:
        _put(ws, lay.header - 1, lay.first_added, note)  # one line, spilling over to the right
        ws.cell(lay.header - 1, lay.first_added).alignment = Alignment(vertical="bottom")
    _print_one_page_wide(ws)


def _print_one_page_wide(ws: Worksheet) -> None:
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


# --- 台帳照合結果 ----------------------------------------------------------------------------

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
    _header_row(ws, head, LEDGER_HEADERS, _LEDGER_WIDTHS)
    _ledger_top(ws, title, check)
    last = _ledger_rows(ws, head, check)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(LEDGER_HEADERS))}{max(last, head + 1)}"
    ws.freeze_panes = f"A{head + 1}"
    ws.print_title_rows = f"{head}:{head}"
    _print_one_page_wide(ws)
    _set_properties(wb, title)
    return _save_xlsx(wb, path)


def _ledger_top(ws: Worksheet, title: str, check: LedgerCheck) -> None:
    """The title, the ledger file, the registration state and the summary above the table."""
    _put(ws, 1, 1, title)
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    lines = (("台帳", check.ledger), ("登録状況", check.state), ("照合結果の概要", check.note))
    for r, (label, value) in enumerate(lines, start=2):
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(LEDGER_HEADERS))
        _put(ws, r, 1, label)
        ws.cell(r, 1).font, ws.cell(r, 1).alignment = Font(name=GOTHIC, bold=True), _WRAP_TOP
        _write_wrapped(ws, r, 2, value)
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
                _cite_text(f.evidence) if f.evidence else "",
                f.note,
            )
            for c, text in enumerate(values, start=1):
                _write_wrapped(ws, r, c, text)
                ws.cell(r, c).font, ws.cell(r, c).border = Font(name=MINCHO), _BOX
            if fill := _STATUS_FILL.get(f.status):
                ws.cell(r, 5).fill = fill
    return r
