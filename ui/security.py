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
  callback, which gets no request, can pass it to the login throttle.

It is attached by ``guarded_lifespan``: uvicorn runs the lifespan before it opens the socket, so no
request is ever served without it. Nothing here imports gradio.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from copilot.errors import UserError

# The client address of the request being served ("" outside a request).
CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="")

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

SAFE_METHODS = ("GET", "HEAD")
DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def client_address() -> str:
    """The address of the client whose request is being served ("" when unknown)."""
    return CLIENT_ADDRESS.get()


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


def without_api_info(send: Send) -> Send:
    """``send`` that holds back an HTML page until it is whole and empties its API description."""
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
            body = API_INFO.sub(NO_API_INFO, b"".join(p.get("body", b"") for p in parts))
            headers = MutableHeaders(scope=start)
            headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await send(message)

    return send_page


class Guard:
    """Security headers, same-origin CORS and the client address around an ASGI app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (lifespan messages pass untouched)."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        foreign = is_foreign(scope)
        if foreign and (scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS):
            await self.refuse(scope, receive, send)
            return
        if foreign:
            scope = without_origin(scope)
        client = scope.get("client")
        token = CLIENT_ADDRESS.set(str(client[0]) if client else "")
        try:
            await self.app(scope, receive, without_api_info(self.sender(send, foreign)))
        finally:
            CLIENT_ADDRESS.reset(token)

    @staticmethod
    def sender(send: Send, foreign: bool) -> Send:
        """``send`` that adds the security headers (and drops any CORS answer to a foreign page)."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if foreign:
                    for name in [k for k in headers if k.startswith("access-control-")]:
                        del headers[name]
            await send(message)

        return send_with_headers

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """403 for a request from another origin that could change something."""
        if scope["type"] == "websocket":
            await WebSocketClose(code=1008)(scope, receive, send)
            return
        response = PlainTextResponse("cross-origin request refused", status_code=403)
        await response(scope, receive, self.sender(send, True))


def guarded_lifespan() -> Callable[[Any], Any]:
    """A FastAPI lifespan that wraps the app's built middleware stack in ``Guard`` at startup."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        if not isinstance(app.middleware_stack, Guard):
            app.middleware_stack = Guard(app.middleware_stack)
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
