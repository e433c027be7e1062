"""The on-site check's time table (現地監査タイムテーブル（案）) of one visit, as Word.

The city confirms the time table before the visit, so the document names the visit day, the day
to reply by and the day the summary is due, all from the work plan
(``copilot.engagement.onsite.visit``). The slots come from ``copilot.engagement.onsite.schedule``;
this module only lays them out, with the checks planned and the policy sentence each rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from pathlib import Path

from copilot.audit.selfcheck import Reason
from copilot.calendar_jp import wareki, weekday_ja
from copilot.engagement.onsite import schedule, visit
from copilot.exports.styling import (
    check_suffix,
    cite_text,
    heading,
    labelled,
    new_document,
    para,
    save_docx,
    table,
)
from copilot.schemas import Workplan

TITLE = "現地監査タイムテーブル（案）"
NO_CHECKS = (
    "自己点検の結果から個別の確認事項はありません。当日は執務室等の巡回確認と"
    "管理記録の閲覧を中心に行います。"
)


def _day(d: date) -> str:
    return f"{wareki(d)}（{weekday_ja(d)}）"


def _team(plan: Workplan) -> str:
    return "、".join(f"{m.name}（{m.role}）" for m in plan.engagement.team)


def export_onsite_timetable(
    plan: Workplan,
    division: str,
    checks: Sequence[Reason],
    path: Path,
    start: time = time(10, 0),
) -> Path:
    """Write one visit's time table for the city's prior confirmation.

    Args:
        plan: the engagement's work plan (the days come from its items).
        division: the division visited.
        checks: the division's self-check questions to follow up on site (may be none).
        path: the .docx to write.
        start: when the visit begins.

    Returns:
        The path written: the title, 団体名・業務名・対象課・実施日・場所・監査チーム, the request
        to confirm by the business day before the visit and the day the summary is due, the
        slots (時刻 / 内容 / 確認方法 / 場所・対応者) and the checks (No. / 設問 / 確認事項 /
        根拠 / 資料) with the policy sentence each rests on.

    Raises:
        UserError: no visit to the division is planned, the day does not fit, or the path does
            not end in .docx; nothing is written then.

    """
    check_suffix(path, ".docx")
    v = visit(plan, division)
    slots = schedule(checks, start)
    e = plan.engagement
    doc = new_document(f"{TITLE}　{division}", drafts=False)
    heading(doc, TITLE, 0)
    labelled(
        doc,
        [
            ("団体名", e.city),
            ("業務名", e.project),
            ("対象課", division),
            ("実施日", _day(v.day)),
            ("場所", ""),
            ("監査チーム", _team(plan)),
        ],
    )
    para(
        doc,
        f"本タイムテーブルは、現地監査の実施に先立ち、{division}にご確認いただくための案です。"
        "時刻・内容・場所及び対応者をご確認のうえ、"
        f"{_day(v.confirm_by)}までにご回答ください。"
        f"現地監査の結果の概要は、{_day(v.summary_due)}までに報告します（実施日から5営業日）。",
    )
    heading(doc, "タイムテーブル", 1)
    rows = [[f"{s.start:%H:%M}～{s.end:%H:%M}", s.what, s.method, ""] for s in slots]
    table(doc, ("時刻", "内容", "確認方法", "場所・対応者"), rows, (32, 76, 28, 34))
    heading(doc, "確認事項と根拠", 1)
    if not checks:
        para(doc, NO_CHECKS)
    else:
        table(
            doc,
            ("No.", "設問", "確認事項", "根拠（規程）", "資料・現物"),
            [
                [
                    f"No.{r.id}",
                    f"{r.category}　{r.question}".strip(),
                    r.hearing,
                    cite_text(r.basis) if r.basis else "―（規程の一文が見つかりません）",
                    "、".join(r.documents) or "―",
                ]
                for r in checks
            ],
            (16, 40, 38, 44, 32),
        )
        documents = list(dict.fromkeys(d for r in checks for d in r.documents))
        if documents:
            para(doc, "当日ご準備いただきたい資料：" + "、".join(documents))
    return save_docx(doc, path)
