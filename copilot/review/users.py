"""Users and roles, passwords, and logins with their throttle, lockout and unlock.

Only a ``lead`` (主任担当者) signs off; an ``auditor`` runs tasks, edits and proposes; an
``admin`` manages users. Passwords are kept only as salted scrypt hashes, each a new row of
``passwords`` vouched for by a log record (``user_add``, ``passwd``); the old ones stay, unused.
``user`` arguments take a name or a ``User``; the role is read afresh in each transaction
(``require_role``).

Logins: every attempt is a row of ``logins`` (name, client address, time); a success, a failure
for a real user, a lockout and an unlock are also log records (``login``, ``login_failed``,
``lockout``, ``unlock``) that vouch for that row. After ``THROTTLE_AFTER`` consecutive failures
for a name or from an address, each further attempt is refused, its password unchecked, until
2, 4, 8 … seconds have passed since the last failure; after ``LOCK_AFTER`` for a name it is locked
until an admin runs ``copilot users unlock NAME``. A success resets the streak. Names that are no
user are throttled and locked alike (kept as a hash), so the answers do not tell names apart.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from copilot.errors import UserError
from copilot.review.db import Transactions
from copilot.review.log import append, now, sha

__all__ = [
    "LOCK_AFTER",
    "ROLES",
    "ROLE_JA",
    "THROTTLE_AFTER",
    "LoginState",
    "User",
    "Users",
    "require_role",
]

ROLES = ("auditor", "lead", "admin")
ROLE_JA = {"auditor": "監査担当者", "lead": "主任担当者", "admin": "管理者"}
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SALT_BYTES = 16
MIN_PASSWORD = 8
# Logins: failures in a row before each attempt waits; before a name is locked; the longest wait.
THROTTLE_AFTER = 5
LOCK_AFTER = 10
MAX_DELAY_S = 900
_NAME = re.compile(r"^[^\s/\\]{1,64}$")


@dataclass(frozen=True)
class User:
    """A person who uses the copilot (never their password)."""

    name: str
    display_name: str
    role: str
    created_at: str
    created_by: str | None


@dataclass(frozen=True)
class LoginState:
    """How a user's logins stand: the last success, the failures since, and a lock."""

    name: str
    last_login: str | None
    last_address: str | None
    failures: int
    locked: bool


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


def _user(conn: sqlite3.Connection, name: str) -> User:
    row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise _unknown_user(name)
    return User(**dict(row))


def require_role(conn: sqlite3.Connection, who: str | User, *roles: str) -> User:
    """The acting user, read afresh, if it holds one of ``roles``."""
    user = _user(conn, who.name if isinstance(who, User) else who)
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


class Users(Transactions):
    """The store's users, passwords and logins (a part of ``ReviewStore``)."""

    _clock: Callable[[], float]

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
                actor = require_role(conn, by, "admin").name
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UserError(
                    f"利用者「{name}」は既に登録されています。別の名前にしてください。",
                    f"user {name!r} already exists; choose another name.",
                )
            at = now()
            creator = None if by is None else actor
            conn.execute(
                "INSERT INTO users (name, display_name, role, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, (display_name or "").strip() or name, role, at, creator),
            )
            self._insert_password(conn, name, 1, record, at, creator)
            append(conn, actor, "user_add", subject=name, version=1)
            return _user(conn, name)

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
            actor = _user(conn, by.name if isinstance(by, User) else by)
            if actor.name != name:
                require_role(conn, actor.name, "admin")
            _user(conn, name)
            (last,) = conn.execute(
                "SELECT MAX(version) FROM passwords WHERE user = ?", (name,)
            ).fetchone()
            self._insert_password(conn, name, last + 1, record, now(), actor.name)
            append(conn, actor.name, "passwd", subject=name, version=last + 1)

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
        return "sha256:" + sha(name)  # a mistyped password in the name field is not kept

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
            append(conn, key, "login", version=row, subject=key, comment=address)
            return _user(conn, key)
        if key == name:
            append(conn, key, "login_failed", version=attempt, subject=key, comment=address)
        nth, _ = _streak(conn, "name", key, ("ok", "unlock"), upto=attempt)
        if nth == LOCK_AFTER and key == name:
            append(conn, key, "lockout", version=attempt, subject=key, comment=address)
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
            actor = require_role(conn, by, "admin").name
            _user(conn, name)
            if _streak(conn, "name", name, ("ok", "unlock"))[0] == 0:
                raise UserError(
                    f"利用者「{name}」はロックされていません（ログインの失敗はありません）。",
                    f"{name!r} is not locked (no failed logins since the last success).",
                )
            row = self._login_row(conn, name, address, "unlock", actor)
            append(conn, actor, "unlock", version=row, subject=name, comment=address)

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
        return self._read(lambda conn: _user(conn, name))

    def require(self, who: str | User, *roles: str) -> User:
        """The user, if it holds one of ``roles``.

        Raises:
            UserError: no such user, or another role (named in both languages).

        """
        return self._read(lambda conn: require_role(conn, who, *roles))

    def list_users(self) -> list[User]:
        """All users, by name."""
        rows = self._read(lambda c: c.execute("SELECT * FROM users ORDER BY name").fetchall())
        return [User(**dict(r)) for r in rows]
