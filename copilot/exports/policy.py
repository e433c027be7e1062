"""Exports of policy revision support: the gap table and the guideline diff (Excel), the memos.

The gap analysis goes out as Excel, one row per requirement, and as a Word advice memo grouped by
the guideline's chapter; the advice drawn from findings as a Word memo, one section per clause;
the changes between two guideline editions (``copilot.policy.diff``) as Excel, one row each.

Signed-off judgements only, unless ``include_drafts`` (then unsigned rows are marked 【下書き】);
rejected ones never, the same rule as every other export (``copilot.schemas.kept``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from copilot.calendar_jp import wareki
from copilot.exports.styling import (
    BOX,
    GOTHIC,
    MINCHO,
    cite_text,
    header_row,
    heading,
    new_document,
    noted,
    para,
    print_one_page_wide,
    put,
    save_docx,
    save_xlsx,
    set_properties,
    table,
    write_wrapped,
)
from copilot.policy.diff import marked
from copilot.schemas import (
    DRAFT,
    GuidelineDiff,
    PolicyAdvice,
    PolicyGap,
    ReviewInfo,
    kept,
)

GAP_HEADERS = ("要件ID", "要件", "判定", "ポリシーの該当条項", "引用", "助言", "確認者", "状態")
_GAP_WIDTHS = (14, 48, 8, 22, 56, 48, 12, 16)


def _where(g: PolicyGap) -> str:
    return "\n".join(c.clause_path for c in g.policy_citations) or "（該当なし）"


def _quotes(g: PolicyGap) -> str:
    lines = [f"ポリシー: {cite_text(c)}" for c in g.policy_citations]
    if g.guideline_citation is not None:
        lines.append(f"ガイドライン: {cite_text(g.guideline_citation)}")
    return "\n".join(lines)


def _advice(g: PolicyGap) -> str:
    text = g.advice or ("改定の必要は認められない。" if g.coverage == "網羅" else "")
    if g.proposed_wording and g.coverage != "網羅":
        text += f"\n（記載例）{g.proposed_wording}"
    return text.strip()


def export_gap_xlsx(
    gaps: Sequence[tuple[PolicyGap, ReviewInfo]], path: Path, include_drafts: bool = False
) -> Path:
    """Write the gap analysis as Excel, one row per requirement.

    Args:
        gaps: each judgement with its review state (one policy against one guideline).
        path: the .xlsx to write.
        include_drafts: also write unsigned judgements, marked 【下書き】.

    Returns:
        The path written: a title and a summary line, then 要件ID, 要件, 判定, ポリシーの該当条項,
        引用 (both sides, verified), 助言, 確認者 and 状態 under a filtered, frozen header.

    Raises:
        UserError: the path does not end in .xlsx.

    """
    shown = kept(gaps, include_drafts)
    wb = Workbook()
    ws = wb.active
    ws.title = "網羅状況"
    first = shown[0][0] if shown else None
    title = "ポリシーの網羅状況（ガイドライン対照表）"
    put(ws, 1, 1, title)
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    counts = {k: sum(g.coverage == k for g, _ in shown) for k in ("網羅", "一部", "欠落", "要確認")}
    summary = (
        f"ポリシー: {first.policy}　ガイドライン: {first.guideline}　"
        + "　".join(f"{k} {v}件" for k, v in counts.items())
        if first
        else "承認された判定はありません。"
    )
    put(ws, 2, 1, summary)
    head = 4
    header_row(ws, head, GAP_HEADERS, _GAP_WIDTHS)
    r = head
    for g, review in shown:
        r += 1
        mark = "" if review.signed else DRAFT
        values = (
            g.requirement,
            g.requirement_text,
            f"{mark}{g.coverage}",
            _where(g),
            _quotes(g),
            _advice(g),
            review.reviewer,
            review.label(),
        )
        for c, value in enumerate(values, start=1):
            write_wrapped(ws, r, c, value)
            ws.cell(r, c).border = BOX
            ws.cell(r, c).font = Font(name=MINCHO)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(GAP_HEADERS))}{max(r, head + 1)}"
    ws.freeze_panes = f"A{head + 1}"
    ws.print_title_rows = f"{head}:{head}"
    print_one_page_wide(ws)
    set_properties(wb, title)
    return save_xlsx(wb, path)


def export_gap_memo(
    gaps: Sequence[tuple[PolicyGap, ReviewInfo]],
    path: Path,
    include_drafts: bool = False,
    day: date | None = None,
) -> Path:
    """Write the advice memo (ポリシー改定に関する助言メモ) as Word, grouped by chapter.

    Args:
        gaps: each judgement with its review state.
        path: the .docx to write.
        include_drafts: also write unsigned judgements, marked 【下書き】.
        day: the date on the memo (today by default).

    Returns:
        The path written: a title, the two documents and the counts, then for each chapter of
        the guideline the requirements judged 一部 or 欠落 (and 要確認), each with the
        requirement quoted, what the policy says, the advice and a wording example; the
        requirements found 網羅 are listed at the end of the chapter.

    Raises:
        UserError: the path does not end in .docx.

    """
    shown = kept(gaps, include_drafts)
    drafts = any(not r.signed for _, r in shown)
    doc = new_document("ポリシー改定に関する助言メモ", drafts)
    heading(doc, "ポリシー改定に関する助言メモ", 0)
    para(doc, wareki(day or date.today()), align="right")
    if not shown:
        para(doc, "承認された判定はありません。")
        return save_docx(doc, path)
    first = shown[0][0]
    counts = {k: sum(g.coverage == k for g, _ in shown) for k in ("網羅", "一部", "欠落", "要確認")}
    table(
        doc,
        [],
        [
            ["対象のポリシー", first.policy],
            ["照らしたガイドライン", first.guideline],
            ["判定の内訳", "　".join(f"{k} {v}件" for k, v in counts.items())],
        ],
        (45, 115),
    )
    para(
        doc,
        "ガイドラインの要件ごとに、ポリシーの該当条項と照らし合わせた結果、追加又は具体化が"
        "望ましい事項を以下のとおり助言する。引用は、いずれも取り込んだ文書の原文と照合済みである。",
    )
    chapters: dict[str, list[tuple[PolicyGap, ReviewInfo]]] = {}
    for g, r in shown:
        chapters.setdefault(g.chapter or "（章なし）", []).append((g, r))
    for chapter, rows in chapters.items():
        heading(doc, chapter, 1)
        for g, r in [x for x in rows if x[0].coverage != "網羅"]:
            mark = "" if r.signed else DRAFT
            heading(doc, f"{mark}{g.requirement}　【{g.coverage}】", 2)
            if g.guideline_citation is not None:
                para(doc, f"要件: {cite_text(g.guideline_citation)}")
            says = "\n".join(cite_text(c) for c in g.policy_citations) or "該当する定めなし"
            para(doc, f"ポリシーの定め: {says}")
            para(doc, f"判定の理由: {g.rationale}")
            if g.advice:
                para(doc, f"助言: {g.advice}")
            if g.proposed_wording:
                para(doc, f"記載例: {g.proposed_wording}")
            para(doc, f"確認: {r.reviewer or '—'}　{r.label()}")
        covered = [g.requirement for g, _ in rows if g.coverage == "網羅"]
        if covered:
            para(doc, f"網羅していると判断した要件: {'、'.join(covered)}")
    para(doc, "以上", align="right")
    return save_docx(doc, path)


def export_advice_memo(
    advice: Sequence[tuple[PolicyAdvice, ReviewInfo]],
    path: Path,
    include_drafts: bool = False,
    day: date | None = None,
) -> Path:
    """Write the revision advice drawn from findings as Word, one section per policy clause.

    Raises:
        UserError: the path does not end in .docx.

    """
    shown = kept(advice, include_drafts)
    drafts = any(not r.signed for _, r in shown)
    doc = new_document("監査結果を踏まえたポリシー改定の助言", drafts)
    heading(doc, "監査結果を踏まえたポリシー改定の助言", 0)
    para(doc, wareki(day or date.today()), align="right")
    if not shown:
        para(doc, "承認された助言はありません。")
    for k, (a, r) in enumerate(shown, start=1):
        mark = "" if r.signed else DRAFT
        heading(doc, f"{mark}{k}　{a.clause.document} {a.clause.clause_path}", 1)
        para(doc, f"現行の定め: {cite_text(a.clause)}")
        para(doc, f"監査で判明したこと: {a.what_happened}")
        para(doc, f"助言: {a.advice}")
        para(doc, f"改定案: {a.proposed_wording}")
        for c in a.guideline_citations:
            para(doc, f"参考（ガイドライン）: {cite_text(c)}")
        para(doc, f"確認: {r.reviewer or '—'}　{r.label()}")
    para(doc, "以上", align="right")
    return save_docx(doc, path)


# --- ガイドライン改定差分 -------------------------------------------------------------------

DIFF_HEADERS = ("区分", "旧項番", "新項番", "変更内容", "見直しが必要な条項", "引用")
_DIFF_WIDTHS = (8, 22, 22, 70, 26, 60)


def export_diff(diff: GuidelineDiff, path: Path) -> Path:
    """Write the changes as Excel: one row per change under a styled, filtered header.

    Raises:
        UserError: the path does not end in .xlsx.

    """
    wb = Workbook()
    ws = wb.active
    ws.title = "改定差分"
    title = "ガイドライン改定差分と規程の見直し候補"
    put(ws, 1, 1, title)
    ws.cell(1, 1).font = Font(name=GOTHIC, bold=True, size=14)
    summary = (
        f"旧版 {diff.old_document} → 新版 {diff.new_document}（規程 {diff.policy_document}）　"
        + "　".join(f"{k} {diff.count(k)}" for k in ("追加", "削除", "変更", "移動"))
        + f"　項番のみ変更 {len(diff.renumbered)}　変更なし {diff.unchanged}"
    )
    put(ws, 2, 1, summary)
    head = 4
    header_row(ws, head, DIFF_HEADERS, _DIFF_WIDTHS)
    r = head
    for change in diff.changes:
        r += 1
        clauses = "\n".join(c.clause_path for c in change.policy_clauses)
        quotes = "\n".join(
            noted(f"{c.clause_path}「{c.citation.quote}」", c.citation.note)
            for c in change.policy_clauses
        )
        values = (
            change.kind,
            change.old_path,
            change.new_path,
            marked(change.segments),
            clauses or "（該当する条項なし）",
            quotes,
        )
        for c, text in enumerate(values, start=1):
            write_wrapped(ws, r, c, text)
            ws.cell(r, c).font, ws.cell(r, c).border = Font(name=MINCHO), BOX
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(DIFF_HEADERS))}{max(r, head + 1)}"
    ws.freeze_panes = f"A{head + 1}"
    ws.print_title_rows = f"{head}:{head}"
    print_one_page_wide(ws)
    set_properties(wb, title)
    return save_xlsx(wb, path)
