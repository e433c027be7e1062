"""The audit-result notice a city can send (issue 30, point 7).

Page 1 is a letter: 文書番号, date, 宛先 and sender from the engagement file, the title, a preface,
then 記 and the first finding on the same page (checked in LibreOffice's PDF and looked at as a
PNG). Sources are named by document title and clause, never by a file path. The findings of one
contract are merged by the checklist's group, each with the risk of what its items lack. A
blank division is refused; an audited division with no findings gets a sentence saying so.
Findings come from a real checklist run over the ingested sample corpus; the notice is read back
with python-docx; the UI's download is driven in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from copilot.audit.checklist_run import ChecklistRun, run_checklist
from copilot.audit.checklists import import_checklist
from copilot.audit.findings import FindingsDraft, from_checklist
from copilot.cli.main import main
from copilot.drafting.drafters import make_drafter
from copilot.drafting.profiles import load_profiles
from copilot.engagement.file import load_engagement
from copilot.errors import UserError
from copilot.schemas import Engagement, ReviewInfo
from copilot.services import build_services
from copilot.settings import load_settings
from eval.scans import SOFFICE, office_save
from tests.browser import CHROMIUM, SCREENSHOTS, chromium, screenshot
from tests.conftest import CORPUS, ROOT
from tests.served import serving

EXAMPLE = ROOT / "examples" / "engagement.toml"
CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
WELFARE = "健康福祉局福祉政策課"
TAX = "財政局税務課"  # the fourth audited division of the example: 架空監第15号
APPROVED = ReviewInfo(status="approved", reviewer="鈴木 一郎", reviewed_at="2027-02-10")
DAY = date(2026, 12, 7)
# a stored document's id (contracts/C-2026-002/仕様書.docx) or any file name with its suffix
PATHS = re.compile(
    r"\b(contracts|policy|guideline|checklists|ledger|self_check)/|\.(docx|pdf|xlsx|md)\b"
)


@pytest.fixture(scope="module")
def drafted(corpus_data_dir: Path) -> tuple[ChecklistRun, FindingsDraft, dict[str, str]]:
    """C-2026-002 judged by the built-in drafter, its findings, and the documents' titles."""
    services = build_services(load_settings(data_dir=corpus_data_dir))
    try:
        checklist = import_checklist(CHECKLIST)
        drafter = make_drafter("evidence", services.settings)
        run = run_checklist(services, checklist, "C-2026-002", drafter)
        items = {i.id: i for i in checklist.items}
        draft = from_checklist(services, run, drafter, WELFARE, items)
        titles = {d.doc_id: d.title for d in services.index.documents()}
    finally:
        services.close()
    return run, draft, titles


def _engagement() -> Engagement:
    return load_engagement(EXAMPLE)


def _notice(drafted: Any, out: Path) -> Path:
    from copilot.exports.notice import export_notice, letterhead

    _, draft, titles = drafted
    head = letterhead(_engagement(), WELFARE, DAY)
    findings = [(f, APPROVED) for f in draft.findings]
    return export_notice(WELFARE, findings, out, head, titles=titles)


def _texts(path: Path) -> list[str]:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return [p.text for p in doc.paragraphs] + cells


def _judged(run: ChecklistRun) -> list[str]:
    return [j.item for j in run.judgements if j.verdict in ("反映なし", "一部反映")]


def test_findings_of_one_contract_are_merged_by_topic_each_with_its_own_risk(drafted):
    run, draft, _ = drafted
    judged, findings = _judged(run), draft.findings
    assert len(judged) >= 10  # the sample contract lacks much: worth merging
    assert 0 < len(findings) < len(judged)
    risks = [f.risk for f in findings]
    assert len(set(risks)) == len(risks), "each finding has a risk of its own"
    for item in judged:  # every item judged short is listed in exactly one finding
        assert sum(f"・設問 {item}（" in f.finding for f in findings) == 1, item
    for f in findings:
        assert not f.title.startswith("設問") and not f.title.endswith("の事項"), f.title
        for text in (f.finding, f.risk, f.recommendation):  # whole sentences
            assert all(line.endswith("。") for line in text.split("\n")), text
        assert "記載例" in f.recommendation
    # the sub-contracting item: a title written for it, the profile's own risk and wording
    (sub,) = [f for f in findings if "設問 1-5-1（" in f.finding]
    assert sub.title == "外部サービス利用契約における再委託の管理"
    element = next(
        e for e in load_profiles()["subcontracting"].elements if e.id == "prior_approval"
    )
    assert element.risk in sub.risk and element.proposal in sub.recommendation
    assert sub.rating == "意見"  # 一部反映 only; a group with a 反映なし item is a 指摘
    assert {f.rating for f in findings} == {"指摘", "意見"}


def test_the_notice_reads_back_with_its_head_and_sources_by_title_and_clause(drafted, tmp_path):
    path = _notice(drafted, tmp_path / "通知.docx")
    doc = Document(str(path))
    head = [p.text for p in doc.paragraphs[:5]]
    assert head == [
        "架空監第12号",
        "令和8年12月7日",
        "架空市長　様",
        "架空監査法人",
        "代表社員　鈴木 一郎",
    ]
    texts = _texts(path)
    assert not [t for t in texts if PATHS.search(t)], "no file path anywhere in the notice"
    rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    documents = {r[1] for r in rows if r[0] in ("判断基準", "確認した証跡")}
    assert {"架空市外部サービス利用ガイドライン", "仕様書", "契約書"} <= documents
    assert ["確認した証跡", "契約書", "第4条第3項"] in [r[:3] for r in rows]
    _, draft, _ = drafted
    numbered = [p.text for p in doc.paragraphs if re.match(r"^(指摘|意見)\d+　", p.text)]
    assert len(numbered) == len(draft.findings)
    for f in draft.findings:
        assert f.risk in texts


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_ki_and_the_first_finding_are_on_page_one(drafted, tmp_path):
    import pypdfium2 as pdfium

    path = _notice(drafted, tmp_path / "通知.docx")
    pdf = pdfium.PdfDocument(str(office_save(path, "pdf", "", tmp_path / "pdf")))
    try:
        first = re.sub(r"\s", "", pdf[0].get_textpage().get_text_range())
        for said in ("架空監第12号", "令和8年12月7日", "架空市長様", "架空監査法人", "記"):
            assert said in first, said
        assert "第1指摘事項" in first and "指摘1" in first and "（1）発見事項" in first
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        png = SCREENSHOTS / "after_notice_page1.png"
        pdf[0].render(scale=1.5).to_pil().save(png)
        assert png.stat().st_size > 20_000
    finally:
        pdf.close()


def test_a_blank_division_is_refused_and_one_without_findings_gets_a_sentence(tmp_path, capsys):
    from copilot.exports.notice import export_notice, letterhead

    out = tmp_path / "out"
    with pytest.raises(UserError, match="対象課が空です"):
        export_notice(" ", [], out / "通知.docx")
    with pytest.raises(UserError, match="対象課が空です"):
        letterhead(_engagement(), "")
    with pytest.raises(UserError, match=WELFARE):  # not audited: the message lists who is
        letterhead(_engagement(), "存在しない課")
    assert not out.exists()
    path = export_notice(TAX, [], out / "通知.docx", letterhead(_engagement(), TAX, DAY))
    texts = _texts(path)
    assert f"{TAX}について、指摘すべき事項は認められませんでした。" in texts
    assert "架空監第15号" in texts and not [t for t in texts if "発見事項がありません" in t]

    # the CLI: a blank division is refused in words that name the fix; an audited one is written
    argv = ["export", "notice", "--out", str(tmp_path / "cli.docx")]
    assert main([*argv, "--division", "", "--engagement", str(EXAMPLE)]) == 2
    said = capsys.readouterr().err
    assert "対象課が空です" in said and "の発見事項がありません" not in said
    assert main([*argv, "--division", TAX, "--engagement", str(EXAMPLE)]) == 0
    assert f"{TAX}について、指摘すべき事項は認められませんでした。" in _texts(tmp_path / "cli.docx")


def _without_notice(tmp_path: Path, notice: str = "") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").split("\n[notice]")[0]
    path = tmp_path / "engagement.toml"
    path.write_text(text + (f"\n[notice]\n{notice}\n" if notice else ""), encoding="utf-8")
    return path


def test_the_engagement_files_notice_fields_are_optional_and_checked(tmp_path):
    from copilot.exports.notice import letterhead

    plain = load_engagement(_without_notice(tmp_path))  # a file written before: still loads
    head = letterhead(plain, WELFARE, DAY)
    assert (head.number, head.addressee) == ("第　　号", "架空市長")
    assert head.sender == ("統括責任者　鈴木 一郎",)  # the team's 統括責任者
    assert head.period == "令和8年7月1日から令和9年3月25日まで"
    bad = {
        'number = "架空監第{x}号"': "notice.number",
        'addressee = "架空市長様"': "notice.addressee",
        "date = 2025-12-01": "notice.date",
        'firm = "架空監査法人\\n第二部"': "notice.firm",
        'sender = "架空監査法人"': "notice.sender",  # a misspelt field is named
    }
    for line, field in bad.items():
        with pytest.raises(UserError, match=re.escape(field)) as exc:
            load_engagement(_without_notice(tmp_path, line))
        assert exc.value.ja and exc.value.en, line


# --- the 発見事項 tab: the notice downloads headed from the engagement file -----------------

LEAD = ("suzuki", "鈴木 一郎", "lead")
FINDING = {
    "division": WELFARE,
    "title": "外部サービス利用契約における再委託の管理",
    "finding": "契約書類に再委託の事前承認が定められていなかった。",
    "rating": "意見",
    "risk": "市が把握しない事業者に市の情報が渡るおそれがある。",
    "recommendation": "再委託の事前承認を契約書類に定めるよう検討されたい。",
}


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """`copilot serve` over an empty data folder holding one approved finding of WELFARE."""
    from copilot.review.store import open_store

    data = tmp_path / "data"
    with open_store(load_settings(data_dir=data, separate_duties=False)) as store:
        store.add_user("admin", "管理者", "admin", "admin-password-1", by=None)
        store.add_user(*LEAD, "suzuki-password-1", by="admin")
        run = store.record_run(
            "findings_draft",
            {"division": WELFARE},
            settings_digest="s",
            drafter="evidence",
            model="evidence",
            prompt="finding",
            prompt_version="v1",
            prompt_hash="p",
            evidence_ids=[],
            user="suzuki",
        )
        draft = store.add_draft(run, "finding", f"{WELFARE}/1", FINDING, "suzuki")
        store.approve(draft, "suzuki", "確認した", seen_version=1)
    with serving(data, tmp_path / "serve.log") as (_, url):
        yield url


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)")
def test_the_findings_tab_downloads_the_notice_headed_from_the_engagement_file(app_url, tmp_path):
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_context(
            locale="ja-JP", viewport={"width": 1400, "height": 1000}
        ).new_page()
        page.goto(app_url)
        page.fill("input[type=text]", "suzuki")
        page.fill("input[type=password]", "suzuki-password-1")
        page.press("input[type=password]", "Enter")
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        page.get_by_role("tab", name="発見事項").click()
        page.fill("#division textarea, #division input", WELFARE)
        page.get_by_role("button", name="監査結果通知書（案）を出力").click()
        link = page.wait_for_selector("#notice a", timeout=60_000)
        screenshot(page, "after_notice_tab")
        with page.expect_download() as info:
            link.click()
        target = tmp_path / "notice.docx"
        info.value.save_as(target)
        texts = _texts(target)
        assert texts[:4] == ["架空監第12号", texts[1], "架空市長　様", "架空監査法人"]
        assert "意見1　" + FINDING["title"] in texts and FINDING["risk"] in texts
        # a blank division: refused where the user is, in words that name the fix
        page.fill("#division textarea, #division input", "")
        page.get_by_role("button", name="監査結果通知書（案）を出力").click()
        toast = page.locator("[data-testid=toast-body]")
        expect(toast).to_contain_text("対象課が空です", timeout=30_000)
        assert "の発見事項がありません" not in toast.inner_text()
        page.context.close()
