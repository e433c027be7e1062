"""The on-site check's time table: its days from the plan, its slots, its checks and their basis.

The days are worked out here from the calendar: the example visits 健康福祉局福祉政策課 on
Wednesday 2026-11-18, so the city confirms by Tuesday 11/17, and the summary is due on Thursday
11/26 (11/23 is 勤労感謝の日).
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from copilot.audit.selfcheck import Reason
from copilot.cli.main import main
from copilot.engagement.file import load_engagement
from copilot.engagement.onsite import LAST_END, LUNCH, schedule
from copilot.engagement.workplan import build_workplan
from copilot.errors import UserError
from copilot.exports.onsite import export_onsite_timetable
from eval.scans import SOFFICE, office_save
from tests.conftest import ROOT
from tests.test_exports import R_LOCK, R_TAKEOUT, all_text, reason, table_rows

EXAMPLE = ROOT / "examples" / "engagement.toml"
WELFARE = "健康福祉局福祉政策課"
TAX = "財政局税務課"  # heard, never visited
SHEET = ROOT / "corpus_public" / "self_check" / "自己点検シート_福祉政策課.xlsx"


def _plan():  # type: ignore[no-untyped-def]
    return build_workplan(load_engagement(EXAMPLE), str(EXAMPLE))


def _many(n: int) -> list[Reason]:
    return [
        reason(
            f"9-{k}", f"設問{k}の対策を実施しているか。", ["記録簿"], "h", "しなければならない。"
        )
        for k in range(1, n + 1)
    ]


def _times(cell: str) -> tuple[str, str]:
    start, end = cell.split("～")
    return start, end


def test_the_time_table_names_the_days_the_team_and_every_check_with_its_basis(tmp_path: Path):
    path = export_onsite_timetable(_plan(), WELFARE, [R_TAKEOUT, R_LOCK], tmp_path / "t.docx")
    text = all_text(path)
    assert "令和8年11月18日（水）" in text  # the visit
    assert "令和8年11月17日（火）までにご回答ください" in text  # the day before the visit
    assert "令和8年11月26日（木）まで" in text  # the summary, 5 business days after
    assert "佐藤 花子（主任監査人）" in text and "田中 次郎（監査人）" in text
    rows = table_rows(path)
    for r in (R_TAKEOUT, R_LOCK):
        assert r.basis is not None
        row = next(x for x in rows if x[0] == f"No.{r.id}")
        assert r.question in row[1] and r.basis.quote in row[3]
        assert all(d in row[4] for d in r.documents)
        assert any(f"No.{r.id}" in x[1] for x in rows if "～" in x[0])  # it has a slot
    slots = [_times(x[0]) for x in rows if "～" in x[0]]
    assert slots[0][0] == "10:00"
    for (a_start, a_end), (b_start, _) in zip(slots, slots[1:], strict=False):
        assert a_start < a_end <= b_start  # in time order, none overlapping the next


def test_a_full_day_breaks_for_lunch_and_ends_by_five_with_every_question():
    checks = _many(40)
    slots = schedule(checks)
    assert slots[-1].end <= LAST_END
    lunch = [s for s in slots if s.what == "昼休憩"]
    assert [(s.start, s.end) for s in lunch] == [LUNCH]
    for s in slots:
        if s.what != "昼休憩":
            assert s.end <= LUNCH[0] or s.start >= LUNCH[1], s  # nothing runs over lunch
    covered = [r.id for s in slots for r in s.checks]
    assert sorted(covered) == sorted(r.id for r in checks)  # each question once
    for a, b in zip(slots, slots[1:], strict=False):
        assert a.end <= b.start


def test_a_short_day_needs_no_lunch_and_a_late_start_is_refused():
    assert all(s.what != "昼休憩" for s in schedule([R_LOCK]))
    with pytest.raises(UserError) as late:
        schedule(_many(3), time(16, 45))
    assert "開始時刻" in str(late.value)


def test_without_questions_the_day_is_the_walk_round_and_says_so(tmp_path: Path):
    text = all_text(export_onsite_timetable(_plan(), WELFARE, [], tmp_path / "t.docx"))
    assert "個別の確認事項はありません" in text and "巡回確認" in text


def test_a_division_without_a_visit_is_named_and_nothing_is_written(tmp_path: Path):
    out = tmp_path / "t.docx"
    with pytest.raises(UserError) as no_visit:
        export_onsite_timetable(_plan(), TAX, [R_LOCK], out)
    assert TAX in str(no_visit.value) and WELFARE in str(no_visit.value)
    assert not out.exists()


def test_the_cli_writes_one_time_table_per_visit_from_the_sheet(
    corpus_services, tmp_path: Path, capsys
):
    from copilot.audit.selfcheck import triage

    reasons = next(d for d in triage(corpus_services, [SHEET]).divisions if d.division == WELFARE)
    assert reasons.reasons  # the sample sheet answers some questions いいえ
    out = tmp_path / "out"
    cmd = ["export", "onsite", "--engagement", str(EXAMPLE), "--out-dir", str(out)]
    assert main([*cmd, "--selfcheck", str(SHEET)]) == 0
    written = sorted(out.glob("*.docx"))
    assert [p.name for p in written] == sorted(
        f"現地監査タイムテーブル_{d}.docx" for d in (WELFARE, "市民局市民課")
    )
    rows = table_rows(out / f"現地監査タイムテーブル_{WELFARE}.docx")
    assert {x[0] for x in rows if x[0].startswith("No.") and x[0] != "No."} == {
        f"No.{r.id}" for r in reasons.reasons
    }
    assert main(["export", "onsite", "--engagement", str(EXAMPLE), "--out", "x.docx"]) == 2
    assert "--division" in capsys.readouterr().err


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_the_time_table_converts_to_a_short_pdf(tmp_path: Path):
    import pypdfium2 as pdfium

    path = export_onsite_timetable(_plan(), WELFARE, _many(12), tmp_path / "t.docx")
    pdf = pdfium.PdfDocument(str(office_save(path, "pdf", "", tmp_path / "pdf")))
    assert 1 <= len(pdf) <= 4
    text = "".join(pdf[k].get_textpage().get_text_range() for k in range(len(pdf)))
    assert "現地監査タイムテーブル" in text and "No.9-12" in text
    pdf.close()
