"""質問: a conversation about the policy, a contract or a division; a quote opens its context.

Each answer names its focus; the next question keeps it unless it names another contract or
division, or the auditor picks another. The quotes of the latest answer are listed under the
chat: picking one shows its clause with the quote marked, and 「原文を表示」 under it opens the
page of the original with the clauses before and after it (``ui.sources``).
Asking makes no draft; 「この回答を保存」 keeps the latest answer for review.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from copilot.drafting.answers import grouped
from copilot.exports.styling import noted
from copilot.schemas import Answer
from ui import actions_chat
from ui.actions_chat import Turn
from ui.page import Page, in_place, literal, login_name
from ui.sources import _source_html


def answer_chat_md(answer: Answer, titles: dict[str, str], focus: str) -> str:
    """An answer as the chat shows it: its text, then each document's quotes under its title."""
    lines = [literal(answer.text)]
    for document, cites in grouped(answer.citations):
        lines.append(f"**{literal(titles.get(document, document))}**")
        for n, c in cites:
            page = f"（{c.page} ページ）" if c.page else ""
            where = f"[{n}] {literal(c.clause_path)}{page}"
            lines.append(noted(f"{where}「{literal(c.quote)}」", literal(c.note)))
    lines.append(f"*対象: {literal(focus)}*")
    return "\n\n".join(lines)


def tab_ask(page: Page) -> None:
    """質問: a conversation about the policy, a contract or a division."""
    deps = page.deps

    @in_place
    def on_ask(
        question: str, focus: str | None, history: list[dict[str, Any]], request: gr.Request
    ) -> tuple[Any, ...]:
        turn = actions_chat.ask_in_chat(deps, login_name(request), question, focus)
        shown = answer_chat_md(turn.answer, turn.titles, turn.focus.label)
        history = [
            *(history or []),
            {"role": "user", "content": literal(question.strip())},
            {"role": "assistant", "content": shown},
        ]
        choices = [
            (f"[{n}] {turn.titles.get(c.document, c.document)} {c.clause_path}", n - 1)
            for n, c in enumerate(turn.answer.citations, start=1)
        ]
        return (
            history,
            gr.update(choices=turn.choices, value=actions_chat.focus_value(turn.focus)),
            gr.update(choices=choices, value=None, visible=bool(choices)),
            turn,
            "",
            "",
            gr.update(interactive=bool(turn.answer.citations)),
            "",
        )

    @in_place
    def on_quote(index: int | None, turn: Turn | None, request: gr.Request) -> str:
        if index is None or turn is None or index >= len(turn.answer.citations):
            return ""
        c = turn.answer.citations[index]
        view = actions_chat.quote_original(deps, login_name(request), c.clause_id, c.quote)
        return _source_html(view.clause, c.quote, c.note, view)

    @in_place
    def on_save(turn: Turn | None, request: gr.Request) -> tuple[Any, ...]:
        draft_id = actions_chat.save_answer_draft(deps, login_name(request), turn)
        return (
            f"この回答を下書き {draft_id} として保存しました。承認・履歴で確認できます。",
            gr.update(interactive=False),
        )

    @in_place
    def on_focus_choices() -> Any:
        return gr.update(choices=actions_chat.focus_choices(deps))

    def on_clear() -> tuple[Any, ...]:
        return [], gr.update(choices=[], value=None, visible=False), None, "", "", False

    with gr.Tab("質問", id="ask"):
        focus = gr.Dropdown(
            label="対象（次の問いにも引き継ぎます）",
            choices=[("全体（ポリシー・ガイドライン）", actions_chat.ALL)],
            value=actions_chat.ALL,
            elem_id="ask-focus",
        )
        chat = gr.Chatbot(
            label="会話",
            elem_id="answer",
            height=720,
            feedback_options=None,
            buttons=["copy"],
            placeholder="規程や契約書類について質問してください。",
        )
        question = gr.Textbox(
            label="質問", placeholder="例: クラウドの下請けに市の承認は要るか", elem_id="question"
        )
        with gr.Row():
            ask_btn = gr.Button("質問する", variant="primary")
            save_btn = gr.Button("この回答を保存", interactive=False, elem_id="save-answer")
            clear_btn = gr.Button("会話を消去", elem_id="clear-chat")
        saved = gr.Markdown(elem_id="saved-answer")
        quotes = gr.Radio(
            label="引用（選ぶと条項を表示し、「原文を表示」で原本のページと前後の条項を表示）",
            choices=[],
            elem_id="citations",
            visible=False,
        )
        turn = gr.State(None)
        source = gr.HTML(elem_id="source")
    outputs = [chat, focus, quotes, turn, source, question, save_btn, saved]
    ask_btn.click(on_ask, [question, focus, chat], outputs)
    question.submit(on_ask, [question, focus, chat], outputs)
    quotes.change(on_quote, [quotes, turn], [source])
    save_btn.click(on_save, [turn], [saved, save_btn])
    clear_btn.click(on_clear, None, [chat, quotes, turn, source, saved, save_btn])
    page.loads.append((on_focus_choices, [focus]))
