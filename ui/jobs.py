"""How many long jobs (ingest, checklist, analyses) each UI user runs at once.

One user may run ``max_jobs_per_user`` of them at a time; one more is refused at once with a
message, not queued, so that one person cannot take every core of the server. The count is kept
in this process (the server), per data folder and user.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from copilot.errors import UserError
from copilot.settings import Settings

_lock = threading.Lock()
_running: dict[tuple[Path, str], int] = {}


def running(settings: Settings, user: str) -> int:
    """How many long jobs ``user`` is running now."""
    with _lock:
        return _running.get((Path(settings.data_dir), user), 0)


@contextmanager
def long_job(settings: Settings, user: str) -> Iterator[None]:
    """Count one long job of ``user`` until the block ends.

    Raises:
        UserError: the user already runs ``max_jobs_per_user`` jobs.

    """
    key = (Path(settings.data_dir), user)
    limit = settings.max_jobs_per_user
    with _lock:
        if _running.get(key, 0) >= limit:
            raise UserError(
                f"{user} さんは既に {limit} 件の処理（取り込み・審査・分析）を実行中です。"
                "終わってからやり直してください（同時に実行できる数は設定 "
                "COPILOT_MAX_JOBS_PER_USER）。",
                f"{user} already runs {limit} long jobs (ingest, checklist, analyses); try again "
                "when one has finished (the number is the setting COPILOT_MAX_JOBS_PER_USER).",
            )
        _running[key] = _running.get(key, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _running[key] -= 1
            if not _running[key]:
                del _running[key]
