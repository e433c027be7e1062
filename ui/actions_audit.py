"""What the audit tabs' buttons do: チェックリスト審査, 発見事項, 自己点検, 台帳照合.

自己点検 is two tabs: 自己点検分析 and ヒアリング (hearings by e-mail). One function per action,
composed from copilot's services (as ``checklist run``, ``findings draft``, ``selfcheck``,
``hearing`` and ``ledger check``); what every tab shares is ``ui.actions``; 質問 is
``ui.actions_chat``.
"""

from __future__ import annotations

from pathlib import Path

from copilot.audit.checklist_run import run_checklist
from copilot.audit.checklists import import_checklist
from copilot.audit.findings import from_checklist
from copilot.audit.hearing_records import HearingReply, LogEntry
from copilot.audit.ledger import LedgerCheck
from copilot.audit.selfcheck import Triage
from copilot.drafting.drafters import make_drafter
from copilot.errors import UserError
from copilot.filenames import inside, safe_name
from copilot.review.drafts import Draft
from copilot.review.recording import (
    Hearing,
    reviewed_findings,
    save_findings,
    save_hearing_mail,
    save_hearing_reply,
    stored_hearing,
)
from copilot.services import ClauseRecord
from ui.actions import (
    Deps,
    Notify,
    Shown,
    checklist_file,
    current_user,
    download_folder,
    edit_draft,
    forget_uploads,
    reader,
    version_shown,
)
from ui.jobs import long_job


def clause(deps: Deps, clause_id: str) -> ClauseRecord:
    """One stored clause.

    Raises:
        UserError: the clause is no longer in the index.

    """
    with deps.services() as s:  # an answer's clause, though its document was replaced since
        found = s.index.clauses([clause_id], archived=True)
    if clause_id not in found:
        raise UserError(
            "この条項は索引にありません（文書が更新された可能性があります）。",
            "the clause is no longer in the index (the document may have changed).",
        )
    return found[clause_id]


def _contract(contract: str) -> str:
    if not contract:
        raise UserError("契約を選んでください。", "choose a contract.")
    return contract


def draft_findings_and_record(
    deps: Deps, name: str | None, contract: str, checklist: str, division: str, notify: Notify
) -> int:
    """Draft a division's findings from a contract's checklist run and record them."""
    user = current_user(deps, name)
    if not division.strip():
        raise UserError("対象課を入力してください。", "type the audited division.")
    source = checklist_file(deps, checklist)
    checklist_ = import_checklist(source)
    items = {i.id: i for i in checklist_.items}
    with long_job(deps.settings, user.name), deps.services() as s:
        drafter = make_drafter(deps.drafter_name(), s.settings)
        run = run_checklist(s, checklist_, _contract(contract), drafter, notify=notify)
        drafts = [from_checklist(s, run, drafter, division.strip(), items)]
        return save_findings(deps.store, user, s, drafts)


def drafts(
    deps: Deps, name: str | None, kind: str | None = None, prefix: str | None = None
) -> list[Draft]:
    """Drafts in the store, oldest first (for an auditor or a lead: ``actions.reader``)."""
    reader(deps, name)
    return deps.store.list_drafts(kind=kind, key_prefix=prefix or None)


def edit_judgement(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    verdict: str,
    advice: str,
    proposed_wording: str,
    comment: str,
    opened: Shown | None,
    rationale: str | None = None,
) -> Draft:
    """Save an edited checklist judgement as a new version (the store validates it).

    The はい/いいえ answer follows the verdict, as the drafters set it. ``rationale`` is the
    reviewer's reason for the verdict and becomes the version's 理由 (the machine's stays in
    the earlier versions); empty keeps the reason shown. A changed verdict needs the reviewer's
    own reason: the one shown was written for the verdict before. Without a comment, the
    version's note says which verdict it replaced.

    Raises:
        UserError: the verdict changed and the reason is empty or still the one shown.

    """
    from copilot.schemas import ANSWER_OF

    before = version_shown(deps, draft_id, "checklist_judgement", opened).payload
    reason = (rationale or "").strip()
    was = str(before.get("verdict", ""))
    changes = {
        "verdict": verdict,
        "advice": (advice or "").strip(),
        "proposed_wording": (proposed_wording or "").strip(),
    }
    if verdict in ANSWER_OF:
        changes["answer"] = ANSWER_OF[verdict]
    if verdict != was:
        if not reason or reason == str(before.get("rationale", "")).strip():
            raise UserError(
                f"判定を「{was}」から「{verdict}」に変えるときは、「判定の理由」欄を、変更後の"
                "判定の理由に書き換えてください。表示している理由は変更前の判定のものです。",
                f"the verdict changes from {was} to {verdict}: replace the text under "
                "判定の理由 with your reason for the new verdict; the reason shown is for the "
                "verdict before.",
            )
        comment = (comment or "").strip() or f"判定を「{was}」から「{verdict}」に変更"
    if reason:
        changes["rationale"] = reason
    return edit_draft(deps, name, draft_id, "checklist_judgement", changes, comment, opened)


def edit_finding(
    deps: Deps,
    name: str | None,
    draft_id: float | None,
    parts: dict[str, str],
    comment: str,
    opened: Shown | None,
) -> Draft:
    """Save an edited finding (title, finding, rating, risk, recommendation) as a new version."""
    changes = {k: (v or "").strip() for k, v in parts.items()}
    return edit_draft(deps, name, draft_id, "finding", changes, comment, opened)


def notice_file(deps: Deps, division: str, engagement: str | None) -> Path:
    """The notice draft of a division as a .docx in a temporary folder (signed-off only).

    Headed (文書番号, 宛先, 差出人, 監査期間) from the engagement file chosen by name; a division
    of the engagement with no findings gets a notice that says nothing was found.
    """
    from copilot.engagement.file import load_engagement
    from copilot.exports.notice import export_notice, letterhead
    from ui.actions import engagement_file

    source = engagement_file(deps, None, engagement)
    shown = engagement or source.name
    head = letterhead(load_engagement(source, deps.settings.data_dir, shown), division)
    division = division.strip()
    findings = reviewed_findings(deps.store, division)
    with deps.services() as s:
        titles = {d.doc_id: d.title for d in s.index.documents()}
    folder = download_folder(deps, "notice")
    path = inside(folder, f"監査結果通知_{safe_name(division)}.docx")
    return export_notice(division, findings, path, head, titles=titles)


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
    from copilot.exports.approach import export_approach

    result = selfcheck_triage(deps)
    schedule = [(d.division, "") for d in result.divisions]
    folder = download_folder(deps, "approach")
    return export_approach(result, period, schedule, folder / "監査実施方針.docx")


def ledger_check(deps: Deps, contract: str) -> LedgerCheck:
    """Compare the ingested ledger's row(s) for a contract with the contract's documents."""
    from copilot.audit.ledger import check_ledger

    ledger = _ingested(deps, "ledger", "外部サービス利用管理台帳", "ledger")[0]
    with deps.services() as s:
        return check_ledger(s, ledger, _contract(contract))


def ledger_xlsx(deps: Deps, name: str | None, contract: str) -> Path:
    """The ledger check of one contract as Excel (``copilot export ledger``)."""
    from copilot.exports.ledger import export_ledger_check

    reader(deps, name)
    check = ledger_check(deps, _contract(contract))
    out = download_folder(deps, "ledger") / safe_name(f"台帳照合_{contract}.xlsx")
    return export_ledger_check(check, out)


# --- ヒアリング（書面）: as ``copilot hearing draft|mail|reply|log`` --------------------------


def hearing_divisions(deps: Deps) -> list[str]:
    """The divisions of the ingested self-check sheets that have something to ask, by risk."""
    return [d.division for d in selfcheck_triage(deps).divisions if d.reasons]


def _division(division: str | None) -> str:
    from copilot.audit.hearings import check_division

    if not (division or "").strip():
        raise UserError("対象課を選んでください。", "choose the division.")
    return check_division(division or "")


def draft_hearing_mail(
    deps: Deps, name: str | None, division: str | None, reply_days: float | None
) -> tuple[Hearing, Path]:
    """Draft a division's hearing mail, record it under the user, and write it as an .eml.

    The .eml is marked 【下書き】: the lead signs the draft off before it is sent.
    """
    from copilot.audit.hearing_records import REPLY_DAYS
    from copilot.audit.hearings import division_risk, draft_hearing
    from copilot.audit.selfcheck import ingested_sheets, triage
    from copilot.exports.hearing_mail import export_hearing_mail, mail_file_name

    user = current_user(deps, name)
    chosen = _division(division)
    with deps.services() as s:
        sheets = ingested_sheets(s)
        if not sheets:
            raise UserError(
                "自己点検シートが取り込まれていません。文書管理で取り込んでください。",
                "no self-check sheet is ingested; ingest them under 文書管理.",
            )
        result = triage(s, sheets)
    division_risk(result, chosen)  # named in the error when it is not there
    mail = draft_hearing(result, chosen, reply_days=int(reply_days or REPLY_DAYS))
    save_hearing_mail(deps.store, user, mail, sheets)
    hearing = _stored(deps, chosen)
    folder = download_folder(deps, "hearing")
    return hearing, export_hearing_mail(mail, inside(folder, mail_file_name(chosen)), False)


def _stored(deps: Deps, division: str) -> Hearing:
    hearing = stored_hearing(deps.store, division)
    if hearing is None:
        raise UserError(
            f"{division} のヒアリングメールがありません。先に「ヒアリングメールを作成」を"
            "押してください。",
            f"there is no hearing mail for {division}; draft it first.",
        )
    return hearing


def hearing_mail_file(deps: Deps, name: str | None, division: str | None) -> tuple[Hearing, Path]:
    """The stored hearing mail as an .eml (【下書き】 until the lead has signed it off)."""
    from copilot.exports.hearing_mail import export_hearing_mail, mail_file_name

    reader(deps, name)
    chosen = _division(division)
    hearing = _stored(deps, chosen)
    folder = download_folder(deps, "hearing")
    path = inside(folder, mail_file_name(chosen))
    return hearing, export_hearing_mail(hearing.mail, path, hearing.signed_off)


def take_hearing_replies(
    deps: Deps, name: str | None, division: str | None, files: list[str] | None
) -> list[HearingReply]:
    """Take a division's reply mails (as ``copilot hearing reply``); Gradio's copies deleted."""
    from copilot.audit.hearings import take_reply

    try:
        user = current_user(deps, name)
        chosen = _division(division)
        if not files:
            raise UserError(
                "回答メール（.eml・.msg）を選んでください。", "choose the reply mails (.eml, .msg)."
            )
        hearing = _stored(deps, chosen)
        taken = []
        for f in files:
            with deps.services() as s:
                reply = take_reply(s, Path(f), hearing.mail, hearing.draft_id)
            save_hearing_reply(deps.store, user, reply)
            taken.append(reply)
        return taken
    finally:
        forget_uploads(deps.settings, list(files or ()))


def hearing_log(
    deps: Deps, name: str | None, division: str | None
) -> tuple[Hearing, list[LogEntry]]:
    """A division's hearing and its log: question → reply → quoted evidence → status."""
    reader(deps, name)
    hearing = _stored(deps, _division(division))
    return hearing, hearing.log()
