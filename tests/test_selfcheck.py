"""Self-check sheets: the sample divisions' answers, triage with cited policy, other layouts."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from copilot.audit.selfcheck import documents_to_request, read_selfcheck, triage
from copilot.drafting.citations import gate
from copilot.errors import UserError
from ingest.normalise import squash
from tests.conftest import CORPUS

SHEETS = sorted((CORPUS / "self_check").glob("*.xlsx"))
WELFARE = CORPUS / "self_check" / "自己点検シート_福祉政策課.xlsx"
TAX = CORPUS / "self_check" / "自己点検シート_税務課.xlsx"


def write_xlsx(path: Path, rows: list[list[object]], merges: list[str] = ()) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "点検票"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value not in (None, ""):
                ws.cell(r, c, value)
    for rng in merges:
        ws.merge_cells(rng)
    wb.save(str(path))
    return path


def user_error(path: Path) -> UserError:
    with pytest.raises(UserError) as info:
        read_selfcheck(path)
    assert str(path) in info.value.ja and str(path) in info.value.en
    return info.value


# --- reading ---------------------------------------------------------------------------------


def test_sample_sheet_is_read_with_answers_notes_and_categories():
    sheet = read_selfcheck(WELFARE)

    assert sheet.division == "健康福祉局福祉政策課"
    assert [it.id for it in sheet.items] == [str(n) for n in range(1, 31)]
    assert sum(it.answer == "いいえ" for it in sheet.items) == 15
    assert {it.answer for it in sheet.items} == {"はい", "いいえ"}
    four = sheet.items[3]
    assert (four.category, four.answer, four.row) == ("1.情報資産の管理", "いいえ", 8)
    assert "貸出しの記録はない" in four.note
    assert sheet.items[23].category == "5.外部サービス・委託"
    assert sheet.items[2].note == ""  # はい rows leave 補足 empty


def test_other_layout_answer_column_first_marks_and_division_cell(tmp_path):
    rows: list[list[object]] = [
        ["令和8年度　セキュリティ点検票"],
        ["所属名", "市民局区政課", "", "記入日", "令和8年9月1日"],
        [],
        ["回答", "項番", "確認事項", "備考"],
        ["【1】情報資産"],
        ["○", "1", "情報資産管理台帳を毎年度見直している。", ""],
        [
            "×",
            "2",
            "機密性3の情報資産を庁外に持ち出す際は許可を得て持出管理簿に記録している。",
            "管理簿なし",
        ],
        ["【2】人的対策"],
        ["", "3", "全ての職員が情報セキュリティ研修を受講している。", ""],
        ["対象外", "4", "窓口の端末の画面は来庁者から見えない向きに設置している。", "窓口なし"],
        ["□はい　■いいえ", "5", "利用者IDを他人と共用していない。", ""],
    ]
    path = write_xlsx(tmp_path / "点検票.xlsx", rows, merges=["A1:D1", "A5:D5", "A8:D8"])

    sheet = read_selfcheck(path)

    assert sheet.division == "市民局区政課"
    assert [(it.id, it.answer) for it in sheet.items] == [
        ("1", "はい"),
        ("2", "いいえ"),
        ("3", "未回答"),
        ("4", "対象外"),
        ("5", "いいえ"),
    ]
    assert [it.category for it in sheet.items] == ["【1】情報資産"] * 2 + ["【2】人的対策"] * 3
    assert sheet.items[1].note == "管理簿なし"


def test_reason_column_before_the_answer_column_is_not_taken_for_answers(tmp_path):
    rows = [
        ["項番", "確認事項", "いいえの場合の理由", "回答（はい・いいえ）"],
        [1, "離席時に画面をロックしている。", "", "はい"],
        [2, "パスワードを付箋に書いて貼り付けていない。", "一部の端末で確認", "いいえ"],
    ]
    sheet = read_selfcheck(write_xlsx(tmp_path / "点検.xlsx", rows))
    assert [(it.answer, it.note) for it in sheet.items] == [
        ("はい", ""),
        ("いいえ", "一部の端末で確認"),
    ]


def test_division_falls_back_to_the_file_name(tmp_path):
    rows = [
        ["No", "点検項目", "回答"],
        [1, "離席時に画面をロックしている。", "はい"],
        [2, "パスワードを貼っていない。", "いいえ"],
    ]
    assert (
        read_selfcheck(write_xlsx(tmp_path / "自己点検シート_会計室.xlsx", rows)).division
        == "会計室"
    )


def test_unreadable_answer_names_the_file_and_row(tmp_path):
    rows = [
        ["No", "点検項目", "回答", "補足"],
        [1, "離席時に画面をロックしている。", "はい"],
        [2, "パスワードを付箋に書いて貼り付けていない。", "たぶん"],
    ]
    err = user_error(write_xlsx(tmp_path / "点検.xlsx", rows))
    assert "3行目" in err.ja and "たぶん" in err.ja and "row 3" in err.en


def test_sheet_without_questions_or_answers_gives_the_clear_error(tmp_path):
    err = user_error(write_xlsx(tmp_path / "メモ.xlsx", [["打合せメモ"], ["特になし"]]))
    assert "自己点検シート" in err.ja
    no_answers = [
        ["No", "点検項目"],
        [1, "離席時に画面をロックしている。"],
        [2, "IDを共用していない。"],
    ]
    err = user_error(write_xlsx(tmp_path / "回答なし.xlsx", no_answers))
    assert "回答" in err.ja and "1行目" in err.ja


def test_broken_file_gives_the_clear_error(tmp_path):
    path = tmp_path / "自己点検シート_総務課.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")
    user_error(path)


# --- triage ----------------------------------------------------------------------------------


def test_triage_ranks_divisions_by_their_answers(corpus_services):
    result = triage(corpus_services, SHEETS)

    order = [(d.rank, d.division, d.no_count) for d in result.divisions]
    assert [r for r, _, _ in order] == [1, 2, 3, 4]
    assert order[0][1].endswith("福祉政策課") and order[0][2] == 15
    assert order[-1][1].endswith("税務課") and order[-1][2] == 1
    assert [n for _, _, n in order] == [15, 6, 5, 1]
    scores = [d.score for d in result.divisions]
    assert scores == sorted(scores, reverse=True)
    for d in result.divisions:
        assert d.score == pytest.approx(sum(r.weight for r in d.reasons))
        assert len(d.reasons) == d.no_count + d.unanswered_count
        assert all(1 <= r.weight <= 2 for r in d.reasons)
        assert f"「いいえ」{d.no_count}件" in d.explanation


def test_every_reason_cites_policy_and_asks_for_documents_and_a_hearing(corpus_services):
    result = triage(corpus_services, SHEETS)
    reasons = [r for d in result.divisions for r in d.reasons]
    assert len(reasons) == 27

    cited = [r.basis for r in reasons if r.basis]
    assert len(cited) == len(reasons)
    stored = corpus_services.index.clauses([c.clause_id for c in cited])
    for c in cited:
        clause = stored[c.clause_id]
        assert clause.kind in ("policy", "guideline")
        assert squash(c.quote) in squash(clause.text)
        assert c.quote in clause.text  # an exact sentence, not only after normalisation
    assert gate(cited, stored)[1] == []

    for r in reasons:
        assert r.documents and all(r.documents)
        assert r.hearing.startswith(f"No.{r.id}「") and "ご説明ください。" in r.hearing
        if r.note:
            assert r.note.rstrip("。") in r.hearing


def test_weights_follow_the_policy_wording_and_secrecy(corpus_services):
    welfare = triage(corpus_services, [WELFARE]).divisions[0]
    by_id = {r.id: r for r in welfare.reasons}

    carry = by_id["6"]  # 機密性3 assets taken off-site; the standard says 許可を得なければならない
    assert "持出管理簿" in carry.documents
    assert carry.weight == 2.0 and "機密性3" in carry.weight_basis
    assert "第6" in carry.basis.clause_path and "許可" in carry.basis.quote
    keys = by_id["4"]
    assert keys.weight == 1.5 and keys.weight_basis.startswith("義務規定")
    assert "鍵" in keys.basis.quote and "貸出しの記録" in keys.documents


def test_unanswered_questions_count_and_get_their_own_hearing(corpus_services, tmp_path):
    rows = [
        ["所属：財政局会計課"],
        ["No", "点検項目", "回答", "補足"],
        [1, "書庫等の鍵の管理者を定め、鍵の貸出しを記録している。", ""],
        [2, "離席する際は、端末の画面をロックしている。", "はい"],
        [3, "利用者IDを他人と共用していない。", ""],
    ]
    path = write_xlsx(tmp_path / "会計課.xlsx", rows)

    result = triage(corpus_services, [path, TAX])

    first = result.divisions[0]
    assert first.division == "財政局会計課" and first.unanswered_count == 2
    assert "回答がありませんでした" in first.reasons[0].hearing
    assert result.divisions[1].division.endswith("税務課")


def test_documents_to_request_follow_general_wording_rules():
    got = documents_to_request("利用者IDの棚卸しを行い、結果を台帳に記録している。")
    assert "棚卸しの実施記録" in got and "関係する台帳（最新版）" in got
    assert documents_to_request("端末を固定している。", "盗難防止の措置を講じること。")
    assert documents_to_request("何かをしている。") == [
        "当該事項の実施状況が分かる資料（実施手順書、実施記録等）"
    ]
