"""The extractive answer to a question: the sentences that answer it, quoted once, by document.

Relevance is measured, not guessed: a sentence is relevant when it holds at least ``RELEVANT`` of
the question's content terms, weighted by rarity over the whole index. The content terms are
those of ``copilot.drafting.terms.key_terms`` less the words that only make a question (方法,
今日, 注意点 …); a compound that no stored clause mentions is read as its longest beginning that
one does (報告先 → 報告), and synonyms from the thesaurus count. Nothing relevant: the answer says
「該当する定めが見つかりません。」 and quotes nothing. The rule and its threshold were chosen on
the questions in ``eval/chat/`` (``python -m eval.chat_offtopic`` prints how often an off-topic
question is answered and an on-topic one refused).

Among the relevant sentences, those that bind someone (〜しなければならない, 〜すること,
〜ものとする, 〜してはならない) come before the rest, and definitions (「〜とは、…をいう」) last
(unless the question asks what a word means), then by the share of the question's terms they
hold. The same words are quoted once, even where two documents hold them (a .docx and its
.pdf). The quotes are grouped by document, and the answer's own text is one sentence written for
the purpose; the quotes are not repeated in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from copilot.drafting.citations import cite, looks_like_instruction
from copilot.drafting.registry import sentences
from copilot.drafting.terms import TermWeights, key_terms, term_in
from copilot.drafting.thesaurus import Thesaurus
from copilot.schemas import Answer, Citation
from ingest.index import ClauseRecord
from ingest.normalise import squash

VERSION = "answers-1"
RELEVANT = 0.5  # share of the question's weighted content terms a sentence must hold
MIN_WEIGHT = 1.0  # a term in more than ~1 clause in 3 (log(N/df) below 1) tells nothing alone
MAX_QUOTES = 5

FOUND = "該当する定めは次のとおりです。"
FOUND_NO_DUTY = (
    "関係する定めは次のとおりです。いずれも用語の定義であり、義務を定めた規定は見当たりません。"
)
NOT_FOUND = "該当する定めが見つかりません。"

# Words that make a question rather than name its subject (kanji compounds key_terms keeps).
QUESTION_WORDS = frozenset(
    "方法 内容 可能 要否 是非 可否 理由 意味 目的 具体 具体的 質問 回答 説明 教示 "
    "問題 今日 明日 昨日 今週 来週 最近 本日 一般 一般的 場合 必要 何処 何故 何時 誰 以外 "
    "関係 関連 規定 定め 規程 ルール 決まり 条項 条文 記述 記載 注意点 注意事項 留意点 "
    "ポイント コツ".split()
)

_OBLIGATION = re.compile(
    r"(?:なければ|ては|では)(?:ならない|ならず|なりません)|ものと(?:する|します)"
    r"|(?:する|行う|得る|置く|講じる|定める|設ける)こと(?:[。、]|$)|こと。?$"
    r"|義務を負う|禁止する|禁ずる|禁じる"
)
_DEFINITION = re.compile(
    r"とは[、，,].*(?:をいう|をいい|をいいます|を指す)|(?:をいう|をいいます)。?$|をいい[、，,]"
)

_ASKS_MEANING = re.compile(r"とは|定義|意味")
_KANJI = re.compile(r"[一-龥々〆ヵヶ]+")

DUTY, OTHER, DEFINITION = 0, 1, 2


def sentence_kind(sentence: str) -> int:
    """``DUTY`` for a sentence that binds someone, ``DEFINITION`` for one that defines a word."""
    s = squash(sentence)
    if _DEFINITION.search(s):
        return DEFINITION
    if _OBLIGATION.search(s):
        return DUTY
    return OTHER


def question_terms(
    question: str, weights: TermWeights | None = None, thesaurus: Thesaurus | None = None
) -> list[str]:
    """The content terms of a question: its key terms less the words that only ask.

    Given the index's passages (``weights``), a kanji compound that no passage mentions is read
    as its longest beginning that one does (報告先 → 報告, 申請方法 → 申請); a term with no
    such beginning stays whole, so a question about something else (天気予報, 沖縄旅行) keeps
    a term that no sentence holds.
    """
    out: list[str] = []
    for term in key_terms(question):
        if term in QUESTION_WORDS or term.startswith("何"):
            continue
        if weights is not None and len(term) >= 3 and _KANJI.fullmatch(term):
            known = [
                term[:k]
                for k in range(len(term), 1, -1)
                if any(term_in(term[:k], p, thesaurus) for p in weights.passages)
            ]
            if known and known[0] not in QUESTION_WORDS:
                term = known[0]
        if term not in out:
            out.append(term)
    return out


@dataclass(frozen=True)
class Scored:
    """A sentence of a clause and how well it answers the question."""

    clause: ClauseRecord
    text: str
    share: float  # weighted share of the question's content terms the sentence holds
    kind: int  # DUTY, OTHER or DEFINITION


def relevance(
    terms: Sequence[str], text: str, weights: TermWeights, thesaurus: Thesaurus | None
) -> float:
    """Weighted share of the question's content terms a sentence holds (0 when none is telling).

    A term so common that it says nothing alone (``MIN_WEIGHT``) counts toward the share, but a
    sentence that holds only such terms is not relevant.
    """
    if not terms:
        return 0.0
    s = squash(text)
    total = got = 0.0
    telling = False
    for term in terms:
        w = max(weights.weight(term), 0.05)
        total += w
        if term_in(term, s, thesaurus):
            got += w
            telling = telling or w >= MIN_WEIGHT
    return got / total if telling else 0.0


def relevant_sentences(
    question: str,
    clauses: Iterable[ClauseRecord],
    weights: TermWeights,
    thesaurus: Thesaurus | None = None,
) -> list[Scored]:
    """The sentences that answer the question, best first, each wording once.

    Best: duties before other sentences and definitions last (first when the question asks what
    a word means: 「…とは」), then by share of the question's terms, then in the order the clauses
    were retrieved.
    """
    terms = question_terms(question, weights, thesaurus)
    found: list[Scored] = []
    seen: set[str] = set()
    for clause in clauses:
        for s in sentences(clause.text):
            key = squash(s)
            if key in seen or looks_like_instruction(s):
                continue
            share = relevance(terms, s, weights, thesaurus)
            if share >= RELEVANT:
                seen.add(key)
                found.append(Scored(clause, s, share, sentence_kind(s)))
    order = {id(x): n for n, x in enumerate(found)}
    first = _ASKS_MEANING.search(question) is not None  # 「…とは」: the definition is the answer

    def rank(x: Scored) -> tuple[int, float, int]:
        return (-1 if first and x.kind == DEFINITION else x.kind, -x.share, order[id(x)])

    return sorted(found, key=rank)


def by_document(picked: Sequence[Scored]) -> list[Scored]:
    """The sentences grouped by document, the documents in the order of their best sentence."""
    docs = list(dict.fromkeys(x.clause.doc_id for x in picked))
    return [x for d in docs for x in picked if x.clause.doc_id == d]


def extractive_answer(
    question: str,
    clauses: Sequence[ClauseRecord],
    weights: TermWeights,
    thesaurus: Thesaurus | None = None,
) -> Answer:
    """The answer from the clauses' relevant sentences, or 「該当する定めが見つかりません。」."""
    picked = by_document(relevant_sentences(question, clauses, weights, thesaurus)[:MAX_QUOTES])
    if not picked:
        return Answer(question=question, text=NOT_FOUND)
    text = FOUND if any(x.kind != DEFINITION for x in picked) else FOUND_NO_DUTY
    return Answer(question=question, text=text, citations=[cite(x.clause, x.text) for x in picked])


def grouped(citations: Sequence[Citation]) -> list[tuple[str, list[tuple[int, Citation]]]]:
    """The citations, numbered from 1, under their documents in order of first appearance."""
    groups: dict[str, list[tuple[int, Citation]]] = {}
    for n, c in enumerate(citations, start=1):
        groups.setdefault(c.document, []).append((n, c))
    return list(groups.items())
