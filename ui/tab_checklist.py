"""チェックリスト審査: judge a contract; open an item's citations, edit, approve or reject."""

from __future__ import annotations

from typing import Any

import gradio as gr

from copilot.exports.styling import noted
from copilot.review.drafts import least_sure_first
from copilot.schemas import VERDICTS
from ui import actions, actions_audit
from ui.editor import draft_editor, saved
from ui.page import Page, _versions_md, in_place, literal, login_name, status_ja
from ui.sources import citations_html

CHECKLIST_COLUMNS = [
    "番号",
    "項目",
    "判定",
    "確信度",
    "回答",
    "根拠の引用",
    "助言",
    "修正文案",
    "状態",
]


ORDERS = ["項目順", "確信度の低い順"]


def _judgement_row(draft_id: int | str, p: dict[str, Any], status: str) -> list[Any]:
    return [
        draft_id,
        p.get("item", ""),
        p.get("verdict", ""),
        "" if p.get("confidence") is None else f"{p['confidence']:.2f}",
        p.get("answer", ""),
        " / ".join(
            noted(f"{c['document']} {c['clause_path']}「{c['quote']}」", c.get("note", ""))
            for c in p.get("evidence", [])
        ),
        p.get("advice", ""),
        p.get("proposed_wording", ""),
        status,
    ]


def tab_checklist(page: Page) -> None:
    """チェックリスト審査: judge a contract; open an item's citations, edit, approve or reject."""
    deps = page.deps

    @in_place
    def on_run(
        contract: str,
        checklist: str,
        order: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        def notify(n: int, total: int, item: str) -> None:
            progress((n - 1, total), desc=f"{item} を判定中")

        run, kept = actions_audit.run_checklist_and_record(
            deps, login_name(request), contract, checklist, notify
        )
        by_item = {d.key.split("/", 1)[1]: d for d in kept}
        ids = [by_item[j.item].id for j in run.judgements if j.item in by_item]
        unsaved = [
            _judgement_row("", j.model_dump(mode="json"), "")
            for j in run.judgements
            if j.item not in by_item
        ]
        review = sum(j.verdict == "要確認" for j in run.judgements)
        msg = (
            f"{literal(run.contract)}: {len(run.judgements)} 項目を判定し、審査記録に保存しました"
            f"（要確認 {review} 件）。「確信度の低い順」で疑わしい項目から確認できます。"
        )
        return [*_rows(ids, order), *unsaved], ids, msg

    def _rows(ids: list[int], order: str) -> list[list[Any]]:
        drafts = actions.drafts_by_id(deps, ids)
        if order == ORDERS[1]:
            drafts = least_sure_first(drafts)
        return [_judgement_row(d.id, d.payload, status_ja(d)) for d in drafts]

    @in_place
    def on_rows(ids: list[int], order: str) -> Any:
        if not ids:  # nothing judged on this page yet: no table to refresh
            return gr.skip()
        return _rows(ids, order)

    @in_place
    def on_open(draft_id: Any, request: gr.Request) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, login_name(request), draft_id, "checklist_judgement")
        p = d.payload
        head = (
            f"### {literal(p['item'])}（{literal(p['contract'])}）　下書き {d.id}・"
            f"版 {d.latest.version}・{literal(status_ja(d))}\n\n"
            f"**判定**: {literal(p['verdict'])}（回答 {literal(p['answer'])}）　"
            f"**理由**: {literal(p.get('rationale', ''))}\n\n"
            + (
                f"**確信度**: {literal(p.get('confidence_reason', ''))}\n\n"
                if p.get("confidence_reason")
                else ""
            )
            + _versions_md(d)
        )
        cites = citations_html(d, found, {"evidence": "契約書類の根拠", "basis": "規程の根拠"})
        fields = (p["verdict"], p.get("advice", ""), p.get("proposed_wording", ""), "")
        reason = p.get("rationale", "")  # the reviewer rewrites it when changing the verdict
        return head, cites, *fields, reason, actions.shown(d)

    @in_place
    def on_save(
        draft_id: Any,
        verdict: str,
        advice: str,
        wording: str,
        comment: str,
        rationale: str,
        opened: actions.Shown | None,
        request: gr.Request,
    ) -> tuple[str, actions.Shown]:
        user = login_name(request)
        d = actions_audit.edit_judgement(
            deps, user, draft_id, verdict, advice, wording, comment, opened, rationale
        )
        return saved(d)

    with gr.Tab("チェックリスト審査", id="checklist"):
        with gr.Row():
            contract = gr.Dropdown(label="契約", choices=[], elem_id="c-contract")
            checklist = gr.Dropdown(label="チェックリスト", choices=[])
        run_btn = gr.Button("審査を実行", variant="primary")
        run_msg = gr.Markdown(elem_id="run-msg")
        order = gr.Radio(ORDERS, value=ORDERS[0], label="並び順", elem_id="checklist-order")
        table = gr.Dataframe(
            headers=CHECKLIST_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,  # all 29 items at once, no inner scrolling
            max_chars=160,
            elem_id="checklist-table",
        )
        ids = gr.State([])
        with draft_editor(page, "item", "checklist", "項目") as editor:
            verdict = gr.Dropdown(label="判定", choices=list(VERDICTS), elem_id="edit-verdict")
            rationale = gr.Textbox(
                label="判定の理由（判定を変えたときは、変更後の判定の理由に書き換えてください）",
                lines=3,
                elem_id="edit-rationale",
            )
            advice = gr.Textbox(label="助言", lines=3, elem_id="edit-advice")
            wording = gr.Textbox(label="修正文案", lines=3, elem_id="edit-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="edit-comment")
    page.contracts.append(contract)
    page.checklists.append(checklist)

    run_btn.click(on_run, [contract, checklist, order], [table, ids, run_msg])
    order.change(on_rows, [ids, order], [table])
    fields = [verdict, advice, wording, comment, rationale]  # the reason last: API order
    editor.wire(page, table, fields, on_open, on_save, (on_rows, [ids, order], [table]))
