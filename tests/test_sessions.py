"""Sessions, cookies, Host names, logout, caching and login locks of the running UI (issue 28,
findings 9 and 10 and the low ones beside them).

Real `copilot serve` processes on loopback: httpx for cookies, headers and Host names (a client
bound to 127.0.0.2 is "another address"), Gradio's own client for the API, the CLI in process
for password changes and unlocks. The session table's clock is checked in a unit test with an
injected clock (the server's is monotonic, which no test can move); the end of a session after
a password change is checked live.
"""

from __future__ import annotations

import io
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from copilot.cli.main import main
from tests.browser import free_port
from tests.served import start_serve, stop_serve

USERS = {"admin": "admin", "suzuki": "lead", "tanaka": "lead", "sato": "auditor"}
ALLOWED = "audit.example.lg.jp"
LOCK_FAILURES = 3


def password(name: str) -> str:
    return f"{name}-password-1"


# --- the session table, on a clock the test moves ------------------------------------------------


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_session_ends_when_idle_too_old_or_after_a_password_change():
    from ui.sessions import Sessions

    clock, versions = Clock(), {"suzuki": 1, "sato": 1}
    sessions = Sessions(idle_s=60, max_s=300, stamp=versions.get, clock=clock)
    tokens = {"a": "suzuki", "b": "sato"}  # Gradio's table
    sessions.start("a", "suzuki", tokens)
    sessions.start("b", "sato", tokens)
    clock.t += 59
    assert sessions.check("a") == "suzuki"  # used: the idle time starts again
    clock.t += 59
    assert sessions.check("a") == "suzuki"
    assert sessions.check("b") is None  # unused for 118 s
    assert sessions.check("b") is None  # and gone
    for _ in range(3):  # used every 50 s, it still ends 300 s after login
        clock.t += 50
        assert sessions.check("a") == "suzuki"
    clock.t += 50
    assert sessions.check("a") is None

    sessions.start("c", "suzuki", tokens | {"c": "suzuki"})
    assert sessions.check("c", touch=False) == "suzuki"
    versions["suzuki"] = 2  # `copilot users passwd suzuki`
    assert sessions.check("c") is None
    sessions.start("d", "ghost", {"d": "ghost"})
    assert sessions.check("d") is None  # no such user (any more)

    # a login drops the ended sessions from both tables; the heartbeat does not count as use
    tokens = {"e": "sato", "f": "sato", "stale": "sato"}
    sessions.start("e", "sato", tokens)
    sessions.start("stale", "sato", tokens)
    clock.t += 59
    assert sessions.check("e", touch=False) == "sato"
    clock.t += 2
    sessions.start("f", "sato", tokens)
    assert "e" not in tokens and "stale" not in tokens and tokens == {"f": "sato"}


def test_gradios_two_cookies_leave_as_one_strict_cookie():
    from ui.sessions import session_cookie

    secure = "access-token-abc=tok; HttpOnly; Path=/; SameSite=none; Secure"
    copy = "access-token-unsecure-abc=tok; HttpOnly; Path=/; SameSite=lax"
    assert session_cookie(copy, tls=True) is None and session_cookie(copy, tls=False) is None
    assert session_cookie(secure, tls=True) == (
        "access-token-abc=tok; HttpOnly; Path=/; SameSite=Strict; Secure"
    )
    assert (
        session_cookie(secure, tls=False)
        == "access-token-abc=tok; HttpOnly; Path=/; SameSite=Strict"
    )
    deletion = 'access-token-abc=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'
    assert session_cookie(deletion, tls=False) == (
        'access-token-abc=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; '
        "Path=/; SameSite=Strict"
    )
    assert session_cookie("other=1; Path=/", tls=True) == "other=1; Path=/"


def test_host_names_this_machine_answers_to():
    from ui.hosts import AllowedHosts

    hosts = AllowedHosts("127.0.0.1", [ALLOWED, "audit-pc.local:8443"])
    for ok in ("127.0.0.1:7860", "localhost:7860", "LOCALHOST", "[::1]:7860", "127.0.0.2",
               f"{ALLOWED}:7860", ALLOWED, "audit-pc.local:8443", socket.gethostname()):  # fmt: skip
        assert hosts.allows(ok), ok
    for bad in ("evil.example", "evil.example:7860", f"{ALLOWED}.evil.example", "audit-pc.local",
                "audit-pc.local:7860", "203.0.113.9", "", None, "localhost.evil.example"):  # fmt: skip
        assert not hosts.allows(bad), bad
    assert AllowedHosts("0.0.0.0").allows("0.0.0.0:7860")


# --- the running server ------------------------------------------------------------------------


@dataclass
class Served:
    """A running `copilot serve`: its URL, port and data folder."""

    url: str
    port: int
    data: Path


def add_users(data: Path) -> None:
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    with open_store(load_settings(data_dir=data)) as store:
        for name, role in USERS.items():
            store.add_user(
                name, name, role, password(name), by=None if name == "admin" else "admin"
            )


@contextmanager
def serving(data: Path, *args: str, cert: Path | None = None, **settings: str) -> Iterator[Served]:
    """`copilot serve` over ``data`` on a free loopback port until the block ends."""
    port = free_port()
    log = data.parent / f"serve-{port}.log"
    proc, url = start_serve(data, log, *args, port=port, cert=cert, **settings)
    try:
        yield Served(url, port, data)
    finally:
        stop_serve(proc)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The UI over plain HTTP, a lock after 3 failures, one further allowed host name."""
    data = tmp_path_factory.mktemp("sessions") / "data"
    add_users(data)
    settings = {"login_lock_failures": str(LOCK_FAILURES), "ui_allowed_hosts": f'["{ALLOWED}"]'}
    with serving(data, **settings) as s:
        yield s


def client(served: Served, address: str = "127.0.0.1") -> httpx.Client:
    """An httpx client connecting from ``address`` (any 127.x address is this machine)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=served.url, transport=transport, timeout=30)


def log_in(c: httpx.Client, name: str, secret: str | None = None) -> httpx.Response:
    return c.post("/login", data={"username": name, "password": secret or password(name)})


def set_cookies(answer: httpx.Response) -> list[str]:
    return answer.headers.get_list("set-cookie")


@pytest.mark.slow
def test_one_strict_http_only_session_cookie_over_http(served: Served):
    with client(served) as c:
        answer = log_in(c, "sato")
        assert answer.status_code == 200
        (cookie,) = set_cookies(answer)  # no second, non-Secure copy
        attributes = [a.strip() for a in cookie.split(";")]
        assert attributes[0].startswith("access-token-") and "unsecure" not in attributes[0]
        assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attributes)
        assert "Secure" not in attributes  # plain HTTP on loopback: a Secure cookie is not sent
        assert c.get("/config").status_code == 200


@pytest.mark.slow
def test_a_password_change_through_the_cli_ends_the_users_sessions(
    served: Served, monkeypatch: pytest.MonkeyPatch
):
    gradio = Client(
        served.url,
        auth=("tanaka", password("tanaka")),
        verbose=False,
        analytics_enabled=False,
        download_files=False,
    )
    other = client(served, "127.0.0.3")
    try:
        who = who_endpoint(gradio)
        assert "tanaka" in str(gradio.predict(api_name=who))
        assert log_in(other, "sato").status_code == 200  # another user's session
        with client(served, "127.0.0.4") as browser:
            assert log_in(browser, "tanaka").status_code == 200
            assert browser.get("/config").status_code == 200

            monkeypatch.setenv("COPILOT_DATA_DIR", str(served.data))
            monkeypatch.setenv("COPILOT_USER", "admin")
            monkeypatch.setenv("COPILOT_PASSWORD", password("admin"))
            monkeypatch.setattr(sys, "stdin", io.StringIO("tanaka-password-2\n"))
            assert main(["users", "passwd", "tanaka", "--new-password-stdin"]) == 0

            with pytest.raises(httpx.HTTPStatusError, match="401 Unauthorized"):
                gradio.predict(api_name=who)  # the API client's session has ended
            ended = browser.get("/config")
            assert ended.status_code == 401
            assert any("Max-Age=0" in c for c in set_cookies(ended))  # and its cookie goes
            assert browser.get("/config").status_code == 401
            assert other.get("/config").status_code == 200  # sato's session holds
            assert log_in(browser, "tanaka").status_code == 400  # the old password is gone
            assert log_in(browser, "tanaka", "tanaka-password-2").status_code == 200
            assert browser.get("/config").status_code == 200
    finally:
        gradio.close()
        other.close()


def who_endpoint(gradio: Client) -> str:
    """The api name of the page load that writes the element #who (who is logged in)."""
    config = gradio.config
    by_elem = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for dep in config["dependencies"]:
        loads = any(kind == "load" for _, kind in dep["targets"])
        if loads and "who" in [by_elem.get(i) for i in dep["outputs"]] and dep.get("api_name"):
            return "/" + dep["api_name"]
    raise AssertionError("no load event writes #who")


@pytest.mark.slow
def test_a_host_name_that_is_not_this_machines_is_refused(served: Served):
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends its
    requests with Host: evil.example; the UI does not answer them."""
    with client(served) as c:
        for host in ("evil.example", f"evil.example:{served.port}", f"{ALLOWED}.evil.example"):
            refused = c.get("/", headers={"Host": host})
            assert refused.status_code == 400, host
            assert "COPILOT_UI_ALLOWED_HOSTS" in refused.text
            assert "ログインしてください" not in refused.text
            assert log_in_as_host(c, host).status_code == 400
        for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}", ALLOWED,
                     f"{socket.gethostname()}:{served.port}"):  # fmt: skip
            assert c.get("/", headers={"Host": host}).status_code == 200, host


def log_in_as_host(c: httpx.Client, host: str) -> httpx.Response:
    return c.post(
        "/login", data={"username": "sato", "password": password("sato")}, headers={"Host": host}
    )


@pytest.mark.slow
def test_logout_asked_by_another_site_is_refused(served: Served):
    with client(served, "127.0.0.5") as c:
        assert log_in(c, "sato").status_code == 200
        evil = [
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},  # another port of this host is another program
            {"Referer": "http://evil.example/page"},
            {"Referer": f"http://127.0.0.1:{free_port()}/"},
            {"Origin": "http://evil.example"},
        ]
        for headers in evil:
            refused = c.get("/logout", headers=headers, follow_redirects=False)
            assert refused.status_code == 403, headers
            assert c.get("/config").status_code == 200, headers  # still logged in
        own = c.get("/logout", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
        assert own.status_code == 302  # the page's own link
        assert c.get("/config").status_code == 401


@pytest.mark.slow
def test_downloads_and_api_answers_are_not_cached(served: Served, tmp_path: Path):
    with client(served) as c:
        assert log_in(c, "sato").status_code == 200
        upload = c.post(
            "/gradio_api/upload",
            files={"files": ("所見.txt", "機密の所見".encode(), "text/plain")},
        )
        assert upload.status_code == 200, upload.text
        (path,) = upload.json()
        download = c.get(f"/gradio_api/file={path}")
        assert download.status_code == 200 and download.text == "機密の所見"
        assert download.headers["cache-control"] == "no-store"
        for route in ("/", "/config", "/gradio_api/info"):
            assert c.get(route).headers["cache-control"] == "no-store", route
        page = c.get("/").text
        asset = page.split('src="', 1)[1].split('"', 1)[0].lstrip(".")
        static = c.get(asset if asset.startswith("/") else f"/{asset}")
        assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
        assert "strict-transport-security" not in download.headers  # plain HTTP: no HSTS


@pytest.mark.slow
def test_a_lock_holds_one_user_from_one_address_says_until_when_and_an_admin_lifts_it(
    served: Served, monkeypatch: pytest.MonkeyPatch
):
    with client(served, "127.0.0.6") as here, client(served, "127.0.0.7") as there:
        answers = [log_in(here, "suzuki", "not-the-password") for _ in range(LOCK_FAILURES)]
        assert [a.status_code for a in answers] == [400] * LOCK_FAILURES
        assert "パスワードが違います" in answers[0].json()["detail"]  # not "Incorrect credentials"
        detail = answers[-1].json()["detail"]
        assert "利用者「suzuki」はこのアドレス（127.0.0.6）から" in detail
        assert (
            "まで一時的にロックされています" in detail and "copilot users unlock suzuki" in detail
        )
        until = detail.split("、", 1)[1].split(" まで", 1)[0]
        assert len(until) == 5 and until[2] == ":"  # HH:MM
        assert "until " + until in answers[-1].json()["detail_en"]
        locked = log_in(here, "suzuki")  # the right password, from there
        assert locked.status_code == 400 and "ロック" in locked.json()["detail"]
        assert not set_cookies(locked)
        # nobody else is held up: the same user from another address, another user from here
        assert log_in(there, "suzuki").status_code == 200
        assert log_in(here, "sato").status_code == 200

        monkeypatch.setenv("COPILOT_DATA_DIR", str(served.data))
        monkeypatch.setenv("COPILOT_USER", "admin")
        monkeypatch.setenv("COPILOT_PASSWORD", password("admin"))
        assert main(["users", "unlock", "suzuki"]) == 0
        assert log_in(here, "suzuki").status_code == 200


# --- under TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    from tests.test_serve_security import OPENSSL, make_certificate

    if OPENSSL is None:
        pytest.skip("makes certificates with openssl")
    root = tmp_path_factory.mktemp("sessions-tls")
    cert, key = make_certificate(root)
    add_users(root / "data")
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with serving(root / "data", *tls, cert=cert) as s:
        yield s, cert


@pytest.mark.slow
def test_one_secure_strict_cookie_and_hsts_under_tls(tls_served: tuple[Served, Path]):
    served, cert = tls_served
    with httpx.Client(base_url=served.url, verify=str(cert), timeout=30) as c:
        answer = log_in(c, "sato")
        assert answer.status_code == 200
        (cookie,) = set_cookies(answer)  # no access-token-unsecure-… copy for plain HTTP
        attributes = {a.strip() for a in cookie.split(";")}
        assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"} <= attributes
        assert "unsecure" not in cookie and "SameSite=none" not in cookie
        for route in ("/", "/config"):
            assert c.get(route).headers["strict-transport-security"] == "max-age=31536000"
