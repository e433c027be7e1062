"""What the browser keeps, and what the login page says, in a real Chromium (issue 28, findings 5
and 10).

A `copilot serve` process over a copy of the ingested sample corpus, a finding draft in the
review store; Debian's Chromium through Playwright. After a question, its answer and source,
and a draft opened, neither ``localStorage`` nor ``sessionStorage`` nor IndexedDB holds any of
their text (Gradio's run history kept every input and output in ``localStorage``, past logout).
A lock shows the server's own reason on Gradio's login page, with the time it opens.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import CHROMIUM, ForeignRequests, chromium
from tests.test_sessions import LOCK_FAILURES, Served, add_users, password, serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]

QUESTION = "クラウド事業者が業務を下請けに出すときは市の承認が要るか"
SECRET = "持出し簿が三年間整備されていなかった（内部限り）"
FINDING = {
    "division": "福祉政策課",
    "title": "持出し簿の未整備",
    "finding": SECRET,
    "rating": "指摘",
    "risk": "情報資産の紛失・漏えいに気付けないおそれがある。",
    "recommendation": "持出し簿を整備し、許可と返却を記録すること。",
}
STORAGE = """async () => {
  const dump = s => Object.keys(s).map(k => k + '=' + s.getItem(k)).join('\\n');
  const dbs = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
  return {local: dump(localStorage), session: dump(sessionStorage), idb: dbs};
}"""


@pytest.fixture(scope="module")
def served(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The UI over the ingested corpus, with a finding draft by the auditor (sato)."""
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    data = tmp_path_factory.mktemp("sessions-browser") / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    add_users(data)
    with open_store(load_settings(data_dir=data)) as store:
        run = store.record_run(
            "findings",
            {"contract": "C-2026-001"},
            settings_digest="s1",
            drafter="evidence",
            model="evidence",
            prompt="findings",
            prompt_version="v1",
            prompt_hash="p1",
            evidence_ids=[],
            user="sato",
        )
        store.add_draft(run, "finding", "福祉政策課/1", FINDING, "sato")
    with serving(data, login_lock_failures=str(LOCK_FAILURES)) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def log_in(page, name: str, secret: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", secret or password(name))
    page.press("input[type=password]", "Enter")


def fail_to_log_in(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A wrong password, once its answer is in (the login page empties its boxes then)."""
    log_in(page, name, "not-the-password")
    page.wait_for_function("() => document.querySelector('input[type=password]').value === ''")


def test_no_question_answer_or_draft_stays_in_the_browsers_storage(served: Served, browser):  # type: ignore[no-untyped-def]
    foreign = ForeignRequests()
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    foreign.watch(page)
    try:
        page.goto(served.url + "/")
        log_in(page, "suzuki")
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        page.get_by_role("tab", name="質問").click()
        page.get_by_label("質問").first.fill(QUESTION)
        page.get_by_role("button", name="質問する").click()
        page.wait_for_selector("#citations label", timeout=60_000)
        page.locator("#citations label").first.click()
        page.wait_for_selector("#source mark", timeout=30_000)
        answer = page.inner_text("#answer")
        source = page.inner_text("#source mark")
        page.get_by_role("tab", name="発見事項").click()
        page.fill("#finding-id input", "1")
        page.click("#finding-open")
        expect(page.locator("#finding-head")).to_contain_text("下書き 1・版 1", timeout=30_000)
        page.wait_for_function(  # the finding's text is in its edit box
            "s => [...document.querySelectorAll('textarea')].some(t => t.value.includes(s))",
            arg=SECRET,
            timeout=30_000,
        )
        page.wait_for_timeout(1000)  # let any storage writes after the events land

        kept = page.evaluate(STORAGE)
        stored = kept["local"] + "\n" + kept["session"]
        lines = [ln for ln in answer.splitlines() if len(ln.strip()) >= 12]
        for text in (QUESTION, SECRET, source.strip()[:20], *[ln.strip()[:20] for ln in lines]):
            assert text and text not in stored, f"{text!r} is kept in the browser: {stored[:500]}"
        assert "run-history" not in stored and not kept["idb"], kept

        page.get_by_role("link", name="ログアウト").click()  # the page's own logout still works
        page.wait_for_selector("input[type=password]", timeout=30_000)
        after = page.evaluate(STORAGE)
        assert QUESTION not in after["local"] + after["session"]
    finally:
        context.close()
    assert not foreign, f"the page asked hosts other than loopback: {foreign}"


def test_the_login_page_says_the_account_is_locked_and_until_when(served: Served, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP")  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(served.url + "/")
        fail_to_log_in(page, "tanaka")
        expect(page.locator("p.creds")).to_have_text(
            "利用者名またはパスワードが違います。確かめてもう一度入力してください。", timeout=30_000
        )
        for _ in range(LOCK_FAILURES - 1):
            fail_to_log_in(page, "tanaka")
        notice = page.locator("p.creds")
        expect(notice).to_contain_text("一時的にロックされています", timeout=30_000)
        text = notice.inner_text()
        assert "利用者「tanaka」はこのアドレス（127.0.0.1）から" in text
        assert " まで" in text and "copilot users unlock tanaka" in text
        assert "Incorrect" not in page.inner_text("body")
    finally:
        context.close()
