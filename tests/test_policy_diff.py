"""``copilot policy diff``: two editions of a guideline made here by editing a copy, really ingested.

The old edition is chapters 3, 6 and 7 of the sample guideline; the new one moves an item to
another section, rewords one, deletes one and adds a section (which renumbers the rest of its
chapter). The policy is a few articles of the sample policy, enough to hold the clauses each
change concerns and some that it does not.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.exports.policy import export_diff
from copilot.policy.diff import (
    align,
    diff_guidelines,
    items_of,
    marked,
    word_diff,
)
from copilot.schemas import GuidelineDiff
from copilot.services import build_services
from copilot.settings import load_settings
from ingest.clauses import split_clauses
from ingest.normalise import squash
from ingest.readers import Block, read_file
from tests.conftest import CORPUS, PUBLIC_CORPUS

GUIDELINE = CORPUS / "guideline" / "架空市外部サービス利用ガイドライン.docx"
POLICY = CORPUS / "policy" / "架空市情報セキュリティ対策基準.docx"
OLD, NEW, POL = "ガイドライン_令和7年版.docx", "ガイドライン_令和8年版.docx", "対策基準_抄.docx"
STYLE = {"Title": 0, "Heading 1": 1}

Lines = list[tuple[int | None, str]]  # (heading level, text) of each paragraph


def _paragraphs(path: Path) -> Lines:
    return [(STYLE.get(p.style.name), p.text) for p in docx.Document(str(path)).paragraphs]


def _chapters(lines: Lines, keep: tuple[str, ...]) -> Lines:
    """The title block and the chapters (Heading 1 paragraphs) whose titles start with keep."""
    out: Lines = []
    taking = True
    for level, text in lines:
        if level == 1:
            taking = text.startswith(keep)
        if taking:
            out.append((level, text))
    return out


def _write(lines: Lines, path: Path) -> Path:
    d = docx.Document()
    for level, text in lines:
        d.add_paragraph(text, style={0: "Title", 1: "Heading 1"}.get(level))
    d.save(str(path))
    return path


def _at(lines: Lines, start: str) -> int:
    hits = [i for i, (_, t) in enumerate(lines) if t.startswith(start)]
    assert len(hits) == 1, (start, hits)
    return hits[0]


REWORDED = ("本市の承認を得る", "本市の書面による承認を得る")
ADDED = "生成AIを利用した外部サービスは、入力した情報が学習に利用されない設定であることを確認しなければならない。"


def _new_edition(old: Lines) -> Lines:
    new = list(old)
    # 変更: 第3章 6 (1) gains 「書面による」
    i = _at(new, "(1)\u3000外部サービス提供者が業務の一部を再委託")
    new[i] = (None, new[i][1].replace(*REWORDED))
    # 削除: 第3章 5 (3) (準拠法); (4) becomes (3)
    del new[_at(new, "(3)\u3000海外の法令に基づき")]
    i = _at(new, "(4)\u3000利用規約に準拠法")
    new[i] = (None, "(3)" + new[i][1][3:])
    # 移動: 第6章 3 (1) (the yearly check) becomes 第6章 2 (5); section 3 is gone
    i = _at(new, "3\u3000年次の確認")
    moved = "(5)" + new[i + 1][1][3:]
    del new[i : i + 2]
    new.insert(_at(new, "(4)\u3000外部サービスで情報セキュリティインシデント") + 1, (None, moved))
    # 追加: a new section 3 in 第3章; sections 3 to 9 become 4 to 10
    first, last = _at(new, "第3章"), _at(new, "第6章")
    for k in range(first, last):
        m = re.match(r"^(\d+)\u3000", new[k][1])
        if m and int(m.group(1)) >= 3:
            new[k] = (None, f"{int(m.group(1)) + 1}\u3000{new[k][1][m.end() :]}")
    i = _at(new, "4\u3000事業者の信頼性")
    new[i:i] = [(None, "3\u3000生成AIを利用したサービス"), (None, f"(1)\u3000{ADDED}")]
    return new


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GuidelineDiff]:
    """A data folder with both editions and the policy extract, and their diff."""
    root = tmp_path_factory.mktemp("diff")
    old = _chapters(_paragraphs(GUIDELINE), ("第3章", "第6章", "第7章"))
    policy = _chapters(_paragraphs(POLICY), ("第14", "第24", "第32", "第33", "第35", "第36"))
    data = root / "data"
    services = build_services(load_settings(data_dir=data))
    try:
        services.ingest(
            [_write(old, root / OLD), _write(_new_edition(old), root / NEW)], "guideline"
        )
        services.ingest([_write(policy, root / POL)], "policy")
        diff = diff_guidelines(services, OLD, NEW, POL)
    finally:
        services.close()
    return data, diff


@pytest.fixture
def services_on(editions, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    data, _ = editions
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    services = build_services(load_settings())
    yield services
    services.close()


def _change(diff: GuidelineDiff, kind: str):  # type: ignore[no-untyped-def]
    found = [c for c in diff.changes if c.kind == kind]
    assert len(found) == 1, [(c.kind, c.old_path, c.new_path) for c in diff.changes]
    return found[0]


# --- the four edits --------------------------------------------------------------------------


def test_the_four_edits_and_nothing_else_are_listed(editions) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    assert [(c.kind, c.old_path, c.new_path) for c in diff.changes] == [
        ("追加", "", "第3章 > 3 > (1)"),
        ("削除", "第3章 > 5 > (3)", ""),
        ("変更", "第3章 > 6 > (1)", "第3章 > 7 > (1)"),
        ("移動", "第6章 > 3 > (1)", "第6章 > 2 > (5)"),
    ]
    assert diff.new_items == diff.old_items  # one added, one deleted
    # every other item is counted, unchanged or merely renumbered, and not listed
    assert diff.unchanged + len(diff.renumbered) + 2 + 1 == diff.old_items


def test_renumbering_a_chapter_is_counted_not_listed(editions) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    pairs = {(r.old_path, r.new_path) for r in diff.renumbered}
    assert ("第3章 > 3 > (1) > ア", "第3章 > 4 > (1) > ア") in pairs
    assert ("第3章 > 9 > (4)", "第3章 > 10 > (4)") in pairs
    assert ("第3章 > 5 > (4)", "第3章 > 6 > (3)") in pairs  # its section and its own number
    # sections 3 to 9 of chapter 3 hold 6 + 4 + 4 + 3 + 3 + 10 + 4 = 34 items; one of them is
    # deleted and one reworded
    assert len(diff.renumbered) == 32


def test_the_reworded_item_marks_exactly_the_words_changed(editions) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    c = _change(diff, "変更")
    assert c.reworded
    assert [(s.op, s.text) for s in c.segments if s.op != "equal"] == [("insert", "書面による")]
    assert "本市の〔追加:書面による〕承認を得る" in marked(c.segments)
    assert REWORDED[1] in c.new_text and REWORDED[0] in c.old_text


def test_the_moved_item_keeps_its_words(editions) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    c = _change(diff, "移動")
    assert not c.reworded
    assert all(s.op == "equal" for s in c.segments)
    assert "第三者認証の有効期限及びISMAP登録の状況を確認" in c.new_text
    assert c.old_heading.endswith("3 年次の確認")
    assert c.new_heading.endswith("2 運用時の対策")


def test_added_and_deleted_items_carry_their_whole_text(editions) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    added, deleted = _change(diff, "追加"), _change(diff, "削除")
    assert [(s.op, s.text) for s in added.segments] == [("insert", ADDED)]
    assert [s.op for s in deleted.segments] == ["delete"]
    assert "準拠法を日本法とし" in deleted.segments[0].text


# --- the policy clauses each change touches -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "clause"),
    [
        ("追加", "第36 > 4"),  # 生成AI
        ("削除", "第35 > 2 > (2) > ウ"),  # 準拠法 and 管轄裁判所
        ("変更", "第32 > 3 > (1)"),  # 再委託
        ("移動", "第35 > 6 > (3)"),  # 年1回以上の確認と台帳の更新
    ],
)
def test_each_change_lists_the_policy_clause_on_its_subject(editions, kind, clause) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    c = _change(diff, kind)
    assert clause in [r.clause_path for r in c.policy_clauses]
    assert len(c.policy_clauses) <= 3


def test_policy_quotes_are_verified_sentences_of_the_policy(editions, services_on) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    quoted = [r for c in diff.changes for r in c.policy_clauses]
    assert quoted
    stored = services_on.index.clauses([r.citation.clause_id for r in quoted])
    for r in quoted:
        clause = stored[r.citation.clause_id]
        assert clause.doc_id == POL == r.citation.document
        assert clause.path == r.clause_path == r.citation.clause_path
        assert squash(r.citation.quote) in squash(clause.text)
        assert r.terms and 0 < r.score <= 1


def test_unrelated_policy_articles_are_not_listed(editions) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    # テレワーク (第33) and 暗号化 (第24) concern none of the four changes
    listed = {r.clause_path for c in diff.changes for r in c.policy_clauses}
    assert not {p for p in listed if p.startswith(("第33", "第24"))}


def test_a_search_held_to_one_document_returns_only_its_clauses(services_on) -> None:  # type: ignore[no-untyped-def]
    index = services_on.index
    for hits in (
        index.sparse("再委託の承認", 50, {"doc_id": POL}),
        index.dense("再委託の承認", 50, {"doc_id": POL}),
    ):
        assert hits
        assert {r.doc_id for r in index.clauses([cid for cid, _ in hits]).values()} == {POL}


# --- identical editions and errors ---------------------------------------------------------


def test_identical_editions_report_no_changes(services_on) -> None:  # type: ignore[no-untyped-def]
    diff = diff_guidelines(services_on, OLD, OLD, POL)
    assert diff.changes == [] and diff.renumbered == []
    assert diff.unchanged == diff.old_items == diff.new_items > 30


def test_unknown_and_wrong_kind_documents_are_user_errors(services_on) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError) as unknown:
        diff_guidelines(services_on, "なし.docx", NEW, POL)
    assert "なし.docx" in unknown.value.ja and "なし.docx" in unknown.value.en
    assert OLD in unknown.value.ja  # the guidelines that could be meant
    with pytest.raises(UserError) as not_policy:
        diff_guidelines(services_on, OLD, NEW, NEW)
    assert "規程" in not_policy.value.ja and "--kind policy" in not_policy.value.en
    with pytest.raises(UserError) as not_guideline:
        diff_guidelines(services_on, POL, NEW, POL)
    assert "旧版" in not_guideline.value.ja and "old edition" in not_guideline.value.en


def test_nothing_ingested_says_so(tmp_path: Path) -> None:
    services = build_services(load_settings(data_dir=tmp_path / "empty"))
    try:
        with pytest.raises(UserError) as err:
            diff_guidelines(services, OLD, NEW, POL)
    finally:
        services.close()
    assert "copilot ingest" in err.value.en


# --- the CLI and the Excel file ------------------------------------------------------------


def test_cli_json_round_trips(editions, services_on, capsys) -> None:  # type: ignore[no-untyped-def]
    _, diff = editions
    code = main(["policy", "diff", "--old", OLD, "--new", NEW, "--policy", POL, "--json"])
    assert code == 0
    again = GuidelineDiff.model_validate(json.loads(capsys.readouterr().out))
    assert again == diff


def test_cli_text_marks_changes_in_japanese(services_on, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["policy", "diff", "--old", OLD, "--new", NEW, "--policy", POL]) == 0
    out = capsys.readouterr().out
    assert "追加 1、削除 1、変更 1、移動 1、項番のみ変更 32" in out
    assert "[変更] 第3章 > 6 > (1) → 第3章 > 7 > (1)" in out
    assert "本市の〔追加:書面による〕承認" in out
    assert "見直しが必要な条項: 第32 > 3 > (1)「" in out


def test_cli_errors_exit_2_in_both_languages(services_on, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["policy", "diff", "--old", OLD, "--new", "x.docx", "--policy", POL]) == 2
    err = capsys.readouterr().err
    assert "エラー: 新版の文書 x.docx" in err and "Error: document x.docx" in err


def test_excel_export_has_one_row_per_change(editions, services_on, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "差分.xlsx"
    args = ["policy", "diff", "--old", OLD, "--new", NEW, "--policy", POL, "--out", str(out)]
    assert main(args) == 0
    ws = load_workbook(out).active
    rows = [[c.value or "" for c in r] for r in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "区分")
    assert rows[head] == ["区分", "旧項番", "新項番", "変更内容", "見直しが必要な条項", "引用"]
    body = rows[head + 1 :]
    assert [r[0] for r in body] == ["追加", "削除", "変更", "移動"]
    changed = body[2]
    assert changed[1:3] == ["第3章 > 6 > (1)", "第3章 > 7 > (1)"]
    assert "〔追加:書面による〕" in changed[3]
    assert "第32 > 3 > (1)" in changed[4]
    assert "第32 > 3 > (1)「(1)　委託先が業務の一部を再委託する場合は" in changed[5]
    with pytest.raises(UserError):
        export_diff(editions[1], tmp_path / "差分.csv")


# --- alignment and marking on their own (no index) ------------------------------------------


def _items(lines: list[str]):  # type: ignore[no-untyped-def]
    blocks = [Block(t, heading_level=1 if t.startswith("第") else None) for t in lines]
    return items_of(*split_clauses(blocks))


CHAPTERS = [
    "第1章　総則",
    "1　目的",
    "(1)　この要領は、外部サービスの利用に関する手続を定めるものである。",
    "(2)　各課は、この要領に従って外部サービスを利用しなければならない。",
    "第2章　選定",
    "1　認証",
    "(1)　事業者がISMAPクラウドサービスリストに登録されていることを確認する。",
    "(2)　登録がない場合は、第三者による監査報告書の提出を求める。",
    "2　所在地",
    "(1)　データセンターは、原則として日本国内に所在するものとする。",
    "(2)　契約の準拠法は日本法とし、管轄裁判所は日本国内の裁判所とする。",
    "第3章　運用",
    "1　報告",
    "(1)　事業者から月1回以上、稼働状況の報告を受けなければならない。",
    "(2)　四半期に1回以上、利用者アカウントの棚卸しを行わなければならない。",
]


def test_inserting_a_chapter_renumbers_the_rest_without_changes() -> None:
    new = CHAPTERS[:4] + [
        "第2章　計画",
        "1　計画の策定",
        "(1)　利用を始める前に、利用計画を策定しなければならない。",
    ]
    new += [re.sub(r"^第([23])章", lambda m: f"第{int(m.group(1)) + 1}章", t) for t in CHAPTERS[4:]]
    al = align(_items(CHAPTERS), _items(new))
    assert [n.path for n in al.added] == ["第2章 > 1 > (1)"]
    assert al.removed == []
    assert not [p for p in al.pairs if p.moved or p.old.key != p.new.key]
    renumbered = {(p.old.path, p.new.path) for p in al.pairs if p.old.path != p.new.path}
    assert ("第3章 > 1 > (2)", "第4章 > 1 > (2)") in renumbered
    assert len(renumbered) == 6


def test_swapped_sections_move_the_smaller_side() -> None:
    new = (
        CHAPTERS[:5]
        + [
            "1　所在地",
            CHAPTERS[9],
            CHAPTERS[10],
            "2　認証",
            CHAPTERS[6],
            CHAPTERS[7],
        ]
        + CHAPTERS[11:]
    )
    al = align(_items(CHAPTERS), _items(new))
    moved = sorted((p.old.path, p.new.path) for p in al.pairs if p.moved)
    assert len(moved) == 2  # one section of two items left the order; the other stayed
    assert moved in (
        [("第2章 > 1 > (1)", "第2章 > 2 > (1)"), ("第2章 > 1 > (2)", "第2章 > 2 > (2)")],
        [("第2章 > 2 > (1)", "第2章 > 1 > (1)"), ("第2章 > 2 > (2)", "第2章 > 1 > (2)")],
    )
    assert not al.added and not al.removed


def test_a_sentence_rewritten_in_place_is_a_change_not_delete_and_add() -> None:
    new = list(CHAPTERS)
    # bigram Jaccard of this rewrite with the old wording is below SIMILARITY (0.5)
    new[13] = "(1)　事業者から毎月、稼働の状況について報告させなければならない。"
    # and an unrelated item added elsewhere must not be taken for it
    new.insert(3, "(2)　外部サービスの一覧は、統括情報セキュリティ責任者が管理する。")
    new[4] = "(3)" + new[4][3:]
    al = align(_items(CHAPTERS), _items(new))
    changed = [(p.old.path, p.new.path) for p in al.pairs if p.old.key != p.new.key]
    assert changed == [("第3章 > 1 > (1)", "第3章 > 1 > (1)")]
    assert [n.path for n in al.added] == ["第1章 > 1 > (2)"]
    assert not al.removed


def test_word_diff_marks_runs_of_words() -> None:
    segs = word_diff("第一報は認知から原則1時間以内", "第一報は認知から30分以内")
    assert [(s.op, s.text) for s in segs] == [
        ("equal", "第一報は認知から"),
        ("delete", "原則1時間"),
        ("insert", "30分"),
        ("equal", "以内"),
    ]
    assert marked(segs) == "第一報は認知から〔削除:原則1時間〕〔追加:30分〕以内"
    # full-width letters and spacing are no change
    assert [s.op for s in word_diff("ＩＳＭＡＰ　登録", "ISMAP 登録")] == ["equal"]


# --- scale: the real NISC guideline -----------------------------------------------------------

NISC = PUBLIC_CORPUS / "nco_toitsu_kijun_guideline_r7.txt"


@pytest.mark.skipif(not NISC.is_file(), reason="the public NISC guideline text is not present")
def test_nisc_guideline_edits_are_found_among_thousands_of_items(tmp_path: Path) -> None:
    lines = NISC.read_text(encoding="utf-8").splitlines()
    edited = list(lines)
    i = edited.index("[遵守事項] 2.1.1(1)(a)") + 1
    assert "１人を置くこと。" in edited[i]
    edited[i] = edited[i].replace("１人を置くこと。", "１人を置き、その氏名を公表すること。")
    i = edited.index("[基本対策事項] 6.1.3(2)-5 b)")
    del edited[i : i + 3]  # the label, the item and the blank line after it
    i = edited.index("[基本対策事項] 6.1.3(2)-4 g)")
    block = edited[i : i + 3]
    del edited[i : i + 3]
    j = edited.index("[基本対策事項] 6.1.3(2)-5 d)") + 3
    edited[j:j] = block
    copy = tmp_path / "nisc_edited.txt"
    copy.write_text("\n".join(edited), encoding="utf-8")

    old, new = items_of(*split_clauses(read_file(NISC))), items_of(*split_clauses(read_file(copy)))
    start = time.perf_counter()
    al = align(old, new)
    took = time.perf_counter() - start
    changes = sorted(
        ("移動" if p.moved else "変更", p.old.path, p.new.path)
        for p in al.pairs
        if p.moved or p.old.key != p.new.key
    )
    part2, part6 = "第2部 > 2.1 > 2.1.1 > ", "第6部 > 6.1 > 6.1.3 > "  # the '#' headings
    assert changes == [
        ("変更", part2 + "2.1.1(1) > 2.1.1(1)(a)", part2 + "2.1.1(1) > 2.1.1(1)(a)"),
        (
            "移動",
            part6 + "6.1.3(2) > 6.1.3(2)-4 > 6.1.3(2)-4 g)",
            part6 + "6.1.3(2) > 6.1.3(2)-4 g)",
        ),
    ]
    assert [o.path for o in al.removed] == [part6 + "6.1.3(2) > 6.1.3(2)-5 > 6.1.3(2)-5 b)"]
    assert not al.added
    assert len(old) > 1500 and took < 30
