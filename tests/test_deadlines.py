"""The engagement's deadlines: minutes, on-site time tables and summaries, findings confirmed.

Due days are worked out here by hand from the calendar (weekends, 11/23 勤労感謝の日), not by
the code under test.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from copilot.cli.main import main
from copilot.engagement.deadlines import deadlines, record_done
from copilot.engagement.file import load_engagement
from copilot.engagement.workplan import build_workplan
from copilot.errors import UserError
from copilot.review.store import ReviewStore, open_store
from copilot.schemas import Finding, Workplan
from copilot.settings import load_settings
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "engagement.toml"
WELFARE = "健康福祉局福祉政策課"
CITIZENS = "市民局市民課"
TAX = "財政局税務課"
PASSWORDS = {"admin": "admin-pass-1", "suzuki": "lead-pass-12", "sato": "auditor-pass-3"}


def _plan() -> Workplan:
    return build_workplan(load_engagement(EXAMPLE), str(EXAMPLE))


def _users(store: ReviewStore) -> None:
    store.add_user("admin", "管理者", "admin", PASSWORDS["admin"])
    store.add_user("suzuki", "鈴木（主任担当者）", "lead", PASSWORDS["suzuki"], by="admin")
    store.add_user("sato", "佐藤", "auditor", PASSWORDS["sato"], by="admin")


def _finding(division: str, title: str) -> Finding:
    return Finding(
        division=division,
        title=title,
        finding="持出し記録簿に記録がなかった。",
        rating="指摘",
        risk="情報資産の所在が分からなくなるおそれがある。",
        recommendation="持出し記録簿への記録を徹底されたい。",
    )


def _by_what(rows, text: str):
    hits = [d for d in rows if text in d.what]
    assert len(hits) == 1, [d.what for d in rows]
    return hits[0]


def test_due_days_follow_the_events_and_the_calendar():
    with open_store(load_settings()) as store:
        rows = deadlines(_plan(), store)
    # the example: on-site checks on Wed 11/18 and Thu 11/26, the tax division heard on Thu 12/3
    onsite_welfare = _by_what(rows, f"{WELFARE}：現地監査結果概要")
    assert onsite_welfare.due == date(2026, 11, 26)  # 19, 20, 24 (23 is a holiday), 25, 26
    assert _by_what(rows, f"{WELFARE}：現地監査のタイムテーブル").due == date(2026, 11, 17)
    assert _by_what(rows, f"{CITIZENS}：現地監査結果概要").due == date(2026, 12, 3)
    assert _by_what(rows, f"{CITIZENS}：現地監査のタイムテーブル").due == date(2026, 11, 25)
    assert _by_what(rows, f"{TAX}：ヒアリング議事録").due == date(2026, 12, 10)
    # every division's hearing has minutes due, and every division confirms its findings
    plan = _plan()
    for division in plan.engagement.divisions:
        assert _by_what(rows, f"{division}：ヒアリング議事録").division == division
        assert _by_what(rows, f"{division}：発見事項の確定").due == date(2027, 2, 15)
    assert [d.due for d in rows] == sorted(d.due for d in rows)


def test_overdue_until_recorded_done_and_then_done():
    plan = _plan()
    with open_store(load_settings()) as store:
        _users(store)
        summary = _by_what(deadlines(plan, store), f"{WELFARE}：現地監査結果概要")
        assert summary.state(date(2026, 11, 25)) == "期限内"
        assert summary.state(date(2026, 11, 26)) == "本日期限"
        assert summary.state(date(2026, 11, 27)) == "期限超過"
        done = record_done(plan, store, "sato", summary.wbs, date(2026, 11, 25))
        assert done.done_on == date(2026, 11, 25) and done.done_by == "sato"
        again = _by_what(deadlines(plan, store), f"{WELFARE}：現地監査結果概要")
        assert again.state(date(2027, 1, 5)) == "完了"
        # the other items are untouched
        minutes = _by_what(deadlines(plan, store), f"{TAX}：ヒアリング議事録")
        assert minutes.done_on is None and minutes.state(date(2026, 12, 11)) == "期限超過"


def test_findings_are_confirmed_only_when_every_one_is_signed_off():
    plan = _plan()
    with open_store(load_settings()) as store:
        _users(store)
        run = store.record_run(
            "findings_draft",
            {"sources": ["test"]},
            settings_digest="s",
            drafter="evidence",
            model="evidence",
            prompt="findings",
            prompt_version="v1",
            prompt_hash="p",
            evidence_ids=[],
            user="sato",
        )

        def confirm():
            return _by_what(deadlines(plan, store), f"{WELFARE}：発見事項の確定")

        assert confirm().done_on is None  # no findings yet: nothing is confirmed
        first = store.add_draft(run, "finding", f"{WELFARE}/1", _finding(WELFARE, "持出し"), "sato")
        second = store.add_draft(run, "finding", f"{WELFARE}/2", _finding(WELFARE, "廃棄"), "sato")
        store.approve(first, "suzuki")
        assert confirm().done_on is None  # one is still a draft
        assert confirm().state(date(2027, 2, 16)) == "期限超過"
        store.approve(second, "suzuki")
        assert confirm().done_on == date.today() and confirm().done_by == "suzuki"
        # another division's findings do not count for this one
        assert _by_what(deadlines(plan, store), f"{CITIZENS}：発見事項の確定").done_on is None


def test_a_wrong_record_is_refused_and_nothing_is_written():
    plan = _plan()
    with open_store(load_settings()) as store:
        _users(store)
        hearing = next(i for i in plan.items if i.name == f"{TAX}：ヒアリング")
        with pytest.raises(UserError) as bad:
            record_done(plan, store, "sato", hearing.id, date(2026, 12, 3))  # not a deliverable
        assert hearing.id in str(bad.value) and "WBS" in str(bad.value)
        minutes = _by_what(deadlines(plan, store), f"{TAX}：ヒアリング議事録")
        with pytest.raises(UserError) as future:
            record_done(plan, store, "sato", minutes.wbs, date(2999, 1, 4))
        assert "未来" in str(future.value)
        with pytest.raises(UserError):
            record_done(plan, store, "admin", minutes.wbs, date(2026, 12, 4))  # not an auditor
        assert store.list_runs("deliverable_done") == []


def test_plan_due_marks_the_overdue_and_plan_done_records(monkeypatch, capsys):
    with open_store(load_settings()) as store:
        _users(store)
    assert main(["plan", "--engagement", str(EXAMPLE), "--due", "--today", "2026-12-04"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if f"{WELFARE}：現地監査結果概要" in x)
    assert "【期限超過】" in line and "2026-11-26" in line
    later = next(x for x in out.splitlines() if f"{TAX}：ヒアリング議事録" in x)
    assert "期限超過" not in later and "2026-12-10" in later

    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS["sato"])
    what = f"{WELFARE}：現地監査結果概要"
    wbs = next(d["wbs"] for d in json.loads(_json(capsys)) if what in d["what"])
    args = ["plan", "--engagement", str(EXAMPLE), "--done", wbs, "--on", "2026-11-24"]
    assert main([*args, "--user", "sato"]) == 0
    assert "2026-11-24" in capsys.readouterr().out
    rows = json.loads(_json(capsys))
    summary = next(d for d in rows if d["wbs"] == wbs)
    assert summary["state"] == "完了" and summary["done_by"] == "sato"
    assert sum(d["state"] == "期限超過" for d in rows) >= 1  # the rest stay overdue


def _json(capsys) -> str:
    cmd = ["plan", "--engagement", str(EXAMPLE), "--due", "--today", "2026-12-04", "--json"]
    capsys.readouterr()
    assert main(cmd) == 0
    return capsys.readouterr().out


def test_the_cli_says_what_is_wrong_with_a_day(capsys):
    cmd = ["plan", "--engagement", str(EXAMPLE), "--due", "--today", "12月4日"]
    assert main(cmd) == 2
    err = capsys.readouterr().err
    assert "日付" in err and "2026-12-03" in err
