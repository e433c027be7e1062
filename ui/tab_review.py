"""承認・履歴: the review queue, the verified sign-off log, who did what."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui import actions_records
from ui.page import ACTION_JA, Page, in_place, literal, login_name, status_ja

QUEUE_COLUMNS = ["番号", "種類", "対象", "作成者", "作成日時", "状態"]


LOG_COLUMNS = ["通番", "日時", "実行者", "操作", "対象", "コメント"]


def tab_review(page: Page) -> None:
    """承認・履歴: the review queue, the verified sign-off log, who did what."""
    deps = page.deps

    @in_place
    def on_review() -> tuple[Any, ...]:
        drafts, verification = actions_records.review_state(deps)
        queue = [
            [d.id, d.kind, d.key, d.created_by, d.created_at, status_ja(d)]
            for d in drafts
            if d.status == "draft"
        ]
        records = sorted(
            {r.seq: r for d in drafts for r in d.log}.values(), key=lambda r: -r.seq
        )  # newest first
        rows = [
            [
                r.seq,
                r.at,
                r.actor_display or r.actor,
                ACTION_JA.get(r.action, r.action),
                r.subject or "",
                r.comment,
            ]
            for r in records
        ]
        if verification.ok:
            state = (
                f"署名記録の検証: **正常**（{verification.records} 件、"
                f"先頭 {literal(verification.head[:12])}）"
            )
        else:
            state = (
                f"署名記録の検証: **異常** 通番 {literal(verification.bad_seq)}: "
                f"{literal(verification.reason_ja)}"
            )
        return queue, state, rows, literal(actions_records.verdict_model_state(deps))

    @in_place
    def on_refit(request: gr.Request) -> tuple[str, str]:
        summary = actions_records.refit_verdict_model(deps, login_name(request))
        return literal(summary), literal(actions_records.verdict_model_state(deps))

    with gr.Tab("承認・履歴", id="review"):
        review_btn = gr.Button("更新")
        verify = gr.Markdown(elem_id="verify")
        gr.Markdown("### 承認待ち")
        queue = gr.Dataframe(headers=QUEUE_COLUMNS, interactive=False, wrap=True)
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
    review_btn.click(on_review, outputs=[queue, verify, log_table, model_state])
    refit_btn.click(on_refit, outputs=[refit_out, model_state])
