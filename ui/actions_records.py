"""What the records tabs' buttons do: 承認・履歴 and 文書管理 (評価's are in ``ui.actions_eval``).

What every tab shares is ``ui.actions``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from copilot.audit import learning
from copilot.errors import UserError
from copilot.filenames import inside, safe_name
from copilot.review.drafts import Draft
from copilot.review.labels import KIND_JA, SIGN_OFF_KINDS
from copilot.review.log import Verification
from copilot.review.queue import QueueEntry, review_queue, subject_of
from copilot.review.replacements import Replacing
from copilot.schemas import DocumentStatus, IndexStatus
from copilot.services import ClauseRecord, IngestReport, check_size, kind_folder
from ui.actions import (
    Deps,
    Shown,
    current_user,
    forget_uploads,
    open_draft,
    sign_off,
)
from ui.jobs import long_job

# The queue's kind filter: (label, value); "signoff" is every kind a lead signs off, the default.
QUEUE_KINDS = [
    ("承認が必要なもの（すべて）", "signoff"),
    *[(KIND_JA[k], k) for k in SIGN_OFF_KINDS],
    ("質問への回答（記録のみ）", "answer"),
    ("ヒアリング回答（記録のみ）", "hearing_reply"),
    ("すべての種類", "all"),
]
QUEUE_SCOPES = [("承認待ちのみ", "pending"), ("確定済みも表示", "all")]


@dataclass(frozen=True)
class ReviewState:
    """The 承認・履歴 tab: the queue, every draft's log records, the log's verification."""

    queue: list[QueueEntry]
    note: str  # why the queue is empty for this user, if it must be
    drafts: list[Draft]
    verification: Verification
    model: str  # which verdict model judges (``verdict_model_state``)


def review_state(
    deps: Deps, name: str | None, kind: str | None = "signoff", scope: str | None = "pending"
) -> ReviewState:
    """The queue of ``kind`` (a value of ``QUEUE_KINDS``) and the verified sign-off log.

    The admin sees the log but no queue: drafts' content is the audit team's (``reader``).
    """
    user = current_user(deps, name)
    drafts = deps.store.list_drafts()
    verification = deps.store.verify()
    model = verdict_model_state(deps)
    if user.role not in ("auditor", "lead"):
        note = "管理者（admin）は下書きの内容を開けないため、承認待ちの一覧は表示しません。"
        return ReviewState([], note, drafts, verification, model)
    kinds: list[str] | None = None  # those that need a sign-off
    if kind == "all":
        kinds = sorted({d.kind for d in drafts})
    elif kind and kind != "signoff":
        kinds = [kind]
    queue = review_queue(deps.store, kinds, pending=scope != "all")
    return ReviewState(queue, "", drafts, verification, model)


def approve_and_next(
    deps: Deps,
    name: str | None,
    draft_id: object,
    comment: str,
    opened: Shown | None,
    listed: list[int] | None,
) -> tuple[str, int | None]:
    """Approve the version shown, and the draft to show next: the next still unsigned in the list.

    Returns:
        The sign-off (``approve`` or ``approve_with_edits``) and the next draft's number (None
        when no draft of the list is left to sign off).

    """
    action = sign_off(deps, name, draft_id, True, comment, opened)
    number = int(opened["draft"]) if opened else None
    ids = [int(i) for i in listed or []]
    after = ids[ids.index(number) + 1 :] + ids[: ids.index(number)] if number in ids else ids
    pending = {d.id for d in deps.store.list_drafts(status="draft")}
    return action, next((i for i in after if i in pending and i != number), None)


def open_for_review(
    deps: Deps, name: str | None, draft_id: object
) -> tuple[Draft, dict[str, ClauseRecord], str]:
    """A draft of any kind, the clauses it cites and what it is about, to read and sign off."""
    draft, found = open_draft(deps, name, draft_id, None)
    return draft, found, subject_of(deps.store, draft)


def verdict_model_state(deps: Deps) -> str:
    """Which verdict model judges, and how many sign-offs a refit would learn from."""
    return learning.describe(deps.settings, deps.store)


def refit_verdict_model(deps: Deps, name: str | None) -> str:
    """Refit the verdict model on the sign-offs, as the logged-in user (a lead)."""
    return learning.refit(deps.settings, deps.store, current_user(deps, name)).summary()


CONTRACT_ID = re.compile(r"[^/\\\s.][^/\\\s]{0,63}")  # one folder name, no path
DIVISION = re.compile(r"[^/\\.][^/\\]{0,63}")  # hearings/<division>/: one folder name


def ingest_uploads(
    deps: Deps,
    name: str | None,
    files: list[str],
    kind: str,
    contract: str,
    note: Callable[[str], None],
    replace: bool = False,
) -> IngestReport:
    """Ingest uploaded files (kind and contract as given), keeping each document's identity.

    The kept copy lies under ``uploads/`` in the folder of its kind and contract
    (``uploads/contracts/<id>/契約書.docx``) and its document id is that path, as for an ingested
    folder: the 契約書.docx of two contracts are two documents, and the same name for the same
    contract is an update. Gradio's own copies are deleted afterwards, whatever the outcome.

    An update with other content is a new version (the previous one is kept): only a lead who
    ticked ``replace`` makes it, and it is logged (``copilot.review.replacements``); anyone else is
    refused before anything is copied. The same content again changes nothing.

    Raises:
        UserError: no files; a contract document without a valid contract id; new content for
            a known document from an auditor or admin, or from a lead without ``replace``.

    """
    try:
        user = current_user(deps, name)
        if not files:
            raise UserError("ファイルを選んでください。", "choose files to ingest.")
        for f in files:  # before anything is copied
            check_size(deps.settings, Path(f))
        contract = contract.strip()
        kind = kind or ("contract" if contract else "other")
        if kind == "contract" and not CONTRACT_ID.fullmatch(contract):
            raise UserError(
                "契約書類には契約番号（例 C-2026-001。空白や / を含まない）を入れてください。",
                "a contract document needs a contract id (e.g. C-2026-001, no spaces or /).",
            )
        if kind == "correspondence" and contract and not DIVISION.fullmatch(contract):
            raise UserError(
                "ヒアリング回答の課名に / や先頭の . は使えません。",
                "a division name may not contain / or start with a dot.",
            )
        root = Path(deps.settings.data_dir) / "uploads"
        named = kind in ("contract", "correspondence")  # the folder names the contract or division
        folder = root / kind_folder(kind, contract if named else "")
        replacing = Replacing.app(deps.store, user, replace)
        with deps.services() as s:  # refused before anything is copied: all stays as it was
            top = root.resolve()
            replacing.check_files(
                s.index,
                {
                    inside(folder, safe_name(Path(f).name)).relative_to(top).as_posix(): Path(f)
                    for f in files
                },
            )
        folder.mkdir(parents=True, exist_ok=True)
        with long_job(deps.settings, user.name):  # refused before anything is copied
            kept, fresh = [], set()
            for f in files:
                target = inside(folder, safe_name(Path(f).name))
                if not target.exists():
                    fresh.add(target.resolve())
                shutil.copyfile(f, target)
                kept.append(target)
            try:
                with deps.services() as s:
                    report = s.ingest(
                        kept,
                        kind=kind,
                        contract=contract or None,
                        notify=note,
                        base=root,
                        replacing=replacing,
                    )
            except BaseException:  # an ingest that did not end (a crash, a stop) keeps no copy
                for path in fresh:
                    path.unlink(missing_ok=True)
                raise
        for r in report.failed:  # a failed new upload leaves no copy behind
            if Path(r.path).resolve() in fresh:
                Path(r.path).unlink(missing_ok=True)
        return report
    finally:
        forget_uploads(deps.settings, files)


def index_status(deps: Deps) -> IndexStatus:
    """Documents in the index and the embedder that built it."""
    with deps.services() as s:
        return s.status()


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

    Only the lead (主任担当者) may: the index is everyone's working material. The removal is a
    record of the review log (``remove_document``).
    """
    lead = deps.store.require(current_user(deps, name), "lead")
    if not doc_id:
        raise UserError("外す文書を選んでください。", "choose the document to remove.")
    with deps.services() as s:
        removed = s.remove(doc_id)
    deps.store.record_document_change("remove_document", removed.document, removed.sha256, lead)
    source = Path(removed.source)
    uploads = (Path(deps.settings.data_dir) / "uploads").resolve()
    if source.resolve().is_relative_to(uploads) and source.is_file():
        source.unlink()  # our own copy (ingest_uploads made it); the user's file is elsewhere
    return removed
