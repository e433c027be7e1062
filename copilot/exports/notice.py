"""The audit-result notice draft (監査結果通知（案）) of one division, as Word.

Only signed-off findings are written unless ``include_drafts`` is set; then every unsigned one
carries 【下書き】 in its heading and the page header says so. Rejected findings never.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from docx.document import Document as DocxDocument

from copilot.exports.styling import (
    IKEN,
    SHITEKI,
    heading,
    labelled,
    new_document,
    noted,
    para,
    save_docx,
    table,
    wareki,
)
from copilot.schemas import (
    DRAFT,
    Finding,
    ReviewInfo,
    kept,
)


def _basis_rows(f: Finding) -> list[list[str]]:
    rows = [("判断基準", c) for c in f.criteria] + [("確認した証跡", c) for c in f.evidence]
    return [
        [kind, c.document, c.clause_path, str(c.page) if c.page else "", noted(c.quote, c.note)]
        for kind, c in rows
    ]


def _finding(doc: DocxDocument, number: str, f: Finding, review: ReviewInfo) -> None:
    """One finding: its heading, the four parts and the table of its basis."""
    mark = "" if review.signed else DRAFT
    heading(doc, f"{mark}{number}　{f.title}", 2)
    rating = SHITEKI if f.rating == "指摘" else IKEN
    parts = (
        ("（1）発見事項", f.finding),
        ("（2）指摘・意見の評価", f"{f.rating}（{rating.split('：', 1)[1]}）"),
        ("（3）想定されるリスク", f.risk),
        ("（4）改善提言", f.recommendation),
    )
    for title, text in parts:
        heading(doc, title, 3)
        para(doc, text)
    heading(doc, "（5）根拠", 3)
    rows = _basis_rows(f)
    if rows:
        table(doc, ("区分", "文書", "条項", "頁", "引用"), rows, (22, 32, 26, 10, 70))
    else:
        para(doc, "根拠の引用はありません。")


def export_notice(
    division: str,
    findings: Sequence[tuple[Finding, ReviewInfo]],
    period: str,
    signer: str,
    path: Path,
    include_drafts: bool = False,
    day: date | None = None,
) -> Path:
    """Write the audit-result notice draft (監査結果通知（案）) of one division as Word.

    Args:
        division: the audited division; every finding must be of this division.
        findings: each finding with its review state.
        period: the audit period, e.g. 「令和7年6月1日から令和8年3月19日まで」.
        signer: who signs the notice (name and title).
        path: the .docx to write.
        include_drafts: also write unsigned findings, marked 【下書き】.
        day: the date on the cover (today by default).

    Returns:
        The path written: a cover (title, division, period, signer, date, counts), then the
        指摘 and then the 意見, numbered, each with 発見事項, 指摘・意見の評価, 想定されるリスク,
        改善提言 and a table of its basis (document, clause path, page, quote).

    Raises:
        ValueError: a finding belongs to another division.
        UserError: the path does not end in .docx.

    """
    if other := [f.division for f, _ in findings if f.division != division]:
        raise ValueError(f"findings of another division given for {division}: {other}")
    shown = kept(findings, include_drafts)
    shown.sort(key=lambda fr: fr[0].rating != "指摘")  # stable: 指摘 first, order kept
    drafts = any(not r.signed for _, r in shown)
    doc = new_document(f"情報セキュリティ監査結果通知（案）　{division}", drafts)
    heading(doc, "情報セキュリティ監査結果通知（案）", 0)
    para(doc, wareki(day or date.today()), align="right")
    labelled(doc, [("対象課", division), ("監査期間", period), ("通知者", signer)])
    counts = {k: sum(f.rating == k for f, _ in shown) for k in ("指摘", "意見")}
    para(
        doc,
        f"{division}を対象として実施した情報セキュリティ監査の結果、下記のとおり指摘事項"
        f"{counts['指摘']}件及び意見{counts['意見']}件がありましたので通知します。"
        + (
            "指摘事項については、改善の計画及び実施状況を報告してください。"
            if counts["指摘"]
            else ""
        ),
    )
    doc.add_page_break()
    para(doc, "記", align="center")
    if not shown:
        para(doc, "承認された発見事項はありません。")
    for rating, title in (("指摘", "第1　指摘事項"), ("意見", "第2　意見")):
        group = [(f, r) for f, r in shown if f.rating == rating]
        if group:
            heading(doc, title, 1)
        for k, (f, r) in enumerate(group, start=1):
            _finding(doc, f"{rating}{k}", f, r)
    para(doc, "以上", align="right")
    return save_docx(doc, path)
