"""The UI's login sessions: when they end, and the one cookie that carries them.

Gradio keeps a table of its own (``app.tokens``: token → user name) and never forgets an entry
but at ``/logout``. ``Sessions`` keeps, beside it, when each session started, when it was last
used and the user's password version at login; ``ui.security.Guard`` asks ``check`` on every
request and takes the token out of Gradio's table when the session has ended:

- unused for ``idle_s`` seconds (the setting ``session_idle_minutes``);
- ``max_s`` seconds after login, used or not (``session_max_hours``);
- the user's password was changed since login (``copilot users passwd``, from any process: the
  version is read from the review store on each check), or the user is gone.

The clock is ``time.monotonic`` (a change of the wall clock moves nothing); tests pass their own.

Gradio sets two cookies at login: ``access-token-<id>`` (``SameSite=None; Secure``) and a copy,
``access-token-unsecure-<id>``, without ``Secure``, that a browser would send over plain HTTP
to any port of the host. ``session_cookie`` rewrites them on the way out: the copy is dropped,
and the one cookie is ``HttpOnly; Path=/; SameSite=Strict``, ``Secure`` under TLS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

COOKIE = "access-token-"
UNSECURE_COOKIE = "access-token-unsecure-"
# Attributes of Gradio's Set-Cookie kept as they are (a deletion's expiry); the rest are ours.
KEPT_ATTRIBUTES = ("expires", "max-age")


@dataclass
class Session:
    """One login: who, their password version then, when it started and was last used."""

    user: str
    stamp: int | None
    started: float
    used: float


class Sessions:
    """Sessions by token, ended when idle, too old, or after a password change."""

    def __init__(
        self,
        idle_s: float,
        max_s: float,
        stamp: Callable[[str], int | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Sessions that end after ``idle_s`` unused or ``max_s`` in all.

        Args:
            idle_s: seconds a session may go unused.
            max_s: seconds a session may last.
            stamp: the user's current password version (None: no such user).
            clock: seconds, only ever growing.

        """
        self.idle_s = idle_s
        self.max_s = max_s
        self._stamp = stamp
        self._clock = clock
        self._table: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._table)

    def start(self, token: str, user: str, tokens: MutableMapping[str, str]) -> None:
        """Record a login; sessions that have ended are dropped from both tables."""
        now = self._clock()
        stamp = self._stamp(user)
        with self._lock:
            for old in [t for t, s in self._table.items() if t not in tokens or self._over(s, now)]:
                del self._table[old]
                tokens.pop(old, None)
            self._table[token] = Session(user, stamp, now, now)

    def check(self, token: str, touch: bool = True) -> str | None:
        """The user of a session that holds (used now, when ``touch``), else None (it ends)."""
        now = self._clock()
        with self._lock:
            session = self._table.get(token)
        if session is None:
            return None
        stamp = self._stamp(session.user)
        if self._over(session, now) or stamp is None or stamp != session.stamp:
            self.end(token)
            return None
        if touch:
            session.used = now
        return session.user

    def end(self, token: str) -> None:
        """Forget a session (logged out, or ended)."""
        with self._lock:
            self._table.pop(token, None)

    def _over(self, session: Session, now: float) -> bool:
        return now - session.used >= self.idle_s or now - session.started >= self.max_s


def session_cookie(header: str, tls: bool) -> str | None:
    """Gradio's Set-Cookie ``header`` as it leaves the server (None: drop it).

    The session cookie becomes ``HttpOnly; Path=/; SameSite=Strict`` (``Secure`` under TLS);
    the non-Secure copy is dropped; other cookies pass as they are.
    """
    name, _, rest = header.partition("=")
    name = name.strip()
    if name.startswith(UNSECURE_COOKIE):
        return None
    if not name.startswith(COOKIE):
        return header
    value, *attributes = rest.split(";")
    kept = [a.strip() for a in attributes if a.split("=")[0].strip().lower() in KEPT_ATTRIBUTES]
    ours = ["HttpOnly", "Path=/", "SameSite=Strict", *(["Secure"] if tls else [])]
    return "; ".join([f"{name}={value.strip()}", *kept, *ours])


def ended_cookie(name: str, tls: bool) -> str:
    """A Set-Cookie that removes the session cookie ``name`` from the browser."""
    secure = "; Secure" if tls else ""
    return f'{name}=""; Max-Age=0; HttpOnly; Path=/; SameSite=Strict{secure}'
