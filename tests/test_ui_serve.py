"""`copilot serve` without a browser: registered, lazy, and the first-user hint on the login page."""

from __future__ import annotations

import subprocess
import sys

import pytest

from copilot.cli import main


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
