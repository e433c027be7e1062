"""The audit tabs: 質問, チェックリスト審査, 発見事項, 自己点検分析, ヒアリング, 台帳照合."""

from __future__ import annotations

from typing import Any

import gradio as gr

from copilot.exports.styling import noted
from ui import actions, actions_audit, actions_policy
from ui.editor import draft_editor, saved, sign_off_row
from ui.page import Page, _versions_md, in_place, literal, login_name, status_ja
from ui.sources import citations_html

FINDING_COLUMNS = ["番号", "対象課", "評価", "状態", "題目", "発見事項"]


RANK_COLUMNS = ["順位", "課", "リスク点", "いいえ", "未回答", "説明"]


HEARING_COLUMNS = ["質問", "状態", "質問事項", "回答", "証拠の一文", "差出人・日時"]
HEARING_WIDTHS = ["8%", "12%", "30%", "20%", "18%", "12%"]


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


PERIOD = "令和8年4月1日から令和9年3月31日まで"


def tab_findings(page: Page) -> None:
    """発見事項: draft a division's findings; open, edit, approve or reject; the notice."""
    deps = page.deps

    def finding_rows(name: str | None) -> list[list[Any]]:
        return [
            [
                d.id,
                d.payload.get("division", ""),
                d.payload.get("rating", ""),
                status_ja(d),
                d.payload.get("title", ""),
                d.payload.get("finding", ""),
            ]
            for d in actions_audit.drafts(deps, name, kind="finding")
        ]

    @in_place
    def on_findings(request: gr.Request) -> list[list[Any]]:
        return finding_rows(login_name(request))

    @in_place
    def on_draft(
        contract: str,
        checklist: str,
        division: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        def notify(n: int, total: int, item: str) -> None:
            progress((n - 1, total), desc=f"{item} を判定中")

        run_id = actions_audit.draft_findings_and_record(
            deps, login_name(request), contract, checklist, division, notify
        )
        rows = finding_rows(login_name(request))
        return rows, f"発見事項の下書きを保存しました（実行 #{run_id}）。"

    @in_place
    def on_open(draft_id: Any, request: gr.Request) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, login_name(request), draft_id, "finding")
        p = d.payload
        head = (
            f"### {literal(p.get('division', ''))}　下書き {d.id}・版 {d.latest.version}・"
            f"{literal(status_ja(d))}\n\n{_versions_md(d)}"
        )
        basis = citations_html(d, found, {"criteria": "判断基準（規程）", "evidence": "根拠"})
        return (
            head,
            basis,
            p.get("title", ""),
            p.get("finding", ""),
            p.get("rating"),
            p.get("risk", ""),
            p.get("recommendation", ""),
            "",
            actions.shown(d),
        )

    @in_place
    def on_save(
        draft_id: Any,
        title: str,
        finding: str,
        rating: str,
        risk: str,
        recommendation: str,
        comment: str,
        opened: actions.Shown | None,
        request: gr.Request,
    ) -> tuple[str, actions.Shown]:
        parts = {
            "title": title,
            "finding": finding,
            "rating": rating,
            "risk": risk,
            "recommendation": recommendation,
        }
        d = actions_audit.edit_finding(deps, login_name(request), draft_id, parts, comment, opened)
        return saved(d)

    @in_place
    def on_notice(division: str, engagement: str | None) -> str:
        return str(actions_audit.notice_file(deps, division, engagement))

    engagements = actions_policy.engagement_choices(deps)

    with gr.Tab("発見事項", id="findings"):
        with gr.Row():
            contract = gr.Dropdown(label="契約", choices=[], elem_id="f-contract")
            checklist = gr.Dropdown(label="チェックリスト", choices=[])
            division = gr.Textbox(label="対象課", elem_id="division")
        draft_btn = gr.Button("発見事項を下書き", variant="primary")
        msg = gr.Markdown(elem_id="f-msg")
        refresh = gr.Button("一覧を更新")
        table = gr.Dataframe(
            headers=FINDING_COLUMNS, interactive=False, wrap=True, elem_id="findings-table"
        )
        with draft_editor(page, "finding", "finding", "下書き", "finding-basis") as editor:
            title = gr.Textbox(label="題目", elem_id="finding-title")
            finding = gr.Textbox(label="発見事項", lines=4, elem_id="finding-text")
            rating = gr.Radio(label="評価", choices=["指摘", "意見"], elem_id="finding-rating")
            risk = gr.Textbox(label="想定されるリスク", lines=3, elem_id="finding-risk")
            recommendation = gr.Textbox(label="改善提言", lines=3, elem_id="finding-reco")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="finding-comment")
        gr.Markdown(
            "監査結果通知書（案）は、上の「対象課」の承認済みの発見事項から作ります。"
            "文書番号・宛先・差出人・監査期間は、選んだ作業計画の設定ファイルから入ります。",
            elem_id="notice-help",
        )
        engagement = gr.Dropdown(
            label="作業計画の設定ファイル",
            choices=engagements,
            value=engagements[0] if engagements else None,
            allow_custom_value=False,
            elem_id="notice-engagement",
        )
        notice_btn = gr.Button("監査結果通知書（案）を出力")
        notice = gr.File(label="通知書（.docx）", elem_id="notice")
    page.contracts.append(contract)
    page.checklists.append(checklist)

    draft_btn.click(on_draft, [contract, checklist, division], [table, msg])
    refresh.click(on_findings, outputs=[table])
    fields = [title, finding, rating, risk, recommendation, comment]
    editor.wire(page, table, fields, on_open, on_save, (on_findings, None, [table]))
    notice_btn.click(on_notice, [division, engagement], [notice])


def tab_selfcheck(page: Page) -> None:
    """自己点検分析: the risk ranking of the ingested self-check sheets; the approach document."""
    deps = page.deps

    @in_place
    def on_triage() -> tuple[Any, ...]:
        result = actions_audit.selfcheck_triage(deps)
        rows = [
            [d.rank, d.division, d.score, d.no_count, d.unanswered_count, d.explanation]
            for d in result.divisions
        ]
        lines = [f"算定式: {literal(result.formula)}"]
        for d in result.divisions:
            lines.append(f"### {d.rank}. {literal(d.division)}（リスク点 {literal(d.score)}）")
            for r in d.reasons:
                b = r.basis
                basis = (
                    noted(
                        f"　根拠: {literal(b.document)} {literal(b.clause_path)}"
                        f"「{literal(b.quote)}」",
                        literal(b.note),
                    )
                    if b
                    else ""
                )
                lines.append(
                    f"- No.{literal(r.id)} {literal(r.question)}（{literal(r.answer)}）{basis}\n"
                    f"  - 資料依頼: {literal('、'.join(r.documents))}\n"
                    f"  - ヒアリング: {literal(r.hearing)}"
                )
        return rows, "\n".join(lines)

    @in_place
    def on_approach(period: str) -> str:
        return str(actions_audit.approach_file(deps, period))

    with gr.Tab("自己点検分析", id="selfcheck"):
        triage_btn = gr.Button("取り込んだ自己点検シートを分析", variant="primary")
        ranking = gr.Dataframe(
            headers=RANK_COLUMNS, interactive=False, wrap=True, elem_id="ranking"
        )
        reasons = gr.Markdown(elem_id="reasons")
        period = gr.Textbox(label="監査期間", value=PERIOD)
        approach_btn = gr.Button("監査実施方針（案）を出力")
        approach = gr.File(label="監査実施方針（.docx）", elem_id="approach")
    triage_btn.click(on_triage, outputs=[ranking, reasons])
    approach_btn.click(on_approach, [period], [approach])


def _hearing_head(hearing: Any) -> str:
    mail = hearing.mail
    state = (
        "承認済み（送信できます）" if hearing.signed_off else "未承認（主任担当者の承認後に送信）"
    )
    return (
        f"**{literal(mail.division)}**　下書き {hearing.draft_id}・{state}　質問 "
        f"{len(mail.questions)} 件・依頼資料 {len(mail.documents)} 件・回答期限 "
        f"{literal(mail.reply_by)}（{mail.reply_days}営業日）・回答メール {len(hearing.replies)} 通"
    )


def tab_hearing(page: Page) -> None:
    """ヒアリング: hearing mails from the self-check, signed off, sent; replies taken; the log."""
    deps = page.deps

    @in_place
    def on_divisions() -> Any:
        found = actions_audit.hearing_divisions(deps)
        return gr.update(choices=found, value=found[0] if found else None)

    def shown(hearing: Any) -> dict[str, int]:
        return {"draft": hearing.draft_id, "version": hearing.version}

    @in_place
    def on_draft(division: str, days: float, request: gr.Request) -> tuple[Any, ...]:
        hearing, path = actions_audit.draft_hearing_mail(deps, login_name(request), division, days)
        return hearing.draft_id, _hearing_head(hearing), str(path), shown(hearing)

    @in_place
    def on_mail(division: str, request: gr.Request) -> tuple[Any, ...]:
        hearing, path = actions_audit.hearing_mail_file(deps, login_name(request), division)
        return _hearing_head(hearing), str(path), hearing.draft_id, shown(hearing)

    @in_place
    def on_reply(division: str, files: list[str] | None, request: gr.Request) -> str:
        taken = actions_audit.take_hearing_replies(deps, login_name(request), division, files)
        lines = []
        for r in taken:
            lines.append(
                f"- {literal(r.file)}（{literal(r.sender or '差出人不明')}　{literal(r.date)}）"
            )
            if not r.linked:
                lines.append("  - 質問番号がないため、どの質問への回答か確認してください")
            lines += [f"  - 【質問{a.no}】{a.status}「{literal(a.quote)}」" for a in r.answers]
        return f"回答メール {len(taken)} 通を取り込みました。\n\n" + "\n".join(lines)

    @in_place
    def on_log(division: str, request: gr.Request) -> tuple[Any, ...]:
        hearing, log = actions_audit.hearing_log(deps, login_name(request), division)
        rows = [
            [
                f"【質問{e.no}】",
                e.status + (f"（{e.why}）" if e.why else ""),
                e.question,
                e.answer,
                noted(f"{e.citation.document} {e.citation.clause_path}「{e.citation.quote}」",
                      e.citation.note) if e.citation else "",
                "　".join(x for x in (e.sender, e.date, e.file) if x),
            ]
            for e in log
        ]  # fmt: skip
        counts = "　".join(
            f"{s} {sum(e.status == s for e in log)} 件"
            for s in ("回答あり", "要追加確認", "未回答")
        )
        return f"{_hearing_head(hearing)}\n\n{counts}", hearing.draft_id, rows, shown(hearing)

    with gr.Tab("ヒアリング", id="hearing"):
        gr.Markdown(
            "自己点検で「いいえ」又は未回答の設問を、根拠の規程とともに書面（メール）で質問します。"
            "作成したメールは主任担当者の承認後に、監査人自身のメールソフトから送信してください。"
        )
        with gr.Row():
            division = gr.Dropdown(
                label="対象課", choices=[], allow_custom_value=True, elem_id="h-division"
            )
            load_btn = gr.Button("自己点検シートから対象課を読み込む", elem_id="h-load")
            days = gr.Number(label="回答期限（営業日）", value=5, precision=0, elem_id="h-days")
        with gr.Row():
            draft_btn = gr.Button("ヒアリングメールを作成", variant="primary", elem_id="h-draft")
            mail_btn = gr.Button("メール（.eml）を書き出す", elem_id="h-mail")
        head = gr.Markdown(elem_id="h-head")
        eml = gr.File(label="ヒアリングメール（.eml）", elem_id="h-eml")
        draft_id = gr.Number(label="下書き番号", value=None, elem_id="h-id")
        opened = gr.State(None)  # the mail's number and version shown (``actions.shown``)
        sign = sign_off_row(page, "hearing")
        gr.Markdown("### 回答メールの取り込み")
        replies = gr.File(
            label="回答メール（.eml・.msg）",
            file_count="multiple",
            file_types=[".eml", ".msg"],
            elem_id="h-replies",
        )
        reply_btn = gr.Button("回答を取り込む", elem_id="h-reply")
        reply_msg = gr.Markdown(elem_id="h-reply-msg")
        gr.Markdown("### ヒアリングログ（質問 → 回答 → 証拠 → 状態）")
        log_btn = gr.Button("ログを表示", elem_id="h-log-btn")
        log = gr.Dataframe(
            headers=HEARING_COLUMNS,
            column_widths=HEARING_WIDTHS,
            interactive=False,
            wrap=True,
            elem_id="h-log",
        )
    load_btn.click(on_divisions, outputs=[division])
    draft_btn.click(on_draft, [division, days], [draft_id, head, eml, opened])
    mail_btn.click(on_mail, [division], [head, eml, draft_id, opened])
    reply_btn.click(on_reply, [division, replies], [reply_msg]).success(
        on_log, [division], [head, draft_id, log, opened]
    )
    log_btn.click(on_log, [division], [head, draft_id, log, opened])
    sign.wire(page, draft_id, opened, (on_mail, [division], [head, eml, draft_id, opened]))


def tab_ledger(page: Page) -> None:
    """台帳照合: the ledger's entry for a contract against the contract's documents."""
    deps = page.deps

    @in_place
    def on_ledger(contract: str) -> tuple[Any, ...]:
        result = actions_audit.ledger_check(deps, contract)
        rows = [
            [
                row.number,
                row.service,
                row.division,
                f.item,
                f.ledger_value,
                f.status,
                noted(
                    f"{f.evidence.document} {f.evidence.clause_path}「{f.evidence.quote}」",
                    f.evidence.note,
                )
                if f.evidence
                else "",
                f.note,
            ]
            for row in result.rows
            for f in row.fields
        ]
        return rows, f"{literal(result.contract)}: {literal(result.state)}。{literal(result.note)}"

    @in_place
    def on_excel(contract: str, request: gr.Request) -> str:
        return str(actions_audit.ledger_xlsx(deps, login_name(request), contract))

    with gr.Tab("台帳照合", id="ledger"):
        contract = gr.Dropdown(label="契約", choices=[], elem_id="l-contract")
        with gr.Row():
            ledger_btn = gr.Button("台帳と照合", variant="primary")
            excel_btn = gr.Button("Excel を出力", elem_id="ledger-xlsx-button")
        msg = gr.Markdown(elem_id="ledger-msg")
        table = gr.Dataframe(
            headers=LEDGER_COLUMNS, interactive=False, wrap=True, elem_id="ledger-table"
        )
        excel = gr.File(label="台帳照合の結果（.xlsx）", elem_id="ledger-xlsx")
    page.contracts.append(contract)
    ledger_btn.click(on_ledger, [contract], [table, msg])
    excel_btn.click(on_excel, [contract], [excel])
