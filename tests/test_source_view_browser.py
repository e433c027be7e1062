"""「原文を表示」 in a real browser: an auditor opens a checklist item and checks its quotes
against the original pages (Debian's Chromium through Playwright, the app on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ingest.readers.convert import soffice
from tests.browser import CHROMIUM, ForeignRequests, chromium, screenshot
from tests.served import serving
from tests.test_source_view import QUOTE, _pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]

FOREIGN = ForeignRequests()
POLICY_RULE = "委託先には、情報セキュリティ対策の実施状況を毎年報告させなければならない。"


def password(name: str) -> str:
    return f"{name}-password-1"


def _policy(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph("第10条 外部委託")
    doc.add_paragraph("1 " + POLICY_RULE)
    doc.add_paragraph("2 委託先の選定は、情報セキュリティ対策の水準を確認した上で行う。")
    doc.save(str(path))
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A data folder with a contract PDF and a policy .docx ingested, users, and one judgement."""
    from copilot.review.store import open_store
    from copilot.services import build_services
    from copilot.settings import load_settings

    folder = tmp_path_factory.mktemp("source-view")
    settings = load_settings(data_dir=folder / "data")
    files = [_pdf(folder / "委託契約書.pdf")]
    if soffice() is not None:
        files.append(_policy(folder / "情報セキュリティ対策基準.docx"))
    services = build_services(settings)
    try:
        assert not services.ingest(files[:1], kind="contract", contract="C-VIEW").failed
        if len(files) > 1:
            assert not services.ingest(files[1:], kind="policy").failed
        clauses = [c for f in files for c in services.index.document_clauses(f.name)]
    finally:
        services.close()
    contract = next(c for c in clauses if QUOTE in c.text)
    policy = [c for c in clauses if POLICY_RULE in c.text]

    def cite(c, quote):  # type: ignore[no-untyped-def]
        return {
            "clause_id": c.clause_id,
            "document": c.title,
            "clause_path": c.path,
            "page": c.page,
            "quote": quote,
        }

    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", password("admin"))
        store.add_user("sato", "佐藤 花子", "auditor", password("sato"), by="admin")
        store.add_user("suzuki", "鈴木 一郎", "lead", password("suzuki"), by="admin")
        run = store.record_run(
            "checklist_run", {"contract": "C-VIEW"}, settings_digest="", drafter="evidence",
            model="rules", prompt="checklist_judgement", prompt_version="", prompt_hash="",
            evidence_ids=[], user="sato",
        )  # fmt: skip
        payload = {
            "item": "2-1-1",
            "contract": "C-VIEW",
            "verdict": "反映あり",
            "answer": "はい",
            "rationale": "契約書に個人情報の第三者提供の禁止が定められている。",
            "evidence": [cite(contract, QUOTE)],
            "basis": [cite(c, "毎年報告させなければならない") for c in policy],
        }
        draft_id = store.add_draft(run, "checklist_judgement", "C-VIEW/2-1-1", payload, "sato")
    return settings, draft_id, bool(policy)


@pytest.fixture(scope="module")
def app_url(seeded) -> Iterator[str]:  # type: ignore[no-untyped-def]
    data = seeded[0].data_dir
    with serving(data, data.parent / "serve.log") as (_, url):
        yield f"{url}/"


def _login(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    FOREIGN.watch(page)
    page.goto(url)
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password(name))
    page.press("input[type=password]", "Enter")
    page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
    return context, page


def test_an_auditor_opens_an_item_and_sees_the_original_page_with_the_quote(seeded, app_url):
    _, draft_id, with_policy = seeded
    with chromium() as browser:
        context, page = _login(browser, app_url, "sato")
        page.get_by_role("tab", name="チェックリスト審査").click()
        page.fill("#item-id input", str(draft_id))
        page.click("#item-open")
        cites = page.locator("#item-citations")
        expect(cites.locator("mark").first).to_contain_text(QUOTE, timeout=60_000)
        cites.locator("mark").first.scroll_into_view_if_needed()
        screenshot(page, "source_view_opened")  # the item as opened (the "before" on old code)
        toggles = cites.locator("summary", has_text="原文を表示")
        expect(toggles).to_have_count(2 if with_policy else 1)
        image = cites.locator("details img").first
        expect(cites.locator("details img")).to_have_count(0)  # drawn only when asked for
        toggles.first.click()
        expect(image).to_be_visible(timeout=60_000)
        size = image.evaluate("i => [i.naturalWidth, i.naturalHeight, i.complete]")
        assert size[2] and size[0] > size[1] > 0  # the landscape page 2 of the contract
        opened = cites.locator("details[open]").first
        expect(opened).to_contain_text("原本の 2 ページ目（全 3 ページ）")
        expect(opened.locator(".original-text mark")).to_have_text(QUOTE)
        expect(opened.locator(".neighbour").first).to_contain_text("誠実に")
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        if with_policy:  # the policy .docx, printed by LibreOffice, opens on its page too
            toggles.nth(1).click()
            expect(cites.locator("details img").nth(1)).to_be_visible(timeout=120_000)
            expect(cites.locator("details[open]").nth(1)).to_contain_text("原本の 1 ページ目")
        image.scroll_into_view_if_needed()
        screenshot(page, "after_source_view")
        context.close()
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"


def test_the_review_queue_opens_the_original_too(seeded, app_url):
    _, draft_id, _ = seeded
    with chromium() as browser:
        context, page = _login(browser, app_url, "suzuki")
        page.get_by_role("tab", name="承認・履歴").click()
        row = page.locator("#review-queue [role=row]", has_text="2-1-1").first
        row.locator("[role=gridcell]").nth(2).click()
        cites = page.locator("#review-citations")
        expect(page.locator("#review-head")).to_contain_text(f"下書き {draft_id}・", timeout=30_000)
        cites.locator("summary", has_text="原文を表示").first.click()
        image = cites.locator("details[open] img").first
        expect(image).to_be_visible(timeout=60_000)
        expect(cites.locator("details[open]").first).to_contain_text("原本の 2 ページ目")
        context.close()
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"
