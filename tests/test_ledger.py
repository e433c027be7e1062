"""Ledger check against the sample contracts, and ledgers written here in other cities' layouts."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from copilot.audit.ledger import FieldCheck, LedgerCheck, check_ledger
from copilot.drafting.registry import sentences
from copilot.errors import UserError
from ingest.normalise import squash
from ingest.readers import read_sheet_rows
from tests.conftest import CORPUS

LEDGER = CORPUS / "ledger" / "外部サービス利用管理台帳.xlsx"


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "台帳") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                ws.cell(r, c, value)
    wb.save(str(path))
    return path


def fields(result: LedgerCheck) -> dict[str, FieldCheck]:
    assert len(result.rows) == 1
    return {f.item: f for f in result.rows[0].fields}


def assert_evidence_is_stored(services, result: LedgerCheck) -> None:  # type: ignore[no-untyped-def]
    """Every quote is a sentence of a stored clause of this contract's documents."""
    cited = [f.evidence for r in result.rows for f in r.fields if f.evidence]
    stored = services.index.clauses([c.clause_id for c in cited])
    for c in cited:
        clause = stored[c.clause_id]
        assert clause.kind == "contract" and clause.contract == result.contract
        assert squash(c.quote) in squash(clause.text)
        assert (c.document, c.clause_path) == (clause.doc_id, clause.path)


def contract_text(services, contract: str) -> str:  # type: ignore[no-untyped-def]
    docs = [d for d in services.index.documents() if d.contract == contract]
    return "".join(c.text for d in docs for c in services.index.document_clauses(d.doc_id))


# --- the sample ledger -----------------------------------------------------------------------


def test_c_2026_002_ismap_claim_is_flagged(corpus_services):
    result = check_ledger(corpus_services, LEDGER, "C-2026-002")

    assert result.state == "登録あり"
    row = result.rows[0]
    assert (row.number, row.sheet, row.row) == ("R8-002", "利用管理台帳", 9)
    f = fields(result)
    cert = f["第三者認証"]
    assert cert.ledger_value == "ISMAP登録、ISO/IEC 27001"
    assert cert.status == "不一致"
    assert "ISMAP" in cert.note and "ISO/IEC 27001" in cert.note
    # the evidence shows what the contract does require, and the contract never names ISMAP
    assert cert.evidence is not None and "27001" in cert.evidence.quote
    assert "ISMAP" not in contract_text(corpus_services, "C-2026-002")
    assert [f[k].status for k in ("事業者名", "機密性", "データ保管場所")] == ["一致"] * 3
    assert "機密性3" in f["機密性"].evidence.quote
    assert "第三者認証（不一致）" in result.note and "機密性3" in result.note
    assert_evidence_is_stored(corpus_services, result)


def test_c_2026_001_fields_agree_with_the_contract(corpus_services):
    result = check_ledger(corpus_services, LEDGER, "C-2026-001")

    f = fields(result)
    assert {k: v.status for k, v in f.items()} == {
        "事業者名": "一致",
        "機密性": "一致",
        "データ保管場所": "一致",
        "第三者認証": "一致",
    }
    assert "株式会社架空ソリューションズ" in f["事業者名"].evidence.quote
    assert "機密性2" in f["機密性"].evidence.quote
    assert "東京都" in f["データ保管場所"].evidence.quote
    assert "27001" in f["第三者認証"].evidence.quote and "ISMAP" in f["第三者認証"].evidence.quote
    assert_evidence_is_stored(corpus_services, result)


def test_c_2026_003_unknown_location_and_no_certification_are_not_mismatches(corpus_services):
    f = fields(check_ledger(corpus_services, LEDGER, "C-2026-003"))

    assert f["データ保管場所"].ledger_value == "未確認"
    assert f["データ保管場所"].status == "契約書類に記載なし"
    assert f["第三者認証"].status == "契約書類に記載なし"
    assert "監査上の論点" in f["第三者認証"].note
    assert f["事業者名"].status == "一致"
    assert f["機密性"].status == "契約書類に記載なし"  # the order spec lists the data, no class


def test_contract_missing_from_the_ledger_is_reported_as_unregistered(corpus_services, tmp_path):
    (_, grid), *_ = read_sheet_rows(LEDGER)
    kept = [row for row in grid if "C-2026-003" not in row]
    assert len(kept) == len(grid) - 1
    path = write_xlsx(tmp_path / "台帳.xlsx", kept)

    result = check_ledger(corpus_services, path, "C-2026-003")

    assert result.state == "未登録" and result.rows == []
    assert "登録されていません" in result.note and "C-2026-003" in result.note


def test_unknown_contract_gives_the_search_error(corpus_services):
    with pytest.raises(UserError) as info:
        check_ledger(corpus_services, LEDGER, "C-2099-999")
    assert "C-2099-999" in info.value.ja and "C-2026-001" in info.value.ja


# --- other layouts and broken files ----------------------------------------------------------


def test_another_citys_column_names_and_order(corpus_services, tmp_path):
    rows: list[list[object]] = [
        ["クラウドサービス等管理簿"],
        ["作成：デジタル推進課"],
        [],
        ["No.", "システム名", "契約No", "格付", "データの所在", "受託者", "認証取得状況", "所管課"],
        [
            1,
            "相談記録",
            "Ｃ－２０２６－００２",
            "機密性３",
            "国内",
            "架空情報システム(株)",
            "ISMAP、ISO/IEC 27001",
            "福祉政策課",
        ],
        [2, "電子申請", "C 2026 001", "機密性3", "海外（米国）", "株式会社見本商事", "", "市民課"],
    ]
    path = write_xlsx(tmp_path / "管理簿.xlsx", rows, sheet="一覧")

    welfare = check_ledger(corpus_services, path, "C-2026-002")
    f = fields(welfare)
    assert welfare.rows[0].row == 5 and welfare.rows[0].division == "福祉政策課"
    assert {k: (v.column, v.status) for k, v in f.items()} == {
        "事業者名": ("受託者", "一致"),
        "機密性": ("格付", "一致"),
        "データ保管場所": ("データの所在", "一致"),
        "第三者認証": ("認証取得状況", "不一致"),
    }

    online = fields(check_ledger(corpus_services, path, "C-2026-001"))
    assert online["機密性"].status == "不一致" and "機密性2" in online["機密性"].evidence.quote
    assert online["データ保管場所"].status == "不一致"
    assert online["事業者名"].status == "不一致"
    assert "株式会社架空ソリューションズ" in online["事業者名"].evidence.quote
    assert online["第三者認証"].status == "台帳に記載なし"
    assert "ISMAP" in online["第三者認証"].evidence.quote


def test_ledger_without_a_header_names_the_file_and_sheet(corpus_services, tmp_path):
    path = write_xlsx(
        tmp_path / "メモ.xlsx",
        [["R8-002", "福祉総合相談記録管理サービス", "C-2026-002", "機密性3"]],
        sheet="下書き",
    )
    with pytest.raises(UserError) as info:
        check_ledger(corpus_services, path, "C-2026-002")
    err = info.value
    assert str(path) in err.ja and str(path) in err.en
    assert "下書き" in err.ja and "見出し行" in err.ja and "契約番号" in err.ja


def test_broken_ledger_file_names_the_file(corpus_services, tmp_path):
    path = tmp_path / "台帳.xlsx"
    path.write_bytes(b"this is not a workbook")
    with pytest.raises(UserError) as info:
        check_ledger(corpus_services, path, "C-2026-002")
    assert str(path) in info.value.ja


def test_sentences_keep_brackets_whole_and_are_substrings():
    text = "甲（以下「甲」という。）と乙は、契約する。\n(1)　国内に保管すること。短い。"
    got = sentences(text)
    assert got == ["甲（以下「甲」という。）と乙は、契約する。", "(1)　国内に保管すること。"]
    assert all(s in text for s in got)
    # a PDF line break inside a sentence neither ends it nor disappears from the quote
    assert sentences("本市のデータは国\n内に保管する。") == ["本市のデータは国\n内に保管する。"]
