"""The engagement's deadlines: what is due when, what is done, what is overdue.

Tracked (BRIEF step 4 and 5):
- the minutes of each hearing and the summary of each on-site check, due 5 business days after
  it, and each on-site check's time table, due before the visit (the work plan's items,
  ``copilot.engagement.workplan``);
- the confirmation of each division's findings, due on the milestone ``findings_confirmed``
  (February 15 unless the engagement file moves it).

A deliverable is done when an auditor or lead recorded it (``record_done``: a run of task
``deliverable_done`` in the review store's hash-chained log, with the WBS number and the day);
a division's findings are confirmed when it has findings and every one of them is signed off
(the day of the last sign-off). Anything else past its day is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from copilot.errors import UserError
from copilot.review.store import ReviewStore
from copilot.review.users import User
from copilot.schemas import Workplan

TRACKED = ("ヒアリング議事録", "現地監査タイムテーブル", "現地監査結果概要")  # of the WBS
DONE_TASK = "deliverable_done"
FINDINGS = "findings_confirmed"


@dataclass(frozen=True)
class Deadline:
    """One thing due: its WBS number, what, for which division, when, and when it was done.

    ``manual`` is true for a deliverable that an auditor records done (``record_done``), false
    for a division's findings, which are done when every one is signed off.
    """

    wbs: str
    what: str
    division: str
    due: date
    done_on: date | None = None
    done_by: str = ""
    manual: bool = True

    def state(self, today: date) -> str:
        """完了, 期限超過 (overdue), 本日期限 (due today) or 期限内."""
        if self.done_on is not None:
            return "完了"
        if today > self.due:
            return "期限超過"
        return "本日期限" if today == self.due else "期限内"


def _done_records(store: ReviewStore, plan: Workplan) -> dict[str, tuple[date, str]]:
    """WBS number → (day done, who), the newest record of this engagement's year and city."""
    e = plan.engagement
    out = {}
    for run in store.list_runs(DONE_TASK):
        got = run.inputs
        if got.get("city") == e.city and got.get("fiscal_year") == e.fiscal_year:
            out[str(got["wbs"])] = (date.fromisoformat(str(got["on"])), run.user)
    return out


def _findings_confirmed(store: ReviewStore, division: str) -> tuple[date, str] | None:
    """The day the division's last finding was signed off, when none is left as a draft."""
    drafts = [
        d
        for d in store.list_drafts(kind="finding", key_prefix=f"{division}/")
        if d.status != "rejected"
    ]
    if not drafts or any(d.signoff is None for d in drafts):
        return None
    last = max((d.signoff for d in drafts if d.signoff is not None), key=lambda r: r.at)
    return date.fromisoformat(last.at[:10]), last.actor


def deadlines(plan: Workplan, store: ReviewStore) -> list[Deadline]:
    """Every tracked deadline of the engagement, earliest first."""
    done = _done_records(store, plan)
    out = []
    for item in plan.items:
        if item.deliverable in TRACKED:
            on, by = done.get(item.id, (None, ""))
            out.append(Deadline(item.id, item.name, item.division, item.end, on, by))
    confirm = plan.milestone(FINDINGS)
    for division in plan.engagement.divisions:
        found = _findings_confirmed(store, division)
        out.append(
            Deadline(
                confirm.id,
                f"{division}：発見事項の確定",
                division,
                confirm.end,
                found[0] if found else None,
                found[1] if found else "",
                manual=False,
            )
        )
    return sorted(out, key=lambda d: (d.due, d.wbs, d.division))


def parse_day(text: str | None, what_ja: str) -> date:
    """A day written 2026-12-03 (blank: today).

    Raises:
        UserError: the text is not such a day.

    """
    if not (text or "").strip():
        return date.today()
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError as exc:
        raise UserError(
            f"{what_ja} {text} は日付として読めません。2026-12-03 の形で書いてください。",
            f"{text} is not a date; write it as 2026-12-03.",
        ) from exc


def record_done(
    plan: Workplan, store: ReviewStore, user: str | User, wbs: str, on: date
) -> Deadline:
    """Record that a tracked deliverable was done on ``on`` (an auditor or a lead).

    Raises:
        UserError: the WBS number is not a tracked deliverable of this plan, or the day is
            in the future.

    """
    item = next((i for i in plan.items if i.id == wbs and i.deliverable in TRACKED), None)
    if item is None:
        known = "、".join(i.id for i in plan.items if i.deliverable in TRACKED)
        raise UserError(
            f"WBS番号 {wbs} は期限を管理する成果物（議事録・タイムテーブル・結果概要）では"
            f"ありません。次のいずれかを指定してください: {known}",
            f"WBS {wbs} is not a tracked deliverable (minutes, time table, summary); use one of: "
            f"{known}",
        )
    if on > date.today():
        raise UserError(
            f"完了日 {on} が未来の日付です。実際に完了した日を指定してください。",
            f"the day done {on} is in the future; give the day it was done.",
        )
    e = plan.engagement
    store.record_run(
        DONE_TASK,
        {
            "city": e.city,
            "fiscal_year": e.fiscal_year,
            "wbs": wbs,
            "what": item.name,
            "on": on.isoformat(),
        },
        settings_digest="",
        drafter="",
        model="",
        prompt="",
        prompt_version="",
        prompt_hash="",
        evidence_ids=[],
        user=user,
    )
    return next(d for d in deadlines(plan, store) if d.wbs == wbs)
