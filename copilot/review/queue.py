"""The review queue: each draft named by what it is, its kind, author, time and status in Japanese.

A row says what a lead signs off (``C-2026-001　項目 1-1-1「受託者は…」``, ``福祉政策課「持出し簿の
未整備」``), not the stored key. A checklist judgement's question is read from the checklist its run
judged (kept in the run's inputs), or from the judgement itself when it carries it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.calendar_jp import shown_time
from copilot.errors import UserError
from copilot.review.drafts import Draft
from copilot.review.labels import SIGN_OFF_KINDS, kind_ja, status_ja
from copilot.review.store import ReviewStore

__all__ = ["QueueEntry", "describe", "review_queue", "subject_of"]

SHOWN = 40  # characters of a question or requirement shown in a row


@dataclass(frozen=True)
class QueueEntry:
    """One row of the queue: a draft and how it is shown."""

    draft: Draft
    kind: str  # in Japanese
    subject: str  # what the draft is about
    author: str  # who ran the task (display name)
    created: str  # 和暦, JST
    status: str  # in Japanese

    @property
    def id(self) -> int:
        """The draft's number."""
        return self.draft.id


def _start(text: str, n: int = SHOWN) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _title(doc_id: str) -> str:
    """A document named by its file's name without folders or extension."""
    return Path(str(doc_id)).stem or str(doc_id)


def describe(draft: Draft, question: str = "") -> str:
    """What a draft is about, in a line: the contract and item, the division and title, etc.

    ``question`` is a checklist item's question when the judgement does not carry it.
    """
    p: dict[str, Any] = draft.payload
    kind = draft.kind
    if kind == "checklist_judgement":
        asked = p.get("question") or question
        head = f"{p.get('contract', '')}　項目 {p.get('item', '')}"
        return f"{head}「{_start(asked)}」" if asked else head
    if kind == "finding":
        return f"{p.get('division', '')}「{_start(p.get('title', ''))}」（{p.get('rating', '')}）"
    if kind == "answer":
        return f"質問「{_start(p.get('question', draft.key))}」"
    if kind == "policy_gap":
        what = _start(p.get("requirement_text", ""))
        return f"{_title(p.get('policy', ''))}　要件 {p.get('requirement', '')}「{what}」"
    if kind == "policy_advice":
        clause = p.get("clause") or {}
        return f"{_title(p.get('policy', ''))}　{clause.get('clause_path', '')}"
    if kind == "hearing_mail":
        asked = len(p.get("questions") or [])
        return f"{p.get('division', draft.key)}　{_start(p.get('subject', ''))}（質問 {asked} 件）"
    if kind == "hearing_reply":
        sender = f"（{p['sender']}）" if p.get("sender") else ""
        return f"{p.get('division', '')}　{p.get('file', '')}{sender}"
    return draft.key


def _questions(store: ReviewStore, drafts: list[Draft]) -> dict[int, dict[str, str]]:
    """Each checklist run's item questions (by run id), read from the checklist it judged."""
    from copilot.audit.checklists import import_checklist

    by_file: dict[str, dict[str, str]] = {}
    out: dict[int, dict[str, str]] = {}
    for run_id in sorted({d.run_id for d in drafts if d.kind == "checklist_judgement"}):
        try:
            source = str(store.get_run(run_id).inputs.get("checklist") or "")
        except UserError:
            continue
        if source not in by_file:
            try:
                items = import_checklist(Path(source)).items if source else []
            except (UserError, OSError, ValueError):
                items = []  # the checklist is gone or unreadable: the item number still says
            by_file[source] = {i.id: i.text for i in items}
        out[run_id] = by_file[source]
    return out


def subject_of(store: ReviewStore, draft: Draft) -> str:
    """What one draft is about (``describe``, with its checklist item's question)."""
    questions = _questions(store, [draft]).get(draft.run_id, {})
    return describe(draft, questions.get(str(draft.payload.get("item")), ""))


def review_queue(
    store: ReviewStore, kinds: Iterable[str] | None = None, pending: bool = True
) -> list[QueueEntry]:
    """The drafts to review, oldest first: of ``kinds`` (default: those that need a sign-off).

    ``pending`` keeps the drafts not yet signed off; otherwise every status is listed.
    """
    wanted = set(SIGN_OFF_KINDS if kinds is None else kinds)
    drafts = [d for d in store.list_drafts(status="draft" if pending else None) if d.kind in wanted]
    questions = _questions(store, drafts)
    return [
        QueueEntry(
            draft=d,
            kind=kind_ja(d.kind),
            subject=describe(d, questions.get(d.run_id, {}).get(str(d.payload.get("item")), "")),
            author=d.original.author_display,
            created=shown_time(d.created_at),
            status=status_ja(d.status),
        )
        for d in drafts
    ]
