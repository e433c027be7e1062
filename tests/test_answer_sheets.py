"""Answer sheets and parts for reference: what binds is what the provider answered and accepted.

Each test writes a real .xlsx or .docx in the shape of a procurement's requirement list (or of a
reference document), reads it through the project's own readers and clause splitter, and judges
the elements of a requirement profile against every sentence, as the checklist does.
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from copilot.drafting.elements import ElementResult, judge_elements
from copilot.drafting.profile_judgement import contract_pool, judge_by_profile
from copilot.drafting.profiles import load_profiles
from copilot.drafting.registry import Evidence
from copilot.schemas import ChecklistItem
from ingest.clauses import split_clauses
from ingest.index import ClauseRecord
from ingest.readers import read_document

PROFILES = load_profiles()
NOTE = "※任意の要件のうち「対応しない」と回答したものは、契約の内容に含まない。"
LOGS = "操作ログの1年間の保存"  # a requirement as a noun phrase, as answer sheets write them
PLACE = "本業務で扱うデータを国内のデータセンターに保管すること。"  # as a duty
CRYPTO = "保存データの暗号化"
YES = ["○", "〇", "対応する", "対応可", "可", "標準対応", "実施する"]
NO = ["×", "対応しない", "対応不可", "不可", "非対応", "対象外", "－"]
PARTIAL = ["△", "一部対応", "代替案により対応", "条件付きで対応", "有償オプション", "別途見積"]


def _clauses(path: Path) -> list[ClauseRecord]:
    """The file's clauses as the index stores them."""
    _, clauses = split_clauses(read_document(path).blocks)
    return [
        ClauseRecord(
            clause_id=f"{path.name}#{c.ordinal}",
            doc_id=f"contracts/C-T/{path.name}",
            ordinal=c.ordinal,
            path=c.path,
            heading=c.heading,
            page=c.page,
            text=c.text,
            char_start=c.char_start,
            char_end=c.char_end,
            kind="contract",
            contract="C-T",
            title=path.stem,
            aside=c.aside,
        )
        for c in clauses
    ]


def _evidence(*paths: Path) -> Evidence:
    return Evidence(documents=[], basis=[], scan=[c for p in paths for c in _clauses(p)])


def standing(profile: str, *paths: Path) -> dict[str, ElementResult]:
    """Each element of the profile as the contract's files make it stand."""
    pool = contract_pool(_evidence(*paths))
    return {r.element.id: r for r in judge_elements(PROFILES[profile], pool)}


def sheet(path: Path, rows: list[list[str]], header: str = "受注者回答", note: bool = True) -> Path:
    """A workbook like a procurement's 機能要件回答書: a title, a note, a header and rows.

    A row of one cell is a group's title, merged across the sheet.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "機能要件回答書"
    ws.append(["機能要件回答書"])
    if note:
        ws.append([NOTE])
    ws.append(["No.", "要件", "必須/任意", header, "備考"])
    n = 0
    for row in rows:
        if len(row) == 1:
            ws.append(row)
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
            continue
        n += 1
        ws.append([n, *row])
    wb.save(path)
    return path


def word(path: Path, lines: list[str], table: list[list[str]] | None = None) -> Path:
    """A Word document: paragraphs, then a table if given."""
    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    d.save(str(path))
    return path


@pytest.mark.parametrize("answer", YES)
def test_a_requirement_answered_yes_binds_the_provider(tmp_path: Path, answer: str) -> None:
    path = sheet(tmp_path / "回答書.xlsx", [[LOGS, "必須", answer, ""]])
    got = standing("access_logs", path)
    assert got["logs_collected"].status == "met"
    assert got["retention_period"].status == "met"
    assert got["retention_period"].sentence.text == LOGS  # type: ignore[union-attr]


@pytest.mark.parametrize("answer", NO)
def test_a_requirement_answered_no_meets_no_element(tmp_path: Path, answer: str) -> None:
    path = sheet(tmp_path / "回答書.xlsx", [[PLACE, "任意", answer, "海外拠点で運用"]])
    got = standing("data_location", path)["storage_in_japan"]
    assert got.status == "missing"
    assert got.against is not None and got.against.text == PLACE  # shown as why it is missing


@pytest.mark.parametrize("answer", PARTIAL)
def test_a_requirement_answered_in_part_is_soft_and_says_why(tmp_path: Path, answer: str) -> None:
    path = sheet(tmp_path / "回答書.xlsx", [[PLACE, "任意", answer, ""]])
    got = standing("data_location", path)["storage_in_japan"]
    assert got.status == "soft"
    assert got.sentence is not None and "一部対応" in got.sentence.limit
    item = ChecklistItem(id="1-4-1", text="データの保存場所を国内に限ることを定めているか。")
    j = judge_by_profile(item, "C-T", _evidence(path), PROFILES["data_location"], review_below=0.5)
    assert j.leaning == "一部反映"
    assert "受注者の回答が一部対応又は条件付きの対応にとどまる" in j.rationale


@pytest.mark.parametrize("note", [True, False])
def test_the_rule_holds_with_and_without_the_sheets_note(tmp_path: Path, note: bool) -> None:
    rows = [
        ["■ログ管理"],
        [LOGS, "必須", "○", ""],
        ["■データの保管"],
        [PLACE, "任意", "対応しない", ""],
        [CRYPTO, "任意", "△", ""],
    ]
    path = sheet(tmp_path / "回答書.xlsx", rows, note=note)
    assert standing("access_logs", path)["retention_period"].status == "met"
    assert standing("data_location", path)["storage_in_japan"].status == "missing"
    assert standing("storage_encryption", path)["encrypted_at_rest"].status == "soft"


@pytest.mark.parametrize(
    "header", ["受注者回答", "回答", "対応可否", "可否", "対応状況", "提案内容", "回答欄（○・×）"]
)
def test_the_answer_column_is_found_by_its_header(tmp_path: Path, header: str) -> None:
    path = sheet(tmp_path / "回答書.xlsx", [[PLACE, "任意", "対応しない", "備考なし"]], header)
    assert standing("data_location", path)["storage_in_japan"].status == "missing"


def test_a_row_with_an_empty_cell_still_finds_its_answer(tmp_path: Path) -> None:
    # the 必須/任意 cell is left empty: the row has fewer cells than its header
    path = sheet(tmp_path / "回答書.xlsx", [[PLACE, "", "×", "海外拠点で運用"]])
    assert standing("data_location", path)["storage_in_japan"].status == "missing"


def test_a_word_table_is_read_by_its_answers(tmp_path: Path) -> None:
    path = word(
        tmp_path / "仕様書.docx",
        ["仕様書", "第1条　受注者は、次に掲げる要件を満たさなければならない。"],
        [
            ["項番", "要件", "区分", "対応可否", "備考"],
            ["1", LOGS, "必須", "○", "標準機能"],
            ["2", PLACE, "任意", "×", "海外拠点を利用"],
            ["3", CRYPTO, "任意", "一部対応", "DBのみ"],
        ],
    )
    assert standing("access_logs", path)["retention_period"].status == "met"
    assert standing("data_location", path)["storage_in_japan"].status == "missing"
    assert standing("storage_encryption", path)["encrypted_at_rest"].status == "soft"
    # a table of requirements with no answer column binds as its words do
    plain = word(
        tmp_path / "仕様書2.docx",
        ["仕様書", "第1条　受注者は、次に掲げる要件を満たさなければならない。"],
        [["項番", "要件", "区分"], ["1", PLACE, "必須"], ["2", "不可", "任意"]],
    )
    assert standing("data_location", plain)["storage_in_japan"].status == "met"


def test_a_document_for_reference_binds_nobody(tmp_path: Path) -> None:
    path = word(
        tmp_path / "運用資料.docx",
        [
            "運用イメージ",
            "本資料は参考であり、契約上の義務を定めるものではない。",
            "1　受注者は、本業務で扱うデータを国内のデータセンターに保管する。",
        ],
    )
    got = standing("data_location", path)["storage_in_japan"]
    assert got.status == "soft"
    assert got.sentence is not None and "参考" in got.sentence.limit


def test_a_document_titled_as_an_example_binds_nobody(tmp_path: Path) -> None:
    path = word(
        tmp_path / "記載例_仕様書.docx",
        ["仕様書", "第1条　受注者は、本業務で扱うデータを国内のデータセンターに保管すること。"],
    )
    assert standing("data_location", path)["storage_in_japan"].status == "soft"


def test_a_part_for_reference_binds_nobody_but_the_contract_before_it_binds(
    tmp_path: Path,
) -> None:
    path = word(
        tmp_path / "仕様書.docx",
        [
            "仕様書",
            "第1条　受注者は、操作ログを1年間保存しなければならない。",
            "第2条　運用の例",
            "以下は例示である。",
            "受注者は、本業務で扱うデータを国内のデータセンターに保管する。",
        ],
    )
    assert standing("access_logs", path)["retention_period"].status == "met"
    assert standing("data_location", path)["storage_in_japan"].status == "soft"


def test_a_proposal_binds_only_where_the_contract_takes_it_in(tmp_path: Path) -> None:
    proposal = word(
        tmp_path / "技術提案書.docx",
        ["技術提案書", "1　当社は、本業務で扱うデータを国内のデータセンターに保管します。"],
    )
    contract = word(
        tmp_path / "契約書.docx",
        ["業務委託契約書", "第1条　乙は、本業務を誠実に履行しなければならない。"],
    )
    got = standing("data_location", proposal, contract)["storage_in_japan"]
    assert got.status == "soft"
    assert got.sentence is not None and "提案" in got.sentence.limit
    taken = word(
        tmp_path / "仕様書.docx",
        ["仕様書", "第1条　受注者は、技術提案書に記載した事項を誠実に履行しなければならない。"],
    )
    assert standing("data_location", proposal, contract, taken)["storage_in_japan"].status == "met"


def test_a_pdf_table_is_read_by_its_answers(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    path = tmp_path / "要件回答書.pdf"
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    c = canvas.Canvas(str(path))
    c.setFont("HeiseiMin-W3", 10)
    c.drawString(60, 790, "機能要件回答書")
    cols = [60, 100, 400, 450, 530]
    tops = [760, 740, 720, 700, 680]
    rows = [
        ["No.", "要件", "区分", "回答"],
        ["1", LOGS, "必須", "○"],
        ["2", "データを国内のデータセンターに保管すること。", "任意", "×"],
        ["3", CRYPTO, "任意", "△"],
    ]
    for x in cols:
        c.line(x, tops[0], x, tops[-1])
    for y in tops:
        c.line(cols[0], y, cols[-1], y)
    for top, row in zip(tops, rows, strict=False):
        for x, cell in zip(cols, row, strict=False):
            c.drawString(x + 4, top - 14, cell)
    c.showPage()
    c.save()
    assert standing("access_logs", path)["retention_period"].status == "met"
    assert standing("data_location", path)["storage_in_japan"].status == "missing"
    assert standing("storage_encryption", path)["encrypted_at_rest"].status == "soft"
