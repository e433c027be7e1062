"""The web server's own security: HTTPS with a team's certificate, no plain HTTP beyond loopback
unless told, security headers (CSP and friends) on every response, CORS for the UI's own origin
only, the client address handed to the login throttle, and the whole UI working under the CSP in
a real browser. Real servers on loopback, real HTTP; the certificates are made with openssl."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.errors import UserError
from tests.browser import CHROMIUM, ForeignRequests, chromium, free_port

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="makes certificates with openssl")
USER, PASSWORD = "suzuki", "suzuki-password-1"
EXPECTED = {
    "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline' "
    "'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src "
    "'self' data:; media-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def make_certificate(folder: Path, name: str = "ui") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (as the README does)."""
    cert, key = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    subprocess.run(
        [
            str(OPENSSL), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=audit-copilot",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if OPENSSL is None:
        pytest.skip("makes certificates with openssl")
    return make_certificate(tmp_path_factory.mktemp("tls"))


def trusting(cert: Path) -> ssl.SSLContext:
    """A client context that trusts only ``cert`` (and checks the host name)."""
    return ssl.create_default_context(cafile=str(cert))


def fetch(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    context: ssl.SSLContext | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers), exc.read()


def _lower(headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k.lower(): v for k, v in headers.items()}


def login_form(name: str, password: str) -> bytes:
    return f"username={name}&password={password}".encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _settings(tmp_path_factory: pytest.TempPathFactory, data: Path | None = None):  # type: ignore[no-untyped-def]
    """Settings over a data folder (a new one unless given) with an admin and the lead."""
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    if data is None:
        data = tmp_path_factory.mktemp("serve") / "data"
    settings = load_settings(data_dir=data)
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-password-1")
        store.add_user(USER, "鈴木 一郎", "lead", PASSWORD, by="admin")
    return settings


class Served:
    """A `copilot serve` process: its URL, and its stderr once it has stopped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.err = ""


@contextmanager
def copilot_serve(data: Path, *args: str, host: str = "127.0.0.1", cert: Path | None = None):
    """Run `copilot serve` on a free port until the block ends, once it answers on loopback."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
    env["COPILOT_DATA_DIR"] = str(data)
    argv = [sys.executable, "-m", "copilot.cli.main", "serve", "--host", host, "--port", str(port)]
    proc = subprocess.Popen([*argv, *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    served = Served(f"{'https' if cert else 'http'}://127.0.0.1:{port}")
    context = trusting(cert) if cert else None
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                fetch(f"{served.url}/", context=context)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.communicate()[1]) from None
                time.sleep(0.5)
        yield served
    finally:
        proc.terminate()
        served.err = proc.communicate(timeout=30)[1]


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over plain HTTP on a loopback port."""
    with copilot_serve(_settings(tmp_path_factory).data_dir) as served:
        yield served.url


@pytest.fixture(scope="module")
def https_app(tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    """(url, settings) of the app over HTTPS with the self-signed certificate."""
    settings = _settings(tmp_path_factory)
    cert, key = certificate
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with copilot_serve(settings.data_dir, *tls, cert=cert) as served:
        yield served.url, settings


# --- HTTPS --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_https_serves_with_a_self_signed_certificate(https_app, certificate):  # type: ignore[no-untyped-def]
    url, _ = https_app
    status, headers, body = fetch(f"{url}/", context=trusting(certificate[0]))
    assert status == 200 and "ログインしてください" in body.decode()
    assert {k: headers.get(k) for k in EXPECTED} == EXPECTED
    status, _, _ = fetch(f"{url}/login", "POST", FORM, login_form(USER, PASSWORD),
                         trusting(certificate[0]))  # fmt: skip
    assert status == 200
    plain = url.replace("https://", "http://")
    with pytest.raises(OSError):  # the port speaks TLS only
        urllib.request.urlopen(f"{plain}/", timeout=10).read()


@pytest.mark.slow
def test_login_over_https_passes_the_client_address_to_the_throttle(https_app, certificate):  # type: ignore[no-untyped-def]
    from copilot.review.store import open_store

    url, settings = https_app
    status, _, _ = fetch(f"{url}/login", "POST", FORM, login_form(USER, PASSWORD),
                         trusting(certificate[0]))  # fmt: skip
    assert status == 200
    with open_store(settings) as store:
        assert store.login_states()[USER].last_address == "127.0.0.1"


def test_tls_files_are_checked_and_named(tmp_path: Path, certificate):  # type: ignore[no-untyped-def]
    from ui.security import tls_files

    cert, key = certificate
    assert tls_files(None, None) is None
    assert tls_files(cert, key) == (cert, key)
    missing = tmp_path / "nowhere.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a pem file\n")
    _, other_key = make_certificate(tmp_path, "other")
    cases = [
        ((cert, None), "--tls-key"),
        ((missing, key), str(missing)),
        ((cert, missing), str(missing)),
        ((garbage, key), str(garbage)),
        ((cert, garbage), str(garbage)),
        ((cert, other_key), str(other_key)),
    ]
    for (c, k), named in cases:
        with pytest.raises(UserError) as refused:
            tls_files(c, k)
        assert named in refused.value.ja and named in refused.value.en, (c, k)
    with pytest.raises(UserError) as refused:
        tls_files(cert, other_key)
    assert "対になっていません" in refused.value.ja and "does not belong" in refused.value.en


def test_serve_names_a_missing_certificate_in_both_languages(tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    missing = tmp_path / "ui-cert.pem"
    code = main(["serve", "--tls-cert", str(missing), "--tls-key", str(missing),
                 "--port", str(free_port())])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert f"証明書のファイル {missing} が見つかりません" in err
    assert f"certificate file {missing} does not exist" in err


# --- no plain HTTP beyond loopback unless told ------------------------------------------------


def test_lan_without_tls_is_refused_naming_both_fixes(capsys, monkeypatch):  # type: ignore[no-untyped-def]
    for argv, env in ((["--host", "0.0.0.0"], None), ([], "192.168.10.5")):
        if env:
            monkeypatch.setenv("COPILOT_UI_HOST", env)
        code = main(["serve", *argv, "--port", str(free_port())])
        err = capsys.readouterr().err
        assert code == 2
        assert "HTTPS が必要です" in err and "needs HTTPS" in err
        for fix in ("--tls-cert", "--tls-key", "--insecure-http"):
            assert err.count(fix) == 2, fix  # named in Japanese and in English
    from ui.app import check_exposure

    check_exposure("127.0.0.1", tls=False, insecure_http=False)  # loopback needs neither
    check_exposure("0.0.0.0", tls=True, insecure_http=False)
    check_exposure("0.0.0.0", tls=False, insecure_http=True)


def test_the_lan_warning_is_for_plain_http_only():
    from ui.app import exposure_warning, url

    assert exposure_warning("0.0.0.0") is not None
    assert exposure_warning("0.0.0.0", tls=True) is None
    assert url("0.0.0.0", 7860, tls=True) == "https://0.0.0.0:7860/"
    assert url("::1", 7860, tls=False) == "http://[::1]:7860/"


@pytest.mark.slow
@needs_openssl
def test_serve_on_the_lan_with_tls_prints_https_and_does_not_warn(tmp_path: Path):
    cert, key = make_certificate(tmp_path)
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with copilot_serve(tmp_path / "data", *tls, host="0.0.0.0", cert=cert) as served:
        status, headers, _ = fetch(f"{served.url}/", context=trusting(cert))
    assert status == 200 and headers["x-frame-options"] == "DENY"
    port = served.url.rsplit(":", 1)[1]
    assert f"https://0.0.0.0:{port}/" in served.err
    assert "警告" not in served.err and "Warning" not in served.err


# --- headers and CORS ---------------------------------------------------------------------------


@pytest.mark.slow
def test_security_headers_on_the_login_page_and_the_api(http_url: str):
    for path in ("/", "/config", "/gradio_api/info", "/nowhere"):
        _, headers, _ = fetch(f"{http_url}{path}")
        assert {k: headers.get(k) for k in EXPECTED} == EXPECTED, path


@pytest.mark.slow
def test_another_localhost_origin_gets_no_cors_answer(http_url: str):
    other = f"http://127.0.0.1:{free_port()}"
    status, headers, _ = fetch(f"{http_url}/config", headers={"Origin": other})
    assert status == 401
    assert not [k for k in headers if k.startswith("access-control-")], headers
    status, headers, _ = fetch(
        f"{http_url}/gradio_api/queue/join",
        "OPTIONS",
        {"Origin": other, "Access-Control-Request-Method": "POST",
         "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert status == 403
    assert not [k for k in headers if k.startswith("access-control-")], headers
    assert headers["x-frame-options"] == "DENY"
    status, headers, _ = fetch(f"{http_url}/login", "POST", {**FORM, "Origin": other},
                               login_form(USER, PASSWORD))  # fmt: skip
    assert status == 403 and "set-cookie" not in headers  # no login from another page


@pytest.mark.slow
def test_the_uis_own_origin_keeps_working(http_url: str):
    own = {"Origin": http_url}
    status, headers, _ = fetch(f"{http_url}/login", "POST", {**FORM, **own},
                               login_form(USER, PASSWORD))  # fmt: skip
    assert status == 200 and "set-cookie" in headers
    assert headers.get("access-control-allow-origin") == http_url
    status, headers, _ = fetch(
        f"{http_url}/gradio_api/queue/join",
        "OPTIONS",
        {**own, "Access-Control-Request-Method": "POST"},
    )
    assert status == 200 and headers.get("access-control-allow-origin") == http_url


def test_origins_are_compared_by_scheme_host_and_port():
    from ui.security import is_foreign

    def scope(origin: str | None, host: str = "127.0.0.1:7860", scheme: str = "http"):  # type: ignore[no-untyped-def]
        headers = [(b"host", host.encode())]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        return {"type": "http", "scheme": scheme, "headers": headers}

    assert not is_foreign(scope(None))
    assert not is_foreign(scope("http://127.0.0.1:7860"))
    assert not is_foreign(scope("HTTPS://Audit-PC:443", "audit-pc", "https"))
    assert is_foreign(scope("http://127.0.0.1:7861"))
    assert is_foreign(scope("http://localhost:7860"))
    assert is_foreign(scope("https://127.0.0.1:7860"))
    assert is_foreign(scope("null"))


# --- the whole UI under the CSP, in a browser ---------------------------------------------------


@pytest.fixture(scope="module")
def corpus_https(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, certificate):  # type: ignore[no-untyped-def]
    """The app over HTTPS on a copy of the ingested corpus."""
    data = tmp_path_factory.mktemp("ui-tls") / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    _settings(tmp_path_factory, data)
    cert, key = certificate
    tls = ("--tls-cert", str(cert), "--tls-key", str(key))
    with copilot_serve(data, *tls, cert=cert) as served:
        yield served.url + "/"


VIOLATIONS = """document.addEventListener('securitypolicyviolation', e =>
  console.log('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI))"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)")
def test_ask_and_open_a_citation_over_https_under_the_csp(corpus_https: str):
    foreign = ForeignRequests()
    console: list[str] = []
    with chromium() as browser:
        context = browser.new_context(locale="ja-JP", ignore_https_errors=True)  # type: ignore[attr-defined]
        page = context.new_page()
        foreign.watch(page)
        page.on("console", lambda m: console.append(m.text))
        page.add_init_script(VIOLATIONS)
        response = page.goto(corpus_https)
        assert response.headers["content-security-policy"] == EXPECTED["content-security-policy"]
        page.fill("input[type=text]", USER)
        page.fill("input[type=password]", PASSWORD)
        page.press("input[type=password]", "Enter")
        page.wait_for_selector("#who :text('ログイン中')", timeout=30_000)
        page.get_by_role("tab", name="質問").click()
        page.get_by_label("質問").first.fill(
            "クラウド事業者が業務を下請けに出すときは市の承認が要るか"
        )
        page.get_by_role("button", name="質問する").click()
        page.wait_for_selector("#citations label", timeout=60_000)
        assert "[1]" in page.inner_text("#answer")
        page.locator("#citations label").first.click()
        page.wait_for_selector("#source mark", timeout=30_000)
        context.close()
    assert not [m for m in console if "CSP-VIOLATION" in m or "Content Security Policy" in m]
    assert not foreign, f"the page asked hosts other than loopback: {foreign}"
