"""「原文を表示」: the original pages of what an opened draft (or an answer) cites.

Shown only to a user who may read the audit's documents (``ui.actions.reader``: an auditor or
a lead); the pages are drawn by ``copilot.source_pages`` and kept in the data folder, so a draft
opened again shows them at once.
"""

from __future__ import annotations

from typing import Any

from copilot.errors import UserError
from copilot.review.drafts import Draft
from copilot.services import ClauseRecord
from copilot.source_pages import SourcePage, source_pages
from ui.actions import Deps, reader


def _citations(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(clause id, quote) of every citation of a draft, in the order of its fields."""
    out = []
    for value in payload.values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, dict) and "clause_id" in v:
                out.append((str(v["clause_id"]), str(v.get("quote", ""))))
    return list(dict.fromkeys(out))


def originals(
    deps: Deps, name: str | None, draft: Draft, found: dict[str, ClauseRecord]
) -> dict[tuple[str, str], SourcePage]:
    """The original page of each citation of ``draft`` whose clause is in ``found``.

    Raises:
        UserError: not logged in, or the admin.

    """
    reader(deps, name)
    cites = [(found[cid], quote) for cid, quote in _citations(draft.payload) if cid in found]
    if not cites:
        return {}
    with deps.services() as s:
        views = source_pages(s.settings, s.index, cites)
    return {(v.clause.clause_id, v.quote): v for v in views}


def original(deps: Deps, name: str | None, clause: ClauseRecord, quote: str) -> SourcePage:
    """The original page of one cited clause (an answer's citation).

    Raises:
        UserError: not logged in, or the admin.

    """
    reader(deps, name)
    with deps.services() as s:
        return source_pages(s.settings, s.index, [(clause, quote)])[0]


def original_of(deps: Deps, name: str | None, clause_id: str, quote: str) -> SourcePage:
    """The original page of a stored clause (a kept version's too), with ``quote`` marked.

    Raises:
        UserError: not logged in, the admin, or no such clause in the index.

    """
    reader(deps, name)
    with deps.services() as s:
        found = s.index.clauses([clause_id], archived=True)
        if clause_id not in found:
            raise UserError(
                "この条項は索引にないため、原文を表示できません（文書が削除された可能性が"
                "あります）。",
                "this clause is not in the index, so its original cannot be shown (its document "
                "may have been removed).",
            )
        return source_pages(s.settings, s.index, [(found[clause_id], quote)])[0]
