from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.settings import Settings, load_settings
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(COPILOT_[A-Z_]+)`", readme))
    fields = {f"COPILOT_{name.upper()}" for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from README"
    assert documented - fields == set(), "README documents settings that do not exist"


def test_environment_and_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "copilot.toml").write_text("top_k = 7\nrrf_k = 12\n", encoding="utf-8")
    monkeypatch.setenv("COPILOT_RRF_K", "40")
    s = load_settings()
    assert s.top_k == 7  # from copilot.toml
    assert s.rrf_k == 40  # the environment wins over the file
    assert s.data_dir == tmp_path / "data"


def test_data_dir_moves_all_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from copilot.cli.main import main

    target = tmp_path / "elsewhere"
    monkeypatch.setenv("COPILOT_DATA_DIR", str(target))
    doc = tmp_path / "doc.txt"
    doc.write_text("第1　目的\n１　この基準は情報資産を守る。\n", encoding="utf-8")
    assert main(["ingest", str(doc)]) == 0
    assert (target / "index" / "manifest.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.txt", "elsewhere"]


def test_bad_setting_value_is_reported(monkeypatch: pytest.MonkeyPatch, capsys):
    from pydantic import ValidationError

    monkeypatch.setenv("COPILOT_TOP_K", "zero")
    with pytest.raises(ValidationError):
        load_settings()


def test_importing_creates_nothing(tmp_path: Path):
    data = tmp_path / "never"
    code = (
        "import copilot.cli.main, copilot.services, copilot.settings, ingest.index, eval.retrieval"
    )
    env = {"COPILOT_DATA_DIR": str(data), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
    assert not data.exists()
    assert list(tmp_path.iterdir()) == []
