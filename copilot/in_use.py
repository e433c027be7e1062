"""Who is using the data folder, so that ``copilot purge`` never erases it under them.

Every CLI command but purge (``copilot serve`` for as long as it runs) holds a shared
``flock`` on ``<data>/.in-use/lock`` and leaves a file ``<data>/.in-use/<pid>-<n>`` saying what it
is; purge takes the lock exclusively without waiting and refuses, naming the holders, when it
cannot. The kernel drops a lock when its process ends, however it ends, so a crashed server
never blocks purge. The lock is a file of its own: the review store's SQLite files are never
opened with ``open()`` (closing such a handle would drop SQLite's own locks).
"""

from __future__ import annotations

import fcntl
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from copilot.errors import UserError
from ingest.permissions import private_mkdir

FOLDER = ".in-use"
_serial = itertools.count(1)  # two holds of one process (the tests' threads) have two notes


def _lock_file(data_dir: Path) -> int:
    folder = Path(data_dir) / FOLDER
    private_mkdir(folder)
    return os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def holding(data_dir: Path, what: str) -> Iterator[None]:
    """Hold the data folder (shared with other commands, against purge) until the block ends.

    Raises:
        UserError: a purge of the folder is running.

    """
    fd = _lock_file(data_dir)
    note = Path(data_dir) / FOLDER / f"{os.getpid()}-{next(_serial)}"
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"データフォルダ {data_dir} を消去（purge）中です。"
                "終わってからやり直してください。",
                f"the data folder {data_dir} is being purged; try again when it is done.",
            ) from None
        note.write_text(what, encoding="utf-8")
        yield
    finally:
        note.unlink(missing_ok=True)
        os.close(fd)  # drops the lock


def holders(data_dir: Path) -> list[str]:
    """What the notes of the folder's holders say (``copilot serve (pid 123)``), live ones only."""
    found = []
    for note in sorted((Path(data_dir) / FOLDER).glob("[0-9]*")):
        pid = note.name.split("-")[0]
        try:
            os.kill(int(pid), 0)
        except (ProcessLookupError, ValueError):
            continue  # its process is gone
        except PermissionError:
            pass  # alive, another account's
        found.append(f"{note.read_text(encoding='utf-8', errors='replace')} (pid {pid})")
    return found


@contextmanager
def exclusive(data_dir: Path) -> Iterator[None]:
    """Hold the data folder alone (for purge) until the block ends; never waits.

    Raises:
        UserError: a server or another command is using the folder.

    """
    if not Path(data_dir).is_dir():
        yield
        return
    fd = _lock_file(data_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = "、".join(holders(data_dir)) or "別のコマンド"
            who_en = ", ".join(holders(data_dir)) or "another command"
            raise UserError(
                f"データフォルダ {data_dir} は使用中のため消去できません（{who}）。画面（copilot "
                "serve）を Ctrl+C で止め、実行中のコマンドが終わってから purge してください。",
                f"the data folder {data_dir} is in use ({who_en}), so it was not erased; stop "
                "the UI (copilot serve) with Ctrl+C and let running commands finish, then purge.",
            ) from None
        yield
    finally:
        os.close(fd)
