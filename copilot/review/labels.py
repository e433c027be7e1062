"""What the kinds and statuses of drafts are called in Japanese, and which need a sign-off.

The screens and the exports name a draft's kind and status by these words, never by the stored
names (``checklist_judgement``, ``approved_with_edits``).
"""

from __future__ import annotations

KIND_JA = {
    "checklist_judgement": "チェックリスト判定",
    "finding": "発見事項",
    "policy_gap": "ポリシーの網羅状況",
    "policy_advice": "ポリシーの改定助言",
    "hearing_mail": "ヒアリングメール",
    "hearing_reply": "ヒアリング回答",
    "answer": "回答",
}

# Drafts that the lead signs off before they are used: the queue's default. Answers to questions
# and reply mails taken in are records of what was asked and received, kept but not signed off.
SIGN_OFF_KINDS = ("checklist_judgement", "finding", "policy_gap", "policy_advice", "hearing_mail")

STATUS_JA = {
    "draft": "下書き",
    "approved": "承認済",
    "approved_with_edits": "修正承認済",
    "rejected": "却下",
}


def kind_ja(kind: str) -> str:
    """A draft kind in Japanese (「その他の下書き」 for a kind the copilot does not make)."""
    return KIND_JA.get(kind, "その他の下書き")


def status_ja(status: str) -> str:
    """A draft status in Japanese."""
    return STATUS_JA.get(status, status)
