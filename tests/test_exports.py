"""Exports read back: the notice, the approach, the templates, the city's checklist, the ledger."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from copilot.audit.checklists import import_checklist
from copilot.audit.ledger import FieldCheck, LedgerCheck, LedgerRow, Status
from copilot.audit.selfcheck import DivisionRisk, Reason, Triage
from copilot.errors import UserError
from copilot.exports.approach import export_approach
from copilot.exports.checklist import ADDED, export_checklist, ticked
from copilot.exports.hearing import export_hearing_minutes, export_onsite_summary
from copilot.exports.ledger import LEDGER_HEADERS, export_ledger_check
from copilot.exports.notice import Letterhead, export_notice
from copilot.schemas import ChecklistJudgement, Citation, Finding, ReviewInfo
from tests.conftest import CORPUS

CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
STANDARD = "架空市情報セキュリティ対策基準.docx"
GUIDELINE = "架空市外部サービス利用ガイドライン.docx"

APPROVED = ReviewInfo(status="approved", reviewer="主任担当者 佐藤花子", reviewed_at="2026-02-10")
EDITED = ReviewInfo(
    status="approved_with_edits", reviewer="主任担当者 佐藤花子", reviewed_at="2026-02-12"
)
UNSIGNED = ReviewInfo(status="draft")
REJECTED = ReviewInfo(status="rejected", reviewer="主任担当者 佐藤花子", reviewed_at="2026-02-11")


def cite(document: str, path: str, quote: str, page: int | None = None) -> Citation:
    return Citation(
        clause_id=f"{document}#{path}", document=document, clause_path=path, page=page, quote=quote
    )


# --- Word helpers ---------------------------------------------------------------------------


def headings(path: Path) -> list[str]:
    doc = Document(str(path))
    return [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def all_text(path: Path) -> str:
    """Every paragraph, table cell and header line of a Word file."""
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    parts += [p.text for s in doc.sections for p in s.header.paragraphs]
    return "\n".join(parts)


def table_rows(path: Path) -> list[list[str]]:
    doc = Document(str(path))
    return [[c.text for c in row.cells] for t in doc.tables for row in t.rows]


def header_line(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).sections[0].header.paragraphs)


# --- the notice ----------------------------------------------------------------------------

DIVISION = "市民課"
OPINION = Finding(
    division=DIVISION,
    title="外部サービス利用管理台帳の記載の更新",
    finding="外部サービス利用管理台帳の「データ保管場所」欄が「未確認」のままとなっていた。",
    rating="意見",
    risk="保管場所が国外であった場合に、適用される法令により情報の開示を求められるおそれがある。",
    recommendation="契約書類に定めた保管場所を確認し、台帳の記載を更新されたい。",
    criteria=[
        cite(
            STANDARD,
            "第35 > 1 > (3)",
            "統括情報セキュリティ責任者は、外部サービスの利用状況を把握するため、"
            "外部サービス利用管理台帳を整備しなければならない。",
            page=41,
        )
    ],
    evidence=[cite("外部サービス利用管理台帳.xlsx", "台帳 > 3行目", "未確認")],
)
BREACH = Finding(
    division=DIVISION,
    title="機密性3の情報資産の持出しに係る許可及び記録",
    finding="機密性3の情報を記録した電磁的記録媒体を、許可を得ずに庁外へ持ち出していた。",
    rating="指摘",
    risk="媒体の紛失又は盗難により、住民の個人情報が漏えいするおそれがある。",
    recommendation="持出しの許可手続を徹底し、持出し記録簿により管理されたい。",
    criteria=[
        cite(
            STANDARD,
            "第12 > 3 > (2)",
            "機密性3の情報資産を外部に持ち出す場合は、情報セキュリティ管理者の許可を得なければならない。",
            page=18,
        )
    ],
    evidence=[cite("ヒアリング回答（市民課）.docx", "問3", "許可の手続は行っていない。")],
)
UNSIGNED_FINDING = Finding(
    division=DIVISION,
    title="窓口付近における機密文書の放置",
    finding="来庁者から見える窓口のカウンター上に、申請書の綴りが置かれていた。",
    rating="指摘",
    risk="来庁者に個人情報を閲覧されるおそれがある。",
    recommendation="窓口付近に機密性の高い文書を置かない運用を徹底されたい。",
    criteria=[
        cite(STANDARD, "第12 > 4 > (1)", "窓口付近に機密性2以上の情報資産を置いてはならない。")
    ],
)
REJECTED_FINDING = Finding(
    division=DIVISION,
    title="シュレッダー処理の委託",
    finding="機密文書を裏紙として再利用していた。",
    rating="意見",
    risk="裏紙の配布先で情報が漏えいするおそれがある。",
    recommendation="溶解処理の委託により廃棄されたい。",
)
ALL_FINDINGS = [
    (OPINION, APPROVED),  # an 意見 given first: the 指摘 must still come first
    (BREACH, EDITED),
    (UNSIGNED_FINDING, UNSIGNED),
    (REJECTED_FINDING, REJECTED),
]
PERIOD = "令和7年6月2日から令和8年3月19日まで"
SIGNER = "架空監査法人　代表社員 山田太郎"
HEAD = Letterhead("架空監第3号", date(2026, 2, 20), "架空市長", (SIGNER,), PERIOD)


def notice(
    tmp_path: Path,
    findings: list[tuple[Finding, ReviewInfo]] = ALL_FINDINGS,
    include_drafts: bool = False,
) -> Path:
    return export_notice(
        DIVISION,
        findings,
        tmp_path / "out" / "監査結果通知案_市民課.docx",
        HEAD,
        include_drafts=include_drafts,
    )


def test_notice_has_the_cover_the_four_parts_and_the_basis_with_the_shiteki_first(tmp_path: Path):
    path = notice(tmp_path, [(OPINION, APPROVED), (BREACH, EDITED)])
    doc = Document(str(path))
    heads = headings(path)
    assert heads[0] == "情報セキュリティ監査結果通知（案）"
    # the letter's head first: number, date, addressee, sender; then the title
    head = [p.text for p in doc.paragraphs[:4]]
    assert head == ["架空監第3号", "令和8年2月20日", "架空市長　様", SIGNER]
    assert next(p for p in doc.paragraphs if p.style.name == "Title").text == heads[0]
    cover = table_rows(path)[:3]
    assert cover == [
        ["対象課", DIVISION],
        ["監査期間", PERIOD],
        ["監査の結果", "指摘事項1件、意見1件"],
    ]
    text = all_text(path)
    assert "令和8年2月20日" in text and "指摘事項1件及び意見1件" in text
    # numbered, the 指摘 before the 意見, each in Word's own heading styles
    first, second = heads.index("指摘1　" + BREACH.title), heads.index("意見1　" + OPINION.title)
    assert heads.index("第1　指摘事項") < first < heads.index("第2　意見") < second
    styles = {p.text: p.style.name for p in doc.paragraphs}
    assert styles["指摘1　" + BREACH.title] == "Heading 2"
    assert styles["（1）発見事項"] == "Heading 3"
    for f in (BREACH, OPINION):
        for part in (f.finding, f.risk, f.recommendation):
            assert part in text
    assert heads.count("（2）指摘・意見の評価") == 2 and heads.count("（4）改善提言") == 2
    rows = table_rows(path)
    assert ["区分", "文書", "条項", "頁", "引用"] in rows
    # sources by title and clause, as a person cites them, never by the stored file's name
    title = STANDARD.removesuffix(".docx")
    assert ["判断基準", title, "第12　3（2）", "18", BREACH.criteria[0].quote] in rows
    assert [
        "確認した証跡",
        "ヒアリング回答（市民課）",
        "問3",
        "",
        "許可の手続は行っていない。",
    ] in rows
    assert ["判断基準", title, "第35　1（3）", "41", OPINION.criteria[0].quote] in rows
    assert "【下書き】" not in text and header_line(path) == ""


def test_notice_is_a4_portrait_with_japanese_fonts_and_properties(tmp_path: Path):
    doc = Document(str(notice(tmp_path)))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.orientation == WD_ORIENT.PORTRAIT
    for name in ("Normal", "Heading 1", "Heading 2", "Title"):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) in ("ＭＳ 明朝", "ＭＳ ゴシック")
        assert fonts.get(qn("w:asciiTheme")) is None
    assert doc.core_properties.author == "監査コパイロット"
    assert doc.core_properties.title == "情報セキュリティ監査結果通知（案）　市民課"


def test_notice_leaves_out_drafts_and_rejected_findings_by_default(tmp_path: Path):
    path = notice(tmp_path)
    text = all_text(path)
    assert BREACH.title in text and OPINION.title in text
    assert UNSIGNED_FINDING.title not in text and UNSIGNED_FINDING.finding not in text
    assert REJECTED_FINDING.title not in text and REJECTED_FINDING.finding not in text
    assert "【下書き】" not in text


def test_notice_with_drafts_marks_each_unsigned_finding_and_the_header(tmp_path: Path):
    path = notice(tmp_path, include_drafts=True)
    heads = headings(path)
    assert "【下書き】指摘2　" + UNSIGNED_FINDING.title in heads
    assert "指摘1　" + BREACH.title in heads and "意見1　" + OPINION.title in heads
    assert sum("【下書き】" in h for h in heads) == 1
    assert "【下書き】" in header_line(path)
    text = all_text(path)
    assert UNSIGNED_FINDING.finding in text
    assert REJECTED_FINDING.title not in text and REJECTED_FINDING.finding not in text


def test_notice_with_nothing_signed_refuses_or_says_so_and_refuses_another_division(
    tmp_path: Path,
):
    with pytest.raises(UserError, match="承認待ち"):  # it cannot say nothing was found
        notice(tmp_path, [(UNSIGNED_FINDING, UNSIGNED), (REJECTED_FINDING, REJECTED)])
    path = notice(tmp_path, [(REJECTED_FINDING, REJECTED)])
    assert f"{DIVISION}について、指摘すべき事項は認められませんでした。" in all_text(path)
    other = BREACH.model_copy(update={"division": "税務課"})
    with pytest.raises(ValueError, match="税務課"):
        notice(tmp_path, [(other, APPROVED)])


def test_control_characters_are_stripped_and_the_file_stays_valid(tmp_path: Path):
    dirty = BREACH.model_copy(update={"finding": "持出し\x0bの\x00記録\x1fがない。\n二行目"})
    path = notice(tmp_path, [(dirty, APPROVED)])
    assert "持出しの記録がない。\n二行目" in all_text(path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    with pytest.raises(UserError, match=r"\.docx"):
        export_notice(DIVISION, [(BREACH, APPROVED)], tmp_path / "通知.doc", HEAD)


# --- the checklist in the city's own layout -----------------------------------------------

CONTRACT = "C-2026-001"
J_YES = ChecklistJudgement(
    item="1-1-1",
    contract=CONTRACT,
    verdict="反映あり",
    answer="はい",
    rationale="仕様書でISO/IEC 27001の認証の取得を求めている。",
    evidence=[
        cite(
            "C-2026-001/仕様書.docx",
            "3 > (1)",
            "受注者は、ISO/IEC 27001の認証を取得していること。",
            page=2,
        )
    ],
)
J_PARTIAL = ChecklistJudgement(
    item="1-3-2",
    contract=CONTRACT,
    verdict="一部反映",
    answer="いいえ",
    rationale="通信の暗号化は求めているが、暗号化の水準（TLS1.2以上等）の定めがない。",
    evidence=[cite("C-2026-001/仕様書.docx", "4 > 4-2", "通信は、適切に暗号化すること。")],
    advice="暗号化の方式又は水準を具体的に記載するよう助言する。",
    proposed_wording="利用者端末と本サービスとの間の通信は、TLS1.2以上により暗号化すること。",
    alternative_measure="受注者の提出するセキュリティ仕様書で暗号化の水準を確認する。",
)
J_UNSIGNED = ChecklistJudgement(
    item="1-5-1",
    contract=CONTRACT,
    verdict="反映なし",
    answer="いいえ",
    rationale="再委託の事前承認に関する定めが契約書類に見当たらない。",
    proposed_wording="受注者は、再委託を行う場合、事前に書面で申請し、市の承諾を受けること。",
)
J_REJECTED = ChecklistJudgement(
    item="1-7-3",
    contract=CONTRACT,
    verdict="反映なし",
    answer="いいえ",
    rationale="ログの保存期間の定めがない。",
)
J_OPEN = ChecklistJudgement(
    item="4-3",
    contract=CONTRACT,
    verdict="要確認",
    answer="未回答",
    rationale="契約終了後の秘密保持義務の存続について、約款の確認が必要である。",
)
JUDGEMENTS = [
    (J_YES, APPROVED),
    (J_PARTIAL, EDITED),
    (J_UNSIGNED, UNSIGNED),
    (J_REJECTED, REJECTED),
    (J_OPEN, APPROVED),
]
EMPTY = "□はい\u3000□いいえ"
ADV, EX, BASIS, WHO, STATE = "EFGHI"  # the added columns 助言, 記載例, 根拠, 確認者, 状態


def checklist(tmp_path: Path, include_drafts: bool = False) -> Path:
    out = tmp_path / "out" / "チェックリスト_C-2026-001.xlsx"
    return export_checklist(CHECKLIST, CONTRACT, JUDGEMENTS, out, include_drafts=include_drafts)


def every_value(ws: Worksheet) -> str:
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_checklist_keeps_the_city_layout(tmp_path: Path):
    src = load_workbook(CHECKLIST).worksheets[0]
    out = load_workbook(checklist(tmp_path))
    ws = out["チェックリスト"]
    assert out.sheetnames == load_workbook(CHECKLIST).sheetnames
    assert {str(r) for r in ws.merged_cells.ranges} == {str(r) for r in src.merged_cells.ranges}
    assert (
        [c.value for c in ws[4][:4]]
        == [c.value for c in src[4][:4]]
        == ["設問", "確認項目", "回答", "備考"]
    )
    assert ws["A1"].value == src["A1"].value and ws["A3"].value == src["A3"].value
    for col in "ABCD":
        assert ws.column_dimensions[col].width == src.column_dimensions[col].width
    assert ws["A4"].font.name == src["A4"].font.name and ws["A4"].fill.fgColor.rgb == "00D9D9D9"
    assert ws.freeze_panes == src.freeze_panes and ws.print_title_rows == src.print_title_rows
    # the export still reads as the same checklist
    again, original = (
        import_checklist(tmp_path / "out" / "チェックリスト_C-2026-001.xlsx"),
        import_checklist(CHECKLIST),
    )
    assert [(i.id, i.text, i.row) for i in again.items] == [
        (i.id, i.text, i.row) for i in original.items
    ]
    assert out.properties.creator == "監査コパイロット"
    assert "C-2026-001" in out.properties.title
    assert (
        load_workbook(CHECKLIST).properties.creator != "監査コパイロット"
    )  # the city's file untouched


def test_checklist_ticks_the_boxes_and_fills_reasons_and_added_columns(tmp_path: Path):
    ws = load_workbook(checklist(tmp_path))["チェックリスト"]
    assert [ws[f"{c}4"].value for c in (ADV, EX, BASIS, WHO, STATE)] == list(ADDED)
    assert ws["E4"].font.b and ws["E4"].fill.fgColor.rgb == "00D9D9D9"
    # 1-1-1 はい (row 6; its reason row 7 stays empty)
    assert ws["A6"].value == "1-1-1" and ws["C6"].value == "■はい\u3000□いいえ"
    assert ws["C7"].value is None
    assert "受注者は、ISO/IEC 27001の認証を取得していること。" in ws[f"{BASIS}6"].value
    assert "C-2026-001/仕様書.docx 3 > (1) p.2" in ws[f"{BASIS}6"].value
    assert (
        ws[f"{WHO}6"].value == "主任担当者 佐藤花子"
        and ws[f"{STATE}6"].value == "承認済（2026-02-10）"
    )
    # 1-3-2 いいえ (row 14) with its reason row 15: the prompt kept, the reason beside it
    assert ws["A14"].value == "1-3-2" and ws["C14"].value == "□はい\u3000■いいえ"
    assert ws["B15"].value == "いいえの場合の理由・代替措置："
    assert J_PARTIAL.rationale in ws["C15"].value
    assert "代替措置：" + J_PARTIAL.alternative_measure in ws["C15"].value
    assert ws[f"{ADV}14"].value == J_PARTIAL.advice
    assert ws[f"{EX}14"].value == J_PARTIAL.proposed_wording
    assert "通信は、適切に暗号化すること。" in ws[f"{BASIS}14"].value
    assert ws[f"{STATE}14"].value == "修正のうえ承認済（2026-02-12）"
    # 4-3 未回答 (row 72): no box ticked, the open question in 助言
    assert ws["A72"].value == "4-3" and ws["C72"].value == EMPTY
    assert J_OPEN.rationale in ws[f"{ADV}72"].value
    # unsigned 1-5-1 (row 24) and rejected 1-7-3 (row 36) are not exported
    for row in (24, 36):
        assert ws[f"C{row}"].value == EMPTY and ws[f"C{row + 1}"].value is None
        assert all(ws[f"{c}{row}"].value is None for c in (ADV, EX, BASIS, WHO, STATE))
    assert "【下書き】" not in every_value(ws)
    assert J_UNSIGNED.rationale not in every_value(ws) and J_REJECTED.rationale not in every_value(
        ws
    )
    # every other item is as the city wrote it
    assert ws["C9"].value == EMPTY and ws["C10"].value is None


def test_checklist_with_drafts_marks_the_unsigned_items(tmp_path: Path):
    ws = load_workbook(checklist(tmp_path, include_drafts=True))["チェックリスト"]
    assert ws["A24"].value == "1-5-1" and ws["C24"].value == "□はい\u3000■いいえ"
    assert ws["C25"].value == "【下書き】" + J_UNSIGNED.rationale
    assert (
        ws[f"{STATE}24"].value == "【下書き】未承認"
        and ws[f"{EX}24"].value == J_UNSIGNED.proposed_wording
    )
    assert ws[f"{STATE}6"].value == "承認済（2026-02-10）"  # a signed item carries no mark
    assert "【下書き】" in ws[f"{ADV}3"].value and "C-2026-001" in ws[f"{ADV}3"].value
    assert ws.oddHeader.center.text == "【下書き】"
    assert ws["C36"].value == EMPTY and J_REJECTED.rationale not in every_value(ws)


def test_checklist_without_an_answer_column_writes_the_added_columns_only(tmp_path: Path):
    src = tmp_path / "other_city.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "点検表"
    rows = [
        ["外部サービス利用チェック表", None],
        ["項番", "確認項目"],
        ["1-1-1", "外部サービス提供者がISMS認証を取得していることを求めているか。"],
        ["1-3-2", "通信経路上の情報の暗号化を求めているか。"],
    ]
    for row in rows:
        ws.append(row)
    wb.save(src)
    out = export_checklist(
        src, CONTRACT, [(J_YES, APPROVED), (J_PARTIAL, APPROVED)], tmp_path / "o.xlsx"
    )
    ws = load_workbook(out)["点検表"]
    assert [c.value for c in ws[2]] == ["項番", "確認項目", "回答", "理由・代替措置", *ADDED]
    assert [ws["C3"].value, ws["D3"].value] == ["はい", None]
    assert ws["C4"].value == "いいえ" and J_PARTIAL.rationale in ws["D4"].value
    assert ws["B3"].value == rows[2][1]


def test_checklist_text_is_never_a_formula_nor_invalid_xml(tmp_path: Path):
    odd = J_PARTIAL.model_copy(
        update={
            "rationale": "暗号化\x07の水準が\x1b未記載。",
            "proposed_wording": "=TLS1.2以上とする。",
        }
    )
    out = export_checklist(CHECKLIST, CONTRACT, [(odd, APPROVED)], tmp_path / "o.xlsx")
    ws = load_workbook(out)["チェックリスト"]
    assert ws["C15"].value.startswith("暗号化の水準が未記載。\n代替措置：")
    assert ws[f"{EX}14"].value == "=TLS1.2以上とする。" and ws[f"{EX}14"].data_type == "s"


def test_ticked_boxes_and_plain_cells():
    assert ticked("□はい\u3000□いいえ", "はい") == "■はい\u3000□いいえ"
    assert ticked("■はい　□いいえ", "いいえ") == "□はい　■いいえ"
    assert ticked("☐ はい / ☐ いいえ", "いいえ") == "□ はい / ■ いいえ"
    assert ticked("", "はい") == "はい" and ticked("", "未回答") == ""


def test_checklist_refuses_unknown_items_another_contract_and_the_original(tmp_path: Path):
    odd = J_YES.model_copy(update={"item": "9-9-9"})
    with pytest.raises(UserError, match="9-9-9"):
        export_checklist(CHECKLIST, CONTRACT, [(odd, APPROVED)], tmp_path / "o.xlsx")
    with pytest.raises(ValueError, match="C-2026-002"):
        export_checklist(CHECKLIST, "C-2026-002", [(J_YES, APPROVED)], tmp_path / "o.xlsx")
    copy = tmp_path / "copy.xlsx"
    shutil.copy(CHECKLIST, copy)
    with pytest.raises(UserError, match="上書き"):
        export_checklist(copy, CONTRACT, [(J_YES, APPROVED)], copy)
    assert not (tmp_path / "o.xlsx").exists()


# --- the ledger check -----------------------------------------------------------------------


def ledger_check() -> LedgerCheck:
    def field(item: str, value: str, status: Status, quote: str | None, note: str) -> FieldCheck:
        evidence = cite("C-2026-002/契約書.docx", "第3条 > 2", quote) if quote else None
        return FieldCheck(
            item=item, column=item, ledger_value=value, status=status, evidence=evidence, note=note
        )

    row = LedgerRow(
        sheet="台帳",
        row=4,
        number="EX-0002",
        service="電子申請サービス",
        division="市民課",
        fields=[
            field(
                "事業者名",
                "株式会社架空クラウド",
                "一致",
                "乙は、株式会社架空クラウドとする。",
                "一致します。",
            ),
            field(
                "機密性",
                "機密性3",
                "一致",
                "本業務で取り扱う情報は機密性3に該当する。",
                "一致します。",
            ),
            field(
                "データ保管場所",
                "未確認",
                "不一致",
                "データは国内のデータセンターに保管する。",
                "台帳を更新してください。",
            ),
            field("第三者認証", "", "台帳に記載なし", None, "台帳のこの欄が空欄です。"),
        ],
    )
    return LedgerCheck(
        contract="C-2026-002",
        ledger="corpus_public/ledger/外部サービス利用管理台帳.xlsx",
        state="登録あり",
        rows=[row],
        note="契約番号 C-2026-002 の台帳の記載のうち、確認を要する項目：EX-0002のデータ保管場所（不一致）。",
    )


def test_ledger_export_has_one_row_per_field(tmp_path: Path):
    check = ledger_check()
    wb = load_workbook(export_ledger_check(check, tmp_path / "台帳照合結果.xlsx"))
    ws = wb["台帳照合結果"]
    header = [c.value for c in ws[6]]
    assert header == list(LEDGER_HEADERS)
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=7)]
    assert len(body) == 4
    assert [r[2] for r in body] == ["事業者名", "機密性", "データ保管場所", "第三者認証"]
    assert all(r[0] == "EX-0002" and r[1] == "電子申請サービス" for r in body)
    assert body[2][3:5] == ["未確認", "不一致"]
    assert (
        body[2][5]
        == "「データは国内のデータセンターに保管する。」（C-2026-002/契約書.docx 第3条 > 2）"
    )
    assert body[3][5] is None and body[3][6] == "台帳のこの欄が空欄です。"
    assert ws.auto_filter.ref == "A6:G10" and ws.freeze_panes == "A7"
    assert ws["A6"].font.b and ws["A6"].fill.fgColor.rgb == "00D9D9D9"
    assert ws["F7"].alignment.wrap_text and ws.column_dimensions["F"].width == 50
    assert check.note in every_value(ws) and wb.properties.creator == "監査コパイロット"


def test_ledger_export_of_an_unregistered_contract_says_so(tmp_path: Path):
    check = ledger_check().model_copy(
        update={"state": "未登録", "rows": [], "note": "台帳に登録されていません。"}
    )
    ws = load_workbook(export_ledger_check(check, tmp_path / "x.xlsx")).active
    assert ws["B3"].value == "未登録" and ws["B4"].value == "台帳に登録されていません。"
    assert ws.max_row == 6


# --- the approach, the minutes and the on-site summary --------------------------------------


def reason(ident: str, question: str, documents: list[str], hearing: str, quote: str) -> Reason:
    return Reason(
        id=ident,
        category="1.情報資産の管理",
        question=question,
        answer="いいえ",
        note="",
        weight=1.5,
        weight_basis="義務規定（「しなければならない」）",
        basis=cite(STANDARD, "第12 > 3", quote),
        documents=documents,
        hearing=hearing,
    )


R_TAKEOUT = reason(
    "1-4",
    "機密性3の情報資産を庁外に持ち出す場合に、許可を得て台帳に記録しているか。",
    ["持出し管理台帳", "申請及び許可・承認の記録"],
    "No.1-4「機密性3の情報資産を庁外に持ち出す場合に、許可を得て台帳に記録しているか」について、"
    "現在の運用状況と、「いいえ」とされた理由をご説明ください。",
    "機密性3の情報資産を外部に持ち出す場合は、情報セキュリティ管理者の許可を得なければならない。",
)
R_LOCK = reason(
    "1-2",
    "機密性3の情報資産及びその鍵を施錠できる場所に保管しているか。",
    ["現状が分かる資料（配置図、写真等。実地監査で確認）", "申請及び許可・承認の記録"],
    "No.1-2「機密性3の情報資産及びその鍵を施錠できる場所に保管しているか」について、"
    "現在の運用状況をご説明ください。",
    "機密性3の情報資産は、施錠できる場所に保管しなければならない。",
)
R_TAX = reason(
    "1-5",
    "機密文書を溶解処理により廃棄しているか。",
    ["廃棄・消去又は返還の記録（証明書を含む。）"],
    "No.1-5「機密文書を溶解処理により廃棄しているか」について、現在の運用状況をご説明ください。",
    "機密文書は、復元できない方法により廃棄しなければならない。",
)


def basis(r: Reason) -> str:
    """How the exports cite a reason's policy sentence."""
    assert r.basis is not None
    return f"「{r.basis.quote}」（{STANDARD} 第12 > 3）"


def triage() -> Triage:
    def risk(name: str, rank: int, reasons: list[Reason]) -> DivisionRisk:
        return DivisionRisk(
            division=name,
            source=f"自己点検シート_{name}.xlsx",
            rank=rank,
            score=1.5 * len(reasons),
            no_count=len(reasons),
            unanswered_count=0,
            explanation=f"「いいえ」{len(reasons)}件、未回答0件、点数{1.5 * len(reasons):g}。",
            reasons=reasons,
        )

    return Triage(
        formula="点数＝「いいえ」及び未回答の設問ごとの重みの合計。",
        divisions=[
            risk("市民課", 1, [R_TAKEOUT, R_LOCK]),
            risk("税務課", 2, [R_TAX]),
            risk("学校教育課", 3, []),
        ],
    )


SCHEDULE = [
    ("市民課", "令和7年11月10日（月）書面監査・現地監査"),
    ("税務課", "令和7年11月17日（月）書面監査"),
    ("学校教育課", "令和7年11月20日（木）書面監査"),
]


def test_approach_names_each_division_with_its_documents_and_hearing_topics(tmp_path: Path):
    path = export_approach(
        triage(), "令和7年10月1日から令和8年3月19日まで", SCHEDULE, tmp_path / "方針.docx"
    )
    heads = headings(path)
    assert heads[0] == "情報セキュリティ監査実施方針（案）"
    methods = heads.index("2　監査の方法")
    assert heads[methods : methods + 5] == [
        "2　監査の方法",
        "（1）書面監査",
        "（2）ヒアリング",
        "（3）現地監査",
        "3　監査の期間",
    ]
    for title in (
        "1　監査の目的",
        "4　監査対象課及び日程",
        "5　対象課ごとの依頼資料及びヒアリング事項",
        "6　指摘と意見の区分",
    ):
        assert title in heads
    assert heads.index("（1）市民課") < heads.index("（2）税務課") < heads.index("（3）学校教育課")
    text = all_text(path)
    assert "電子メール" in text and "5営業日以内" in text
    assert "令和7年10月1日から令和8年3月19日まで" in text
    rows = table_rows(path)
    assert ["1", "市民課", SCHEDULE[0][1], "「いいえ」2件、未回答0件、点数3。"] in rows
    # the documents, once each, with the questions that need them and their basis
    assert [
        "1",
        "持出し管理台帳",
        "No.1-4",
        basis(R_TAKEOUT),
    ] in rows
    shared = next(r for r in rows if r[1] == "申請及び許可・承認の記録")
    assert (
        shared[2] == "No.1-4、No.1-2"
        and basis(R_TAKEOUT) in shared[3]
        and basis(R_LOCK) in shared[3]
    )
    assert ["1", "No.1-5", R_TAX.hearing, basis(R_TAX)] in rows
    assert any(r[2] == R_LOCK.hearing for r in rows)
    assert "自己点検の結果から追加で依頼する資料及びヒアリング事項はありません。" in text
    assert "指摘：" in text and "意見：規程等への違反ではないが" in text
    assert "【下書き】" not in text


def test_hearing_minutes_template_has_the_questions_and_blank_answers(tmp_path: Path):
    path = export_hearing_minutes("市民課", [R_TAKEOUT, R_LOCK], tmp_path / "議事録.docx")
    heads = headings(path)
    assert heads[0] == "情報セキュリティ監査　ヒアリング議事録"
    assert ["質問1　No.1-4", "質問2　No.1-2"] == [
        h for h in heads if h.startswith("質問") and "No." in h
    ]
    text = all_text(path)
    assert "5営業日以内" in text
    rows = table_rows(path)
    assert ["対象課", "市民課"] in rows
    for label in (
        "実施日時",
        "実施場所・方法（対面／ウェブ会議）",
        "出席者（対象課）",
        "出席者（監査人）",
    ):
        assert [label, ""] in rows
    for r in (R_TAKEOUT, R_LOCK):
        assert ["質問事項", r.hearing] in rows
        assert ["根拠（規程）", basis(r)] in rows
        assert ["設問", f"{r.category}　{r.question}"] in rows
    assert rows.count(["回答", ""]) == 2


def test_onsite_summary_template_has_the_questions_and_blank_observations(tmp_path: Path):
    path = export_onsite_summary("市民課", [R_LOCK], tmp_path / "現地監査.docx")
    heads = headings(path)
    assert heads[0] == "情報セキュリティ監査　現地監査結果概要"
    assert "タイムテーブル" in heads and "確認1　No.1-2" in heads
    rows = table_rows(path)
    assert ["対象課", "市民課"] in rows and ["時刻", "内容", "場所"] in rows
    assert [
        "確認事項",
        f"No.1-2「{R_LOCK.question.rstrip('。')}」について、現地において運用の実態を確認する。",
    ] in rows
    assert ["確認する資料・現物", "、".join(R_LOCK.documents)] in rows
    assert ["確認結果", ""] in rows and ["評価（指摘／意見／問題なし）", ""] in rows
    assert "5営業日以内" in all_text(path)


# --- LibreOffice opens what we write ---------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer libreoffice-calc)",
)
def test_libreoffice_converts_a_notice_and_a_checklist_to_pdf(tmp_path: Path):
    assert SOFFICE is not None
    sources = [notice(tmp_path, include_drafts=True), checklist(tmp_path, include_drafts=True)]
    pdfs = tmp_path / "pdf"
    profile = (tmp_path / "lo-profile").as_uri()
    for src in sources:
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(pdfs),
                str(src),
            ],
            check=True,
            timeout=180,
            capture_output=True,
        )
        pdf = pdfs / f"{src.stem}.pdf"
        assert pdf.stat().st_size > 1000 and pdf.read_bytes().startswith(b"%PDF")


def test_stored_times_are_shown_in_japanese_era_and_jst():
    from copilot.calendar_jp import shown_time

    # 16:05 UTC is 01:05 the next day in Japan; an offset already in JST stays as it is
    assert shown_time("2026-12-07T16:05:09+00:00") == "令和8年12月8日 1時05分"
    assert shown_time("2026-12-07T09:30:00+09:00") == "令和8年12月7日 9時30分"
    assert shown_time("2026-12-07T09:30:00") == "令和8年12月7日 9時30分"
    assert shown_time("（なし）") == "（なし）"
