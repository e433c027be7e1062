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

from copilot.cli import main
from tests.browser import free_port


def test_serve_is_a_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out


def test_copilot_does_not_import_the_ui():
    code = "import sys, copilot.cli; print('ui' in sys.modules or 'gradio' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_login_page_tells_how_to_create_the_first_admin(isolated_env):
    from copilot.settings import load_settings
    from copilot.store import open_store
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
        [sys.executable, "-m", "copilot.cli", "serve", "--port", str(port), *args],
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
    listening, status, err = _serve(env)
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
