"""What the policy tabs' buttons do: ポリシー改定支援 and 業務文書.

As ``copilot policy gap / diff / advise / export``, ``copilot plan`` (and its ``--due`` /
``--done``), ``copilot report final`` and ``copilot export briefing``; what every tab shares is
``ui.actions``.
"""

from __future__ import annotations

from pathlib import Path

from copilot.engagement.deadlines import Deadline
from copilot.errors import UserError
from copilot.filenames import inside, safe_name
from copilot.policy.gap import GapAnalysis
from copilot.review.drafts import Draft
from copilot.schemas import GuidelineDiff, Workplan
from ui.actions import (
    SAMPLE_ENGAGEMENT,
    Deps,
    Notify,
    Shown,
    current_user,
    download_folder,
    edit_draft,
    engagement_file,
)
from ui.jobs import long_job


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
    with long_job(deps.settings, user.name), deps.services() as s:
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
    opened: Shown | None,
) -> Draft:
    """Save an edited gap judgement (coverage, advice, wording) as a new version."""
    changes = {
        "coverage": coverage,
        "advice": (advice or "").strip(),
        "proposed_wording": (proposed_wording or "").strip(),
    }
    return edit_draft(deps, name, draft_id, "policy_gap", changes, comment, opened)


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
    folder = download_folder(deps, "gap")
    return (
        export_gap_xlsx(gaps, folder / "ポリシー網羅状況.xlsx", include_drafts),
        export_gap_memo(gaps, folder / "ポリシー改定助言メモ.docx", include_drafts),
    )


def guideline_diff(
    deps: Deps, old: str | None, new: str | None, policy: str | None
) -> tuple[GuidelineDiff, Path]:
    """Compare two editions of a guideline for a policy; the changes and their Excel."""
    from copilot.exports.policy import export_diff
    from copilot.policy.diff import diff_guidelines

    old = _chosen(old, "旧版のガイドライン", "old edition")
    new = _chosen(new, "新版のガイドライン", "new edition")
    policy = _chosen(policy, "見直しの対象となる規程", "policy")
    with deps.services() as s:
        diff = diff_guidelines(s, old, new, policy)
    return diff, export_diff(diff, download_folder(deps, "diff") / "ガイドライン改定差分.xlsx")


def policy_advice_and_record(deps: Deps, name: str | None, policy: str | None) -> list[Draft]:
    """Draft revision advice from the signed-off findings and record it under the user.

    Returns:
        The drafts this run stored (one per policy clause).

    """
    from copilot.policy.advice import draft_advice
    from copilot.review.recording import save_policy_advice

    user = current_user(deps, name)
    with long_job(deps.settings, user.name), deps.services() as s:
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
    opened: Shown | None,
) -> Draft:
    """Save edited revision advice (advice and proposed wording) as a new version."""
    changes = {
        "advice": (advice or "").strip(),
        "proposed_wording": (proposed_wording or "").strip(),
    }
    return edit_draft(deps, name, draft_id, "policy_advice", changes, comment, opened)


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
    return export_advice_memo(
        advice, download_folder(deps, "advice") / "改定助言.docx", include_drafts
    )


# The sample engagement file of a source checkout, offered first


def engagement_choices(deps: Deps) -> list[str]:
    """The engagement files offered by name: the sample and ``<data folder>/engagements/*.toml``."""
    from copilot.engagement.file import offered_engagements

    return list(offered_engagements(deps.settings.data_dir, SAMPLE_ENGAGEMENT))


def workplan(deps: Deps, upload: str | None, chosen: str | None) -> Workplan:
    """The work plan (WBS) of the engagement file."""
    from copilot.engagement.file import load_engagement
    from copilot.engagement.workplan import build_workplan

    source = engagement_file(deps, upload, chosen)
    name = Path(upload).name if upload else str(chosen)  # no server folder in the messages
    return build_workplan(load_engagement(source, deps.settings.data_dir, name), name)


def workplan_files(
    deps: Deps, upload: str | None, chosen: str | None
) -> tuple[Workplan, Path, Path]:
    """The WBS, and the work plan (作業計画書.docx) and the schedule (WBS.xlsx) written from it."""
    from copilot.exports.workplan import export_wbs, export_workplan

    plan = workplan(deps, upload, chosen)
    folder = download_folder(deps, "plan")
    return (
        plan,
        export_workplan(plan, folder / "作業計画書.docx"),
        export_wbs(plan, folder / "WBS.xlsx"),
    )


def final_report_file(
    deps: Deps, upload: str | None, chosen: str | None, include_drafts: bool
) -> Path:
    """The final report (事業報告書.docx) from the review store and the ingested self-checks."""
    from copilot.engagement.final_report import approach_triage, compile_final_report
    from copilot.exports.final_report import export_final_report

    plan = workplan(deps, upload, chosen)
    with deps.services() as s:
        result, note = approach_triage(s)
    report = compile_final_report(
        deps.store, plan, triage=result, include_drafts=include_drafts, triage_note=note
    )
    return export_final_report(report, download_folder(deps, "report") / "事業報告書.docx")


def due_list(deps: Deps, upload: str | None, chosen: str | None) -> list[Deadline]:
    """The engagement's deadlines (minutes, time tables, summaries, findings), earliest first."""
    from copilot.engagement.deadlines import deadlines

    return deadlines(workplan(deps, upload, chosen), deps.store)


def record_due_done(
    deps: Deps, name: str | None, upload: str | None, chosen: str | None, wbs: str | None, on: str
) -> Deadline:
    """Record a tracked deliverable done on ``on`` (YYYY-MM-DD; blank: today) under the user."""
    from copilot.engagement.deadlines import parse_day, record_done

    user = current_user(deps, name)
    plan = workplan(deps, upload, chosen)
    wbs = _chosen(wbs, "完了した成果物", "the deliverable done")
    return record_done(plan, deps.store, user, wbs, parse_day(on, "完了日"))


BRIEFING_FILES = {
    "plan": "作業計画説明.pptx",
    "results": "監査結果説明.pptx",
    "final": "最終報告.pptx",
}


def briefing_file(
    deps: Deps,
    upload: str | None,
    chosen: str | None,
    kind: str,
    division: str,
    include_drafts: bool,
) -> Path:
    """A briefing deck (.pptx): the plan, the results (of one division, if given) or the year."""
    from copilot.engagement.final_report import compile_final_report
    from copilot.exports.briefing import check_briefing, export_briefing

    division = (division or "").strip() if kind == "results" else ""
    check_briefing(kind, division)
    plan = workplan(deps, upload, chosen)
    report = None
    if kind != "plan":
        report = compile_final_report(deps.store, plan, include_drafts=include_drafts)
    name = BRIEFING_FILES[kind] if not division else f"監査結果説明_{safe_name(division)}.pptx"
    out = inside(download_folder(deps, "briefing"), name)
    return export_briefing(kind, plan, report, out, division)
