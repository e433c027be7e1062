"""The tabs of the engagement's second half and its own documents: ポリシー改定支援, 業務文書."""

from __future__ import annotations

from datetime import date
from typing import Any

import gradio as gr

from copilot.calendar_jp import wareki
from copilot.engagement.deadlines import Deadline
from copilot.exports.policy import DIFF_HEADERS
from copilot.exports.styling import noted
from copilot.policy.diff import marked
from copilot.review.drafts import Draft
from copilot.schemas import COVERAGES, GuidelineChange
from ui import actions, actions_policy
from ui.editor import draft_editor, saved
from ui.page import (
    PROGRESS_UNIT,
    Page,
    _versions_md,
    in_place,
    literal,
    login_name,
    status_ja,
)
from ui.sources import citations_html

BRIEFING_LABELS = {
    "plan": "作業計画の説明（CISO）",
    "results": "監査結果の説明（CISO・対象課）",
    "final": "最終報告（CISO）",
}
GAP_COLUMNS = ["番号", "要件ID", "要件", "判定", "ポリシーの該当条項", "引用", "助言", "状態"]


ADVICE_COLUMNS = [
    "番号",
    "規程",
    "条項",
    "現行の定め",
    "監査で判明したこと",
    "助言",
    "改定案",
    "状態",
]


DUE_COLUMNS = ["期限", "状態", "WBS番号", "成果物・確認", "対象課", "完了日", "完了者"]


WBS_COLUMNS = ["WBS番号", "作業項目", "工程", "開始", "終了", "先行作業", "担当", "成果物"]


# Column widths of the long tables (the text columns would otherwise push the rest off screen)
GAP_WIDTHS = ["5%", "9%", "24%", "6%", "12%", "24%", "13%", "7%"]


DIFF_WIDTHS = ["7%", "11%", "11%", "35%", "13%", "23%"]


ADVICE_WIDTHS = ["5%", "12%", "9%", "17%", "20%", "15%", "15%", "7%"]


WBS_WIDTHS = ["6%", "34%", "14%", "9%", "9%", "9%", "9%", "10%"]


def _gap_row(draft_id: int | str, p: dict[str, Any], status: str) -> list[Any]:
    cites = p.get("policy_citations") or []
    return [
        draft_id,
        p.get("requirement", ""),
        p.get("requirement_text", ""),
        p.get("coverage", ""),
        " / ".join(c["clause_path"] for c in cites),
        " / ".join(noted(f"{c['clause_path']}「{c['quote']}」", c.get("note", "")) for c in cites),
        p.get("advice", ""),
        status,
    ]


def _advice_row(d: Draft) -> list[Any]:
    p = d.payload
    return [
        d.id,
        p.get("policy", ""),
        p["clause"]["clause_path"],
        p.get("clause_says", ""),
        p.get("what_happened", ""),
        p.get("advice", ""),
        p.get("proposed_wording", ""),
        status_ja(d),
    ]


def _change_row(c: GuidelineChange) -> list[Any]:
    kind = f"{c.kind}（文言も変更）" if c.kind == "移動" and c.reworded else c.kind
    return [
        kind,
        c.old_path,
        c.new_path,
        marked(c.segments),
        " / ".join(r.clause_path for r in c.policy_clauses) or "（該当する条項なし）",
        " / ".join(
            noted(f"{r.clause_path}「{r.citation.quote}」", r.citation.note)
            for r in c.policy_clauses
        ),
    ]


def _gap_section(page: Page) -> None:
    """網羅状況: every requirement of a guideline judged against a policy; review; exports."""
    deps = page.deps

    @in_place
    def on_run(
        policy: str | None,
        guideline: str | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        def notify(n: int, total: int, requirement: str) -> None:
            progress((n - 1, total), desc=f"要件 {requirement} を判定中", unit=PROGRESS_UNIT)

        analysis, kept = actions_policy.policy_gap_and_record(
            deps, login_name(request), policy, guideline, notify
        )
        by_req = {d.payload.get("requirement"): d for d in kept}
        rows, ids = [], []
        for g in analysis.gaps:
            d = by_req.get(g.requirement)
            if d is None:
                rows.append(_gap_row("", g.model_dump(mode="json"), ""))
            else:
                rows.append(_gap_row(d.id, d.payload, status_ja(d)))
                ids.append(d.id)
        counts = "・".join(f"{literal(k)} {v} 件" for k, v in analysis.counts().items())
        msg = (
            f"{literal(analysis.policy_title)} を {literal(analysis.guideline_title)} の "
            f"{len(rows)} 要件に照らして"
            f"判定し、審査記録に保存しました（{counts}）。"
        )
        return rows, ids, msg

    @in_place
    def on_rows(ids: list[int]) -> Any:
        if not ids:
            return gr.skip()
        return [_gap_row(d.id, d.payload, status_ja(d)) for d in actions.drafts_by_id(deps, ids)]

    @in_place
    def on_open(draft_id: Any, request: gr.Request) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, login_name(request), draft_id, "policy_gap")
        p = d.payload
        missing = literal("、".join(p.get("missing") or []))
        head = (
            f"### 要件 {literal(p['requirement'])}"
            f"（{literal(p.get('chapter') or p['requirement_path'])}）　"
            f"下書き {d.id}・版 {d.latest.version}・{literal(status_ja(d))}\n\n"
            f"**要件**: {literal(p['requirement_text'])}\n\n"
            f"**判定**: {literal(p['coverage'])}　**理由**: {literal(p.get('rationale', ''))}"
            + (f"\n\n**規程に見当たらない語**: {missing}" if missing else "")
            + f"\n\n{_versions_md(d)}"
        )
        cites = citations_html(
            d,
            found,
            {"guideline_citation": "ガイドラインの要件", "policy_citations": "ポリシーの該当条項"},
        )
        fields = (p["coverage"], p.get("advice", ""), p.get("proposed_wording", ""), "")
        return head, cites, *fields, actions.shown(d)

    @in_place
    def on_save(
        draft_id: Any,
        coverage: str,
        advice: str,
        wording: str,
        comment: str,
        opened: actions.Shown | None,
        request: gr.Request,
    ) -> tuple[str, actions.Shown]:
        user = login_name(request)
        d = actions_policy.edit_gap(
            deps, user, draft_id, coverage, advice, wording, comment, opened
        )
        return saved(d)

    @in_place
    def on_files(policy: str | None, include_drafts: bool) -> tuple[str, str]:
        xlsx, memo = actions_policy.gap_files(deps, policy, include_drafts)
        return str(xlsx), str(memo)

    with gr.Tab("規程の網羅状況", id="policy-gap"):
        gr.Markdown(
            "ガイドラインの要件ごとに、ポリシー（規程）の該当条項と網羅状況（網羅・一部・欠落）を"
            "両方の引用つきで判定し、追加・具体化すべき事項を助言します。結果は操作した利用者の"
            "名前で審査記録に保存され、主任担当者の承認を経て書き出せます。"
        )
        with gr.Row():
            policy = gr.Dropdown(label="ポリシー（規程）", choices=[], elem_id="gap-policy")
            guideline = gr.Dropdown(label="ガイドライン", choices=[], elem_id="gap-guideline")
        run_btn = gr.Button("網羅状況を判定", variant="primary")
        msg = gr.Markdown(elem_id="gap-msg")
        table = gr.Dataframe(
            headers=GAP_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,  # every requirement at once, no inner scrolling
            max_chars=160,
            column_widths=GAP_WIDTHS,
            elem_id="gap-table",
        )
        ids = gr.State([])
        with draft_editor(page, "gap", "gap", "要件") as editor:
            coverage = gr.Dropdown(label="判定", choices=list(COVERAGES), elem_id="gap-coverage")
            advice = gr.Textbox(label="助言", lines=3, elem_id="gap-advice")
            wording = gr.Textbox(label="記載例（改定の文案）", lines=3, elem_id="gap-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="gap-comment")
        with gr.Row():
            include_drafts = gr.Checkbox(
                label="下書きを含める（未承認の判定を【下書き】として記載）",
                value=False,
                elem_id="gap-drafts",
            )
            files_btn = gr.Button("Excel と助言メモ（Word）を出力", elem_id="gap-export")
        with gr.Row():
            xlsx = gr.File(label="網羅状況（.xlsx、要件ごとに1行）", elem_id="gap-xlsx")
            memo = gr.File(label="助言メモ（.docx、章ごと）", elem_id="gap-memo")
    page.policies.append(policy)
    page.guidelines.append(guideline)

    run_btn.click(on_run, [policy, guideline], [table, ids, msg])
    fields = [coverage, advice, wording, comment]
    editor.wire(page, table, fields, on_open, on_save, (on_rows, [ids], [table]))
    files_btn.click(on_files, [policy, include_drafts], [xlsx, memo])


def _diff_section(page: Page) -> None:
    """改定差分: two editions of a guideline, what changed, the policy clauses to revise."""
    deps = page.deps

    @in_place
    def on_diff(
        old: str | None,
        new: str | None,
        policy: str | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        progress(None, desc="2つの版を照合し、見直しが必要な規程の条項を探しています")
        diff, path = actions_policy.guideline_diff(deps, old, new, policy)
        counts = "、".join(f"{k} {diff.count(k)} 件" for k in ("追加", "削除", "変更", "移動"))
        msg = (
            f"旧版 {literal(diff.old_document)}（{diff.old_items} 項目）→ "
            f"新版 {literal(diff.new_document)}（{diff.new_items} 項目）、"
            f"規程 {literal(diff.policy_document)}: {counts}。"
            f"項番のみ変更 {len(diff.renumbered)} 件、変更なし {diff.unchanged} 件"
            "（この2つは一覧に載せていません）。"
        )
        if not diff.changes:
            msg += "2つの版で内容の違いはありません。"
        return msg, [_change_row(c) for c in diff.changes], str(path)

    with gr.Tab("ガイドライン改定差分", id="policy-diff"):
        gr.Markdown(
            "ガイドラインの2つの版を比べ、追加・削除・変更・移動された項目を変更箇所に印を付けて"
            "示し（〔削除:…〕〔追加:…〕）、変更ごとに見直しが必要な規程の条項を引用します。"
        )
        with gr.Row():
            old = gr.Dropdown(label="旧版のガイドライン", choices=[], elem_id="diff-old")
            new = gr.Dropdown(label="新版のガイドライン", choices=[], elem_id="diff-new")
            policy = gr.Dropdown(label="見直しの対象となる規程", choices=[], elem_id="diff-policy")
        diff_btn = gr.Button("差分を比較", variant="primary")
        msg = gr.Markdown(elem_id="diff-msg")
        table = gr.Dataframe(
            headers=list(DIFF_HEADERS),
            interactive=False,
            wrap=True,
            max_height=100_000,
            column_widths=DIFF_WIDTHS,
            elem_id="diff-table",
        )
        xlsx = gr.File(label="改定差分（.xlsx）", elem_id="diff-xlsx")
    page.guidelines.extend([old, new])
    page.policies.append(policy)
    diff_btn.click(on_diff, [old, new, policy], [msg, table, xlsx])


def _advice_section(page: Page) -> None:
    """改定助言: revision advice drafted from the signed-off findings; review; the memo."""
    deps = page.deps

    @in_place
    def on_draft(policy: str | None, request: gr.Request) -> tuple[Any, ...]:
        kept = actions_policy.policy_advice_and_record(deps, login_name(request), policy)
        msg = f"承認済みの発見事項から、{len(kept)} 条項について改定助言を下書きしました。"
        return [_advice_row(d) for d in kept], [d.id for d in kept], msg

    @in_place
    def on_rows(ids: list[int]) -> Any:
        if not ids:
            return gr.skip()
        return [_advice_row(d) for d in actions.drafts_by_id(deps, ids)]

    @in_place
    def on_open(draft_id: Any, request: gr.Request) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, login_name(request), draft_id, "policy_advice")
        p = d.payload
        happened = "\n".join(
            f"- {literal(line)}" for line in p.get("what_happened", "").splitlines()
        )
        head = (
            f"### {literal(p['policy'])} {literal(p['clause']['clause_path'])}　下書き {d.id}・"
            f"版 {d.latest.version}・{literal(status_ja(d))}\n\n"
            f"**現行の定め**: {literal(p.get('clause_says', ''))}"
            f"\n\n**監査で判明したこと**:\n\n{happened}\n\n{_versions_md(d)}"
        )
        cites = citations_html(
            d, found, {"clause": "対象の条項", "guideline_citations": "裏付けとなるガイドライン"}
        )
        return head, cites, p.get("advice", ""), p.get("proposed_wording", ""), "", actions.shown(d)

    @in_place
    def on_save(
        draft_id: Any,
        advice: str,
        wording: str,
        comment: str,
        opened: actions.Shown | None,
        request: gr.Request,
    ) -> tuple[str, actions.Shown]:
        d = actions_policy.edit_advice(
            deps, login_name(request), draft_id, advice, wording, comment, opened
        )
        return saved(d)

    @in_place
    def on_memo(policy: str | None, include_drafts: bool) -> str:
        return str(actions_policy.advice_file(deps, policy, include_drafts))

    with gr.Tab("監査結果からの改定助言", id="policy-advice"):
        gr.Markdown(
            "承認済みの発見事項が判断基準とした規程の条項ごとに、現行の定め・監査で判明したこと・"
            "改定案を下書きします。下書きは他と同じく修正・承認を経て書き出します。"
        )
        with gr.Row():
            policy = gr.Dropdown(
                label="規程（空欄はすべての規程）", choices=[], elem_id="advice-policy"
            )
            draft_btn = gr.Button("改定助言を下書き", variant="primary")
        msg = gr.Markdown(elem_id="advice-msg")
        table = gr.Dataframe(
            headers=ADVICE_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,
            max_chars=160,
            column_widths=ADVICE_WIDTHS,
            elem_id="advice-table",
        )
        ids = gr.State([])
        with draft_editor(page, "advice", "advice", "助言") as editor:
            advice = gr.Textbox(label="助言", lines=3, elem_id="advice-text")
            wording = gr.Textbox(label="改定案", lines=3, elem_id="advice-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="advice-comment")
        with gr.Row():
            include_drafts = gr.Checkbox(
                label="下書きを含める（未承認の助言を【下書き】として記載）",
                value=False,
                elem_id="advice-drafts",
            )
            memo_btn = gr.Button("改定助言（Word）を出力", elem_id="advice-export")
        memo = gr.File(label="改定助言（.docx）", elem_id="advice-memo")
    page.policies.append(policy)

    draft_btn.click(on_draft, [policy], [table, ids, msg])
    fields = [advice, wording, comment]
    editor.wire(page, table, fields, on_open, on_save, (on_rows, [ids], [table]))
    memo_btn.click(on_memo, [policy, include_drafts], [memo])


def tab_policy(page: Page) -> None:
    """ポリシー改定支援: gap analysis, guideline change impact, revision advice from findings."""
    with gr.Tab("ポリシー改定支援", id="policy"), gr.Tabs():
        _gap_section(page)
        _diff_section(page)
        _advice_section(page)


def tab_engagement(page: Page) -> None:
    """業務文書: the work plan and WBS from the engagement file; the final report; the briefings."""
    deps = page.deps

    @in_place
    def on_plan(upload: str | None, path: str | None) -> tuple[Any, ...]:
        plan, plan_docx, wbs_xlsx = actions_policy.workplan_files(deps, upload, path)
        rows = [
            [
                i.id,
                i.name,
                i.phase,
                wareki(i.start),
                wareki(i.end),
                "、".join(i.depends),
                i.owner,
                i.deliverable,
            ]
            for i in plan.items
        ]
        e = plan.engagement
        msg = (
            f"{literal(e.city)} {literal(e.project)}（{literal(e.fiscal_year_ja)}、"
            f"契約日 {wareki(e.contract_date)}）: "
            f"作業項目 {len(rows)} 件。日付はすべて営業日（土日・祝日・12月29日～1月3日を"
            "除く）です。"
        )
        return msg, rows, str(plan_docx), str(wbs_xlsx)

    @in_place
    def on_report(
        upload: str | None,
        path: str | None,
        include_drafts: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, str]:
        progress(None, desc="承認済みの内容から事業報告書を作成しています")
        report = actions_policy.final_report_file(deps, upload, path, include_drafts)
        which = "下書きを【下書き】として含めて" if include_drafts else "承認済みの内容だけで"
        return str(report), f"事業報告書を{which}作成しました。"

    @in_place
    def on_briefing(
        upload: str | None, path: str | None, kind: str, division: str, include_drafts: bool
    ) -> tuple[str, str]:
        deck = actions_policy.briefing_file(deps, upload, path, kind, division, include_drafts)
        which = "下書きを【下書き】として含めて" if include_drafts and kind != "plan" else ""
        what = BRIEFING_LABELS[kind]
        return str(deck), f"説明資料（{literal(what)}）を{which}作成しました。"

    @in_place
    def on_due(upload: str | None, path: str | None) -> tuple[Any, ...]:
        return _due_view(actions_policy.due_list(deps, upload, path))

    @in_place
    def on_done(
        upload: str | None, path: str | None, wbs: str | None, on: str, request: gr.Request
    ) -> tuple[Any, ...]:
        d = actions_policy.record_due_done(deps, login_name(request), upload, path, wbs, on)
        msg, rows, choices = _due_view(actions_policy.due_list(deps, upload, path))
        on_day = wareki(d.done_on) if d.done_on else ""
        done = f"{literal(d.wbs)} {literal(d.what)} を {on_day} に完了として記録しました。"
        return f"{done}\n\n{msg}", rows, choices

    @in_place
    def on_engagements() -> Any:
        offered = actions_policy.engagement_choices(deps)
        return gr.update(choices=offered, value=offered[0] if offered else None)

    offered = actions_policy.engagement_choices(deps)
    with gr.Tab("業務文書", id="engagement"):
        gr.Markdown(
            "作業計画の設定ファイル（engagement.toml。例: `examples/engagement.toml`）から"
            "作業計画書（WBS）を作り、審査記録の承認済みの内容から事業報告書を作ります。"
            "設定ファイルはアップロードするか、一覧（見本と、管理者がデータフォルダの "
            "`engagements/` に置いた .toml）から選びます。"
        )
        with gr.Row():
            upload = gr.File(
                label="設定ファイル（.toml）をアップロード",
                type="filepath",
                file_types=[".toml"],
                elem_id="engagement-upload",
            )
            path = gr.Dropdown(
                label="または一覧の設定ファイル（アップロードがなければこちらを使用）",
                choices=offered,
                value=offered[0] if offered else None,
                allow_custom_value=False,
                elem_id="engagement-file",
            )
        plan_btn = gr.Button("作業計画を作成", variant="primary")
        msg = gr.Markdown(elem_id="plan-msg")
        table = gr.Dataframe(
            headers=WBS_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,
            column_widths=WBS_WIDTHS,
            elem_id="wbs-table",
        )
        with gr.Row():
            plan_docx = gr.File(label="作業計画書（.docx）", elem_id="plan-docx")
            wbs_xlsx = gr.File(label="WBS（.xlsx）", elem_id="wbs-xlsx")
        gr.Markdown("### 事業報告書")
        with gr.Row():
            include_drafts = gr.Checkbox(
                label="下書きを含める（未承認の内容を【下書き】として記載）",
                value=False,
                elem_id="report-drafts",
            )
            report_btn = gr.Button("事業報告書を作成", elem_id="report-make")
        report_msg = gr.Markdown(elem_id="report-msg")
        report = gr.File(label="事業報告書（.docx）", elem_id="report-docx")
        gr.Markdown("### 説明資料（PowerPoint）")
        with gr.Row():
            kind = gr.Radio(
                [(label, key) for key, label in BRIEFING_LABELS.items()],
                value="plan",
                label="資料",
                elem_id="briefing-kind",
            )
            division = gr.Textbox(
                label="対象課（監査結果のみ。空欄なら全課、CISO 向け）", elem_id="briefing-division"
            )
            briefing_drafts = gr.Checkbox(
                label="下書きを含める（未承認の内容のあるスライドに【下書き】）",
                value=False,
                elem_id="briefing-drafts",
            )
            briefing_btn = gr.Button("説明資料を作成", elem_id="briefing-make")
        briefing_msg = gr.Markdown(elem_id="briefing-msg")
        briefing = gr.File(label="説明資料（.pptx）", elem_id="briefing-pptx")
        gr.Markdown(
            "### 期限\n議事録・現地監査結果概要（実施後5営業日以内）、現地監査のタイムテーブル"
            "（訪問の前営業日まで）、各課の発見事項の確定（全件承認）の期限と状態です。"
        )
        due_btn = gr.Button("期限を確認", elem_id="due-check")
        due_msg = gr.Markdown(elem_id="due-msg")
        due_table = gr.Dataframe(
            headers=DUE_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,
            elem_id="due-table",
        )
        with gr.Row():
            due_wbs = gr.Dropdown(
                label="完了した成果物", choices=[], elem_id="due-wbs", allow_custom_value=False
            )
            due_on = gr.Textbox(label="完了日（例: 2026-12-03。空欄なら今日）", elem_id="due-on")
            done_btn = gr.Button("完了を記録", elem_id="due-done")
    plan_btn.click(on_plan, [upload, path], [msg, table, plan_docx, wbs_xlsx])
    report_btn.click(on_report, [upload, path, include_drafts], [report, report_msg])
    briefing_btn.click(
        on_briefing,
        [upload, path, kind, division, briefing_drafts],
        [briefing, briefing_msg],
    )
    due_btn.click(on_due, [upload, path], [due_msg, due_table, due_wbs])
    page.loads.append((on_engagements, [path]))
    done_btn.click(on_done, [upload, path, due_wbs, due_on], [due_msg, due_table, due_wbs])


def _due_view(rows: list[Deadline]) -> tuple[Any, ...]:
    """The message, the table (overdue marked 【期限超過】) and the deliverables still open."""
    today = date.today()
    states = [d.state(today) for d in rows]
    late = states.count("期限超過")
    msg = f"{wareki(today)} 現在の期限 {len(rows)} 件、うち**期限超過 {late} 件**。"
    table = [
        [
            wareki(d.due),
            f"【{s}】" if s in ("期限超過", "本日期限") else s,
            d.wbs,
            d.what,
            d.division,
            wareki(d.done_on) if d.done_on else "",
            d.done_by,
        ]
        for d, s in zip(rows, states, strict=True)
    ]
    open_ = [(f"{d.wbs} {d.what}", d.wbs) for d in rows if d.done_on is None and d.manual]
    return msg, table, gr.update(choices=open_, value=None)
