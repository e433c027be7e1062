"""`copilot purge` and a running server or job; temp files of jobs; stopping the server.

Purge refuses (exit 2, a message naming the holder) while `copilot serve` holds the data folder
and works once it stops; a job's temporary files lie in the data folder's ``tmp/``, so purge
erases what an interrupted job left there; SIGINT and SIGTERM stop `copilot serve` while an
ingest runs in it. Real `copilot serve` processes on loopback, the CLI through ``main``.
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.review.store import open_store
from copilot.settings import Settings, load_settings
from tests.served import serving


def _with_users(data: Path) -> Settings:
    settings = load_settings(data_dir=data)
    with open_store(settings) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤", "auditor", "sato-pass-1", by="admin")
    return settings


@pytest.mark.slow
def test_purge_refuses_while_a_server_holds_the_data_folder(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = isolated_env
    settings = _with_users(data)
    with serving(data, tmp_path / "serve.log") as (proc, _url):
        capsys.readouterr()
        assert main(["purge", "--yes"]) == 2
        err = capsys.readouterr().err
        assert "使用中" in err and "copilot serve" in err and f"pid {proc.pid}" in err
        assert "in use" in err
        assert (data / "review.sqlite").is_file()  # nothing erased
        with open_store(settings) as store:  # and the store is whole
            assert [u.name for u in store.list_users()] == ["admin", "sato"]
        proc.terminate()
        proc.wait(timeout=60)
    assert main(["purge", "--yes"]) == 0
    assert not data.exists()


def _mail(path: Path, secret: str) -> Path:
    msg = EmailMessage()
    msg["From"] = "総務課 <soumu@example.lg.jp>"
    msg["To"] = "audit@example.lg.jp"
    msg["Subject"] = "回答"
    msg.set_content("ご質問に回答します。\n")
    body = f"別紙 {secret} の記録です。\n".encode()
    msg.add_attachment(body, maintype="text", subtype="plain", filename="別紙.txt")
    path.write_bytes(msg.as_bytes())
    return path


def _holding(marker: bytes, roots: list[Path], skip: Path) -> list[Path]:
    found = []
    for root in roots:
        for p in root.rglob("*") if root.exists() else []:
            if p.is_file() and not p.is_symlink() and not p.is_relative_to(skip):
                try:
                    if marker in p.read_bytes():
                        found.append(p)
                except OSError:
                    continue
    return found


def test_a_jobs_temp_files_lie_in_the_data_folder_and_purge_erases_them(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mail's attachment is written out to be read: into ``<data>/tmp/``, removed after the
    job; what an interrupted job leaves there (a page image, an attachment) purge erases."""
    from copilot.services import build_services

    secret = f"機密{uuid.uuid4().hex}"
    (tmp_path / "src").mkdir()
    mail = _mail(tmp_path / "src" / "回答.eml", secret)
    seen: list[list[Path]] = []
    tmp = isolated_env / "tmp"

    def notify(message: str) -> None:
        if "添付 別紙.txt" in message:  # said while the attachment's copy is being read
            seen.append(sorted(p for p in tmp.rglob("*") if p.is_file()) if tmp.exists() else [])

    services = build_services(load_settings())
    try:
        report = services.ingest([mail], notify=notify)
    finally:
        services.close()
    assert [r.status for r in report.results] == ["added", "added"]
    assert len(seen) == 1 and len(seen[0]) == 1, seen  # the attachment, in the data folder
    assert seen[0][0].parent.name.startswith("copilot-mail-")
    assert not any(p.is_file() for p in tmp.rglob("*"))  # removed when the job ended

    # an interrupted job's leftovers (the process was killed before it could remove them)
    left = tmp / "ocr-interrupted"
    left.mkdir(parents=True)
    (left / "page-00001.png").write_bytes(f"画像 {secret}".encode())
    (tmp / "copilot-mail-interrupted").mkdir()
    (tmp / "copilot-mail-interrupted" / "1.txt").write_text(secret, encoding="utf-8")
    capsys.readouterr()
    assert main(["purge", "--yes"]) == 0
    assert not isolated_env.exists()
    marker = secret.encode()
    assert _holding(marker, [Path(tempfile.gettempdir())], skip=tmp_path) == []


def _long_text(path: Path, lines: int) -> Path:
    """A text of many distinct clauses: minutes of embedding on this machine."""
    rows = [f"第{n}条 受注者は、委託業務第{n}号の記録を{n % 7 + 1}年間保存しなければならない。"
            for n in range(1, lines + 1)]  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_on_a_signal_while_an_ingest_runs(
    isolated_env: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    from gradio_client import Client, handle_file

    from tests.test_security_api import endpoint

    data = isolated_env
    _with_users(data)
    long = _long_text(tmp_path / "長い規程.txt", 4000)
    log = tmp_path / "serve.log"
    with serving(data, log) as (proc, url):
        client = Client(
            url, auth=("sato", "sato-pass-1"), verbose=False, analytics_enabled=False,
            download_files=False,
        )  # fmt: skip
        job = client.submit(
            [handle_file(str(long))], "", "", api_name=endpoint(client, output="ingest-msg")
        )
        copy = data / "uploads" / "other" / long.name
        deadline = time.monotonic() + 120
        while not copy.exists():  # the action copies the upload, then ingests it
            assert time.monotonic() < deadline and not job.done(), log.read_text()
            time.sleep(0.2)
        time.sleep(3)  # into the reading and embedding of 4,000 clauses (minutes)
        assert not job.done()
        proc.send_signal(sig)
        try:
            code = proc.wait(timeout=60)  # a bound, not a timing: the job has minutes left
        except subprocess.TimeoutExpired:
            pytest.fail(f"copilot serve did not stop on {sig.name}:\n{log.read_text()}")
        client.close()
    assert code == 0, log.read_text()
    assert "停止しました" in log.read_text()
    assert main(["purge", "--yes"]) == 0  # the folder is free again
