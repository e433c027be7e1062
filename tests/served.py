"""A real `copilot serve` process on loopback for the tests that drive the running app.

One way to start it, wait until it answers (its stderr shown if it never does) and stop it, so
that every test module that needs the server starts it alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.browser import free_port

PROXIES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def serve_env(data: Path, **settings: str) -> dict[str, str]:
    """The server's environment: this one less COPILOT_* and proxies, the data folder, settings.

    ``settings`` are given by their field names (``max_upload_mb="1"``) or as ``COPILOT_*``.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COPILOT_") and k.lower() not in PROXIES
    }
    env.update(COPILOT_DATA_DIR=str(data), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    for name, value in settings.items():
        key = name if name.startswith("COPILOT_") else f"COPILOT_{name.upper()}"
        env[key] = value
    return env


def start_serve(
    data: Path,
    log: Path,
    *args: str,
    port: int | None = None,
    cert: Path | None = None,
    **settings: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `copilot serve` over ``data`` (stderr to ``log``) and wait until it answers.

    Returns:
        The process and the URL it serves.

    """
    port = port or free_port()
    url = f"{'https' if cert else 'http'}://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "copilot.cli", "serve", "--port", str(port), *args]
    with log.open("w") as err:  # a file, not a pipe nobody reads: the server never blocks on it
        proc = subprocess.Popen(
            argv, env=serve_env(data, **settings), stdout=subprocess.DEVNULL, stderr=err
        )
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(f"{url}/", timeout=5, verify=str(cert) if cert else True)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(log.read_text()) from None
            time.sleep(0.5)


def stop_serve(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server (SIGTERM, then SIGKILL if it does not go)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@contextmanager
def serving(
    data: Path, log: Path, *args: str, cert: Path | None = None, **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`copilot serve` over ``data`` until the block ends: (process, url)."""
    proc, url = start_serve(data, log, *args, cert=cert, **settings)
    try:
        yield proc, url
    finally:
        stop_serve(proc)


class Logins:
    """gradio_client Clients logged in to ``url``, one per user (``fresh`` after a restart)."""

    def __init__(self, url: str, password: Callable[[str], str]) -> None:
        self.url = url
        self.password = password
        self.clients: dict[str, Any] = {}

    def __call__(self, name: str, fresh: bool = False) -> Any:
        """The user's client, logged in on first use."""
        from gradio_client import Client

        if fresh or name not in self.clients:
            self.clients[name] = Client(
                self.url,
                auth=(name, self.password(name)),
                verbose=False,
                analytics_enabled=False,
                download_files=False,
            )
        return self.clients[name]

    def close(self) -> None:
        """Close every client."""
        for c in self.clients.values():
            c.close()
