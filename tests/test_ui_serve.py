"""`copilot serve` without a browser: registered, lazy, and the first-user hint on the login page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from copilot.cli.main import main
from tests.browser import free_port


def test_serve_is_a_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out
    assert "--tls-cert" in out and "--tls-key" in out and "--insecure-http" in out


def test_copilot_does_not_import_the_ui():
    code = "import sys, copilot.cli.main; print('ui' in sys.modules or 'gradio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_login_page_tells_how_to_create_the_first_admin(isolated_env):
    from copilot.review.store import open_store
    from copilot.settings import load_settings
    from ui.app import FIRST_USER, LOGIN, login_message

    settings = load_settings()
    assert login_message(settings) == FIRST_USER
    assert "copilot users add admin --role admin" in FIRST_USER
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-password-1")
    assert login_message(settings) == LOGIN


def test_loopback_hosts_and_the_lan_warning():
    from ui.app import exposure_warning, is_loopback_host

    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback_host(host) and exposure_warning(host) is None, host
    for host in ("0.0.0.0", "::", "192.168.10.5", "audit-pc.local"):
        assert not is_loopback_host(host), host
        warning = exposure_warning(host)
        assert warning is not None and host in warning
        assert "警告" in warning and "ログインは必要" in warning
        assert "Warning" in warning and "Login is still required" in warning


def _listening(port: int) -> set[str]:
    """Local IPv4 addresses (hex, as in /proc/net/tcp) with a socket listening on ``port``."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(address)
    return found


def _serve(env: dict[str, str], *args: str) -> tuple[set[str], int, str]:
    """Run `copilot serve` until it answers on loopback: (listening addresses, /config, stderr)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "copilot.cli.main", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.communicate()[1]) from None
                time.sleep(0.5)
        try:
            status = urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        listening = _listening(port)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return listening, status, err


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
def test_ui_host_setting_opens_the_lan_with_a_warning_and_login_stays():
    env = dict(os.environ, COPILOT_UI_HOST="0.0.0.0")
    listening, status, err = _serve(env, "--insecure-http")
    assert "00000000" in listening  # 0.0.0.0: every interface
    assert status == 401  # the app itself still wants a login
    assert "警告: 画面を 0.0.0.0 で待ち受けます" in err
    assert "Warning: the UI listens on 0.0.0.0" in err


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
def test_serve_host_option_wins_over_the_setting():
    env = dict(os.environ, COPILOT_UI_HOST="0.0.0.0")
    listening, status, err = _serve(env, "--host", "127.0.0.1")
    assert listening == {"0100007F"}  # 127.0.0.1 only
    assert status == 401
    assert "Warning" not in err and "警告" not in err


def _read_until(fd: int, needle: str, seen: list[str], timeout: float = 120) -> None:
    """Read the pty until ``needle`` appears (everything read is kept in ``seen``)."""
    import select

    deadline = time.monotonic() + timeout
    while needle not in "".join(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {needle!r} in {''.join(seen)!r}")
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode("utf-8", "replace"))
            except OSError:  # the child closed the terminal
                raise AssertionError(f"no {needle!r} in {''.join(seen)!r}") from None


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="drives a pseudo-terminal")
def test_first_serve_in_a_terminal_asks_for_the_admin_then_logs_in(isolated_env):
    """`copilot serve` on an empty store in a terminal asks for the first admin (password twice,
    a mismatch asks again) and then serves a login that works: no second terminal needed."""
    import pty
    import signal

    from copilot.review.store import open_store
    from copilot.settings import load_settings

    port = free_port()
    pid, fd = pty.fork()
    if pid == 0:  # the child: `copilot serve` with this pty as its terminal
        os.execvpe(
            sys.executable,
            [sys.executable, "-m", "copilot.cli.main", "serve", "--port", str(port)],
            dict(os.environ),
        )
    seen: list[str] = []
    try:
        _read_until(fd, "[admin]:", seen)
        os.write(fd, b"kanri\n")
        _read_until(fd, "password (8+ characters):", seen)
        os.write(fd, b"first-pass-123\n")
        _read_until(fd, "again:", seen)
        os.write(fd, b"other-pass-456\n")  # differs: asked again from the name
        _read_until(fd, "The entries differ", seen)
        _read_until(fd, "[admin]:", seen[-1:])
        os.write(fd, b"kanri\n")
        _read_until(fd, "password (8+ characters):", seen[-1:])
        os.write(fd, b"first-pass-123\n")
        _read_until(fd, "again:", seen[-1:])
        os.write(fd, b"first-pass-123\n")
        _read_until(fd, "Created admin kanri", seen)
        assert "first-pass-123" not in "".join(seen)  # the password is never echoed
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "".join(seen)
                time.sleep(0.5)
        login = urllib.request.Request(
            f"http://127.0.0.1:{port}/login",
            data=b"username=kanri&password=first-pass-123",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert urllib.request.urlopen(login, timeout=10).status == 200
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    with open_store(load_settings()) as store:
        users = store.list_users()
    assert [(u.name, u.role) for u in users] == [("kanri", "admin")]


def test_serve_without_a_terminal_asks_nothing_and_keeps_the_login_hint(isolated_env):
    from copilot.cli.review import first_admin_in_terminal
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    with open_store(load_settings()) as store:  # pytest's stdin is not a terminal
        assert first_admin_in_terminal(store) is None
        assert store.list_users() == []
