"""承認・履歴: the review queue, each draft read and signed off in place, the verified log.

The queue fills when the page loads and when the tab is opened: the drafts that need a lead's
sign-off (filters by kind, and to show signed-off ones too), each named by what it is. Clicking a
row opens the draft below it (its text, its citations with the quote marked, its versions); the
lead approves or rejects the version shown there, or approves it and opens the next one.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from copilot.calendar_jp import shown_time
from copilot.review.log import LogRecord
from copilot.review.signoff import SELF_APPROVAL
from ui import actions, actions_records
from ui.draft_view import CITED, draft_head, draft_md
from ui.editor import lock_handler, picked_id, sign_off_row
from ui.page import ACTION_JA, Page, _versions_md, in_place, literal, login_name
from ui.sources import citations_html, cited_html

QUEUE_COLUMNS = ["番号", "種類", "対象", "作成者", "作成日時", "版", "状態"]


LOG_COLUMNS = ["通番", "日時", "実行者", "操作", "対象", "コメント"]


QUEUE_WIDTHS = ["6%", "13%", "41%", "9%", "17%", "4%", "10%"]


def _target(r: LogRecord) -> str:
    """What a log record is about: the draft and version (and a sign-off of one's own work)."""
    where = f"下書き {r.draft_id}・版 {r.version}" if r.draft_id else ""
    return where + ("（本人作成分の承認）" if r.subject == SELF_APPROVAL else "")


def tab_review(page: Page) -> None:
    """承認・履歴: the review queue, each draft read and signed off in place, the log."""
    deps = page.deps

    @in_place
    def on_review(kind: str, scope: str, request: gr.Request) -> tuple[Any, ...]:
        state = actions_records.review_state(deps, login_name(request), kind, scope)
        queue = [
            [e.id, e.kind, e.subject, e.author, e.created, e.draft.latest.version, e.status]
            for e in state.queue
        ]
        records = sorted(
            {r.seq: r for d in state.drafts for r in d.log}.values(), key=lambda r: -r.seq
        )  # newest first
        rows = [
            [
                r.seq,
                shown_time(r.at),
                r.actor_display or r.actor,
                ACTION_JA.get(r.action, r.action),
                _target(r),
                r.comment,
            ]
            for r in records
        ]
        v = state.verification
        if v.ok:
            verified = f"署名記録の検証: **正常**（{v.records} 件、先頭 {literal(v.head[:12])}）"
        else:
            verified = f"署名記録の検証: **異常** 通番 {literal(v.bad_seq)}: {literal(v.reason_ja)}"
        waiting = sum(e.draft.status == "draft" for e in state.queue)
        count = state.note or (
            f"承認待ち {waiting} 件。行を選ぶと、下に内容を開きます。"
            if queue
            else "この条件に当てはまる下書きはありません。"
        )
        ids = [e.id for e in state.queue]
        return queue, ids, literal(count), verified, rows, literal(state.model)

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        return on_review("signoff", "pending", request)

    @in_place
    def on_open(draft_id: Any, request: gr.Request) -> tuple[Any, ...]:
        d, found, subject = actions_records.open_for_review(deps, login_name(request), draft_id)
        head = f"{draft_head(d, subject)}\n\n{_versions_md(d)}"
        cites = citations_html(d, found, CITED.get(d.kind, {}))
        return head, draft_md(d), cites, actions.shown(d)

    @in_place
    def on_next(
        draft_id: Any,
        comment: str,
        opened: actions.Shown | None,
        listed: list[int] | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        action, following = actions_records.approve_and_next(
            deps, login_name(request), draft_id, comment, opened, listed
        )
        label = "修正承認" if action == "approve_with_edits" else "承認"
        said = f"下書き {int(opened['draft'])} を{label}しました。"  # type: ignore[index]
        if following is None:
            said += "この一覧に承認待ちの下書きはほかにありません。"
            return said, gr.skip(), ""
        return f"{said}次の下書き {following} を開きました。", following, ""

    @in_place
    def on_refit(request: gr.Request) -> tuple[str, str]:
        summary = actions_records.refit_verdict_model(deps, login_name(request))
        return literal(summary), literal(actions_records.verdict_model_state(deps))

    with gr.Tab("承認・履歴", id="review") as tab:
        gr.Markdown(
            "承認が必要な下書きの一覧です。行を選ぶと内容（根拠の引用と版の履歴）が下に開き、"
            "主任担当者はその版を承認・却下できます。"
        )
        with gr.Row():
            kind = gr.Dropdown(
                label="種類",
                choices=actions_records.QUEUE_KINDS,
                value="signoff",
                elem_id="review-kind",
            )
            scope = gr.Radio(
                label="状態",
                choices=actions_records.QUEUE_SCOPES,
                value="pending",
                elem_id="review-scope",
            )
            review_btn = gr.Button("一覧を更新", elem_id="review-refresh")
        count = gr.Markdown(elem_id="review-count")
        queue = gr.Dataframe(
            headers=QUEUE_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=600,
            column_widths=QUEUE_WIDTHS,
            elem_id="review-queue",
        )
        listed = gr.State([])  # the numbers in the queue as shown, for 「承認して次へ」
        gr.Markdown("### 選んだ下書き")
        with gr.Row(visible=False):  # the number of the draft the row click opens
            draft_id = gr.Number(label="下書き番号", value=None, elem_id="review-id")
        head = gr.Markdown(elem_id="review-head")
        locked = gr.Markdown(elem_id="review-locked")
        body = gr.Markdown(elem_id="review-body")
        cites = cited_html(deps, "review-citations")
        opened = gr.State(None)  # the number and version shown (``actions.shown``)
        sign = sign_off_row(page, "review", then_next=True)
        gr.Markdown(
            "内容を直すときは、種類ごとの画面（チェックリスト審査、発見事項 など）で"
            "下書き番号を入れて開いてください。"
        )
        verify = gr.Markdown(elem_id="verify")
        gr.Markdown("### 署名記録（誰が何をしたか）")
        log_table = gr.Dataframe(headers=LOG_COLUMNS, interactive=False, wrap=True, elem_id="log")
        gr.Markdown(
            "### 判定モデル（この市の判定から学ぶ）\n"
            "承認・修正のうえ承認したチェックリスト判定から、判定モデルを再学習します"
            "（主任担当者のみ）。以後の判定はこのモデルで行い、下書きの来歴にモデル名が残ります。"
        )
        model_state = gr.Markdown(elem_id="verdict-model")
        refit_btn = gr.Button("署名済みの判定で再学習", elem_id="refit")
        refit_out = gr.Markdown(elem_id="refit-result")

    review = (on_review, [kind, scope], [queue, listed, count, verify, log_table, model_state])
    show = (on_open, [draft_id], [head, body, cites, opened])
    lock = lock_handler(page, opened, [], None, sign, locked)
    page.loads.append((on_load, review[2]))  # filled when the page loads (default filters)
    tab.select(*review)
    review_btn.click(*review)
    kind.change(*review)
    scope.change(*review)
    queue.select(picked_id, None, [draft_id]).success(*show).success(*lock)
    sign.wire(page, draft_id, opened, show, lock, review)
    assert sign.approve_next is not None
    sign.approve_next.click(
        on_next, [draft_id, sign.comment, opened, listed], [sign.message, draft_id, sign.comment]
    ).success(*show).success(*lock).success(*review)
    refit_btn.click(on_refit, outputs=[refit_out, model_state])
