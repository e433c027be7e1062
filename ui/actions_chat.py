"""What the 質問 tab's buttons do: ask in a conversation, keep an answer, open a quote's context.

Asking is ``copilot ask`` under the logged-in user: the question is logged (a run in the
hash-chained log) and leaves the approval queue alone; 「この回答を保存」 keeps the answer as a
draft for review, as ``copilot ask --draft`` does. The focus (全体, a contract or a division) is
carried from one question to the next unless a question names another
(``copilot.audit.ask.focus_of``).
"""

from __future__ import annotations

from dataclasses import dataclass

from copilot.audit.ask import Focus
from copilot.errors import UserError
from copilot.schemas import Answer
from copilot.source_pages import SourcePage
from ui.actions import Deps, reader

ALL = ""  # the focus picker's value for 全体
_CONTRACT, _DIVISION = "contract:", "division:"


def focus_value(focus: Focus) -> str:
    """The focus picker's value for a focus."""
    if focus.contract:
        return _CONTRACT + focus.contract
    return _DIVISION + focus.division if focus.division else ALL


def focus_from(value: str | None) -> Focus:
    """The focus a picker value names (全体 for none)."""
    value = value or ALL
    if value.startswith(_CONTRACT):
        return Focus(contract=value.removeprefix(_CONTRACT))
    if value.startswith(_DIVISION):
        return Focus(division=value.removeprefix(_DIVISION))
    return Focus()


def _choices(contracts: list[str], named: list[str]) -> list[tuple[str, str]]:
    return [
        ("全体（ポリシー・ガイドライン）", ALL),
        *((f"契約 {c}", focus_value(Focus(contract=c))) for c in contracts),
        *((f"{d}（自己点検・回答）", focus_value(Focus(division=d))) for d in named),
    ]


def focus_choices(deps: Deps) -> list[tuple[str, str]]:
    """What the focus picker offers: 全体, each contract, each division with documents."""
    from copilot.audit.ask import divisions

    with deps.services() as s:
        contracts = sorted({d.contract for d in s.index.documents() if d.contract})
        return _choices(contracts, sorted(divisions(s.index)))


@dataclass(frozen=True)
class Turn:
    """One question and its answer, with what the chat needs to show and keep it."""

    answer: Answer
    focus: Focus
    run_id: int  # the question's run in the log: a kept answer's draft hangs from it
    titles: dict[str, str]  # document id → title, for the quotes' headings
    choices: list[tuple[str, str]]  # the focus picker's, as the index holds them now


def ask_in_chat(deps: Deps, name: str | None, question: str, focus: str | None) -> Turn:
    """Answer a question in the focus it names or the one carried over, and log it.

    Raises:
        UserError: not an auditor or a lead, no question, or a focus with no documents.

    """
    from copilot.audit.ask import ask, divisions, focus_of
    from copilot.drafting.drafters import make_drafter
    from copilot.review.recording import record_question

    user = reader(deps, name)  # the admin does not read the corpus through answers
    question = (question or "").strip()
    if not question:
        raise UserError("質問を入力してください。", "type a question.")
    with deps.services() as s:
        docs = s.index.documents()
        contracts = sorted({d.contract for d in docs if d.contract})
        named = sorted(divisions(s.index))
        now = focus_of(question, focus_from(focus), contracts, named)
        answer = ask(s, question, make_drafter(deps.drafter_name(), s.settings), focus=now)
        run_id = record_question(deps.store, user, s, answer)
        titles = {  # 契約書 is every contract's: the contract's id says which
            d.doc_id: f"{d.title or d.doc_id}（{d.contract}）"
            if d.contract
            else d.title or d.doc_id
            for d in docs
        }
    return Turn(answer, now, run_id, titles, _choices(contracts, named))


def save_answer_draft(deps: Deps, name: str | None, turn: Turn | None) -> int:
    """Keep the chat's latest answer as a draft for review; returns the draft's id.

    Raises:
        UserError: nothing asked yet, or an answer that found nothing to quote.

    """
    from copilot.review.recording import save_answer

    user = reader(deps, name)
    if turn is None:
        raise UserError("保存する回答がありません。先に質問してください。", "ask a question first.")
    if not turn.answer.citations:
        raise UserError(
            "引用のない回答は保存できません。質問を言い換えるか、対象を選び直してください。",
            "an answer without quotes cannot be kept; rephrase the question or change the focus.",
        )
    with deps.services() as s:
        save_answer(deps.store, user, s, turn.answer, turn.run_id)
    return max(d.id for d in deps.store.list_drafts(kind="answer") if d.run_id == turn.run_id)


def quote_original(deps: Deps, name: str | None, clause_id: str, quote: str) -> SourcePage:
    """A quoted clause with its neighbours and the original page it was read from.

    Raises:
        UserError: not an auditor or a lead, or the clause is no longer in the index.

    """
    from copilot.source_pages import source_pages

    reader(deps, name)
    with deps.services() as s:  # an answer's clause, though its document was replaced since
        found = s.index.clauses([clause_id], archived=True)
        if clause_id not in found:
            raise UserError(
                "この条項は索引にありません（文書が更新された可能性があります）。",
                "the clause is no longer in the index (the document may have changed).",
            )
        return source_pages(s.settings, s.index, [(found[clause_id], quote)])[0]
