"""What a contract sentence obliges: which party is bound, how firmly, on what conditions.

A checklist item is met only by a sentence that binds the provider:
「乙は、あらかじめ甲の書面による承認を得なければ再委託してはならない」 meets the item on
subcontracting; 「当社は、当社の判断で業務の全部又は一部を第三者に委託することができます」 speaks
of the same topic and is its opposite. So every sentence of a contract's documents is read for

- the **party** it binds (``provider``, ``city``, ``both`` or ``none``): the subject of its
  main predicate (the first 「Xは」, else the first 「Xが」), where X is one of the parties'
  names. The names are the usual ones (受注者・受託者・乙・当社・弊社・事業者・提供者 … for the
  provider; 発注者・委託者・甲・本市・利用者・お客様 … for the city or user) and those the
  document itself defines (「株式会社〇〇（以下「乙」という。）」 makes 乙 the provider's name,
  by what the name stands for);
- the **modality** of the main predicate: ``duty`` and ``prohibition`` bind; ``effort``
  (努める), ``permission`` (できる・場合がある), ``disclaimer`` (保証しない・責任を負わない),
  ``principle`` (原則として・基本とする・可能な限り) and ``deferred`` (別途協議: nothing fixed
  yet) do not bind, or not fully; ``definition`` (「…とは…をいう」, binding nobody) and
  ``statement`` (no predicate that binds) state facts. The polite register of terms of service
  reads the same way (「お客様は…してください」 binds the user, 「…しないでください」 forbids);
- the **conditions** it names: ``prior`` (あらかじめ・事前), ``written`` (書面), ``approval``
  (承認・承諾・許可・同意) against the weaker ``notice`` (通知), ``report`` (報告) and
  ``publication`` (公表・掲載);
- whether it **survives** the contract (「本契約終了後も」「なお効力を有する」) and whether it
  carries an **exception** (「ただし…この限りでない」「…を除き」).

An item of a list or a table's cell (「(1) アクセスログの1年間の保存」) has no subject or predicate
of its own: it is read with the sentence that introduces it (``introduces``: 「受注者は、次に掲げる
事項を遵守しなければならない。」), taking its party, modality and conditions where it names none.

Only the wording decides, by general rules of Japanese contract language; no document's own text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ingest.normalise import nfkc

__all__ = [
    "CITY_NAMES",
    "PROVIDER_NAMES",
    "Condition",
    "Modality",
    "Parties",
    "Reading",
    "Side",
    "defined_parties",
    "heading_lead",
    "introduces",
    "limitation",
    "read_sentence",
    "waived",
]

Side = Literal["provider", "city", "both", "none"]
Modality = Literal[
    "duty",
    "prohibition",
    "effort",
    "permission",
    "disclaimer",
    "principle",
    "deferred",
    "definition",
    "statement",
]
Condition = Literal["prior", "written", "approval", "notice", "report", "publication"]

BINDING: frozenset[str] = frozenset({"duty", "prohibition"})

# The names contracts, specifications and terms of service give the two sides.
PROVIDER_NAMES: tuple[str, ...] = tuple(
    "外部サービス提供者 クラウドサービス事業者 クラウド事業者 サービス提供者 サービス事業者 受注者"
    " 受託者 請負者 受任者 委託先 再委託先 再受託者 提供者 事業者 契約相手方 当社 弊社 乙 丙"
    " ベンダー ベンダ 開発者".split()
)
CITY_NAMES: tuple[str, ...] = tuple(
    "発注者 委託者 委任者 委託元 利用団体 利用者 ユーザー ユーザ お客様 顧客 契約者 会員 本市 当市"
    " 本県 当県 本町 本村 本区 当区 本学 貴市 貴県 貴町 貴村 貴区 貴団体 貴庁 市 県 町 村 区"
    " 甲".split()
)
# A defined name (「X（以下「Y」という。）」) takes the side of what X is.
_PROVIDER_KINDS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|\(株\)|㈱|事業者|受注者|受託者|請負者|提供者|ベンダ|当社|弊社"
)
_CITY_KINDS = re.compile(
    r"[都道府県市区町村]$|[都道府県市区町村](?:長|役所|役場|教育委員会)|大学|法人|機構|研究所|"
    r"省|庁|委員会|組合|発注者|委託者|利用者|お客様|顧客|契約者|会員|団体"
)
# 「X（以下「Y」という。）」, 「X（以下Yという。）」, 「X（以下単に「Y」という。）」
_DEFINITION = re.compile(
    r"([^（(「」、。]{1,40}?)[（(]以下[、,]?\s*(?:単に)?[、,]?\s*[「『]?([^「」『』（）()、。\s]{1,15}?)"
    r"[」』]?\s*と(?:いう|いいます|称する|称します)"
)
# 「「Y」とは、Xをいう。」 (a terms of service's definitions article)
_DEFINED_AS = re.compile(
    r"[「『]([^」』]{1,15})[」』]とは[、,]?\s*([^。「」]{1,60}?)を(?:いい|いう|指し|指す|意味)"
)
# a preamble or 当事者 table: 「甲\t株式会社〇〇」「乙：〇〇市長 〇〇」「（甲）〇〇町」
_TABLE_PARTY = re.compile(
    r"^[\s\u3000]*[（(【]?([^\s\u3000:：\t（）()【】]{1,8}?)[）)】]?[\s\u3000]*[:：\t\s\u3000]"
    r"[\s\u3000]*([^\n\t]{2,40})",
    re.MULTILINE,
)
# what an entity is: a company, or a public body (its head, not a relative clause before it)
_COMPANY = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|\(株\)|㈱")
_PUBLIC_BODY = re.compile(
    r"[都道府県市区町村](?:長|役所|役場|教育委員会)?(?:[\s\u3000]|$)|教育委員会|地方公共団体|一部事務組合"
)
# where a relative clause ends: 「当社が提供するクラウドサービス」 is a service, not 当社
_RELATIVE = re.compile(
    r".*(?:する|した|される|された|している|していた|による|に係る|に関する|が|を)"
)
_DEFINES = re.compile(
    r"とは[、,]?.*(?:をいう|をいいます|を指す|を意味する|を意味します)$|をいう$|をいいます$"
)

_OWN_WORD = r"(?<![一-龥ァ-ヶーA-Za-z])"  # a name is not the tail of another word (都市, 市場)
# a longer name may close a compound of katakana or letters (サービス利用者, SaaS事業者)
_OWN_HEAD = r"(?<![一-龥])"
_HONORIFIC = r"(?:様|さま|殿)?"
_TOPIC = r"(?:は|においては|にあっては|も)"
_SUBJECT = r"(?:が)"
# the last 「…し、」「…て、」 of a sentence: where its final predicate's own part begins
_LAST_CONJUNCT = re.compile(
    r".*(?<!に対し)(?<!に対)(?<!につい)(?<!とし)(?<!によっ)(?<!におい)(?<!に関し)(?<!に際し)"
    r"(?:[しりきけせえてず]|とともに)、"
)
_ANY_TOPIC = re.compile(
    r"(?<!とき)(?<!場合)(?<!際)(?<!時)(?<!後)(?<!に)(?:は|においては|については)、"
)
_BOTH = re.compile(
    r"(?:甲及び乙|甲乙|甲又は乙|乙及び甲|両当事者|当事者双方|双方|各当事者|いずれの当事者)"
    r"(?:は|が|とも|ともに|も)"
)

_DISCLAIMER = re.compile(
    r"責任を負わ(?!せ|なければ|ねば)|責任を負いかね|責任を負うものではな|責任を負うものでは|"
    r"(?:責任|責め|義務)[はも](?:一切)?負わ(?!せ|なければ|ねば)|"
    r"(?:責任|責め|義務)を(?:一切|何ら)負わ(?!せ|なければ|ねば)|"
    r"(?:保証|補償)(?:いた)?しかね|(?:いかなる|何らの|何ら|一切の)保証(?:も|を)?(?:行|いた|し)|"
    r"(?:責任|義務|責)を負いません|義務を負わ(?!せ|なければ|ねば)|"
    r"責を負わ(?!せ|なければ|ねば)|(?:保証|補償|賠償)し(?:ない|ません)|保証いたしません|"
    r"保証するものではな|保証するものでは|保証を行わ|免責され|免除され|いかなる責任も|"
    r"一切の責任(?!を負う$|を負うものとする$|を負います$|を負うものとします$)"
)
_EFFORT = re.compile(r"努め|努力|目指|目標と|配慮す|配慮し|心掛け|心がけ|望まし|推奨")
_PERMISSION_END = re.compile(
    r"(?:ことができる|ことができます|ことができるものとする|ことができるものとします|できるものとする|"
    r"できるものとします|ことがある|ことがあります|場合がある|場合があります|こともある|"
    r"ことも可能とする|ことも可とする|得る|得ます|差し支えない|差し支えありません|妨げない|"
    r"妨げません|可能とする|可能です|可能とします|任意とする|任意とします|ものとすることができる|"
    # no requirement is a freedom: 「軽微な変更については、甲の承認を要しない」
    r"要しない|要しません|必要としない|必要としません|必要はない|必要はありません|不要とする|"
    r"不要とします|不要です|妨げるものではない|妨げるものではありません)$"
)
_PRINCIPLE = re.compile(
    r"原則として|原則、|原則は|原則と(?:する|します|し)|基本とする|基本とします|基本とし|可能な限り|"
    r"できる限り|できるだけ|極力|なるべく|必要に応じて|可能であれば|望ましい|可能な範囲"
)
# a matter left to a later agreement (「別途協議の上定める」): nothing is fixed yet
_DEFERRED = re.compile(r"別途[^。、]{0,12}?協議|協議(?:の上|により|して)[、,]?別途")
# only where it governs the main predicate (「…別途協議の上定めるものとする」), not a step before
# a duty fixed now (「…別途協議の上、データを返還しなければならない」)
_DEFERRED_TAIL = 16
_PROHIBITION_END = re.compile(
    r"(?:てはならない|てはなりません|ではならない|てはならないものとする|ことを禁止する|ことを禁止します|"
    r"を禁止する|を禁止します|禁ずる|禁じる|禁止とする|行わない|行いません|しない|しません|"
    r"いたしません|ないものとする|ないものとします|できない|できません|ないこと|させない|させません|"
    r"ないでください|ないようにしてください|お控えください|おやめください|ご遠慮ください|禁止)$"
)
_DUTY_END = re.compile(
    r"(?:なければならない|なければなりません|ねばならない|ものとする|ものとします|義務を負う|"
    r"義務を負います|責任を負う|責任を負います|責を負う|こと|ことを求める|とする|とします|します|"
    r"いたします|[るうくすつぬぶむぐ]|ます|ください|下さい)$"
)
_STATEMENT_END = re.compile(r"(?:である|です|であった|でした|だ|ではない|ではありません|等|など)$")

# a condition named only to be waived where nothing is forbidden: 「当社は、承認を得ることなく
# 委託することができます」 (but 「承認を得ないで再委託してはならない」 names the condition)
_WITHOUT = (
    r"(?!(?:を得る|を得|を受ける|を受け|をする|を行う|する)?(?:ことなく|ことなしに|ずに|ないで|なく|"
    r"なしに|なしで|を要せず|を要しない|は要しない|を必要とせず|不要))"
)
_WAIVED: dict[str, re.Pattern[str]] = {
    "approval": re.compile(r"(?:承認|承諾|許可|同意|許諾|了承)" + _WITHOUT),
    "notice": re.compile(r"(?:通知|連絡|通告|知らせ|申し出|申出|届出|届け出)" + _WITHOUT),
}
_CONDITIONS: tuple[tuple[Condition, re.Pattern[str]], ...] = (
    (
        "prior",
        re.compile(
            r"あらかじめ|予め|事前に|事前の|前もって|開始前|着手前|実施前|"
            r"[0-9０-９一二三四五六七八九十]+\s*(?:か月|ヶ月|カ月|箇月|ケ月|日|週間|営業日|年)\s*前"
        ),
    ),
    ("written", re.compile(r"書面|文書により|文書で|文書による|電磁的記録|電磁的方法")),
    ("approval", re.compile(r"承認|承諾|許可|同意|許諾|了承")),
    ("notice", re.compile(r"通知|連絡|通告|知らせ|申し出|申出|届出|届け出")),
    ("report", re.compile(r"報告")),
    ("publication", re.compile(r"公表|掲示|掲載|ウェブサイト上|ホームページ上|サイト上|公開")),
)
_SURVIVES = re.compile(
    r"(?:終了|満了|解除|終了した|満了した|解除された|消滅した)(?:後|した後|の後)"
    r"(?:も|においても|であっても|にあっても)|存続する|存続します|なお効力を有|効力を失わない|"
    r"なお有効|(?:終了|満了|解除)(?:後|した後|の日から)\s*[0-9０-９一二三四五六七八九十]+\s*(?:年|か月|ヶ月|カ月)|"
    # 「本契約が終了した場合においても」「契約の終了にかかわらず」「終了事由の如何を問わず」
    r"(?:終了|満了|解除|失効)(?:した|された|により終了した)?(?:場合|とき)(?:においても|であっても|にも)|"
    r"(?:終了|満了|解除|失効)(?:に|の如何に)かかわらず|終了(?:の)?事由の如何を問わず|"
    r"(?:終了|満了|解除)(?:後|した後)(?:においても|であっても|も)"
)
_EXCEPTION = re.compile(
    r"この限りでない|この限りではない|この限りではありません|を除き|を除いて|を除く"
)
_TAIL = re.compile(r"[\s。．.、,）)」』]+$")


@dataclass(frozen=True)
class Parties:
    """The names that stand for each side in one document."""

    provider: tuple[str, ...] = PROVIDER_NAMES
    city: tuple[str, ...] = CITY_NAMES

    def side_of(self, name: str) -> Side:
        """The side a name stands for ("none" for a name of neither)."""
        if name in self.provider:
            return "provider"
        if name in self.city:
            return "city"
        return "none"

    def names(self) -> list[tuple[str, Side]]:
        """Every name with its side, longest first (so 受注者 is found before 者)."""
        pairs: list[tuple[str, Side]] = [(n, "provider") for n in self.provider]
        pairs += [(n, "city") for n in self.city if n not in self.provider]
        return sorted(pairs, key=lambda p: -len(p[0]))


@dataclass(frozen=True)
class Reading:
    """One sentence read: who is bound, how firmly, on what conditions."""

    party: Side
    modality: Modality
    conditions: frozenset[Condition]
    survives: bool
    exception: bool
    # 「直ちに市に連絡し、復旧に努めること」: the hedge governs only the last part; what comes
    # before it is bound by the sentence's ending (empty unless hedged at its end only)
    firm: str = ""

    @property
    def binding(self) -> bool:
        """True for a duty or prohibition (a sentence the other side can hold its party to)."""
        return self.modality in BINDING

    @property
    def binds_provider(self) -> bool:
        """True for a duty or prohibition of the provider (or of both parties)."""
        return self.binding and self.party in ("provider", "both")


def _side_of_referent(what: str, name: str) -> Side:
    """The side a defined name takes from what it stands for (its head noun), or "none"."""
    head = _RELATIVE.sub("", what).strip() if _RELATIVE.match(what) else what
    described = head != what  # 「当社が提供するクラウドサービス」: only the head says what it is
    if _PROVIDER_KINDS.search(head) or (
        not described and not _CITY_KINDS.search(head) and _PROVIDER_KINDS.search(name)
    ):
        return "provider"
    if _CITY_KINDS.search(head) or (not described and _CITY_KINDS.search(name)):
        return "city"
    return "none"


def defined_parties(text: str, base: Parties | None = None) -> Parties:
    """The parties' names in a document: the usual ones, with the document's own definitions.

    「国立大学法人〇〇大学（以下「甲」という。）」 and 「株式会社〇〇（以下「乙」という。）」 put
    甲 on the city's side and 乙 on the provider's (also written 「以下乙という」 or 「以下単に
    「乙」という」, or 「「当社」とは、株式会社〇〇をいう」); a defined name whose referent says
    neither keeps the side it usually has, and an unusual one (「以下「本事業者」という」) takes
    the side of its words. A preamble or 当事者 table (「甲」 and a company's name in the cells
    of one row, 「乙：〇〇市長」) re-sides the usual names only, by the company or public body
    it names.
    """
    base = base or Parties()
    provider, city = list(base.provider), list(base.city)
    text = nfkc(text)

    def put(name: str, side: Side) -> None:
        mine, other = (provider, city) if side == "provider" else (city, provider)
        if name in other:
            other.remove(name)
        if name not in mine:
            mine.append(name)

    found = [(w, n) for w, n in _DEFINITION.findall(text)]
    found += [(w, n) for n, w in _DEFINED_AS.findall(text)]
    for what, name in found:
        side = _side_of_referent(what.strip(), name.strip())
        if side != "none":
            put(name.strip(), side)
    usual = set(base.provider) | set(base.city)
    for name, what in _TABLE_PARTY.findall(text):
        if name not in usual:
            continue
        if _COMPANY.search(what):
            put(name, "provider")
        elif _PUBLIC_BODY.search(what):
            put(name, "city")
    return Parties(tuple(provider), tuple(city))


def _party(text: str, parties: Parties) -> Side:
    found: list[tuple[int, int, Side]] = []  # (topic 0 before subject 1, position, side)
    # 「データ連携は、…市が指定する方法で…」: after a topic that is no party, a party's が sits
    # inside a modifier, not at the head of the sentence
    topic = _ANY_TOPIC.search(text)
    for name, side in parties.names():
        own = _OWN_HEAD if len(name) >= 3 else _OWN_WORD
        for rank, particle in ((0, _TOPIC), (1, _SUBJECT)):
            m = re.search(own + re.escape(name) + _HONORIFIC + particle, text)
            if m and (rank == 0 or topic is None or m.start() < topic.start()):
                found.append((rank, m.start(), side))
        # 「お客様には…ご負担いただきます」: whom a polite request is made of
        if "いただ" in text and (m := re.search(own + re.escape(name) + _HONORIFIC + "には", text)):
            found.append((2, m.start(), side))
    both = _BOTH.search(text)
    if not found:
        return "both" if both else "none"
    rank, at, side = min(found)
    if both and both.start() <= at:
        return "both"
    return side


def _party_topic(text: str, parties: Parties) -> Side:
    """The party a part of a sentence opens with as its topic (「乙は、」), or "none"."""
    for name, side in parties.names():
        own = _OWN_HEAD if len(name) >= 3 else _OWN_WORD
        if re.match(r"[\s\u3000]*" + own + re.escape(name) + _HONORIFIC + _TOPIC, text):
            return side
    return "both" if _BOTH.match(text.lstrip()) else "none"


def _modality(text: str) -> Modality:
    end = _TAIL.sub("", text)
    if _DEFINES.search(end):
        return "definition"
    if _DISCLAIMER.search(end):
        return "disclaimer"
    if _EFFORT.search(end[-14:]):
        return "effort"
    if _PERMISSION_END.search(end):
        return "permission"
    if (deferred := _DEFERRED.search(end)) and len(end) - deferred.end() <= _DEFERRED_TAIL:
        return "deferred"
    if _PRINCIPLE.search(end):
        return "principle"
    if _PROHIBITION_END.search(end):
        return "prohibition"
    if _STATEMENT_END.search(end):
        return "statement"
    if _DUTY_END.search(end):
        return "duty"
    return "statement"


# a sentence that introduces a list or a table: 「次に掲げる事項を遵守しなければならない」
_INTRODUCES = re.compile(
    r"次の(?:各号|いずれか|とおり|事項|要件|措置|行為|場合|内容|業務|基準|条件)|次に(?:掲げる|定める|示す)|"
    r"以下の(?:各号|事項|要件|措置|行為|とおり|内容|業務|基準|条件)|下記の|別表"
)
_NOT_A_LIST = re.compile(r"用語|意義|定義|とは|契約を締結|合意する|合意した")
# what a list's item carries from its lead: nothing where the item says it itself
_OWN_PREDICATE = frozenset(
    {"duty", "prohibition", "effort", "permission", "disclaimer", "principle", "deferred"}
)


# a heading that says its article holds a party's duties: 「（乙の義務）」「受注者の遵守事項」
_DUTY_HEADING = r"(?:の|が[^）)\s]{0,8}?)(?:義務|責務|遵守事項|実施事項|作業内容|業務内容|役割)"


def heading_lead(heading: str, parties: Parties | None = None) -> Reading | None:
    """The duty a heading puts over its article's items, or None.

    Under 「第7条（乙の義務）」 the items 「(1) 秘密の保持」「(2) 教育の実施」 are 乙's duties,
    though they name no party and have no predicate: read them with this as their lead.
    """
    text = nfkc(heading)
    for name, side in (parties or Parties()).names():
        own = _OWN_HEAD if len(name) >= 3 else _OWN_WORD
        if re.search(own + re.escape(name) + _DUTY_HEADING, text):
            return Reading(side, "duty", frozenset(), False, False)
    return None


def introduces(sentence: str) -> bool:
    """Whether a sentence introduces a list or table whose items carry its duty.

    「受注者は、次に掲げる事項を遵守しなければならない。」 does; a list of definitions
    (「次の各号に掲げる用語の意義は…」) and a preamble (「次のとおり契約を締結する」) do not.
    """
    text = nfkc(sentence).strip()
    if not _INTRODUCES.search(text) or _NOT_A_LIST.search(text):
        return False
    return _modality(text) not in ("definition", "statement")


def read_sentence(
    sentence: str, parties: Parties | None = None, lead: Reading | None = None
) -> Reading:
    """Read one sentence of a contract, specification or terms of service.

    Args:
        sentence: the sentence as stored (any width; it is NFKC-normalised here).
        parties: the document's names for each side (``defined_parties``); the usual ones if None.
        lead: for an item of a list or a table's cell, the reading of the sentence that
            introduces it (``introduces``): the item takes its party where it names none, its
            modality where it has no predicate of its own (「(1) アクセスログの1年間の保存」),
            and its conditions beside its own.

    Returns:
        The party bound, the modality, the conditions named, survival and exception.

    """
    text = nfkc(sentence).strip()
    modality = _modality(text)
    firm = ""
    if modality in ("effort", "principle", "deferred"):
        cut = _LAST_CONJUNCT.search(text)
        if (
            cut
            and not _EFFORT.search(text[: cut.end()])
            and not _PRINCIPLE.search(text[: cut.end()])
            and not _DEFERRED.search(text[: cut.end()])
        ):
            firm = text[: cut.end()]
    # a definition binds nobody, whoever it names
    party = "none" if modality == "definition" else _party(text, parties or Parties())
    # 「甲は、…を求めることができ、乙は、これに応じなければならない」: the last part names its
    # own party, and the sentence's ending is that party's
    cut = _LAST_CONJUNCT.search(text)
    if cut and modality != "definition":
        last = _party_topic(text[cut.end() :], parties or Parties())
        if last != "none":
            party = last
    conditions = frozenset(c for c, pattern in _CONDITIONS if pattern.search(text))
    survives = bool(_SURVIVES.search(text))
    if lead is not None and modality != "definition":
        if party == "none":
            party = lead.party
        if modality not in _OWN_PREDICATE:
            modality = lead.modality
        conditions |= lead.conditions
        survives = survives or lead.survives
    return Reading(
        party=party,
        modality=modality,
        conditions=conditions,
        survives=survives,
        exception=bool(_EXCEPTION.search(text)),
        firm=firm,
    )


# --- how far a binding sentence reaches -------------------------------------------------------

# a duty that arises only when the city asks: 「甲から求めがあった場合に限り報告する」
# 「発注者が求めたときは、…提出しなければならない」「求めに応じて概要を示す」
# (not 「求められた場合を除き」)
_ON_REQUEST = re.compile(
    r"(?:求め|要求|請求|要請|申出|申し出)(?:に応じ|により|があった(?:場合|とき)|がある(?:場合|とき)|"
    r"を受けた(?:場合|とき))|求めた(?:場合|とき)|求められた(?:場合|とき)|"
    r"希望(?:する|した)?(?:場合|とき)|希望に応じ"
)
_NOT_ON_REQUEST = re.compile(r"^[^、。]{0,4}(?:を除|であっても|でも|にかかわらず)")
# a part named with 一部 (not 「全部又は一部」: 「業務の全部又は一部を委託」 is all of it)
_PART = re.compile(
    r"(?<!全部又は)(?<!全部若しくは)(?<!全部もしくは)(?<!全部及び)(?<!全部・)"
    r"(?:一部の(?:データ|情報|通信|ログ|記録|機能|項目|画面|サーバ|端末|システム)|"
    r"(?:データ|情報|通信|ログ|記録|機能)の一部(?:を|に|について|のみ|に限))"
)
# an adverbial limit on what the duty covers: 「個人情報に限り暗号化する」「…のうち…のみ」
# 「〇〇に係るものに限る」; what is limited is a kind of data, communication or a part
_LIMITED = re.compile(
    r"([^、。「」]{1,24}?)(?:に限り|に限って|に限定して|のみを|のみに|のみについて|のみ、)"
)
_LIMITED_KIND = re.compile(
    r"(?:個人情報|情報|通信|データ|ファイル|ログ|記録|文書|部分|もの|項目|帳票|媒体)$"
)
# a limit of means or level is a requirement, not a gap: 「暗号化通信に限り」「TLS1.2以上に限り」
_LIMIT_OF_MEANS = re.compile(r"暗号化|暗号|以上|以下|安全|承認|許可|正規|認証|国内|日本|本邦|所在")
_SUBSET = re.compile(
    r"(?:に係る|に関する|に該当する)ものに限る|のうち[、,]?[^。]{1,30}?(?:に限り|に限る|のみ)"
)
# only an outline where the thing itself is asked: 「概要を提示する」「概要のみを示す」
_OUTLINE = re.compile(
    r"概要(?:のみ)?(?:を|について)[^、。]{0,10}?(?:提示|示|開示|説明|公表|公開|閲覧)"
)


def _boundary(text: str, at: int) -> int:
    """Where the conjunct holding position ``at`` begins (after the last 「…し、」 before it)."""
    cut = _LAST_CONJUNCT.search(text[:at])
    return cut.end() if cut else 0


def limitation(text: str, holds: Callable[[str], bool] | None = None) -> str:
    """What keeps a binding sentence from reaching all of what is asked, or "" for nothing.

    - ``request``: the duty arises only when the city asks (「甲から求めがあった場合に限り報告
      する」「発注者が求めたときは、…書面を提出しなければならない」);
    - ``part``: it covers only some data, communication or a part named with 一部
      (「個人情報に限り暗号化する」「保守用の通信に限り」「…のうち…のみ」「〇〇に係るものに限る」);
    - ``outline``: only an outline is shown (「概要を提示する」).

    Harmless limits are left alone: an exception (「ただし…この限りでない」), a limit of place,
    means or level, which is itself the requirement (「国内においてのみ保管」「暗号化通信に
    限る」「TLS1.2以上に限り」), a condition on a permission (「承認を得た場合に限り」) and
    「業務の全部又は一部」. ``holds`` tells whether a text states the element: where the element
    is stated before the conjunct the request governs (the erasure in 「消去するものとし、
    求めたときは、証明書を提出する」), the request does not limit it.
    """
    text = nfkc(text).strip()
    for m in _ON_REQUEST.finditer(text):
        if _NOT_ON_REQUEST.match(text[m.end() :]):
            continue
        head = text[: _boundary(text, m.start())]
        if holds is None or not holds(head):
            return "request"
    if _PART.search(text) or _SUBSET.search(text):
        return "part"
    for m in _LIMITED.finditer(text):
        what = m.group(1)
        if _LIMITED_KIND.search(what) and not _LIMIT_OF_MEANS.search(what):
            return "part"
    if m := _OUTLINE.search(text):
        # 「再委託先の概要を提示し、甲の承認を得なければ…」: the outline is a step of another duty
        end = re.search(r"[しりきけせえて]、", text[m.end() :])
        rest = text[: _boundary(text, m.start())] + (text[m.end() + end.end() :] if end else "")
        if holds is None or not holds(rest):
            return "outline"
    return ""


def waived(text: str) -> frozenset[str]:
    """The conditions a sentence names only to waive them (「承認を得ることなく」「通知なしに」).

    Read this only for a permission: in a prohibition the same words name the condition
    (「承認を得ないで再委託してはならない」).
    """
    text = nfkc(text)
    named = {c for c, pattern in _CONDITIONS if c in _WAIVED and pattern.search(text)}
    return frozenset(c for c in named if not _WAIVED[c].search(text))
