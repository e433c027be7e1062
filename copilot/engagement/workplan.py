"""The WBS of one year's audit, built from the engagement settings.

Every date is a business day (``copilot.calendar_jp``). The fixed milestones (BRIEF step 1) fall,
unless the engagement file overrides them, on the last business day on or before:

===================== =====================================================
plan_explained        the contract date + 14 days (explained to the CISO)
selfcheck_results     September 30 (self-check and preliminary survey)
approach              October 31 (audit approach document)
findings_confirmed    February 15 (findings confirmed, notice drafts)
ciso_explanation      the end of February (results explained to the CISO)
divisions_explanation March 10 (results explained to the divisions)
final_report          March 25 (final report, 事業報告書)
===================== =====================================================

Each work item starts on the business day after the last of the items it depends on ends, so no
item starts before what it depends on is done; minutes of a hearing and the summary of an on-site
check are due 5 business days after it (BRIEF step 4). A schedule the settings make impossible
(an override too early, an on-site day too close to the approach) raises a `UserError` that names
the field or the two items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from copilot.calendar_jp import (
    add_business_days,
    next_business_day,
    previous_business_day,
)
from copilot.errors import UserError
from copilot.schemas import MILESTONES, Engagement, TeamRole, WorkItem, Workplan

PLAN_DAYS = 14  # the work plan is explained to the CISO within 14 days of the contract
REPORT_DAYS = 5  # minutes and on-site summaries: within 5 business days
DOC_REVIEW_DAYS = 12  # business days from the approach to the first hearing
HEARING_GAP = 3  # business days between two divisions' default hearing days
TIMETABLE_DAYS = 5  # business days to agree an on-site time table before the visit
CONTRACT_DAYS = 10  # business days to check one contract's documents
CONTRACT_GAP = 5  # business days between the starts of two contracts' checks
ADVICE_DAYS = 5  # business days of one round of policy advice
NOTICE_DAYS = 5  # business days to write the notice drafts before findings are confirmed

PHASES = (
    "1 計画",
    "2 自己点検・予備調査",
    "3 監査実施方針",
    "4 書面監査・ヒアリング・現地監査",
    "5 外部サービス契約の確認",
    "6 監査結果の取りまとめ・報告",
    "7 ポリシー改定支援",
)


def default_milestones(e: Engagement) -> dict[str, date]:
    """The fixed milestones of the engagement: its overrides, else the defaults above."""
    y = e.fiscal_year
    defaults = {
        "plan_explained": e.contract_date + timedelta(days=PLAN_DAYS),
        "selfcheck_results": date(y, 9, 30),
        "approach": date(y, 10, 31),
        "findings_confirmed": date(y + 1, 2, 15),
        "ciso_explanation": date(y + 1, 3, 1) - timedelta(days=1),
        "divisions_explanation": date(y + 1, 3, 10),
        "final_report": date(y + 1, 3, 25),
    }
    given = e.milestones.model_dump()
    return {k: given[k] or previous_business_day(d) for k, d in defaults.items()}


def _check_order(ms: dict[str, date], source: str) -> None:
    keys = list(MILESTONES)
    for before, after in zip(keys, keys[1:], strict=False):
        if ms[after] <= ms[before]:
            raise UserError(
                f"{source}: milestones.{after}: {MILESTONES[after]}（{ms[after]}）が"
                f"{MILESTONES[before]}（{ms[before]}）より後になっていません。",
                f"{source}: milestones.{after}: {ms[after]} is not after {before} ({ms[before]}).",
            )


class _Plan:
    """The items as they are added (each start the business day after its dependencies end)."""

    def __init__(self, e: Engagement, source: str) -> None:
        self.e = e
        self.source = source
        self.items: dict[str, WorkItem] = {}

    def after(self, depends: Sequence[str]) -> date:
        """The first business day after every dependency has ended."""
        ends = [self.items[d].end for d in depends]
        if not ends:
            return next_business_day(self.e.contract_date)
        return add_business_days(max(ends), 1)

    def add(
        self,
        id: str,
        name: str,
        phase: int,
        end: date | int,
        depends: Sequence[str],
        owner: TeamRole,
        deliverable: str = "",
        division: str = "",
        milestone: str = "",
        start: date | None = None,
    ) -> WorkItem:
        """Add an item; an int end is its length in business days (1 = the start day only)."""
        start = start or self.after(depends)
        if isinstance(end, int):
            end = add_business_days(start, end - 1)
        item = WorkItem(
            id=id,
            name=name,
            phase=PHASES[phase - 1],
            start=start,
            end=end,
            depends=list(depends),
            owner=owner,
            deliverable=deliverable,
            division=division,
            milestone=milestone,
        )
        self.items[id] = item
        return item

    def on(
        self,
        id: str,
        name: str,
        phase: int,
        day: date,
        depends: Sequence[str],
        owner: TeamRole,
        **kw: str,
    ) -> WorkItem:
        """Add a one-day item (a meeting, a hand-over) on a fixed day."""
        return self.add(id, name, phase, day, depends, owner, start=day, **kw)


def _plan_and_survey(p: _Plan, ms: dict[str, date]) -> None:
    p.add(
        "1.1",
        "作業計画書（WBS）の作成",
        1,
        add_business_days(ms["plan_explained"], -1),
        [],
        "統括責任者",
        "作業計画書（Word）・WBS（Excel）",
    )
    p.on(
        "1.2",
        MILESTONES["plan_explained"],
        1,
        ms["plan_explained"],
        ["1.1"],
        "統括責任者",
        deliverable="作業計画書",
        milestone="plan_explained",
    )
    p.add(
        "2.1",
        "自己点検シート・予備調査票の確認及び配布の支援",
        2,
        5,
        ["1.2"],
        "主任監査人",
        "自己点検シート・予備調査票（確認済み）",
    )
    p.add(
        "2.2",
        "自己点検・予備調査の実施（各所属）への問合せ対応",
        2,
        add_business_days(ms["selfcheck_results"], -1),
        ["2.1"],
        "主任監査人",
    )
    p.on(
        "2.3",
        MILESTONES["selfcheck_results"],
        2,
        ms["selfcheck_results"],
        ["2.2"],
        "主任監査人",
        deliverable="自己点検結果・予備調査結果",
        milestone="selfcheck_results",
    )
    p.add(
        "3.1",
        "自己点検結果の分析（リスク順位付け）及び監査対象課の選定支援",
        3,
        5,
        ["2.3"],
        "主任監査人",
        "自己点検分析結果",
    )
    p.add(
        "3.2",
        "監査実施方針（案）の作成（依頼資料・ヒアリング事項・指摘と意見の区分）",
        3,
        add_business_days(ms["approach"], -1),
        ["3.1"],
        "主任監査人",
        "監査実施方針（案）",
    )
    p.on(
        "3.3",
        MILESTONES["approach"],
        3,
        ms["approach"],
        ["3.2"],
        "統括責任者",
        deliverable="監査実施方針",
        milestone="approach",
    )


def _fixed_day(p: _Plan, field: str, day: date, least: int, why_ja: str, why_en: str) -> date:
    """A day the engagement fixes, checked to leave `least` business days after the approach."""
    earliest = add_business_days(p.items["3.3"].end, least)
    if day < earliest:
        raise UserError(
            f"{p.source}: {field}: {day} は早すぎます。{why_ja}、監査実施方針の提出"
            f"（{p.items['3.3'].end}）から{least}営業日以上後（{earliest} 以降）にしてください。",
            f"{p.source}: {field}: {day} is too early; {why_en}, it must be at least {least} "
            f"business days after the approach ({p.items['3.3'].end}), on or after {earliest}.",
        )
    return day


def _fieldwork(p: _Plan) -> list[str]:
    """Per division: document review, hearing, minutes; on-site check where one is planned."""
    e = p.e
    hearings = {h.division: (k, h.date) for k, h in enumerate(e.hearings)}
    onsite = {o.division: (k, o.date) for k, o in enumerate(e.onsite)}
    approach = p.items["3.3"].end
    taken = {h.date for h in e.hearings} | {o.date for o in e.onsite}
    last: list[str] = []
    for k, div in enumerate(e.divisions, start=1):
        base = f"4.{k}"
        if div in hearings:
            n, day = hearings[div]
            field = f"hearings[{n}].date"
            hearing = _fixed_day(p, field, day, 2, "書面監査の期間を置くため", "to review first")
        else:
            hearing = add_business_days(approach, DOC_REVIEW_DAYS + HEARING_GAP * (k - 1))
            while hearing in taken:  # one meeting a day: not on another fixed day
                hearing = add_business_days(hearing, 1)
        taken.add(hearing)
        p.add(
            f"{base}.1",
            f"{div}：資料依頼・書面監査",
            4,
            add_business_days(hearing, -1),
            ["3.3"],
            "監査人",
            "資料依頼書",
            division=div,
        )
        p.on(
            f"{base}.2",
            f"{div}：ヒアリング",
            4,
            hearing,
            [f"{base}.1"],
            "主任監査人",
            division=div,
        )
        p.add(
            f"{base}.3",
            f"{div}：ヒアリング議事録の作成（{REPORT_DAYS}営業日以内）",
            4,
            add_business_days(hearing, REPORT_DAYS),
            [f"{base}.2"],
            "監査人",
            "ヒアリング議事録",
            division=div,
        )
        last.append(f"{base}.3")
        if div not in onsite:
            continue
        n, day = onsite[div]
        visit = _fixed_day(
            p,
            f"onsite[{n}].date",
            day,
            TIMETABLE_DAYS + 1,
            "タイムテーブルを事前に調整するため",
            "to agree the time table beforehand",
        )
        p.add(
            f"{base}.4",
            f"{div}：現地監査のタイムテーブル調整",
            4,
            add_business_days(visit, -1),
            ["3.3"],
            "主任監査人",
            "現地監査タイムテーブル",
            division=div,
            start=add_business_days(visit, -TIMETABLE_DAYS),
        )
        p.on(f"{base}.5", f"{div}：現地監査", 4, visit, [f"{base}.4"], "主任監査人", division=div)
        p.add(
            f"{base}.6",
            f"{div}：現地監査結果概要の作成（{REPORT_DAYS}営業日以内）",
            4,
            add_business_days(visit, REPORT_DAYS),
            [f"{base}.5"],
            "監査人",
            "現地監査結果概要",
            division=div,
        )
        last.append(f"{base}.6")
    return last


def _contracts(p: _Plan) -> list[str]:
    """One checklist review (29 items) and ledger check per contract, staggered."""
    first = p.after(["3.1"])
    if not p.e.contracts:
        p.add(
            "5.1",
            "対象課の外部サービス契約（4件まで）の契約書類の確認（チェックリスト29項目）・台帳照合",
            5,
            CONTRACT_DAYS * 2,
            ["3.1"],
            "監査人",
            "チェックリスト確認結果・台帳照合結果（Excel）",
        )
        return ["5.1"]
    ids = []
    for k, c in enumerate(p.e.contracts, start=1):
        service = f"「{c.service}」" if c.service else ""
        p.add(
            f"5.{k}",
            f"契約 {c.id}{service}（{c.division}）："
            "契約書類の確認（チェックリスト29項目）・台帳照合",
            5,
            CONTRACT_DAYS,
            ["3.1"],
            "監査人",
            "チェックリスト確認結果・台帳照合結果（Excel）",
            division=c.division,
            start=add_business_days(first, CONTRACT_GAP * (k - 1)),
        )
        ids.append(f"5.{k}")
    return ids


def _reporting(p: _Plan, ms: dict[str, date], fieldwork: list[str]) -> None:
    rounds = p.e.policy_rounds
    p.add(
        "6.1",
        "発見事項の整理及び対象課との事実確認",
        6,
        add_business_days(ms["findings_confirmed"], -NOTICE_DAYS - 1),
        fieldwork,
        "主任監査人",
        "発見事項一覧",
    )
    p.add(
        "6.2",
        "監査結果通知（案）の作成（発見事項・指摘と意見・想定されるリスク・改善提言）",
        6,
        add_business_days(ms["findings_confirmed"], -1),
        ["6.1"],
        "主任監査人",
        "監査結果通知（案）（対象課ごと）",
    )
    p.on(
        "6.3",
        MILESTONES["findings_confirmed"],
        6,
        ms["findings_confirmed"],
        ["6.2"],
        "統括責任者",
        deliverable="監査結果通知（案）",
        milestone="findings_confirmed",
    )
    previous = "6.3"
    for k in range(1, rounds + 1):
        p.add(
            f"7.{k}",
            f"ポリシー改定に関する助言（第{k}回）",
            7,
            ADVICE_DAYS,
            [previous],
            "主任監査人",
            f"ポリシー改定助言（第{k}回）",
        )
        previous = f"7.{k}"
    p.on(
        "6.4",
        MILESTONES["ciso_explanation"],
        6,
        ms["ciso_explanation"],
        ["6.3"],
        "統括責任者",
        deliverable="監査結果の説明資料",
        milestone="ciso_explanation",
    )
    p.on(
        "6.5",
        MILESTONES["divisions_explanation"],
        6,
        ms["divisions_explanation"],
        ["6.4"],
        "主任監査人",
        deliverable="監査結果の説明資料（対象課）",
        milestone="divisions_explanation",
    )
    p.add(
        "6.6",
        "事業報告書の作成",
        6,
        add_business_days(ms["final_report"], -1),
        ["6.5", previous],
        "統括責任者",
        "事業報告書（案）",
    )
    p.on(
        "6.7",
        MILESTONES["final_report"],
        6,
        ms["final_report"],
        ["6.6"],
        "統括責任者",
        deliverable="事業報告書",
        milestone="final_report",
    )


def _check_items(items: list[WorkItem], source: str) -> None:
    """UserError for an item without days or one that starts before a dependency ends."""
    by_id = {i.id: i for i in items}
    hint_ja = "milestones・onsite・hearings・policy_rounds の日付や回数を見直してください。"
    hint_en = "revise the dates or counts in milestones, onsite, hearings or policy_rounds."
    for i in items:
        if i.end < i.start:
            raise UserError(
                f"{source}: 作業項目 {i.id}「{i.name}」に日がありません（{i.start}～{i.end}）。"
                + hint_ja,
                f"{source}: work item {i.id} has no days ({i.start} to {i.end}); " + hint_en,
            )
        for d in i.depends:
            dep = by_id[d]
            if i.start < dep.end:
                raise UserError(
                    f"{source}: 作業項目 {i.id}「{i.name}」（開始 {i.start}）が、先行する {dep.id}"
                    f"「{dep.name}」（終了 {dep.end}）の終了より前に始まります。" + hint_ja,
                    f"{source}: work item {i.id} starts ({i.start}) before {dep.id} ends "
                    f"({dep.end}); " + hint_en,
                )


def _order(item: WorkItem) -> tuple[int, ...]:
    return tuple(int(x) for x in item.id.split("."))


def build_workplan(e: Engagement, source: str = "engagement") -> Workplan:
    """The WBS of the engagement.

    Args:
        e: the engagement settings.
        source: the file they came from, named in error messages.

    Returns:
        The work items in WBS order (phase by phase), each with its start and end (business
        days), dependencies, owner role and deliverable; the fixed milestones are one-day items
        marked with their key.

    Raises:
        UserError: the settings give an impossible schedule (milestones out of order, a fixed
            day too early, more advice rounds than days); the message names the field or items.

    """
    ms = default_milestones(e)
    _check_order(ms, source)
    p = _Plan(e, source)
    _plan_and_survey(p, ms)
    fieldwork = _fieldwork(p) + _contracts(p)
    _reporting(p, ms, fieldwork)
    items = sorted(p.items.values(), key=_order)
    _check_items(items, source)
    return Workplan(engagement=e, items=items)
