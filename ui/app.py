"""The Gradio app: tabs over copilot's services, login required, loopback unless told, offline.

Every handler makes one call into ``ui.actions`` and renders its result; a ``UserError`` is shown
in place in Japanese and English (``gr.Error``), never as a traceback. Each tab is built by its
own ``tab_*`` function; what tabs share (the lead-only rows, the contract, checklist and document
pickers filled from the index) is collected on a ``Page`` and wired once in ``build_app``.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Gradio reads this when it is imported: no usage reports leave the machine
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from copilot.errors import UserError  # noqa: E402
from copilot.policy_diff import DIFF_HEADERS, marked  # noqa: E402
from copilot.schemas import COVERAGES, VERDICTS, Answer, GuidelineChange  # noqa: E402
from copilot.services import KINDS, ClauseRecord  # noqa: E402
from copilot.settings import Settings  # noqa: E402
from copilot.store import ROLE_JA, Draft, open_store  # noqa: E402
from ui import actions  # noqa: E402
from ui.actions import Deps  # noqa: E402

log = logging.getLogger(__name__)

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
EVAL_COLUMNS = ["構成", "区分", "指標", "値"]
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
WBS_COLUMNS = ["WBS番号", "作業項目", "工程", "開始", "終了", "先行作業", "担当", "成果物"]
# Column widths of the long tables (the text columns would otherwise push the rest off screen)
GAP_WIDTHS = ["5%", "9%", "24%", "6%", "12%", "24%", "13%", "7%"]
DIFF_WIDTHS = ["7%", "11%", "11%", "35%", "13%", "23%"]
ADVICE_WIDTHS = ["5%", "12%", "9%", "17%", "20%", "15%", "15%", "7%"]
WBS_WIDTHS = ["6%", "34%", "14%", "9%", "9%", "9%", "9%", "10%"]
PERIOD = "令和8年4月1日から令和9年3月31日まで"
# What the evaluation reports' keys mean, in the order they are shown
RETRIEVAL_METRICS = {
    "recall@5": "recall@5（上位5件に正解）",
    "recall@10": "recall@10（上位10件に正解）",
    "mrr@10": "MRR@10（正解の順位の逆数）",
    "mean_chars_top5": "上位5件の平均文字数",
}
RETRIEVAL_SYSTEMS = {"pipeline": "本システム", "baseline": "比較用（llama-index 既定）"}
RETRIEVAL_SUBSETS = {"overall": "全体", "lexical": "語句一致", "paraphrase": "言い換え"}
CHECKLIST_METRICS = {
    "verdict_accuracy": "判定の正解率",
    "macro_f1": "macro-F1（3判定）",
    "evidence_recall": "根拠の再現率",
    "citation_validity": "引用の検証通過率",
    "needs_review_rate": "要確認の割合",
    "seconds_per_item": "1項目あたり秒数",
}
# The bars of the chart (metrics between 0 and 1), in this order. The plot keeps the order and
# colours it was first drawn with and only swaps the data, so the order is fixed here, once.
BASELINE_BAR = "（比較用）"
RETRIEVAL_BARS = {"recall@5": "recall@5", "recall@10": "recall@10", "mrr@10": "MRR@10"}
CHECKLIST_BARS = (
    "verdict_accuracy",
    "macro_f1",
    "evidence_recall",
    "citation_validity",
    "needs_review_rate",
)
BAR_ORDER = [
    *(f"{bar}{suffix}" for bar in RETRIEVAL_BARS.values() for suffix in ("", BASELINE_BAR)),
    *(CHECKLIST_METRICS[key] for key in CHECKLIST_BARS),
]


def theme() -> gr.themes.Base:
    """The default theme with system fonts only (the stock one fetches fonts online)."""
    return gr.themes.Default(
        font=[gr.themes.Font("sans-serif")], font_mono=[gr.themes.Font("monospace")]
    )


def error_html(exc: UserError) -> str:
    """The Japanese half, then the English half, escaped (the toast renders HTML)."""
    return (
        f"<span lang='ja'>{html.escape(exc.ja)}</span><br>"
        f"<span lang='en'>Error: {html.escape(exc.en)}</span>"
    )


def in_place(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show a user error where the user is, in Japanese and English, instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            raise gr.Error(
                error_html(exc), title="エラー / Error", duration=None, print_exception=False
            ) from None

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


def _source_html(rec: ClauseRecord, quote: str) -> str:
    """A stored clause with its document, path and page, the quoted words marked."""
    page = f"{rec.page} ページ" if rec.page else "（ページなし）"
    return (
        f"<div class='source'><p><b>文書</b>: {html.escape(rec.title or rec.doc_id)}"
        f"　<b>条項</b>: {html.escape(rec.path)}　<b>ページ</b>: {page}</p>"
        f"<p class='clause'>{_highlight(rec.text, quote)}</p></div>"
    )


def _citations_html(draft: Draft, found: dict[str, ClauseRecord], fields: dict[str, str]) -> str:
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
            if rec is None:
                parts.append(
                    f"<div class='source'><p>[{n}] {html.escape(c['document'])} "
                    f"{html.escape(c['clause_path'])}「{html.escape(c['quote'])}」"
                    "（この条項は索引にありません）</p></div>"
                )
            else:
                parts.append(f"<p>[{n}]</p>{_source_html(rec, c['quote'])}")
    return "".join(parts) or "<p>引用はありません。</p>"


def _versions_md(d: Draft) -> str:
    lines = []
    for v in d.versions:
        what = "作成" if v.version == 1 else "修正"
        note = f"「{v.comment}」" if v.comment else ""
        lines.append(f"- 版 {v.version}: {what} {v.author_display}（{v.created_at}）{note}")
    if d.signoff is not None:
        r = d.signoff
        note = f"「{r.comment}」" if r.comment else ""
        lines.append(
            f"- {ACTION_JA.get(r.action, r.action)}: {r.actor_display}（{r.at}、版 {r.version}）"
            f"{note}"
        )
    return "\n".join(lines)


def _judgement_row(draft_id: int | str, p: dict[str, Any], status: str) -> list[Any]:
    return [
        draft_id,
        p.get("item", ""),
        p.get("verdict", ""),
        p.get("answer", ""),
        " / ".join(
            f"{c['document']} {c['clause_path']}「{c['quote']}」" for c in p.get("evidence", [])
        ),
        p.get("advice", ""),
        p.get("proposed_wording", ""),
        status,
    ]


def _progress_note(progress: gr.Progress, phases: int = 1) -> Callable[[str], None]:
    """A notify callback that moves the progress bar and shows the message.

    ``[3/87] …`` moves it by item; any other message is the next of ``phases`` steps (the bar
    shows no text without a number).
    """
    done = [0]

    def note(message: str) -> None:
        m = re.match(r"\s*\[(\d+)/(\d+)\]", message)
        if m:
            progress((int(m.group(1)) - 1, int(m.group(2))), desc=message)
        else:
            progress((min(done[0], phases - 1), phases), desc=message)
            done[0] += 1

    return note


def is_loopback_host(host: str) -> bool:
    """True when only this machine can reach an address (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """The warning to log when the UI listens beyond this machine, in Japanese and English."""
    if is_loopback_host(host):
        return None
    return (
        f"警告: 画面を {host} で待ち受けます。この端末以外（同じネットワークの他の端末）からも"
        "開けます。ログインは必要ですが、通信は暗号化されません（HTTP）。監査チームの内部"
        "ネットワークだけで使ってください。"
        f"\nWarning: the UI listens on {host} and can be reached from other machines on the "
        "network. Login is still required, but traffic is not encrypted (plain HTTP); use it "
        "only on the audit team's internal network."
    )


# --- the page: what the tabs share ----------------------------------------------------------


@dataclass
class Page:
    """The app's dependencies and the components that are filled when the page loads."""

    deps: Deps
    lead_only: list[Any] = field(default_factory=list)  # shown to the lead (主任担当者) only
    contracts: list[gr.Dropdown] = field(default_factory=list)
    checklists: list[gr.Dropdown] = field(default_factory=list)
    documents: list[gr.Dropdown] = field(default_factory=list)
    policies: list[gr.Dropdown] = field(default_factory=list)  # documents of kind policy
    guidelines: list[gr.Dropdown] = field(default_factory=list)  # documents of kind guideline
    index_changed: list[Any] = field(default_factory=list)  # events after which to refill
    loads: list[tuple[Callable[..., Any], list[Any]]] = field(default_factory=list)  # at load

    def pickers(self) -> list[gr.Dropdown]:
        """Every dropdown that lists contracts, checklists or documents of the index."""
        return [
            *self.contracts,
            *self.checklists,
            *self.documents,
            *self.policies,
            *self.guidelines,
        ]


def fill_pickers(page: Page) -> Callable[[], tuple[Any, ...]]:
    """The handler that fills every picker of ``page`` from the index."""

    @in_place
    def on_pickers() -> tuple[Any, ...]:
        c = actions.choices(page.deps)
        first = c.checklists[0][1] if c.checklists else None
        value = c.contracts[0] if c.contracts else None
        # one update object per output: Gradio consumes each as it applies it
        return (
            *(gr.update(choices=c.contracts, value=value) for _ in page.contracts),
            *(gr.update(choices=c.checklists, value=first) for _ in page.checklists),
            *(gr.update(choices=c.documents, value=None) for _ in page.documents),
            *(gr.update(choices=c.policies, value=None) for _ in page.policies),
            *(gr.update(choices=c.guidelines, value=None) for _ in page.guidelines),
        )

    return on_pickers


# --- tabs ------------------------------------------------------------------------------------


def tab_ask(page: Page) -> None:
    """質問: ask about the policy; a citation opens its clause with the quote marked."""
    deps = page.deps

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
        return _source_html(actions.clause(deps, c["clause_id"]), c["quote"])

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


def sign_off_handlers(page: Page) -> tuple[Callable[..., str], Callable[..., str]]:
    """Approve and reject handlers over a draft number and a comment (the store checks roles)."""
    deps = page.deps

    def signed(draft_id: float | None, action: str) -> str:
        label = {"approve": "承認", "approve_with_edits": "修正承認", "reject": "却下"}[action]
        return f"下書き {int(draft_id or 0)} を{label}しました。"

    @in_place
    def on_approve(draft_id: float | None, comment: str, request: gr.Request) -> str:
        return signed(draft_id, actions.sign_off(deps, _user(request), draft_id, True, comment))

    @in_place
    def on_reject(draft_id: float | None, comment: str, request: gr.Request) -> str:
        return signed(draft_id, actions.sign_off(deps, _user(request), draft_id, False, comment))

    return on_approve, on_reject


def _picked_id(evt: gr.SelectData) -> float | None:
    """The draft number in the first column of the row the user clicked."""
    row = evt.row_value or []
    try:
        return float(row[0]) if row and row[0] not in ("", None) else None
    except (TypeError, ValueError):
        return None


def tab_checklist(page: Page) -> None:
    """チェックリスト審査: judge a contract; open an item's citations, edit, approve or reject."""
    deps = page.deps
    on_approve, on_reject = sign_off_handlers(page)

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
        rows, ids = [], []
        for j in run.judgements:
            d = by_item.get(j.item)
            if d is None:
                rows.append(_judgement_row("", j.model_dump(mode="json"), ""))
            else:
                rows.append(_judgement_row(d.id, d.payload, _status(d)))
                ids.append(d.id)
        msg = f"{run.contract}: {len(rows)} 項目を判定し、審査記録に保存しました。"
        return rows, ids, msg

    @in_place
    def on_rows(ids: list[int]) -> Any:
        if not ids:  # nothing judged on this page yet: no table to refresh
            return gr.skip()
        return [
            _judgement_row(d.id, d.payload, _status(d)) for d in actions.drafts_by_id(deps, ids)
        ]

    @in_place
    def on_open(draft_id: float | None) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, draft_id, "checklist_judgement")
        p = d.payload
        head = (
            f"### {p['item']}（{p['contract']}）　下書き {d.id}・版 {d.latest.version}・"
            f"{_status(d)}\n\n**判定**: {p['verdict']}（回答 {p['answer']}）　"
            f"**理由**: {p.get('rationale', '')}\n\n{_versions_md(d)}"
        )
        cites = _citations_html(d, found, {"evidence": "契約書類の根拠", "basis": "規程の根拠"})
        return head, cites, p["verdict"], p.get("advice", ""), p.get("proposed_wording", ""), ""

    def on_pick(evt: gr.SelectData) -> float | None:
        return _picked_id(evt)

    @in_place
    def on_save(
        draft_id: float | None,
        verdict: str,
        advice: str,
        wording: str,
        comment: str,
        request: gr.Request,
    ) -> str:
        d = actions.edit_judgement(
            deps, _user(request), draft_id, verdict, advice, wording, comment
        )
        return f"下書き {d.id} を版 {d.latest.version} として保存しました（承認待ち）。"

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
        ids = gr.State([])
        gr.Markdown("### 項目を開く（表の行を選ぶか、下書き番号を入れて「開く」）")
        with gr.Row():
            item_id = gr.Number(label="下書き番号", precision=0, value=None, elem_id="item-id")
            open_btn = gr.Button("開く", elem_id="item-open")
        item_head = gr.Markdown(elem_id="item-head")
        item_cites = gr.HTML(elem_id="item-citations")
        with gr.Group():
            verdict = gr.Dropdown(label="判定", choices=list(VERDICTS), elem_id="edit-verdict")
            advice = gr.Textbox(label="助言", lines=3, elem_id="edit-advice")
            wording = gr.Textbox(label="修正文案", lines=3, elem_id="edit-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="edit-comment")
        save_btn = gr.Button("修正を保存（新しい版）", elem_id="item-save")
        save_msg = gr.Markdown(elem_id="item-save-msg")
        with gr.Row(visible=False) as sign_row:
            sign_comment = gr.Textbox(label="承認・却下のコメント（却下は必須）")
            approve_btn = gr.Button("承認", variant="primary", elem_id="checklist-approve")
            reject_btn = gr.Button("却下", variant="stop", elem_id="checklist-reject")
        sign_msg = gr.Markdown(elem_id="checklist-sign-msg")
    page.lead_only.append(sign_row)
    page.contracts.append(contract)
    page.checklists.append(checklist)

    item_outputs = [item_head, item_cites, verdict, advice, wording, comment]
    run_btn.click(on_run, [contract, checklist], [table, ids, run_msg])
    table.select(on_pick, None, [item_id]).success(on_open, [item_id], item_outputs)
    open_btn.click(on_open, [item_id], item_outputs)
    save_btn.click(on_save, [item_id, verdict, advice, wording, comment], [save_msg]).success(
        on_open, [item_id], item_outputs
    ).success(on_rows, [ids], [table])
    for btn, fn in ((approve_btn, on_approve), (reject_btn, on_reject)):
        btn.click(fn, [item_id, sign_comment], [sign_msg]).success(
            on_open, [item_id], item_outputs
        ).success(on_rows, [ids], [table])


def tab_findings(page: Page) -> None:
    """発見事項: draft a division's findings; open, edit, approve or reject; the notice."""
    deps = page.deps
    on_approve, on_reject = sign_off_handlers(page)

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
    def on_draft(
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
    def on_open(draft_id: float | None) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, draft_id, "finding")
        p = d.payload
        head = (
            f"### {p.get('division', '')}　下書き {d.id}・版 {d.latest.version}・{_status(d)}"
            f"\n\n{_versions_md(d)}"
        )
        basis = _citations_html(d, found, {"criteria": "判断基準（規程）", "evidence": "根拠"})
        return (
            head,
            basis,
            p.get("title", ""),
            p.get("finding", ""),
            p.get("rating"),
            p.get("risk", ""),
            p.get("recommendation", ""),
            "",
        )

    def on_pick(evt: gr.SelectData) -> float | None:
        return _picked_id(evt)

    @in_place
    def on_save(
        draft_id: float | None,
        title: str,
        finding: str,
        rating: str,
        risk: str,
        recommendation: str,
        comment: str,
        request: gr.Request,
    ) -> str:
        parts = {
            "title": title,
            "finding": finding,
            "rating": rating,
            "risk": risk,
            "recommendation": recommendation,
        }
        d = actions.edit_finding(deps, _user(request), draft_id, parts, comment)
        return f"下書き {d.id} を版 {d.latest.version} として保存しました（承認待ち）。"

    @in_place
    def on_notice(division: str, period: str, signer: str) -> str:
        return str(actions.notice_file(deps, division.strip(), period, signer))

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
        gr.Markdown("### 下書きを開く（表の行を選ぶか、下書き番号を入れて「開く」）")
        with gr.Row():
            draft_id = gr.Number(label="下書き番号", precision=0, value=None, elem_id="finding-id")
            open_btn = gr.Button("開く", elem_id="finding-open")
        head = gr.Markdown(elem_id="finding-head")
        with gr.Group():
            title = gr.Textbox(label="題目", elem_id="finding-title")
            finding = gr.Textbox(label="発見事項", lines=4, elem_id="finding-text")
            rating = gr.Radio(label="評価", choices=["指摘", "意見"], elem_id="finding-rating")
            risk = gr.Textbox(label="想定されるリスク", lines=3, elem_id="finding-risk")
            recommendation = gr.Textbox(label="改善提言", lines=3, elem_id="finding-reco")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="finding-comment")
        save_btn = gr.Button("修正を保存（新しい版）", elem_id="finding-save")
        save_msg = gr.Markdown(elem_id="finding-save-msg")
        basis = gr.HTML(elem_id="finding-basis")
        with gr.Row(visible=False) as sign_row:
            sign_comment = gr.Textbox(label="承認・却下のコメント（却下は必須）")
            approve_btn = gr.Button("承認", variant="primary", elem_id="finding-approve")
            reject_btn = gr.Button("却下", variant="stop", elem_id="finding-reject")
        sign_msg = gr.Markdown(elem_id="finding-sign-msg")
        with gr.Row():
            period = gr.Textbox(label="監査期間", value=PERIOD)
            signer = gr.Textbox(label="通知者", value="情報セキュリティ監査責任者")
        notice_btn = gr.Button("監査結果通知書（案）を出力")
        notice = gr.File(label="通知書（.docx）", elem_id="notice")
    page.lead_only.append(sign_row)
    page.contracts.append(contract)
    page.checklists.append(checklist)

    opened = [head, basis, title, finding, rating, risk, recommendation, comment]
    edited = [draft_id, title, finding, rating, risk, recommendation, comment]
    draft_btn.click(on_draft, [contract, checklist, division], [table, msg])
    refresh.click(on_findings, outputs=[table])
    table.select(on_pick, None, [draft_id]).success(on_open, [draft_id], opened)
    open_btn.click(on_open, [draft_id], opened)
    save_btn.click(on_save, edited, [save_msg]).success(on_open, [draft_id], opened).success(
        on_findings, outputs=[table]
    )
    for btn, fn in ((approve_btn, on_approve), (reject_btn, on_reject)):
        btn.click(fn, [draft_id, sign_comment], [sign_msg]).success(
            on_findings, outputs=[table]
        ).success(on_open, [draft_id], opened)
    notice_btn.click(on_notice, [division, period, signer], [notice])


def tab_selfcheck(page: Page) -> None:
    """自己点検分析: the risk ranking of the ingested self-check sheets; the approach document."""
    deps = page.deps

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


def tab_ledger(page: Page) -> None:
    """台帳照合: the ledger's entry for a contract against the contract's documents."""
    deps = page.deps

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

    with gr.Tab("台帳照合", id="ledger"):
        contract = gr.Dropdown(label="契約", choices=[], elem_id="l-contract")
        ledger_btn = gr.Button("台帳と照合", variant="primary")
        msg = gr.Markdown(elem_id="ledger-msg")
        table = gr.Dataframe(
            headers=LEDGER_COLUMNS, interactive=False, wrap=True, elem_id="ledger-table"
        )
    page.contracts.append(contract)
    ledger_btn.click(on_ledger, [contract], [table, msg])


def _gap_row(draft_id: int | str, p: dict[str, Any], status: str) -> list[Any]:
    cites = p.get("policy_citations") or []
    return [
        draft_id,
        p.get("requirement", ""),
        p.get("requirement_text", ""),
        p.get("coverage", ""),
        " / ".join(c["clause_path"] for c in cites),
        " / ".join(f"{c['clause_path']}「{c['quote']}」" for c in cites),
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
        _status(d),
    ]


def _change_row(c: GuidelineChange) -> list[Any]:
    kind = f"{c.kind}（文言も変更）" if c.kind == "移動" and c.reworded else c.kind
    return [
        kind,
        c.old_path,
        c.new_path,
        marked(c.segments),
        " / ".join(r.clause_path for r in c.policy_clauses) or "（該当する条項なし）",
        " / ".join(f"{r.clause_path}「{r.citation.quote}」" for r in c.policy_clauses),
    ]


def _gap_section(page: Page) -> None:
    """網羅状況: every requirement of a guideline judged against a policy; review; exports."""
    deps = page.deps
    on_approve, on_reject = sign_off_handlers(page)

    @in_place
    def on_run(
        policy: str | None,
        guideline: str | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        def notify(n: int, total: int, requirement: str) -> None:
            progress((n - 1, total), desc=f"要件 {requirement} を判定中")

        analysis, kept = actions.policy_gap_and_record(
            deps, _user(request), policy, guideline, notify
        )
        by_req = {d.payload.get("requirement"): d for d in kept}
        rows, ids = [], []
        for g in analysis.gaps:
            d = by_req.get(g.requirement)
            if d is None:
                rows.append(_gap_row("", g.model_dump(mode="json"), ""))
            else:
                rows.append(_gap_row(d.id, d.payload, _status(d)))
                ids.append(d.id)
        counts = "・".join(f"{k} {v} 件" for k, v in analysis.counts().items())
        msg = (
            f"{analysis.policy_title} を {analysis.guideline_title} の {len(rows)} 要件に照らして"
            f"判定し、審査記録に保存しました（{counts}）。"
        )
        return rows, ids, msg

    @in_place
    def on_rows(ids: list[int]) -> Any:
        if not ids:
            return gr.skip()
        return [_gap_row(d.id, d.payload, _status(d)) for d in actions.drafts_by_id(deps, ids)]

    @in_place
    def on_open(draft_id: float | None) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, draft_id, "policy_gap")
        p = d.payload
        missing = "、".join(p.get("missing") or [])
        head = (
            f"### 要件 {p['requirement']}（{p.get('chapter') or p['requirement_path']}）　"
            f"下書き {d.id}・版 {d.latest.version}・{_status(d)}\n\n"
            f"**要件**: {p['requirement_text']}\n\n"
            f"**判定**: {p['coverage']}　**理由**: {p.get('rationale', '')}"
            + (f"\n\n**規程に見当たらない語**: {missing}" if missing else "")
            + f"\n\n{_versions_md(d)}"
        )
        cites = _citations_html(
            d,
            found,
            {"guideline_citation": "ガイドラインの要件", "policy_citations": "ポリシーの該当条項"},
        )
        return head, cites, p["coverage"], p.get("advice", ""), p.get("proposed_wording", ""), ""

    def on_pick(evt: gr.SelectData) -> float | None:
        return _picked_id(evt)

    @in_place
    def on_save(
        draft_id: float | None,
        coverage: str,
        advice: str,
        wording: str,
        comment: str,
        request: gr.Request,
    ) -> str:
        d = actions.edit_gap(deps, _user(request), draft_id, coverage, advice, wording, comment)
        return f"下書き {d.id} を版 {d.latest.version} として保存しました（承認待ち）。"

    @in_place
    def on_files(policy: str | None, include_drafts: bool) -> tuple[str, str]:
        xlsx, memo = actions.gap_files(deps, policy, include_drafts)
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
        gr.Markdown("### 要件を開く（表の行を選ぶか、下書き番号を入れて「開く」）")
        with gr.Row():
            gap_id = gr.Number(label="下書き番号", precision=0, value=None, elem_id="gap-id")
            open_btn = gr.Button("開く", elem_id="gap-open")
        head = gr.Markdown(elem_id="gap-head")
        cites = gr.HTML(elem_id="gap-citations")
        with gr.Group():
            coverage = gr.Dropdown(label="判定", choices=list(COVERAGES), elem_id="gap-coverage")
            advice = gr.Textbox(label="助言", lines=3, elem_id="gap-advice")
            wording = gr.Textbox(label="記載例（改定の文案）", lines=3, elem_id="gap-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="gap-comment")
        save_btn = gr.Button("修正を保存（新しい版）", elem_id="gap-save")
        save_msg = gr.Markdown(elem_id="gap-save-msg")
        with gr.Row(visible=False) as sign_row:
            sign_comment = gr.Textbox(label="承認・却下のコメント（却下は必須）")
            approve_btn = gr.Button("承認", variant="primary", elem_id="gap-approve")
            reject_btn = gr.Button("却下", variant="stop", elem_id="gap-reject")
        sign_msg = gr.Markdown(elem_id="gap-sign-msg")
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
    page.lead_only.append(sign_row)
    page.policies.append(policy)
    page.guidelines.append(guideline)

    opened = [head, cites, coverage, advice, wording, comment]
    run_btn.click(on_run, [policy, guideline], [table, ids, msg])
    table.select(on_pick, None, [gap_id]).success(on_open, [gap_id], opened)
    open_btn.click(on_open, [gap_id], opened)
    save_btn.click(on_save, [gap_id, coverage, advice, wording, comment], [save_msg]).success(
        on_open, [gap_id], opened
    ).success(on_rows, [ids], [table])
    for btn, fn in ((approve_btn, on_approve), (reject_btn, on_reject)):
        btn.click(fn, [gap_id, sign_comment], [sign_msg]).success(
            on_open, [gap_id], opened
        ).success(on_rows, [ids], [table])
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
        diff, path = actions.guideline_diff(deps, old, new, policy)
        counts = "、".join(f"{k} {diff.count(k)} 件" for k in ("追加", "削除", "変更", "移動"))
        msg = (
            f"旧版 {diff.old_document}（{diff.old_items} 項目）→ 新版 {diff.new_document}"
            f"（{diff.new_items} 項目）、規程 {diff.policy_document}: {counts}。"
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
    on_approve, on_reject = sign_off_handlers(page)

    @in_place
    def on_draft(policy: str | None, request: gr.Request) -> tuple[Any, ...]:
        kept = actions.policy_advice_and_record(deps, _user(request), policy)
        msg = f"承認済みの発見事項から、{len(kept)} 条項について改定助言を下書きしました。"
        return [_advice_row(d) for d in kept], [d.id for d in kept], msg

    @in_place
    def on_rows(ids: list[int]) -> Any:
        if not ids:
            return gr.skip()
        return [_advice_row(d) for d in actions.drafts_by_id(deps, ids)]

    @in_place
    def on_open(draft_id: float | None) -> tuple[Any, ...]:
        d, found = actions.open_draft(deps, draft_id, "policy_advice")
        p = d.payload
        happened = "\n".join(f"- {line}" for line in p.get("what_happened", "").splitlines())
        head = (
            f"### {p['policy']} {p['clause']['clause_path']}　下書き {d.id}・"
            f"版 {d.latest.version}・{_status(d)}\n\n**現行の定め**: {p.get('clause_says', '')}"
            f"\n\n**監査で判明したこと**:\n\n{happened}\n\n{_versions_md(d)}"
        )
        cites = _citations_html(
            d, found, {"clause": "対象の条項", "guideline_citations": "裏付けとなるガイドライン"}
        )
        return head, cites, p.get("advice", ""), p.get("proposed_wording", ""), ""

    def on_pick(evt: gr.SelectData) -> float | None:
        return _picked_id(evt)

    @in_place
    def on_save(
        draft_id: float | None, advice: str, wording: str, comment: str, request: gr.Request
    ) -> str:
        d = actions.edit_advice(deps, _user(request), draft_id, advice, wording, comment)
        return f"下書き {d.id} を版 {d.latest.version} として保存しました（承認待ち）。"

    @in_place
    def on_memo(policy: str | None, include_drafts: bool) -> str:
        return str(actions.advice_file(deps, policy, include_drafts))

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
        gr.Markdown("### 助言を開く（表の行を選ぶか、下書き番号を入れて「開く」）")
        with gr.Row():
            advice_id = gr.Number(label="下書き番号", precision=0, value=None, elem_id="advice-id")
            open_btn = gr.Button("開く", elem_id="advice-open")
        head = gr.Markdown(elem_id="advice-head")
        cites = gr.HTML(elem_id="advice-citations")
        with gr.Group():
            advice = gr.Textbox(label="助言", lines=3, elem_id="advice-text")
            wording = gr.Textbox(label="改定案", lines=3, elem_id="advice-wording")
            comment = gr.Textbox(label="修正の理由（任意）", elem_id="advice-comment")
        save_btn = gr.Button("修正を保存（新しい版）", elem_id="advice-save")
        save_msg = gr.Markdown(elem_id="advice-save-msg")
        with gr.Row(visible=False) as sign_row:
            sign_comment = gr.Textbox(label="承認・却下のコメント（却下は必須）")
            approve_btn = gr.Button("承認", variant="primary", elem_id="advice-approve")
            reject_btn = gr.Button("却下", variant="stop", elem_id="advice-reject")
        sign_msg = gr.Markdown(elem_id="advice-sign-msg")
        with gr.Row():
            include_drafts = gr.Checkbox(
                label="下書きを含める（未承認の助言を【下書き】として記載）",
                value=False,
                elem_id="advice-drafts",
            )
            memo_btn = gr.Button("改定助言（Word）を出力", elem_id="advice-export")
        memo = gr.File(label="改定助言（.docx）", elem_id="advice-memo")
    page.lead_only.append(sign_row)
    page.policies.append(policy)

    opened = [head, cites, advice, wording, comment]
    draft_btn.click(on_draft, [policy], [table, ids, msg])
    table.select(on_pick, None, [advice_id]).success(on_open, [advice_id], opened)
    open_btn.click(on_open, [advice_id], opened)
    save_btn.click(on_save, [advice_id, advice, wording, comment], [save_msg]).success(
        on_open, [advice_id], opened
    ).success(on_rows, [ids], [table])
    for btn, fn in ((approve_btn, on_approve), (reject_btn, on_reject)):
        btn.click(fn, [advice_id, sign_comment], [sign_msg]).success(
            on_open, [advice_id], opened
        ).success(on_rows, [ids], [table])
    memo_btn.click(on_memo, [policy, include_drafts], [memo])


def tab_policy(page: Page) -> None:
    """ポリシー改定支援: gap analysis, guideline change impact, revision advice from findings."""
    with gr.Tab("ポリシー改定支援", id="policy"), gr.Tabs():
        _gap_section(page)
        _diff_section(page)
        _advice_section(page)


def tab_engagement(page: Page) -> None:
    """業務文書: the work plan and WBS from the engagement file; the final report."""
    deps = page.deps

    @in_place
    def on_plan(upload: str | None, path: str) -> tuple[Any, ...]:
        plan, plan_docx, wbs_xlsx = actions.workplan_files(deps, upload, path)
        rows = [
            [
                i.id,
                i.name,
                i.phase,
                i.start.isoformat(),
                i.end.isoformat(),
                "、".join(i.depends),
                i.owner,
                i.deliverable,
            ]
            for i in plan.items
        ]
        e = plan.engagement
        msg = (
            f"{e.city} {e.project}（{e.fiscal_year_ja}、契約日 {e.contract_date}）: "
            f"作業項目 {len(rows)} 件。日付はすべて営業日（土日・祝日・12月29日～1月3日を"
            "除く）です。"
        )
        return msg, rows, str(plan_docx), str(wbs_xlsx)

    @in_place
    def on_report(
        upload: str | None,
        path: str,
        include_drafts: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, str]:
        progress(None, desc="承認済みの内容から事業報告書を作成しています")
        report = actions.final_report_file(deps, upload, path, include_drafts)
        which = "下書きを【下書き】として含めて" if include_drafts else "承認済みの内容だけで"
        return str(report), f"事業報告書を{which}作成しました。"

    sample = actions.SAMPLE_ENGAGEMENT
    with gr.Tab("業務文書", id="engagement"):
        gr.Markdown(
            "作業計画の設定ファイル（engagement.toml。例: `examples/engagement.toml`）から"
            "作業計画書（WBS）を作り、審査記録の承認済みの内容から事業報告書を作ります。"
        )
        with gr.Row():
            upload = gr.File(
                label="設定ファイル（.toml）をアップロード",
                type="filepath",
                file_types=[".toml"],
                elem_id="engagement-upload",
            )
            path = gr.Textbox(
                label="またはこの端末の設定ファイルのパス（アップロードがなければこちらを使用）",
                value=str(sample) if sample.is_file() else "",
                elem_id="engagement-path",
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
    plan_btn.click(on_plan, [upload, path], [msg, table, plan_docx, wbs_xlsx])
    report_btn.click(on_report, [upload, path, include_drafts], [report, report_msg])


def tab_review(page: Page) -> None:
    """承認・履歴: the review queue, the verified sign-off log, who did what."""
    deps = page.deps

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
                f"先頭 {verification.head[:12]}）"
            )
        else:
            state = (
                f"署名記録の検証: **異常** 通番 {verification.bad_seq}: {verification.reason_ja}"
            )
        return queue, state, rows

    with gr.Tab("承認・履歴", id="review"):
        review_btn = gr.Button("更新")
        verify = gr.Markdown(elem_id="verify")
        gr.Markdown("### 承認待ち")
        queue = gr.Dataframe(headers=QUEUE_COLUMNS, interactive=False, wrap=True)
        gr.Markdown("### 署名記録（誰が何をしたか）")
        log_table = gr.Dataframe(headers=LOG_COLUMNS, interactive=False, wrap=True, elem_id="log")
    review_btn.click(on_review, outputs=[queue, verify, log_table])


def _eval_rows(report: dict[str, Any]) -> tuple[list[list[Any]], list[dict[str, Any]], str]:
    """Table rows, chart bars (0..1 metrics only) and notes of a retrieval or checklist report."""
    rows: list[list[Any]] = []
    bars: list[dict[str, Any]] = []
    notes: list[str] = []
    if "pipeline" in report:  # retrieval
        systems = [s for s in RETRIEVAL_SYSTEMS if s in report]
        for system in systems:
            for subset, subset_ja in RETRIEVAL_SUBSETS.items():
                scores = report[system][subset]
                for key, label in RETRIEVAL_METRICS.items():
                    rows.append([RETRIEVAL_SYSTEMS[system], subset_ja, label, scores[key]])
                    if subset == "overall" and key in RETRIEVAL_BARS:
                        suffix = BASELINE_BAR if system == "baseline" else ""
                        bars.append({"指標": RETRIEVAL_BARS[key] + suffix, "値": scores[key]})
            per_query = report[system]["seconds_per_query"]
            rows.append([RETRIEVAL_SYSTEMS[system], "全体", "1件あたり秒数", per_query])
        if "ratios" in report:
            ratios = "、".join(f"{k} {v}" for k, v in report["ratios"].items())
            notes.extend([f"本システム / 比較用 の比: {ratios}", ""])
        misses = report.get("misses") or []
        if misses:
            notes.extend([f"上位5件に正解が入らなかった質問（{len(misses)} 件）:", ""])
            notes.extend(f"- {m['id']}（{m['kind']}）{m['query']}" for m in misses)
    else:  # checklist
        system = f"{report['drafter']}（{report['model']}）"
        for key, label in CHECKLIST_METRICS.items():
            value = report.get(key)
            rows.append([system, "全体", label, "" if value is None else value])
            if key in CHECKLIST_BARS and value is not None:
                bars.append({"指標": label, "値": value})
        wrong = report.get("wrong") or []
        if wrong:
            notes.extend([f"正解と異なった判定（{len(wrong)} 件）:", ""])
            notes.extend(
                f"- {w['contract']} {w['item']}: 正解 {w['expected']} / 判定 {w['got']}"
                for w in wrong
            )
    return rows, bars, "\n".join(notes)


def tab_eval(page: Page) -> None:
    """評価: run a golden set through eval's runners; the metrics as a table and a chart."""
    import pandas as pd

    deps = page.deps

    @in_place
    def on_eval(
        which: str,
        upload: str | None,
        checklist: str,
        with_baseline: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        # retrieval says: ours; then, with the baseline, building it and running it
        note = _progress_note(progress, phases=3 if with_baseline else 1)
        report = actions.evaluate(deps, which, upload, checklist, with_baseline, note)
        rows, bars, notes = _eval_rows(report)
        count = report.get("queries") or report.get("judgements")
        msg = f"正解データ {Path(str(report['golden'])).name}（{count} 件）で評価しました。"
        chart = pd.DataFrame(bars, columns=["指標", "値"])
        return msg, rows, gr.update(value=chart), notes

    with gr.Tab("評価", id="eval"):
        gr.Markdown(
            "正解データ（golden set）で検索とチェックリスト判定の精度を測ります。検索の評価は"
            "本システムだけなら数十秒、比較用の構成（llama-index 既定）も測ると数分かかります。"
        )
        with gr.Row():
            which = gr.Radio(
                label="正解データ",
                choices=[
                    ("検索（eval/golden/retrieval.jsonl）", "retrieval"),
                    ("チェックリスト判定（eval/golden/checklist_judgements.json）", "checklist"),
                ],
                value="retrieval",
                elem_id="eval-which",
            )
            with_baseline = gr.Checkbox(
                label="検索: 比較用の llama-index 既定構成も評価する（数分）",
                value=False,
                elem_id="eval-baseline",
            )
        with gr.Row():
            checklist = gr.Dropdown(label="チェックリスト（判定の評価に使用）", choices=[])
            upload = gr.File(
                label="別の正解データ（任意。同じ形式の .jsonl / .json）",
                type="filepath",
                file_types=[".jsonl", ".json"],
                elem_id="eval-upload",
            )
        run_btn = gr.Button("評価を実行", variant="primary")
        msg = gr.Markdown(elem_id="eval-msg")
        table = gr.Dataframe(
            headers=EVAL_COLUMNS,
            interactive=False,
            wrap=True,
            max_height=100_000,  # every metric at once, no inner scrolling
            elem_id="eval-table",
        )
        chart = gr.BarPlot(
            x="指標",
            y="値",
            y_lim=[0, 1],
            sort=BAR_ORDER,
            label="指標（0〜1）",
            x_label_angle=-30,
            elem_id="eval-chart",
        )
        notes = gr.Markdown(elem_id="eval-notes")
    page.checklists.append(checklist)
    which.change(lambda: None, outputs=[upload])  # a file of the other kind no longer applies
    run_btn.click(on_eval, [which, upload, checklist, with_baseline], [msg, table, chart, notes])


def tab_documents(page: Page) -> None:
    """文書管理: the index's documents; upload and ingest; remove one after a confirmation."""
    deps = page.deps

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

    @in_place
    def on_ask_remove(doc_id: str | None) -> tuple[Any, ...]:
        d = actions.document(deps, doc_id)
        question = (
            f"**{d.title}**（`{d.document}`、{d.clauses} 条項）を索引から外します。"
            "検索・質問・審査に使われなくなります（審査記録はそのまま残ります）。よろしいですか？"
        )
        return gr.update(visible=True), question, ""

    @in_place
    def on_remove(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        d = actions.remove_document(deps, _user(request), doc_id)
        done = f"{d.title}（`{d.document}`、{d.clauses} 条項）を索引から外しました。"
        return gr.update(visible=False), done

    def on_cancel() -> tuple[Any, ...]:
        return gr.update(visible=False), "取りやめました。"

    with gr.Tab("文書管理", id="documents"):
        status = gr.Markdown(elem_id="index-status")
        status_btn = gr.Button("状態を更新")
        uploads = gr.File(
            label="取り込むファイル", file_count="multiple", type="filepath", elem_id="ingest-files"
        )
        with gr.Row():
            kind = gr.Dropdown(
                label="種類（空欄はフォルダ名から推定）",
                choices=["", *KINDS],
                value="",
                elem_id="ingest-kind",
            )
            contract = gr.Textbox(label="契約番号（契約書類のとき）")
        ingest_btn = gr.Button("取り込む", variant="primary")
        ingest_msg = gr.Markdown(elem_id="ingest-msg")
        gr.Markdown("### 文書を索引から外す")
        with gr.Row():
            doc = gr.Dropdown(label="文書", choices=[], elem_id="remove-doc")
            remove_btn = gr.Button("索引から外す…", variant="stop", elem_id="remove-ask")
        with gr.Row(visible=False) as confirm_row:
            question = gr.Markdown(elem_id="remove-question")
            yes_btn = gr.Button("外す", variant="stop", elem_id="remove-yes")
            no_btn = gr.Button("やめる", elem_id="remove-no")
        remove_msg = gr.Markdown(elem_id="remove-msg")
    page.documents.append(doc)

    status_btn.click(on_status, outputs=[status])
    page.index_changed.append(
        ingest_btn.click(on_ingest, [uploads, kind, contract], [ingest_msg, status])
    )
    remove_btn.click(on_ask_remove, [doc], [confirm_row, question, remove_msg])
    no_btn.click(on_cancel, outputs=[confirm_row, remove_msg])
    removed = yes_btn.click(on_remove, [doc], [confirm_row, remove_msg])
    page.index_changed.append(removed.success(on_status, outputs=[status]))
    page.loads.append((on_status, [status]))


# The tabs in the order the auditor meets them; another tab is one more function here.
TABS: list[Callable[[Page], None]] = [
    tab_ask,
    tab_checklist,
    tab_findings,
    tab_selfcheck,
    tab_ledger,
    tab_policy,
    tab_engagement,
    tab_review,
    tab_eval,
    tab_documents,
]


def build_app(settings: Settings) -> gr.Blocks:
    """The app over the services and review store of ``settings``."""
    page = Page(Deps(settings, open_store(settings)))

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        hidden = [gr.update(visible=False) for _ in page.lead_only]
        try:
            user = actions.current_user(page.deps, _user(request))
        except UserError as exc:
            return (exc.ja, *hidden)
        lead = user.role == "lead"
        who = f"ログイン中: **{user.display_name or user.name}**（{ROLE_JA[user.role]}）"
        if not lead:
            who += "　承認・却下は主任担当者（lead）だけが行えます。"
        return (who, *(gr.update(visible=lead) for _ in page.lead_only))

    with gr.Blocks(title="監査コパイロット", analytics_enabled=False) as app:
        gr.Markdown("# 監査コパイロット　情報セキュリティ監査支援")
        who = gr.Markdown(elem_id="who")
        gr.HTML("<a href='/logout'>ログアウト</a>")
        with gr.Tabs():
            for build_tab in TABS:
                build_tab(page)

        on_pickers = fill_pickers(page)
        app.load(on_load, outputs=[who, *page.lead_only])
        app.load(on_pickers, outputs=page.pickers())
        for handler, outputs in page.loads:
            app.load(handler, outputs=outputs)
        for event in page.index_changed:
            event.then(on_pickers, outputs=page.pickers())
    return app


CSS = (
    "mark { background: #ffe066; } .clause { white-space: normal; line-height: 1.8; }"
    " .source { border-left: 3px solid #ccc; padding-left: 0.8em; margin-bottom: 0.6em; }"
)


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

    warning = exposure_warning(host)
    if warning:
        log.warning(warning)
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
    settings: Settings, host: str | None = None, port: int = 7860, block: bool = True
) -> gr.Blocks:
    """Build the app and serve it (blocking unless ``block=False``).

    Args:
        settings: the settings whose data folder and review store the app uses.
        host: the address to listen on; None takes ``settings.ui_host`` (127.0.0.1 by default).
        port: the TCP port.
        block: wait until the server stops (False returns at once, for tests).

    """
    app = build_app(settings)
    launch(app, settings, host or settings.ui_host, port, block)
    return app
