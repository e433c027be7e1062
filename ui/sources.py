"""How the tabs show what a draft cites: the stored clause with the quote marked, and answers."""

from __future__ import annotations

import html

from copilot.exports.styling import noted
from copilot.review.drafts import Draft
from copilot.schemas import Answer
from copilot.services import ClauseRecord
from ui.page import literal


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
