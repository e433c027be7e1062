"""ui.page.literal: stored text shown in a Markdown output stays text, exactly as it stands.

Gradio renders Markdown in the browser (marked, raw HTML allowed, then its sanitiser, which keeps
<img>, <form>, <a> and style). There is no server-side renderer in Gradio, so these tests render
with markdown-it-py (CommonMark with raw HTML and GFM tables), the same syntax; the browser test
(tests/test_security_ui.py) checks the real page.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from copilot.schemas import Answer, Citation
from ui.page import literal
from ui.sources import answer_md

PAYLOADS = [
    '<img src="http://203.0.113.9/x.png">',
    '<form action="http://203.0.113.9/"><input type="password" name="p"></form>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">',
    "![x](http://203.0.113.9/y.png)",
    "[再ログインはこちら](http://203.0.113.9/login)",
    "<http://203.0.113.9/auto>",
    "<重要>",
    "<a href='http://203.0.113.9/'>x</a>",
    "[ref]: http://203.0.113.9/\n\n[ref]",
    "`code` **bold** _em_ ~~del~~ $$x$$ # heading",
]

TEXTS = [
    "第35 > 2 > (1) > ア",
    "受託者は、ISO/IEC 27001 の認証を維持し、データを日本国内に保管する。",
    "情報セキュリティポリシー 第3条（定義）",
    "1. 番号付き — 2. 続き",
    "- 箇条書きに見える行",
    r"C:\data\契約 & 覚書 'q' \"dq\" &amp; &#x27;",
    "a|b|c",
    "p.12 100% 5*3=15 {x} [y] (z) ~w~ ^v^ @u #t !s",
]

TAG = re.compile(r"<\s*(img|form|input|a|div|iframe|script|style|link)\b", re.IGNORECASE)

MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def shown(markdown: str) -> str:
    """What a reader sees: the rendered HTML without its tags, entities decoded."""
    rendered = re.sub(r"<br\s*/?>", "\n", MD.render(markdown))
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("text", PAYLOADS + TEXTS)
def test_literal_renders_as_the_text_itself_and_no_markup(text: str):
    rendered = MD.render(literal(text))
    assert not TAG.search(rendered), rendered
    assert shown(literal(text)) == text  # nothing lost, no visible backslashes


@pytest.mark.parametrize("text", PAYLOADS + TEXTS)
def test_literal_inside_our_markdown_stays_in_place(text: str):
    """In a heading, a bold label's value, a list item and a table cell: no markup, one cell."""
    md = (
        f"### {literal(text)}（下書き 1）\n\n**理由**: {literal(text)}\n\n- 版 1: 「{literal(text)}」"
        f"\n\n| 種類 | 文書 |\n|---|---|\n| policy | {literal(text)} |"
    )
    rendered = MD.render(md)
    assert not TAG.search(rendered), rendered
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", rendered, re.DOTALL)
    assert row is not None and row.group(1).count("<td>") == 2, rendered


def test_plain_japanese_and_clause_paths_are_left_readable():
    assert literal("情報セキュリティポリシーの遵守") == "情報セキュリティポリシーの遵守"
    assert shown(literal("第35 > 2 > (1) > ア")) == "第35 > 2 > (1) > ア"
    assert literal("") == "" and literal(None) == ""
    assert literal(12) == "12"


def test_line_breaks_stay_inside_the_line():
    assert literal("一行目\n二行目\r\n三行目") == "一行目<br>二行目<br>三行目"


def test_the_answer_shows_the_clause_literally():
    quote = "受託者は<重要>な情報を![x](http://203.0.113.9/y.png)日本国内に保管する。"
    answer = Answer(
        question="データの保管場所は",
        text=f'第5条に「{quote}」と定められている。\n<img src="http://203.0.113.9/x.png">',
        citations=[
            Citation(clause_id="c1", document="<b>規程</b>", clause_path="第5条 > 1", quote=quote)
        ],
    )
    md = answer_md(answer)
    rendered = MD.render(md)
    assert not TAG.search(rendered), rendered
    text = shown(md)
    assert quote in text and '<img src="http://203.0.113.9/x.png">' in text
    assert "[1] <b>規程</b> 第5条 > 1「" in text


def test_the_payloads_are_markup_when_not_escaped():
    """The renderer of these tests does make tags of the payloads as they are."""
    for text in PAYLOADS[:5]:
        assert TAG.search(MD.render(text)), text
