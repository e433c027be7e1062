"""Keep task runs and their drafts in the review store, and read signed-off drafts back.

(A checklist run is kept by ``copilot.review.checklist_runs``: one draft per item, re-runs
adding versions.)

Every draft a task makes is stored as version 1 of a draft in status ``draft``, under a run that
records the inputs (documents and their sha256), the drafter, model, prompt and evidence. Exports
read drafts back with their review state; a division's hearing by e-mail is read back whole
(``stored_hearing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.audit.findings import FindingsDraft
from copilot.audit.hearing_records import (
    MAIL_KIND,
    REPLY_KIND,
    HearingMail,
    HearingReply,
    LogEntry,
)
from copilot.audit.hearings import hearing_log
from copilot.policy.gap import GapAnalysis
from copilot.review.drafts import RUN_FIELDS, Draft
from copilot.review.store import ReviewStore
from copilot.review.users import User
from copilot.schemas import (
    Answer,
    ChecklistJudgement,
    Finding,
    PolicyAdvice,
    PolicyGap,
    Provenance,
    ReviewInfo,
)
from copilot.services import Services
from ingest.pipeline import sha256_file


def _documents(services: Services, contract: str = "") -> list[dict[str, str]]:
    return [
        {"document": d.doc_id, "sha256": d.sha256, "kind": d.kind}
        for d in services.index.documents()
        if not contract or d.contract == contract
    ]


def _run_fields(provenance: Provenance | None, evidence: list[str]) -> dict[str, Any]:
    if provenance is None:
        return {
            "settings_digest": "",
            "drafter": "",
            "model": "",
            "prompt": "",
            "prompt_version": "",
            "prompt_hash": "",
            "evidence_ids": evidence,
        }
    fields = provenance.model_dump(include=set(RUN_FIELDS))
    fields["evidence_ids"] = evidence
    return fields


def save_findings(
    store: ReviewStore, user: User, services: Services, drafts: list[FindingsDraft]
) -> int:
    """Store a findings run and one draft per finding (key ``<division>/<n>``)."""
    findings = [f for d in drafts for f in d.findings]
    evidence = sorted({e for f in findings if f.provenance for e in f.provenance.evidence_ids})
    first = next((f.provenance for f in findings if f.provenance), None)
    run_id = store.record_run(
        "findings_draft",
        {"sources": [d.source for d in drafts], "documents": _documents(services)},
        user=user,
        **_run_fields(first, evidence),
    )
    for d in drafts:
        for n, f in enumerate(d.findings, start=1):
            store.add_draft(run_id, "finding", f"{d.division}/{n}", f, user)
    return run_id


def record_question(store: ReviewStore, user: User, services: Services, answer: Answer) -> int:
    """Log a question asked and how it was answered, as a run with no draft (returns its id).

    Asking leaves the approval queue alone; the log still shows who asked what, from which
    evidence. ``save_answer`` makes a draft of an answer when the auditor keeps it.
    """
    evidence = answer.provenance.evidence_ids if answer.provenance else []
    return store.record_run(
        "ask",
        {"question": answer.question, "documents": _documents(services)},
        user=user,
        **_run_fields(answer.provenance, list(evidence)),
    )


def save_answer(
    store: ReviewStore, user: User, services: Services, answer: Answer, run_id: int | None = None
) -> int:
    """Store an answer as a draft for review (key: the question) under its question's run.

    The run is ``run_id`` when the question was logged as it was asked, else a new one.
    """
    if run_id is None:
        run_id = record_question(store, user, services, answer)
    store.add_draft(run_id, "answer", answer.question[:200], answer, user)
    return run_id


def save_policy_gap(
    store: ReviewStore, user: User, services: Services, analysis: GapAnalysis
) -> int:
    """Store a gap analysis run and one draft per requirement (key ``<policy>/<requirement>``)."""
    evidence = sorted({e for g in analysis.gaps if g.provenance for e in g.provenance.evidence_ids})
    first = next((g.provenance for g in analysis.gaps if g.provenance), None)
    docs = {analysis.policy, analysis.guideline}
    run_id = store.record_run(
        "policy_gap",
        {
            "policy": analysis.policy,
            "guideline": analysis.guideline,
            "documents": [d for d in _documents(services) if d["document"] in docs],
        },
        user=user,
        **_run_fields(first, evidence),
    )
    for g in analysis.gaps:
        store.add_draft(run_id, "policy_gap", f"{analysis.policy}/{g.requirement}", g, user)
    return run_id


def save_policy_advice(
    store: ReviewStore, user: User, services: Services, advice: list[PolicyAdvice]
) -> int:
    """Store an advice run and one draft per policy clause (key ``<policy>/<clause path>``)."""
    evidence = sorted({e for a in advice if a.provenance for e in a.provenance.evidence_ids})
    first = next((a.provenance for a in advice if a.provenance), None)
    run_id = store.record_run(
        "policy_advice",
        {
            "findings": sorted({f.draft_id for a in advice for f in a.findings if f.draft_id}),
            "documents": [
                d for d in _documents(services) if d["document"] in {a.policy for a in advice}
            ],
        },
        user=user,
        **_run_fields(first, evidence),
    )
    for a in advice:
        store.add_draft(run_id, "policy_advice", f"{a.policy}/{a.clause.clause_path}", a, user)
    return run_id


def reviewed_gaps(store: ReviewStore, policy: str) -> list[tuple[PolicyGap, ReviewInfo]]:
    """A policy's gap judgements (latest versions; the newest run's draft per requirement)."""
    latest: dict[str, tuple[PolicyGap, ReviewInfo]] = {}
    for d in store.list_drafts(kind="policy_gap", key_prefix=f"{policy}/"):
        latest[d.key] = (PolicyGap.model_validate(d.payload), review_info(d))
    return list(latest.values())


def reviewed_advice(store: ReviewStore, policy: str = "") -> list[tuple[PolicyAdvice, ReviewInfo]]:
    """Revision advice (latest versions; the newest run's draft per clause)."""
    latest: dict[str, tuple[PolicyAdvice, ReviewInfo]] = {}
    prefix = f"{policy}/" if policy else None
    for d in store.list_drafts(kind="policy_advice", key_prefix=prefix):
        latest[d.key] = (PolicyAdvice.model_validate(d.payload), review_info(d))
    return list(latest.values())


def review_info(draft: Draft) -> ReviewInfo:
    """The review state of a draft, as the exports take it."""
    sign = draft.signoff
    return ReviewInfo(
        status=draft.status,  # type: ignore[arg-type]
        reviewer=sign.actor_display if sign else "",
        reviewed_at=sign.at if sign else "",
    )


def reviewed_findings(store: ReviewStore, division: str) -> list[tuple[Finding, ReviewInfo]]:
    """A division's findings (latest versions) with their review state."""
    return [
        (Finding.model_validate(d.payload), review_info(d))
        for d in store.list_drafts(kind="finding", key_prefix=f"{division}/")
    ]


def reviewed_judgements(
    store: ReviewStore, contract: str
) -> list[tuple[ChecklistJudgement, ReviewInfo]]:
    """A contract's judgements (latest versions; the newest run's draft per item)."""
    latest: dict[str, tuple[ChecklistJudgement, ReviewInfo]] = {}
    for d in store.list_drafts(kind="checklist_judgement", key_prefix=f"{contract}/"):
        latest[d.key] = (ChecklistJudgement.model_validate(d.payload), review_info(d))
    return list(latest.values())


# --- hearings by e-mail ----------------------------------------------------------------------


def save_hearing_mail(
    store: ReviewStore, user: User, mail: HearingMail, sheets: Sequence[Path]
) -> int:
    """Store a hearing mail's run (the self-check sheets and their sha256) and the mail draft.

    The draft's key is the division; the lead signs it off before it is sent.
    """
    run_id = store.record_run(
        "hearing_draft",
        {
            "division": mail.division,
            "selfcheck": [{"file": str(p), "sha256": sha256_file(p)} for p in sheets],
        },
        user=user,
        **_run_fields(None, sorted({q.basis.clause_id for q in mail.questions if q.basis})),
    )
    store.add_draft(run_id, MAIL_KIND, mail.division, mail, user)
    return run_id


def save_hearing_reply(store: ReviewStore, user: User, reply: HearingReply) -> int:
    """Store a reply's run (the file, its sha256 and document id) and the linked reply draft.

    The draft's key is ``<division>/<file name>``; a later reply of the same name is a new draft.
    """
    quoted = sorted({a.citation.clause_id for a in reply.answers if a.citation})
    run_id = store.record_run(
        "hearing_reply",
        {
            "division": reply.division,
            "file": reply.file,
            "sha256": reply.sha256,
            "document": reply.document,
            "mail_draft": reply.mail_draft,
        },
        user=user,
        **_run_fields(None, quoted),
    )
    store.add_draft(run_id, REPLY_KIND, f"{reply.division}/{reply.file}", reply, user)
    return run_id


@dataclass(frozen=True)
class Hearing:
    """A division's hearing as stored: the mail (latest version), its review state, its replies."""

    draft_id: int
    mail: HearingMail
    review: ReviewInfo
    replies: list[HearingReply]
    version: int = 1  # the mail's latest version: the one shown, and signed off

    @property
    def signed_off(self) -> bool:
        """Whether the lead approved the mail (so it may be sent)."""
        return self.review.status in ("approved", "approved_with_edits")

    def log(self) -> list[LogEntry]:
        """Question → reply → quoted evidence → status (``copilot.audit.hearings.hearing_log``)."""
        return hearing_log(self.mail, self.replies)


def stored_hearing(store: ReviewStore, division: str) -> Hearing | None:
    """A division's newest hearing mail and the replies taken for it (oldest first), or None.

    A reply counts for the newest mail only: a mail drafted again may number its questions anew.
    """
    mails = [d for d in store.list_drafts(kind=MAIL_KIND, key_prefix=division) if d.key == division]
    if not mails:
        return None
    mail = mails[-1]
    replies: dict[str, HearingReply] = {}
    for d in store.list_drafts(kind=REPLY_KIND, key_prefix=f"{division}/"):
        reply = HearingReply.model_validate(d.payload)
        if reply.mail_draft == mail.id:
            replies.pop(d.key, None)  # the newest of a name, in the order taken
            replies[d.key] = reply
    return Hearing(
        mail.id,
        HearingMail.model_validate(mail.payload),
        review_info(mail),
        list(replies.values()),
        mail.latest.version,
    )


def hearing_logs(store: ReviewStore, divisions: Sequence[str]) -> dict[str, list[LogEntry]]:
    """The hearing log of each division that has a stored hearing mail."""
    out = {}
    for division in divisions:
        hearing = stored_hearing(store, division)
        if hearing is not None:
            out[division] = hearing.log()
    return out
