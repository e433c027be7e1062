"""The bring-your-own embedder and the Chroma server, each a real component."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.services import build_services
from copilot.settings import load_settings
from tests.test_ingest import make_corpus, minilm_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sentence_transformers_model_from_a_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setenv("COPILOT_EMBEDDER", "sentence-transformers")
    monkeypatch.setenv("COPILOT_EMBEDDER_MODEL_DIR", str(minilm_dir()))
    monkeypatch.setenv("COPILOT_EMBEDDER_QUERY_PREFIX", "query: ")
    root = make_corpus(tmp_path / "docs")
    assert main(["ingest", str(root)]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"name": "sentence-transformers/model"' in out
    assert '"dim": 384' in out and '"query_prefix": "query: "' in out
    assert main(["search", "再委託", "--contract", "C-1", "--json"]) == 0
    assert "書面による承認" in capsys.readouterr().out


def test_missing_model_folder_is_a_clear_error(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("COPILOT_EMBEDDER", "sentence-transformers")
    monkeypatch.setenv("COPILOT_EMBEDDER_MODEL_DIR", str(tmp_path / "no-model"))
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert "no-model" in err and "COPILOT_EMBEDDER_MODEL_DIR" in err


@pytest.fixture
def chroma_server(tmp_path: Path):
    exe = shutil.which("chroma") or str(Path(os.sys.executable).parent / "chroma")
    port = free_port()
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                response.read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                proc.stdout.close() if proc.stdout else None
                pytest.fail(f"chroma server did not start:\n{out}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


@pytest.mark.server
def test_chroma_server_on_loopback(tmp_path: Path, monkeypatch, chroma_server: str):
    monkeypatch.setenv("COPILOT_CHROMA_URL", chroma_server)
    root = make_corpus(tmp_path / "docs")
    services = build_services(load_settings())
    try:
        services.ingest([root])
        assert not (services.settings.index_dir / "chroma").exists()  # vectors went to the server
        hits = services.search("庁外へ持ち出す許可", kind="policy")
        assert hits[0].clause_path == "第2 > 1"
        assert (
            len(services.index.collection().get(include=[])["ids"])
            == services.index.count_clauses()
        )
    finally:
        services.close()


def test_unreachable_chroma_server_is_a_clear_error(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("COPILOT_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    root = make_corpus(tmp_path / "docs")
    assert main(["ingest", str(root)]) == 1
    err = capsys.readouterr().err
    assert "Chroma" in err and "COPILOT_CHROMA_URL" in err
