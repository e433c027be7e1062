"""How the tabs show what a draft cites: the stored clause with the quote marked, and answers.

Each cited clause can open its original (「原文を表示」): the page of the file it was read from,
drawn with the quote marked (``copilot.source_pages``), beside the clause and its neighbours.
The page travels inside the HTML as a ``data:`` image, so no server path or URL is exposed and
the browser asks nothing more of the server; it sits in a ``<details>`` element that opens in
one click without a round trip.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from copilot.exports.styling import noted
from copilot.review.drafts import Draft
from copilot.schemas import Answer
from copilot.services import ClauseRecord
from copilot.source_pages import SourcePage
from ui.page import literal

# a cited clause's original, by (clause id, quote): see ``ui.actions_sources.originals``
Originals = Mapping[tuple[str, str], SourcePage]

_ROW = "display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start;margin-top:0.5em"
_FIGURE = "flex:3 1 480px;margin:0"
_IMAGE = "width:100%;max-width:910px;border:1px solid #bbb;box-shadow:0 1px 4px #0002"
_CONTEXT = "flex:2 1 300px;min-width:260px"
_NEIGHBOUR = "color:#888;font-size:0.92em;line-height:1.7"
_HERE = "border-left:3px solid #e67800;padding-left:0.6em;line-height:1.8"
_NOTE = "color:#8a5a00;font-size:0.92em"


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


def original_html(view: SourcePage) -> str:
    """「原文を表示」: the original page, quote marked, beside the clause and its neighbours.

    Closed until clicked; where there is no image (a text file, a file changed since), the
    clause and its neighbours are shown with a sentence that says why.
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
    return (
        "<details class='original'><summary style='cursor:pointer;color:#1a5fb4'>原文を表示"
        f"</summary><div style='{_ROW}'>{figure}{context}</div></details>"
    )


def _source_html(
    rec: ClauseRecord, quote: str, note: str = "", original: SourcePage | None = None
) -> str:
    """A stored clause with its document, path and page (and the citation's note), quote marked.

    With ``original``, a 「原文を表示」 element under it opens the page it was read from.
    """
    page = f"{html.escape(str(rec.page))} ページ" if rec.page else "（ページなし）"
    where = (
        f"<b>文書</b>: {html.escape(rec.title or rec.doc_id)}"
        f"　<b>条項</b>: {html.escape(rec.path)}　<b>ページ</b>: {page}"
    )
    shown = original_html(original) if original is not None else ""
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
    With ``originals`` (``ui.actions_sources.originals``), each clause can open its original page.
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
                parts.append(f"<p>[{n}]</p>{_source_html(rec, c['quote'], note, view)}")
    return "".join(parts) or "<p>引用はありません。</p>"
