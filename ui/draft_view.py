"""A draft of any kind shown to read and sign off: its text and which fields hold its citations.

The review queue opens every kind of draft in one place; each kind's fields are shown under the
names the auditor knows (判定, 理由, 発見事項, 改善提言 …), stored text always ``literal``.
"""

from __future__ import annotations

from typing import Any

from copilot.review.drafts import Draft
from copilot.review.labels import kind_ja, status_ja
from ui.page import literal

# The payload fields that hold citations, with their headings (``ui.sources.citations_html``).
CITED: dict[str, dict[str, str]] = {
    "checklist_judgement": {"evidence": "契約書類の根拠", "basis": "規程の根拠"},
    "finding": {"criteria": "判断基準（規程）", "evidence": "根拠"},
    "answer": {"citations": "引用"},
    "policy_gap": {"policy_citations": "ポリシーの該当箇所", "guideline_citation": "ガイドライン"},
    "policy_advice": {"clause": "ポリシーの条項", "guideline_citations": "ガイドラインの根拠"},
}


def _field(label: str, value: Any) -> str:
    if value in (None, "", []):
        return ""
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    return f"**{label}**: {literal(value)}"


def _fields(*pairs: tuple[str, Any]) -> str:
    return "\n\n".join(x for x in (_field(label, value) for label, value in pairs) if x)


def draft_md(d: Draft) -> str:
    """The content of a draft, as Markdown, by the names its kind's fields have on the screens."""
    p = d.payload
    if d.kind == "checklist_judgement":
        sure = p.get("confidence")
        return _fields(
            ("項目", f"{p.get('item', '')}（契約 {p.get('contract', '')}）"),
            ("判定", f"{p.get('verdict', '')}（回答 {p.get('answer', '')}）"),
            ("確信度", "" if sure is None else f"{sure:.2f}　{p.get('confidence_reason', '')}"),
            ("理由", p.get("rationale")),
            ("助言", p.get("advice")),
            ("修正文案", p.get("proposed_wording")),
        )
    if d.kind == "finding":
        return _fields(
            ("対象課", p.get("division")),
            ("題目", p.get("title")),
            ("評価", p.get("rating")),
            ("発見事項", p.get("finding")),
            ("想定されるリスク", p.get("risk")),
            ("改善提言", p.get("recommendation")),
        )
    if d.kind == "answer":
        return _fields(("質問", p.get("question")), ("回答", p.get("text")))
    if d.kind == "policy_gap":
        return _fields(
            ("要件", f"{p.get('requirement', '')}　{p.get('requirement_text', '')}"),
            ("網羅状況", p.get("coverage")),
            ("理由", p.get("rationale")),
            ("不足している事項", p.get("missing")),
            ("助言", p.get("advice")),
            ("修正文案", p.get("proposed_wording")),
        )
    if d.kind == "policy_advice":
        return _fields(
            ("条項の現在の定め", p.get("clause_says")),
            ("発見事項との関係", p.get("what_happened")),
            ("助言", p.get("advice")),
            ("修正文案", p.get("proposed_wording")),
        )
    if d.kind == "hearing_mail":
        questions = "\n".join(
            f"- 【質問{literal(q.get('no', ''))}】{literal(q.get('question', ''))}"
            for q in p.get("questions") or []
        )
        head = _fields(
            ("対象課", p.get("division")),
            ("件名", p.get("subject")),
            ("宛先", p.get("to") or "（送信時に入力）"),
            ("回答期限", p.get("reply_by")),
            ("依頼する資料", p.get("documents")),
        )
        return f"{head}\n\n**質問**\n\n{questions}" if questions else head
    if d.kind == "hearing_reply":
        return _fields(
            ("対象課", p.get("division")),
            ("差出人", p.get("sender")),
            ("日付", p.get("date")),
            ("件名", p.get("subject")),
            ("本文", p.get("text")),
        )
    return _fields(*((str(k), v) for k, v in p.items() if isinstance(v, str)))


def draft_head(d: Draft, subject: str) -> str:
    """The heading of an opened draft: its kind, what it is about, number, version and status."""
    return (
        f"### {literal(kind_ja(d.kind))}：{literal(subject)}\n\n"
        f"下書き {d.id}・版 {d.latest.version}・{literal(status_ja(d.status))}"
    )
