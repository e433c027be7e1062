"""The structure read from one indexed document, for `copilot status --document ID`.

The splitter's reading of a document (``ingest.structure``) is shown so that an auditor sees a bad
read before trusting a search over it: the levels, the number of items and their sizes, and a
warning when the items are implausibly large.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from copilot.errors import UserError
from ingest.index import ClauseIndex
from ingest.structure import ITEM_LARGE, MEDIAN_LARGE, Structure, read_structure


@dataclass(frozen=True)
class DocumentStructure:
    """One document and the structure read from it."""

    document: str
    title: str
    structure: Structure

    def as_json(self) -> dict[str, Any]:
        """A plain dict for ``--json``."""
        out = asdict(self)
        out["structure"]["warnings"] = [{"ja": ja, "en": en} for ja, en in self.structure.warnings]
        out["thresholds"] = {"median_chars": MEDIAN_LARGE, "item_chars": ITEM_LARGE}
        return out

    def lines(self) -> list[str]:
        """The structure as lines for a terminal: levels, items and sizes, then any warning."""
        s = self.structure
        lines = [f"文書: {self.document}  {self.title}", "読み取った構造 / structure read:"]
        for level in s.levels:
            kinds = "、".join(f"{kind} {n}" for kind, n in level.kinds.items())
            lines.append(f"  第{level.depth}階層 / level {level.depth}: {kinds}")
        lines.append(
            f"条項 {s.clauses} 件、項目 {s.items} 件。項目の長さは中央値 {s.median_chars:,} 字、"
            f"最大 {s.max_chars:,} 字（{s.largest}）、{ITEM_LARGE:,} 字超 {s.large_items} 件。"
        )
        lines.append(
            f"clauses {s.clauses}, items {s.items}; characters per item: median "
            f"{s.median_chars:,}, max {s.max_chars:,} ({s.largest}); over {ITEM_LARGE:,}: "
            f"{s.large_items}."
        )
        if not s.warnings:
            lines.append("項目の大きさに問題は見られません。 / item sizes look plausible.")
        for ja, en in s.warnings:
            lines.append(f"警告: {ja}")
            lines.append(f"Warning: {en}")
        return lines


def document_structure(index: ClauseIndex, doc_id: str) -> DocumentStructure:
    """The structure read from a document in the index.

    Raises:
        UserError: no document with that id.

    """
    doc = index.document(doc_id)
    if doc is None:
        raise UserError(
            f"文書 {doc_id} は索引にありません。`copilot status` で文書 ID を確かめてください。",
            f"there is no document {doc_id} in the index; look up its id with `copilot status`.",
        )
    clauses = index.document_clauses(doc_id)
    return DocumentStructure(doc.doc_id, doc.title, read_structure(clauses))
