from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_ruff_lint_and_format_are_clean():
    folders = ["copilot", "ingest", "eval", "ui", "tests"]
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *folders], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
