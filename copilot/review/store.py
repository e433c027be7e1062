"""The review store: users, task runs, drafts and their versions, and the sign-off log.

One SQLite file, ``<data_dir>/review.sqlite`` (WAL, foreign keys on, a busy timeout), whose
tables only ever grow: triggers refuse every UPDATE and DELETE (``copilot.review.migrations``). A draft
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
    login(name, password, address) -> User   (throttled and recorded; the way in)
    unlock(name, by, address="cli") -> None;  login_states() -> dict[str, LoginState]
    authenticate(name, password) -> User   (the bare password check: no throttle, no record)
    set_password(name, password, by) -> None
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

Logins: every attempt is a row of ``logins`` (name, client address, time); a success, a failure
for a real user, a lockout and an unlock are also log records (``login``, ``login_failed``,
``lockout``, ``unlock``) that vouch for that row. After ``THROTTLE_AFTER`` consecutive failures
for a name or from an address, each further attempt is refused, its password unchecked, until
2, 4, 8 … seconds have passed since the last failure; after ``LOCK_AFTER`` for a name it is locked
until an admin runs ``copilot users unlock NAME``. A success resets the streak. Names that are no
user are throttled and locked alike (kept as a hash), so the answers do not tell names apart.

Separation of duties (``separate_duties``, on by default): nobody approves a draft whose content
they wrote (ran the task that drafted it, or edited a version). With it off, such a sign-off is
allowed and its log record says so (``subject`` = ``self_approval``).

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
import math
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
from copilot.review.migrations import migrate
from copilot.schemas import Answer, ChecklistJudgement, Finding, PolicyAdvice, PolicyGap
from copilot.settings import Settings
from ingest.permissions import private_mkdir

__all__ = [
    "DRAFT_MODELS",
    "ROLES",
    "ROLE_JA",
    "RUN_FIELDS",
    "SELF_APPROVAL",
    "STATUSES",
    "STORE_FILE",
    "Draft",
    "LogRecord",
    "LoginState",
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
# Logins: failures in a row before each attempt waits; before a name is locked; the longest wait.
THROTTLE_AFTER = 5
LOCK_AFTER = 10
MAX_DELAY_S = 900
LOGIN_ACTIONS = ("login", "login_failed", "lockout", "unlock")
SELF_APPROVAL = "self_approval"  # the subject of a sign-off made with separate_duties off
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
class LoginState:
    """How a user's logins stand: the last success, the failures since, and a lock."""

    name: str
    last_login: str | None
    last_address: str | None
    failures: int
    locked: bool


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


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def _wrong_login(wait: float) -> UserError:
    """The one answer to a wrong name or a wrong password (with the wait, once there is one)."""
    if wait <= 0:
        return UserError(
            "利用者名またはパスワードが違います。確かめてもう一度入力してください。",
            "wrong user name or password; check them and try again.",
        )
    n = _seconds(wait)
    return UserError(
        f"利用者名またはパスワードが違います。失敗が続いたため、{n}秒待ってから確かめて"
        "もう一度入力してください。",
        f"wrong user name or password; wait {n} seconds, then check them and try again.",
    )


def _throttled(wait: float) -> UserError:
    n = _seconds(wait)
    return UserError(
        f"ログインの失敗が続いたため受け付けませんでした（パスワードは確かめていません）。{n}秒"
        "待ってからもう一度入力してください。",
        f"too many failed logins: this attempt was refused unchecked; wait {n} seconds, then "
        "try again.",
    )


def _locked(name: str) -> UserError:
    return UserError(
        f"利用者「{name}」はログインの失敗が続いたためロックされています。管理者に"
        f" `copilot users unlock {name}` を実行してもらってください。",
        f"{name!r} is locked after too many failed logins; ask an admin to run "
        f"`copilot users unlock {name}`.",
    )


def _delay(failures: int) -> float:
    """Seconds an attempt waits after the last of ``failures`` failures in a row (0: none)."""
    if failures < THROTTLE_AFTER:
        return 0.0
    return float(min(MAX_DELAY_S, 2 ** (failures - THROTTLE_AFTER + 1)))


def _streak(
    conn: sqlite3.Connection,
    column: str,
    value: str,
    resets: tuple[str, ...],
    upto: int | None = None,
) -> tuple[int, float]:
    """Failed attempts for ``column = value`` since its last reset, and the last one's time.

    An attempt row is written before its password is checked and a success adds an ``ok`` row
    after it, so every attempt that has not (yet) succeeded counts: parallel guesses included.
    ``upto`` stops the count at that row (which failure in the streak it was).
    """
    marks = ", ".join("?" * len(resets))
    (since,) = conn.execute(
        f"SELECT COALESCE(MAX(id), 0) FROM logins WHERE {column} = ? AND outcome IN ({marks})",
        (value, *resets),
    ).fetchone()
    count, last = conn.execute(
        f"SELECT COUNT(*), MAX(epoch) FROM logins WHERE {column} = ? AND outcome = 'attempt' "
        "AND id > ? AND id <= ?",
        (value, since, upto if upto is not None else 2**62),
    ).fetchone()
    return int(count), float(last or 0.0)


def _password_matches(record: sqlite3.Row | None, password: str) -> bool:
    """Whether ``password`` fits the scrypt record (the same cost when there is none)."""
    if record is None or record["algorithm"] != "scrypt":
        _scrypt(password, b"\0" * SALT_BYTES, **SCRYPT)
        return False
    digest = _scrypt(password, bytes.fromhex(record["salt"]), record["n"], record["r"], record["p"])
    return hmac.compare_digest(digest, bytes.fromhex(record["hash"]))


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
    if action in LOGIN_ACTIONS:
        login = one(
            "SELECT * FROM logins WHERE id = ? AND name = ?", row["version"], row["subject"]
        )
        return {"login": login} if login else None
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
    if row["action"] in LOGIN_ACTIONS:
        return f"ログイン記録 {row['version']}", f"login row {row['version']}"
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
    (
        "SELECT 'logins', id FROM logins g WHERE outcome IN ('ok', 'unlock') AND NOT EXISTS "
        "(SELECT 1 FROM log l WHERE l.version = g.id AND l.subject = g.name "
        "AND l.action IN ('login', 'unlock'))"
    ),
)


# --- the store -------------------------------------------------------------------------------


class ReviewStore:
    """The review store in one SQLite file (see the module docstring)."""

    def __init__(
        self,
        path: Path | str,
        *,
        separate_duties: bool = True,
        now: Callable[[], float] = time.time,
    ) -> None:
        """Open (creating the folder and file if needed) and migrate the store at ``path``.

        Args:
            path: the SQLite file; its folder is created owner-only (0700) if missing.
            separate_duties: refuse a sign-off by someone who wrote the draft's content.
            now: the login throttle's clock (seconds since the epoch); tests pass their own.

        Raises:
            UserError: the file is not a review store, or is newer than this program.

        """
        self.path = Path(path)
        self.separate_duties = separate_duties
        self._clock = now
        private_mkdir(self.path.parent)
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
        if not _password_matches(record if user else None, password):
            raise _wrong_login(0)
        return User(**dict(user))  # type: ignore[arg-type]

    # --- logins ---

    @staticmethod
    def _login_key(conn: sqlite3.Connection, name: str) -> str:
        """The name a login row is kept under: the user's, or a hash of a name that is no user."""
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            return name
        return "sha256:" + _sha(name)  # a mistyped password in the name field is not kept

    def _login_row(
        self,
        conn: sqlite3.Connection,
        key: str,
        address: str,
        outcome: str,
        actor: str | None = None,
    ) -> int:
        epoch = self._clock()
        at = datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
        cur = conn.execute(
            "INSERT INTO logins (at, epoch, name, address, outcome, actor) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (at, epoch, key, address, outcome, actor),
        )
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def _wait(self, conn: sqlite3.Connection, key: str, address: str) -> float:
        """Seconds left before the name and the address may try again (0: now)."""
        now = self._clock()
        streaks = [_streak(conn, "name", key, ("ok", "unlock"))]
        if address:  # an unknown address is no key: it would throttle everyone at once
            streaks.append(_streak(conn, "address", address, ("ok",)))
        return max(0.0, *(last + _delay(n) - now for n, last in streaks))

    def _start_login(
        self, conn: sqlite3.Connection, name: str, address: str
    ) -> UserError | tuple[int, sqlite3.Row | None]:
        """Record the attempt (or its refusal); returns the refusal, or the row and password."""
        key = self._login_key(conn, name)
        if _streak(conn, "name", key, ("ok", "unlock"))[0] >= LOCK_AFTER:
            refusal: UserError | None = _locked(name)
        else:
            wait = self._wait(conn, key, address)
            refusal = _throttled(wait) if wait > 0 else None
        row = self._login_row(conn, key, address, "refused" if refusal else "attempt")
        if refusal is not None:
            return refusal
        record = conn.execute(
            "SELECT * FROM passwords WHERE user = ? ORDER BY version DESC LIMIT 1", (key,)
        ).fetchone()
        return row, record

    def _finish_login(
        self, conn: sqlite3.Connection, name: str, address: str, attempt: int, ok: bool
    ) -> User | UserError:
        """Record the outcome of a checked attempt; returns the user or the error to raise."""
        key = self._login_key(conn, name)
        if ok:
            row = self._login_row(conn, key, address, "ok")
            _append(conn, key, "login", version=row, subject=key, comment=address)
            return self._user(conn, key)
        if key == name:
            _append(conn, key, "login_failed", version=attempt, subject=key, comment=address)
        nth, _ = _streak(conn, "name", key, ("ok", "unlock"), upto=attempt)
        if nth == LOCK_AFTER and key == name:
            _append(conn, key, "lockout", version=attempt, subject=key, comment=address)
        if _streak(conn, "name", key, ("ok", "unlock"))[0] >= LOCK_AFTER:
            return _locked(name)
        return _wrong_login(self._wait(conn, key, address))

    def login(self, name: str, password: str, address: str) -> User:
        """Log in: authenticate, throttled per name and per client address, and record it.

        Nothing sleeps: a throttled attempt is refused at once, its password unchecked.

        Args:
            name: the user name as typed.
            password: the password as typed.
            address: the client's address (an IP, or ``cli``); "" when unknown (then only the
                name is throttled).

        Returns:
            The user.

        Raises:
            UserError: wrong name or password (one answer for both), too many failures (wait N
                seconds), or a locked name (ask an admin to run ``copilot users unlock NAME``).

        """
        address = (address or "").strip()[:200]
        started = self._write(lambda conn: self._start_login(conn, name, address))
        if isinstance(started, UserError):
            raise started
        attempt, record = started
        ok = _password_matches(record, password)  # outside the lock: scrypt is slow on purpose
        result = self._write(lambda conn: self._finish_login(conn, name, address, attempt, ok))
        if isinstance(result, UserError):
            raise result
        return result

    def unlock(self, name: str, by: str | User, address: str = "cli") -> None:
        """Lift a lock (or a wait) on ``name`` after failed logins; recorded in the log.

        Raises:
            UserError: ``by`` is not an admin, no such user, or nothing to lift.

        """

        def tx(conn: sqlite3.Connection) -> None:
            actor = self._require(conn, by, "admin").name
            self._user(conn, name)
            if _streak(conn, "name", name, ("ok", "unlock"))[0] == 0:
                raise UserError(
                    f"利用者「{name}」はロックされていません（ログインの失敗はありません）。",
                    f"{name!r} is not locked (no failed logins since the last success).",
                )
            row = self._login_row(conn, name, address, "unlock", actor)
            _append(conn, actor, "unlock", version=row, subject=name, comment=address)

        self._write(tx)

    def login_states(self) -> dict[str, LoginState]:
        """Each user's last login, failures since and lock, by name."""

        def tx(conn: sqlite3.Connection) -> dict[str, LoginState]:
            out = {}
            for (name,) in conn.execute("SELECT name FROM users ORDER BY name").fetchall():
                last = conn.execute(
                    "SELECT at, address FROM logins WHERE name = ? AND outcome = 'ok' "
                    "ORDER BY id DESC LIMIT 1",
                    (name,),
                ).fetchone()
                failures, _ = _streak(conn, "name", name, ("ok", "unlock"))
                out[name] = LoginState(
                    name,
                    last["at"] if last else None,
                    last["address"] if last else None,
                    failures,
                    failures >= LOCK_AFTER,
                )
            return out

        return self._read(tx)

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
            UserError: unknown draft, already signed off, the user is not a lead, or (with
                ``separate_duties``) the user wrote the draft's content.

        """

        def tx(conn: sqlite3.Connection) -> str:
            actor = self._require(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            own = self._own_work(conn, draft_id, actor, latest)
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
                subject=SELF_APPROVAL if own else None,
                comment=comment,
            )
            return action

        return self._write(tx)

    def _own_work(
        self, conn: sqlite3.Connection, draft_id: int, actor: str, latest: sqlite3.Row
    ) -> bool:
        """Whether ``actor`` wrote the draft's content; refused while duties are separate."""
        (wrote,) = conn.execute(
            "SELECT COUNT(*) FROM log WHERE draft_id = ? AND actor = ? "
            "AND action IN ('create', 'edit')",
            (draft_id, actor),
        ).fetchone()
        own = bool(wrote) or latest["author"] == actor
        if own and self.separate_duties:
            raise UserError(
                f"下書き {draft_id} は {actor} が作成・修正したものなので、{actor} は承認できま"
                "せん（職務の分離）。別の主任担当者に承認を依頼してください。一人で運用する場合は"
                "設定 COPILOT_SEPARATE_DUTIES=false で無効にできます（記録に残ります）。",
                f"{actor} drafted or edited draft {draft_id} and may not approve it (separation "
                "of duties); ask another lead to approve it. A one-person team can turn this off "
                "with COPILOT_SEPARATE_DUTIES=false (the sign-off then says so).",
            )
        return own

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
    return ReviewStore(
        Path(settings.data_dir) / STORE_FILE, separate_duties=settings.separate_duties
    )
