"""What the UI's buttons do: one function per action, composed from copilot's services.

Each Gradio handler in ``ui.app`` calls exactly one of these and renders its result or its
``UserError``; the composition (run, then record under the logged-in user) lives here, not in
the callbacks, and mirrors what the CLI commands do.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.audit.checklist_run import ChecklistRun, run_checklist
from copilot.audit.checklists import import_checklist
from copilot.audit.findings import from_checklist
from copilot.audit.ledger import LedgerCheck
from copilot.audit.selfcheck import Triage
from copilot.drafting.registry import make_drafter
from copilot.errors import UserError
from copilot.policy.gap import GapAnalysis
from copilot.review.recording import (
    reviewed_findings,
    save_answer,
    save_checklist_run,
    save_findings,
)
from copilot.review.store import Draft, ReviewStore, User, Verification
from copilot.schemas import Answer, DocumentStatus, GuidelineDiff, IndexStatus, Workplan
from copilot.services import ClauseRecord, IngestReport, Services, build_services, kind_folder
from copilot.settings import Settings

Notify = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Deps:
    """The settings and the review store the app was built over."""

    settings: Settings
    store: ReviewStore

    @contextmanager
    def services(self) -> Iterator[Services]:
        """Services for one call, closed afterwards.

        The index holds SQLite connections that belong to the thread that opened them, and
        Gradio runs each event in a worker thread: opening costs milliseconds, like the CLI's.
        """
        services = build_services(self.settings)
        try:
            yield services
        finally:
            services.close()

    def drafter_name(self) -> str:
        """The LLM drafter when an LLM server is configured, else the evidence drafter."""
        return "llm" if self.settings.llm_base_url else "evidence"


def current_user(deps: Deps, name: str | None) -> User:
    """The logged-in user, read afresh from the store.

    Raises:
        UserError: not logged in, or the user no longer exists.

    """
    if not name:
        raise UserError("ログインしてください。", "log in first.")
    return deps.store.get_user(name)


def check_password(deps: Deps, name: str, password: str, address: str = "") -> bool:
    """Gradio's auth callback: True when the store's throttled, recorded login accepts them."""
    try:
        deps.store.login(name, password, address)
    except UserError:
        return False
    return True


def ask_and_record(deps: Deps, name: str | None, question: str) -> Answer:
    """Answer a question and record it under the user (as ``copilot ask --user``)."""
    from copilot.audit.ask import ask

    user = current_user(deps, name)
    if not question.strip():
        raise UserError("質問を入力してください。", "type a question.")
    with deps.services() as s:
        answer = ask(s, question.strip(), make_drafter(deps.drafter_name(), s.settings))
        save_answer(deps.store, user, s, answer)
    return answer


def clause(deps: Deps, clause_id: str) -> ClauseRecord:
    """One stored clause.

    Raises:
        UserError: the clause is no longer in the index.

    """
    with deps.services() as s:
        found = s.index.clauses([clause_id])
    if clause_id not in found:
        raise UserError(
            "この条項は索引にありません（文書が更新された可能性があります）。",
            "the clause is no longer in the index (the document may have changed).",
        )
    return found[clause_id]


@dataclass(frozen=True)
class Choices:
    """What the pickers offer: contract ids, and (label, value) of checklists and documents."""

    contracts: list[str]
    checklists: list[tuple[str, str]]
    documents: list[tuple[str, str]]
    policies: list[tuple[str, str]]
    guidelines: list[tuple[str, str]]


def choices(deps: Deps) -> Choices:
    """Contract ids, checklists (title, source) and documents (title and id, id) of the index.

    Policies and guidelines are the documents of those kinds, for the policy revision pickers.
    """
    with deps.services() as s:
        docs = s.index.documents()
    documents = [(f"{d.title}（{d.doc_id}）", d.doc_id) for d in docs]
    kinds = {d.doc_id: d.kind for d in docs}
    return Choices(
        contracts=sorted({d.contract for d in docs if d.contract}),
        checklists=[(d.title, d.source) for d in docs if d.kind == "checklist"],
        documents=documents,
        policies=[c for c in documents if kinds[c[1]] == "policy"],
        guidelines=[c for c in documents if kinds[c[1]] == "guideline"],
    )


def _checklist_file(source: str) -> Path:
    path = Path(source or "")
    if not source or not path.is_file():
        raise UserError(
            "チェックリストを選んでください（文書管理で取り込んだ .xlsx）。",
            "choose a checklist (an .xlsx ingested under 文書管理).",
        )
    return path


def _contract(contract: str) -> str:
    if not contract:
        raise UserError("契約を選んでください。", "choose a contract.")
    return contract


def run_checklist_and_record(
    deps: Deps, name: str | None, contract: str, checklist: str, notify: Notify
) -> tuple[ChecklistRun, list[Draft]]:
    """Judge every checklist item against a contract and record the run under the user."""
    user = current_user(deps, name)
    source = _checklist_file(checklist)
    with deps.services() as s:
        run = run_checklist(
            s,
            import_checklist(source),
            _contract(contract),
            make_drafter(deps.drafter_name(), s.settings),
            notify=notify,
        )
        run_id = save_checklist_run(deps.store, user, s, run, source)
    kept = deps.store.list_drafts(kind="checklist_judgement", key_prefix=f"{run.contract}/")
    return run, [d for d in kept if d.run_id == run_id]


def draft_findings_and_record(
    deps: Deps, name: str | None, contract: str, checklist: str, division: str, notify: Notify
) -> int:
    """Draft a division's findings from a contract's checklist run and record them."""
    user = current_user(deps, name)
    if not division.strip():
        raise UserError("対象課を入力してください。", "type the audited division.")
    source = _checklist_file(checklist)
    checklist_ = import_checklist(source)
    items = {i.id: i for i in checklist_.items}
    with deps.services() as s:
        drafter = make_drafter(deps.drafter_name(), s.settings)
        run = run_checklist(s, checklist_, _contract(contract), drafter, notify=notify)
        drafts = [from_checklist(s, run, drafter, division.strip(), items)]
        return save_findings(deps.store, user, s, drafts)


def drafts(deps: Deps, kind: str | None = None, prefix: str | None = None) -> list[Draft]:
    """Drafts in the store, oldest first."""
    return deps.store.list_drafts(kind=kind, key_prefix=prefix or None)


def sign_off(
    deps: Deps, name: str | None, draft_id: float | None, approve: bool, comment: str
) -> str:
    """Approve or reject a draft as the logged-in user (the store checks the lead role)."""
    user = current_user(deps, name)
    if not draft_id:
        raise UserError("下書きの番号を入力してください。", "give the draft number.")
    if approve:
        return deps.store.approve(int(draft_id), user, comment)
    deps.store.reject(int(draft_id), user, comment)
    return "reject"


def notice_file(deps: Deps, division: str, period: str, signer: str) -> Path:
    """The notice draft of a division as a .docx in a temporary folder (signed-off only)."""
    from copilot.exports.documents import export_notice

    findings = reviewed_findings(deps.store, division)
    if not findings:
        raise UserError(
            f"{division} の発見事項がありません。先に下書きを作成してください。",
            f"no findings for {division}; draft them first.",
        )
    folder = _folder(deps, "notice")
    return export_notice(
        division, findings, period, signer, folder / f"監査結果通知_{division}.docx"
    )


def review_state(deps: Deps) -> tuple[list[Draft], Verification]:
    """Every draft (with its log) and the verified state of the sign-off log."""
    return deps.store.list_drafts(), deps.store.verify()


CONTRACT_ID = re.compile(r"[^/\\\s.][^/\\\s]{0,63}")  # one folder name, no path


def upload_cache(settings: Settings) -> Path:
    """Where Gradio keeps uploads and downloads: inside the data folder, so purge erases it."""
    return Path(settings.data_dir) / "gradio"


def _forget(cache: Path, files: list[str]) -> None:
    """Delete Gradio's copies of uploaded files (and their emptied folders) inside ``cache``."""
    root = cache.resolve()
    for f in files:
        path = Path(f).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()


def ingest_uploads(
    deps: Deps,
    name: str | None,
    files: list[str],
    kind: str,
    contract: str,
    note: Callable[[str], None],
) -> IngestReport:
    """Ingest uploaded files (kind and contract as given), keeping each document's identity.

    The kept copy lies under ``uploads/`` in the folder of its kind and contract
    (``uploads/contracts/<id>/契約書.docx``) and its document id is that path, as for an ingested
    folder: the 契約書.docx of two contracts are two documents, and the same name for the same
    contract is an update. Gradio's own copies are deleted afterwards, whatever the outcome.

    Raises:
        UserError: no files; a contract document without a valid contract id.

    """
    try:
        current_user(deps, name)
        if not files:
            raise UserError("ファイルを選んでください。", "choose files to ingest.")
        contract = contract.strip()
        kind = kind or ("contract" if contract else "other")
        if kind == "contract" and not CONTRACT_ID.fullmatch(contract):
            raise UserError(
                "契約書類には契約番号（例 C-2026-001。空白や / を含まない）を入れてください。",
                "a contract document needs a contract id (e.g. C-2026-001, no spaces or /).",
            )
        root = Path(deps.settings.data_dir) / "uploads"
        folder = root / kind_folder(kind, contract if kind == "contract" else "")
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for f in files:
            target = folder / Path(f).name
            shutil.copyfile(f, target)
            kept.append(target)
        with deps.services() as s:
            return s.ingest(kept, kind=kind, contract=contract or None, notify=note, base=root)
    finally:
        _forget(upload_cache(deps.settings), files)


def index_status(deps: Deps) -> IndexStatus:
    """Documents in the index and the embedder that built it."""
    with deps.services() as s:
        return s.status()


def _ingested(deps: Deps, kind: str, what_ja: str, what_en: str) -> list[Path]:
    with deps.services() as s:
        paths = [Path(d.source) for d in s.index.documents() if d.kind == kind]
    paths = [p for p in paths if p.is_file()]
    if not paths:
        raise UserError(
            f"{what_ja}が取り込まれていません。文書管理で取り込んでください。",
            f"no {what_en} is ingested; ingest one under 文書管理.",
        )
    return sorted(paths)


def selfcheck_triage(deps: Deps) -> Triage:
    """Rank the divisions of every ingested self-check sheet by risk."""
    from copilot.audit.selfcheck import triage

    sheets = _ingested(deps, "self_check", "自己点検シート", "self-check sheet")
    with deps.services() as s:
        return triage(s, sheets)


def approach_file(deps: Deps, period: str) -> Path:
    """The audit approach document (監査実施方針（案）) from the self-check triage, as .docx."""
    from copilot.exports.documents import export_approach

    result = selfcheck_triage(deps)
    schedule = [(d.division, "") for d in result.divisions]
    folder = _folder(deps, "approach")
    return export_approach(result, period, schedule, folder / "監査実施方針.docx")


def ledger_check(deps: Deps, contract: str) -> LedgerCheck:
    """Compare the ingested ledger's row(s) for a contract with the contract's documents."""
    from copilot.audit.ledger import check_ledger

    ledger = _ingested(deps, "ledger", "外部サービス利用管理台帳", "ledger")[0]
    with deps.services() as s:
        return check_ledger(s, ledger, _contract(contract))


# --- one draft: open, edit ---------------------------------------------------------------------

KIND_JA = {
    "checklist_judgement": "チェックリストの判定",
    "finding": "発見事項",
    "policy_gap": "ポリシーの網羅状況の判定",
    "policy_advice": "ポリシーの改定助言",
}


def cited_ids(payload: dict[str, Any]) -> list[str]:
    """The clause ids of every citation of a draft: a field holding one or a list of them."""
    ids = []
    for value in payload.values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, dict) and "clause_id" in v:
                ids.append(str(v["clause_id"]))
    return ids


def _draft_of_kind(deps: Deps, draft_id: float | None, kind: str) -> Draft:
    if not draft_id:
        raise UserError(
            "表の行を選ぶか、下書きの番号を入力してください。",
            "pick a row of the table or give the draft number.",
        )
    draft = deps.store.get_draft(int(draft_id))
    if draft.kind != kind:
        raise UserError(
            f"下書き {draft.id} は{KIND_JA.get(draft.kind, draft.kind)}です。"
            f"この画面では{KIND_JA[kind]}の下書きを開いてください。",
            f"draft {draft.id} is a {draft.kind}; open a {kind} draft on this screen.",
        )
    return draft


def open_draft(
    deps: Deps, draft_id: float | None, kind: str
) -> tuple[Draft, dict[str, ClauseRecord]]:
    """A draft of ``kind`` and the stored clauses its citations point at (gone ones left out).

    Raises:
        UserError: no number, an unknown draft, or a draft of another kind.

    """
    draft = _draft_of_kind(deps, draft_id, kind)
    ids = cited_ids(draft.payload)
    with deps.services() as s:
        return draft, s.index.clauses(ids)


def _edit(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    kind: str,
    changes: dict[str, str],
    comment: str,
) -> Draft:
    user = current_user(deps, name)
    draft = _draft_of_kind(deps, draft_id, kind)
    deps.store.edit(draft.id, {**draft.payload, **changes}, user, (comment or "").strip())
    return deps.store.get_draft(draft.id)


def edit_judgement(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    verdict: str,
    advice: str,
    proposed_wording: str,
    comment: str,
) -> Draft:
    """Save an edited checklist judgement as a new version (the store validates it).

    The はい/いいえ answer follows the verdict, as the drafters set it.
    """
    from copilot.schemas import ANSWER_OF

    changes = {
        "verdict": verdict,
        "advice": (advice or "").strip(),
        "proposed_wording": (proposed_wording or "").strip(),
    }
    if verdict in ANSWER_OF:
        changes["answer"] = ANSWER_OF[verdict]
    return _edit(deps, name, draft_id, "checklist_judgement", changes, comment)


def edit_finding(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    parts: dict[str, str],
    comment: str,
) -> Draft:
    """Save an edited finding (title, finding, rating, risk, recommendation) as a new version."""
    changes = {k: (v or "").strip() for k, v in parts.items()}
    return _edit(deps, name, draft_id, "finding", changes, comment)


def drafts_by_id(deps: Deps, ids: list[int]) -> list[Draft]:
    """The drafts with these numbers, in that order."""
    return [deps.store.get_draft(int(i)) for i in ids]


# --- documents ---------------------------------------------------------------------------------


def document(deps: Deps, doc_id: str | None) -> DocumentStatus:
    """One document of the index, to confirm before removing it.

    Raises:
        UserError: none chosen, or it is not in the index.

    """
    if not doc_id:
        raise UserError("外す文書を選んでください。", "choose the document to remove.")
    with deps.services() as s:
        found = [d for d in s.status().documents if d.document == doc_id]
    if not found:
        raise UserError(
            f"文書 {doc_id} は索引にありません（一覧を更新してください）。",
            f"there is no document {doc_id} in the index (refresh the list).",
        )
    return found[0]


def remove_document(deps: Deps, name: str | None, doc_id: str | None) -> DocumentStatus:
    """Take a document out of the index; a copy that the upload made is deleted too.

    Only the lead (主任担当者) may: the index is everyone's working material.
    """
    deps.store.require(current_user(deps, name), "lead")
    if not doc_id:
        raise UserError("外す文書を選んでください。", "choose the document to remove.")
    with deps.services() as s:
        removed = s.remove(doc_id)
    source = Path(removed.source)
    uploads = (Path(deps.settings.data_dir) / "uploads").resolve()
    if source.resolve().is_relative_to(uploads) and source.is_file():
        source.unlink()  # our own copy (ingest_uploads made it); the user's file is elsewhere
    return removed


# --- policy revision support (as `copilot policy gap / diff / advise / export`) ----------------


def _chosen(doc_id: str | None, what_ja: str, what_en: str) -> str:
    if not doc_id:
        raise UserError(f"{what_ja}を選んでください。", f"choose the {what_en}.")
    return doc_id


def policy_gap_and_record(
    deps: Deps, name: str | None, policy: str | None, guideline: str | None, notify: Notify
) -> tuple[GapAnalysis, list[Draft]]:
    """Judge a policy against every requirement of a guideline and record it under the user.

    Returns:
        The analysis and the drafts this run stored (one per requirement), in the store's order.

    """
    from copilot.policy.gap import analyse
    from copilot.review.recording import save_policy_gap

    user = current_user(deps, name)
    policy = _chosen(policy, "ポリシー（規程）", "policy")
    guideline = _chosen(guideline, "ガイドライン", "guideline")
    with deps.services() as s:
        analysis = analyse(s, policy, guideline, notify=notify)
        run_id = save_policy_gap(deps.store, user, s, analysis)
    kept = deps.store.list_drafts(kind="policy_gap", key_prefix=f"{analysis.policy}/")
    return analysis, [d for d in kept if d.run_id == run_id]


def edit_gap(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    coverage: str,
    advice: str,
    proposed_wording: str,
    comment: str,
) -> Draft:
    """Save an edited gap judgement (coverage, advice, wording) as a new version."""
    changes = {
        "coverage": coverage,
        "advice": (advice or "").strip(),
        "proposed_wording": (proposed_wording or "").strip(),
    }
    return _edit(deps, name, draft_id, "policy_gap", changes, comment)


def _folder(deps: Deps, prefix: str) -> Path:
    """A new folder for a download, in the data folder (purge erases it), not the temp folder."""
    parent = upload_cache(deps.settings) / "exports"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=parent))


def gap_files(deps: Deps, policy: str | None, include_drafts: bool) -> tuple[Path, Path]:
    """A policy's gap judgements as Excel and as the Word memo (signed-off unless drafts too)."""
    from copilot.exports.policy import export_gap_memo, export_gap_xlsx
    from copilot.review.recording import reviewed_gaps

    policy = _chosen(policy, "ポリシー（規程）", "policy")
    gaps = reviewed_gaps(deps.store, policy)
    if not gaps:
        raise UserError(
            f"{policy} の網羅状況の判定がありません。先に「網羅状況を判定」を実行してください。",
            f"no gap judgements for {policy}; run the gap analysis first.",
        )
    folder = _folder(deps, "gap")
    return (
        export_gap_xlsx(gaps, folder / "ポリシー網羅状況.xlsx", include_drafts),
        export_gap_memo(gaps, folder / "ポリシー改定助言メモ.docx", include_drafts),
    )


def guideline_diff(
    deps: Deps, old: str | None, new: str | None, policy: str | None
) -> tuple[GuidelineDiff, Path]:
    """Compare two editions of a guideline for a policy; the changes and their Excel."""
    from copilot.policy.diff import diff_guidelines, export_diff

    old = _chosen(old, "旧版のガイドライン", "old edition")
    new = _chosen(new, "新版のガイドライン", "new edition")
    policy = _chosen(policy, "見直しの対象となる規程", "policy")
    with deps.services() as s:
        diff = diff_guidelines(s, old, new, policy)
    return diff, export_diff(diff, _folder(deps, "diff") / "ガイドライン改定差分.xlsx")


def policy_advice_and_record(deps: Deps, name: str | None, policy: str | None) -> list[Draft]:
    """Draft revision advice from the signed-off findings and record it under the user.

    Returns:
        The drafts this run stored (one per policy clause).

    """
    from copilot.policy.advice import draft_advice
    from copilot.review.recording import save_policy_advice

    user = current_user(deps, name)
    with deps.services() as s:
        advice = draft_advice(s, deps.store, policy or "")
        run_id = save_policy_advice(deps.store, user, s, advice)
    return [d for d in deps.store.list_drafts(kind="policy_advice") if d.run_id == run_id]


def edit_advice(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    advice: str,
    proposed_wording: str,
    comment: str,
) -> Draft:
    """Save edited revision advice (advice and proposed wording) as a new version."""
    changes = {
        "advice": (advice or "").strip(),
        "proposed_wording": (proposed_wording or "").strip(),
    }
    return _edit(deps, name, draft_id, "policy_advice", changes, comment)


def advice_file(deps: Deps, policy: str | None, include_drafts: bool) -> Path:
    """The revision advice (of one policy, else all) as the Word memo."""
    from copilot.exports.policy import export_advice_memo
    from copilot.review.recording import reviewed_advice

    advice = reviewed_advice(deps.store, policy or "")
    if not advice:
        raise UserError(
            "改定助言がありません。先に「改定助言を下書き」を実行してください。",
            "there is no revision advice; draft it first.",
        )
    return export_advice_memo(advice, _folder(deps, "advice") / "改定助言.docx", include_drafts)


# --- engagement documents (as `copilot plan` and `copilot report final`) -------------------------

# The sample engagement file of a source checkout, offered as the default path
SAMPLE_ENGAGEMENT = Path(__file__).resolve().parents[1] / "examples" / "engagement.toml"


def engagement_file(upload: str | None, path: str) -> Path:
    """The uploaded engagement file, else the one at ``path`` on this machine."""
    if upload:
        return Path(upload)
    if not (path or "").strip():
        raise UserError(
            "作業計画の設定ファイル（engagement.toml）をアップロードするか、パスを入力してください。",
            "upload the engagement file (engagement.toml) or type its path.",
        )
    return Path(path.strip())


def workplan(deps: Deps, upload: str | None, path: str) -> Workplan:
    """The work plan (WBS) of the engagement file."""
    from copilot.engagement.file import load_engagement
    from copilot.engagement.workplan import build_workplan

    source = engagement_file(upload, path)
    return build_workplan(load_engagement(source), source.name)


def workplan_files(deps: Deps, upload: str | None, path: str) -> tuple[Workplan, Path, Path]:
    """The WBS, and the work plan (作業計画書.docx) and the schedule (WBS.xlsx) written from it."""
    from copilot.exports.engagement import export_wbs, export_workplan

    plan = workplan(deps, upload, path)
    folder = _folder(deps, "plan")
    return (
        plan,
        export_workplan(plan, folder / "作業計画書.docx"),
        export_wbs(plan, folder / "WBS.xlsx"),
    )


def final_report_file(deps: Deps, upload: str | None, path: str, include_drafts: bool) -> Path:
    """The final report (事業報告書.docx) from the review store and the ingested self-checks."""
    from copilot.engagement.final_report import approach_triage, compile_final_report
    from copilot.exports.engagement import export_final_report

    plan = workplan(deps, upload, path)
    with deps.services() as s:
        result, note = approach_triage(s)
    report = compile_final_report(
        deps.store, plan, triage=result, include_drafts=include_drafts, triage_note=note
    )
    return export_final_report(report, _folder(deps, "report") / "事業報告書.docx")


# --- evaluation (the only place ui uses eval: the 評価 tab) -------------------------------------

GOLDEN = {
    "retrieval": Path("eval/golden/retrieval.jsonl"),
    "checklist": Path("eval/golden/checklist_judgements.json"),
}


def golden_file(which: str, upload: str | None) -> Path:
    """The uploaded golden set, else the project's own one for ``which``."""
    if upload:
        return Path(upload)
    import eval as eval_package

    root = Path(eval_package.__file__).resolve().parents[1]
    return root / GOLDEN[which]


def evaluate(
    deps: Deps,
    which: str,
    upload: str | None,
    checklist: str,
    with_baseline: bool,
    note: Callable[[str], None],
) -> dict[str, object]:
    """Run a golden set through eval's runner: ``retrieval`` or ``checklist``.

    Raises:
        UserError: unknown golden set, a bad golden file, no checklist, nothing ingested.

    """
    if which not in GOLDEN:
        raise UserError("正解データの種類を選んでください。", "choose which golden set to run.")
    golden = golden_file(which, upload)
    with deps.services() as s:
        if which == "retrieval":
            from eval.retrieval import evaluate_retrieval

            return evaluate_retrieval(s, golden, with_baseline=with_baseline, notify=note)
        from eval.checklist import evaluate_checklist

        drafter = make_drafter(deps.drafter_name(), s.settings)
        return evaluate_checklist(s, _checklist_file(checklist), golden, drafter, notify=note)
