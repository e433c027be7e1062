"""Text files holding several sets of terms: each clause's path begins with the terms' name.

The real terms in ``../shared/real_documents`` are read when they are there; their text is never
copied here, so the tests assert what must hold of any clause of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.clauses import split_clauses
from ingest.readers import read_document

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real_documents"
XSERVER = REAL / "xserver-terms" / "xserver-rule.txt"
WRAITH = REAL / "wraith-terms" / "wraith-ci-terms-ja.txt"
ARTICLE = re.compile(r"^第[0-9０-９]+条")

# A provider's page: a list of contents, three services' terms (one a pointer elsewhere), each
# with chapters, articles, a caption above an article and its 附則.
PAGE = """利用規約
会員アカウント
ホスティング
ドメイン
会員アカウント
第1章 総則
第1条 定義
本規約は当社の会員アカウントに適用されます。
第2条 規約の変更
当社は本規約を変更できるものとします。
附則
本規約は2020年4月1日より発効。
ホスティング
第1章 総則
（目的）
第1条 本規約はホスティングに適用されます。
第2章 利用
第2条 利用申込
利用者は所定の手続で申し込むものとします。
（1）虚偽の申告をした場合
（2）料金を滞納した場合
附則
本規約は2021年4月1日より発効。
ドメイン
以下の利用規約をご参照ください。
ドメイン利用規約
"""


def _clauses(path: Path):
    blocks = read_document(path).blocks
    text, clauses = split_clauses(blocks)
    return blocks, text, clauses


def test_each_set_of_terms_heads_the_paths_of_its_articles(tmp_path: Path):
    path = tmp_path / "規約.txt"
    path.write_text(PAGE, encoding="utf-8")

    blocks, text, clauses = _clauses(path)

    by_text = {c.text: c for c in clauses}
    assert by_text["第1条 定義\n本規約は当社の会員アカウントに適用されます。"].path == (
        "会員アカウント > 第1章 > 第1条"
    )
    article = next(c for c in clauses if "ホスティングに適用" in c.text)
    assert article.path == "ホスティング > 第1章 > 第1条"
    assert article.text.startswith("（目的）")  # the caption stays with its article
    item = by_text["（2）料金を滞納した場合"]
    assert item.path == "ホスティング > 第2章 > 第2条 > (2)"
    articles = [c for c in clauses if " > 第" in c.path or ARTICLE.match(c.path)]
    assert {c.path.split(" > ")[0] for c in articles} == {"会員アカウント", "ホスティング"}
    for c in clauses:
        assert text[c.char_start : c.char_end] == c.text


def test_supplementary_provisions_belong_to_their_terms_not_the_last_article(tmp_path: Path):
    path = tmp_path / "規約.txt"
    path.write_text(PAGE, encoding="utf-8")

    _, _, clauses = _clauses(path)

    supplements = [c for c in clauses if "発効。" in c.text]
    assert [c.path for c in supplements] == ["会員アカウント > 附則", "ホスティング > 附則"]
    last_item = next(c for c in clauses if c.path.endswith("> (2)"))
    assert "附則" not in last_item.text and "ドメイン" not in last_item.text


def test_an_entry_of_the_contents_without_articles_is_a_set_of_its_own(tmp_path: Path):
    path = tmp_path / "規約.txt"
    path.write_text(PAGE, encoding="utf-8")

    _, _, clauses = _clauses(path)

    pointer = next(c for c in clauses if "ご参照ください" in c.text)
    assert pointer.path == "ドメイン"
    # A name in a sentence pointing elsewhere is no heading: it stays with the pointer.
    assert "ドメイン利用規約" in pointer.text
    contents = next(c for c in clauses if c.path == "利用規約")
    assert contents.text.splitlines()[1:] == ["会員アカウント", "ホスティング", "ドメイン"]


def test_names_ending_in_terms_words_open_sets_with_or_without_articles(tmp_path: Path):
    path = tmp_path / "規約集.txt"
    path.write_text(
        "クラウド会員規約\n"
        "この規約は、当社のクラウドサービスの利用条件を定めるものです。\n"
        "第1条（適用）\n"
        "本規約は全ての利用者に適用されます。\n"
        "第2条（禁止事項）\n"
        "利用者は、別に定める次の方針に従うものとします。\n"
        "プライバシーポリシー\n"
        "に反する行為をしてはなりません。\n"
        "プライバシーポリシー\n"
        "1. 当社は個人情報を適正に取得します。\n"
        "2. 当社は個人情報を目的外に利用しません。\n",
        encoding="utf-8",
    )

    blocks, _, clauses = _clauses(path)

    headings = [(i, b.text) for i, b in enumerate(blocks) if b.heading_level]
    assert headings == [(0, "クラウド会員規約"), (8, "プライバシーポリシー")]
    assert next(c for c in clauses if "適正に取得" in c.text).path == "プライバシーポリシー > 1"
    prohibited = next(c for c in clauses if "禁止事項" in c.text)
    assert prohibited.path == "クラウド会員規約 > 第2条"
    assert "に反する行為" in prohibited.text  # a name inside an article is not a heading there


def test_one_set_of_terms_is_read_as_before(tmp_path: Path):
    path = tmp_path / "利用規約.txt"
    path.write_text(
        "\n"
        "サービス利用規約\n"
        "\n"
        "第1条（目的）\n"
        "本規約は本サービスの利用条件を定めます。\n"
        "第2条（定義）\n"
        "本規約において用語の意義は次のとおりとします。\n"
        "附則\n"
        "第1条 本規約は2024年4月1日から施行する。\n",
        encoding="utf-8",
    )

    blocks, _, clauses = _clauses(path)

    assert not any(b.heading_level for b in blocks)
    assert [c.path for c in clauses if "（定義）" in c.text] == ["第2条"]


def test_markdown_headings_decide_the_parts_of_a_markdown_file(tmp_path: Path):
    path = tmp_path / "規約.md"
    path.write_text(
        "# 規約集\n\nA会員\n第1条 Aに適用する。\n\nB会員\n第1条 Bに適用する。\n", encoding="utf-8"
    )

    blocks = read_document(path).blocks

    assert [(b.text, b.heading_level) for b in blocks if b.heading_level] == [("規約集", 1)]


def _real(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real document not present: {path}")
    return path


def _sets_of_terms(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(bool(re.match(r"^[\s\u3000]*第[1１]条", line)) for line in lines)


def test_real_page_of_several_terms_paths_begin_with_each_terms_name():
    path = _real(XSERVER)
    blocks, text, clauses = _clauses(path)

    names = {b.text for b in blocks if b.heading_level == 1}
    articles = [c for c in clauses if any(ARTICLE.match(p) for p in c.path.split(" > "))]
    assert len(articles) > 100
    for c in articles:
        assert c.path.split(" > ")[0] in names, c.path
        assert not ARTICLE.match(c.path)
    sets = _sets_of_terms(path)
    assert sets >= 2
    assert len({c.path.split(" > ")[0] for c in articles}) == sets
    for c in clauses:
        assert text[c.char_start : c.char_end] == c.text
    # Supplementary provisions are no part of any article's text.
    assert not any(line.strip() == "附則" for c in articles for line in c.text.splitlines())


def test_real_single_terms_gets_no_invented_heading():
    path = _real(WRAITH)
    assert _sets_of_terms(path) == 1
    blocks, _, clauses = _clauses(path)

    assert not any(b.heading_level for b in blocks)
    articles = [c for c in clauses if ARTICLE.match(c.path)]
    assert articles
    assert all(c.path.split(" > ")[0] in {"前文"} or ARTICLE.match(c.path) for c in clauses)
