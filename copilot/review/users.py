"""Users and roles, passwords, and logins with their throttle, lockout and unlock.

Only a ``lead`` (主任担当者) signs off; an ``auditor`` runs tasks, edits and proposes; an
``admin`` manages users. Passwords are kept only as salted scrypt hashes, each a new row of
``passwords`` vouched for by a log record (``user_add``, ``passwd``); the old ones stay, unused.
``user`` arguments take a name or a ``User``; the role is read afresh in each transaction
(``require_role``).

Logins are throttled per name *and* client address, so that nobody can lock another person out
from elsewhere: ``login_failures`` keeps, for each (name, address), the failures in a row and when
the last one was (one row, updated in place: failed guesses do not grow the store). After
``THROTTLE_AFTER`` of them each further attempt from that address is refused, its password
unchecked, until 2, 4, 8 … seconds have passed; after ``lock_failures`` (the setting
``login_lock_failures``) the name is locked *from that address* for ``lock_minutes``
(``login_lock_minutes``), and the refusal says until when. Failures from one address for any
names (a row with the name "") make its next attempts wait too, but never more than
``ADDRESS_MAX_DELAY_S`` seconds, so that a client guessing names delays the others who share its
address (all of loopback is one address) by a moment only. A success clears its name's and its
address's rows; ``copilot users unlock NAME`` clears the name's rows from every address (and
those addresses' own). Rows
older than the lock are dropped. Names that are no user are throttled and locked alike (kept as
a hash), so the answers do not tell names apart.

What the hash-chained log keeps of logins (each record vouching for a row of the append-only
``logins`` table): every success (``login``), every lock (``lockout``: the failure that locked,
with its address) and every unlock (``unlock``). Stores written before this kept one
``login_failed`` record per failure; they still verify.
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
    "ADDRESS_MAX_DELAY_S",
    "LOCK_AFTER",
    "LOCK_MINUTES",
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
# Logins: failures in a row (of a name from an address) before each attempt waits; the longest
# wait; the defaults of the lock (the settings login_lock_failures and login_lock_minutes); the
# longest wait that failures from an address, for any names, put on the others there.
THROTTLE_AFTER = 5
MAX_DELAY_S = 900
LOCK_AFTER = 10
LOCK_MINUTES = 15
ADDRESS_MAX_DELAY_S = 2.0
ANY_NAME = ""  # the name of an address's own row in login_failures
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
    """How a user's logins stand: the last success, failures since (most from one address), locks.

    ``locked_from`` maps each address the name is locked from to when that lock lifts.
    """

    name: str
    last_login: str | None
    last_address: str | None
    failures: int
    locked: bool
    locked_from: dict[str, str]


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


def _local_time(epoch: float, today: float) -> str:
    """``epoch`` as local HH:MM, rounded up to the minute (with the date when not ``today``)."""
    at = datetime.fromtimestamp(math.ceil(epoch / 60) * 60).astimezone()
    same_day = at.date() == datetime.fromtimestamp(today).astimezone().date()
    return at.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")


def _locked(name: str, address: str, until: str) -> UserError:
    where_ja = f"このアドレス（{address}）から" if address else "この端末から"
    where_en = f"from this address ({address})" if address else "from here"
    return UserError(
        f"利用者「{name}」は{where_ja}のログインの失敗が続いたため、{until} まで一時的に"
        f"ロックされています。{until} を過ぎてからもう一度入力するか、管理者に"
        f" `copilot users unlock {name}` を実行してもらってください。",
        f"{name!r} is locked {where_en} until {until} after too many failed logins; try again "
        f"after {until}, or ask an admin to run `copilot users unlock {name}`.",
    )


def _delay(failures: int, longest: float = MAX_DELAY_S) -> float:
    """Seconds an attempt waits after the last of ``failures`` failures in a row (0: none)."""
    if failures < THROTTLE_AFTER:
        return 0.0
    return float(min(longest, 2 ** (failures - THROTTLE_AFTER + 1)))


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
    lock_failures: int = LOCK_AFTER
    lock_minutes: float = LOCK_MINUTES

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

    def password_version(self, name: str) -> int | None:
        """The number of ``name``'s current password record (it grows with each change).

        None when there is no such user. The UI compares it on every request with the one its
        session started with: a password change ends the user's other sessions.
        """
        (version,) = self._read(
            lambda conn: conn.execute(
                "SELECT MAX(version) FROM passwords WHERE user = ?", (name,)
            ).fetchone()
        )
        return None if version is None else int(version)

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

    def _failures(
        self, conn: sqlite3.Connection, key: str, address: str, now: float
    ) -> sqlite3.Row | None:
        """The streak of ``key`` from ``address`` (None: none, or its lock has run out)."""
        row = conn.execute(
            "SELECT * FROM login_failures WHERE name = ? AND address = ?", (key, address)
        ).fetchone()
        if row is None or (row["locked_until"] is not None and row["locked_until"] <= now):
            return None
        return row

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        """Drop the streaks that no longer hold anything back (older than a lock, unlocked)."""
        horizon = now - max(self.lock_minutes * 60, MAX_DELAY_S)
        conn.execute(
            "DELETE FROM login_failures WHERE (last_epoch < ? AND locked_until IS NULL) "
            "OR locked_until <= ?",
            (horizon, now),
        )

    def _count_failure(
        self, conn: sqlite3.Connection, key: str, address: str, failures: int, now: float
    ) -> None:
        locked_until = (
            now + self.lock_minutes * 60
            if key != ANY_NAME and failures >= self.lock_failures
            else None
        )
        conn.execute(
            "INSERT INTO login_failures (name, address, failures, last_epoch, locked_until) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, address) DO UPDATE SET "
            "failures = excluded.failures, last_epoch = excluded.last_epoch, "
            "locked_until = excluded.locked_until",
            (key, address, failures, now, locked_until),
        )

    def _start_login(
        self, conn: sqlite3.Connection, name: str, address: str
    ) -> UserError | tuple[bool, sqlite3.Row | None]:
        """Count the attempt as a failure until it succeeds (or refuse it unchecked).

        Returns the refusal, or whether this attempt locks the name and its password record.
        Counting before the password is checked makes parallel guesses count too.
        """
        key = self._login_key(conn, name)
        now = self._clock()
        self._prune(conn, now)
        pair = self._failures(conn, key, address, now)
        if pair is not None and pair["locked_until"] is not None:
            return _locked(name, address, _local_time(pair["locked_until"], now))
        waits = [0.0]
        if pair is not None:
            waits.append(pair["last_epoch"] + _delay(pair["failures"]) - now)
        spread = self._failures(conn, ANY_NAME, address, now) if address else None
        if spread is not None:
            waits.append(
                spread["last_epoch"] + _delay(spread["failures"], ADDRESS_MAX_DELAY_S) - now
            )
        if max(waits) > 0:
            return _throttled(max(waits))
        failures = (pair["failures"] if pair is not None else 0) + 1
        self._count_failure(conn, key, address, failures, now)
        if address:
            self._count_failure(
                conn, ANY_NAME, address, (spread["failures"] if spread else 0) + 1, now
            )
        record = conn.execute(
            "SELECT * FROM passwords WHERE user = ? ORDER BY version DESC LIMIT 1", (key,)
        ).fetchone()
        return failures >= self.lock_failures, record

    def _finish_login(
        self, conn: sqlite3.Connection, name: str, address: str, locks: bool, ok: bool
    ) -> User | UserError:
        """Record the outcome of a checked attempt; returns the user or the error to raise."""
        key = self._login_key(conn, name)
        now = self._clock()
        if ok:
            conn.execute(
                "DELETE FROM login_failures WHERE address = ? AND name IN (?, ?)",
                (address, key, ANY_NAME),
            )
            row = self._login_row(conn, key, address, "ok")
            append(conn, key, "login", version=row, subject=key, comment=address)
            return _user(conn, key)
        if locks and key == name:  # the failure that locked: one record per lock, not per guess
            row = self._login_row(conn, key, address, "attempt")
            append(conn, key, "lockout", version=row, subject=key, comment=address)
        pair = self._failures(conn, key, address, now)
        if pair is not None and pair["locked_until"] is not None:
            return _locked(name, address, _local_time(pair["locked_until"], now))
        wait = pair["last_epoch"] + _delay(pair["failures"]) - now if pair is not None else 0.0
        return _wrong_login(wait)

    def login(self, name: str, password: str, address: str) -> User:
        """Log in: authenticate, throttled per name and client address, and record a success.

        Nothing sleeps: a throttled attempt is refused at once, its password unchecked.

        Args:
            name: the user name as typed.
            password: the password as typed.
            address: the client's address (an IP, or ``cli``); "" when unknown (then the
                name's streak from unknown addresses is the only one kept).

        Returns:
            The user.

        Raises:
            UserError: wrong name or password (one answer for both), too many failures (wait N
                seconds), or a name locked from this address (until HH:MM, or until an admin
                runs ``copilot users unlock NAME``).

        """
        address = (address or "").strip()[:200]
        started = self._write(lambda conn: self._start_login(conn, name, address))
        if isinstance(started, UserError):
            raise started
        locks, record = started
        ok = _password_matches(record, password)  # outside the lock: scrypt is slow on purpose
        result = self._write(lambda conn: self._finish_login(conn, name, address, locks, ok))
        if isinstance(result, UserError):
            raise result
        return result

    def unlock(self, name: str, by: str | User, address: str = "cli") -> None:
        """Lift the locks (and waits) on ``name`` from every address; recorded in the log.

        Raises:
            UserError: ``by`` is not an admin, no such user, or nothing to lift.

        """

        def tx(conn: sqlite3.Connection) -> None:
            actor = require_role(conn, by, "admin").name
            _user(conn, name)
            self._prune(conn, self._clock())
            if not conn.execute(
                "SELECT 1 FROM login_failures WHERE name = ? LIMIT 1", (name,)
            ).fetchone():
                raise UserError(
                    f"利用者「{name}」はロックされていません（ログインの失敗はありません）。",
                    f"{name!r} is not locked (no failed logins since the last success).",
                )
            conn.execute(  # the addresses it was locked from may try again at once
                "DELETE FROM login_failures WHERE name = ? AND address IN "
                "(SELECT address FROM login_failures WHERE name = ?)",
                (ANY_NAME, name),
            )
            conn.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            row = self._login_row(conn, name, address, "unlock", actor)
            append(conn, actor, "unlock", version=row, subject=name, comment=address)

        self._write(tx)

    def login_states(self) -> dict[str, LoginState]:
        """Each user's last login, failures since and locks, by name."""
        now = self._clock()

        def tx(conn: sqlite3.Connection) -> dict[str, LoginState]:
            out = {}
            horizon = now - max(self.lock_minutes * 60, MAX_DELAY_S)
            for (name,) in conn.execute("SELECT name FROM users ORDER BY name").fetchall():
                last = conn.execute(
                    "SELECT at, address FROM logins WHERE name = ? AND outcome = 'ok' "
                    "ORDER BY id DESC LIMIT 1",
                    (name,),
                ).fetchone()
                streaks = conn.execute(
                    "SELECT address, failures, locked_until FROM login_failures WHERE name = ? "
                    "AND ((locked_until IS NULL AND last_epoch >= ?) OR locked_until > ?) "
                    "ORDER BY address",
                    (name, horizon, now),
                ).fetchall()
                locks = {
                    r["address"]: _local_time(r["locked_until"], now)
                    for r in streaks
                    if r["locked_until"] is not None
                }
                out[name] = LoginState(
                    name,
                    last["at"] if last else None,
                    last["address"] if last else None,
                    max((r["failures"] for r in streaks), default=0),
                    bool(locks),
                    locks,
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
