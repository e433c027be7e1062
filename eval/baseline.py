"""The baseline retrieval pipeline assembled from llama-index defaults.

SentenceSplitter at its default size, a vector retriever over the same embedder, and the stock
BM25Retriever, fused by QueryFusionRetriever in its default mode (one query: no LLM is asked to
rewrite it). Filters are honoured by building the retrievers over the filtered nodes, so the
comparison with our pipeline is like for like.
"""

from __future__ import annotations

from typing import Any

from ingest.embedders import Embedder
from ingest.index import ClauseIndex


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
        self._retrievers: dict[tuple[tuple[str, str], ...], Any] = {}

    def _retriever(self, where: dict[str, str], top_k: int) -> Any:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.retrievers.bm25 import BM25Retriever

        key = tuple(sorted(where.items()))
        if key not in self._retrievers:
            nodes = [n for n in self.nodes if all(n.metadata.get(k) == v for k, v in where.items())]
            vector = VectorStoreIndex(nodes, embed_model=self.embed_model).as_retriever(
                similarity_top_k=top_k
            )
            bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(top_k, len(nodes)))
            self._retrievers[key] = QueryFusionRetriever(
                [vector, bm25],
                llm=MockLLM(),
                similarity_top_k=top_k,
                num_queries=1,
                use_async=False,
            )
        return self._retrievers[key]

    def search(self, query: str, where: dict[str, str], top_k: int = 10) -> list[str]:
        """Texts of the top chunks for a query."""
        results = self._retriever(where, top_k).retrieve(query)
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
        }
