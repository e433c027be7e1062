"""Who replaced or removed an indexed document: ``document_changes`` rows and their log records.

The index keeps a replaced document's previous version (``ingest.index``); the review store
keeps who did it. Each change is one row (the document id, its sha256 before and after, the id
the previous version is kept under, the actor) and one record of the hash-chained log
(``replace_document`` or ``remove_document``) that vouches for the row, so ``verify()`` finds a
change that was rewritten, removed or added behind the store's back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from copilot.review.db import Transactions
from copilot.review.log import DOCUMENT_ACTIONS, append, now
from copilot.review.users import User, require_role

__all__ = ["DocumentChange", "DocumentChanges"]


@dataclass(frozen=True)
class DocumentChange:
    """One replacement or removal of an indexed document."""

    id: int
    at: str
    action: str  # replace_document | remove_document
    doc_id: str
    old_sha256: str
    new_sha256: str  # "" for a removal
    kept_as: str  # the id the previous version is kept under ("" for a removal)
    actor: str


class DocumentChanges(Transactions):
    """The review store's part that records document changes (mixed into ``ReviewStore``)."""

    def record_document_change(
        self,
        action: str,
        doc_id: str,
        old_sha256: str,
        user: str | User,
        new_sha256: str = "",
        kept_as: str = "",
    ) -> int:
        """Record that ``user`` replaced (or removed) ``doc_id``; returns the row's id.

        Raises:
            UserError: no such user.

        """
        if action not in DOCUMENT_ACTIONS:
            raise ValueError(f"unknown document action {action}")

        def write(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "auditor", "lead", "admin").name
            cur = conn.execute(
                "INSERT INTO document_changes (at, action, doc_id, old_sha256, new_sha256, "
                "kept_as, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now(), action, doc_id, old_sha256, new_sha256, kept_as, actor),
            )
            row_id = int(cur.lastrowid or 0)
            append(conn, actor, action, version=row_id, subject=doc_id)
            return row_id

        return self._write(write)

    def document_changes(self, doc_id: str | None = None) -> list[DocumentChange]:
        """The recorded changes (of one document when given), oldest first."""

        def read(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            if doc_id is None:
                return conn.execute("SELECT * FROM document_changes ORDER BY id").fetchall()
            return conn.execute(
                "SELECT * FROM document_changes WHERE doc_id = ? ORDER BY id", (doc_id,)
            ).fetchall()

        return [DocumentChange(**dict(r)) for r in self._read(read)]
