"""The templates of the fieldwork records, as Word: ヒアリング議事録 and 現地監査結果概要."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx.document import Document as DocxDocument

from copilot.audit.selfcheck import Reason
from copilot.exports.styling import (
    cite_text,
    heading,
    labelled,
    new_document,
    para,
    save_docx,
    table,
)


def _onsite_check(r: Reason) -> str:
    return f"No.{r.id}「{r.question.rstrip('。')}」について、現地において運用の実態を確認する。"


def _question(doc: DocxDocument, k: int, r: Reason, asked: str, blanks: Sequence[str]) -> None:
    heading(doc, f"{asked}{k}　No.{r.id}", 2)
    answered = r.answer + (f"（補足：{r.note}）" if r.note else "")
    rows = [
        ("設問", f"{r.category}　{r.question}".strip()),
        ("自己点検の回答", answered),
        ("質問事項", r.hearing) if asked == "質問" else ("確認事項", _onsite_check(r)),
        ("根拠（規程）", cite_text(r.basis) if r.basis else "―"),
    ]
    if asked != "質問":
        rows.append(("確認する資料・現物", "、".join(r.documents)))
    labelled(doc, rows + [(b, "") for b in blanks], blank=30)


def export_hearing_minutes(division: str, reasons: Sequence[Reason], path: Path) -> Path:
    """Write a hearing-minutes template (ヒアリング議事録) for one division as Word.

    Args:
        division: the audited division.
        reasons: the self-check questions to ask about (from the triage).
        path: the .docx to write.

    Returns:
        The path written: the 5-business-day note, fields for date, place, method and attendees,
        then per question the question, the self-check answer, the hearing question and its
        policy basis, with blank rooms for the answer and the documents seen.

    Raises:
        UserError: the path does not end in .docx.

    """
    doc = new_document(f"ヒアリング議事録　{division}", drafts=False)
    heading(doc, "情報セキュリティ監査　ヒアリング議事録", 0)
    para(
        doc,
        "※ 対面又はウェブ会議により実施したヒアリングの議事録は、実施後5営業日以内に作成し、"
        "対象課の確認を経て提出すること。",
    )
    fields = (
        "実施日時",
        "実施場所・方法（対面／ウェブ会議）",
        "出席者（対象課）",
        "出席者（監査人）",
    )
    labelled(doc, [("対象課", division), *((f, "") for f in fields), ("作成者・作成日", "")])
    heading(doc, "質問事項及び回答", 1)
    for k, r in enumerate(reasons, start=1):
        _question(doc, k, r, "質問", ("回答", "確認した資料"))
    heading(doc, "その他・特記事項", 1)
    labelled(doc, [("特記事項", ""), ("今後の対応（追加資料の依頼等）", "")], blank=30)
    return save_docx(doc, path)


def export_onsite_summary(division: str, reasons: Sequence[Reason], path: Path) -> Path:
    """Write an on-site check summary template (現地監査結果概要) for one division as Word.

    Args:
        division: the audited division.
        reasons: the self-check questions to check on site (from the triage).
        path: the .docx to write.

    Returns:
        The path written: the 5-business-day note, fields for date, place and attendees, a blank
        time table, then per question the question, what to check, its policy basis and the
        records to see, with blank rooms for the observation, the evidence and the rating.

    Raises:
        UserError: the path does not end in .docx.

    """
    doc = new_document(f"現地監査結果概要　{division}", drafts=False)
    heading(doc, "情報セキュリティ監査　現地監査結果概要", 0)
    para(doc, "※ 現地監査の結果概要は、実施後5営業日以内に取りまとめること。")
    fields = ("実施日時", "実施場所", "対応者（対象課）", "監査人")
    labelled(doc, [("対象課", division), *((f, "") for f in fields), ("作成者・作成日", "")])
    heading(doc, "タイムテーブル", 1)
    table(doc, ("時刻", "内容", "場所"), [["", "", ""]] * 4, (30, 90, 40), blank_height=8)
    heading(doc, "確認事項及び結果", 1)
    blanks = ("確認結果", "確認した証跡（写真番号等）", "評価（指摘／意見／問題なし）")
    for k, r in enumerate(reasons, start=1):
        _question(doc, k, r, "確認", blanks)
    heading(doc, "総括", 1)
    labelled(doc, [("総括", "")], blank=40)
    return save_docx(doc, path)
