"""The Gradio UI in a real browser (Debian's Chromium through Playwright), over a copy of the
ingested sample corpus: log in, ask and open a citation, judge a contract, draft and approve a
finding and download the notice, and check that an auditor cannot sign off. Every page request
must stay on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from playwright.sync_api import expect

from tests.browser import CHROMIUM, ForeignRequests, chromium, free_port, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]

DIVISION = "健康福祉局福祉政策課"
USERS = (
    ("admin", "管理者", "admin"),
    ("sato", "佐藤 花子", "auditor"),
    ("suzuki", "鈴木 一郎", "lead"),
)
FOREIGN = ForeignRequests()


def password(name: str) -> str:
    return f"{name}-password-1"


@pytest.fixture(scope="module")
def app_url(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free loopback port over a copy of the ingested corpus, with three users."""
    from copilot.settings import load_settings
    from copilot.store import open_store
    from ui.app import serve

    data = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    settings = load_settings(data_dir=data)
    with open_store(settings) as store:
        for name, display, role in USERS:
            store.add_user(
                name, display, role, password(name), by=None if role == "admin" else "admin"
            )
    port = free_port()
    app = serve(settings, "127.0.0.1", port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def open_as(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    """A fresh page logged in as ``name``."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    FOREIGN.watch(page)
    page.goto(url)
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password(name))
    page.press("input[type=password]", "Enter")
    page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
    return page


@pytest.fixture(scope="module")
def lead(browser, app_url: str):  # type: ignore[no-untyped-def]
    page = open_as(browser, app_url, "suzuki")
    yield page
    page.context.close()


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    yield
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"


def tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()


def test_login_page_and_wrong_password(browser, app_url: str):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    FOREIGN.watch(page)
    page.goto(app_url)
    page.wait_for_selector("input[type=password]")
    assert "ログインしてください" in page.inner_text("body")
    screenshot(page, "00-login")
    page.fill("input[type=text]", "sato")
    page.fill("input[type=password]", "wrong-password")
    page.press("input[type=password]", "Enter")
    page.wait_for_timeout(1500)
    assert page.locator("#who").count() == 0
    context.close()


def test_ask_and_open_a_citation(lead):
    assert "鈴木 一郎" in lead.inner_text("#who")
    tab(lead, "質問")
    lead.get_by_label("質問").first.fill("クラウド事業者が業務を下請けに出すときは市の承認が要るか")
    lead.get_by_role("button", name="質問する").click()
    lead.wait_for_selector("#citations label", timeout=60_000)
    assert "[1]" in lead.inner_text("#answer")
    lead.locator("#citations label").first.click()
    mark = lead.wait_for_selector("#source mark", timeout=30_000)
    source = lead.inner_text("#source")
    assert "文書" in source and "条項" in source and "ページ" in source
    assert mark.inner_text().strip() in source
    screenshot(lead, "01-ask")


def test_checklist_run_shows_29_items(lead):
    tab(lead, "チェックリスト審査")
    lead.get_by_role("button", name="審査を実行").click()
    lead.wait_for_selector("#run-msg :text('29 項目を判定')", timeout=180_000)
    rows = lead.locator("#checklist-table [role=row]")  # the header row, then one per item
    assert rows.count() == 1 + 29
    assert lead.locator("#checklist-table [role=gridcell]").count() == 29 * 8
    text = lead.inner_text("#checklist-table")
    assert "反映あり" in text or "反映なし" in text
    assert lead.locator("#checklist-approve").is_visible()
    screenshot(lead, "02-checklist")


def test_lead_approves_a_finding_and_downloads_the_notice(lead, tmp_path: Path):
    tab(lead, "発見事項")
    lead.locator("#f-contract input").click()
    lead.get_by_role("option", name="C-2026-002").click()
    lead.fill("#division textarea, #division input", DIVISION)
    lead.get_by_role("button", name="発見事項を下書き").click()
    lead.wait_for_selector("#f-msg :text('下書きを保存しました')", timeout=180_000)
    first = lead.locator("#findings-table [role=row]").nth(1)
    draft_id = first.locator("[role=gridcell]").first.inner_text().strip()
    lead.fill("#finding-id input", draft_id)
    lead.click("#finding-approve")
    lead.wait_for_selector(f"#finding-sign-msg :text('下書き {draft_id} を承認')", timeout=30_000)
    expect(lead.locator("#findings-table")).to_contain_text("承認済", timeout=30_000)
    lead.get_by_role("button", name="監査結果通知書（案）を出力").click()
    link = lead.wait_for_selector("#notice a", timeout=60_000)
    with lead.expect_download() as info:
        link.click()
    target = tmp_path / "notice.docx"
    info.value.save_as(target)
    text = "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
    assert "情報セキュリティ監査結果通知（案）" in text and DIVISION in text
    assert "承認された発見事項はありません" not in text
    screenshot(lead, "03-findings")


def test_review_tab_shows_the_queue_and_a_verified_log(lead):
    tab(lead, "承認・履歴")
    lead.get_by_role("button", name="更新").click()
    lead.wait_for_selector("#verify :text('正常')", timeout=30_000)
    expect(lead.locator("#log")).to_contain_text("承認", timeout=30_000)
    expect(lead.locator("#log")).to_contain_text("鈴木 一郎")
    screenshot(lead, "04-review")


def test_documents_tab_shows_the_index(lead):
    tab(lead, "文書管理")
    lead.wait_for_selector("#index-status :text('条項')", timeout=30_000)
    assert "外部サービス利用時チェックリスト" in lead.inner_text("#index-status")
    screenshot(lead, "05-documents")


def test_selfcheck_ranking_and_the_approach_document(lead, tmp_path: Path):
    tab(lead, "自己点検分析")
    lead.get_by_role("button", name="取り込んだ自己点検シートを分析").click()
    expect(lead.locator("#reasons")).to_contain_text("ヒアリング", timeout=60_000)
    assert lead.locator("#ranking [role=row]").count() == 1 + 4  # four divisions' sheets
    lead.get_by_role("button", name="監査実施方針（案）を出力").click()
    link = lead.wait_for_selector("#approach a", timeout=60_000)
    with lead.expect_download() as info:
        link.click()
    target = tmp_path / "approach.docx"
    info.value.save_as(target)
    assert "監査実施方針" in "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
    screenshot(lead, "07-selfcheck")


def test_ledger_check(lead):
    tab(lead, "台帳照合")
    lead.locator("#l-contract input").click()
    lead.get_by_role("option", name="C-2026-002").click()
    lead.get_by_role("button", name="台帳と照合").click()
    expect(lead.locator("#ledger-msg")).to_contain_text("C-2026-002", timeout=60_000)
    expect(lead.locator("#ledger-table")).to_contain_text("一致")
    assert lead.locator("#ledger-table [role=row]").count() > 1
    lead.wait_for_timeout(1000)  # let the table's fade-in finish before the screenshot
    screenshot(lead, "08-ledger")


def test_an_auditor_has_no_sign_off(browser, app_url: str):
    page = open_as(browser, app_url, "sato")
    assert "主任担当者（lead）だけ" in page.inner_text("#who")
    tab(page, "チェックリスト審査")
    assert not page.locator("#checklist-approve").is_visible()
    tab(page, "発見事項")
    assert not page.locator("#finding-approve").is_visible()
    screenshot(page, "06-auditor-findings")
    page.context.close()
