"""The checklist desk in a real browser (Debian's Chromium through Playwright), over a copy of the
ingested sample corpus: the table in the checklist's item order with the questions, coloured
where the auditor should look first; the latest run shown again after a reload; a re-run (from
the browser and from the CLI) adding versions instead of drafts; the filters; the checklist
result and the ledger check as Excel from the browser; the CISO deck naming the screen.

The checklist is run once in the browser for the module (``judged``); the re-run tests run it
once more each (browser, then CLI)."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser import CHROMIUM, ForeignRequests, chromium, free_port, screenshot
from tests.conftest import ROOT

BROWSER = (
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
)


def in_browser(test):  # type: ignore[no-untyped-def]
    """Mark a test that drives the app in Chromium."""
    for mark in BROWSER:
        test = mark(test)
    return test


CHECKLIST = ROOT / "corpus_public" / "checklists" / "外部サービス利用時チェックリスト.xlsx"
# A contract this module writes: C-2026-001's documents with every other duty turned into a bare
# statement (「…する予定である。」), which the drafter is not sure binds anyone. Its id sorts
# first, so the desk opens with it.
CONTRACT = "C-2025-901"
OTHER = "C-2026-002"
USERS = (
    ("admin", "管理者", "admin"),
    ("sato", "佐藤 花子", "auditor"),
    ("suzuki", "鈴木 一郎", "lead"),
)
REVIEW = "rgb(248, 215, 218)"  # 要確認
LOW = "rgb(255, 243, 205)"  # confidence below 0.65
FOREIGN = ForeignRequests()


def password(name: str) -> str:
    return f"{name}-password-1"


def _statement_contract(dest: Path) -> None:
    """C-2026-001's documents, every other duty (「…しなければならない。」) a bare statement."""
    import docx

    dest.mkdir(parents=True)
    n = 0
    for f in sorted((ROOT / "corpus_public" / "contracts" / "C-2026-001").glob("*.docx")):
        d = docx.Document(str(f))
        for p in d.paragraphs:
            new = re.sub(
                r"(しなければならない|するものとする|すること)。$", "する予定である。", p.text
            )
            if new != p.text:
                n += 1
                if n % 2 == 0:
                    for run in p.runs[1:]:
                        run.text = ""
                    p.runs[0].text = new
        d.save(str(dest / f.name))


@pytest.fixture(scope="module")
def app_settings(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings over a copy of the ingested corpus, with an auditor, a lead and the admin."""
    from copilot.review.store import open_store
    from copilot.services import build_services
    from copilot.settings import load_settings

    root = tmp_path_factory.mktemp("desk")
    data = root / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    # a city that has only the least sure judgements (below 0.4) marked 要確認 by the drafter:
    # the bare statements' 0.45 stays the verdict it leans to, coloured as low confidence
    settings = load_settings(data_dir=data, evidence_review_below=0.4)
    _statement_contract(root / "docs" / "contracts" / CONTRACT)
    services = build_services(settings)
    try:
        report = services.ingest([root / "docs"])
    finally:
        services.close()
    assert not report.failed and report.count("added") == 3, report.results
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


def log_in(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password(name))
    page.press("input[type=password]", "Enter")
    page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)


@pytest.fixture(scope="module")
def auditor(browser, app_url: str):  # type: ignore[no-untyped-def]
    """The auditor's page on a 1366-pixel-wide screen, logged in, on the checklist tab."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    FOREIGN.watch(page)
    page.goto(app_url)
    log_in(page, "sato")
    page.get_by_role("tab", name="チェックリスト審査").click()
    yield page
    context.close()


@pytest.fixture(scope="module")
def judged(auditor):  # type: ignore[no-untyped-def]
    """The auditor has run the checklist against the first contract once, in the browser."""
    expect(auditor.locator("#c-contract input")).to_have_value(CONTRACT, timeout=30_000)
    auditor.get_by_role("button", name="審査を実行").click()
    auditor.wait_for_selector("#run-msg :text('29 項目を判定')", timeout=600_000)
    return auditor


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    yield
    assert not FOREIGN, f"the page asked hosts other than loopback: {FOREIGN}"


def items() -> list[tuple[str, str]]:
    from copilot.audit.checklists import import_checklist

    return [(it.id, it.text) for it in import_checklist(CHECKLIST).items]


def stored(settings) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The contract's judgement drafts by item, read through the store (every draft kept)."""
    from copilot.review.store import open_store

    with open_store(settings) as store:
        drafts = store.list_drafts(kind="checklist_judgement", key_prefix=f"{CONTRACT}/")
    return {d.key.split("/", 1)[1]: d for d in drafts}


def table_rows(page) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The table's rows as shown: each row's cells, the hidden draft number first."""
    return page.eval_on_selector_all(
        "#checklist-table .virtual-row",
        "rows => rows.map(r => [...r.querySelectorAll('[role=gridcell]')]"
        ".map(c => c.innerText.trim()))",
    )


def wait_rows(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "n => document.querySelectorAll('#checklist-table .virtual-row').length === n"
        " && [...document.querySelectorAll('#checklist-table .virtual-row [data-col=\"1\"]')]"
        ".every(c => c.innerText.trim())",
        arg=n,
        timeout=60_000,
    )


@in_browser
def test_table_shows_items_in_order_with_their_questions(judged, app_settings):
    page = judged
    wait_rows(page, 29)
    rows = table_rows(page)
    assert [(r[1], r[2]) for r in rows] == items()  # item number and question, sheet order
    drafts = stored(app_settings)
    for r in rows:
        d = drafts[r[1]]
        p = d.payload
        assert r[0] == str(d.id) and r[3] == p["verdict"] and r[4] == f"{p['confidence']:.2f}"
        met = [e["label"] for e in p["elements"] if e["status"] == "met"]
        short = [e["label"] for e in p["elements"] if e["status"] != "met"]
        assert all(label in r[5] for label in met) and all(label in r[6] for label in short)
        assert r[7] == "下書き"
        assert r[3] != "要確認" and p["confidence"] >= 0.4  # the city's setting: none flagged
    assert any(r[5] for r in rows) and any(r[6] for r in rows)
    headers = page.eval_on_selector_all(
        "#checklist-table thead th",
        "hs => hs.filter(h => getComputedStyle(h).display !== 'none').map(h => h.innerText)",
    )
    assert [h.strip() for h in headers][:3] == ["番号", "確認事項", "判定"]
    # the draft number is there for the editor, but not shown; nothing runs off the screen
    assert not page.locator("#checklist-table [role=gridcell][data-col='0']").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    box = page.locator("#checklist-table").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366


@in_browser
def test_a_row_opens_its_quotes_advice_and_wording_in_place(judged, app_settings):
    page = judged
    wait_rows(page, 29)
    drafts = stored(app_settings)
    rows = table_rows(page)
    k, item = next(
        (k, r[1])
        for k, r in enumerate(rows)
        if drafts[r[1]].payload["evidence"] and drafts[r[1]].payload["proposed_wording"]
    )
    p = drafts[item].payload
    page.locator("#checklist-table .virtual-row").nth(k).locator("[data-col='2']").click()
    expect(page.locator("#item-head")).to_contain_text(
        f"下書き {drafts[item].id}・版 1", timeout=30_000
    )
    expect(page.locator("#item-citations mark").first).to_be_visible()
    expect(page.locator("#edit-advice textarea")).to_have_value(p["advice"])
    expect(page.locator("#edit-wording textarea")).to_have_value(p["proposed_wording"])
    for pane in ("#item-citations", "#edit-advice", "#edit-wording"):
        box = page.locator(pane).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366, pane
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


@in_browser
def test_review_and_low_confidence_rows_are_coloured(judged, app_settings):
    from copilot.review.store import open_store

    page = judged
    wait_rows(page, 29)
    drafts = stored(app_settings)
    # the auditor marks a sure item 要確認 (as the editor saves it: a new version)
    sure = next(d for d in drafts.values() if d.payload["confidence"] >= 0.65)
    with open_store(app_settings) as store:
        store.edit(
            sure.id,
            {**sure.payload, "verdict": "要確認", "answer": "未回答"},
            "sato",
            "契約書の別紙を確かめてから判断する",
            seen_version=sure.latest.version,
        )
    filters = page.locator("#checklist-filter")
    filters.get_by_label("要確認のみ").check()  # the table read again from the store
    wait_rows(page, 1)
    filters.get_by_label("要確認のみ").uncheck()
    wait_rows(page, 29)
    drafts = stored(app_settings)
    colours = page.eval_on_selector_all(
        "#checklist-table .virtual-row",
        "rows => rows.map(r => [r.querySelector('[data-col=\"1\"]').innerText.trim(),"
        " getComputedStyle(r.querySelector('[data-col=\"3\"]')).backgroundColor])",
    )
    seen = set()
    for item, colour in colours:
        p = drafts[item].payload
        want = REVIEW if p["verdict"] == "要確認" else LOW if p["confidence"] < 0.65 else None
        if want:
            assert colour == want, (item, p["verdict"], p["confidence"], colour)
        else:
            assert colour not in (REVIEW, LOW), (item, colour)
        seen.add(want)
    assert {REVIEW, LOW, None} <= seen  # each kind of row is there
    screenshot(page, "after_checklist_desk")


@in_browser
def test_a_reload_shows_the_latest_run(judged, app_settings):
    page = judged
    page.reload()
    page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
    page.get_by_role("tab", name="チェックリスト審査").click()
    wait_rows(page, 29)  # read from the store: nothing pressed
    assert [r[1] for r in table_rows(page)] == [i for i, _ in items()]
    # another contract, not judged yet: an empty table; back again: the run is there
    page.locator("#c-contract input").click()
    page.get_by_role("option", name=OTHER).click()
    wait_rows(page, 0)
    page.locator("#c-contract input").click()
    page.get_by_role("option", name=CONTRACT).click()
    wait_rows(page, 29)


@in_browser
def test_filters_keep_review_items_and_unsigned_items(judged, app_settings):
    from copilot.review.store import open_store

    page = judged
    wait_rows(page, 29)
    drafts = stored(app_settings)
    flagged = sorted(i for i, d in drafts.items() if d.payload["verdict"] == "要確認")
    assert flagged
    page.locator("#checklist-filter").get_by_label("要確認のみ").check()
    wait_rows(page, len(flagged))
    assert sorted(r[1] for r in table_rows(page)) == flagged
    page.locator("#checklist-filter").get_by_label("要確認のみ").uncheck()
    wait_rows(page, 29)
    first = drafts[items()[0][0]]
    with open_store(app_settings) as store:  # the lead signs one item off
        store.approve(first.id, "suzuki", seen_version=first.latest.version)
    page.locator("#checklist-filter").get_by_label("未承認のみ").check()
    wait_rows(page, 28)
    assert items()[0][0] not in [r[1] for r in table_rows(page)]
    page.locator("#checklist-filter").get_by_label("未承認のみ").uncheck()
    wait_rows(page, 29)


def _signed_one(settings) -> None:  # type: ignore[no-untyped-def]
    """Make sure at least one item is signed off (the lead approves the first if none is)."""
    from copilot.review.store import open_store

    drafts = stored(settings)
    if not any(d.status != "draft" for d in drafts.values()):
        first = drafts[items()[0][0]]
        with open_store(settings) as store:
            store.approve(first.id, "suzuki", seen_version=first.latest.version)


@in_browser
def test_a_second_run_adds_versions_not_drafts(judged, app_settings):
    from copilot.errors import UserError
    from copilot.review.store import open_store

    page = judged
    _signed_one(app_settings)
    before = stored(app_settings)
    with open_store(app_settings) as store:
        every = store.list_drafts(kind="checklist_judgement", key_prefix=f"{CONTRACT}/")
    assert len(every) == 29  # one draft per item
    signed = {i for i, d in before.items() if d.status != "draft"}
    with open_store(app_settings) as store:
        runs = len(store.list_runs("checklist_run"))
        page.get_by_role("button", name="審査を実行").click()
        for _ in range(900):  # until the run is kept (a hung run fails, not hangs, the test)
            if len(store.list_runs("checklist_run")) > runs:
                break
            time.sleep(1)
        else:
            pytest.fail("the second run was never kept")
    message = f"新しい版 {29 - len(signed)} 件、承認・却下済みのため据え置き {len(signed)} 件"
    expect(page.locator("#run-msg")).to_contain_text(message, timeout=60_000)
    after = stored(app_settings)
    with open_store(app_settings) as store:
        every = store.list_drafts(kind="checklist_judgement", key_prefix=f"{CONTRACT}/")
        assert len(every) == 29
        for item, d in after.items():
            old = before[item]
            assert d.id == old.id
            if item in signed:
                assert d.latest.version == old.latest.version and d.status == old.status
            else:
                assert d.latest.version == old.latest.version + 1 and d.status == "draft"
                assert d.versions[:-1] == old.versions  # the history kept
        # whoever had read the earlier version cannot save over the new one unseen
        item = next(i for i in after if i not in signed)
        with pytest.raises(UserError, match="表示した版"):
            store.edit(
                after[item].id,
                {**after[item].payload, "advice": "古い版を見て書いた助言。"},
                "sato",
                seen_version=before[item].latest.version,
            )
    wait_rows(page, 29)


@in_browser
def test_excel_in_the_citys_form_from_the_browser(judged, app_settings, tmp_path: Path):
    page = judged
    _signed_one(app_settings)
    page.locator("#checklist-xlsx-drafts input").check()
    page.get_by_role("button", name="Excel（市の様式）を出力").click()
    link = page.wait_for_selector("#checklist-xlsx a", timeout=60_000)
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "checklist.xlsx"
    info.value.save_as(path)
    ws = load_workbook(path).worksheets[0]
    state = next((c.row, c.column) for row in ws.iter_rows() for c in row if c.value == "状態")
    drafts = stored(app_settings)
    from copilot.audit.checklists import import_checklist

    for it in import_checklist(CHECKLIST).items:
        d = drafts[it.id]
        answer = ws.cell(it.row, 3).value or ""
        if d.payload["answer"] == "はい":
            assert "■はい" in answer, it.id
        elif d.payload["answer"] == "いいえ":
            assert "■いいえ" in answer, it.id
        else:
            assert "■" not in answer, it.id
        shown = ws.cell(it.row, state[1]).value or ""
        assert ("【下書き】" in shown) == (d.status == "draft"), (it.id, shown)
    assert path.stat().st_size > 0
    assert "/" not in info.value.suggested_filename and CONTRACT in info.value.suggested_filename


@in_browser
def test_ledger_check_as_excel_from_the_browser(auditor, app_settings, tmp_path: Path):
    from copilot.audit.ledger import check_ledger
    from copilot.exports.ledger import LEDGER_HEADERS
    from copilot.services import build_services

    page = auditor
    page.get_by_role("tab", name="台帳照合").click()
    page.locator("#l-contract input").click()
    page.get_by_role("option", name=OTHER).click()
    page.get_by_role("button", name="Excel を出力").click()
    link = page.wait_for_selector("#ledger-xlsx a", timeout=60_000)
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "ledger.xlsx"
    info.value.save_as(path)
    ws = load_workbook(path)["台帳照合結果"]
    assert [c.value for c in ws[6]] == list(LEDGER_HEADERS)
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=7)]
    services = build_services(app_settings)
    try:
        ledger = next((ROOT / "corpus_public" / "ledger").glob("*.xlsx"))
        check = check_ledger(services, ledger, OTHER)
    finally:
        services.close()
    want = [(f.item, f.status) for row in check.rows for f in row.fields]
    assert want and len(body) == len(want)
    assert all(
        r[2].startswith(item) and r[4] == status
        for r, (item, status) in zip(body, want, strict=True)
    )
    assert all(r[0] == row.number for row in check.rows for r in body)
    page.get_by_role("tab", name="チェックリスト審査").click()


@in_browser
def test_the_cli_rerun_adds_versions_too(judged, app_settings, monkeypatch, capsys):
    from copilot.cli.main import main

    before = stored(app_settings)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(app_settings.data_dir))
    monkeypatch.setenv("COPILOT_PASSWORD", password("sato"))
    monkeypatch.setenv("COPILOT_EVIDENCE_REVIEW_BELOW", "0.4")
    argv = ["checklist", "run", "--checklist", str(CHECKLIST), "--contract", CONTRACT]
    assert main([*argv, "--user", "sato"]) == 0
    assert "29 項目を判定しました" in capsys.readouterr().err
    after = stored(app_settings)
    assert sorted(after) == sorted(before)
    assert sum(a.latest.version == before[i].latest.version + 1 for i, a in after.items()) == sum(
        d.status == "draft" for d in before.values()
    )


def test_the_ciso_deck_names_the_screen_not_a_command(tmp_path: Path):
    from pptx import Presentation

    from tests.test_briefing import _store_with_drafts, deck, slide_text

    _store_with_drafts()
    prs = Presentation(str(deck("results", tmp_path / "監査結果説明.pptx")))
    last = slide_text(prs.slides[-1])
    assert "「台帳照合」画面" in last and "copilot" not in last and "`" not in last


# --- the rule, through the store: fast, no browser ------------------------------------------


def _run(contract: str, verdict: str):  # type: ignore[no-untyped-def]
    from copilot.audit.checklist_run import ChecklistRun
    from copilot.schemas import ANSWER_OF, ChecklistJudgement

    return ChecklistRun(
        contract=contract,
        checklist="外部サービス利用時チェックリスト",
        judgements=[
            ChecklistJudgement(
                item=i,
                contract=contract,
                verdict=verdict,
                answer=ANSWER_OF[verdict],
                rationale=f"{i} の判定（{verdict}）。",
            )
            for i, _ in items()
        ],
    )


def test_the_rerun_rule_through_the_store(corpus_services, tmp_path: Path):
    from copilot.review.checklist_runs import latest_judgements, save_checklist_run
    from copilot.review.store import ReviewStore

    with ReviewStore(tmp_path / "review.sqlite") as store:
        for name, display, role in USERS:
            store.add_user(
                name, display, role, password(name), by=None if role == "admin" else "admin"
            )
        sato = store.get_user("sato")
        first = save_checklist_run(store, sato, corpus_services, _run("C-X", "反映あり"), CHECKLIST)
        assert first.count("created") == 29 and first.message() == (
            "29 項目を判定しました。内訳は、新しい下書き 29 件です。"
        )
        d = latest_judgements(store, "C-X")
        ids = [d[i].id for i, _ in items()]
        store.approve(ids[0], "suzuki")
        store.reject(ids[1], "suzuki", "根拠の条項が違う")
        store.approve(ids[2], "suzuki")
        store.reopen(ids[2], "suzuki", "別紙が追加されたため判定し直す")
        store.edit(ids[3], {**d[items()[3][0]].payload, "advice": "担当者の助言。"}, "sato")
        again = save_checklist_run(store, sato, corpus_services, _run("C-X", "一部反映"), CHECKLIST)
        assert (again.count("created"), again.count("version"), again.count("signed")) == (
            0,
            27,
            2,
        )
        assert again.message() == (
            "29 項目を判定しました。内訳は、新しい版 27 件、承認・却下済みのため据え置き 2 件です。"
            "新しい版のうち 1 件は担当者が修正していた項目で、修正した版は履歴に残っています。"
            "据え置いた項目を判定し直すには、主任担当者が差し戻してから"
            "もう一度実行してください。"
        )
        after = latest_judgements(store, "C-X")
        assert [after[i].id for i, _ in items()] == ids  # no new draft
        assert len(store.list_drafts(kind="checklist_judgement")) == 29
        verdicts = [after[i].payload["verdict"] for i, _ in items()]
        assert verdicts[:2] == ["反映あり", "反映あり"]  # as signed off
        assert set(verdicts[2:]) == {"一部反映"}  # the reopened one judged again too
        assert [len(after[i].versions) for i, _ in items()[:5]] == [1, 1, 3, 3, 2]
        assert after[items()[3][0]].versions[1].payload["advice"] == "担当者の助言。"  # history
        # a re-run's version signed off unchanged is a plain approval, not 修正承認
        assert store.approve(ids[4], "suzuki") == "approve"
        assert store.verify().ok
