"""The words of the desk in a real browser (Debian's Chromium through Playwright), over a real
`copilot serve`: the login page before and after the first user exists, the 評価 tab for the
admin only (its words never sent to an auditor's page), document kinds, stored times and dates in
Japanese (和暦, JST), the progress bar counting in Japanese and an error box titled in Japanese."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import CHROMIUM, ForeignRequests, chromium, screenshot
from tests.conftest import CORPUS
from tests.served import serve_env, serving
from tests.test_security_api import endpoint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]

USERS = (
    ("admin", "管理者", "admin"),
    ("sato", "佐藤 花子", "auditor"),
    ("suzuki", "鈴木 一郎", "lead"),
)
FOREIGN = ForeignRequests()
WAREKI_TIME = re.compile(r"令和(元|\d+)年\d+月\d+日 \d+時\d{2}分")
WAREKI_DAY = re.compile(r"^令和(元|\d+)年\d+月\d+日$")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
# The 評価 tab's engineering words: none may reach an auditor's page.
ENGINEERING = ("golden", "llama-index", ".jsonl", "retrieval.jsonl", "checklist_judgements")
# The document kinds as stored: none may be shown as a kind on the screens.
STORED_KINDS = ("policy", "guideline", "self_check", "correspondence", "contract", "other")
POLICY_GAP = CORPUS / "policy_gap"
POLICY = "policy/架空町情報セキュリティ対策基準.docx"
GUIDELINE = "guideline/架空県市町村情報セキュリティ対策ガイドライン.docx"


def password(name: str) -> str:
    return f"{name}-password-1"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    yield
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """`copilot serve` over the policy-gap pair of the sample corpus, with three users."""
    from copilot.review.store import open_store
    from copilot.services import build_services
    from copilot.settings import load_settings

    data = tmp_path_factory.mktemp("desk") / "data"
    settings = load_settings(data_dir=data)
    services = build_services(settings)
    try:
        assert not services.ingest([POLICY_GAP]).failed
    finally:
        services.close()
    with open_store(settings) as store:
        for name, display, role in USERS:
            store.add_user(
                name, display, role, password(name), by=None if role == "admin" else "admin"
            )
    with serving(data, data.parent / "serve.log") as (_, url):
        yield data, url


def new_page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    FOREIGN.watch(page)
    return page


def log_in(page, url: str, name: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", secret)
    page.press("input[type=password]", "Enter")


def open_as(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    """A fresh page logged in as ``name``."""
    page = new_page(browser)
    log_in(page, url, name, password(name))
    page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
    return page


def tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()


def pick(page, picker: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Open a dropdown and choose the option whose label holds ``option``."""
    page.locator(f"{picker} input").click()
    page.locator(picker).get_by_role("option", name=option).click()
    expect(page.locator(f"{picker} [role=option]")).to_have_count(0)  # the list has closed


def rows(page, table: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The cells of every row of a table under its header."""
    found = page.locator(f"{table} [role=row]")
    return [
        [c.strip() for c in found.nth(i).locator("[role=gridcell]").all_inner_texts()]
        for i in range(1, found.count())
    ]


def markdown_rows(page, table: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The cells of every body row of a Markdown table."""
    found = page.locator(f"{table} table tbody tr")
    return [
        [c.strip() for c in found.nth(i).locator("td").all_inner_texts()]
        for i in range(found.count())
    ]


def sent_config(page) -> str:  # type: ignore[no-untyped-def]
    """What the server sends the logged-in page to build it from (every component's words)."""
    return str(page.evaluate("async () => (await fetch('config')).text()"))


# --- the login page ------------------------------------------------------------------------------


def test_login_page_before_and_after_the_first_user(browser, tmp_path: Path):
    """No user: how to make the first admin (the README's command). Once the admin exists (made
    in a terminal while the server runs), how to log in only; a refused login says why alone."""
    data = tmp_path / "data"
    with serving(data, tmp_path / "serve.log") as (_, url):
        page = new_page(browser)
        page.goto(url)
        page.wait_for_selector("input[type=password]")
        first = page.inner_text("body")
        screenshot(page, "after_login_first")
        assert "利用者がまだ登録されていません" in first
        assert ".venv/bin/copilot users add admin --role admin" in first
        assert "`" not in first  # the command is shown as code, not as Markdown source

        made = subprocess.run(
            [sys.executable, "-m", "copilot.cli", "users", "add", "admin", "--role", "admin"]
            + ["--new-password-stdin"],
            input=password("admin") + "\n",
            env=serve_env(data),
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr

        page.reload()
        page.wait_for_selector("input[type=password]")
        after = page.inner_text("body")
        assert "ログインしてください" in after
        assert "まだ登録されていません" not in after and "users add" not in after

        log_in(page, url, "admin", "wrong-password-1")
        refusal = page.get_by_role("alert")
        expect(refusal).to_contain_text("利用者名またはパスワードが違います", timeout=30_000)
        screenshot(page, "after_login")
        shown = page.inner_text("body")
        assert "まだ登録されていません" not in shown and "users add" not in shown
        assert page.locator("#who").count() == 0

        log_in(page, url, "admin", password("admin"))
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        page.context.close()


# --- the 評価 tab: the admin's only ----------------------------------------------------------------


def test_an_auditor_and_a_lead_see_no_eval_tab_nor_its_words(browser, desk):
    _, url = desk
    for name in ("sato", "suzuki"):
        page = open_as(browser, url, name)
        tab(page, "文書管理")  # the page has loaded its tabs' contents
        expect(page.locator("#index-status")).to_contain_text("条項", timeout=30_000)
        assert not any(t.is_visible() for t in page.get_by_role("tab", name="評価").all())
        seen = page.inner_text("body") + page.content() + sent_config(page)
        assert not [w for w in ENGINEERING if w in seen], name
        page.context.close()


def test_the_admin_sees_the_eval_tab(browser, desk):
    _, url = desk
    page = open_as(browser, url, "admin")
    tab(page, "評価")
    expect(page.locator("#eval-intro")).to_contain_text("正解データ", timeout=30_000)
    expect(page.locator("#eval-which")).to_contain_text("検索")
    page.context.close()


def test_an_auditor_may_not_run_an_evaluation_through_the_api(desk):
    """The tab is hidden and the server refuses too: an auditor's client cannot run it."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    _, url = desk
    client = Client(
        url,
        auth=("sato", password("sato")),
        verbose=False,
        analytics_enabled=False,
        download_files=False,
    )
    try:
        with pytest.raises(AppError) as refused:
            client.predict(
                "retrieval", None, None, False, api_name=endpoint(client, output="eval-msg")
            )
        assert "管理者（admin）だけ" in str(refused.value)
    finally:
        client.close()


# --- document kinds, stored times and dates, progress and errors in Japanese --------------------


def test_documents_tab_names_kinds_and_times_in_japanese(browser, desk, tmp_path: Path):
    _, url = desk
    page = open_as(browser, url, "sato")
    tab(page, "文書管理")
    expect(page.locator("#index-status")).to_contain_text("条項", timeout=30_000)
    table = markdown_rows(page, "#index-status")
    kinds = {r[0] for r in table}
    assert {"ポリシー（規程）", "ガイドライン"} <= kinds, table
    assert not kinds & set(STORED_KINDS), table
    assert all(WAREKI_TIME.fullmatch(r[3]) for r in table), table

    # an error a user can cause: titled in Japanese, the Japanese message first
    page.get_by_role("button", name="取り込む").click()
    toast = page.locator("[data-testid=toast-body]")
    expect(toast).to_contain_text("ファイルを選んでください。", timeout=30_000)
    expect(toast.locator(".toast-title")).to_have_text("エラー")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(1000)  # let the message box fade in before the screenshot
    screenshot(page, "after_error")
    toast.locator("[data-testid=toast-close]").click()
    expect(toast).to_have_count(0)

    # a reply mail taken in under its Japanese kind
    reply = tmp_path / "回答_総務課.md"
    reply.write_text(
        "# ヒアリングへの回答\n\n1. 外部記録媒体の持出しは、課長の許可を得て台帳に記録している。\n",
        encoding="utf-8",
    )
    page.set_input_files("#ingest-files input[type=file]", str(reply))
    expect(page.locator("#ingest-files")).to_contain_text(reply.name, timeout=30_000)
    pick(page, "#ingest-kind", "ヒアリング回答（往復文書）")
    page.locator("#ingest-contract textarea, #ingest-contract input").first.fill("総務課")
    page.get_by_role("button", name="取り込む").click()
    expect(page.locator("#ingest-msg")).to_contain_text("取り込み完了", timeout=120_000)
    expect(page.locator("#index-status")).to_contain_text("ヒアリング回答（往復文書）")
    table = markdown_rows(page, "#index-status")
    row = next((r for r in table if r[0] == "ヒアリング回答（往復文書）"), None)
    assert row is not None and WAREKI_TIME.fullmatch(row[3]), table
    page.wait_for_timeout(1000)  # let the table's fade-in finish before the screenshot
    screenshot(page, "after_documents")
    page.context.close()


# Every text the progress bar shows while a run goes, kept by the page itself.
WATCH_PROGRESS = """() => {
  window.progressTexts = [];
  const keep = () => {
    for (const el of document.querySelectorAll('.progress-text, [role=progressbar]')) {
      const text = (el.getAttribute('aria-valuetext') || '') + ' ' + el.textContent;
      if (text.trim()) { window.progressTexts.push(text.trim()); }
    }
  };
  new MutationObserver(keep).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def test_gap_drafts_show_their_time_in_wareki_and_progress_in_japanese(browser, desk):
    _, url = desk
    page = open_as(browser, url, "suzuki")
    tab(page, "ポリシー改定支援")
    tab(page, "規程の網羅状況")
    pick(page, "#gap-policy", f"（{POLICY}）")
    pick(page, "#gap-guideline", f"（{GUIDELINE}）")
    page.evaluate(WATCH_PROGRESS)
    page.get_by_role("button", name="網羅状況を判定").click()
    expect(page.locator("#gap-msg")).to_contain_text("審査記録に保存しました", timeout=180_000)
    progress = page.evaluate("window.progressTexts")
    counted = [t for t in progress if "判定中" in t]  # the run's own progress, with its count
    assert counted and all(re.search(r"\d+ ?/ ?\d+ 件", t) for t in counted), progress
    english = ("steps", "queue", "processing")
    assert not [t for t in progress if any(w in t for w in english)], progress

    first = rows(page, "#gap-table")[0]
    page.locator("#gap-id input").fill(first[0])
    page.locator("#gap-open").click()
    expect(page.locator("#gap-head")).to_contain_text("版 1", timeout=30_000)
    head = page.inner_text("#gap-head")
    assert re.search(r"版 1: 作成 鈴木 一郎（" + WAREKI_TIME.pattern + "）", head), head
    assert not ISO.search(head), head
    page.context.close()


def test_work_plan_dates_in_wareki(browser, desk):
    _, url = desk
    page = open_as(browser, url, "suzuki")
    tab(page, "業務文書")
    expect(page.locator("#engagement-file input")).to_have_value("examples/engagement.toml")
    page.get_by_role("button", name="作業計画を作成").click()
    expect(page.locator("#plan-msg")).to_contain_text("作業項目", timeout=60_000)
    assert "契約日 令和" in page.inner_text("#plan-msg")
    table = rows(page, "#wbs-table")
    assert table and all(WAREKI_DAY.match(r[3]) and WAREKI_DAY.match(r[4]) for r in table)
    page.click("#due-check")
    expect(page.locator("#due-msg")).to_contain_text("現在の期限", timeout=60_000)
    assert WAREKI_DAY.match(page.inner_text("#due-msg").split(" 現在")[0].strip())
    assert all(WAREKI_DAY.match(r[0]) for r in rows(page, "#due-table"))
    page.context.close()
