"""The review store: users, task runs, drafts and their versions, and the sign-off log.

One SQLite file, ``<data_dir>/review.sqlite`` (WAL, foreign keys on, a busy timeout), whose
tables only ever grow: triggers refuse every UPDATE and DELETE (``copilot.migrations``). A draft
is never overwritten: an edit or a re-opening adds a version, and a draft's status is read from
the log (create/edit/reopen → draft; approve → approved; approve_with_edits → approved_with_edits;
reject → rejected). Only a ``lead`` (主任担当者) signs off; an ``auditor`` runs tasks, edits and
proposes; an ``admin`` manages users. Passwords are kept only as salted scrypt hashes.

Why the log is hash-chained: the brief promises that what was drafted, by which model and prompt,
from which evidence, and who changed or approved it "cannot be silently rewritten". Triggers stop
honest mistakes, but anyone with the file can drop them. So every log record carries the sha256
of the rows it vouches for (the run, or the draft version's payload, or the user's password
record), the sha256 of its own fields, and the hash of the record before it. Changing a payload,
a record, or removing or inserting one breaks the chain at that record, and ``verify()`` names
it. A rewrite of the whole chain from the first changed record on is still possible for someone
who knows this scheme, which is why ``verify()`` also returns the head hash: note it outside the
store (in the report, the minutes) and a later head that does not extend it shows the rewrite.

Public API (``open_store(settings)`` or ``ReviewStore(path)``; use it as a context manager)::

    add_user(name, display_name, role, password, by=None) -> User   (by=None: bootstrap admin)
    authenticate(name, password) -> User;  set_password(name, password, by) -> None
    get_user(name) -> User;  list_users() -> list[User]
    record_run(task, inputs, *, settings_digest, drafter, model, prompt, prompt_version,
               prompt_hash, evidence_ids, user) -> run_id;  get_run(run_id) -> Run
    add_draft(run_id, kind, key, payload, user) -> draft_id
    edit(draft_id, payload, user, comment="") -> version;  diff(draft_id, v1, v2) -> str
    approve(draft_id, user, comment="") -> action;  reject(draft_id, user, comment) -> None
    reopen(draft_id, user, reason) -> version
    list_drafts(status=None, kind=None, key_prefix=None) -> list[Draft]
    get_draft(draft_id) -> Draft;  history(draft_id) -> list[LogRecord]
    verify() -> Verification

A ``Draft`` gives ``status``, ``latest.payload`` (the text to export), ``original`` (the
drafter's version 1) and ``signoff`` (the approve/reject record: ``actor_display``, ``at``).
``user`` arguments take a name or a ``User``; the role is read afresh in each transaction.
Payloads of the kinds in ``DRAFT_MODELS`` are validated against their pydantic model; an edit
may not change a draft's ``provenance`` (the run's record is the provenance that counts).
The run fields match ``schemas.Provenance``: ``record_run(task, inputs, user=u,
**prov.model_dump(include=set(RUN_FIELDS)))``.
Writes take ``BEGIN IMMEDIATE`` (the chain's prev_hash is read and appended in one transaction)
and are retried when another process holds the lock, so the UI and the CLI can write at once.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import random
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from copilot.errors import UserError
from copilot.migrations import migrate
from copilot.schemas import Answer, ChecklistJudgement, Finding, PolicyAdvice, PolicyGap
from copilot.settings import Settings

__all__ = [
    "DRAFT_MODELS",
    "ROLES",
    "ROLE_JA",
    "RUN_FIELDS",
    "STATUSES",
    "STORE_FILE",
    "Draft",
    "LogRecord",
    "ReviewStore",
    "Run",
    "User",
    "Verification",
    "Version",
    "open_store",
]

T = TypeVar("T")

STORE_FILE = "review.sqlite"
ROLES = ("auditor", "lead", "admin")
ROLE_JA = {"auditor": "監査担当者", "lead": "主任担当者", "admin": "管理者"}
STATUSES = ("draft", "approved", "approved_with_edits", "rejected")
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
# record_run's keyword fields that ``schemas.Provenance`` also has:
# ``store.record_run(task, inputs, user=u, **prov.model_dump(include=set(RUN_FIELDS)))``
RUN_FIELDS = (
    "settings_digest",
    "drafter",
    "model",
    "prompt",
    "prompt_version",
    "prompt_hash",
    "evidence_ids",
)
DRAFT_MODELS: dict[str, type[BaseModel]] = {
    "checklist_judgement": ChecklistJudgement,
    "finding": Finding,
    "answer": Answer,
    "policy_gap": PolicyGap,
    "policy_advice": PolicyAdvice,
}
GENESIS = "0" * 64
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SALT_BYTES = 16
MIN_PASSWORD = 8
BUSY_TIMEOUT_MS = 5_000
ATTEMPTS = 6
_NAME = re.compile(r"^[^\s/\\]{1,64}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
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


# --- records ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A person who uses the copilot (never their password)."""

    name: str
    display_name: str
    role: str
    created_at: str
    created_by: str | None


@dataclass(frozen=True)
class Run:
    """One task run: what went in and how the drafts were made."""

    id: int
    task: str
    inputs: dict[str, Any]
    settings_digest: str
    drafter: str
    model: str
    prompt: str
    prompt_version: str
    prompt_hash: str
    evidence_ids: list[str]
    user: str
    created_at: str


@dataclass(frozen=True)
class Version:
    """One version of a draft's content; version 1 is the drafter's."""

    draft_id: int
    version: int
    payload: dict[str, Any]
    author: str
    author_display: str
    created_at: str
    comment: str


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
class Draft:
    """A draft with all its versions and log records, and its status."""

    id: int
    run_id: int
    kind: str
    key: str
    created_at: str
    created_by: str
    status: str
    versions: tuple[Version, ...]
    log: tuple[LogRecord, ...]

    @property
    def original(self) -> Version:
        """The drafter's version (1)."""
        return self.versions[0]

    @property
    def latest(self) -> Version:
        """The newest version: the one that is (or will be) signed off."""
        return self.versions[-1]

    @property
    def payload(self) -> dict[str, Any]:
        """The newest version's content."""
        return self.latest.payload

    @property
    def signoff(self) -> LogRecord | None:
        """The approve/reject record that settled the status, or None while it is a draft."""
        if self.status == "draft":
            return None
        return next(r for r in reversed(self.log) if r.action in SIGNOFF_ACTIONS)


@dataclass(frozen=True)
class Verification:
    """What ``verify()`` found: OK, or the first bad record and why."""

    ok: bool
    records: int
    head: str
    bad_seq: int | None = None
    reason_ja: str = ""
    reason_en: str = ""


# --- helpers ---------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _canonical(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pretty(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def _hash_password(password: str) -> dict[str, Any]:
    """A fresh salted scrypt record for ``password``."""
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"パスワードは{MIN_PASSWORD}文字以上にしてください。",
            f"use a password of at least {MIN_PASSWORD} characters.",
        )
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, **SCRYPT)
    return {"algorithm": "scrypt", **SCRYPT, "salt": salt.hex(), "hash": digest.hex()}


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


def _unknown_user(name: str) -> UserError:
    return UserError(
        f"利用者「{name}」は登録されていません。管理者に `copilot users add` で登録してもらって"
        "ください。",
        f"there is no user {name!r}; ask an admin to add it with `copilot users add`.",
    )


def _unknown_draft(draft_id: int) -> UserError:
    return UserError(
        f"下書き {draft_id} はありません。`copilot review list` で番号を確かめてください。",
        f"there is no draft {draft_id}; look up its number with `copilot review list`.",
    )


def _payload(kind: str, payload: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """The payload as plain JSON, validated against the kind's model when it has one."""
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    if not isinstance(data, dict):
        raise UserError(
            "下書きの内容は JSON のオブジェクト（{…}）にしてください。",
            "a draft's content must be a JSON object ({…}).",
        )
    model = DRAFT_MODELS.get(kind)
    if model is not None:
        try:
            data = model.model_validate(data).model_dump(mode="json")
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(全体)'}: {e['msg']}"
                for e in exc.errors()[:5]
            )
            raise UserError(
                f"内容が {kind}（{model.__name__}）の形式に合いません: {problems}。"
                "項目を直してください。",
                f"the content does not fit {kind} ({model.__name__}): {problems}; fix the fields.",
            ) from exc
    try:
        return json.loads(json.dumps(data, ensure_ascii=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise UserError(
            "下書きの内容を JSON にできません（日付やパスは文字列にしてください）。",
            "the draft's content is not JSON-serialisable (give dates and paths as strings).",
        ) from exc


def _require_text(value: str, what_ja: str, what_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UserError(f"{what_ja}を入力してください。", f"give {what_en}.")
    return text


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
    return None


def _append(
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
        "at": _now(),
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
    fields["ref_hash"] = _sha(_canonical(ref))
    content_hash = _sha(_canonical(fields))
    conn.execute(
        "INSERT INTO log (seq, at, actor, action, run_id, draft_id, version, subject, comment, "
        "ref_hash, content_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*(fields[k] for k in _LOG_FIELDS), content_hash, prev, _sha(prev + content_hash)),
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
    content_hash = _sha(_canonical({k: row[k] for k in _LOG_FIELDS}))
    if content_hash != row["content_hash"]:
        return bad(
            "記録の内容が書き込み後に書き換えられています。",
            "the record's fields were changed after it was written.",
        )
    if _sha(prev + content_hash) != row["hash"]:
        return bad("記録のハッシュ値が書き換えられています。", "the record's hash was changed.")
    ref = _ref_content(conn, row)
    ja, en = _ref_name(row)
    if ref is None:
        return bad(f"記録が指す{ja}がありません。", f"{en}, which it points at, is missing.")
    if _sha(_canonical(ref)) != row["ref_hash"]:
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
)


# --- the store -------------------------------------------------------------------------------


class ReviewStore:
    """The review store in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        """Open (creating the folder and file if needed) and migrate the store at ``path``.

        Raises:
            UserError: the file is not a review store, or is newer than this program.

        """
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # confidential content: readable by its owner only (SQLite gives -wal/-shm the same)
            self.path.touch(mode=0o600, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            _retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL").fetchone())
            self._conn.execute("PRAGMA synchronous = FULL")
            _retry(lambda: migrate(self._conn))
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise _busy_error() from exc
            raise UserError(
                f"{self.path} はレビュー記録のファイルとして開けません。COPILOT_DATA_DIR を確かめて"
                "ください。",
                f"{self.path} cannot be opened as a review store; check COPILOT_DATA_DIR.",
            ) from exc
        except BaseException:
            self._conn.close()
            raise

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # --- transactions ---

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

    # --- users ---

    @staticmethod
    def _user(conn: sqlite3.Connection, name: str) -> User:
        row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise _unknown_user(name)
        return User(**dict(row))

    def _require(self, conn: sqlite3.Connection, who: str | User, *roles: str) -> User:
        """The acting user, read afresh, if it holds one of ``roles``."""
        user = self._user(conn, who.name if isinstance(who, User) else who)
        if user.role not in roles:
            need_ja = "または".join(f"{ROLE_JA[r]}（{r}）" for r in roles)
            need_en = " or ".join(roles)
            raise UserError(
                f"この操作には{need_ja}の権限が必要です。{user.name} は{ROLE_JA[user.role]}"
                f"（{user.role}）です。権限のある利用者で実行してください。",
                f"this needs the {need_en} role; {user.name} is {user.role}. "
                "Run it as a user who has that role.",
            )
        return user

    def add_user(
        self,
        name: str,
        display_name: str,
        role: str,
        password: str,
        by: str | User | None = None,
    ) -> User:
        """Add a user; the very first user (``by=None``) must be an admin.

        Args:
            name: login name (no spaces or slashes).
            display_name: the name printed on sign-offs (e.g. 山田 太郎).
            role: ``auditor``, ``lead`` or ``admin``.
            password: at least 8 characters; only its salted scrypt hash is stored.
            by: the acting admin; None only to create the first user.

        Returns:
            The new user.

        Raises:
            UserError: bad name, role or password; the name is taken; ``by`` is not an admin.

        """
        if not _NAME.match(name or ""):
            raise UserError(
                "利用者名は空白や / を含まない64文字以内にしてください。",
                "a user name must be 1 to 64 characters without spaces or slashes.",
            )
        if role not in ROLES:
            raise UserError(
                f"役割は {', '.join(ROLES)} のいずれかにしてください。",
                f"the role must be one of {', '.join(ROLES)}.",
            )
        record = _hash_password(password)  # before the transaction: scrypt is slow on purpose

        def tx(conn: sqlite3.Connection) -> User:
            if by is None:
                if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                    raise UserError(
                        "利用者の追加は管理者だけができます。--user で管理者を指定してください。",
                        "only an admin can add users; name the acting admin with --user.",
                    )
                if role != "admin":
                    raise UserError(
                        "最初の利用者は管理者（admin）にしてください。",
                        "the first user must be an admin (--role admin).",
                    )
                actor = name
            else:
                actor = self._require(conn, by, "admin").name
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserError(
                    f"利用者「{name}」は既に登録されています。別の名前にしてください。",
                    f"user {name!r} already exists; choose another name.",
                )
            now = _now()
            creator = None if by is None else actor
            conn.execute(
                "INSERT INTO users (name, display_name, role, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, (display_name or "").strip() or name, role, now, creator),
            )
            self._insert_password(conn, name, 1, record, now, creator)
            _append(conn, actor, "user_add", subject=name, version=1)
            return self._user(conn, name)

        return self._write(tx)

    @staticmethod
    def _insert_password(
        conn: sqlite3.Connection,
        name: str,
        version: int,
        record: dict[str, Any],
        now: str,
        by: str | None,
    ) -> None:
        conn.execute(
            "INSERT INTO passwords (user, version, algorithm, n, r, p, salt, hash, set_at, set_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                version,
                record["algorithm"],
                record["n"],
                record["r"],
                record["p"],
                record["salt"],
                record["hash"],
                now,
                by,
            ),
        )

    def set_password(self, name: str, password: str, by: str | User) -> None:
        """Give ``name`` a new password (a new record; the old one stays, unused).

        Args:
            name: whose password.
            password: the new password (at least 8 characters).
            by: ``name`` themselves or an admin.

        Raises:
            UserError: unknown user, short password, or ``by`` may not change it.

        """
        record = _hash_password(password)

        def tx(conn: sqlite3.Connection) -> None:
            actor = self._user(conn, by.name if isinstance(by, User) else by)
            if actor.name != name:
                self._require(conn, actor.name, "admin")
            self._user(conn, name)
            (last,) = conn.execute(
                "SELECT MAX(version) FROM passwords WHERE user = ?", (name,)
            ).fetchone()
            self._insert_password(conn, name, last + 1, record, _now(), actor.name)
            _append(conn, actor.name, "passwd", subject=name, version=last + 1)

        self._write(tx)

    def authenticate(self, name: str, password: str) -> User:
        """The user, if ``password`` is theirs.

        Raises:
            UserError: unknown name or wrong password (the message does not say which).

        """

        def tx(conn: sqlite3.Connection) -> tuple[sqlite3.Row | None, sqlite3.Row | None]:
            user = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
            record = conn.execute(
                "SELECT * FROM passwords WHERE user = ? ORDER BY version DESC LIMIT 1", (name,)
            ).fetchone()
            return user, record

        user, record = self._read(tx)
        if user is None or record is None or record["algorithm"] != "scrypt":
            _scrypt(password, b"\0" * SALT_BYTES, **SCRYPT)  # same cost whether or not it exists
            ok = False
        else:
            digest = _scrypt(
                password, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"]
            )
            ok = hmac.compare_digest(digest, bytes.fromhex(record["hash"]))
        if not ok:
            raise UserError(
                "利用者名またはパスワードが違います。確かめてもう一度入力してください。",
                "wrong user name or password; check them and try again.",
            )
        return User(**dict(user))  # type: ignore[arg-type]

    def get_user(self, name: str) -> User:
        """One user.

        Raises:
            UserError: no such user.

        """
        return self._read(lambda conn: self._user(conn, name))

    def require(self, who: str | User, *roles: str) -> User:
        """The user, if it holds one of ``roles``.

        Raises:
            UserError: no such user, or another role (named in both languages).

        """
        return self._read(lambda conn: self._require(conn, who, *roles))

    def list_users(self) -> list[User]:
        """All users, by name."""
        rows = self._read(lambda c: c.execute("SELECT * FROM users ORDER BY name").fetchall())
        return [User(**dict(r)) for r in rows]

    # --- runs and drafts ---

    def record_run(
        self,
        task: str,
        inputs: dict[str, Any],
        *,
        settings_digest: str,
        drafter: str,
        model: str,
        prompt: str,
        prompt_version: str,
        prompt_hash: str,
        evidence_ids: Iterable[str],
        user: str | User,
    ) -> int:
        """Record one task run (the keyword fields match ``schemas.Provenance``).

        Args:
            task: e.g. ``checklist`` or ``findings``.
            inputs: document ids and sha256s, checklist path, contract … (JSON; paths as text).
            settings_digest: digest of the settings the run used.
            drafter: ``evidence`` or ``llm``.
            model: the model name (or the drafter's name when no LLM).
            prompt: prompt name.
            prompt_version: prompt version.
            prompt_hash: hash of the rendered template.
            evidence_ids: clause ids the drafts rest on.
            user: who ran it (an auditor or a lead).

        Returns:
            The run's id.

        Raises:
            UserError: unknown user or one without the auditor/lead role.

        """
        inputs_json = json.dumps(inputs, ensure_ascii=False, default=str)
        evidence_json = json.dumps(list(evidence_ids), ensure_ascii=False)
        task = _require_text(task, "タスク名", "a task name")

        def tx(conn: sqlite3.Connection) -> int:
            actor = self._require(conn, user, "auditor", "lead").name
            cur = conn.execute(
                "INSERT INTO runs (task, inputs, settings_digest, drafter, model, prompt, "
                "prompt_version, prompt_hash, evidence_ids, user, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task,
                    inputs_json,
                    settings_digest,
                    drafter,
                    model,
                    prompt,
                    prompt_version,
                    prompt_hash,
                    evidence_json,
                    actor,
                    _now(),
                ),
            )
            run_id = int(cur.lastrowid)  # type: ignore[arg-type]
            _append(conn, actor, "run", run_id=run_id)
            return run_id

        return self._write(tx)

    def get_run(self, run_id: int) -> Run:
        """One run.

        Raises:
            UserError: no such run.

        """
        row = self._read(
            lambda c: c.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        )
        if row is None:
            raise UserError(f"実行記録 {run_id} はありません。", f"there is no run {run_id}.")
        data = dict(row)
        data["inputs"] = json.loads(data["inputs"])
        data["evidence_ids"] = json.loads(data["evidence_ids"])
        return Run(**data)

    def add_draft(
        self,
        run_id: int,
        kind: str,
        key: str,
        payload: BaseModel | dict[str, Any],
        user: str | User,
    ) -> int:
        """Store a drafter's output as version 1 of a new draft.

        Args:
            run_id: the run that made it (``record_run``).
            kind: ``checklist_judgement``, ``finding``, ``answer`` … (lower-case name).
            key: what it is about, e.g. ``C-2026-001/1-1-1`` or ``福祉政策課/3``.
            payload: the validated draft (a model or its JSON dict).
            user: who ran the task (an auditor or a lead).

        Returns:
            The draft's id.

        Raises:
            UserError: bad kind or key, a payload that does not fit the kind's model, unknown
                run or user, or a user without the auditor/lead role.

        """
        if not _KIND.match(kind or ""):
            raise UserError(
                "種類は英小文字と _ の名前にしてください（例: finding）。",
                "a kind is a lower-case name with underscores (e.g. finding).",
            )
        key = _require_text(
            key, "下書きのキー（例: C-2026-001/1-1-1）", "a key (e.g. C-2026-001/1-1-1)"
        )
        text = json.dumps(_payload(kind, payload), ensure_ascii=False)

        def tx(conn: sqlite3.Connection) -> int:
            actor = self._require(conn, user, "auditor", "lead").name
            if not conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise UserError(
                    f"実行記録 {run_id} はありません。先に record_run で記録してください。",
                    f"there is no run {run_id}; record it with record_run first.",
                )
            now = _now()
            cur = conn.execute(
                "INSERT INTO drafts (run_id, kind, key, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, kind, key, now, actor),
            )
            draft_id = int(cur.lastrowid)  # type: ignore[arg-type]
            conn.execute(
                "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
                "VALUES (?, 1, ?, ?, ?, '')",
                (draft_id, text, actor, now),
            )
            _append(conn, actor, "create", run_id=run_id, draft_id=draft_id, version=1)
            return draft_id

        return self._write(tx)

    # --- review ---

    @staticmethod
    def _state(conn: sqlite3.Connection, draft_id: int) -> tuple[sqlite3.Row, str, sqlite3.Row]:
        """The draft row, its status and its latest version row."""
        draft = conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if draft is None:
            raise _unknown_draft(draft_id)
        last = conn.execute(
            "SELECT action FROM log WHERE draft_id = ? AND action IN "
            f"({', '.join('?' * len(STATUS_OF))}) ORDER BY seq DESC LIMIT 1",
            (draft_id, *STATUS_OF),
        ).fetchone()
        latest = conn.execute(
            "SELECT * FROM versions WHERE draft_id = ? ORDER BY version DESC LIMIT 1", (draft_id,)
        ).fetchone()
        return draft, STATUS_OF[last["action"]] if last else "draft", latest

    @staticmethod
    def _must_be_draft(draft_id: int, status: str) -> None:
        if status != "draft":
            raise UserError(
                f"下書き {draft_id} は確定済み（{status}）です。変更するには先に"
                f" `copilot review reopen {draft_id} --comment 理由` で差し戻してください。",
                f"draft {draft_id} is already {status}; reopen it first with "
                f"`copilot review reopen {draft_id} --comment REASON`.",
            )

    def edit(
        self,
        draft_id: int,
        new_payload: BaseModel | dict[str, Any],
        user: str | User,
        comment: str = "",
    ) -> int:
        """Add an edited version; the earlier ones stay as they were.

        Args:
            draft_id: the draft (in status draft).
            new_payload: the whole new content, validated against the kind's model.
            user: an auditor or a lead.
            comment: why it was changed.

        Returns:
            The new version number.

        Raises:
            UserError: unknown draft, signed off already, unchanged or invalid content, or a
                user without the auditor/lead role.

        """

        def tx(conn: sqlite3.Connection) -> int:
            actor = self._require(conn, user, "auditor", "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            data = _payload(draft["kind"], new_payload)
            old = json.loads(latest["payload"])
            if data.get("provenance") is None and old.get("provenance") is not None:
                data["provenance"] = old["provenance"]  # an editor may leave it out
            if data.get("provenance") != old.get("provenance"):
                raise UserError(
                    "出所情報（provenance）は修正できません。元の値のままにするか、項目ごと"
                    "省いてください。",
                    "the provenance cannot be edited; keep it as it was or leave it out.",
                )
            if _canonical(data) == _canonical(old):
                raise UserError(
                    f"下書き {draft_id} の内容が変わっていません。修正した内容を渡してください。",
                    f"the content of draft {draft_id} is unchanged; give the edited content.",
                )
            version = latest["version"] + 1
            conn.execute(
                "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (draft_id, version, json.dumps(data, ensure_ascii=False), actor, _now(), comment),
            )
            _append(
                conn,
                actor,
                "edit",
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=version,
                comment=comment,
            )
            return version

        return self._write(tx)

    def approve(self, draft_id: int, user: str | User, comment: str = "") -> str:
        """Sign off the latest version.

        Args:
            draft_id: the draft (in status draft).
            user: a lead (主任担当者).
            comment: optional remark.

        Returns:
            ``approve``, or ``approve_with_edits`` when the latest version is not the drafter's.

        Raises:
            UserError: unknown draft, already signed off, or the user is not a lead.

        """

        def tx(conn: sqlite3.Connection) -> str:
            actor = self._require(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            (original,) = conn.execute(
                "SELECT payload FROM versions WHERE draft_id = ? AND version = 1", (draft_id,)
            ).fetchone()
            same = _canonical(json.loads(original)) == _canonical(json.loads(latest["payload"]))
            action = "approve" if same else "approve_with_edits"
            _append(
                conn,
                actor,
                action,
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=latest["version"],
                comment=comment,
            )
            return action

        return self._write(tx)

    def reject(self, draft_id: int, user: str | User, comment: str) -> None:
        """Reject the latest version, saying why.

        Raises:
            UserError: no comment, unknown draft, already signed off, or not a lead.

        """
        comment = _require_text(comment, "却下の理由（--comment）", "a reason (--comment)")

        def tx(conn: sqlite3.Connection) -> None:
            actor = self._require(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            _append(
                conn,
                actor,
                "reject",
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=latest["version"],
                comment=comment,
            )

        self._write(tx)

    def reopen(self, draft_id: int, user: str | User, reason: str) -> int:
        """Put a signed-off draft back in draft, as a new version (a copy of the latest).

        Returns:
            The new version number.

        Raises:
            UserError: no reason, unknown draft, still a draft, or a user without the
                auditor/lead role.

        """
        reason = _require_text(reason, "差し戻す理由（--comment）", "a reason (--comment)")

        def tx(conn: sqlite3.Connection) -> int:
            actor = self._require(conn, user, "auditor", "lead").name
            draft, status, latest = self._state(conn, draft_id)
            if status == "draft":
                raise UserError(
                    f"下書き {draft_id} はまだ確定していないので、差し戻す必要はありません。",
                    f"draft {draft_id} is not signed off yet; there is nothing to reopen.",
                )
            version = latest["version"] + 1
            conn.execute(
                "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (draft_id, version, latest["payload"], actor, _now(), reason),
            )
            _append(
                conn,
                actor,
                "reopen",
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=version,
                comment=reason,
            )
            return version

        return self._write(tx)

    # --- reading ---

    def _drafts(self, where: str, args: tuple[object, ...]) -> list[Draft]:
        def tx(conn: sqlite3.Connection) -> list[Draft]:
            names = {r["name"]: r["display_name"] for r in conn.execute("SELECT * FROM users")}
            drafts = conn.execute(f"SELECT * FROM drafts {where} ORDER BY id", args).fetchall()
            chosen = f"SELECT id FROM drafts {where}"
            versions: dict[int, list[Version]] = {}
            for v in conn.execute(
                f"SELECT * FROM versions WHERE draft_id IN ({chosen}) ORDER BY draft_id, version",
                args,
            ):
                versions.setdefault(v["draft_id"], []).append(
                    Version(
                        draft_id=v["draft_id"],
                        version=v["version"],
                        payload=json.loads(v["payload"]),
                        author=v["author"],
                        author_display=names.get(v["author"], v["author"]),
                        created_at=v["created_at"],
                        comment=v["comment"],
                    )
                )
            logs: dict[int, list[LogRecord]] = {}
            for r in conn.execute(
                f"SELECT * FROM log WHERE draft_id IN ({chosen}) ORDER BY seq", args
            ):
                logs.setdefault(r["draft_id"], []).append(
                    LogRecord(**dict(r), actor_display=names.get(r["actor"], r["actor"]))
                )
            out = []
            for d in drafts:
                if d["id"] not in versions:
                    continue  # inserted behind the store's back; verify() reports it
                log = logs.get(d["id"], [])
                statuses = [STATUS_OF[r.action] for r in log if r.action in STATUS_OF]
                out.append(
                    Draft(
                        **dict(d),
                        status=statuses[-1] if statuses else "draft",
                        versions=tuple(versions[d["id"]]),
                        log=tuple(log),
                    )
                )
            return out

        return self._read(tx)

    def list_drafts(
        self,
        status: str | Iterable[str] | None = None,
        kind: str | None = None,
        key_prefix: str | None = None,
    ) -> list[Draft]:
        """Drafts with their versions and log, oldest first, optionally filtered.

        Args:
            status: one status or several (``draft``, ``approved``, ``approved_with_edits``,
                ``rejected``).
            kind: e.g. ``finding``.
            key_prefix: e.g. ``C-2026-001/``.

        Raises:
            UserError: an unknown status.

        """
        wanted = {status} if isinstance(status, str) else set(status or ())
        unknown = wanted - set(STATUSES)
        if unknown:
            raise UserError(
                f"状態 {', '.join(sorted(unknown))} はありません（{', '.join(STATUSES)}）。",
                f"unknown status {', '.join(sorted(unknown))}; use one of {', '.join(STATUSES)}.",
            )
        clauses, args = [], []
        if kind:
            clauses.append("kind = ?")
            args.append(kind)
        if key_prefix:
            clauses.append("substr(key, 1, ?) = ?")
            args += [len(key_prefix), key_prefix]
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        drafts = self._drafts(where, tuple(args))
        return [d for d in drafts if not wanted or d.status in wanted]

    def get_draft(self, draft_id: int) -> Draft:
        """One draft with all its versions and log records.

        Raises:
            UserError: no such draft.

        """
        found = self._drafts("WHERE id = ?", (draft_id,))
        if not found:
            raise _unknown_draft(draft_id)
        return found[0]

    def history(self, draft_id: int) -> list[LogRecord]:
        """The log records of one draft, oldest first.

        Raises:
            UserError: no such draft.

        """
        return list(self.get_draft(draft_id).log)

    def diff(self, draft_id: int, v1: int, v2: int) -> str:
        """A unified diff of two versions' pretty-printed JSON ("" when they are the same).

        Raises:
            UserError: no such draft or version.

        """
        versions = {v.version: v for v in self.get_draft(draft_id).versions}
        for v in (v1, v2):
            if v not in versions:
                raise UserError(
                    f"下書き {draft_id} に第{v}版はありません（第1〜{len(versions)}版）。",
                    f"draft {draft_id} has no version {v} (1 to {len(versions)}).",
                )
        return "".join(
            difflib.unified_diff(
                _pretty(versions[v1].payload).splitlines(keepends=True),
                _pretty(versions[v2].payload).splitlines(keepends=True),
                fromfile=f"draft {draft_id} v{v1}",
                tofile=f"draft {draft_id} v{v2}",
            )
        )

    def verify(self) -> Verification:
        """Re-derive every hash of the log from the stored rows.

        Returns:
            ``ok=True`` with the record count and head hash, or the first bad record's seq and
            why (``bad_seq`` is None for a content row that no record vouches for).

        """

        def tx(conn: sqlite3.Connection) -> Verification:
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

        return self._read(tx)


def open_store(settings: Settings) -> ReviewStore:
    """The review store in ``settings.data_dir`` (created on first use).

    Raises:
        UserError: the file is not a review store, or is newer than this program.

    """
    return ReviewStore(Path(settings.data_dir) / STORE_FILE)
