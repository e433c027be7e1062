"""Business days of a Japanese city office: no weekends, public holidays or year-end closure.

A business day (営業日・開庁日) is a weekday that is neither a national public holiday (国民の祝日,
振替休日 and 国民の休日, as the maintained ``jpholiday`` package computes them under the law in
force) nor a day of the year-end and new-year closure (年末年始: 12月29日から1月3日まで). Deadlines
such as "minutes within 5 business days" count with ``add_business_days``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from jpholiday import JPHoliday

WEEKDAYS = "月火水木金土日"
CLOSURE = "年末年始休業"
_HOLIDAYS = JPHoliday()  # our own instance: no checker registered elsewhere changes it


def is_year_end_closure(day: date) -> bool:
    """Whether the day falls in the year-end and new-year closure (12/29–1/3)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def holiday_name(day: date) -> str | None:
    """The name of the public holiday on the day (e.g. 「憲法記念日 振替休日」), or None."""
    names = [h.name for h in _HOLIDAYS.holidays(day)]
    return "・".join(names) if names else None


def day_off_reason(day: date) -> str | None:
    """Why the office is closed on the day (祝日名, 年末年始休業, 土曜日, 日曜日), or None."""
    if name := holiday_name(day):
        return name
    if is_year_end_closure(day):
        return CLOSURE
    if day.weekday() >= 5:
        return f"{WEEKDAYS[day.weekday()]}曜日"
    return None


def is_business_day(day: date) -> bool:
    """Whether the office is open: a weekday, no public holiday, not 12/29–1/3."""
    return day.weekday() < 5 and not is_year_end_closure(day) and holiday_name(day) is None


def next_business_day(day: date) -> date:
    """The day itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date) -> date:
    """The day itself when it is a business day, else the last business day before it."""
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def add_business_days(day: date, n: int) -> date:
    """The n-th business day after the day (before it for a negative n); the day itself for 0.

    The day itself is never counted, so "within 5 business days of a hearing on Friday
    2026-05-01" ends on ``add_business_days(date(2026, 5, 1), 5)`` = Wednesday 2026-05-13
    (5/4–5/6 are public holidays, 5/6 a substitute one).
    """
    step = timedelta(days=1 if n >= 0 else -1)
    left = abs(n)
    while left:
        day += step
        if is_business_day(day):
            left -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """How many business days lie from start to end, both included (0 when end < start)."""
    count, day = 0, start
    while day <= end:
        count += is_business_day(day)
        day += timedelta(days=1)
    return count


def days_off(start: date, end: date) -> list[tuple[date, str]]:
    """Public holidays and closure days from start to end (weekends left out), with the reason."""
    out = []
    day = start
    while day <= end:
        reason = holiday_name(day) or (CLOSURE if is_year_end_closure(day) else None)
        if reason:
            out.append((day, reason))
        day += timedelta(days=1)
    return out


def weekday_ja(day: date) -> str:
    """The weekday in one kanji (月 … 日)."""
    return WEEKDAYS[day.weekday()]


def wareki(day: date) -> str:
    """A date in the Japanese era (令和7年4月1日); dates before 令和 in the Western calendar."""
    if day < date(2019, 5, 1):
        return f"{day.year}年{day.month}月{day.day}日"
    year = day.year - 2018
    return f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"


JST = timezone(timedelta(hours=9), "JST")


def shown_time(stamp: str) -> str:
    """A stored ISO time as an auditor reads it: 令和8年12月7日 16時05分 in JST.

    Stored times carry their offset (any zone); a time without one is taken as JST. Text that is
    not an ISO time is returned as it is.
    """
    try:
        at = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    at = at.replace(tzinfo=JST) if at.tzinfo is None else at.astimezone(JST)
    return f"{wareki(at.date())} {at.hour}時{at.minute:02d}分"
