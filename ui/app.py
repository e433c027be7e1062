"""The Gradio app: tabs over copilot's services, login required, loopback only, nothing online.

Every handler makes one call into ``ui.actions`` and renders its result; a ``UserError`` is shown
in place in Japanese (``gr.Error``), never as a traceback.
"""

import functools
import html
import os
from collections.abc import Callable
from typing import Any

# Gradio reads this when it is imported: no usage reports leave the machine
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from copilot.errors import UserError  # noqa: E402
from copilot.schemas import Answer  # noqa: E402
from copilot.settings import Settings  # noqa: E402
from copilot.store import ROLE_JA, Draft, open_store  # noqa: E402
from ingest.pipeline import KINDS  # noqa: E402
from ui import actions  # noqa: E402
from ui.actions import Deps  # noqa: E402

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
}
FIRST_USER = (
    "利用者がまだ登録されていません。端末で `copilot users add admin --role admin` を実行して"
    "最初の管理者を作成し、その利用者でログインしてください。"
)
LOGIN = "監査コパイロット：利用者名とパスワードでログインしてください。"
CHECKLIST_COLUMNS = ["番号", "項目", "判定", "回答", "根拠の引用", "助言", "修正文案", "状態"]
FINDING_COLUMNS = ["番号", "対象課", "評価", "状態", "題目", "発見事項"]
QUEUE_COLUMNS = ["番号", "種類", "対象", "作成者", "作成日時", "状態"]
RANK_COLUMNS = ["順位", "課", "リスク点", "いいえ", "未回答", "説明"]
LEDGER_COLUMNS = [
    "管理番号",
    "サービス",
    "利用課",
    "項目",
    "台帳の値",
    "照合結果",
    "契約書類の根拠",
    "注記",
]
LOG_COLUMNS = ["通番", "日時", "実行者", "操作", "対象", "コメント"]


def theme() -> gr.themes.Base:
    """The default theme with system fonts only (the stock one fetches fonts online)."""
    return gr.themes.Default(
        font=[gr.themes.Font("sans-serif")], font_mono=[gr.themes.Font("monospace")]
    )


def in_place(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show a user error where the user is, in Japanese, instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            raise gr.Error(exc.ja, title="エラー", print_exception=False) from None

    return wrapper


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None)


def _status(d: Draft) -> str:
    return STATUS_JA.get(d.status, d.status)


def _highlight(text: str, quote: str) -> str:
    escaped = html.escape(text)
    q = html.escape(quote)
    if q and q in escaped:
        escaped = escaped.replace(q, f"<mark>{q}</mark>", 1)
    return escaped.replace("\n", "<br>")


def _answer_md(answer: Answer) -> str:
    lines = [answer.text, ""]
    for n, c in enumerate(answer.citations, start=1):
        page = f" p.{c.page}" if c.page else ""
        lines.append(f"[{n}] {c.document} {c.clause_path}{page}「{c.quote}」")
    return "\n\n".join(lines)


def build_app(settings: Settings) -> gr.Blocks:
    """The app over the services and review store of ``settings``."""
    deps = Deps(settings, open_store(settings))

    # --- handlers: one action each -------------------------------------------------------

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        try:
            user = actions.current_user(deps, _user(request))
        except UserError as exc:
            return (exc.ja, gr.update(visible=False), gr.update(visible=False))
        lead = user.role == "lead"
        who = f"ログイン中: **{user.display_name or user.name}**（{ROLE_JA[user.role]}）"
        if not lead:
            who += "　承認・却下は主任担当者（lead）だけが行えます。"
        return (who, gr.update(visible=lead), gr.update(visible=lead))

    @in_place
    def on_ask(question: str, request: gr.Request) -> tuple[Any, ...]:
        answer = actions.ask_and_record(deps, _user(request), question)
        choices = [
            (f"[{n}] {c.document} {c.clause_path}", n - 1)
            for n, c in enumerate(answer.citations, start=1)
        ]
        return (
            _answer_md(answer),
            gr.update(choices=choices, value=None),
            [c.model_dump() for c in answer.citations],
            "",
        )

    @in_place
    def on_citation(index: int | None, citations: list[dict[str, Any]]) -> str:
        if index is None or index >= len(citations):
            return ""
        c = citations[index]
        rec = actions.clause(deps, c["clause_id"])
        page = f"{rec.page} ページ" if rec.page else "（ページなし）"
        return (
            f"<div class='source'><p><b>文書</b>: {html.escape(rec.title or rec.doc_id)}"
            f"　<b>条項</b>: {html.escape(rec.path)}　<b>ページ</b>: {page}</p>"
            f"<p class='clause'>{_highlight(rec.text, c['quote'])}</p></div>"
        )

    @in_place
    def on_choices() -> tuple[Any, ...]:
        contracts, checklists = actions.contracts_and_checklists(deps)
        first = checklists[0][1] if checklists else None
        value = contracts[0] if contracts else None
        # one update object per output: Gradio consumes each as it applies it
        return (
            gr.update(choices=contracts, value=value),
            gr.update(choices=checklists, value=first),
            gr.update(choices=contracts, value=value),
            gr.update(choices=checklists, value=first),
            gr.update(choices=contracts, value=value),
        )

    @in_place
    def on_run(
        contract: str,
        checklist: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        def notify(n: int, total: int, item: str) -> None:
            progress((n - 1, total), desc=f"{item} を判定中")

        run, kept = actions.run_checklist_and_record(
            deps, _user(request), contract, checklist, notify
        )
        by_item = {d.key.split("/", 1)[1]: d for d in kept}
        rows = []
        for j in run.judgements:
            d = by_item.get(j.item)
            rows.append(
                [
                    d.id if d else "",
                    j.item,
                    j.verdict,
                    j.answer,
                    " / ".join(f"{c.document} {c.clause_path}「{c.quote}」" for c in j.evidence),
                    j.advice,
                    j.proposed_wording,
                    _status(d) if d else "",
                ]
            )
        return rows, f"{run.contract}: {len(rows)} 項目を判定し、審査記録に保存しました。"

    @in_place
    def on_approve(draft_id: float | None, comment: str, request: gr.Request) -> str:
        return signed(draft_id, actions.sign_off(deps, _user(request), draft_id, True, comment))

    @in_place
    def on_reject(draft_id: float | None, comment: str, request: gr.Request) -> str:
        return signed(draft_id, actions.sign_off(deps, _user(request), draft_id, False, comment))

    def signed(draft_id: float | None, action: str) -> str:
        label = {"approve": "承認", "approve_with_edits": "修正承認", "reject": "却下"}[action]
        return f"下書き {int(draft_id or 0)} を{label}しました。"

    def finding_rows() -> list[list[Any]]:
        return [
            [
                d.id,
                d.payload.get("division", ""),
                d.payload.get("rating", ""),
                _status(d),
                d.payload.get("title", ""),
                d.payload.get("finding", ""),
            ]
            for d in actions.drafts(deps, kind="finding")
        ]

    @in_place
    def on_findings() -> list[list[Any]]:
        return finding_rows()

    @in_place
    def on_draft_findings(
        contract: str,
        checklist: str,
        division: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        def notify(n: int, total: int, item: str) -> None:
            progress((n - 1, total), desc=f"{item} を判定中")

        run_id = actions.draft_findings_and_record(
            deps, _user(request), contract, checklist, division, notify
        )
        return finding_rows(), f"発見事項の下書きを保存しました（実行 #{run_id}）。"

    @in_place
    def on_notice(division: str, period: str, signer: str) -> str:
        return str(actions.notice_file(deps, division.strip(), period, signer))

    @in_place
    def on_review() -> tuple[Any, ...]:
        drafts, verification = actions.review_state(deps)
        queue = [
            [d.id, d.kind, d.key, d.created_by, d.created_at, _status(d)]
            for d in drafts
            if d.status == "draft"
        ]
        records = sorted(
            {r.seq: r for d in drafts for r in d.log}.values(), key=lambda r: -r.seq
        )  # newest first
        log = [
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
                f"先頭 {verification.head[:12]}）"
            )
        else:
            state = (
                f"署名記録の検証: **異常** 通番 {verification.bad_seq}: {verification.reason_ja}"
            )
        return queue, state, log

    @in_place
    def on_triage() -> tuple[Any, ...]:
        result = actions.selfcheck_triage(deps)
        rows = [
            [d.rank, d.division, d.score, d.no_count, d.unanswered_count, d.explanation]
            for d in result.divisions
        ]
        lines = [f"算定式: {result.formula}"]
        for d in result.divisions:
            lines.append(f"### {d.rank}. {d.division}（リスク点 {d.score}）")
            for r in d.reasons:
                basis = (
                    f"　根拠: {r.basis.document} {r.basis.clause_path}「{r.basis.quote}」"
                    if r.basis
                    else ""
                )
                lines.append(
                    f"- No.{r.id} {r.question}（{r.answer}）{basis}\n"
                    f"  - 資料依頼: {'、'.join(r.documents)}\n"
                    f"  - ヒアリング: {r.hearing}"
                )
        return rows, "\n".join(lines)

    @in_place
    def on_approach(period: str) -> str:
        return str(actions.approach_file(deps, period))

    @in_place
    def on_ledger(contract: str) -> tuple[Any, ...]:
        result = actions.ledger_check(deps, contract)
        rows = [
            [
                row.number,
                row.service,
                row.division,
                f.item,
                f.ledger_value,
                f.status,
                f"{f.evidence.document} {f.evidence.clause_path}「{f.evidence.quote}」"
                if f.evidence
                else "",
                f.note,
            ]
            for row in result.rows
            for f in row.fields
        ]
        return rows, f"{result.contract}: {result.state}。{result.note}"

    def status_md() -> str:
        st = actions.index_status(deps)
        lines = [
            f"データフォルダ: `{st.data_dir}`　文書 {len(st.documents)} 件 / 条項 {st.clauses} 件",
            "",
            "| 種類 | 契約 | 条項数 | 取込日時 | 文書 |",
            "|---|---|---|---|---|",
        ]
        for d in st.documents:
            lines.append(
                f"| {d.kind} | {d.contract or '-'} | {d.clauses} | {d.ingested_at} | {d.title} |"
            )
        return "\n".join(lines)

    @in_place
    def on_status() -> str:
        return status_md()

    @in_place
    def on_ingest(
        files: list[str] | None,
        kind: str,
        contract: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, str]:
        report = actions.ingest_uploads(
            deps,
            _user(request),
            files or [],
            kind,
            contract.strip(),
            lambda m: progress(None, desc=m),
        )
        failed = "".join(f"\n- 失敗: {r.error_ja}" for r in report.failed)
        done = (
            f"取り込み完了: 追加 {report.count('added')} / 更新 {report.count('updated')} / "
            f"変更なし {report.count('unchanged')} / 失敗 {report.count('failed')}{failed}"
        )
        return done, status_md()

    # --- layout ----------------------------------------------------------------------------

    with gr.Blocks(title="監査コパイロット", analytics_enabled=False) as app:
        gr.Markdown("# 監査コパイロット　情報セキュリティ監査支援")
        who = gr.Markdown(elem_id="who")
        gr.HTML("<a href='/logout'>ログアウト</a>")
        with gr.Tabs():
            with gr.Tab("質問", id="ask"):
                question = gr.Textbox(
                    label="質問", placeholder="例: クラウドの下請けに市の承認は要るか"
                )
                ask_btn = gr.Button("質問する", variant="primary")
                answer = gr.Markdown(elem_id="answer")
                citations = gr.Radio(
                    label="引用（選ぶと原文を表示）", choices=[], elem_id="citations"
                )
                cited = gr.State([])
                source = gr.HTML(elem_id="source")
            with gr.Tab("チェックリスト審査", id="checklist"):
                with gr.Row():
                    contract = gr.Dropdown(label="契約", choices=[])
                    checklist = gr.Dropdown(label="チェックリスト", choices=[])
                run_btn = gr.Button("審査を実行", variant="primary")
                run_msg = gr.Markdown(elem_id="run-msg")
                table = gr.Dataframe(
                    headers=CHECKLIST_COLUMNS,
                    interactive=False,
                    wrap=True,
                    max_height=100_000,  # all 29 items at once, no inner scrolling
                    max_chars=160,
                    elem_id="checklist-table",
                )
                with gr.Row(visible=False) as sign_row:
                    sign_id = gr.Number(label="下書き番号", precision=0, value=None)
                    sign_comment = gr.Textbox(label="コメント（却下は必須）")
                    approve_btn = gr.Button("承認", variant="primary", elem_id="checklist-approve")
                    reject_btn = gr.Button("却下", variant="stop")
                sign_msg = gr.Markdown()
            with gr.Tab("発見事項", id="findings"):
                with gr.Row():
                    f_contract = gr.Dropdown(label="契約", choices=[], elem_id="f-contract")
                    f_checklist = gr.Dropdown(label="チェックリスト", choices=[])
                    division = gr.Textbox(label="対象課", elem_id="division")
                draft_btn = gr.Button("発見事項を下書き", variant="primary")
                f_msg = gr.Markdown(elem_id="f-msg")
                f_refresh = gr.Button("一覧を更新")
                f_table = gr.Dataframe(
                    headers=FINDING_COLUMNS, interactive=False, wrap=True, elem_id="findings-table"
                )
                with gr.Row(visible=False) as f_sign_row:
                    f_sign_id = gr.Number(
                        label="下書き番号", precision=0, value=None, elem_id="finding-id"
                    )
                    f_sign_comment = gr.Textbox(label="コメント（却下は必須）")
                    f_approve = gr.Button("承認", variant="primary", elem_id="finding-approve")
                    f_reject = gr.Button("却下", variant="stop")
                f_sign_msg = gr.Markdown(elem_id="finding-sign-msg")
                with gr.Row():
                    period = gr.Textbox(
                        label="監査期間", value="令和8年4月1日から令和9年3月31日まで"
                    )
                    signer = gr.Textbox(label="通知者", value="情報セキュリティ監査責任者")
                notice_btn = gr.Button("監査結果通知書（案）を出力")
                notice = gr.File(label="通知書（.docx）", elem_id="notice")
            with gr.Tab("自己点検分析", id="selfcheck"):
                triage_btn = gr.Button("取り込んだ自己点検シートを分析", variant="primary")
                ranking = gr.Dataframe(
                    headers=RANK_COLUMNS, interactive=False, wrap=True, elem_id="ranking"
                )
                reasons = gr.Markdown(elem_id="reasons")
                a_period = gr.Textbox(label="監査期間", value="令和8年4月1日から令和9年3月31日まで")
                approach_btn = gr.Button("監査実施方針（案）を出力")
                approach = gr.File(label="監査実施方針（.docx）", elem_id="approach")
            with gr.Tab("台帳照合", id="ledger"):
                l_contract = gr.Dropdown(label="契約", choices=[], elem_id="l-contract")
                ledger_btn = gr.Button("台帳と照合", variant="primary")
                ledger_msg = gr.Markdown(elem_id="ledger-msg")
                ledger_table = gr.Dataframe(
                    headers=LEDGER_COLUMNS, interactive=False, wrap=True, elem_id="ledger-table"
                )
            with gr.Tab("承認・履歴", id="review"):
                review_btn = gr.Button("更新")
                verify = gr.Markdown(elem_id="verify")
                gr.Markdown("### 承認待ち")
                queue = gr.Dataframe(headers=QUEUE_COLUMNS, interactive=False, wrap=True)
                gr.Markdown("### 署名記録（誰が何をしたか）")
                log = gr.Dataframe(headers=LOG_COLUMNS, interactive=False, wrap=True, elem_id="log")
            with gr.Tab("文書管理", id="documents"):
                status = gr.Markdown(elem_id="index-status")
                status_btn = gr.Button("状態を更新")
                uploads = gr.File(label="取り込むファイル", file_count="multiple", type="filepath")
                with gr.Row():
                    kind = gr.Dropdown(
                        label="種類（空欄はフォルダ名から推定）", choices=["", *KINDS], value=""
                    )
                    up_contract = gr.Textbox(label="契約番号（契約書類のとき）")
                ingest_btn = gr.Button("取り込む", variant="primary")
                ingest_msg = gr.Markdown()

        # --- wiring ------------------------------------------------------------------------
        app.load(on_load, outputs=[who, sign_row, f_sign_row])
        app.load(on_choices, outputs=[contract, checklist, f_contract, f_checklist, l_contract])
        app.load(on_status, outputs=[status])
        ask_btn.click(on_ask, [question], [answer, citations, cited, source])
        question.submit(on_ask, [question], [answer, citations, cited, source])
        citations.change(on_citation, [citations, cited], [source])
        run_btn.click(on_run, [contract, checklist], [table, run_msg])
        approve_btn.click(on_approve, [sign_id, sign_comment], [sign_msg])
        reject_btn.click(on_reject, [sign_id, sign_comment], [sign_msg])
        draft_btn.click(on_draft_findings, [f_contract, f_checklist, division], [f_table, f_msg])
        f_refresh.click(on_findings, outputs=[f_table])
        f_approve.click(on_approve, [f_sign_id, f_sign_comment], [f_sign_msg]).then(
            on_findings, outputs=[f_table]
        )
        f_reject.click(on_reject, [f_sign_id, f_sign_comment], [f_sign_msg]).then(
            on_findings, outputs=[f_table]
        )
        notice_btn.click(on_notice, [division, period, signer], [notice])
        review_btn.click(on_review, outputs=[queue, verify, log])
        triage_btn.click(on_triage, outputs=[ranking, reasons])
        approach_btn.click(on_approach, [a_period], [approach])
        ledger_btn.click(on_ledger, [l_contract], [ledger_table, ledger_msg])
        status_btn.click(on_status, outputs=[status])
        ingest_btn.click(on_ingest, [uploads, kind, up_contract], [ingest_msg, status]).then(
            on_choices, outputs=[contract, checklist, f_contract, f_checklist, l_contract]
        )
    return app


CSS = "mark { background: #ffe066; } .clause { white-space: normal; line-height: 1.8; }"


def login_message(settings: Settings) -> str:
    """What the login page says: how to log in, or how to create the first admin."""
    with open_store(settings) as store:
        return LOGIN if store.list_users() else FIRST_USER


def launch(app: gr.Blocks, deps_settings: Settings, host: str, port: int, block: bool) -> None:
    """Start the server: login against the review store, loopback unless told, no share link."""
    message = login_message(deps_settings)
    login_store = open_store(deps_settings)

    def auth(name: str, password: str) -> bool:
        return actions.check_password(Deps(deps_settings, login_store), name, password)

    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        auth_message=message,
        prevent_thread_lock=not block,
        theme=theme(),
        css=CSS,
        ssr_mode=False,
        footer_links=[],
        quiet=True,
        show_error=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
    )


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, block: bool = True
) -> gr.Blocks:
    """Build the app and serve it (blocking unless ``block=False``)."""
    app = build_app(settings)
    launch(app, settings, host, port, block)
    return app
