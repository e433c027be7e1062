"""Stopping ``copilot serve`` on Ctrl+C (SIGINT) or SIGTERM, even while a job runs.

Gradio's own wait catches only Ctrl+C, and then the process waits for the running jobs' threads
(an ingest, its OCR and embedding pools) before it exits, which may take an hour. Here either
signal closes the server (for at most ``CLOSE_S`` seconds), stops the embedding worker processes
and ends the process at once. A job cut short leaves the index as SQLite and Chroma left it at
their last commit, and its temporary files in the data folder's ``tmp/``, which purge erases.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from typing import Any

CLOSE_S = 10.0


def wait_for_signal(app: Any) -> None:
    """Serve until SIGINT or SIGTERM, then close ``app`` and end the process (exit status 0)."""
    stop = threading.Event()
    got: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        got.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    while not stop.wait(0.5):
        if not getattr(app, "is_running", True):
            return  # closed from elsewhere: the caller returns as before
    name = signal.Signals(got[0]).name if got else "signal"
    print(
        f"{name} を受けて画面を停止します / stopping the UI ({name})", file=sys.stderr, flush=True
    )
    closer = threading.Thread(target=app.close, daemon=True)
    closer.start()
    closer.join(CLOSE_S)
    for child in multiprocessing.active_children():  # the embedding workers of a running ingest
        child.terminate()
    for child in multiprocessing.active_children():
        child.join(2)
        if child.is_alive():
            child.kill()
    print("停止しました / stopped", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # A running job's threads are not daemons (their pools join at exit): do not wait for them.
    os._exit(0)
