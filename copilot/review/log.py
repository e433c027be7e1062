"""The sign-off log: append-only, hash-chained records, and their verification.

Every change to the review store is a log record: a run, a draft's create/edit/reopen and its
sign-off (approve, approve_with_edits, reject), a user's password record (user_add, passwd) and
a login, failed login, lockout or unlock; an indexed document replaced by new content or removed
(replace_document, remove_document: its ``document_changes`` row). A draft's status is read from
its newest record whose action is in ``STATUS_OF``.

Why the log is hash-chained: the brief promises that what was drafted, by which model and prompt,
from which evidence, and who changed or approved it "cannot be silently rewritten". Triggers stop
honest mistakes, but anyone with the file can drop them. So every log record carries the sha256
of the rows it vouches for (the run, or the draft version's payload, or the user's password
record), the sha256 of its own fields, and the hash of the record before it. Changing a payload,
a record, or removing or inserting one breaks the chain at that record, and ``verify()`` names
it. A rewrite of the whole chain from the first changed record on is still possible for someone
who knows this scheme, which is why ``verify()`` also returns the head hash: note it outside the
store (in the report, the minutes) and a later head that does not extend it shows the rewrite.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "DOCUMENT_ACTIONS",
    "GENESIS",
    "LOGIN_ACTIONS",
    "SIGNOFF_ACTIONS",
    "STATUS_OF",
    "LogRecord",
    "Verification",
    "append",
    "canonical",
    "now",
    "sha",
    "verify",
]

GENESIS = "0" * 64
# The log actions that set a draft's status, and the status each leaves it in.
STATUS_OF = {
    "create": "draft",
    "edit": "draft",
    "reopen": "draft",
    "approve": "approved",
    "approve_with_edits": "approved_with_edits",
    "reject": "rejected",
}
SIGNOFF_ACTIONS = ("approve", "approve_with_edits", "reject")
LOGIN_ACTIONS = ("login", "login_failed", "lockout", "unlock")
DOCUMENT_ACTIONS = ("replace_document", "remove_document")  # subject: doc id; version: row id
_LOG_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "run_id",
    "draft_id",
    "version",
    "subject",
    "comment",
    "ref_hash",
)


@dataclass(frozen=True)
class LogRecord:
    """One record of the sign-off log."""

    seq: int
    at: str
    actor: str
    actor_display: str
    action: str
    run_id: int | None
    draft_id: int | None
    version: int | None
    subject: str | None
    comment: str
    ref_hash: str
    content_hash: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    """What ``verify()`` found: OK, or the first bad record and why."""

    ok: bool
    records: int
    head: str
    bad_seq: int | None = None
    reason_ja: str = ""
    reason_en: str = ""


def now() -> str:
    """The time now, local with its offset, to the second (as records keep it)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def canonical(obj: object) -> str:
    """``obj`` as the one JSON text that is hashed (sorted keys, no spaces)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha(text: str) -> str:
    """The sha256 of ``text`` (UTF-8), in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the chain -------------------------------------------------------------------------------


def _ref_content(conn: sqlite3.Connection, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored rows a log record vouches for, exactly as stored (None if missing)."""
    action = row["action"]

    def one(sql: str, *args: object) -> dict[str, Any] | None:
        found = conn.execute(sql, args).fetchone()
        return dict(found) if found else None

    if action == "run":
        run = one("SELECT * FROM runs WHERE id = ?", row["run_id"])
        return {"run": run} if run else None
    if action in STATUS_OF:
        draft = one("SELECT * FROM drafts WHERE id = ?", row["draft_id"])
        version = one(
            "SELECT * FROM versions WHERE draft_id = ? AND version = ?",
            row["draft_id"],
            row["version"],
        )
        return {"draft": draft, "version": version} if draft and version else None
    if action in ("user_add", "passwd"):
        user = one("SELECT * FROM users WHERE name = ?", row["subject"])
        password = one(
            "SELECT * FROM passwords WHERE user = ? AND version = ?",
            row["subject"],
            row["version"],
        )
        return {"user": user, "password": password} if user and password else None
    if action in LOGIN_ACTIONS:
        login = one(
            "SELECT * FROM logins WHERE id = ? AND name = ?", row["version"], row["subject"]
        )
        return {"login": login} if login else None
    if action in DOCUMENT_ACTIONS:
        change = one(
            "SELECT * FROM document_changes WHERE id = ? AND doc_id = ? AND action = ?",
            row["version"],
            row["subject"],
            action,
        )
        return {"document_change": change} if change else None
    return None


def append(
    conn: sqlite3.Connection,
    actor: str,
    action: str,
    *,
    run_id: int | None = None,
    draft_id: int | None = None,
    version: int | None = None,
    subject: str | None = None,
    comment: str = "",
) -> int:
    """Append one log record after the current head; call inside ``BEGIN IMMEDIATE``."""
    last = conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    fields: dict[str, Any] = {
        "seq": seq,
        "at": now(),
        "actor": actor,
        "action": action,
        "run_id": run_id,
        "draft_id": draft_id,
        "version": version,
        "subject": subject,
        "comment": comment,
        "ref_hash": "",
    }
    ref = _ref_content(conn, fields)
    if ref is None:
        raise AssertionError(f"log record {action} points at nothing")
    fields["ref_hash"] = sha(canonical(ref))
    content_hash = sha(canonical(fields))
    conn.execute(
        "INSERT INTO log (seq, at, actor, action, run_id, draft_id, version, subject, comment, "
        "ref_hash, content_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*(fields[k] for k in _LOG_FIELDS), content_hash, prev, sha(prev + content_hash)),
    )
    return seq


def _ref_name(row: sqlite3.Row) -> tuple[str, str]:
    """What a log record points at, in Japanese and English."""
    if row["action"] == "run":
        return f"実行記録 {row['run_id']}", f"run {row['run_id']}"
    if row["action"] in ("user_add", "passwd"):
        return (
            f"利用者 {row['subject']} のパスワード記録（第{row['version']}版）",
            f"user {row['subject']}'s password record (version {row['version']})",
        )
    if row["action"] in LOGIN_ACTIONS:
        return f"ログイン記録 {row['version']}", f"login row {row['version']}"
    if row["action"] in DOCUMENT_ACTIONS:
        return (
            f"文書 {row['subject']} の変更記録 {row['version']}",
            f"document {row['subject']}'s change row {row['version']}",
        )
    return (
        f"下書き {row['draft_id']} の第{row['version']}版",
        f"draft {row['draft_id']} version {row['version']}",
    )


def _check(conn: sqlite3.Connection, row: sqlite3.Row, prev: str, expected: int) -> Verification:
    """Verification of one record against its predecessor's hash (ok=True when good)."""

    def bad(ja: str, en: str) -> Verification:
        return Verification(False, expected - 1, prev, row["seq"], ja, en)

    if row["seq"] != expected or row["prev_hash"] != prev:
        return bad(
            "直前の記録とつながっていません（記録が削除・挿入・改変されています）。",
            "it does not follow from the record before it (a record was removed, inserted or "
            "rewritten).",
        )
    content_hash = sha(canonical({k: row[k] for k in _LOG_FIELDS}))
    if content_hash != row["content_hash"]:
        return bad(
            "記録の内容が書き込み後に書き換えられています。",
            "the record's fields were changed after it was written.",
        )
    if sha(prev + content_hash) != row["hash"]:
        return bad("記録のハッシュ値が書き換えられています。", "the record's hash was changed.")
    ref = _ref_content(conn, row)
    ja, en = _ref_name(row)
    if ref is None:
        return bad(f"記録が指す{ja}がありません。", f"{en}, which it points at, is missing.")
    if sha(canonical(ref)) != row["ref_hash"]:
        return bad(
            f"記録が指す{ja}の内容が、記録後に書き換えられています。",
            f"{en}, which it points at, was changed after it was recorded.",
        )
    return Verification(True, expected, row["hash"])


_ORPHANS = (
    (
        "SELECT 'drafts', id FROM drafts d WHERE NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.draft_id = d.id AND l.action = 'create')"
    ),
    (
        "SELECT 'versions', draft_id || ' v' || version FROM versions v WHERE NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.draft_id = v.draft_id AND l.version = v.version "
        "AND l.action IN ('create', 'edit', 'reopen'))"
    ),
    (
        "SELECT 'runs', id FROM runs r WHERE NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.run_id = r.id AND l.action = 'run')"
    ),
    (
        "SELECT 'passwords', user || ' v' || version FROM passwords p WHERE NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.subject = p.user AND l.version = p.version "
        "AND l.action IN ('user_add', 'passwd'))"
    ),
    (
        "SELECT 'logins', id FROM logins g WHERE outcome IN ('ok', 'unlock') AND NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.version = g.id AND l.subject = g.name "
        "AND l.action IN ('login', 'unlock'))"
    ),
    (
        "SELECT 'document_changes', id FROM document_changes c WHERE NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.version = c.id AND l.subject = c.doc_id "
        "AND l.action = c.action)"
    ),
)


def verify(conn: sqlite3.Connection) -> Verification:
    """Re-derive every hash of the log from the stored rows; call inside one read transaction.

    Returns:
        ``ok=True`` with the record count and head hash, or the first bad record's seq and why
        (``bad_seq`` is None for a content row that no record vouches for).

    """
    prev, count = GENESIS, 0
    for expected, row in enumerate(
        conn.execute("SELECT * FROM log ORDER BY seq").fetchall(), start=1
    ):
        result = _check(conn, row, prev, expected)
        if not result.ok:
            return result
        prev, count = row["hash"], expected
    for sql in _ORPHANS:
        orphan = conn.execute(sql).fetchone()
        if orphan:
            return Verification(
                False,
                count,
                prev,
                None,
                f"{orphan[0]} の行 {orphan[1]} に対応する署名記録がありません"
                "（記録を通さずに追加されています）。",
                f"row {orphan[1]} of {orphan[0]} has no log record (it was added "
                "behind the store's back).",
            )
    return Verification(True, count, prev)
