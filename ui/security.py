"""What the web server puts around Gradio: security headers, a same-origin guard, TLS checks.

``Guard`` is a pure ASGI middleware wrapped around the whole Gradio app, outside Gradio's own CORS
middleware (which answers any localhost origin, or any origin at all when the host is a LAN
address, with credentials). It

- adds ``HEADERS`` (CSP, X-Frame-Options, nosniff, no referrer) to every response;
- lets only the UI's own origin (scheme and Host of the request) see ``Access-Control-Allow-*``
  answers: a foreign ``Origin`` is removed before Gradio sees it, and a foreign request that could
  change something (any method but GET/HEAD, or a websocket) is refused with 403;
- empties the description of the API that Gradio writes into every page it serves;
- keeps the client's address in ``CLIENT_ADDRESS`` for the request, so that Gradio's login
  callback, which gets no request, can pass it to the login throttle, and hands the reason a
  login was refused (``refuse_login``) to the login page in place of Gradio's "Incorrect
  credentials" (``LOGIN_NOTICE`` shows it there);
- with a ``Policy``: refuses a Host header that is none of this machine's names with 400
  (``ui.hosts``), ends sessions that are idle, too old or older than a password change
  (``ui.sessions``), and sends Gradio's session cookie as one ``HttpOnly; SameSite=Strict``
  cookie (``Secure`` under TLS);
- refuses ``/logout`` asked by another site (a link or image on another page would log the
  user out);
- adds ``Strict-Transport-Security`` under TLS and ``Cache-Control: no-store`` to everything but
  the frontend's static files (downloads, answers and pages hold audit content).

It is attached by ``guarded_lifespan``: uvicorn runs the lifespan before it opens the socket, so no
request is ever served without it. Nothing here imports gradio.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from copilot.errors import UserError
from ui.hosts import AllowedHosts
from ui.sessions import COOKIE, Sessions, ended_cookie, session_cookie

# The client address of the request being served ("" outside a request).
CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="")
# Why the login being served was refused (``refuse_login``); None outside a login.
LOGIN_REFUSALS: ContextVar[list[UserError] | None] = ContextVar("login_refusals", default=None)

# Gradio's page has inline scripts and styles and its frontend compiles some code at run time,
# hence 'unsafe-inline' and 'unsafe-eval'; nothing may come from, or go to, another host.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

HSTS = "max-age=31536000"
SAFE_METHODS = ("GET", "HEAD")
DEFAULT_PORTS = {"http": ":80", "https": ":443"}
# The frontend's own files (the same for everyone): the only responses a browser may cache.
STATIC = ("/assets/", "/static/", "/svelte/", "/favicon.ico")
# Requests that keep a session open without anyone using it: they do not count as use.
UNUSED = ("/gradio_api/heartbeat/",)

# Gradio's login page shows its own "Incorrect credentials" whatever the server answers. This
# script, put into every page, shows the server's reason instead (a wrong password, a wait, a
# lock and until when), as text, where Gradio shows its own.
LOGIN_NOTICE = b"""<script>(() => {
  const fetch0 = window.fetch;
  window.fetch = async function (...args) {
    const answer = await fetch0.apply(this, args);
    try {
      const target = new URL(String(args[0] && args[0].url || args[0]), location.href);
      if (answer.status === 400 && /\/login\/?$/.test(target.pathname)) {
        const detail = (await answer.clone().json()).detail;
        let tries = 0;
        const show = () => {
          const shown = document.querySelector("p.creds");
          if (shown) { shown.textContent = detail; shown.setAttribute("role", "alert"); }
          else if (tries++ < 100) { requestAnimationFrame(show); }
        };
        if (typeof detail === "string") { setTimeout(show, 0); }
      }
    } catch (e) { /* not ours to answer */ }
    return answer;
  };
})();</script>"""


def client_address() -> str:
    """The address of the client whose request is being served ("" when unknown)."""
    return CLIENT_ADDRESS.get()


def refuse_login(error: UserError) -> None:
    """Note why the login being served was refused: the login page shows it (Japanese)."""
    held = LOGIN_REFUSALS.get()
    if held is not None:
        held.append(error)


@dataclass(frozen=True)
class Policy:
    """What ``Guard`` enforces beyond headers and origins: Host names and session lifetimes."""

    hosts: AllowedHosts | None = None
    sessions: Sessions | None = None


def path_of(scope: Scope) -> str:
    """The request's path without a trailing slash."""
    return str(scope.get("path", "")).rstrip("/") or "/"


def is_static(scope: Scope) -> bool:
    """True for the frontend's own files (scripts, styles, fonts)."""
    return str(scope.get("path", "")).startswith(STATIC)


def is_tls(scope: Scope) -> bool:
    """True when the request came over TLS."""
    return scope.get("scheme") in ("https", "wss")


def is_cross_site(scope: Scope) -> bool:
    """True when the request says it comes from another page than the UI's own.

    ``Sec-Fetch-Site`` (sent by current browsers) must be ``same-origin`` or ``none`` (typed or
    bookmarked); an ``Origin`` or ``Referer`` must be the UI's own. A request naming none of
    them (a script, an old browser) is not cross-site by this test.
    """
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None and site.lower() not in ("same-origin", "none"):
        return True
    if is_foreign(scope):
        return True
    referer = headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return normal_origin(f"{parts.scheme}://{parts.netloc}") != own_origin(scope)
    return False


def session_tokens(scope: Scope) -> list[str]:
    """The session tokens the request's cookies carry."""
    cookies = cookie_parser(Headers(scope=scope).get("cookie", ""))
    return [v for k, v in cookies.items() if k.startswith(COOKIE) and v]


def session_cookie_names(scope: Scope) -> list[str]:
    """The names of the request's session cookies."""
    cookies = cookie_parser(Headers(scope=scope).get("cookie", ""))
    return [k for k in cookies if k.startswith(COOKIE)]


def without_encoding(scope: Scope) -> Scope:
    """The scope without Accept-Encoding: pages must come uncompressed to be rewritten here."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
    return {**scope, "headers": headers}


def own_origin(scope: Scope) -> str:
    """The origin the UI is served from, as the request names it (scheme and Host)."""
    scheme = {"ws": "http", "wss": "https"}.get(scope["scheme"], scope["scheme"])
    host = Headers(scope=scope).get("host", "")
    return normal_origin(f"{scheme}://{host}")


def normal_origin(origin: str) -> str:
    """An origin in lower case without its scheme's default port."""
    origin = origin.strip().lower().rstrip("/")
    scheme = origin.split("://", 1)[0]
    port = DEFAULT_PORTS.get(scheme)
    return origin[: -len(port)] if port and origin.endswith(port) else origin


def is_foreign(scope: Scope) -> bool:
    """True when the request names an Origin other than the UI's own."""
    origin = Headers(scope=scope).get("origin")
    return origin is not None and normal_origin(origin) != own_origin(scope)


def without_origin(scope: Scope) -> Scope:
    """The scope with its Origin header removed (so Gradio's CORS middleware answers nothing)."""
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"origin"]
    return {**scope, "headers": headers}


# Gradio writes a description of every endpoint (names, parameters, labels, example paths on this
# machine) into each page it serves, the login page included. The UI shows no API page, so the
# description is replaced by an empty one before the page leaves the server.
API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.DOTALL)
NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};</script>'


def rewrite_page(body: bytes) -> bytes:
    """A page with its API description emptied and the login notice script in its head."""
    body = API_INFO.sub(NO_API_INFO, body)
    if b"</head>" in body:
        body = body.replace(b"</head>", LOGIN_NOTICE + b"</head>", 1)
    return body


def without_api_info(send: Send) -> Send:
    """``send`` that holds back an HTML page until it is whole and rewrites it."""
    held: list[Message] = []

    async def send_page(message: Message) -> None:
        if message["type"] == "http.response.start":
            if (
                Headers(raw=message.get("headers", []))
                .get("content-type", "")
                .startswith("text/html")
            ):
                held.append(message)
                return
        elif message["type"] == "http.response.body" and held:
            held.append(message)
            if message.get("more_body", False):
                return
            start, *parts = held
            held.clear()
            body = rewrite_page(b"".join(p.get("body", b"") for p in parts))
            headers = MutableHeaders(scope=start)
            headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await send(message)

    return send_page


def login_answer(send: Send, refusals: list[UserError]) -> Send:
    """``send`` that answers a refused login with the reason (JSON ``detail``, in Japanese)."""
    held: list[Message] = []

    async def send_answer(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 400 and refusals:
            held.append(message)
            return
        if held and message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            start = held.pop()
            error = refusals[-1]
            body = json.dumps({"detail": error.ja, "detail_en": error.en}, ensure_ascii=False)
            headers = MutableHeaders(scope=start)
            if "content-encoding" in headers:
                del headers["content-encoding"]
            headers["content-type"] = "application/json"
            headers["content-length"] = str(len(body.encode()))
            await send(start)
            await send({"type": "http.response.body", "body": body.encode(), "more_body": False})
            return
        await send(message)

    return send_answer


class Guard:
    """Security headers, Host and origin checks, sessions and the client address around an app."""

    def __init__(self, app: ASGIApp, policy: Policy | None = None, gradio: Any = None) -> None:
        """Guard ``app``; ``gradio`` is Gradio's app, whose ``tokens`` hold its sessions."""
        self.app = app
        self.policy = policy or Policy()
        self.gradio = gradio

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (lifespan messages pass untouched)."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = self.policy.hosts
        if hosts is not None and not hosts.allows(Headers(scope=scope).get("host")):
            await self.refuse(scope, receive, send, 400)
            return
        foreign = is_foreign(scope)
        if foreign and (scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS):
            await self.refuse(scope, receive, send)
            return
        if path_of(scope) == "/logout" and is_cross_site(scope):
            await self.refuse(scope, receive, send)
            return
        if foreign:
            scope = without_origin(scope)
        if not is_static(scope) and scope["type"] == "http":
            scope = without_encoding(scope)
        ended = self.end_sessions(scope)
        is_login = (
            scope["type"] == "http" and scope["method"] == "POST" and (path_of(scope) == "/login")
        )
        refusals: list[UserError] = []
        client = scope.get("client")
        address = CLIENT_ADDRESS.set(str(client[0]) if client else "")
        held = LOGIN_REFUSALS.set(refusals if is_login else None)
        try:
            answer = self.sender(send, foreign, scope, ended, is_login)
            if is_login:
                answer = login_answer(answer, refusals)
            await self.app(scope, receive, without_api_info(answer))
        finally:
            LOGIN_REFUSALS.reset(held)
            CLIENT_ADDRESS.reset(address)

    def end_sessions(self, scope: Scope) -> list[str]:
        """End the request's sessions that no longer hold; the names of their cookies."""
        sessions = self.policy.sessions
        if sessions is None or self.gradio is None:
            return []
        tokens = self.gradio.tokens
        touch = not str(scope.get("path", "")).startswith(UNUSED)
        ended = False
        for token in session_tokens(scope):
            if token not in tokens:
                sessions.end(token)
            elif sessions.check(token, touch) is None:
                tokens.pop(token, None)
                ended = True
        return session_cookie_names(scope) if ended else []

    def sender(
        self,
        send: Send,
        foreign: bool,
        scope: Scope | None = None,
        ended: list[str] | None = None,
        is_login: bool = False,
    ) -> Send:
        """``send`` that adds the security headers (and drops any CORS answer to a foreign page).

        It also rewrites the session cookie, records a new session after a login, and removes
        the cookies of sessions that ``end_sessions`` ended.
        """
        tls = scope is not None and is_tls(scope)
        static = scope is not None and is_static(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
                if not static:
                    headers["Cache-Control"] = "no-store"
                if foreign:
                    for name in [k for k in headers if k.startswith("access-control-")]:
                        del headers[name]
                self.cookies(message, tls, ended or [], is_login)
            await send(message)

        return send_with_headers

    def cookies(self, message: Message, tls: bool, ended: list[str], is_login: bool) -> None:
        """Rewrite the response's session cookies; record the session a login started."""
        kept: list[tuple[bytes, bytes]] = []
        set_names: set[str] = set()
        for key, value in message.get("headers", []):
            if key.lower() != b"set-cookie":
                kept.append((key, value))
                continue
            cookie = session_cookie(value.decode("latin-1"), tls)
            if cookie is None:
                continue
            name, _, rest = cookie.partition("=")
            set_names.add(name)
            kept.append((key, cookie.encode("latin-1")))
            token = rest.split(";")[0]
            sessions = self.policy.sessions
            if is_login and message["status"] == 200 and sessions is not None:
                user = self.gradio.tokens.get(token) if self.gradio is not None else None
                if user is not None:
                    sessions.start(token, user, self.gradio.tokens)
        for name in ended:
            if name not in set_names:
                kept.append((b"set-cookie", ended_cookie(name, tls).encode("latin-1")))
        message["headers"] = kept

    async def refuse(self, scope: Scope, receive: Receive, send: Send, status: int = 403) -> None:
        """403 for a request from another site that could change something; 400 for a bad Host."""
        if scope["type"] == "websocket":
            await WebSocketClose(code=1008)(scope, receive, send)
            return
        if status == 400:
            text = (
                "この名前では監査コパイロットの画面を開けません。サーバーのアドレスで開くか、"
                "管理者に名前を COPILOT_UI_ALLOWED_HOSTS に加えてもらってください。\n"
                "The UI does not answer to this host name: open it by the server's address, or "
                "ask the administrator to add the name to COPILOT_UI_ALLOWED_HOSTS.\n"
            )
        else:
            text = "cross-origin request refused"
        response = PlainTextResponse(text, status_code=status)
        await response(scope, receive, self.sender(send, True, scope))


def guarded_lifespan(policy: Policy | None = None) -> Callable[[Any], Any]:
    """A FastAPI lifespan that wraps the app's built middleware stack in ``Guard`` at startup."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if not isinstance(app.middleware_stack, Guard):
            app.middleware_stack = Guard(app.middleware_stack, policy, app)
        yield

    return lifespan


def is_guarded(app: Any) -> bool:
    """True when a started Starlette app serves every request through ``Guard``."""
    return isinstance(getattr(app, "middleware_stack", None), Guard)


def tls_files(cert: Path | None, key: Path | None) -> tuple[Path, Path] | None:
    """The certificate and key to serve HTTPS with, checked; None when neither is given.

    Raises:
        UserError: only one of them is given, a file is missing, or it is no usable PEM
            certificate or key, or the two do not belong together.

    """
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise UserError(
            "HTTPS には証明書と秘密鍵の両方が必要です（--tls-cert と --tls-key、"
            "または COPILOT_UI_TLS_CERT と COPILOT_UI_TLS_KEY）。",
            "HTTPS needs both a certificate and a key (--tls-cert and --tls-key, or "
            "COPILOT_UI_TLS_CERT and COPILOT_UI_TLS_KEY).",
        )
    for label, path in (("証明書", cert), ("秘密鍵", key)):
        if not path.is_file():
            raise UserError(
                f"{label}のファイル {path} が見つかりません。",
                f"the TLS {'certificate' if path is cert else 'key'} file {path} does not exist.",
            )
    check_certificate(cert)
    check_key(cert, key)
    return cert, key


def check_certificate(cert: Path) -> None:
    """Raise a UserError naming ``cert`` unless it holds a PEM certificate."""
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(cert))
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise UserError(
            f"証明書 {cert} を読めません（PEM 形式の証明書が必要です）: {exc}",
            f"cannot read the TLS certificate {cert} (a PEM certificate is needed): {exc}",
        ) from exc


def check_key(cert: Path, key: Path) -> None:
    """Raise a UserError naming ``key`` unless it is an unencrypted PEM key matching ``cert``."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
            str(cert), str(key), password=lambda: b""
        )
    except (ssl.SSLError, ValueError, OSError) as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            raise UserError(
                f"秘密鍵 {key} は証明書 {cert} と対になっていません。",
                f"the TLS key {key} does not belong to the certificate {cert}.",
            ) from exc
        raise UserError(
            f"秘密鍵 {key} を読めません（パスワードのない PEM 形式の鍵が必要です）: {exc}",
            f"cannot read the TLS key {key} (a PEM key without a password is needed): {exc}",
        ) from exc


def trusting(cert: Path) -> ssl.SSLContext:
    """A client context that trusts exactly ``cert``, for the server's own check on loopback.

    The host name is not checked: the check asks 127.0.0.1 or localhost, which a team's
    certificate for its LAN address need not name.
    """
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context
