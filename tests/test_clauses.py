from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.clauses import parse_marker, split_clauses
from ingest.readers import Block


def split(lines: list[str], headings: dict[int, int] | None = None, max_chars: int = 400):
    headings = headings or {}
    return split_clauses(
        [Block(t, heading_level=headings.get(i)) for i, t in enumerate(lines)], max_chars
    )


def test_municipal_standard_paths_and_offsets():
    text, clauses = split(
        [
            "第35　外部サービスの利用",
            "１　外部サービスの利用に係る規定の整備",
            "統括情報セキュリティ責任者は、次の事項を定めなければならない。",
            "（１）　利用可能な業務の範囲",
            "（２）　選定基準",
            "ア　第三者認証の取得状況を確認すること。",
            "イ　再委託の有無を確認すること。",
            "（ア）　再委託先の名称",
            "２　外部サービスの選定",
            "情報セキュリティ管理者は、選定基準に従い選定しなければならない。",
            "第36　ソーシャルメディアサービスの利用",
        ]
    )
    paths = [c.path for c in clauses]
    assert paths == [
        "第35 > 1",
        "第35 > 1 > (1)",
        "第35 > 1 > (2) > ア",
        "第35 > 1 > (2) > イ",
        "第35 > 1 > (2) > イ > (ア)",
        "第35 > 2",
        "第36",
    ]
    for c in clauses:
        assert text[c.char_start : c.char_end] == c.text
    assert clauses[2].heading.startswith(
        "第35 外部サービスの利用 > 1 外部サービスの利用に係る規定の整備"
    )
    assert "再委託の有無" in clauses[3].text


def test_articles_chapters_and_items():
    _, clauses = split(
        [
            "第1章　総則",
            "第1条（目的）　この方針は、情報資産を守るために定める。",
            "第2条（定義）　この方針において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。",
            "一　情報資産　情報及び情報システムをいう。",
            "二　職員等　職員及び会計年度任用職員をいう。",
            "第2章　組織",
            "第3条　最高情報セキュリティ責任者を置く。",
        ]
    )
    assert [c.path for c in clauses] == [
        "第1章 > 第1条",
        "第1章 > 第2条",
        "第1章 > 第2条 > 一",
        "第1章 > 第2条 > 二",
        "第2章 > 第3条",
    ]


def test_specification_dotted_ids_and_circled_numbers():
    _, clauses = split(
        [
            "1. 業務概要",
            "本書は、受注者が行う業務の内容を定める。",
            "1.1 目的",
            "電子申請システムを提供すること。",
            "1.2 範囲",
            "① 利用者の認証",
            "② 申請データの保管",
            "2. セキュリティ要件",
            "2.1.1(1)(a) 受注者は、通信を暗号化すること。",
        ]
    )
    assert [c.path for c in clauses] == [
        "1",
        "1 > 1.1",
        "1 > 1.2 > ①",
        "1 > 1.2 > ②",
        "2 > 2.1.1(1)(a)",
    ]


def test_line_that_only_begins_with_a_number_stays_in_its_clause():
    _, clauses = split(
        [
            "（１）　受注者は、次に掲げる場合には報告すること。",
            "（３）に定める期限までに報告できない場合も同様とする。",
            "（２）　その他",
        ]
    )
    assert [c.path for c in clauses] == ["(1)", "(2)"]
    assert "（３）に定める期限" in clauses[0].text


def test_markdown_and_word_headings_nest_by_level():
    _, clauses = split(
        [
            "第1部",
            "目的",
            "本方針は市の情報資産を守る。",
            "第2部",
            "対象範囲",
            "全職員に適用する。",
        ],
        headings={0: 1, 1: 2, 3: 1, 4: 2},
    )
    assert [c.path for c in clauses] == ["第1部 > 目的", "第2部 > 対象範囲"]


def test_a_lone_top_heading_is_the_title_not_a_path_level():
    _, clauses = split(
        [
            "情報セキュリティ基本方針",
            "目的",
            "本方針は市の情報資産を守る。",
            "対象範囲",
            "全職員に適用する。",
        ],
        headings={0: 1, 1: 2, 3: 2},
    )
    assert [c.path for c in clauses] == ["前文", "目的", "対象範囲"]
    assert clauses[0].text == "情報セキュリティ基本方針"


def test_article_paragraphs_start_at_two_and_captions_belong_to_the_next_article():
    _, clauses = split(
        [
            "（目的）",
            "第1条　この契約は、業務の委託について定める。",
            "（再委託）",
            "第2条　乙は、業務を一括して第三者に委託してはならない。",
            "２　乙は、一部を委託するときは、次の事項を甲に通知し承認を得なければならない。",
            "（１）　再委託先の名称",
            "（２）　再委託の理由",
            "３　乙は、再委託先に同等の義務を負わせなければならない。",
        ]
    )
    assert [c.path for c in clauses] == [
        "第1条",
        "第2条",
        "第2条 > 2",
        "第2条 > 2 > (1)",
        "第2条 > 2 > (2)",
        "第2条 > 3",
    ]
    assert clauses[1].text.startswith("（再委託）\n第2条")
    assert clauses[0].text == "（目的）\n第1条　この契約は、業務の委託について定める。"
    assert clauses[3].heading.startswith("第2条 （再委託）")


def test_preamble_before_any_number_is_kept():
    _, clauses = split(["この基準は令和8年4月1日から施行する。", "１　適用範囲は全庁とする。"])
    assert clauses[0].path == "前文"
    assert clauses[1].path == "1"


def test_long_clause_is_split_on_sentence_ends_with_the_same_path():
    sentence = "受注者は、委託業務で取り扱う情報を適切に管理しなければならない。"
    body = sentence * 30
    text, clauses = split(["第5　業務委託", "１　" + body], max_chars=200)
    assert len(clauses) > 3
    assert {c.path for c in clauses} == {"第5 > 1"}
    assert all(len(c.text) <= 200 for c in clauses)
    assert all(c.text.endswith("。") for c in clauses)
    joined = "".join(c.text for c in clauses)
    assert joined == ("１　" + body)
    for c in clauses:
        assert text[c.char_start : c.char_end] == c.text


def test_short_siblings_are_not_merged():
    _, clauses = split(["（１）　ア", "（２）　イ", "（３）　ウ"])
    assert [c.text for c in clauses] == ["（１）　ア", "（２）　イ", "（３）　ウ"]


def test_public_guideline_label_lines_are_not_doubled():
    _, clauses = split(
        [
            "[遵守事項] 2.1.1(1)",
            "2.1.1(1)\t責任者の設置",
            "[遵守事項] 2.1.1(1)(a)",
            "(a)\t機関等は、責任者を1人置くこと。",
            "[基本対策事項] 2.1.1(1)-1",
            "2.1.1(1)-1\t責任者は、事務を統括すること。",
        ]
    )
    assert [c.path for c in clauses] == ["2.1.1(1) > 2.1.1(1)(a)", "2.1.1(1) > 2.1.1(1)-1"]


def test_parse_marker_widths():
    assert parse_marker("（１２）　本文")[0].label == "(12)"
    assert parse_marker("第三十五条　本文")[0].ordinal == 35
    assert parse_marker("アクセス制御を行う。") is None
    assert parse_marker("10年間保存する。") is None


# --- generated numbering ------------------------------------------------------------------------

FULL = str.maketrans("0123456789", "０１２３４５６７８９")
KANA = "アイウエオカキクケコ"
STYLES = {
    "dai": (lambda n: f"第{n}", lambda n: f"第{n}"),
    "num": (lambda n: f"{str(n).translate(FULL)}\u3000", lambda n: str(n)),
    "paren": (lambda n: f"（{str(n).translate(FULL)}）\u3000", lambda n: f"({n})"),
    "kana": (lambda n: f"{KANA[n - 1]}\u3000", lambda n: KANA[n - 1]),
    "paren_kana": (lambda n: f"（{KANA[n - 1]}）", lambda n: f"({KANA[n - 1]})"),
    "circled": (lambda n: chr(0x2460 + n - 1), lambda n: chr(0x2460 + n - 1)),
    "latin": (lambda n: f"({chr(96 + n)}) ", lambda n: f"({chr(96 + n)})"),
}
SENTENCES = [
    "職員は規程を守ること。",
    "管理者は記録を保存する。",
    "受注者は報告しなければならない。",
]


@st.composite
def documents(draw):
    styles = draw(st.permutations(list(STYLES)))
    depth = draw(st.integers(1, 4))
    lines: list[str] = []
    expected: list[str] = []

    def emit(level: int, prefix: list[str]) -> None:
        count = draw(st.integers(1, 4))
        style = styles[level]
        render, label = STYLES[style]
        for n in range(1, count + 1):
            text = render(n) + (" " if style == "dai" else "") + draw(st.sampled_from(SENTENCES))
            lines.append(text)
            path = prefix + [label(n)]
            expected.append(" > ".join(path))
            if level + 1 < depth and draw(st.booleans()):
                emit(level + 1, path)

    emit(0, [])
    return lines, expected


@settings(max_examples=150, deadline=None)
@given(documents())
def test_generated_numbering_gives_the_right_paths(doc):
    lines, expected = doc
    text, clauses = split(lines)
    assert [c.path for c in clauses] == expected
    for c in clauses:
        assert text[c.char_start : c.char_end] == c.text


@pytest.mark.corpus
def test_public_guideline_splits_into_items_with_exact_offsets():
    from pathlib import Path

    from ingest.readers import read_file
    from tests.conftest import PUBLIC_CORPUS

    source = PUBLIC_CORPUS / "nco_toitsu_kijun_guideline_r7.txt"
    if not source.is_file():
        pytest.skip(f"public corpus absent: {source}")
    text, clauses = split_clauses(read_file(Path(source)))
    assert len(clauses) > 1500
    assert all(text[c.char_start : c.char_end] == c.text for c in clauses)
    paths = {c.path for c in clauses}
    # the '#' headings of the part, section and subsection head the path
    assert "第2部 > 2.1 > 2.1.1 > 2.1.1(1) > 2.1.1(1)(a)" in paths
    assert any(p.endswith("2.1.1(5)-1 > 2.1.1(5)-1 a)") for p in paths)


def test_every_numbered_spreadsheet_row_is_its_own_clause():
    rows = [
        Block("点検シート", page=1, heading_level=1),
        Block("No | 点検項目 | 回答", page=1, table_row=True),
        Block("1.情報資産の管理", page=1, table_row=True),
        Block("1 | 誓約書を提出させている。 | はい", page=1, table_row=True),
        Block("2 | 書庫を施錠している。 | いいえ", page=1, table_row=True),
        Block("2.外部サービス", page=1, table_row=True),
        Block("24 | 台帳に登録している。 | はい", page=1, table_row=True),
    ]
    _, clauses = split_clauses(rows)
    assert [c.path for c in clauses if c.path != "前文"] == ["1 > 1", "1 > 2", "2 > 24"]
    ledger = [
        Block("管理番号 | サービス名 | 契約番号", page=1, table_row=True),
        Block("R8-001 | 電子申請 | C-2026-001", page=1, table_row=True),
        Block("R8-002 | 福祉相談記録 | C-2026-002", page=1, table_row=True),
    ]
    _, clauses = split_clauses(ledger)
    assert [c.path for c in clauses] == ["前文", "R8-001", "R8-002"]


def test_an_article_after_the_cover_items_is_not_inside_the_last_item():
    blocks = [
        Block("業務委託契約書"),
        Block("1 件名 記録管理サービス利用業務"),
        Block("2 履行期間 令和8年4月1日から令和11年3月31日まで"),
        Block("第1条（総則）"),
        Block("受注者は、仕様書に従い履行しなければならない。"),
        Block("2 受注者は、業務の一部を委託するときは承認を得なければならない。"),
        Block("第2条（秘密の保持）"),
        Block("受注者は、知り得た秘密を他に漏らしてはならない。"),
    ]
    _, clauses = split_clauses(blocks)
    assert [c.path for c in clauses] == ["前文", "1", "2", "第1条", "第1条 > 2", "第2条"]
