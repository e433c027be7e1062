"""The elements a checklist item asks for, drawn from its own wording.

An item often asks for several things at once: 「準拠法を日本法とし、…管轄裁判所を日本国内の
裁判所とする」 is two, 「アクセスログ等の取得、保存期間及び市の求めに応じた提供」 three,
「バックアップ（取得頻度、保存期間、復旧の方法）」 three more inside the parentheses. A contract
that meets one of them is 一部反映, and the auditor wants to be told which is missing. So the item
text is cut into *facets*, each met when the contract holds any one of its alternatives:

- 及び・並びに・、・「…し、」 join facets that are all required;
- 又は・若しくは join alternatives of one facet, and an item that asks for 「…のいずれか」 has one
  facet whose alternatives are all the listed things;
- parentheses that list parts (「（取得頻度、保存期間、復旧の方法）」) add one facet per part;
  parentheses that give examples (a list ending in 等・など, or 「…を含む」) stay with their facet;
- a condition (「…する場合に、」「…の際に、」「…に当たり、」) and the question's closing verb
  (「…を定めているか。」) are not facets.

Only the wording decides: any city's checklist, numbered with ①②③ or not, is read the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.drafting.terms import key_terms
from ingest.normalise import squash

_CIRCLED = re.compile(r"[①-⑳]|\(\d+\)|（\d+）")
# The question's closing verb: what is left is what the contract should hold.
_CLOSING = re.compile(
    r"(?:こと)?(?:を|が|と|について)?(?:定め|求め|明確にし|明らかにし|明示し|規定し|明記し"
    r"|明らかにされ|定められ|含め|記載し|確認し|取り決め|設け|講じ|になっ|なっ)?(?:て|で)?"
    r"い(?:る|ます)か[。？?]?$"
)
# A condition of the whole item (「…を再委託する場合に、」「返還後に、」): context, not an element.
_CONDITION = re.compile(
    r"^.*?(?:(?:場合|際|とき|時|後)(?:に|には|は)|に当たり|に当たって|に際し)、"
)
_ADDRESSEE = re.compile(r"に対し(?:て)?$")  # 「市が外部サービス提供者に対して、」
_TOPIC = re.compile(r"(?:について|に関し(?:て)?)$")  # 「再委託について、①…②…」: what it is about
# A piece after which the rest of the item is how or why it is asked (「…ことを、仕様書又は…として
# 求めているか」「…のいずれかにより、…を評価しているか」): the elements end there.
_LAST = re.compile(r"(?:ことを|により|によって)$")
_CONJUNCTION = re.compile(r"及び|並びに|ならびに|とともに|と共に|、")
_DISJUNCTION = re.compile(r"又は|若しくは|もしくは|あるいは")
_ANY_OF = re.compile(r"いずれか")
_EXAMPLES = re.compile(r"等|など|ほか|例|を含む|を含め")
_PAREN = re.compile(r"[（(]([^（）()]*)[）)]")
# The parties are named in every item and every contract, in different words (外部サービス提供者
# in the checklist, 受注者 or 当社 in the contract): a piece that names only them asks for nothing.
_PARTIES = frozenset(
    "外部サービス提供者 外部サービス 提供者 事業者 受注者 委託先 本市 当市".split()
)


@dataclass(frozen=True)
class Facet:
    """One element an item asks for: met when the contract holds any of its alternatives."""

    text: str  # how the element reads in the item, for messages
    alternatives: tuple[str, ...]
    piece: str = ""  # the item's wording it was cut from (for ``name``)

    @property
    def name(self) -> str:
        """The element as a phrase to quote in a sentence (「…」に当たる定め), or ""."""
        return noun_phrase(self.piece or self.text)

    @property
    def terms(self) -> tuple[tuple[str, ...], ...]:
        """The key terms of each alternative."""
        return tuple(tuple(key_terms(a)) for a in self.alternatives)


def _clean(piece: str) -> str:
    piece = piece.strip(" 、。,")
    piece = re.sub(r"^(?:及び|並びに|又は|若しくは|かつ)", "", piece)
    piece = re.sub(r"(?:について|に関し|に関する|の|を|が|と|し|こと|ことを)+$", "", piece)
    return piece.strip(" 、。,")


_HIRAGANA_END = re.compile(r"[ぁ-ゖ]$")
_PARTICLE_END = re.compile(
    r"(?<=[^ぁ-ゖ])(?:について|に関し|に関する|により|によって|は|が|を|に|で|と|の|も)$"
    r"|(?<=こと)(?:を|が|は)$"
)
_DICTIONARY_FORM = re.compile(r"(?:[るうくすつぬぶむぐ]|ている|た)$")
_ICHIDAN_STEM = re.compile(r"[けめじせべれえね]$")
_SURU_NOUN = re.compile(r"[一-龥ァ-ヶー][一-龥ァ-ヶー]し$")  # 消去し, 取得し (not 引き渡し)


def noun_phrase(piece: str) -> str:
    """A piece of the item as a phrase that can stand in 「…」に当たる定め, or "" if none.

    An item's wording is cut at its conjunctions, so a piece may end in a verb's stem
    (「連絡体制を取り決め」「引き渡し」「日本法とし」): the stem is completed (「取り決めること」
    「引き渡すこと」「日本法とすること」), a plain verb gets こと (「承認を得ること」), a trailing
    particle is dropped; a piece that cannot be completed (a question, 「…となっ」) has no name.
    """
    phrase = re.sub(r"^(?:及び|並びに|又は|若しくは|かつ)", "", piece.strip(" 、。,"))
    while _PARTICLE_END.search(phrase):
        phrase = _PARTICLE_END.sub("", phrase)
    if phrase.endswith("こととし"):
        phrase = phrase[:-2]
    if not phrase or not _HIRAGANA_END.search(phrase) or phrase.endswith("こと"):
        return phrase
    if _DICTIONARY_FORM.search(phrase):
        return f"{phrase}こと"
    if phrase.endswith("し"):
        if phrase.endswith("とし") or _SURU_NOUN.search(phrase):
            return f"{phrase[:-1]}すること"  # 日本法とし, 消去し → 日本法とすること, 消去すること
        return f"{phrase[:-1]}すこと"  # 引き渡し → 引き渡すこと
    if _ICHIDAN_STEM.search(phrase):
        return f"{phrase}ること"  # 取り決め → 取り決めること
    return ""


def _asks(piece: str) -> bool:
    terms = key_terms(piece)
    return bool(terms) and not all(t in _PARTIES for t in terms)


def _split_alternatives(piece: str) -> tuple[str, ...]:
    parts = [_clean(p) for p in _DISJUNCTION.split(piece)]
    return tuple(p for p in parts if _asks(p))


def facets(item_text: str) -> list[Facet]:
    """The elements of a checklist item, in the order the item names them (at least one)."""
    text = squash(_CIRCLED.sub("、", item_text))
    text = _CLOSING.sub("", text)
    text = _CONDITION.sub("", text)
    parts_lists: list[str] = []

    def lift(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if _EXAMPLES.search(inner) or not _CONJUNCTION.search(inner):
            return m.group(0)  # examples, or one remark: part of the facet they follow
        parts_lists.append(inner)
        return ""

    main = _PAREN.sub(lift, text)
    pieces: list[str] = []
    for chunk in _CONJUNCTION.split(_PAREN.sub(lambda m: m.group(0).replace("、", "・"), main)):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _ADDRESSEE.search(chunk) or (not pieces and _TOPIC.search(chunk)):
            continue
        if _DISJUNCTION.match(chunk) and pieces:  # 「…を求め、又は…」: another way to the same end
            pieces[-1] = f"{pieces[-1]}{chunk}"  # the chunk begins with its own 又は
        else:
            pieces.append(chunk)
        if _LAST.search(chunk):
            break
    found: list[Facet] = []
    for piece in pieces:
        alts = _split_alternatives(piece)
        if alts:
            found.append(Facet(_clean(piece), alts, piece))
    for inner in parts_lists:
        for part in _CONJUNCTION.split(inner):
            alts = _split_alternatives(part)
            if alts:
                found.append(Facet(_clean(part), alts, part))
    if _ANY_OF.search(text) and len(found) > 1:  # 「…のいずれかにより」: any one will do
        alts = tuple(a for f in found for a in f.alternatives)
        found = [Facet("・".join(f.text for f in found), alts)]
    if not found:
        whole = _clean(text)
        found = [Facet(whole, (whole,))]
    return found
