"""The draft editor: open a draft by its row or number, save a new version, sign it off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gradio as gr

from copilot.review.drafts import Draft, draft_number
from ui import actions
from ui.page import STATUS_JA, Page, in_place, login_name
from ui.sources import cited_html


@dataclass
class SignOff:
    """The lead-only approve/reject/reopen rows under an opened draft."""

    comment: gr.Textbox
    approve: gr.Button
    reject: gr.Button
    message: gr.Markdown
    reason: gr.Textbox
    reopen: gr.Button
    row: gr.Row | None = None  # approve and reject: offered while the draft is a draft
    again: gr.Row | None = None  # reopen: offered once it is signed off
    approve_next: gr.Button | None = None  # 承認して次へ (the review queue)

    def wire(
        self,
        page: Page,
        draft_id: gr.Number,
        opened: gr.State,
        *then: tuple[Callable[..., Any], Any, Any],
    ) -> None:
        """Approve, reject or reopen the version of the draft that the page showed.

        ``opened`` holds the number and version shown (``actions.shown``); the store checks
        the role and that no version came after it. Each ``(handler, inputs, outputs)`` of
        ``then`` runs after it in turn, to show the result.
        """
        deps = page.deps

        def signed(draft_id: object, action: str) -> str:
            label = {"approve": "承認", "approve_with_edits": "修正承認", "reject": "却下"}[action]
            return f"下書き {draft_number(draft_id)} を{label}しました。"

        @in_place
        def on_approve(
            draft_id: Any, comment: str, opened: actions.Shown | None, request: gr.Request
        ) -> str:
            user = login_name(request)
            return signed(draft_id, actions.sign_off(deps, user, draft_id, True, comment, opened))

        @in_place
        def on_reject(
            draft_id: Any, comment: str, opened: actions.Shown | None, request: gr.Request
        ) -> str:
            user = login_name(request)
            return signed(draft_id, actions.sign_off(deps, user, draft_id, False, comment, opened))

        @in_place
        def on_reopen(
            draft_id: Any, reason: str, opened: actions.Shown | None, request: gr.Request
        ) -> tuple[str, actions.Shown]:
            version = actions.reopen(deps, login_name(request), draft_id, reason, opened)
            number = draft_number(draft_id)
            shown = {"draft": number, "version": version}  # a copy of the version the lead read
            return f"下書き {number} を差し戻しました（版 {version}）。", shown

        for button, handler, text, written in (
            (self.approve, on_approve, self.comment, [self.message]),
            (self.reject, on_reject, self.comment, [self.message]),
            (self.reopen, on_reopen, self.reason, [self.message, opened]),
        ):
            event = button.click(handler, [draft_id, text, opened], written)
            for fn, inputs, outputs in then:
                event = event.success(fn, inputs, outputs)


def sign_off_row(page: Page, prefix: str, then_next: bool = False) -> SignOff:
    """Lay out the approve/reject row and the reopen row, shown to the lead only.

    Element ids: ``<prefix>-approve``, ``-reject``, ``-reopen``, ``-reopen-reason``, ``-sign-msg``
    (and ``-approve-next``, 「承認して次へ」, with ``then_next``: the caller wires it).
    """
    approve_next = None
    with gr.Row(visible=False) as row:
        comment = gr.Textbox(
            label="承認・却下のコメント（却下は必須）", elem_id=f"{prefix}-sign-comment"
        )
        approve = gr.Button("承認", variant="primary", elem_id=f"{prefix}-approve")
        if then_next:
            approve_next = gr.Button(
                "承認して次へ", variant="primary", elem_id=f"{prefix}-approve-next"
            )
        reject = gr.Button("却下", variant="stop", elem_id=f"{prefix}-reject")
    with gr.Row(visible=False) as again:
        reason = gr.Textbox(
            label="差戻しの理由（承認・却下済みの下書きを下書きに戻す）",
            elem_id=f"{prefix}-reopen-reason",
        )
        reopen = gr.Button("差戻し", elem_id=f"{prefix}-reopen")
    message = gr.Markdown(elem_id=f"{prefix}-sign-msg")
    page.lead_only.extend([row, again])
    return SignOff(comment, approve, reject, message, reason, reopen, row, again, approve_next)


LOCKED = (
    "この下書きは{status}で、確定しています。内容は変更できません。変更が必要なときは、"
    "主任担当者が理由を添えて「差戻し」で下書きに戻してください。"
)


def lock_handler(
    page: Page,
    opened: gr.State,
    fields: list[Any],
    save: gr.Button | None,
    sign: SignOff,
    note: gr.Markdown,
) -> Handler:
    """The follow-up that makes a signed-off draft read-only: (function, inputs, outputs).

    A draft still in draft gets its fields, save and (for the lead) approve/reject; a
    signed-off one shows its fields read-only, says so in ``note`` and offers the lead 差戻し
    only. Run it after the draft shown (``opened``) changed: opened, saved, signed off, reopened.
    """
    deps = page.deps

    @in_place
    def on_lock(shown: actions.Shown | None, request: gr.Request) -> tuple[Any, ...]:
        state = actions.lock(deps, login_name(request), shown)
        editable, lead = state.editable, state.lead
        said = "" if editable else LOCKED.format(status=STATUS_JA.get(state.status, ""))
        return (
            *(gr.update(interactive=editable) for _ in fields),
            *([gr.update(visible=editable)] if save is not None else []),
            gr.update(visible=editable and lead),
            gr.update(visible=not editable and lead),
            said,
        )

    outputs = [*fields, *([save] if save is not None else []), sign.row, sign.again, note]
    return on_lock, [opened], outputs


def saved(draft: Draft) -> tuple[str, actions.Shown]:
    """The message after a save, and the version saved: what the page now shows of the draft."""
    message = f"下書き {draft.id} を版 {draft.latest.version} として保存しました（承認待ち）。"
    return message, actions.shown(draft)


def picked_id(evt: gr.SelectData) -> float | None:
    """The draft number in the first column of the row the user clicked."""
    row = evt.row_value or []
    try:
        return float(row[0]) if row and row[0] not in ("", None) else None
    except (TypeError, ValueError):
        return None


Handler = tuple[Callable[..., Any], Any, Any]  # (function, inputs, outputs) of a follow-up event


@dataclass
class DraftEditor:
    """Open a draft by its table row or number, edit it as a new version, sign it off."""

    draft_id: gr.Number
    open_button: gr.Button
    head: gr.Markdown
    citations: gr.HTML
    opened: gr.State  # {"draft": id, "version": n}: what the page showed (``actions.shown``)
    save: gr.Button | None = None
    saved: gr.Markdown | None = None
    sign: SignOff | None = None
    locked: gr.Markdown | None = None  # says a signed-off draft is read-only

    def wire(
        self,
        page: Page,
        table: gr.Dataframe,
        fields: list[Any],
        on_open: Callable[..., Any],
        on_save: Callable[..., Any],
        refresh: Handler,
    ) -> None:
        """Open from the table or the number, save, approve, reject or reopen.

        ``on_open(id)`` fills head, citations and ``fields`` and returns ``actions.shown`` of
        the draft last, kept in the page's state; ``on_save(id, *fields, opened)`` stores a new
        version of what was shown and returns ``saved``; ``refresh`` redraws the table after a
        save or a sign-off. Once a draft is signed off, its fields are read-only and save,
        approve and reject are gone; the lead alone is offered 差戻し (``lock_handler``).
        """
        assert self.save is not None and self.saved is not None and self.sign is not None
        assert self.locked is not None
        outputs = [self.head, self.citations, *fields, self.opened]
        show = (on_open, [self.draft_id], outputs)
        lock = lock_handler(page, self.opened, fields, self.save, self.sign, self.locked)
        table.select(picked_id, None, [self.draft_id]).success(*show).success(*lock)
        self.open_button.click(*show).success(*lock)
        saving = [self.draft_id, *fields, self.opened]
        written = [self.saved, self.opened]  # the saver has seen what they saved
        self.save.click(on_save, saving, written).success(*show).success(*lock).success(*refresh)
        self.sign.wire(page, self.draft_id, self.opened, show, lock, refresh)


@contextmanager
def draft_editor(
    page: Page, prefix: str, sign_prefix: str, what: str, citations_id: str = ""
) -> Iterator[DraftEditor]:
    """Lay out the editor; the caller adds the edit fields inside (the last: the edit's reason).

    Element ids are ``<prefix>-id``, ``-open``, ``-head``, ``-citations`` (or ``citations_id``),
    ``-locked`` (the read-only note), ``-save`` and ``-save-msg``; the approve/reject row's are
    ``<sign_prefix>-approve`` ….
    """
    gr.Markdown(f"### {what}を開く（表の行を選ぶか、下書き番号を入れて「開く」）")
    with gr.Row():
        # no precision: a number that is not a whole one reaches the handler, which names it
        draft_id = gr.Number(label="下書き番号", value=None, elem_id=f"{prefix}-id")
        open_button = gr.Button("開く", elem_id=f"{prefix}-open")
    head = gr.Markdown(elem_id=f"{prefix}-head")
    citations = cited_html(page.deps, citations_id or f"{prefix}-citations")
    editor = DraftEditor(draft_id, open_button, head, citations, gr.State(None))
    editor.locked = gr.Markdown(elem_id=f"{prefix}-locked")
    with gr.Group():
        yield editor
    editor.save = gr.Button("修正を保存（新しい版）", elem_id=f"{prefix}-save")
    editor.saved = gr.Markdown(elem_id=f"{prefix}-save-msg")
    editor.sign = sign_off_row(page, sign_prefix)
