"""The team's tabs: 評価 (golden sets, the admin's only) and 文書管理 (the index's documents)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from copilot.calendar_jp import shown_time
from copilot.review.replacements import CONFIRM_LABEL
from copilot.services import KINDS
from ui import actions_eval, actions_records
from ui.page import Page, document_kind_ja, in_place, literal, login_name, progress_note

EVAL_COLUMNS = ["構成", "区分", "指標", "値"]


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
            ratios = "、".join(f"{literal(k)} {literal(v)}" for k, v in report["ratios"].items())
            notes.extend([f"本システム / 比較用 の比: {ratios}", ""])
        misses = report.get("misses") or []
        if misses:
            notes.extend([f"上位5件に正解が入らなかった質問（{len(misses)} 件）:", ""])
            notes.extend(
                f"- {literal(m['id'])}（{literal(m['kind'])}）{literal(m['query'])}" for m in misses
            )
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
                f"- {literal(w['contract'])} {literal(w['item'])}: "
                f"正解 {literal(w['expected'])} / 判定 {literal(w['got'])}"
                for w in wrong
            )
    return rows, bars, "\n".join(notes)


# The 評価 tab's words, sent to the admin's page only (``on_words``): an auditor's page holds the
# tab hidden and empty, so that no golden set, file name or library name reaches it.
EVAL_INTRO = (
    "正解データ（golden set）で検索とチェックリスト判定の精度を測ります。既定の正解データは、"
    "検索が eval/golden/retrieval.jsonl、チェックリスト判定が eval/golden/checklist_judgements.json"
    " です。検索の評価は本システムだけなら数十秒、比較用の構成（llama-index 既定）も測ると数分"
    "かかります。"
)
EVAL_BASELINE = "検索: 比較用の llama-index 既定構成も評価する（数分）"
EVAL_UPLOAD = "別の正解データ（任意。同じ形式の .jsonl / .json）"


def tab_eval(page: Page) -> None:
    """評価 (the admin's only): run a golden set through eval's runners; a table and a chart."""
    import pandas as pd

    deps = page.deps

    def on_words(request: gr.Request) -> tuple[Any, ...]:
        if not actions_eval.is_admin(deps, login_name(request)):
            return gr.skip(), gr.skip(), gr.skip()
        return (
            EVAL_INTRO,
            gr.update(label=EVAL_BASELINE),
            gr.update(label=EVAL_UPLOAD, file_types=[".jsonl", ".json"]),
        )

    @in_place
    def on_eval(
        which: str,
        upload: str | None,
        checklist: str,
        with_baseline: bool,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[Any, ...]:
        # retrieval says: ours; then, with the baseline, building it and running it
        note = progress_note(progress, phases=5 if with_baseline else 1)
        report = actions_eval.evaluate(
            deps, login_name(request), which, upload, checklist, with_baseline, note
        )
        rows, bars, notes = _eval_rows(report)
        count = report.get("queries") or report.get("judgements")
        golden = literal(Path(str(report["golden"])).name)
        msg = f"正解データ {golden}（{literal(count)} 件）で評価しました。"
        chart = pd.DataFrame(bars, columns=["指標", "値"])
        return msg, rows, gr.update(value=chart), notes

    with gr.Tab("評価", id="eval", visible=False) as tab:
        intro = gr.Markdown(elem_id="eval-intro")
        with gr.Row():
            which = gr.Radio(
                label="正解データ",
                choices=[("検索", "retrieval"), ("チェックリスト判定", "checklist")],
                value="retrieval",
                elem_id="eval-which",
            )
            with_baseline = gr.Checkbox(label="", value=False, elem_id="eval-baseline")
        with gr.Row():
            checklist = gr.Dropdown(label="チェックリスト（判定の評価に使用）", choices=[])
            upload = gr.File(label="", type="filepath", elem_id="eval-upload")
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
    page.admin_only.append(tab)
    page.loads.append((on_words, [intro, with_baseline, upload]))
    which.change(lambda: None, outputs=[upload])  # a file of the other kind no longer applies
    run_btn.click(on_eval, [which, upload, checklist, with_baseline], [msg, table, chart, notes])


def tab_documents(page: Page) -> None:
    """文書管理: the index's documents; upload and ingest; remove one after a confirmation."""
    deps = page.deps

    def status_md() -> str:
        st = actions_records.index_status(deps)
        lines = [  # no data folder path: the server's folders are not the users' business
            f"文書 {len(st.documents)} 件 / 条項 {st.clauses} 件",
            "",
            "| 種類 | 契約 | 条項数 | 取込日時 | 文書 |",
            "|---|---|---|---|---|",
        ]
        for d in st.documents:
            title = f"{d.title}（第{d.version}版）" if d.version > 1 else d.title
            cells = (
                document_kind_ja(d.kind),
                d.contract or "-",
                d.clauses,
                shown_time(d.ingested_at),
                title,
            )
            lines.append("| " + " | ".join(literal(c) for c in cells) + " |")
        return "\n".join(lines)

    @in_place
    def on_status() -> str:
        return status_md()

    @in_place
    def on_ingest(
        files: list[str] | None,
        kind: str,
        contract: str,
        replace: bool,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, str]:
        report = actions_records.ingest_uploads(
            deps,
            login_name(request),
            files or [],
            kind,
            contract.strip(),
            lambda m: progress(None, desc=m),
            bool(replace),
        )
        said = {
            "added": "追加",
            "updated": "更新（同じ文書 ID の新しい版）",
            "unchanged": "変更なし",
        }
        lines = "".join(
            f"\n- {said[r.status]}: <code>{literal(r.doc_id)}</code>"
            + (f"（前の版は <code>{literal(r.kept)}</code> として残しました）" if r.kept else "")
            for r in report.results
            if r.status in said
        )
        failed = "".join(f"\n- 失敗: {literal(r.error_ja)}" for r in report.failed)
        done = (
            f"取り込み完了: 追加 {report.count('added')} / 更新 {report.count('updated')} / "
            f"変更なし {report.count('unchanged')} / 失敗 {report.count('failed')}{lines}{failed}"
        )
        return done, status_md()

    @in_place
    def on_ask_remove(doc_id: str | None) -> tuple[Any, ...]:
        d = actions_records.document(deps, doc_id)
        question = (
            f"**{literal(d.title)}**（<code>{literal(d.document)}</code>、{d.clauses} 条項）を"
            "索引から外します。"
            + (f"残している前の版（{len(d.earlier)} 件）も一緒に外します。" if d.earlier else "")
            + "検索・質問・審査に使われなくなります（審査記録はそのまま残ります）。よろしいですか？"
        )
        return gr.update(visible=True), question, ""

    @in_place
    def on_remove(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        d = actions_records.remove_document(deps, login_name(request), doc_id)
        done = (
            f"{literal(d.title)}（<code>{literal(d.document)}</code>、{d.clauses} 条項）を"
            "索引から外しました。"
        )
        return gr.update(visible=False), done

    def on_cancel() -> tuple[Any, ...]:
        return gr.update(visible=False), "取りやめました。"

    with gr.Tab("文書管理", id="documents"):
        status = gr.Markdown(elem_id="index-status")
        status_btn = gr.Button("状態を更新")
        uploads = gr.File(
            label=f"取り込むファイル（1ファイル {deps.settings.max_upload_mb} MB まで）",
            file_count="multiple",
            type="filepath",
            elem_id="ingest-files",
        )
        with gr.Row():
            kind = gr.Dropdown(
                label="種類",
                choices=[
                    ("自動（契約番号があれば契約書類、なければその他）", ""),
                    *((document_kind_ja(k), k) for k in KINDS),
                ],
                value="",
                elem_id="ingest-kind",
            )
            contract = gr.Textbox(
                label="契約番号（契約書類のとき）・課名（ヒアリング回答のとき）",
                elem_id="ingest-contract",
            )
        replace = gr.Checkbox(  # the lead's only; the server checks the role again
            label=f"{CONFIRM_LABEL}（主任担当者のみ。前の版は残り、承認済みの引用から参照できます）",
            value=False,
            visible=False,
            elem_id="ingest-replace",
        )
        ingest_btn = gr.Button("取り込む", variant="primary")
        ingest_msg = gr.Markdown(elem_id="ingest-msg")
        with gr.Group(visible=False) as remove_box:  # the lead's only
            gr.Markdown("### 文書を索引から外す（主任担当者のみ）")
            with gr.Row():
                doc = gr.Dropdown(label="文書", choices=[], elem_id="remove-doc")
                remove_btn = gr.Button("索引から外す…", variant="stop", elem_id="remove-ask")
            with gr.Row(visible=False) as confirm_row:
                question = gr.Markdown(elem_id="remove-question")
                yes_btn = gr.Button("外す", variant="stop", elem_id="remove-yes")
                no_btn = gr.Button("やめる", elem_id="remove-no")
            remove_msg = gr.Markdown(elem_id="remove-msg")
    page.documents.append(doc)
    page.lead_only.append(remove_box)
    page.lead_only.append(replace)

    status_btn.click(on_status, outputs=[status])
    page.index_changed.append(
        ingest_btn.click(on_ingest, [uploads, kind, contract, replace], [ingest_msg, status])
    )
    remove_btn.click(on_ask_remove, [doc], [confirm_row, question, remove_msg])
    no_btn.click(on_cancel, outputs=[confirm_row, remove_msg])
    removed = yes_btn.click(on_remove, [doc], [confirm_row, remove_msg])
    page.index_changed.append(removed.success(on_status, outputs=[status]))
    page.loads.append((on_status, [status]))
