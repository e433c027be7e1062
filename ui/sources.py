"""How the tabs show what a draft cites: the stored clause with the quote marked, and answers.

Each cited clause opens its original in one click (「原文を表示」, a ``<details>`` element): the
page of the file it was read from, drawn with the quote marked (``copilot.source_pages``),
beside the clause and its neighbours. A page is drawn only when its element is first opened:
the element asks the server for it (``cited_html``: a Gradio server function behind the login,
refused to the admin as drafts are), so opening a draft costs nothing, and a page drawn once is
kept. The page travels inside the answer as a ``data:`` image: no server path or file URL is
exposed and nothing is fetched from anywhere else.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

import gradio as gr

from copilot.errors import UserError
from copilot.exports.styling import noted
from copilot.review.drafts import Draft
from copilot.schemas import Answer
from copilot.services import ClauseRecord
from copilot.source_pages import SourcePage
from ui import actions_sources
from ui.actions import Deps
from ui.page import literal
from ui.security import session_tokens

# a cited clause's original, by (clause id, quote): see ``ui.actions_sources.originals``
Originals = Mapping[tuple[str, str], SourcePage]

_ROW = "display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin-top:0.5em"
_FIGURE = "flex:3 1 480px;margin:0"
_IMAGE = "width:100%;max-width:910px;border:1px solid #bbb;box-shadow:0 1px 4px #0002"
_CONTEXT = "flex:2 1 300px;min-width:260px"
_NEIGHBOUR = "color:#888;font-size:0.92em;line-height:1.7"
_HERE = "border-left:3px solid #e67800;padding-left:0.6em;line-height:1.8"
_NOTE = "color:#8a5a00;font-size:0.92em"
_SUMMARY = "<summary style='cursor:pointer;color:#1a5fb4'>原文を表示</summary>"
LOADING = (
    "原本のページを読み込んでいます。Word・Excel の文書は、初めて開くときに PDF へ変換するため"
    "十秒ほどかかることがあります。"
)
FAILED = "原本のページを表示できませんでした。閉じてから、もう一度開いてください。"
# Opening a 「原文を表示」 element the first time asks the server for its page (``cited_html``);
# ``toggle`` does not bubble, so it is caught on its way down.
_OPEN_JS = f"""
element.addEventListener('toggle', async (event) => {{
  const box = event.target;
  if (!box.matches || !box.matches('details.original[data-clause]')) return;
  if (!box.open || box.dataset.state) return;
  box.dataset.state = 'loading';
  const body = box.querySelector('.original-body');
  try {{
    body.innerHTML = await server.source_page([box.dataset.clause, box.dataset.quote]);
    box.dataset.state = 'shown';
  }} catch (err) {{
    delete box.dataset.state;
    body.innerHTML = '<p class="original-note">{FAILED}</p>';
  }}
}}, true);
"""


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


def _neighbour(rec: ClauseRecord | None, which: str) -> str:
    if rec is None:
        return f"<p style='{_NEIGHBOUR}'>（{which}の条項はありません）</p>"
    return (
        f"<p class='neighbour' style='{_NEIGHBOUR}'><b>{which}の条項</b>"
        f"（{html.escape(rec.path)}）<br>{_highlight(rec.text, '')}</p>"
    )


def original_body(view: SourcePage) -> str:
    """The original page, quote marked, beside the clause and its neighbours (greyed).

    Where there is no image (a text file, a file changed since), the clause and its neighbours
    are shown with a sentence that says why.
    """
    figure = ""
    if view.image is not None:
        data = base64.b64encode(view.image).decode("ascii")
        where = f"原本の {view.page} ページ目（全 {view.pages} ページ）"
        caption = f"{where}。橙色の枠で囲んだ箇所が引用です。" if view.marked else f"{where}。"
        figure = (
            f"<figure class='original-page' style='{_FIGURE}'>"
            f"<img src='data:image/png;base64,{data}' alt='{where}' style='{_IMAGE}'>"
            f"<figcaption style='font-size:0.9em'>{caption}</figcaption></figure>"
        )
    notes = "".join(
        f"<p class='original-note' style='{_NOTE}'>{html.escape(n)}</p>" for n in view.notes
    )
    context = (
        f"<div class='original-text' style='{_CONTEXT}'>{notes}"
        f"{_neighbour(view.before, '前')}"
        f"<p class='clause' style='{_HERE}'><b>引用した条項</b>（{html.escape(view.clause.path)}）"
        f"<br>{_highlight(view.clause.text, view.quote)}</p>"
        f"{_neighbour(view.after, '次')}</div>"
    )
    return f"<div style='{_ROW}'>{figure}{context}</div>"


def original_html(view: SourcePage) -> str:
    """「原文を表示」 with the page inside: closed until clicked, no round trip to open it."""
    return f"<details class='original'>{_SUMMARY}{original_body(view)}</details>"


def _asked_original(rec: ClauseRecord, quote: str) -> str:
    """「原文を表示」 whose page the server draws when it is first opened (see ``cited_html``)."""
    clause, wanted = html.escape(rec.clause_id, quote=True), html.escape(quote, quote=True)
    return (
        f"<details class='original' data-clause='{clause}' data-quote='{wanted}'>{_SUMMARY}"
        f"<div class='original-body'><p style='{_NOTE}'>{LOADING}</p></div></details>"
    )


def _login(request: Any) -> str | None:
    """The logged-in user of a request: Gradio's, or the session cookie's for a server function.

    A server function gets the bare request, without Gradio's ``username``; its session cookie
    names the user in Gradio's table of sessions (the one ``ui.security`` guards).
    """
    name = getattr(request, "username", None)
    if name:
        return str(name)
    raw = getattr(request, "request", request)
    tokens = getattr(getattr(raw, "app", None), "tokens", None) or {}
    scope = getattr(raw, "scope", None)
    for token in session_tokens(scope) if scope is not None else []:
        if token in tokens:
            return str(tokens[token])
    return None


def cited_html(deps: Deps, elem_id: str) -> gr.HTML:
    """The component that shows ``citations_html``: its 「原文を表示」 draw their page on demand."""

    def source_page(cite: Any, request: gr.Request) -> str:
        """The original page of one citation ([clause id, quote]) as HTML, or why not."""
        try:
            if not (isinstance(cite, list) and len(cite) == 2):
                raise UserError(
                    "表示する引用を特定できませんでした。下書きを開き直してください。",
                    "the citation to show was not recognised; open the draft again.",
                )
            view = actions_sources.original_of(deps, _login(request), str(cite[0]), str(cite[1]))
        except UserError as exc:
            return f"<p class='original-note' style='{_NOTE}'>{html.escape(exc.ja)}</p>"
        return original_body(view)

    return gr.HTML(elem_id=elem_id, js_on_load=_OPEN_JS, server_functions=[source_page])


def _source_html(
    rec: ClauseRecord,
    quote: str,
    note: str = "",
    original: SourcePage | None = None,
    asked: bool = False,
) -> str:
    """A stored clause with its document, path and page (and the citation's note), quote marked.

    With ``original``, a 「原文を表示」 element under it holds the page it was read from; with
    ``asked``, the element asks the server for it when opened (shown in ``cited_html``).
    """
    page = f"{html.escape(str(rec.page))} ページ" if rec.page else "（ページなし）"
    where = (
        f"<b>文書</b>: {html.escape(rec.title or rec.doc_id)}"
        f"　<b>条項</b>: {html.escape(rec.path)}　<b>ページ</b>: {page}"
    )
    shown = ""
    if original is not None:
        shown = original_html(original)
    elif asked:
        shown = _asked_original(rec, quote)
    return (
        f"<div class='source'><p>{noted(where, html.escape(note))}</p>"
        f"<p class='clause'>{_highlight(rec.text, quote)}</p>{shown}</div>"
    )


def citations_html(
    draft: Draft,
    found: dict[str, ClauseRecord],
    fields: dict[str, str],
    originals: Originals | None = None,
) -> str:
    """Every citation of a draft under its heading (根拠, 判断基準 …), each with its clause.

    A field holds a list of citations, or one (a gap's guideline requirement, an advice's clause).
    Each clause has a 「原文を表示」 element: its page comes inside it when ``originals``
    (``ui.actions_sources.originals``) holds it, else from the server when it is first opened,
    which needs the HTML shown in ``cited_html``.
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
                view = (originals or {}).get((c["clause_id"], c["quote"]))
                shown = _source_html(rec, c["quote"], note, view, asked=True)
                parts.append(f"<p>[{n}]</p>{shown}")
    return "".join(parts) or "<p>引用はありません。</p>"
