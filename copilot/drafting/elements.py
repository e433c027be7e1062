"""A checklist item judged element by element against every sentence of a contract's documents.

For each element of the item's profile (``copilot.drafting.profiles``) every sentence of the
contract is read (``copilot.drafting.obligations``) and the element is

- **met** by a sentence that holds its terms, binds the side the element asks to be bound (a duty
  or prohibition of the provider, of both parties or of nobody named; or a right of the city where
  the element accepts one) and names every condition the element needs;
- **soft** by such a sentence that is hedged (努める・原則として・目標とする), a bare statement,
  binding without a needed condition (a notice where an approval is asked), a level set as a
  target even inside a duty (「…を目標として本業務を行うものとする」), or a target whose
  guarantee is disclaimed (「…を目標としますが、保証するものではありません」), a duty that reaches
  only part of the element (some data: 「個人情報に限り暗号化する」; only on the city's request
  where a standing duty is asked: 「求めがあった場合に限り報告する」; only an outline:
  ``obligations.limitation``), or a duty another document of the contract permits or disclaims
  when that document is not subordinate to the binding one (``copilot.drafting.precedence``);
- **missing** otherwise. The provider's permission (「当社は…できる」) and other disclaimers never
  meet an element; neither do duties of the city or the user where the provider's are asked.

The item is 反映あり when every required element is met, 一部反映 when at least one is met or soft,
反映なし when none. A contract is at most a few hundred clauses: all of them are read, not only the
top hits of a search.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from copilot.drafting.binding_parts import bind, contract_marks
from copilot.drafting.obligations import (
    Parties,
    Reading,
    defined_parties,
    heading_lead,
    introduces,
    limitation,
    read_sentence,
    waived,
)
from copilot.drafting.precedence import conflict_note, governing
from copilot.drafting.profiles import Element, Profile
from copilot.drafting.registry import sentences
from ingest.index import ClauseRecord
from ingest.normalise import squash
from ingest.readers import CELL

__all__ = [
    "ElementResult",
    "Sentence",
    "Status",
    "assess",
    "contract_sentences",
    "item_verdict",
    "judge_elements",
]

Status = Literal["met", "soft", "missing"]
_HEDGED = frozenset({"effort", "principle", "deferred", "statement"})
_AIM = re.compile(r"目標|努め|努力|目指")
# a level set as a target (「稼働率99.5％以上を目標とする」「目標値とします」), even inside a duty
# (「…を目標として本業務を行うものとする」): the level itself is not promised
_TARGET = re.compile(r"を目標|目標値?と(?:し|する|して|します)")
_RANK = {"met": 2, "soft": 1, "missing": 0}
# an item of a list within a clause's own text: 「・…」「(1)…」「①…」「ア …」「一 …」
_ITEM = re.compile(
    r"^[\s\u3000]*(?:[・●○◆◇■◎･]|[(（]?[0-9０-９]{1,2}[)）]|[0-9０-９]{1,2}[.．]|[\u2460-\u2473\u2474-\u2487]"
    r"|[(（][ア-ン][)）]|[ア-ン][\s\u3000、.]|[一二三四五六七八九十]{1,3}[\s\u3000])"
)


# A sentence that speaks of what was said just before: 「前項の規定は、本契約の終了後も同様とする」.
_BACK_REFERENCE = re.compile(
    r"^[\s\d０-９()（）.．、]*(?:前項|前条|前各項|前[二三２３23]項|本条|同項|同条|前号|前各号|前記|上記)"
    r"|(?:同様|同じ)(?:とする|とします|である|です|とし|に)"  # 「…後においても、同様とする」
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a contract's clause, read."""

    clause: ClauseRecord
    text: str
    reading: Reading
    before: str = ""  # what a back-reference (前項・本条 …) points at: the text just before
    # why its place keeps it from binding (a row the provider answered 一部対応 or 対応しない, a
    # part for reference: ``copilot.drafting.binding_parts``); empty where it binds as worded
    limit: str = ""

    @property
    def scope(self) -> str:
        """The text whose words count for an element: the sentence, and what it refers back to."""
        return f"{self.before}{self.text}" if self.before else self.text


@dataclass(frozen=True)
class ElementResult:
    """How one element stands in a contract, with the sentence it rests on."""

    element: Element
    status: Status
    sentence: Sentence | None
    why: str  # for a soft match: what keeps it from being met (empty otherwise)
    also: Sentence | None = None  # a second sentence of the same standing that says more of it
    # for a missing element: a sentence that speaks of it but does not bind the provider (its
    # discretion, a disclaimer, the user's own duty), which shows why the element is missing
    against: Sentence | None = None


def _missing_conditions(element: Element, reading: Reading) -> list[str]:
    have = set(reading.conditions) | ({"survives"} if reading.survives else set())
    return [n for n in element.needs if n not in have]


_NEED_JA = {
    "prior": "事前であること",
    "written": "書面によること",
    "approval": "承認を得ること",
    "notice": "通知すること",
    "report": "報告すること",
    "survives": "契約終了後も存続すること",
}
_WEAK_JA = {
    "effort": "努力義務にとどまる",
    "principle": "原則としての定めにとどまり、例外の余地がある",
    "statement": "義務として定められていない",
    "deferred": "具体的な内容が別途協議に委ねられている",
}

# a binding sentence that reaches only part of what is asked (``obligations.limitation``)
_LIMIT_JA = {
    "request": "市から求めがあった場合に限られている",
    "part": "対象が一部に限られている",
    "outline": "概要の提示にとどまる",
}


def assess(element: Element, text: str, reading: Reading) -> tuple[Status, str]:
    """Whether one sentence meets the element, only softly, or not at all (and why soft)."""
    if not element.holds(text) or reading.modality == "definition":
        return "missing", ""
    if reading.modality == "disclaimer":
        # 「…を目標として運営しますが、保証するものではありません」: the level is stated, unbound
        if _AIM.search(text) and reading.party != "city":
            return "soft", "目標としての記載にとどまり、保証されていない"
        return "missing", ""
    lacking = _missing_conditions(element, reading)
    party, modality = reading.party, reading.modality
    if modality in _HEDGED and reading.firm and element.holds(reading.firm):
        modality = "duty"  # the element sits in the part the hedge does not govern
    if party == "city":
        if "city" in element.accept and modality in ("permission", "duty"):
            return "met", ""
        return "missing", ""  # the city's or the user's own duty is not the provider's
    if modality == "permission":
        # 「乙は、甲の承認を得た場合は、再委託することができる」: allowed only on the condition
        if element.needs and not lacking and "provider" in element.accept:
            # 「当社は、承認を得ることなく委託することができます」 waives what it names
            if not waived(text) & set(element.needs):
                return "met", ""
        return "missing", ""  # the provider's discretion is the opposite of a safeguard
    if "provider" not in element.accept and modality not in _HEDGED:
        return "missing", ""
    if modality in _HEDGED:
        return "soft", _WEAK_JA[modality]
    if _TARGET.search(text):
        return "soft", "目標としての記載にとどまり、水準が約束されていない"
    if lacking:
        return "soft", "、".join(_NEED_JA[n] for n in lacking) + "が定められていない"
    limit = limitation(text, element.holds)
    if limit and not (limit == "request" and element.on_request):
        return "soft", _LIMIT_JA[limit]
    return "met", ""


def contract_sentences(clauses: Iterable[ClauseRecord]) -> list[Sentence]:
    """Every sentence of the clauses, read with the names each document defines for its parties.

    A document defines its parties near its start (the preamble, the first articles): its first
    30 clauses are read for 「（以下「乙」という。）」. The items of a list and the rows of a
    table below a sentence that introduces them (「受注者は、次に掲げる事項を遵守しなければ
    ならない。」, ``introduces``) are read with that sentence: 「(1) アクセスログの1年間の保存」
    is the provider's duty. A row of an answer sheet binds as the provider answered it, and a
    part for reference binds nobody (``copilot.drafting.binding_parts``).
    """
    by_doc: dict[str, list[ClauseRecord]] = {}
    for clause in clauses:
        by_doc.setdefault(clause.doc_id, []).append(clause)
    out: list[Sentence] = []
    marked = contract_marks(by_doc)
    for doc, doc_clauses in by_doc.items():
        parties: Parties = defined_parties("\n".join(c.text for c in doc_clauses[:30]))
        previous: list[ClauseRecord] = []  # the clauses before, back to the article's start
        lead: Reading | None = None  # the sentence that introduces the list read now
        lead_path = ""
        for clause, mark in zip(doc_clauses, marked[doc], strict=True):
            if clause.aside:
                continue
            article = clause.path.split(" > ")[0]
            if previous and previous[-1].path.split(" > ")[0] != article:
                previous = previous[-1:]  # a new article: only the clause just before is near
            below = article == lead_path.split(" > ")[0] and (
                clause.path.startswith(lead_path + " > ") or CELL in clause.text
            )
            said = ""  # the sentences of this clause before the one read
            over = heading_lead(clause.heading, parties)  # 「（乙の義務）」 over the items
            for text in sentences(clause.text):
                near = "".join(c.text for c in previous) + said
                before = near if _BACK_REFERENCE.search(text) else ""
                item = lead is not None and (below or bool(_ITEM.match(text)))
                reading = bind(read_sentence(text, parties, lead if item else over), mark)
                if not item:
                    lead, lead_path = (reading, clause.path) if introduces(text) else (None, "")
                out.append(Sentence(clause, text, reading, before, mark.why if mark else ""))
                said += text
            previous.append(clause)
    return out


def _count(element: Element, text: str) -> int:
    text = squash(text)
    return sum(w in text for group in element.terms for w in group)


def _specificity(element: Element, sentence: Sentence) -> tuple[int, int]:
    """How many of the element's expressions the sentence's body holds, then with its heading.

    A clause's first sentence carries the article's heading on a line of its own
    (「（準拠法及び管轄裁判所）」 above 「第16条　本契約は、日本法に準拠し…」): the heading
    names the topic of the whole article, so the sentence whose own words state the element is
    quoted before one that only sits under it.
    """
    body = sentence.text.rsplit("\n", 1)[-1]
    return _count(element, body), _count(element, sentence.text)


def _said(element: Element, text: str) -> frozenset[str]:
    text = squash(text.rsplit("\n", 1)[-1])
    return frozenset(w for group in element.terms for w in group if w in text)


# a disclaimer of damages from causes outside the provider's control speaks of no safeguard
_MISHAP = re.compile(r"天災|不可抗力|責めに帰す|責に帰す|起因|損害")


def _contrary(sentence: Sentence) -> bool:
    """A sentence of the provider that permits or disclaims what an element asks.

    「当社は、データを国外のリージョンに保管することがあります」 or 「当社は、データの保存場所に
    ついて保証しません」; not a disclaimer of damages from causes outside its control.
    """
    reading = sentence.reading
    if reading.party == "city":
        return False
    if reading.modality == "disclaimer":
        return not _MISHAP.search(sentence.text)
    return reading.modality == "permission"


def judge_elements(profile: Profile, pool: list[Sentence]) -> list[ElementResult]:
    """Each element's best standing over all sentences.

    Among the sentences of the best standing, the one that holds most of the element's
    expressions is quoted (the first of them, in document order, on a tie), and beside it a
    second of the same standing whose own words hold expressions of the element the first does
    not (the level of 稼働率 in one sentence, of 復旧時間 in the next): the most new ones, the
    first on a tie.
    """
    results = []
    rules = None  # the documents' order, read once where an element needs it
    for element in profile.elements:
        best = ElementResult(element, "missing", None, "")
        best_key = (0, 0, 0)
        standing: list[tuple[Sentence, str]] = []
        against, against_key = None, (0, 0)
        contrary: list[Sentence] = []  # the provider's permission or disclaimer on it
        for sentence in pool:
            if not element.holds(sentence.scope):
                continue
            status, why = assess(element, sentence.scope, sentence.reading)
            if status == "missing":
                if _contrary(sentence):
                    contrary.append(sentence)
                if sentence.reading.modality != "definition":
                    key2 = _specificity(element, sentence)
                    if key2 > against_key:
                        against, against_key = sentence, key2
                continue
            standing.append((sentence, status))
            key = (_RANK[status], *_specificity(element, sentence))
            if key > best_key:
                best, best_key = ElementResult(element, status, sentence, why), key
        if best.sentence is not None:
            said = _said(element, best.sentence.text)
            also, most = None, 0
            for sentence, status in standing:
                if status != best.status or squash(sentence.text) == squash(best.sentence.text):
                    continue
                new = len(_said(element, sentence.text) - said)
                if new > most:
                    also, most = sentence, new
            best = ElementResult(element, best.status, best.sentence, best.why, also)
            if best.status == "met" and contrary:
                met = [s for s, status in standing if status == "met"]
                rules = rules or governing(pool)
                if note := conflict_note(met, contrary, rules):
                    best = ElementResult(element, "soft", best.sentence, note, also)
        else:
            best = ElementResult(element, "missing", None, "", None, against)
        results.append(best)
    return results


def item_verdict(results: list[ElementResult]) -> str:
    """反映あり: every required element met; 一部反映: any met or soft; else 反映なし."""
    required = [r for r in results if r.element.required] or results
    if all(r.status == "met" for r in required):
        return "反映あり"
    if any(r.status != "missing" for r in results):
        return "一部反映"
    return "反映なし"
