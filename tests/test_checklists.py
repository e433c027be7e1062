"""Importing checklists as cities hand them over: real files written here, and the sample ones."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook

from copilot.audit.checklists import import_checklist
from copilot.errors import UnreadableFileError, UserError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus_public" / "checklists" / "外部サービス利用時チェックリスト.xlsx"
SELF_CHECKS = sorted((ROOT / "corpus_public" / "self_check").glob("*.xlsx"))
YN = "□はい　□いいえ"
REASON = "いいえの場合の理由・代替措置："


def write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None
) -> Path:
    """A workbook with one sheet per entry; rows start at row 1, None or '' is an empty cell."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value not in (None, ""):
                    ws.cell(r, c, value)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(str(path))
    return path


def user_error(path: Path) -> UserError:
    with pytest.raises(UserError) as info:
        import_checklist(path)
    err = info.value
    assert str(path) in err.ja and str(path) in err.en
    return err


# --- layouts ---------------------------------------------------------------------------------


def test_city_layout_header_in_row_5_full_width_ids_merged_cells_and_extra_columns(tmp_path: Path):
    rows: list[list[object]] = [
        ["", "令和8年度　外部サービス利用時チェックリスト"],
        [],
        ["", "所管課名：　　　　サービス名：　　　　記入日：令和　年　月　日"],
        ["", "※　該当する□を■にし、「いいえ」の場合は理由又は代替措置を記入してください。"],
        ["", "項番", "チェック項目", "はい・いいえ", "備考", "担当"],
        ["", "1-1 選定基準：サービスのセキュリティ要件"],
        ["", "１－１－１", "ISO/IEC 27001 の認証を求めているか。", YN, "", "情報政策課"],
        ["", "", REASON],
        [],
        ["", "1-1-2", "認証の適用範囲を確認しているか。", YN],
        ["", "", REASON],
        ["", "2 外部サービスを利用した情報システムの導入・構築時の対策"],
        ["", "２－１", "責任分界を明確にしているか。", YN],
        ["", "", REASON],
        ["", "2-2", "導入時の設定の支援を求めているか。", YN],
        ["", "", REASON],
    ]
    merges = ["B1:F1", "B3:F3", "B4:F4", "B6:F6", "B12:F12", "B15:B16", "D8:F8"]
    path = write_xlsx(tmp_path / "市チェックリスト.xlsx", {"点検表": rows}, {"点検表": merges})

    cl = import_checklist(path)

    assert cl.title == "令和8年度　外部サービス利用時チェックリスト"
    assert cl.source == str(path)
    assert [(it.id, it.row, it.sheet) for it in cl.items] == [
        ("1-1-1", 7, "点検表"),
        ("1-1-2", 10, "点検表"),
        ("2-1", 13, "点検表"),
        ("2-2", 15, "点検表"),  # its id cell is merged down over the reason row: not a duplicate
    ]
    assert [it.group for it in cl.items] == [
        "1-1 選定基準：サービスのセキュリティ要件",
        "1-1 選定基準：サービスのセキュリティ要件",
        "2 外部サービスを利用した情報システムの導入・構築時の対策",
        "2 外部サービスを利用した情報システムの導入・構築時の対策",
    ]
    assert cl.items[0].text == "ISO/IEC 27001 の認証を求めているか。"
    assert all(REASON not in it.text and it.guidance == it.example == "" for it in cl.items)


def test_columns_in_another_order_no_answer_column_and_ids_under_no_header(tmp_path: Path):
    rows: list[list[object]] = [
        [],
        [],
        ["確認内容", "備考", ""],
        ["【選定基準】"],
        ["外部サービス提供者の認証を確認しているか。", "", "1"],
        ["データの保存場所を確認しているか。", "", "2"],
        [],
        ["■ 運用時の対策"],
        ["定期的な報告を求めているか。", "報告書の様式は任意", "3"],
    ]
    path = write_xlsx(tmp_path / "順不同.xlsx", {"Sheet1": rows}, {"Sheet1": ["A4:C4"]})

    cl = import_checklist(path)

    assert cl.title == "順不同"  # no title row: the file stem
    assert [(it.id, it.text, it.group, it.row) for it in cl.items] == [
        ("1", "外部サービス提供者の認証を確認しているか。", "【選定基準】", 5),
        ("2", "データの保存場所を確認しているか。", "【選定基準】", 6),
        ("3", "定期的な報告を求めているか。", "■ 運用時の対策", 9),
    ]


@pytest.mark.parametrize("header", [["ID", "項目"], ["番号", "内容"], None])
def test_plain_id_text_table_with_or_without_header(tmp_path: Path, header: list[str] | None):
    body = [
        ["1", "アクセスログを取得しているか。"],
        [2, "バックアップを取得しているか。"],  # a number cell, as Excel stores it
        ["10", "脆弱性診断を行っているか。"],
    ]
    rows = ([header] if header else []) + body
    path = write_xlsx(tmp_path / "一覧.xlsx", {"一覧": rows})

    cl = import_checklist(path)

    assert cl.title == "一覧"
    assert [it.id for it in cl.items] == ["1", "2", "10"]
    assert [it.text for it in cl.items] == [r[1] for r in body]
    assert [it.row for it in cl.items] == [r + (2 if header else 1) for r in range(3)]
    assert all(it.group == "" for it in cl.items)


def test_guidance_sheet_is_attached_by_id_and_items_come_only_from_the_main_sheet(tmp_path: Path):
    main = [
        ["外部サービスチェックリスト"],
        ["番号", "確認項目", "回答"],
        ["1-1", "認証を求めているか。", YN],
        ["1-2", "暗号化を求めているか。", YN],
        ["1-3", "ログの提供を求めているか。", YN],
    ]
    guide = [  # more rows than the main sheet, other column order, full-width ids
        ["項番", "記入例", "留意事項"],
        ["１－１", "ISO/IEC 27001 の認証を維持すること。", "認証の範囲を確認する。"],
        ["１－２", "", "暗号の方式が書かれているか。"],
        ["1-9", "どこにもない設問", "使われない"],
        ["2-1", "どこにもない設問", "使われない"],
        ["2-2", "どこにもない設問", "使われない"],
    ]
    path = write_xlsx(tmp_path / "要領付き.xlsx", {"チェックリスト": main, "解説": guide})

    cl = import_checklist(path)

    assert cl.title == "外部サービスチェックリスト"
    assert [it.id for it in cl.items] == ["1-1", "1-2", "1-3"]
    assert {it.sheet for it in cl.items} == {"チェックリスト"}
    by_id = {it.id: it for it in cl.items}
    assert by_id["1-1"].guidance == "認証の範囲を確認する。"
    assert by_id["1-1"].example == "ISO/IEC 27001 の認証を維持すること。"
    assert (by_id["1-2"].guidance, by_id["1-2"].example) == ("暗号の方式が書かれているか。", "")
    assert (by_id["1-3"].guidance, by_id["1-3"].example) == ("", "")


def test_guidance_sheet_without_column_names_is_known_by_its_sheet_name(tmp_path: Path):
    main = [["No", "点検項目", "回答"], ["1", "研修を受講している。", "はい"]]
    guide = [["1", "受講記録で確認する。"]]
    path = write_xlsx(tmp_path / "点検.xlsx", {"点検": main, "記入要領": guide})
    assert import_checklist(path).items[0].guidance == "受講記録で確認する。"


def test_guidance_and_example_columns_on_the_main_sheet(tmp_path: Path):
    rows = [
        ["設問", "確認項目", "回答", "確認の観点", "記載例"],
        ["1-1-1", "認証を求めているか。", YN, "有効期限を確認する。", "認証を維持すること。"],
    ]
    path = write_xlsx(tmp_path / "一枚.xlsx", {"一枚": rows})
    item = import_checklist(path).items[0]
    assert (item.text, item.guidance, item.example) == (
        "認証を求めているか。",
        "有効期限を確認する。",
        "認証を維持すること。",
    )


def test_an_id_that_is_the_parent_of_the_next_one_is_a_group(tmp_path: Path):
    rows = [
        ["No.", "内容", "回答"],
        ["1", "選定基準", ""],
        ["1-1", "認証を求めているか。", YN],
        ["1-2", "暗号化を求めているか。", YN],
        ["2", "運用時の対策", ""],
        ["2-1", "報告を求めているか。", YN],
    ]
    cl = import_checklist(write_xlsx(tmp_path / "階層.xlsx", {"表": rows}))
    assert [(it.id, it.group) for it in cl.items] == [
        ("1-1", "1 選定基準"),
        ("1-2", "1 選定基準"),
        ("2-1", "2 運用時の対策"),
    ]


def test_numbering_that_restarts_in_every_group_is_prefixed_with_the_group(tmp_path: Path):
    rows = [
        ["番号", "チェック項目", "回答"],
        ["1 選定基準"],
        ["(1)", "認証を求めているか。", YN],
        ["(2)", "暗号化を求めているか。", YN],
        ["2 運用時の対策"],
        ["(1)", "報告を求めているか。", YN],
    ]
    merges = ["A2:C2", "A5:C5"]
    cl = import_checklist(write_xlsx(tmp_path / "振り直し.xlsx", {"表": rows}, {"表": merges}))
    assert [it.id for it in cl.items] == ["1-1", "1-2", "2-1"]
    assert [it.group for it in cl.items] == ["1 選定基準", "1 選定基準", "2 運用時の対策"]


def test_ids_and_text_in_one_cell(tmp_path: Path):
    rows = [
        ["外部サービス確認表"],
        ["1-1　選定基準"],
        ["1-1-1　認証を求めているか。", YN],
        ["1-1-2　暗号化を求めているか。", YN],
        ["２　運用時の対策"],
        ["２－１　報告を求めているか。", YN],
    ]
    cl = import_checklist(write_xlsx(tmp_path / "一列.xlsx", {"表": rows}))
    assert cl.title == "外部サービス確認表"
    assert [(it.id, it.text, it.group) for it in cl.items] == [
        ("1-1-1", "認証を求めているか。", "1-1 選定基準"),
        ("1-1-2", "暗号化を求めているか。", "1-1 選定基準"),
        ("2-1", "報告を求めているか。", "2 運用時の対策"),
    ]


def test_group_column_merged_down_the_rows(tmp_path: Path):
    rows = [
        ["区分", "番号", "確認項目", "回答"],
        ["選定基準", "1", "認証を求めているか。", YN],
        [None, "2", "暗号化を求めているか。", YN],
        ["運用時", "3", "報告を求めているか。", YN],
    ]
    cl = import_checklist(write_xlsx(tmp_path / "区分.xlsx", {"表": rows}, {"表": ["A2:A3"]}))
    assert [(it.id, it.group) for it in cl.items] == [
        ("1", "選定基準"),
        ("2", "選定基準"),
        ("3", "運用時"),
    ]


def test_two_header_rows_dotted_ids_and_marks_in_yes_no_columns(tmp_path: Path):
    rows = [
        ["チェックシート"],
        ["No.", "確認項目", "回答", None, "備考"],
        [None, None, "はい", "いいえ"],
        ["1.1 選定基準"],
        ["1.1.1", "認証を求めているか。", "○", ""],
        ["1.1.2", "暗号化を求めているか。", "", "○", "次回の契約で対応"],
        ["運用時の対策"],  # no number: a group because it sits in the id column
        ["1.2.1", "報告を求めているか。", "○", ""],
    ]
    merges = ["C2:D2", "A4:E4", "A7:E7"]
    cl = import_checklist(write_xlsx(tmp_path / "二段.xlsx", {"表": rows}, {"表": merges}))
    assert cl.title == "チェックシート"
    assert [(it.id, it.group, it.row) for it in cl.items] == [
        ("1.1.1", "1.1 選定基準", 5),
        ("1.1.2", "1.1 選定基準", 6),
        ("1.2.1", "運用時の対策", 8),
    ]
    assert cl.items[1].text == "暗号化を求めているか。"


# --- the repository's sample files -----------------------------------------------------------


def test_sample_checklist_29_items_in_the_real_group_structure():
    cl = import_checklist(SAMPLE)

    assert cl.title == "外部サービス利用時チェックリスト"
    assert cl.source == str(SAMPLE)
    ids = [it.id for it in cl.items]
    assert len(ids) == 29 and ids[0] == "1-1-1" and ids[-1] == "4-3"
    assert ids[:4] == ["1-1-1", "1-2-1", "1-3-1", "1-3-2"] and "1-7-3" in ids
    prefixes = [it.group.split()[0] for it in cl.items]
    assert all(i.startswith(p + "-") for i, p in zip(ids, prefixes, strict=True))
    counts = Counter(prefixes)
    assert list(counts) == ["1-1", "1-2", "1-3", "1-4", "1-5", "1-6", "1-7", "1-8", "2", "3", "4"]
    assert list(counts.values()) == [1, 1, 3, 2, 1, 2, 7, 4, 4, 1, 3]
    assert {it.sheet for it in cl.items} == {"チェックリスト"}
    assert (cl.items[0].row, cl.items[-1].row) == (6, 72)
    assert all(it.text and it.guidance and it.example for it in cl.items)
    assert all(REASON not in it.text and "□はい" not in it.text for it in cl.items)
    by_id = {it.id: it for it in cl.items}
    assert by_id["1-7-4"].text.startswith("情報セキュリティインシデントが発生した場合")
    assert "速やかに" in by_id["1-7-4"].guidance
    assert by_id["4-3"].example.startswith("第○条（秘密の保持）")


@pytest.mark.parametrize("path", SELF_CHECKS, ids=lambda p: p.stem)
def test_self_check_sheets_have_30_numbered_items_in_6_categories(path: Path):
    assert len(SELF_CHECKS) == 4
    cl = import_checklist(path)

    assert cl.title == "令和8年度\u3000情報セキュリティ自己点検シート"
    assert [it.id for it in cl.items] == [str(n) for n in range(1, 31)]
    groups = Counter(it.group for it in cl.items)
    assert list(groups.values()) == [7, 4, 6, 6, 5, 2]
    assert next(iter(groups)) == "1.情報資産の管理"
    assert cl.items[12].text == "離席する際は、端末の画面をロックしている。"
    assert all(it.text not in ("はい", "いいえ") for it in cl.items)


# --- what it cannot read ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path):
    err = user_error(tmp_path / "ない.xlsx")
    assert "見つかりません" in err.ja and "not found" in err.en


def test_not_an_excel_workbook_by_name(tmp_path: Path):
    path = tmp_path / "チェックリスト.csv"
    path.write_text("1-1-1,認証を求めているか。\n", encoding="utf-8")
    err = user_error(path)
    assert ".xlsx" in err.ja and ".xlsx" in err.en


def test_empty_workbook_names_the_sheets_looked_at_and_what_was_expected(tmp_path: Path):
    path = tmp_path / "空.xlsx"
    Workbook().save(str(path))
    err = user_error(path)
    assert "「Sheet」" in err.ja and "'Sheet'" in err.en
    assert "設問番号" in err.ja and "item ids" in err.en


def test_text_without_ids(tmp_path: Path):
    sheets = {
        "メモ": [["外部サービスについて"], ["契約書を確認すること。"], ["仕様書も確認すること。"]],
        "予備": [],
    }
    err = user_error(write_xlsx(tmp_path / "メモ.xlsx", sheets))
    assert "「メモ」、「予備」" in err.ja and "'メモ', '予備'" in err.en
    assert "1-1-1" in err.ja and "1-1-1" in err.en


@pytest.mark.parametrize("between", [True, False])
def test_duplicate_ids_name_both_rows(tmp_path: Path, between: bool):
    rows = [
        ["設問", "確認項目", "回答"],
        ["1-1", "認証を求めているか。", YN],
        *([["1-2", "暗号化を求めているか。", YN]] if between else []),
        ["1-1", "ログの提供を求めているか。", YN],
    ]
    err = user_error(write_xlsx(tmp_path / "重複.xlsx", {"設問一覧": rows}))
    last = 4 if between else 3
    assert f"「設問一覧」の2行目と{last}行目" in err.ja and "「1-1」" in err.ja
    assert f"'設問一覧', rows 2 and {last}" in err.en and "'1-1'" in err.en


def test_item_row_without_text_names_the_sheet_and_row(tmp_path: Path):
    rows = [
        ["設問", "確認項目", "回答"],
        ["1-1", "認証を求めているか。", YN],
        ["1-2", "", YN],
        ["1-3", "ログの提供を求めているか。", YN],
    ]
    err = user_error(write_xlsx(tmp_path / "空欄.xlsx", {"設問一覧": rows}))
    assert "「設問一覧」の3行目" in err.ja and "1-2" in err.ja
    assert "'設問一覧', row 3" in err.en and "1-2" in err.en


def _valid(tmp_path: Path) -> Path:
    rows = [["設問", "確認項目"]] + [[f"1-{n}", "確認する。" * 200] for n in range(1, 40)]
    return write_xlsx(tmp_path / "元.xlsx", {"表": rows})


def _rewrite_member(src: Path, dst: Path, change) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data) if info.filename.endswith("sheet1.xml") else data)
    return dst


def test_truncated_workbook(tmp_path: Path):
    data = SAMPLE.read_bytes()
    path = tmp_path / "途中まで.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError):
        import_checklist(path)
    assert "壊れ" in user_error(path).ja


def test_workbook_with_a_damaged_sheet(tmp_path: Path):
    src = _valid(tmp_path)
    assert len(import_checklist(src).items) == 39
    half = _rewrite_member(src, tmp_path / "半分.xlsx", lambda b: b[: len(b) // 2])
    assert "壊れ" in user_error(half).ja
    # flip bytes inside the compressed sheet: the inflater, not the XML parser, fails
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 20, start + info.compress_size - 20, 97):
        raw[k] ^= 0x5A
    flipped = tmp_path / "化け.xlsx"
    flipped.write_bytes(bytes(raw))
    err = user_error(flipped)
    assert "壊れ" in err.ja and "corrupt" in err.en


def test_text_file_named_xlsx(tmp_path: Path):
    path = tmp_path / "偽物.xlsx"
    path.write_text("設問\t確認項目\n1-1-1\t認証を求めているか。\n", encoding="utf-8")
    err = user_error(path)
    assert isinstance(err, UnreadableFileError) and "壊れ" in err.ja and "corrupt" in err.en


def test_encrypted_workbook(tmp_path: Path):
    path = tmp_path / "暗号.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    err = user_error(path)
    assert "パスワード" in err.ja and "password" in err.en
