"""質問 as a conversation, in a real Chromium (issue 30, point 8 and part of 5).

A `copilot serve` process over a copy of the ingested sample corpus. A question about a contract
moves the focus to it and a follow-up that names nothing is answered from the same contract's
documents; an off-topic question says 「該当する定めが見つかりません。」 with no quote; a quote
opens between the clauses around it; asking makes no draft, 「この回答を保存」 makes one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import CHROMIUM, ForeignRequests, chromium, screenshot
from tests.test_sessions import Served, add_users, password, serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]

FIRST = "C-2026-001 の秘密保持の定めはどうなっているか"
FOLLOW_UP = "再委託は？"


@pytest.fixture(scope="module")
def served(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The UI over a copy of the ingested corpus, with the users of ``tests.test_sessions``."""
    data = tmp_path_factory.mktemp("chat-browser") / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    add_users(data)
    with serving(data) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(served: Served, browser):  # type: ignore[no-untyped-def]
    """A logged-in auditor's page on the 質問 tab; no request leaves the loopback."""
    foreign = ForeignRequests()
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1100})  # type: ignore[attr-defined]
    p = context.new_page()
    foreign.watch(p)
    p.goto(served.url + "/")
    p.fill("input[type=text]", "sato")
    p.fill("input[type=password]", password("sato"))
    p.press("input[type=password]", "Enter")
    p.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
    p.get_by_role("tab", name="質問").click()
    yield p
    context.close()
    assert not foreign, foreign


def _ask(page, question: str, answers: int) -> str:  # type: ignore[no-untyped-def]
    """Ask in the chat and wait for its ``answers``-th answer; that answer's text."""
    page.get_by_label("質問").first.fill(question)
    page.get_by_role("button", name="質問する").click()
    bot = page.locator("#answer [data-testid='bot']")
    expect(bot).to_have_count(answers, timeout=90_000)
    return bot.nth(answers - 1).inner_text()


def _answer_drafts(data: Path) -> int:
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    with open_store(load_settings(data_dir=data)) as store:
        return len(store.list_drafts(kind="answer"))


def test_a_follow_up_keeps_the_contract_in_focus(page):  # type: ignore[no-untyped-def]
    first = _ask(page, FIRST, 1)
    assert "対象: 契約 C-2026-001" in first and "秘密" in first
    assert "該当する定めが見つかりません" not in first
    expect(page.locator("#ask-focus input")).to_have_value("契約 C-2026-001")
    second = _ask(page, FOLLOW_UP, 2)
    assert "対象: 契約 C-2026-001" in second  # the follow-up named no contract: the focus stays
    assert "契約書" in second and "再委託" in second
    # both turns stay on screen, the first question above the second
    users = page.locator("#answer [data-testid='user']")
    expect(users).to_have_count(2)
    assert FOLLOW_UP in users.nth(1).inner_text()
    users.nth(1).evaluate("e => e.scrollIntoView({block: 'start'})")  # the follow-up in view
    screenshot(page, "after_chat")


def test_each_quote_once_and_nothing_found_off_topic(page):  # type: ignore[no-untyped-def]
    shown = _ask(page, "クラウドサービスを使うとき、事業者に何を求めればよいか", 1)
    assert shown.startswith("該当する定めは次のとおりです。")
    quotes = [q for q in page.locator("#citations label").all_inner_texts() if q.strip()]
    assert quotes
    for line in shown.splitlines():  # a quote line is printed once
        if line.startswith("["):
            assert shown.count(line) == 1, line
    assert "と定められている" not in shown
    off = _ask(page, "今日の天気は？", 2)
    assert "該当する定めが見つかりません。" in off
    assert "「" not in off  # no quote
    expect(page.locator("#citations")).to_be_hidden()


def test_a_quote_opens_its_original_between_its_neighbours(page, served: Served):  # type: ignore[no-untyped-def]
    from copilot.services import build_services
    from copilot.settings import load_settings

    _ask(page, "パスワードの管理はどうすればよいか", 1)
    page.locator("#citations label").first.click()
    mark = page.wait_for_selector("#source mark", timeout=30_000)
    quoted = mark.inner_text().strip()
    page.locator("#source summary", has_text="原文を表示").first.click()
    context = page.locator("#source .original-text").first
    expect(context).to_be_visible(timeout=30_000)
    shown = context.inner_text()
    assert "前の条項" in shown and "次の条項" in shown and quoted in shown
    # the clauses before and after the quoted one, as the index holds them, are on screen
    services = build_services(load_settings(data_dir=served.data))
    try:
        clauses = [
            c
            for d in services.index.documents()
            if d.kind == "policy"
            for c in services.index.document_clauses(d.doc_id)
        ]
    finally:
        services.close()
    at = next(k for k, c in enumerate(clauses) if quoted in c.text)
    for neighbour in (clauses[at - 1], clauses[at + 1]):
        assert neighbour.text.split("\n")[0][:15] in shown
    screenshot(page, "after_chat_source")


def test_asking_makes_no_draft_until_the_answer_is_saved(page, served: Served):  # type: ignore[no-untyped-def]
    drafts = _answer_drafts(served.data)
    page.get_by_label("質問").first.fill("テレワークで機密性3の情報を扱えるか")
    page.get_by_role("button", name="質問する").click()
    page.wait_for_selector("#citations label", timeout=90_000)  # answered, with its quotes
    assert _answer_drafts(served.data) == drafts  # asked, and no draft
    _ask(page, "私物のスマートフォンを業務に使ってよいか", 2)
    assert _answer_drafts(served.data) == drafts
    page.get_by_role("button", name="この回答を保存").click()
    expect(page.locator("#saved-answer")).to_contain_text("下書き", timeout=30_000)
    assert _answer_drafts(served.data) == drafts + 1
    expect(page.get_by_role("button", name="この回答を保存")).to_be_disabled()
