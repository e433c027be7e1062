"""The review store's one SQLite connection: opening it, and transactions retried while busy.

The file is opened in WAL mode with foreign keys on, a busy timeout and ``synchronous = FULL``,
then migrated (``copilot.review.migrations``). Writes take ``BEGIN IMMEDIATE`` (the chain's
prev_hash is read and appended in one transaction) and are retried when another process holds
the lock, so the UI and the CLI can write at once.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from copilot.errors import UserError
from copilot.review.migrations import migrate

__all__ = ["BUSY_TIMEOUT_MS", "Transactions", "connect"]

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000
ATTEMPTS = 6


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _busy_error() -> UserError:
    return UserError(
        "レビュー記録が他の処理で使用中です。しばらくしてからもう一度実行してください。",
        "the review store is busy with another process; try again in a moment.",
    )


def _retry(fn: Callable[[], T]) -> T:
    """Run ``fn`` again (with a growing, jittered pause) while another process holds the lock."""
    for attempt in range(ATTEMPTS):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if attempt == ATTEMPTS - 1:
                raise _busy_error() from exc
            time.sleep(0.02 * 2**attempt * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def connect(path: Path) -> sqlite3.Connection:
    """The connection to the store file at ``path`` (which exists), set up and migrated.

    Raises:
        UserError: the file is not a review store, is newer than this program, or stays busy.

    """
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        _retry(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        conn.execute("PRAGMA synchronous = FULL")
        _retry(lambda: migrate(conn))
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            raise _busy_error() from exc
        raise UserError(
            f"{path} はレビュー記録のファイルとして開けません。COPILOT_DATA_DIR を確かめて"
            "ください。",
            f"{path} cannot be opened as a review store; check COPILOT_DATA_DIR.",
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


class Transactions:
    """Transactions on the one connection, shared by the store's parts (users, drafts …)."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _tx(self, fn: Callable[[sqlite3.Connection], T], begin: str) -> T:
        with self._lock:
            conn = self._conn

            def once() -> T:
                conn.execute(begin)
                try:
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

            return _retry(once)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a write transaction taken at once (no read-then-upgrade deadlock)."""
        return self._tx(fn, "BEGIN IMMEDIATE")

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on one consistent snapshot."""
        return self._tx(fn, "BEGIN")
