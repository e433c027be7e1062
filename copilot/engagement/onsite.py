"""An on-site check's day: when it is, by when the city confirms its time table, and the slots.

The visit and its days come from the work plan (``copilot.engagement.workplan``): the time table
is agreed by the end of item ``4.k.4`` (the business day before the visit) and the summary is due
at the end of ``4.k.6``. The day runs from the opening (10:00 unless given) through a walk-round
of the offices, one slot per self-check question to follow up, and the closing remarks; a slot
never runs over the lunch hour (12:00–13:00), except the closing of a morning visit (the day
ends with it, so nobody waits an hour for it), and when the questions would not fit by
``LAST_END`` they share slots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from copilot.audit.selfcheck import Reason, Triage
from copilot.errors import UserError
from copilot.schemas import Workplan

OPENING = ("開始挨拶・趣旨説明・当日の進め方の確認", "説明", 15)
WALK = (
    "執務室・サーバ室等の巡回確認（入退室管理、端末・記録媒体の管理、クリアデスク・クリアスクリーン）",
    "観察",
    30,
)
CLOSING = ("講評・確認事項の整理（追加資料の依頼を含む）", "説明", 30)
CHECK_MINUTES = 30  # one question, when the day has room
LEAST_MINUTES = 10  # the shortest slot for one question
LUNCH = (time(12, 0), time(13, 0))
LAST_END = time(17, 0)


@dataclass(frozen=True)
class Slot:
    """One part of the day: from, to, what, how (閲覧・観察・質問), and the questions it covers."""

    start: time
    end: time
    what: str
    method: str
    checks: tuple[Reason, ...] = field(default=())


@dataclass(frozen=True)
class Visit:
    """One division's on-site check and its days (all from the work plan).

    ``confirm_by`` is the day the city confirms the time table by, ``summary_due`` the day the
    summary is due.
    """

    division: str
    day: date
    confirm_by: date
    summary_due: date


def visit(plan: Workplan, division: str) -> Visit:
    """The on-site check of ``division`` in the plan.

    Raises:
        UserError: the engagement plans no on-site check for that division.

    """
    items = {i.id: i for i in plan.items}
    for k, div in enumerate(plan.engagement.divisions, start=1):
        if div == division and f"4.{k}.5" in items:
            return Visit(div, items[f"4.{k}.5"].end, items[f"4.{k}.4"].end, items[f"4.{k}.6"].end)
    planned = "、".join(o.division for o in plan.engagement.onsite)
    raise UserError(
        f"{division} の現地監査は作業計画の設定ファイル（[[onsite]]）にありません。"
        f"現地監査を行う課: {planned}。課名を確かめるか、設定ファイルに追加してください。",
        f"no on-site check is planned for {division} ([[onsite]] of the engagement file); "
        f"planned: {planned}. Check the name or add the visit to the file.",
    )


def visits(plan: Workplan) -> list[Visit]:
    """Every on-site check of the plan, in the order of the engagement's divisions."""
    onsite = {o.division for o in plan.engagement.onsite}
    return [visit(plan, d) for d in plan.engagement.divisions if d in onsite]


def checks_for(result: Triage | None, division: str) -> list[Reason]:
    """The division's self-check questions to follow up (none without a triage or a sheet)."""
    found = next((d for d in result.divisions if d.division == division), None) if result else None
    return list(found.reasons) if found else []


def _method(r: Reason) -> str:
    return "記録の閲覧・観察・質問" if r.documents else "観察・質問"


def _at(t: time, minutes: int) -> time:
    return (datetime.combine(date.min, t) + timedelta(minutes=minutes)).time()


def _span(a: time, b: time) -> int:
    return (
        int((datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds()) // 60
    )


def _room(start: time) -> int:
    """The minutes for questions between the walk-round and the closing, less the lunch hour."""
    first = _at(start, OPENING[2] + WALK[2])
    last = _at(LAST_END, -CLOSING[2])
    lunch = max(0, _span(max(first, LUNCH[0]), min(last, LUNCH[1]))) if first < LUNCH[1] else 0
    return _span(first, last) - lunch


def schedule(checks: Sequence[Reason], start: time = time(10, 0)) -> list[Slot]:
    """The day's slots in time order, the lunch hour among them when the day crosses noon.

    Raises:
        UserError: the day starts too late for the opening, the walk-round and the closing.

    """
    room = _room(start) if start < LAST_END else -1
    if room < 0 or (checks and room < LEAST_MINUTES):
        raise UserError(
            f"開始時刻 {start:%H:%M} では {LAST_END:%H:%M} までに現地監査が収まりません。"
            "開始時刻を早めてください。",
            f"an on-site day starting at {start:%H:%M} does not fit before {LAST_END:%H:%M}; "
            "start earlier.",
        )
    per_group = max(1, math.ceil(len(checks) * LEAST_MINUTES / room)) if checks else 1
    groups = [tuple(checks[i : i + per_group]) for i in range(0, len(checks), per_group)]
    minutes = min(CHECK_MINUTES, room // len(groups) // 5 * 5) if groups else 0
    while True:  # the wait for the lunch hour may cost a few minutes more than the room allows
        slots = _lay_out(groups, minutes, start)
        if slots[-1].end <= LAST_END or minutes <= LEAST_MINUTES:
            return slots
        minutes -= 5


def _lay_out(groups: Sequence[tuple[Reason, ...]], minutes: int, start: time) -> list[Slot]:
    parts: list[tuple[str, str, int, tuple[Reason, ...]]] = [
        (OPENING[0], OPENING[1], OPENING[2], ()),
        (WALK[0], WALK[1], WALK[2], ()),
    ]
    for group in groups:
        what = "\n".join(f"No.{r.id} {r.question.rstrip('。')}の確認" for r in group)
        method = "・".join(dict.fromkeys(m for r in group for m in _method(r).split("・")))
        parts.append((what, method, minutes, group))
    parts.append((CLOSING[0], CLOSING[1], CLOSING[2], ()))
    out, now = [], start
    for k, (what, method, length, group) in enumerate(parts):
        last = k == len(parts) - 1  # the closing ends the day: it is held before lunch
        if not last and now < LUNCH[1] and _at(now, length) > LUNCH[0]:  # runs into lunch
            if now < LUNCH[0]:
                out.append(Slot(LUNCH[0], LUNCH[1], "昼休憩", "―"))
            now = max(now, LUNCH[1])
        out.append(Slot(now, _at(now, length), what, method, group))
        now = _at(now, length)
    return out
