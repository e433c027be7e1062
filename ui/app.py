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
from copilot.schemas import VERDICTS, Answer  # noqa: E402
from copilot.settings import Settings  # noqa: E402
from copilot.store import ROLE_JA, Draft, open_store  # noqa: E402
from ingest.index import ClauseRecord  # noqa: E402
from ingest.pipeline import KINDS  # noqa: E402
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
    """Every citation of a draft under its heading (根拠, 判断基準 …), each with its clause."""
    parts = []
    for name, label in fields.items():
        cites = draft.payload.get(name) or []
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
    index_changed: list[Any] = field(default_factory=list)  # events after which to refill
    loads: list[tuple[Callable[..., Any], list[Any]]] = field(default_factory=list)  # at load

    def pickers(self) -> list[gr.Dropdown]:
        """Every dropdown that lists contracts, checklists or documents of the index."""
        return [*self.contracts, *self.checklists, *self.documents]


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
        uploads = gr.File(label="取り込むファイル", file_count="multiple", type="filepath")
        with gr.Row():
            kind = gr.Dropdown(
                label="種類（空欄はフォルダ名から推定）", choices=["", *KINDS], value=""
            )
            contract = gr.Textbox(label="契約番号（契約書類のとき）")
        ingest_btn = gr.Button("取り込む", variant="primary")
        ingest_msg = gr.Markdown()
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
