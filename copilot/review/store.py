"""The review store: users, task runs, drafts and their versions, and the sign-off log.

One SQLite file, ``<data_dir>/review.sqlite`` (WAL, foreign keys on, a busy timeout), whose
tables only ever grow: triggers refuse every UPDATE and DELETE (``copilot.review.migrations``);
the one exception is the login throttle's counters (``login_failures``), which are no record.
``ReviewStore`` is one connection (``copilot.review.db``) with the methods of its parts:
``users`` (users, roles, passwords, logins), ``drafts`` (runs, drafts, versions, reading),
``signoff`` (edits, sign-off with separation of duties, reopening), ``documents`` (who replaced
or removed an indexed document); every change is a record of
the hash-chained log (``copilot.review.log``, which says why it is chained).

Public API (``open_store(settings)`` or ``ReviewStore(path)``; use it as a context manager)::

    add_user(name, display_name, role, password, by=None) -> User   (by=None: bootstrap admin)
    login(name, password, address) -> User   (throttled and recorded; the way in)
    unlock(name, by, address="cli") -> None;  login_states() -> dict[str, LoginState]
    password_version(name) -> int | None   (grows with each password change)
    authenticate(name, password) -> User   (the bare password check: no throttle, no record)
    set_password(name, password, by) -> None
    get_user(name) -> User;  list_users() -> list[User]
    record_run(task, inputs, *, settings_digest, drafter, model, prompt, prompt_version,
               prompt_hash, evidence_ids, user) -> run_id;  get_run(run_id) -> Run
    add_draft(run_id, kind, key, payload, user) -> draft_id
    edit(draft_id, payload, user, comment="", *, seen_version=None) -> version
    diff(draft_id, v1, v2) -> str
    approve(draft_id, user, comment="", *, seen_version=None) -> action   (lead)
    reject(draft_id, user, comment, *, seen_version=None) -> None   (lead)
    reopen(draft_id, user, reason, *, seen_version=None) -> version   (lead)
    record_rerun(task, inputs, fields, kind, drafts, user, comment="") -> (run_id, [Placed])
        (a run whose drafts become new versions of the unsigned drafts of the same keys)
    (seen_version: the version the person read; refused when another was added since)
    list_drafts(status=None, kind=None, key_prefix=None) -> list[Draft]
    get_draft(draft_id) -> Draft;  history(draft_id) -> list[LogRecord]
    record_document_change(action, doc_id, old_sha256, user, new_sha256="", kept_as="") -> id
    document_changes(doc_id=None) -> list[DocumentChange]   (replaced or removed documents)
    verify() -> Verification
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from copilot.review import log
from copilot.review.db import connect
from copilot.review.documents import DocumentChanges
from copilot.review.drafts import Drafts
from copilot.review.log import Verification
from copilot.review.reruns import Reruns
from copilot.review.signoff import SignOff
from copilot.review.users import LOCK_AFTER, LOCK_MINUTES, Users
from copilot.settings import Settings
from ingest.permissions import private_mkdir

__all__ = ["STORE_FILE", "ReviewStore", "open_store"]

STORE_FILE = "review.sqlite"


class ReviewStore(Users, Drafts, SignOff, Reruns, DocumentChanges):
    """The review store in one SQLite file (see the module docstring)."""

    def __init__(
        self,
        path: Path | str,
        *,
        separate_duties: bool = True,
        now: Callable[[], float] = time.time,
        lock_failures: int = LOCK_AFTER,
        lock_minutes: float = LOCK_MINUTES,
    ) -> None:
        """Open (creating the folder and file if needed) and migrate the store at ``path``.

        Args:
            path: the SQLite file; its folder is created owner-only (0700) if missing.
            separate_duties: refuse a sign-off by someone who wrote the draft's content.
            now: the login throttle's clock (seconds since the epoch); tests pass their own.
            lock_failures: failed logins in a row of a name from one address that lock it there.
            lock_minutes: how long such a lock lasts.

        Raises:
            UserError: the file is not a review store, or is newer than this program.

        """
        self.path = Path(path)
        self.separate_duties = separate_duties
        self._clock = now
        self.lock_failures = lock_failures
        self.lock_minutes = lock_minutes
        private_mkdir(self.path.parent)
        if not self.path.exists():
            # confidential content: readable by its owner only (SQLite gives -wal/-shm the same)
            self.path.touch(mode=0o600, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = connect(self.path)

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def verify(self) -> Verification:
        """Re-derive every hash of the log from the stored rows.

        Returns:
            ``ok=True`` with the record count and head hash, or the first bad record's seq and
            why (``bad_seq`` is None for a content row that no record vouches for).

        """
        return self._read(log.verify)


def open_store(settings: Settings) -> ReviewStore:
    """The review store in ``settings.data_dir`` (created on first use).

    Raises:
        UserError: the file is not a review store, or is newer than this program.

    """
    return ReviewStore(
        Path(settings.data_dir) / STORE_FILE,
        separate_duties=settings.separate_duties,
        lock_failures=settings.login_lock_failures,
        lock_minutes=settings.login_lock_minutes,
    )
