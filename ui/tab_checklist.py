"""チェックリスト審査: the checklist desk.

The table shows the contract's latest judgement of each item in the checklist's order (the item
number as on the city's sheet, its question, verdict, confidence, the elements met and those
missing or soft, the review state), coloured where the auditor should look first: 要確認 rows
red, confidence below ``LOW_CONFIDENCE`` amber. It is read from the stored drafts when the page
opens and whenever the contract or checklist changes, so a reload loses nothing; a run keeps one
draft per item (``copilot.review.checklist_runs``). A row opens below with its quotes, advice
and proposed wording, to edit, approve or reject. The result goes out as the city's workbook.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd
from pandas.io.formats.style import Styler

from copilot.review.drafts import least_sure_first
from copilot.schemas import VERDICTS
from ui import actions, actions_audit, actions_desk
from ui.actions_desk import DeskRow
from ui.editor import draft_editor, saved
from ui.page import Page, _versions_md, in_place, literal, login_name, status_ja
from ui.sources import citations_html

# The first column is the draft number the editor opens a row by; the page's CSS hides it.
CHECKLIST_COLUMNS = [
    "下書き",
    "番号",
    "確認事項",
    "判定",
    "確信度",
    "満たしている要素",
    "不足・不十分な要素",
    "状態",
]
COLUMN_WIDTHS = ["1px", "6%", "36%", "8%", "6%", "17%", "17%", "10%"]
ORDERS = ["項目順", "確信度の低い順"]
FILTERS = ["要確認のみ", "未承認のみ"]
LOW_CONFIDENCE = 0.65  # below it the drafter is as likely wrong as not: read these first
REVIEW_COLOUR = "#f8d7da"  # 要確認
LOW_COLOUR = "#fff3cd"  # confidence below LOW_CONFIDENCE
LEGEND = (
    f"<span style='background:{REVIEW_COLOUR};padding:0 0.4em'>要確認</span>　"
    f"<span style='background:{LOW_COLOUR};padding:0 0.4em'>確信度 {LOW_CONFIDENCE} 未満</span>"
    "　の行は色を付けています。行を選ぶと、下に根拠の引用・助言・修正文案が開きます。"
)
# the hidden first column, and cells that wrap instead of widening the page
CSS = (
    "#checklist-table th[data-heading='0'], #checklist-table [role=gridcell][data-col='0'],"
    " #checklist-table .sizing-body td:first-child { display: none; }"
)


def _elements(p: dict[str, Any]) -> tuple[str, str]:
    """The elements met, and those missing or soft (marked), each joined by 「、」."""
    met, short = [], []
    for e in p.get("elements", []):
        if e.get("status") == "met":
            met.append(e.get("label", ""))
        elif e.get("status") == "soft":
            short.append(f"{e.get('label', '')}（不十分）")
        else:
            short.append(f"{e.get('label', '')}（不足）")
    return "、".join(met), "、".join(short)


def _row(row: DeskRow) -> list[Any]:
    p = row.draft.payload
    met, short = _elements(p)
    sure = p.get("confidence")
    return [
        row.draft.id,
        row.item.id,
        row.item.text,
        p.get("verdict", ""),
        "" if sure is None else f"{sure:.2f}",
        met,
        short,
        status_ja(row.draft),
    ]


def _colour(p: dict[str, Any]) -> str:
    sure = p.get("confidence")
    if p.get("verdict") == "要確認":
        return f"background-color: {REVIEW_COLOUR}"
    if isinstance(sure, int | float) and sure < LOW_CONFIDENCE:
        return f"background-color: {LOW_COLOUR}"
    return ""


def shown_rows(rows: list[DeskRow], order: str, filters: list[str]) -> list[DeskRow]:
    """The rows the filters keep, in the chosen order."""
    if "要確認のみ" in (filters or []):
        rows = [r for r in rows if r.draft.payload.get("verdict") == "要確認"]
    if "未承認のみ" in (filters or []):
        rows = [r for r in rows if r.draft.status == "draft"]
    if order == ORDERS[1]:
        place = {d.id: k for k, d in enumerate(least_sure_first([r.draft for r in rows]))}
        rows = sorted(rows, key=lambda r: place[r.draft.id])
    return rows


def table_value(rows: list[DeskRow]) -> Styler | pd.DataFrame:
    """The table: a styled frame whose 要確認 and low-confidence rows are coloured."""
    frame = pd.DataFrame([_row(r) for r in rows], columns=CHECKLIST_COLUMNS, dtype=object)
    if not rows:
        return frame
    colours = [_colour(r.draft.payload) for r in rows]
    return frame.style.apply(lambda col: colours, axis=0)


def tab_checklist(page: Page) -> None:
    """チェックリスト審査: judge a contract; read its items in order, open, edit, sign off."""
    deps = page.deps

    def _table(
        contract: str | None, checklist: str | None, order: str, filters: list[str], name: Any
    ) -> Styler | pd.DataFrame:
        rows = actions_desk.desk_rows(deps, name, contract, checklist)
        return table_value(shown_rows(rows, order, filters))

    @in_place
    def on_run(
        contract: str,
        checklist: str,
        order: str,
        filters: list[str],
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, str]:
        def notify(n: int, total: int, item: str) -> None:
            progress((n - 1, total), desc=f"{item} を判定中")

        kept = actions_desk.judge(deps, login_name(request), contract, checklist, notify)
        name = login_name(request)
        review = sum(
            r.draft.payload.get("verdict") == "要確認"
            for r in actions_desk.desk_rows(deps, name, contract, checklist)
        )
        msg = (
            f"{literal(kept.contract)}: {literal(kept.message())}"
            f"要確認は {review} 件です。「確信度の低い順」で疑わしい項目から確認できます。"
        )
        return _table(contract, checklist, order, filters, name), msg

    @in_place
    def on_rows(
        contract: str | None,
        checklist: str | None,
        order: str,
        filters: list[str],
        request: gr.Request,
    ) -> Any:
        return _table(contract, checklist, order, filters, login_name(request))

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

    @in_place
    def on_excel(
        contract: str, checklist: str, drafts: bool, request: gr.Request
    ) -> tuple[str, str]:
        path = actions_desk.checklist_xlsx(deps, login_name(request), contract, checklist, drafts)
        return str(path), f"{literal(path.name)} を作りました。下のリンクから保存してください。"

    with gr.Tab("チェックリスト審査", id="checklist"):
        gr.HTML(f"<style>{CSS}</style>", padding=False)
        with gr.Row():
            contract = gr.Dropdown(label="契約", choices=[], elem_id="c-contract")
            checklist = gr.Dropdown(label="チェックリスト", choices=[])
        run_btn = gr.Button("審査を実行", variant="primary")
        run_msg = gr.Markdown(elem_id="run-msg")
        with gr.Row():
            order = gr.Radio(ORDERS, value=ORDERS[0], label="並び順", elem_id="checklist-order")
            filters = gr.CheckboxGroup(FILTERS, label="絞り込み", elem_id="checklist-filter")
        gr.HTML(LEGEND, elem_id="checklist-legend")
        table = gr.Dataframe(
            headers=CHECKLIST_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,  # all 29 items at once, no inner scrolling
            column_widths=COLUMN_WIDTHS,
            elem_id="checklist-table",
        )
        with gr.Row():
            with_drafts = gr.Checkbox(
                label="未承認の判定も含める（状態欄に【下書き】と記します）",
                elem_id="checklist-xlsx-drafts",
            )
            excel_btn = gr.Button("Excel（市の様式）を出力", elem_id="checklist-xlsx-button")
        excel_msg = gr.Markdown(elem_id="checklist-xlsx-msg")
        excel = gr.File(label="チェックリスト確認結果（.xlsx）", elem_id="checklist-xlsx")
        with draft_editor(page, "item", "checklist", "項目") as editor:
            verdict = gr.Dropdown(label="判定", choices=list(VERDICTS), elem_id="edit-verdict")
            rationale = gr.Textbox(
                label="判定の理由（判定を変えたときは、変更後の判定の理由に書き換えてください）",
                value="",  # a caller of the API that leaves it out keeps the reason shown
                lines=3,
                elem_id="edit-rationale",
            )
            advice = gr.Textbox(label="助言", lines=3, elem_id="edit-advice")
            wording = gr.Textbox(label="修正文案", lines=3, elem_id="edit-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="edit-comment")
    page.contracts.append(contract)
    page.checklists.append(checklist)

    shown = [contract, checklist, order, filters]
    run_btn.click(on_run, shown, [table, run_msg])
    for picker in (contract, checklist, order, filters):  # also when the page fills the pickers
        picker.change(on_rows, shown, [table])
    excel_btn.click(on_excel, [contract, checklist, with_drafts], [excel, excel_msg])
    fields = [verdict, advice, wording, comment, rationale]  # the reason last: API order
    editor.wire(page, table, fields, on_open, on_save, (on_rows, shown, [table]))
