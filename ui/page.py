"""What the tabs of the app share: labels, rendering of citations and drafts, the ``Page``.

The ``Page`` collects the app's dependencies and the components that are filled when the page
loads (the lead-only rows, the admin-only tabs, the contract, checklist and document pickers),
wired once in ``ui.app.build_app``.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from copilot.calendar_jp import shown_time
from copilot.errors import UserError
from copilot.review.drafts import Draft
from copilot.services import DOCUMENT_KIND_JA
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


# The title of every message box an error opens. Gradio 6.31's frontend shows the box's type
# ("Error") instead of the title given; ``ui.frontend_words`` writes this word there.
ERROR_TITLE = "エラー"


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
                error_html(exc), title=ERROR_TITLE, duration=None, print_exception=False
            ) from None

    return wrapper


def login_name(request: gr.Request | None) -> str | None:
    """The logged-in user's name (None outside a login)."""
    return getattr(request, "username", None)


def status_ja(d: Draft) -> str:
    """A draft's review state in Japanese."""
    return STATUS_JA.get(d.status, d.status)


def document_kind_ja(kind: str) -> str:
    """A document kind (``self_check`` …) as the screens name it (自己点検シート …)."""
    return DOCUMENT_KIND_JA.get(kind, DOCUMENT_KIND_JA["other"])


def _versions_md(d: Draft) -> str:
    """The versions of a draft and its sign-off, as a Markdown list (stored text literal)."""
    lines = []
    for v in d.versions:
        what = "作成" if v.version == 1 else "修正"
        note = f"「{literal(v.comment)}」" if v.comment else ""
        lines.append(
            f"- 版 {v.version}: {what} {literal(v.author_display)}"
            f"（{literal(shown_time(v.created_at))}）{note}"
        )
    if d.signoff is not None:
        r = d.signoff
        note = f"「{literal(r.comment)}」" if r.comment else ""
        lines.append(
            f"- {literal(ACTION_JA.get(r.action, r.action))}: {literal(r.actor_display)}"
            f"（{literal(shown_time(r.at))}、版 {r.version}）{note}"
        )
    return "\n".join(lines)


# What the progress bar counts, after its numbers (「9/29 件」; Gradio's own word is "steps").
PROGRESS_UNIT = "件"
PHASE_UNIT = "段階"


def progress_note(
    progress: gr.Progress, phases: int = 1, unit: str = PROGRESS_UNIT
) -> Callable[[str], None]:
    """A notify callback that moves the progress bar and shows the message.

    ``[3/87] …`` moves it by item and counts in ``unit`` (件, 項目 …); any other message is the
    next of ``phases`` steps, counted in 段階 (the bar shows no text without a number).
    """
    done = [0]

    def note(message: str) -> None:
        m = re.match(r"\s*\[(\d+)/(\d+)\]", message)
        if m:
            progress((int(m.group(1)) - 1, int(m.group(2))), desc=message, unit=unit)
        else:
            progress((min(done[0], phases - 1), phases), desc=message, unit=PHASE_UNIT)
            done[0] += 1

    return note


@dataclass
class Page:
    """The app's dependencies and the components that are filled when the page loads."""

    deps: Deps
    lead_only: list[Any] = field(default_factory=list)  # shown to the lead (主任担当者) only
    # Shown to the admin only: the engineering tabs (評価: golden sets, metrics), whose words are
    # the developers' and whose results judge the copilot, not the city.
    admin_only: list[Any] = field(default_factory=list)
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
