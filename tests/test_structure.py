"""Structures read by general rules, on files the tests write (issue 31, part 2).

Each test writes a document the way such documents are written (a list of contents, 【…】
headings, ⑴/①/ア items, 別添 parts, chapters and sections, a Q&A block, bullets, a slide's
fragments), reads it with the real reader and splitter, and checks the clause paths a user would
expect. No path ever holds 目次.
"""

from __future__ import annotations

import json
from pathlib import Path

import docx

from copilot.cli.main import main
from ingest.clauses import split_clauses
from ingest.readers import read_file
from ingest.structure import read_structure


def _clauses(path: Path):  # type: ignore[no-untyped-def]
    text, clauses = split_clauses(read_file(path))
    for c in clauses:
        assert text[c.char_start : c.char_end] == c.text
        assert "目次" not in c.path
    return clauses


def _paths(path: Path) -> list[str]:
    return [c.path for c in _clauses(path)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _docx(path: Path, paragraphs: list[tuple[str, str | None]]) -> Path:
    """A Word file: (text, style) per paragraph; style None is the body's."""
    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    document.save(str(path))
    return path


# --- a list of contents -------------------------------------------------------------------------

GUIDELINE_WITH_CONTENTS = [
    "特定個人情報の取扱いに関する手引き",
    "【目次】",
    "第1　はじめに",
    "第2　用語の定義",
    "（別添１）安全管理措置",
    "第1　総則",
    "第2　組織的安全管理措置",
    "（別添２）漏えい等の報告",
    "第1　報告の対象",
    "第1　はじめに",
    "この手引きは、特定個人情報の適正な取扱いについて定める。",
    "第2　用語の定義",
    "この手引きで用いる用語は、法の例による。",
    "（別添１）安全管理措置",
    "第1　総則",
    "1　基本方針の策定",
    "行政機関等は、安全管理措置に関する基本方針を定める。",
    "2　取扱規程等の策定",
    "行政機関等は、事務の流れを整理し、取扱規程等を定める。",
    "第2　組織的安全管理措置",
    "1　組織体制の整備",
    "行政機関等は、安全管理措置を講ずるための組織体制を整備する。",
    "2　取扱状況の記録",
    "行政機関等は、特定個人情報の取扱状況を確認する手段を整備する。",
    "（別添２）漏えい等の報告",
    "第1　報告の対象",
    "漏えい等が発生したときは、委員会に報告する。",
]


def test_a_contents_block_and_annexes_in_a_text_file(tmp_path: Path):
    clauses = _clauses(_write(tmp_path / "手引き.txt", GUIDELINE_WITH_CONTENTS))
    paths = [c.path for c in clauses]
    assert paths == [
        "前文",
        "第1",
        "第2",
        "別添1 > 第1 > 1",
        "別添1 > 第1 > 2",
        "別添1 > 第2 > 1",
        "別添1 > 第2 > 2",
        "別添2 > 第1",
    ]
    # the contents give no clause: each heading is found once, in the body
    assert sum("用語の定義" in c.text for c in clauses) == 1
    assert clauses[0].text == "特定個人情報の取扱いに関する手引き"
    assert "取扱状況を確認する" in clauses[6].text


def test_a_contents_heading_in_markdown_is_no_level(tmp_path: Path):
    lines = ["# 特定個人情報の取扱いに関する手引き", "## 【目次】"]
    lines += GUIDELINE_WITH_CONTENTS[2:9]
    for line in GUIDELINE_WITH_CONTENTS[9:]:
        lines.append(f"## {line}" if line.startswith("（別添") else line)
    paths = _paths(_write(tmp_path / "手引き.md", lines))
    # the lone top heading is the document's title (前文), not a level
    assert paths == [
        "前文",
        "第1",
        "第2",
        "別添1 > 第1 > 1",
        "別添1 > 第1 > 2",
        "別添1 > 第2 > 1",
        "別添1 > 第2 > 2",
        "別添2 > 第1",
    ]


def test_contents_with_page_numbers_in_a_word_file(tmp_path: Path):
    path = _docx(
        tmp_path / "規程.docx",
        [
            ("情報セキュリティ規程", "Title"),
            ("目　次", None),
            ("第１編　総則\t1", None),
            ("第１章　目的……………………1", None),
            ("第２章　組織……………………2", None),
            ("第１節　体制……………………2", None),
            ("第１編　総則", "Heading 1"),
            ("第１章　目的", "Heading 2"),
            ("第１条　この規程は、情報資産を守るために定める。", None),
            ("第２章　組織", "Heading 2"),
            ("第一節　体制", None),
            ("第２条　最高情報セキュリティ責任者を置く。", None),
            ("第３条　統括情報セキュリティ責任者を置く。", None),
        ],
    )
    clauses = _clauses(path)
    assert [c.path for c in clauses] == [
        "前文",  # the title
        "第1編 > 第1章 > 第1条",
        "第1編 > 第2章 > 第一節 > 第2条",
        "第1編 > 第2章 > 第一節 > 第3条",
    ]
    assert not any("……" in c.text for c in clauses)


def test_contents_without_a_title_are_found_by_their_page_numbers(tmp_path: Path):
    path = _docx(
        tmp_path / "要領.docx",
        [
            ("第1章　総則\t1", None),
            ("第2章　点検\t3", None),
            ("第3章　報告\t5", None),
            ("第1章　総則", None),
            ("1　この要領は、自己点検の方法を定める。", None),
            ("第2章　点検", None),
            ("1　所属長は、年に一度点検を行う。", None),
            ("2　点検の結果を記録する。", None),
            ("第3章　報告", None),
            ("1　所属長は、結果を報告する。", None),
        ],
    )
    assert _paths(path) == ["第1章 > 1", "第2章 > 1", "第2章 > 2", "第3章 > 1"]


# --- headings and items -------------------------------------------------------------------------


def test_bracket_headings_on_their_own_line(tmp_path: Path):
    clauses = _clauses(
        _write(
            tmp_path / "解説書.txt",
            [
                "【取扱注意：機密性2】",
                "【基本的な考え方】",
                "組織は、情報セキュリティに関する方針を定める。",
                "【対策の例】",
                "(1) 責任者を置くこと。",
                "(2) 教育を行うこと。",
                "【用語】",
                "情報資産とは、情報及び情報システムをいう。",
                "【解説】",
                "教育は年に一度以上行う。",
            ],
        )
    )
    assert [(c.path, c.aside) for c in clauses] == [
        ("前文", ""),
        ("【基本的な考え方】", ""),
        ("【対策の例】 > (1)", ""),
        ("【対策の例】 > (2)", ""),
        ("【用語】", ""),
        ("【用語】", "commentary"),
    ]
    assert clauses[0].text == "【取扱注意：機密性2】"  # a field and its value, not a heading


def test_enclosed_numbers_circled_numbers_and_kana_under_an_article(tmp_path: Path):
    path = _docx(
        tmp_path / "基準.docx",
        [
            ("第５条（パスワード）　職員等は、次の事項を守らなければならない。", None),
            ("⑴　パスワードを適切に管理すること。", None),
            ("①　十分な桁数とすること。", None),
            ("ア　英字を含めること。", None),
            ("イ　数字を含めること。", None),
            ("②　定期的に変更すること。", None),
            ("⑵　パスワードを他者に教えないこと。", None),
            ("第６条（記録）　管理者は、記録を保存する。", None),
        ],
    )
    assert _paths(path) == [
        "第5条",
        "第5条 > (1)",
        "第5条 > (1) > ①",
        "第5条 > (1) > ① > ア",
        "第5条 > (1) > ① > イ",
        "第5条 > (1) > ②",
        "第5条 > (2)",
        "第6条",
    ]


def test_annex_parts_are_top_level_in_a_word_file(tmp_path: Path):
    path = _docx(
        tmp_path / "契約書.docx",
        [
            ("業務委託契約書", "Title"),
            ("第１条　受注者は、仕様書に従い業務を行う。", None),
            ("第２条　受注者は、別紙１のとおり個人情報を取り扱う。", None),
            ("１　受注者は、個人情報を目的外に利用してはならない。", None),
            ("別紙１　個人情報取扱特記事項", None),
            ("第１　基本的事項", None),
            ("受注者は、個人情報の保護の重要性を認識する。", None),
            ("第２　秘密の保持", None),
            ("１　受注者は、知り得た個人情報を漏らしてはならない。", None),
            ("２　契約終了後も同様とする。", None),
            ("別紙２　再委託の条件", None),
            ("第１　再委託の承認", None),
            ("受注者は、あらかじめ承認を得る。", None),
        ],
    )
    assert _paths(path) == [
        "前文",
        "第1条",
        "第2条",
        "第2条 > 1",
        "別紙1 > 第1",
        "別紙1 > 第2 > 1",
        "別紙1 > 第2 > 2",
        "別紙2 > 第1",
    ]


def test_a_question_holds_its_answer(tmp_path: Path):
    clauses = _clauses(
        _write(
            tmp_path / "よくある質問.txt",
            [
                "第3　よくある質問",
                "Q1. 個人番号を委託先に提供できますか。",
                "A. 委託に伴う提供は、次の場合にできます。",
                "(1) 委託契約で安全管理措置を定めた場合",
                "(2) 委託先を監督する場合",
                "Ｑ２．再委託はできますか。",
                "Ａ．委託元の許諾を得た場合にできます。",
                "問3　廃棄の記録は必要ですか。",
                "答　必要です。",
                "第4　問合せ先",
                "個人情報保護委員会に問い合わせる。",
            ],
        )
    )
    assert [c.path for c in clauses] == ["第3 > Q1", "第3 > Q2", "第3 > 問3", "第4"]
    assert "委託先を監督する場合" in clauses[0].text
    assert clauses[1].text.endswith("委託元の許諾を得た場合にできます。")


def test_bullets_are_sub_items_and_fragments_stay_with_their_clause(tmp_path: Path):
    clauses = _clauses(
        _write(
            tmp_path / "手順.txt",
            [
                "第2　教育",
                "1　情報セキュリティ管理者は、次の教育を行う。",
                "●　新たに配属された職員等に対し、着任時に研修を行う。",
                "●　全ての職員等に対し、年に一度以上訓練を行う。",
                "・研修の記録",
                "・訓練の記録",
                "2　管理者は、教育の記録を保存する。",
                "◆　記録は5年間保存する。",
            ],
        )
    )
    assert [c.path for c in clauses] == [
        "第2 > 1",
        "第2 > 1 > ●1",
        "第2 > 1 > ●2",
        "第2 > 2",
        "第2 > 2 > ◆1",
    ]
    assert clauses[2].text.endswith("・研修の記録\n・訓練の記録")


def test_a_slide_title_alone_goes_on_with_the_text_after_it(tmp_path: Path):
    clauses = _clauses(
        _write(
            tmp_path / "概要.md",
            [
                "# 改定の概要",
                "## 主な改定事項",
                "## クラウドサービスの利用",
                "クラウドサービスの利用に関する記述を見直した。",
                "## 生成AI",
                "生成AIの利用に関する記述を追加した。",
            ],
        )
    )
    assert [c.path for c in clauses] == ["前文", "クラウドサービスの利用", "生成AI"]
    assert clauses[0].text == "改定の概要"  # the title
    assert clauses[1].text.startswith("主な改定事項")


# --- the structure a user sees ------------------------------------------------------------------


def test_status_shows_the_structure_read_and_warns_of_huge_items(tmp_path: Path, capsys):
    root = tmp_path / "docs" / "guideline"
    root.mkdir(parents=True)
    _write(root / "手引き.txt", GUIDELINE_WITH_CONTENTS)
    sentence = "行政機関等は、特定個人情報の取扱状況を定期的に確認し、その結果を記録する。"
    _write(root / "読めない文書.txt", ["手引き"] + [sentence * 3] * 60)
    assert main(["ingest", str(tmp_path / "docs")]) == 0
    capsys.readouterr()

    assert main(["status", "--document", "guideline/手引き.txt"]) == 0
    out = capsys.readouterr().out
    assert "第1階層 / level 1: 第N 2、別添N 2、前文 1" in out
    assert "第2階層 / level 2: 第N 3" in out
    assert "項目 8 件" in out
    assert "警告" not in out and "項目の大きさに問題は見られません" in out

    assert main(["status", "--document", "guideline/読めない文書.txt", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["structure"]["items"] == 1
    assert shown["structure"]["median_chars"] > 2000
    warnings = shown["structure"]["warnings"]
    assert any("中央値" in w["ja"] and "median" in w["en"] for w in warnings)

    assert main(["status", "--document", "guideline/読めない文書.txt"]) == 0
    out = capsys.readouterr().out
    assert "警告: 項目の長さの中央値が" in out and "Warning: the median item" in out

    assert main(["status", "--document", "guideline/ない文書.txt"]) == 2
    assert "guideline/ない文書.txt" in capsys.readouterr().err


def test_a_few_huge_items_among_many_small_ones_are_warned_of(tmp_path: Path):
    sentence = "管理者は、情報システムの利用状況を確認し、その結果を記録しなければならない。"
    lines = []
    for n in range(1, 101):
        lines += [f"第{n}　管理", f"{n}　{sentence}"]
    for i in (5, 85, 165):  # three items whose numbering was lost in extraction
        lines[i] += sentence * 60
    structure = read_structure(_clauses(_write(tmp_path / "基準.txt", lines)))
    assert structure.items == 100 and structure.large_items == 3
    assert structure.median_chars < 100
    assert structure.levels[0].kinds == {"第N": 100}
    assert [ja for ja, _ in structure.warnings] == [
        "2,000 字を超える項目が 3 件（全 100 件の 3%）あります。見出しや番号の一部が読み取れて"
        "いないおそれがあります。構造の読み取りを確かめてください。"
    ]
