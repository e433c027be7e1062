"""What the tabs of the app share: labels, rendering of citations and drafts, the ``Page``.

The ``Page`` collects the app's dependencies and the components that are filled when the page
loads (the lead-only rows, the contract, checklist and document pickers), wired once in
``ui.app.build_app``.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from copilot.errors import UserError
from copilot.exports.styling import noted
from copilot.review.drafts import Draft, draft_number
from copilot.schemas import Answer
from copilot.services import ClauseRecord
from ui import actions
from ui.actions import Deps

STATUS_JA = {
    "draft": "下書き",
    "approved": "承認済",
    "approved_with_edits": "修正承認済",
    "rejected": "却下",
}


ACTION_JA = {
    "run": "実行",
    "create": "下書き作成",
    "edit": "修正",
    "approve": "承認",
    "approve_with_edits": "修正承認",
    "reject": "却下",
    "reopen": "差戻し",
    "user_add": "利用者追加",
    "passwd": "パスワード変更",
    "login": "ログイン",
    "login_failed": "ログイン失敗",
    "lockout": "ロック",
    "unlock": "ロック解除",
    "replace_document": "文書の差し替え",
    "remove_document": "文書の削除",
}


# ASCII punctuation that Markdown (CommonMark, GFM, Gradio's $$ maths) may read as syntax; the
# five that HTML reads (& < > " ') become entities instead, so they are not in this set.
_MARKDOWN_PUNCTUATION = re.compile(r"([!#$%()*+,\-./:;=?@\[\\\]^_`{|}~])")


def literal(text: object) -> str:
    """Stored text (a quote, a title, a comment, a name …) shown as it stands inside Markdown.

    Gradio renders Markdown with raw HTML, so ``<img src=…>`` or ``[…](http://…)`` in a
    document or an edit comment would become live markup. Every Markdown punctuation mark is
    backslash-escaped first and then ``& < > " '`` become entities (in this order, so the
    entities' own ``#`` and ``;`` stay intact); line breaks become ``<br>`` so a table row or a
    list item is not split. Nothing extra is visible: the renderer drops the backslashes.
    """
    if text is None:
        return ""
    escaped = html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text)))
    return re.sub(r"\r\n?|\n", "<br>", escaped)


# An absolute path on the server (not a URL's //, not a relative document id): its folders
_SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:：、。，,（）()「」『』<>\"']+/)+(?=[^\s/])")


def no_folders(text: str) -> str:
    """``text`` with every absolute server path cut to its file name.

    Messages written for the CLI name files by path; in the UI an uploaded file's path is in
    Gradio's cache inside the data folder, whose place is not the users' business.
    """
    return _SERVER_PATH.sub("", text)


def error_html(exc: UserError) -> str:
    """The Japanese half, then the English half, escaped (the toast renders HTML), no folders."""
    return (
        f"<span lang='ja'>{html.escape(no_folders(exc.ja))}</span><br>"
        f"<span lang='en'>Error: {html.escape(no_folders(exc.en))}</span>"
    )


def in_place(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show a user error where the user is, in Japanese and English, instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            raise gr.Error(
                error_html(exc), title="エラー / Error", duration=None, print_exception=False
            ) from None

    return wrapper


def login_name(request: gr.Request | None) -> str | None:
    """The logged-in user's name (None outside a login)."""
    return getattr(request, "username", None)


def status_ja(d: Draft) -> str:
    """A draft's review state in Japanese."""
    return STATUS_JA.get(d.status, d.status)


def _highlight(text: str, quote: str) -> str:
    escaped = html.escape(text)
    q = html.escape(quote)
    if q and q in escaped:
        escaped = escaped.replace(q, f"<mark>{q}</mark>", 1)
    return escaped.replace("\n", "<br>")


def answer_md(answer: Answer) -> str:
    """An answer with its numbered citations, as Markdown."""
    lines = [literal(answer.text), ""]
    for n, c in enumerate(answer.citations, start=1):
        page = f" p.{literal(c.page)}" if c.page else ""
        where = f"{literal(c.document)} {literal(c.clause_path)}{page}"
        lines.append(noted(f"[{n}] {where}「{literal(c.quote)}」", literal(c.note)))
    return "\n\n".join(lines)


def _source_html(rec: ClauseRecord, quote: str, note: str = "") -> str:
    """A stored clause with its document, path and page (and the citation's note), quote marked."""
    page = f"{html.escape(str(rec.page))} ページ" if rec.page else "（ページなし）"
    where = (
        f"<b>文書</b>: {html.escape(rec.title or rec.doc_id)}"
        f"　<b>条項</b>: {html.escape(rec.path)}　<b>ページ</b>: {page}"
    )
    return (
        f"<div class='source'><p>{noted(where, html.escape(note))}</p>"
        f"<p class='clause'>{_highlight(rec.text, quote)}</p></div>"
    )


def citations_html(draft: Draft, found: dict[str, ClauseRecord], fields: dict[str, str]) -> str:
    """Every citation of a draft under its heading (根拠, 判断基準 …), each with its clause.

    A field holds a list of citations, or one (a gap's guideline requirement, an advice's clause).
    """
    parts = []
    for name, label in fields.items():
        cites = draft.payload.get(name) or []
        if isinstance(cites, dict):
            cites = [cites]
        if not cites:
            continue
        parts.append(f"<h4>{html.escape(label)}（{len(cites)} 件）</h4>")
        for n, c in enumerate(cites, start=1):
            rec = found.get(c["clause_id"])
            note = c.get("note", "")
            if rec is None:
                where = (
                    f"[{n}] {html.escape(c['document'])} "
                    f"{html.escape(c['clause_path'])}「{html.escape(c['quote'])}」"
                )
                parts.append(
                    f"<div class='source'><p>{noted(where, html.escape(note))}"
                    "（この条項は索引にありません）</p></div>"
                )
            else:
                parts.append(f"<p>[{n}]</p>{_source_html(rec, c['quote'], note)}")
    return "".join(parts) or "<p>引用はありません。</p>"


def _versions_md(d: Draft) -> str:
    """The versions of a draft and its sign-off, as a Markdown list (stored text literal)."""
    lines = []
    for v in d.versions:
        what = "作成" if v.version == 1 else "修正"
        note = f"「{literal(v.comment)}」" if v.comment else ""
        lines.append(
            f"- 版 {v.version}: {what} {literal(v.author_display)}（{literal(v.created_at)}）{note}"
        )
    if d.signoff is not None:
        r = d.signoff
        note = f"「{literal(r.comment)}」" if r.comment else ""
        lines.append(
            f"- {literal(ACTION_JA.get(r.action, r.action))}: {literal(r.actor_display)}"
            f"（{literal(r.at)}、版 {r.version}）{note}"
        )
    return "\n".join(lines)


def progress_note(progress: gr.Progress, phases: int = 1) -> Callable[[str], None]:
    """A notify callback that moves the progress bar and shows the message.

    ``[3/87] …`` moves it by item; any other message is the next of ``phases`` steps (the bar
    shows no text without a number).
    """
    done = [0]

    def note(message: str) -> None:
        m = re.match(r"\s*\[(\d+)/(\d+)\]", message)
        if m:
            progress((int(m.group(1)) - 1, int(m.group(2))), desc=message)
        else:
            progress((min(done[0], phases - 1), phases), desc=message)
            done[0] += 1

    return note


@dataclass
class Page:
    """The app's dependencies and the components that are filled when the page loads."""

    deps: Deps
    lead_only: list[Any] = field(default_factory=list)  # shown to the lead (主任担当者) only
    contracts: list[gr.Dropdown] = field(default_factory=list)
    checklists: list[gr.Dropdown] = field(default_factory=list)
    documents: list[gr.Dropdown] = field(default_factory=list)
    policies: list[gr.Dropdown] = field(default_factory=list)  # documents of kind policy
    guidelines: list[gr.Dropdown] = field(default_factory=list)  # documents of kind guideline
    index_changed: list[Any] = field(default_factory=list)  # events after which to refill
    loads: list[tuple[Callable[..., Any], list[Any]]] = field(default_factory=list)  # at load

    def pickers(self) -> list[gr.Dropdown]:
        """Every dropdown that lists contracts, checklists or documents of the index."""
        return [
            *self.contracts,
            *self.checklists,
            *self.documents,
            *self.policies,
            *self.guidelines,
        ]


def fill_pickers(page: Page) -> Callable[[], tuple[Any, ...]]:
    """The handler that fills every picker of ``page`` from the index."""

    @in_place
    def on_pickers() -> tuple[Any, ...]:
        c = actions.choices(page.deps)
        first = c.checklists[0][1] if c.checklists else None
        value = c.contracts[0] if c.contracts else None
        # one update object per output: Gradio consumes each as it applies it
        return (
            *(gr.update(choices=c.contracts, value=value) for _ in page.contracts),
            *(gr.update(choices=c.checklists, value=first) for _ in page.checklists),
            *(gr.update(choices=c.documents, value=None) for _ in page.documents),
            *(gr.update(choices=c.policies, value=None) for _ in page.policies),
            *(gr.update(choices=c.guidelines, value=None) for _ in page.guidelines),
        )

    return on_pickers


@dataclass
class SignOff:
    """The lead-only approve/reject/reopen rows under an opened draft."""

    comment: gr.Textbox
    approve: gr.Button
    reject: gr.Button
    message: gr.Markdown
    reason: gr.Textbox
    reopen: gr.Button

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


def sign_off_row(page: Page, prefix: str) -> SignOff:
    """Lay out the approve/reject row and the reopen row, shown to the lead only.

    Element ids: ``<prefix>-approve``, ``-reject``, ``-reopen``, ``-reopen-reason``, ``-sign-msg``.
    """
    with gr.Row(visible=False) as row:
        comment = gr.Textbox(label="承認・却下のコメント（却下は必須）")
        approve = gr.Button("承認", variant="primary", elem_id=f"{prefix}-approve")
        reject = gr.Button("却下", variant="stop", elem_id=f"{prefix}-reject")
    with gr.Row(visible=False) as again:
        reason = gr.Textbox(
            label="差戻しの理由（承認・却下済みの下書きを下書きに戻す）",
            elem_id=f"{prefix}-reopen-reason",
        )
        reopen = gr.Button("差戻し", elem_id=f"{prefix}-reopen")
    message = gr.Markdown(elem_id=f"{prefix}-sign-msg")
    page.lead_only.extend([row, again])
    return SignOff(comment, approve, reject, message, reason, reopen)


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
        save or a sign-off.
        """
        assert self.save is not None and self.saved is not None and self.sign is not None
        outputs = [self.head, self.citations, *fields, self.opened]
        show = (on_open, [self.draft_id], outputs)
        table.select(picked_id, None, [self.draft_id]).success(*show)
        self.open_button.click(*show)
        saving = [self.draft_id, *fields, self.opened]
        written = [self.saved, self.opened]  # the saver has seen what they saved
        self.save.click(on_save, saving, written).success(*show).success(*refresh)
        self.sign.wire(page, self.draft_id, self.opened, show, refresh)


@contextmanager
def draft_editor(
    page: Page, prefix: str, sign_prefix: str, what: str, citations_id: str = ""
) -> Iterator[DraftEditor]:
    """Lay out the editor; the caller adds the edit fields inside (the last: the edit's reason).

    Element ids are ``<prefix>-id``, ``-open``, ``-head``, ``-citations`` (or ``citations_id``),
    ``-save`` and ``-save-msg``; the approve/reject row's are ``<sign_prefix>-approve`` ….
    """
    gr.Markdown(f"### {what}を開く（表の行を選ぶか、下書き番号を入れて「開く」）")
    with gr.Row():
        # no precision: a number that is not a whole one reaches the handler, which names it
        draft_id = gr.Number(label="下書き番号", value=None, elem_id=f"{prefix}-id")
        open_button = gr.Button("開く", elem_id=f"{prefix}-open")
    head = gr.Markdown(elem_id=f"{prefix}-head")
    citations = gr.HTML(elem_id=citations_id or f"{prefix}-citations")
    editor = DraftEditor(draft_id, open_button, head, citations, gr.State(None))
    with gr.Group():
        yield editor
    editor.save = gr.Button("修正を保存（新しい版）", elem_id=f"{prefix}-save")
    editor.saved = gr.Markdown(elem_id=f"{prefix}-save-msg")
    editor.sign = sign_off_row(page, sign_prefix)
