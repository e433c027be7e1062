"""Briefing decks (PowerPoint) read back: the plan, the results and the final deck.

Decks are written through the CLI from a real review store and the sample engagement file, read
back with python-pptx, converted to PDF by LibreOffice and rendered to PNG with pypdfium2; a
measure of each text box's wrapped text (IPAex glyph widths) checks that no text runs outside it.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from copilot.cli.main import main
from copilot.engagement.file import load_engagement
from copilot.engagement.final_report import compile_final_report
from copilot.engagement.workplan import PHASES, build_workplan
from copilot.exports.briefing import CHART_VERDICTS, NO_LEDGER, export_results_briefing, group_of
from copilot.exports.slides import MAX_BULLETS, MAX_FOOTNOTES
from copilot.review.store import open_store
from copilot.schemas import MILESTONES, VERDICTS, Finding
from copilot.settings import load_settings
from eval.scans import SOFFICE, office_save
from tests.test_engagement import (
    ADVICE,
    APPROVED_FINDING,
    CITIZENS,
    DRAFT_FINDING,
    EXAMPLE,
    JUDGEMENTS,
    REJECTED_FINDING,
    SCHOOLS,
    STANDARD,
    WELFARE,
    _store_with_drafts,
    cite,
)
from tests.test_exports import ledger_check

EXCEL_EPOCH = date(1899, 12, 30)
IPAEX_GOTHIC = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
# Rendered slides are kept for a person to look at, beside the UI's screenshots
SLIDES = Path(__file__).resolve().parents[1] / "artifacts" / "slides"
SIGNED = {"1-1-1", "1-5-1"}  # the judgements _store_with_drafts approves; 1-8-3 stays a draft


def deck(kind: str, out: Path, *extra: str) -> Path:
    argv = ["export", "briefing", "--for", kind, "--engagement", str(EXAMPLE), "--out", str(out)]
    assert main([*argv, *extra]) == 0
    return out


def title(slide: object) -> str:
    shapes = slide.shapes  # type: ignore[attr-defined]
    return next(s.text_frame.text for s in shapes if s.name == "title")


def slide_text(slide: object) -> str:
    shapes = slide.shapes  # type: ignore[attr-defined]
    return "\n".join(s.text_frame.text for s in shapes if s.has_text_frame)


def charts(slide: object) -> list[Chart]:
    return [s.chart for s in slide.shapes if s.has_chart]  # type: ignore[attr-defined]


def marked(slide: object) -> bool:
    return any(s.name == "draft-mark" for s in slide.shapes)  # type: ignore[attr-defined]


def series(chart: Chart) -> dict[str, list[float]]:
    return {s.name: list(s.values) for s in chart.plots[0].series}


# --- the plan deck ---------------------------------------------------------------------------


def test_plan_deck_has_purpose_scope_team_and_the_wbs_chart(tmp_path: Path, capsys):
    out = deck("plan", tmp_path / "作業計画説明.pptx")
    assert capsys.readouterr().out.strip() == str(out)
    prs = Presentation(str(out))
    titles = [title(s) for s in prs.slides]
    assert titles[0] == "令和8年度　情報セキュリティ監査業務　作業計画の説明"
    assert titles[1:] == [
        "1　目的",
        "2　監査の範囲",
        "3　実施体制と役割",
        "WBS（工程）とマイルストーン",
    ]
    e = load_engagement(EXAMPLE)
    plan = build_workplan(e)
    text = "\n".join(slide_text(s) for s in prs.slides)
    assert "CISO への説明" in slide_text(prs.slides[0])
    assert e.focus_theme in text and "独立かつ専門的な立場" in text
    for div in e.divisions:
        assert div in slide_text(prs.slides[2])
    for c in e.contracts:
        assert f"{c.id}　{c.service}（{c.division}）" in text
    for m in e.team:
        assert f"{m.role}：{m.name}（{m.qualifications}）" in slide_text(prs.slides[3])
    (chart,) = charts(prs.slides[4])
    assert list(chart.plots[0].categories) == list(PHASES)
    # the bars: each phase from its first item's start for as many days as it lasts
    first = {ph: min(i.start for i in plan.items if i.phase == ph) for ph in PHASES}
    last = {ph: max(i.end for i in plan.items if i.phase == ph) for ph in PHASES}
    starts, spans = series(chart).values()
    assert spans == [(last[ph] - first[ph]).days + 1 for ph in PHASES]
    assert [round(s) for s in starts] == [(first[ph] - EXCEL_EPOCH).days for ph in PHASES]
    milestones = slide_text(prs.slides[4])
    for key, label in MILESTONES.items():
        day = plan.milestone(key).end
        assert f"{day.month}/{day.day}（" in milestones and label in milestones
    assert "【下書き】" not in text and not any(marked(s) for s in prs.slides)


# --- the results deck, from a real review store ----------------------------------------------


def test_results_deck_shows_only_signed_off_findings_and_judgements(tmp_path: Path):
    _store_with_drafts()
    prs = Presentation(str(deck("results", tmp_path / "監査結果説明.pptx")))
    titles = [title(s) for s in prs.slides]
    e = load_engagement(EXAMPLE)
    assert titles[:2] == ["令和8年度　情報セキュリティ監査　結果の説明", "監査結果の概要"]
    assert [t for t in titles if t.startswith("発見事項")] == [
        f"発見事項　{d}" for d in e.divisions
    ]
    text = "\n".join(slide_text(s) for s in prs.slides)
    assert "承認されていない下書き2件は記載していません。" in slide_text(prs.slides[0])
    assert f"{WELFARE}：指摘1件、意見0件" in slide_text(prs.slides[1])
    welfare = prs.slides[titles.index(f"発見事項　{WELFARE}")]
    body = slide_text(welfare)
    assert f"指摘1　{APPROVED_FINDING.title}" in body
    assert f"リスク：{APPROVED_FINDING.risk}" in body
    assert f"改善提言：{APPROVED_FINDING.recommendation}" in body
    assert "出典：架空市情報セキュリティ対策基準 第12 > 3 > (2) p.18" in body  # the footnote
    assert DRAFT_FINDING.title not in text and REJECTED_FINDING.title not in text
    assert "承認済みの発見事項はありません。" in slide_text(
        prs.slides[titles.index(f"発見事項　{CITIZENS}")]
    )
    # the checklist chart: the signed judgements, counted per group and verdict
    chart_slide = prs.slides[titles.index("チェックリスト確認結果（C-2026-002）")]
    (chart,) = charts(chart_slide)
    signed = [j for j in JUDGEMENTS if j.item in SIGNED]
    groups = sorted({group_of(j.item) for j in signed})
    assert list(chart.plots[0].categories) == groups == ["1-1", "1-5"]
    counts = Counter((group_of(j.item), j.verdict) for j in signed)
    assert series(chart) == {v: [counts[(g, v)] for g in groups] for v in CHART_VERDICTS}
    assert "承認されていない判定1件は含まない" in slide_text(chart_slide)
    assert titles[-1] == "外部サービス利用管理台帳の照合"
    assert NO_LEDGER in slide_text(prs.slides[-1])
    assert "【下書き】" not in text and not any(marked(s) for s in prs.slides)


def test_results_deck_with_drafts_marks_each_slide_holding_them(tmp_path: Path):
    _store_with_drafts()
    prs = Presentation(str(deck("results", tmp_path / "下書き.pptx", "--include-drafts")))
    by_title = {title(s): s for s in prs.slides}
    welfare = by_title[f"発見事項　{WELFARE}"]
    assert marked(welfare)
    assert f"【下書き】意見1　{DRAFT_FINDING.title}" in slide_text(welfare)
    assert f"・指摘1　{APPROVED_FINDING.title}" in slide_text(welfare)  # the signed one: unmarked
    assert REJECTED_FINDING.title not in "\n".join(slide_text(s) for s in prs.slides)
    chart_slide = by_title["チェックリスト確認結果（C-2026-002）"]
    assert marked(chart_slide) and "（うち【下書き】1件）" in slide_text(chart_slide)
    (chart,) = charts(chart_slide)
    assert list(chart.plots[0].categories) == ["1-1", "1-5", "1-8"]
    assert series(chart) == {"反映あり": [1, 0, 0], "一部反映": [0, 1, 0], "反映なし": [0, 0, 1]}
    # slides without unsigned content stay unmarked
    assert not marked(by_title[f"発見事項　{CITIZENS}"])
    assert not marked(by_title["外部サービス利用管理台帳の照合"])
    for s in list(prs.slides)[1:]:  # a mark exactly where a part is marked (the cover: none)
        parts = "\n".join(
            x.text_frame.text for x in s.shapes if x.has_text_frame and x.name != "draft-mark"
        )
        assert marked(s) == ("【下書き】" in parts), title(s)


def test_results_deck_of_one_division_and_its_ledger_check(tmp_path: Path):
    _store_with_drafts()
    prs = Presentation(str(deck("results", tmp_path / "福祉.pptx", "--division", WELFARE)))
    titles = [title(s) for s in prs.slides]
    assert [t for t in titles if t.startswith("発見事項")] == [f"発見事項　{WELFARE}"]
    assert f"{WELFARE} への説明" in slide_text(prs.slides[0])
    assert "チェックリスト確認結果（C-2026-002）" in titles
    assert not any("C-2026-001" in t or "C-2026-003" in t for t in titles)
    # the ledger slide, when the ledger check is given
    settings = load_settings()
    with open_store(settings) as store:
        report = compile_final_report(store, build_workplan(load_engagement(EXAMPLE)))
    out = export_results_briefing(report, tmp_path / "台帳.pptx", WELFARE, [ledger_check()])
    last = Presentation(str(out)).slides[-1]
    text = slide_text(last)
    assert title(last) == "外部サービス利用管理台帳の照合"
    assert "C-2026-002：一致2件、不一致1件、台帳に記載なし1件" in text
    assert "データ保管場所（不一致）：台帳を更新してください。" in text
    assert "出典：契約書 第3条 > 2" in text


def test_a_long_list_of_findings_continues_on_the_next_slide(tmp_path: Path):
    many = [
        Finding(
            division=SCHOOLS,
            title=f"学習用端末の管理（{k}）",
            finding="端末の貸出記録がなかった。",
            rating="指摘" if k % 3 else "意見",
            risk="端末の紛失に気付かず、児童生徒の情報が漏えいするおそれがある。" * 2,
            recommendation="貸出簿を備え、返却の都度確認されたい。",
            criteria=[cite(STANDARD, f"第9 > {k}", "端末は台帳で管理しなければならない。")],
        )
        for k in range(1, 13)
    ]
    with open_store(load_settings()) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("suzuki", "鈴木", "lead", "lead-pass-12", by="admin")
        store.add_user("sato", "佐藤", "auditor", "auditor-pass-3", by="admin")
        run = store.record_run(
            "findings_draft", {"sources": ["t"]}, settings_digest="s", drafter="evidence",
            model="evidence", prompt="findings", prompt_version="v1", prompt_hash="p",
            evidence_ids=[], user="sato",
        )  # fmt: skip
        for k, f in enumerate(many, start=1):
            store.approve(store.add_draft(run, "finding", f"{SCHOOLS}/{k}", f, "sato"), "suzuki")
    prs = Presentation(str(deck("results", tmp_path / "多数.pptx", "--division", SCHOOLS)))
    pages = [s for s in prs.slides if title(s).startswith(f"発見事項　{SCHOOLS}")]
    assert len(pages) >= 2 and title(pages[1]) == f"発見事項　{SCHOOLS}（続き）"
    shown = re.findall(r"・(指摘|意見)(\d+)　", "\n".join(slide_text(s) for s in pages))
    assert Counter(r for r, _ in shown) == Counter(f.rating for f in many)
    for s in pages:
        body = next(x for x in s.shapes if x.name == "body").text_frame
        assert sum(p.level == 0 for p in body.paragraphs) <= MAX_BULLETS
        (foot,) = [x.text_frame.text for x in s.shapes if x.name == "footnote"]
        assert foot.startswith("出典：") and foot.count("；") <= MAX_FOOTNOTES - 1


# --- the final deck --------------------------------------------------------------------------


def test_final_deck_has_the_figures_the_main_risks_and_the_advice(tmp_path: Path):
    _store_with_drafts()
    prs = Presentation(str(deck("final", tmp_path / "最終報告.pptx")))
    titles = [title(s) for s in prs.slides]
    assert titles == [
        "令和8年度　情報セキュリティ監査業務　最終報告",
        "令和8年度の実績",
        "主なリスク（指摘事項）",
        "ポリシー改定の助言",
    ]
    figures = slide_text(prs.slides[1])
    assert "発見事項：指摘1件、意見0件" in figures and "判定した契約：1件（判定2件）" in figures
    (chart,) = charts(prs.slides[1])
    signed = Counter(j.verdict for j in JUDGEMENTS if j.item in SIGNED)
    assert list(chart.plots[0].categories) == list(VERDICTS)
    assert series(chart) == {"判定の件数": [signed[v] for v in VERDICTS]}
    risks = slide_text(prs.slides[2])
    assert f"{WELFARE}：{APPROVED_FINDING.title}" in risks and APPROVED_FINDING.risk in risks
    advice = slide_text(prs.slides[3])
    assert ADVICE.advice in advice and ADVICE.proposed_wording in advice
    assert "出典：架空市情報セキュリティ対策基準 第12 > 3 > (2) p.18" in advice
    assert not any(marked(s) for s in prs.slides)


def test_the_ui_handler_offers_the_deck_of_one_division_as_a_download(tmp_path: Path):
    from ui.actions import Deps, upload_cache
    from ui.actions_policy import briefing_file

    _store_with_drafts()
    settings = load_settings()
    with open_store(settings) as store:
        deps = Deps(settings, store)
        # the sample engagement file, as the 業務文書 tab offers it by name
        offered = "examples/engagement.toml"
        out = briefing_file(deps, None, offered, "results", f" {WELFARE} ", True)
        plan = briefing_file(deps, str(EXAMPLE), None, "plan", WELFARE, False)  # an upload
    assert out.name == f"監査結果説明_{WELFARE}.pptx" and plan.name == "作業計画説明.pptx"
    assert out.is_relative_to(upload_cache(settings))  # in the data folder: purge erases it
    prs = Presentation(str(out))
    assert [title(s) for s in prs.slides if title(s).startswith("発見事項")] == [
        f"発見事項　{WELFARE}"
    ]
    assert any(marked(s) for s in prs.slides)


# --- errors ----------------------------------------------------------------------------------


def test_cli_refuses_a_bad_for_a_missing_engagement_and_a_wrong_suffix(tmp_path: Path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "説明.pptx"
    base = ["export", "briefing", "--out", str(out)]
    cases = [
        (["--for", "summary", "--engagement", str(EXAMPLE)], "plan（作業計画）", "give plan"),
        (["--for", "results", "--engagement", str(tmp_path / "無い.toml")], "見つかりません",
         "does not exist"),
        (["--for", "plan", "--engagement", str(EXAMPLE), "--division", WELFARE], "--for results",
         "results only"),
        (["--for", "results", "--engagement", str(EXAMPLE), "--division", "総務課"], "総務課",
         "neither"),
    ]  # fmt: skip
    for argv, ja, en in cases:
        assert main([*base, *argv]) == 2
        err = capsys.readouterr().err
        assert "エラー: " in err and ja in err and "Error: " in err and en in err
        assert not out.exists()
    wrong = folder / "説明.docx"
    assert main(["export", "briefing", "--for", "plan", "--engagement", str(EXAMPLE),
                 "--out", str(wrong)]) == 2  # fmt: skip
    assert ".pptx" in capsys.readouterr().err and not wrong.exists()
    assert list(folder.iterdir()) == []  # nothing half-written either


# --- LibreOffice: the PDF, the PNG and text that stays in its box -----------------------------


def _indents(prs: Presentation) -> dict[int, int]:
    """The left margin (EMU) of each paragraph level, from the deck's default text styles."""
    style = prs.part._element.find(qn("p:defaultTextStyle"))
    out = {}
    for level in range(9):
        ppr = style.find(qn(f"a:lvl{level + 1}pPr")) if style is not None else None
        out[level] = int(ppr.get("marL", 0)) if ppr is not None else 0
    return out


def overflowing(prs: Presentation) -> list[str]:
    """Text boxes whose wrapped text (IPAex glyph widths) is taller than the box."""
    from PIL import ImageFont

    indents = _indents(prs)
    fonts: dict[float, ImageFont.FreeTypeFont] = {}
    problems = []
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if not shape.has_text_frame or not shape.text_frame.text:
                continue
            tf = shape.text_frame
            width = Emu(shape.width - tf.margin_left - tf.margin_right).pt
            room = Emu(shape.height - tf.margin_top - tf.margin_bottom).pt
            used = 0.0
            for p in tf.paragraphs:
                size = (p.runs[0].font.size or Pt(18)).pt if p.runs else 18.0
                font = fonts.setdefault(size, ImageFont.truetype(str(IPAEX_GOTHIC), size))
                avail = width - Emu(indents[p.level]).pt
                lines, line = 1, 0.0
                for token in re.findall(r"[A-Za-z0-9.\-/>()]+ ?|.", p.text):
                    w = font.getlength(token)
                    if line + w > avail and line > 0:
                        lines, line = lines + 1, 0.0
                    line += w
                after = p.space_after.pt if p.space_after is not None else 0.0
                used += lines * size * 1.2 + after
            if used > room:
                problems.append(f"slide {n} {shape.name}: {used:.0f}pt of text in {room:.0f}pt")
    return problems


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_decks_convert_to_pdf_page_per_slide_and_no_text_leaves_its_box(tmp_path: Path):
    import pypdfium2 as pdfium

    _store_with_drafts()
    for kind in ("plan", "results", "final"):
        out = deck(
            kind, tmp_path / f"{kind}.pptx", *(("--include-drafts",) if kind != "plan" else ())
        )
        prs = Presentation(str(out))
        assert overflowing(prs) == [], kind
        pdf = office_save(out, "pdf", "", tmp_path / "pdf")
        doc = pdfium.PdfDocument(str(pdf))
        assert len(doc) == len(prs.slides), kind
        for k in range(len(doc)):
            page = doc[k]
            w, h = page.get_size()
            text = page.get_textpage()
            for i in range(text.count_chars()):  # every glyph lies on the page
                left, bottom, right, top = text.get_charbox(i)
                assert -1 <= left and right <= w + 1 and -1 <= bottom and top <= h + 1, kind
            if k in (0, 4 if kind == "plan" else 2):
                png = SLIDES / f"{kind}-{k + 1}.png"
                png.parent.mkdir(parents=True, exist_ok=True)
                page.render(scale=1.5).to_pil().save(png)
                assert png.stat().st_size > 10_000
        doc.close()
