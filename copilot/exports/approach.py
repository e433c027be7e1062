"""The audit approach document (監査実施方針（案）), as Word, from the self-check triage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from copilot.audit.selfcheck import DivisionRisk, Reason, Triage
from copilot.calendar_jp import wareki
from copilot.exports.styling import (
    IKEN,
    METHODS,
    SHITEKI,
    cite_text,
    heading,
    new_document,
    para,
    save_docx,
    table,
)

DEFAULT_CRITERIA = f"{SHITEKI}。\n{IKEN}。"
DEFAULT_PURPOSE = (
    "本監査は、市の情報セキュリティポリシー及び関係規程に基づく情報セキュリティ対策の実施状況を、"
    "独立かつ専門的な立場から点検・評価し、その結果に基づく改善を促すことにより、市の情報資産の"
    "機密性、完全性及び可用性を確保することを目的とする。本年度は、外部サービス（クラウドサービス、"
    "LGWAN-ASP等）の利用を重点テーマとする。"
)


def _documents(risk: DivisionRisk) -> list[list[str]]:
    """Each document to request once, with the questions that need it and their basis."""
    by_doc: dict[str, list[Reason]] = {}
    for r in risk.reasons:
        for name in r.documents:
            by_doc.setdefault(name, []).append(r)
    return [
        [
            str(k),
            name,
            "、".join(f"No.{r.id}" for r in rs),
            "\n".join(dict.fromkeys(cite_text(r.basis) for r in rs if r.basis)) or "―",
        ]
        for k, (name, rs) in enumerate(by_doc.items(), start=1)
    ]


def _hearing(reasons: Sequence[Reason]) -> list[list[str]]:
    return [
        [str(k), f"No.{r.id}", r.hearing, cite_text(r.basis) if r.basis else "―"]
        for k, r in enumerate(reasons, start=1)
    ]


def export_approach(
    triage: Triage,
    period: str,
    divisions_schedule: Sequence[tuple[str, str]],
    path: Path,
    purpose: str = DEFAULT_PURPOSE,
    criteria: str = DEFAULT_CRITERIA,
    day: date | None = None,
) -> Path:
    """Write the audit approach document (監査実施方針（案）) as Word.

    Args:
        triage: the self-check triage of the divisions.
        period: the audit period.
        divisions_schedule: the audited divisions in order, each with its date or schedule text.
        path: the .docx to write.
        purpose: the purpose of the audit.
        criteria: how a 指摘 is told from an 意見.
        day: the date under the title (today by default).

    Returns:
        The path written: purpose; methods (書面監査, ヒアリング mostly by e-mail, 現地監査);
        period; the schedule with each division's self-check result; per division the documents
        to request and the hearing topics, each with its policy basis; the 指摘/意見 criteria.

    Raises:
        UserError: the path does not end in .docx.

    """
    risks = {d.division: d for d in triage.divisions}
    doc = new_document("情報セキュリティ監査実施方針（案）", drafts=False)
    heading(doc, "情報セキュリティ監査実施方針（案）", 0)
    para(doc, wareki(day or date.today()), align="right")
    heading(doc, "1　監査の目的", 1)
    para(doc, purpose)
    heading(doc, "2　監査の方法", 1)
    for k, (name, text) in enumerate(METHODS, start=1):
        heading(doc, f"（{k}）{name}", 2)
        para(doc, text)
    heading(doc, "3　監査の期間", 1)
    para(doc, period)
    heading(doc, "4　監査対象課及び日程", 1)
    rows = [
        [str(k), div, when, risks[div].explanation if div in risks else "自己点検結果なし"]
        for k, (div, when) in enumerate(divisions_schedule, start=1)
    ]
    table(doc, ("No.", "対象課", "日程", "自己点検の結果"), rows, (12, 38, 40, 70))
    para(doc, f"（注）自己点検の結果の点数：{triage.formula}")
    heading(doc, "5　対象課ごとの依頼資料及びヒアリング事項", 1)
    for k, (div, _) in enumerate(divisions_schedule, start=1):
        heading(doc, f"（{k}）{div}", 2)
        risk = risks.get(div)
        if risk is None or not risk.reasons:
            para(doc, "自己点検の結果から追加で依頼する資料及びヒアリング事項はありません。")
            continue
        heading(doc, "依頼資料", 3)
        table(
            doc, ("No.", "資料", "関係する設問", "根拠（規程）"), _documents(risk), (12, 53, 25, 70)
        )
        heading(doc, "ヒアリング事項", 3)
        table(
            doc,
            ("No.", "設問", "ヒアリング事項", "根拠（規程）"),
            _hearing(risk.reasons),
            (12, 18, 70, 60),
        )
    heading(doc, "6　指摘と意見の区分", 1)
    for line in criteria.splitlines():
        para(doc, line)
    para(doc, "以上", align="right")
    return save_docx(doc, path)
