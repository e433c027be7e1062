"""質問: ask about the policy; a citation opens its clause with the quote marked."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui import actions_audit
from ui.page import Page, in_place, login_name
from ui.sources import _source_html, answer_md


def tab_ask(page: Page) -> None:
    """質問: ask about the policy; a citation opens its clause with the quote marked."""
    deps = page.deps

    @in_place
    def on_ask(question: str, request: gr.Request) -> tuple[Any, ...]:
        answer = actions_audit.ask_and_record(deps, login_name(request), question)
        choices = [
            (f"[{n}] {c.document} {c.clause_path}", n - 1)
            for n, c in enumerate(answer.citations, start=1)
        ]
        return (
            answer_md(answer),
            gr.update(choices=choices, value=None),
            [c.model_dump() for c in answer.citations],
            "",
        )

    @in_place
    def on_citation(index: int | None, citations: list[dict[str, Any]]) -> str:
        if index is None or index >= len(citations):
            return ""
        c = citations[index]
        rec = actions_audit.clause(deps, c["clause_id"])
        return _source_html(rec, c["quote"], c.get("note", ""))

    with gr.Tab("質問", id="ask"):
        question = gr.Textbox(label="質問", placeholder="例: クラウドの下請けに市の承認は要るか")
        ask_btn = gr.Button("質問する", variant="primary")
        answer = gr.Markdown(elem_id="answer")
        citations = gr.Radio(label="引用（選ぶと原文を表示）", choices=[], elem_id="citations")
        cited = gr.State([])
        source = gr.HTML(elem_id="source")
    ask_btn.click(on_ask, [question], [answer, citations, cited, source])
    question.submit(on_ask, [question], [answer, citations, cited, source])
    citations.change(on_citation, [citations, cited], [source])
