"""The review queue and editing, in a real Chromium (issue 30, points 5 and 6).

A `copilot serve` process over a copy of the ingested sample corpus; the auditor's drafts are
written into its review store as the tasks write them (checklist judgements citing a real clause
of C-2026-001's contract, under a run that names the checklist judged; a finding; a question's
answer). The lead (主任担当者) opens 承認・履歴 and finds the queue already filled, in Japanese,
each row named by what it is; a row opens the draft in place, approved there with the version
shown, one after the other; a version saved after opening is refused in place. In チェックリスト
審査 a changed verdict asks for the reviewer's reason, which replaces the machine's; a signed-off
draft opens read-only, with 差戻し for the lead only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from copilot.errors import UserError
from tests.browser import CHROMIUM, ForeignRequests, chromium, screenshot
from tests.conftest import CORPUS
from tests.test_sessions import Served, add_users, password, serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]

CONTRACT = "C-2026-001"
CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
MACHINE = "判断が分かれるため要確認とした。不足: 秘密保持義務"
REVIEWER = "第8条で受託者の秘密保持義務と契約終了後の存続が定められているため、反映ありとする。"
QUESTION = "今日の天気は？（記録のみの質問）"
FINDING = {
    "division": "福祉政策課",
    "title": "持出し簿の未整備",
    "finding": "機密性3の情報資産の持出しについて、許可記録が確認できなかった。",
    "rating": "指摘",
    "risk": "情報資産の紛失・漏えいに気付けないおそれがある。",
    "recommendation": "持出し簿を整備し、許可と返却を記録すること。",
}
FOREIGN = ForeignRequests()


def _run(store: Any, task: str, inputs: dict[str, Any]) -> int:
    return int(
        store.record_run(
            task,
            inputs,
            settings_digest="s1",
            drafter="evidence",
            model="evidence",
            prompt=task,
            prompt_version="v1",
            prompt_hash="p1",
            evidence_ids=[],
            user="sato",
        )
    )


def _cited_clause(data: Path) -> dict[str, Any]:
    """A citation of a real clause of the contract: its id, path and a quote from its text."""
    from copilot.services import build_services
    from copilot.settings import load_settings

    services = build_services(load_settings(data_dir=data))
    try:
        clauses = services.index.document_clauses(f"contracts/{CONTRACT}/契約書.docx")
    finally:
        services.close()
    rec = next(c for c in clauses if len(c.text.strip()) >= 30)
    return {
        "clause_id": rec.clause_id,
        "document": rec.doc_id,
        "clause_path": rec.path,
        "page": rec.page,
        "quote": rec.text.strip()[5:25],
    }


def _judgement(item: str, cite: dict[str, Any]) -> dict[str, Any]:
    return {
        "item": item,
        "contract": CONTRACT,
        "verdict": "要確認",
        "answer": "いいえ",
        "rationale": MACHINE,
        "evidence": [cite],
        "advice": "秘密保持の定めを確認すること。",
        "confidence": 0.4,
    }


@pytest.fixture(scope="module")
def served(
    corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, dict[str, int]]]:
    """The UI over the corpus; the auditor's drafts in its store (name: draft number)."""
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    data = tmp_path_factory.mktemp("desk-review") / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    add_users(data)
    cite = _cited_clause(data)
    ids: dict[str, int] = {}
    with open_store(load_settings(data_dir=data)) as store:
        run = _run(store, "checklist_run", {"contract": CONTRACT, "checklist": str(CHECKLIST)})
        for item in ("1-1-1", "1-2-1", "1-3-1", "1-3-2", "2-1-1"):
            ids[item] = store.add_draft(
                run, "checklist_judgement", f"{CONTRACT}/{item}", _judgement(item, cite), "sato"
            )
        ids["signed"] = ids.pop("2-1-1")
        store.approve(ids["signed"], "tanaka", "確認した")  # signed off before the page opens
        finding_run = _run(store, "findings_draft", {"division": "福祉政策課"})
        ids["finding"] = store.add_draft(finding_run, "finding", "福祉政策課/1", FINDING, "sato")
        ask = _run(store, "ask", {"question": QUESTION})
        answer = {"question": QUESTION, "text": "該当する定めが見つかりません。"}
        ids["answer"] = store.add_draft(ask, "answer", QUESTION, answer, "sato")
    with serving(data) as s:
        yield s, ids


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    yield
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"


def open_as(browser: Any, url: str, name: str) -> Any:
    """A fresh page logged in as ``name``."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    FOREIGN.watch(page)
    page.goto(url + "/")
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password(name))
    page.press("input[type=password]", "Enter")
    page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
    return page


def store_of(served: Served) -> Any:
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    return open_store(load_settings(data_dir=served.data))


def queue_row(page: Any, draft_id: int) -> Any:
    """The queue's row of a draft (its number in the first cell)."""
    rows = page.locator("#review-queue [role=row]")
    expect(rows.nth(1)).to_be_visible(timeout=30_000)
    for i in range(1, rows.count()):
        if rows.nth(i).locator("[role=gridcell]").first.inner_text().strip() == str(draft_id):
            return rows.nth(i)
    raise AssertionError(
        f"draft {draft_id} is not in the queue: {page.inner_text('#review-queue')}"
    )


def open_in_queue(page: Any, draft_id: int) -> None:
    queue_row(page, draft_id).locator("[role=gridcell]").nth(2).click()
    expect(page.locator("#review-head")).to_contain_text(f"下書き {draft_id}・", timeout=30_000)


def test_the_queue_is_filled_when_the_tab_opens_in_japanese(served, browser):  # type: ignore[no-untyped-def]
    s, ids = served
    page = open_as(browser, s.url, "suzuki")
    try:
        page.get_by_role("tab", name="承認・履歴").click()  # no refresh pressed
        queue = page.locator("#review-queue")
        expect(queue).to_contain_text("チェックリスト判定", timeout=30_000)
        expect(queue).to_contain_text("発見事項")
        text = queue.inner_text()
        # each item by what it is: the contract, the item and the start of its question
        assert f"{CONTRACT}　項目 1-1-1「外部サービス提供者がISO/IEC 27001" in text, text
        assert "福祉政策課「持出し簿の未整備」（指摘）" in text
        assert "令和" in text and "時" in text  # 和暦, JST
        assert "checklist_judgement" not in text and "finding" not in text
        assert f"{CONTRACT}/1-1-1" not in text  # not the raw key
        assert QUESTION not in text  # a question asked is no sign-off
        assert str(ids["signed"]) not in [
            c.strip() for c in page.locator("#review-queue [role=gridcell]").all_inner_texts()
        ]
        expect(page.locator("#review-count")).to_contain_text("承認待ち 5 件")
        model = page.locator("#verdict-model")  # the verdict model, without engineering words
        expect(model).to_contain_text("判定モデル: 同梱（版 ")
        assert "judgements" not in model.inner_text() and "heldout" not in model.inner_text()
        screenshot(page, "after_review_queue_list")

        page.locator("#review-kind input").click()  # filter by kind: 発見事項 only
        page.get_by_role("option", name="発見事項").click()
        expect(page.locator("#review-count")).to_contain_text("承認待ち 1 件", timeout=30_000)
        assert "チェックリスト判定" not in page.inner_text("#review-queue")
        page.locator("#review-kind input").click()  # the questions asked, kept as records
        page.get_by_role("option", name="質問への回答（記録のみ）").click()
        expect(page.locator("#review-queue")).to_contain_text(QUESTION, timeout=30_000)
        expect(page.locator("#review-queue")).to_contain_text("回答")
    finally:
        page.context.close()


def test_a_row_opens_the_draft_and_the_lead_approves_one_after_another(served, browser):  # type: ignore[no-untyped-def]
    s, ids = served
    first, second, third = ids["1-1-1"], ids["1-2-1"], ids["1-3-1"]
    page = open_as(browser, s.url, "suzuki")
    try:
        page.get_by_role("tab", name="承認・履歴").click()
        open_in_queue(page, first)
        head = page.locator("#review-head")
        expect(head).to_contain_text(f"下書き {first}・版 1・下書き")
        expect(head).to_contain_text("チェックリスト判定")
        expect(head).to_contain_text("版 1: 作成 sato")
        expect(page.locator("#review-body")).to_contain_text(MACHINE)
        expect(page.locator("#review-body")).to_contain_text("要確認")
        mark = page.locator("#review-citations mark").first
        expect(mark).to_be_visible()
        assert mark.inner_text().strip() in page.inner_text("#review-citations")
        screenshot(page, "after_review_queue")

        page.click("#review-approve-next")  # approve what is shown, open the next
        expect(page.locator("#review-sign-msg")).to_contain_text(
            f"下書き {first} を承認しました。次の下書き {second} を開きました。", timeout=30_000
        )
        expect(head).to_contain_text(f"下書き {second}・版 1", timeout=30_000)
        expect(page.locator("#review-citations mark").first).to_be_visible()
        page.click("#review-approve-next")
        expect(page.locator("#review-sign-msg")).to_contain_text(
            f"下書き {second} を承認しました。次の下書き {third} を開きました。", timeout=30_000
        )
        expect(head).to_contain_text(f"下書き {third}・版 1", timeout=30_000)
        expect(page.locator("#review-count")).to_contain_text("承認待ち 3 件", timeout=30_000)
        with store_of(s) as store:
            for number in (first, second):
                d = store.get_draft(number)
                assert d.status == "approved" and d.signoff.actor == "suzuki"
                assert d.signoff.version == 1
            assert store.get_draft(third).status == "draft"  # shown, not yet approved
    finally:
        page.context.close()


def test_a_version_saved_after_opening_is_not_approved(served, browser):  # type: ignore[no-untyped-def]
    s, ids = served
    number = ids["1-3-2"]
    page = open_as(browser, s.url, "suzuki")
    try:
        page.get_by_role("tab", name="承認・履歴").click()
        open_in_queue(page, number)
        with store_of(s) as store:  # the auditor saves a version after the lead opened it
            d = store.get_draft(number)
            changed = {**d.payload, "advice": "秘密保持の存続期間も確認すること。"}
            store.edit(number, changed, "sato", "助言を補足", seen_version=1)
        page.click("#review-approve")
        refused = page.get_by_text(f"下書き {number} は、表示した版 1 のあとに")
        expect(refused).to_be_visible(timeout=30_000)
        with store_of(s) as store:
            assert store.get_draft(number).status == "draft"
        page.reload()  # close the message; the row opens version 2, which is then approved
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        page.get_by_role("tab", name="承認・履歴").click()
        open_in_queue(page, number)
        expect(page.locator("#review-head")).to_contain_text(f"下書き {number}・版 2")
        page.click("#review-approve")
        expect(page.locator("#review-sign-msg")).to_contain_text(
            f"下書き {number} を修正承認しました", timeout=30_000
        )
        with store_of(s) as store:
            d = store.get_draft(number)
            assert d.status == "approved_with_edits" and d.signoff.version == 2
    finally:
        page.context.close()


def _open_item(page: Any, draft_id: int) -> None:
    page.get_by_role("tab", name="チェックリスト審査").click()
    page.fill("#item-id input", str(draft_id))
    page.click("#item-open")
    expect(page.locator("#item-head")).to_contain_text(f"下書き {draft_id}・", timeout=30_000)


def test_a_changed_verdict_needs_the_reviewers_reason_which_replaces_the_machines(served, browser):  # type: ignore[no-untyped-def]
    s, _ = served
    number = _fresh_judgement(s)
    page = open_as(browser, s.url, "sato")
    try:
        _open_item(page, number)
        reason = page.locator("#edit-rationale textarea")
        expect(reason).to_have_value(MACHINE)  # pre-filled with the machine's reason, editable
        assert reason.is_editable()
        page.locator("#edit-verdict input").click()
        page.get_by_role("option", name="反映あり").click()
        page.click("#item-save")  # the reason is still the machine's
        expect(
            page.get_by_text("「判定の理由」欄を、変更後の判定の理由に書き換えて")
        ).to_be_visible(timeout=30_000)
        with store_of(s) as store:
            assert len(store.get_draft(number).versions) == 1  # nothing saved
        reason.fill(REVIEWER)
        page.click("#item-save")
        expect(page.locator("#item-save-msg")).to_contain_text("版 2", timeout=30_000)
        expect(page.locator("#item-head")).to_contain_text(REVIEWER)
        expect(page.locator("#item-head")).to_contain_text("判定を「要確認」から「反映あり」に変更")
        with store_of(s) as store:
            d = store.get_draft(number)
        assert d.payload["verdict"] == "反映あり" and d.payload["answer"] == "はい"
        assert d.payload["rationale"] == REVIEWER
        assert d.original.payload["rationale"] == MACHINE  # the machine's, kept in the history
    finally:
        page.context.close()


def _fresh_judgement(s: Served) -> int:
    """A new unsigned judgement by the auditor, citing what the others cite."""
    with store_of(s) as store:
        like = store.list_drafts(kind="checklist_judgement")[0]
        payload = {**like.original.payload, "item": "3-1-1"}
        return int(store.add_draft(like.run_id, "checklist_judgement", "x/3-1-1", payload, "sato"))


def test_a_signed_off_draft_is_read_only_with_reopen_for_the_lead_only(served, browser):  # type: ignore[no-untyped-def]
    s, ids = served
    number = ids["signed"]
    auditor = open_as(browser, s.url, "sato")
    try:
        _open_item(auditor, number)
        expect(auditor.locator("#item-locked")).to_contain_text("承認済で、確定しています")
        expect(auditor.locator("#item-save")).to_be_hidden()
        expect(auditor.locator("#edit-advice textarea")).to_be_disabled()
        expect(auditor.locator("#edit-rationale textarea")).to_be_disabled()
        expect(auditor.locator("#checklist-approve")).to_be_hidden()
        expect(auditor.locator("#checklist-reopen")).to_be_hidden()  # the lead's alone
    finally:
        auditor.context.close()
    lead = open_as(browser, s.url, "suzuki")
    try:
        _open_item(lead, number)
        expect(lead.locator("#item-locked")).to_contain_text("承認済で、確定しています")
        expect(lead.locator("#item-save")).to_be_hidden()
        expect(lead.locator("#checklist-approve")).to_be_hidden()
        expect(lead.locator("#checklist-reject")).to_be_hidden()
        expect(lead.locator("#edit-advice textarea")).to_be_disabled()
        expect(lead.locator("#checklist-reopen")).to_be_visible()
        lead.wait_for_timeout(500)  # let the rows settle before the screenshot
        screenshot(lead, "after_editing_signed")
        lead.fill("#checklist-reopen-reason textarea, #checklist-reopen-reason input", "再確認")
        lead.click("#checklist-reopen")
        expect(lead.locator("#checklist-sign-msg")).to_contain_text(
            "差し戻しました", timeout=30_000
        )
        expect(lead.locator("#item-save")).to_be_visible(timeout=30_000)  # a draft again
        expect(lead.locator("#edit-advice textarea")).to_be_editable()
        expect(lead.locator("#checklist-reopen")).to_be_hidden()
        expect(lead.locator("#item-locked")).to_have_text("")
    finally:
        lead.context.close()
    with store_of(s) as store:
        assert store.get_draft(number).status == "draft"


def test_a_sign_off_error_names_no_command(served):  # type: ignore[no-untyped-def]
    """What the store says to a change of a signed-off draft fits the browser as the terminal."""
    s, _ = served
    number = _fresh_judgement(s)
    with store_of(s) as store:
        store.approve(number, "suzuki")
        with pytest.raises(UserError) as refused:
            store.edit(number, {**store.get_draft(number).payload, "advice": "別"}, "sato")
    assert "copilot" not in refused.value.ja and "copilot" not in refused.value.en
    assert "承認済で、確定しています" in refused.value.ja and "差し戻し" in refused.value.ja


def test_every_kind_of_draft_has_a_japanese_name() -> None:
    """The queue names each kind the store keeps in Japanese; answers need no sign-off."""
    from copilot.review.drafts import DRAFT_MODELS
    from copilot.review.labels import KIND_JA, SIGN_OFF_KINDS

    assert set(DRAFT_MODELS) <= set(KIND_JA)
    assert not any(name.isascii() for name in KIND_JA.values())
    assert KIND_JA["checklist_judgement"] == "チェックリスト判定" and KIND_JA["answer"] == "回答"
    assert "answer" not in SIGN_OFF_KINDS and "hearing_reply" not in SIGN_OFF_KINDS


def test_an_api_save_without_the_reason_keeps_the_one_shown(served):  # type: ignore[no-untyped-def]
    """A caller of the save endpoint that leaves the reason out (as before the field existed)
    keeps the reason shown when the verdict stays, and is refused when it changes."""
    from gradio_client.exceptions import AppError

    from tests.served import Logins
    from tests.test_security_api import endpoint

    s, _ = served
    number = _fresh_judgement(s)
    logins = Logins(s.url, password)
    try:
        sato = logins("sato")
        sato.predict(number, api_name=endpoint(sato, trigger="item-open"))
        save = endpoint(sato, trigger="item-save")
        saved = sato.predict(number, "要確認", "助言を補足した。", "", "補足", api_name=save)
        assert f"下書き {number} を版 2 として保存しました" in saved
        with pytest.raises(AppError) as refused:
            sato.predict(number, "反映あり", "助言を補足した。", "", "", api_name=save)
        assert "「判定の理由」欄を、変更後の判定の理由に書き換えて" in str(refused.value)
    finally:
        logins.close()
    with store_of(s) as store:
        d = store.get_draft(number)
    assert [v.version for v in d.versions] == [1, 2] and d.payload["rationale"] == MACHINE
