"""Forward-only, named migrations of the review store, recorded in the ``migrations`` table.

A migration is a name and the SQL statements that take the store one step forward. Once a
release has shipped a migration it is never edited or removed: a change is a new migration
appended to ``MIGRATIONS``. ``migrate(conn)`` applies the missing ones in order, each in its own
``BEGIN IMMEDIATE`` transaction together with its row in ``migrations`` (name, applied_at), so a
second process opening the store at the same moment waits and then finds the work done.

Nothing runs at import time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from copilot.errors import UserError

__all__ = ["MIGRATIONS", "PROTECTED_TABLES", "Migration", "applied", "migrate"]


@dataclass(frozen=True)
class Migration:
    """One named step forward: SQL statements run in one transaction."""

    name: str
    statements: tuple[str, ...]


# Content and log tables: rows are only ever inserted (the triggers below refuse the rest).
# The first migration's tables are spelled out: a shipped migration's SQL never changes.
_FIRST_TABLES = ("users", "passwords", "runs", "drafts", "versions", "log", "migrations")
PROTECTED_TABLES = (*_FIRST_TABLES, "logins")


def _append_only(table: str) -> list[str]:
    """Triggers that make ``table`` refuse UPDATE and DELETE."""
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, 'review store is append-only: {verb} on {table} refused'); END"
        for verb in ("UPDATE", "DELETE")
    ]


_INITIAL = (
    """CREATE TABLE users (
        name TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('auditor', 'lead', 'admin')),
        created_at TEXT NOT NULL,
        created_by TEXT REFERENCES users(name)
    )""",
    """CREATE TABLE passwords (
        user TEXT NOT NULL REFERENCES users(name),
        version INTEGER NOT NULL,
        algorithm TEXT NOT NULL,
        n INTEGER NOT NULL,
        r INTEGER NOT NULL,
        p INTEGER NOT NULL,
        salt TEXT NOT NULL,
        hash TEXT NOT NULL,
        set_at TEXT NOT NULL,
        set_by TEXT REFERENCES users(name),
        PRIMARY KEY (user, version)
    )""",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        task TEXT NOT NULL,
        inputs TEXT NOT NULL,
        settings_digest TEXT NOT NULL,
        drafter TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        prompt_hash TEXT NOT NULL,
        evidence_ids TEXT NOT NULL,
        user TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL REFERENCES users(name)
    )""",
    "CREATE INDEX drafts_key ON drafts(key)",
    """CREATE TABLE versions (
        draft_id INTEGER NOT NULL REFERENCES drafts(id),
        version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        author TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (draft_id, version)
    )""",
    """CREATE TABLE log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL REFERENCES users(name),
        action TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id),
        draft_id INTEGER REFERENCES drafts(id),
        version INTEGER,
        subject TEXT,
        comment TEXT NOT NULL DEFAULT '',
        ref_hash TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "CREATE INDEX log_draft ON log(draft_id)",
    *(t for table in _FIRST_TABLES for t in _append_only(table)),
)

# Every login attempt (the throttle reads its streaks from here; see ``store.login``).
_LOGINS = (
    """CREATE TABLE logins (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        epoch REAL NOT NULL,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('attempt', 'ok', 'refused', 'unlock')),
        actor TEXT REFERENCES users(name)
    )""",
    "CREATE INDEX logins_name ON logins(name, outcome, id)",
    "CREATE INDEX logins_address ON logins(address, outcome, id)",
    *_append_only("logins"),
)

# Every replacement of an indexed document by new content, and every removal: who, which
# document, its sha256 before (and after), and the id its previous version is kept under.
_DOCUMENT_CHANGES = (
    """CREATE TABLE document_changes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('replace_document', 'remove_document')),
        doc_id TEXT NOT NULL,
        old_sha256 TEXT NOT NULL,
        new_sha256 TEXT NOT NULL DEFAULT '',
        kept_as TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL REFERENCES users(name)
    )""",
    "CREATE INDEX document_changes_doc ON document_changes(doc_id, id)",
    *_append_only("document_changes"),
)

# The login throttle's streaks: one row per (name, address) updated in place, and deleted on a
# success, an unlock or once stale (``copilot.review.users``). Counters, not records: the table
# is not append-only and no log record vouches for its rows.
_LOGIN_FAILURES = (
    """CREATE TABLE login_failures (
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_epoch REAL NOT NULL,
        locked_until REAL,
        PRIMARY KEY (name, address)
    )""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_review_store", _INITIAL),
    Migration("0002_logins", _LOGINS),
    Migration("0003_document_changes", _DOCUMENT_CHANGES),
    Migration("0004_login_failures", _LOGIN_FAILURES),
)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations recorded in the store, oldest first."""
    rows = conn.execute("SELECT name FROM migrations ORDER BY rowid").fetchall()
    return [r[0] for r in rows]


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the migrations the store lacks, in order, each in its own transaction.

    Args:
        conn: a connection in autocommit mode (``isolation_level=None``).
        migrations: the known migrations, oldest first.

    Returns:
        The names applied now (empty when the store was up to date).

    Raises:
        UserError: the store holds migrations this program does not know (it is newer).

    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    known = [m.name for m in migrations]
    unknown = [name for name in applied(conn) if name not in known]
    if unknown:
        raise UserError(
            f"レビュー記録は新しい版のプログラムで更新されています（{', '.join(unknown)}）。"
            "プログラムを更新してください。",
            f"the review store was upgraded by a newer program ({', '.join(unknown)}); "
            "upgrade this program.",
        )
    done: list[str] = []
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute(
                "SELECT 1 FROM migrations WHERE name = ?", (migration.name,)
            ).fetchone():
                conn.execute("COMMIT")
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (migration.name, _now())
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done.append(migration.name)
    return done
