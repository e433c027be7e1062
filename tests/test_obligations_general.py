"""The sentence reader on wording of every usual form, not only the forms it was first written for.

Every sentence here was written for this test from general Japanese contract language: the many
names the two sides go by (甲乙丙, 委託者・受託者, 発注者・受注者, 貴市・当社, 本市・事業者, 契約者・当社,
利用者・提供者), the ways a document defines them (「以下「○○」という。」 with or without 「」,
「以下単に…」, a preamble table, a 「当事者」 article, 「「当社」とは…をいいます」), the polite register of
terms of service (「当社は…します」「お客様は…ください」), the endings of duties, efforts, rights,
disclaimers, principles and matters left to later agreement (別途協議), and the items of a list or
the cells of a table, which carry the duty of the sentence that introduces them.
"""

from __future__ import annotations

import pytest

from copilot.drafting.elements import contract_sentences
from copilot.drafting.obligations import (
    defined_parties,
    heading_lead,
    introduces,
    read_sentence,
)
from ingest.index import ClauseRecord

P, C, B, N = "provider", "city", "both", "none"
PRIOR, WRITTEN, APPROVAL = "prior", "written", "approval"
NOTICE, REPORT, PUBLICATION = "notice", "report", "publication"

# (sentence, party, modality, conditions), read with the usual names only
TABLE: list[tuple[str, str, str, set[str]]] = [
    # names of the two sides not in the first table
    ("貴市は、本サービスの利用に必要な端末を自ら用意するものとします。", C, "duty", set()),
    (
        "当社は、貴市の事前の書面による承諾なく、貴市のデータを第三者に提供しません。",
        P,
        "prohibition",
        {PRIOR, WRITTEN, APPROVAL},
    ),
    ("サービス利用者は、利用者IDを適切に管理しなければならない。", C, "duty", set()),
    ("SaaS事業者は、保守作業の予定を利用団体に通知するものとする。", P, "duty", {NOTICE}),
    ("クラウドサービス提供者は、データを国内の拠点で保管すること。", P, "duty", set()),
    ("本区は、必要に応じて受託者に報告を求めることができる。", C, "permission", {REPORT}),
    # polite terms of service: 「…ください」 binds the user, 「…ないでください」 forbids
    ("お客様は、パスワードを定期的に変更してください。", C, "duty", set()),
    ("お客様は、ログインIDを第三者に貸与しないでください。", C, "prohibition", set()),
    (
        "ご利用者様は、本サービスを法令に反する目的で利用することはできません。",
        C,
        "prohibition",
        set(),
    ),
    ("当社は、お客様から預かったデータを暗号化して保管いたします。", P, "duty", set()),
    (
        "お客様には、解約の1か月前までに当社所定の方法でお申し出いただく必要があります。",
        C,
        "duty",
        {PRIOR, NOTICE},
    ),
    # endings of a duty in specifications and procurement documents
    ("受注者は、作業完了後、速やかに作業報告書を提出することとする。", P, "duty", {REPORT}),
    ("受託者は、業務の実施に当たっては、関係法令を遵守するものとすること。", P, "duty", set()),
    ("システムの運用監視を24時間365日体制で行うこと。", N, "duty", set()),
    ("外部記録媒体の使用禁止。", N, "prohibition", set()),
    ("受注者は、データの消去を証明する書面を発注者に提出する必要がある。", P, "duty", {WRITTEN}),
    # efforts, however worded
    ("乙は、業務の品質の向上に努力するものとする。", P, "effort", set()),
    ("当社は、商業上合理的な範囲で障害の復旧に努力いたします。", P, "effort", set()),
    # rights and what may happen
    ("当社は、本サービスの内容を予告なく変更することがあります。", P, "permission", set()),
    (
        "受託者は、委託者の承諾を得て、業務の一部を再委託することができるものとする。",
        P,
        "permission",
        {APPROVAL},
    ),
    # disclaimers in their usual variants
    (
        "当社は、本サービスの利用により生じた損害について、何らの責任も負わない。",
        P,
        "disclaimer",
        set(),
    ),
    (
        "弊社は、本サービスが利用者の特定の目的に適合することを保証いたしかねます。",
        P,
        "disclaimer",
        set(),
    ),
    (
        "当社は、本サービスについて、明示又は黙示を問わず、いかなる保証も行いません。",
        P,
        "disclaimer",
        set(),
    ),
    (
        "当社は、第三者による不正アクセスに起因する損害については責任を負いかねます。",
        P,
        "disclaimer",
        set(),
    ),
    # principles: 原則とする, できるだけ, 可能な範囲で
    ("受注者は、データを国内のデータセンターで保管することを原則とする。", P, "principle", set()),
    ("当社は、できるだけ速やかに障害の原因を調査します。", P, "principle", set()),
    ("事業者は、可能な範囲で、市の監査に協力する。", P, "principle", set()),
    # matters left to later agreement: no duty is fixed yet
    ("障害時の復旧目標時間については、別途協議の上定めるものとする。", N, "deferred", set()),
    ("甲及び乙は、データの返還方法について別途協議する。", B, "deferred", set()),
    ("サービスレベルの詳細は、発注者と受注者が別途協議して決定する。", N, "deferred", set()),
    # the last part of a sentence that names its own party binds that party
    (
        "甲は、乙に対し、業務の実施状況の報告を求めることができ、乙は、これに応じなければならない。",
        P,
        "duty",
        {REPORT},
    ),
    (
        "委託者は、必要があると認めるときは、受託者の事業所を調査することができ、受託者はこれに"
        "協力するものとする。",
        P,
        "duty",
        set(),
    ),
    ("乙は、成果物を納入し、甲は、その内容を検査するものとする。", C, "duty", set()),
    # no requirement is a freedom, not a prohibition
    ("乙は、軽微な変更については、甲の承認を要しない。", P, "permission", {APPROVAL}),
    (
        "当社は、保守作業の実施について、お客様に事前に通知する必要はありません。",
        P,
        "permission",
        {PRIOR, NOTICE},
    ),
    (
        "本条の規定は、受注者が自らの費用で追加の対策を講ずることを妨げるものではない。",
        N,
        "permission",
        set(),
    ),
    # a step agreed later before a duty fixed now leaves the duty
    (
        "受注者は、発注者と別途協議の上、本契約の終了時にデータを返還しなければならない。",
        P,
        "duty",
        set(),
    ),
    # 届出 is a notice, however it is written
    (
        "受託者は、作業場所を変更するときは、あらかじめ委託者に届け出ること。",
        P,
        "duty",
        {PRIOR, NOTICE},
    ),
    ("事業者は、再委託先の名称及び住所を市に届出しなければならない。", P, "duty", {NOTICE}),
    # a duty is not a matter left to agreement only because the parties confer
    (
        "受注者は、仕様の変更について発注者と協議し、その結果を書面で報告しなければならない。",
        P,
        "duty",
        {WRITTEN, REPORT},
    ),
]


@pytest.mark.parametrize(("sentence", "party", "modality", "conditions"), TABLE)
def test_usual_wording_of_every_form_is_read(
    sentence: str, party: str, modality: str, conditions: set[str]
) -> None:
    reading = read_sentence(sentence)
    assert (reading.party, reading.modality, set(reading.conditions)) == (
        party,
        modality,
        conditions,
    ), sentence


def test_a_matter_left_to_later_agreement_binds_nobody_yet() -> None:
    reading = read_sentence("障害時の復旧目標時間については、別途協議の上定めるものとする。")
    assert not reading.binding and not reading.binds_provider


# (preamble, sentence, party): names defined by the document, in every usual form
DEFINED: list[tuple[str, str, str]] = [
    (  # without 「」
        "〇〇市（以下甲という。）と株式会社〇〇（以下乙という。）は、次のとおり契約を締結する。",
        "乙は、本業務の実施状況を甲に報告しなければならない。",
        P,
    ),
    (  # 以下単に
        "株式会社〇〇データ（以下単に「事業者」という。）は、〇〇町（以下単に「町」という。）に"
        "対し、次のとおり役務を提供する。",
        "町は、事業者に対し、資料の提出を求めることができる。",
        C,
    ),
    (  # a defined name nobody uses for either side by default
        "〇〇県（以下「発注機関」という。）と〇〇株式会社（以下「契約相手」という。）",
        "契約相手は、発注機関の承認を得ずに成果物を第三者に開示してはならない。",
        P,
    ),
    (  # 「X」とは…をいう in a terms of service
        "本規約において「運営者」とは、株式会社〇〇をいいます。「加入団体」とは、本サービスの"
        "利用契約を締結した地方公共団体をいいます。",
        "運営者は、加入団体のデータを日本国内で保管します。",
        P,
    ),
    (  # the same, the other side
        "本規約において「運営者」とは、株式会社〇〇をいいます。「加入団体」とは、本サービスの"
        "利用契約を締結した地方公共団体をいいます。",
        "加入団体は、利用料金を運営者の指定する方法で支払うものとします。",
        C,
    ),
    (  # a 「当事者」 article with the vendor as 甲
        "第1条（当事者）本契約の当事者は、株式会社〇〇クラウド（以下「甲」という。）及び〇〇村"
        "（以下「乙」という。）とする。",
        "甲は、乙のデータを日本国内で保管しなければならない。",
        P,
    ),
    (  # a preamble table: name, tab, who
        "契約当事者\n甲\t株式会社〇〇ソリューションズ\n乙\t〇〇市教育委員会",
        "乙は、甲に対し、業務の完了を確認した旨を通知する。",
        C,
    ),
    (  # a table of 「甲：…」 lines, the vendor as 甲
        "甲：〇〇システム株式会社　代表取締役 〇〇\n乙：〇〇市長 〇〇",
        "甲は、障害が発生したときは、直ちに乙に報告すること。",
        P,
    ),
    (  # 「…（以下「本サービス」という。）」 is no party, though 当社 is in its words
        "当社が提供するクラウドサービス（以下「本サービス」といいます。）",
        "本サービスは、計画停止の間、利用できません。",
        N,
    ),
]


@pytest.mark.parametrize(("preamble", "sentence", "party"), DEFINED)
def test_names_defined_in_every_usual_form_decide_the_sides(
    preamble: str, sentence: str, party: str
) -> None:
    assert read_sentence(sentence, defined_parties(preamble)).party == party


# (lead, item, party, modality, conditions): an item of a list or a table cell is read with the
# sentence that introduces it
LISTS: list[tuple[str, str, str, str, set[str]]] = [
    (
        "受注者は、次に掲げる事項を遵守しなければならない。",
        "(1) アクセスログの取得及び1年間の保存",
        P,
        "duty",
        set(),
    ),
    (
        "受注者は、次に掲げる事項を遵守しなければならない。",
        "(2) 個人情報の目的外利用の禁止",
        P,
        "prohibition",
        set(),
    ),
    (
        "乙は、次の各号に掲げる行為をしてはならない。",
        "一 甲の承認を得ない複製",
        P,
        "prohibition",
        {APPROVAL},
    ),
    (
        "乙は、次の各号に掲げる行為をしてはならない。",
        "① 作業場所からの持ち出し",
        P,
        "prohibition",
        set(),
    ),
    (
        "当社は、次のいずれかに該当する場合、本サービスを停止することができます。",
        "・システムの保守を行う場合",
        P,
        "permission",
        set(),
    ),
    (
        "当社は、次の各号に起因する損害について、責任を負いません。",
        "(1) 天災地変",
        P,
        "disclaimer",
        set(),
    ),
    ("受託者は、次の要件を満たすこと。", "日本国内", P, "duty", set()),
    (
        "事業者は、事故が発生したときは、次の事項を直ちに書面で市に報告すること。",
        "ア 事故の発生日時及び場所",
        P,
        "duty",
        {WRITTEN, REPORT},
    ),
    # an item with its own party and ending keeps them
    (
        "受注者は、次に掲げる事項を遵守しなければならない。",
        "(3) 発注者は、必要に応じて実地調査を行うことができる。",
        C,
        "permission",
        set(),
    ),
    (
        "受注者は、次に掲げる措置を講ずるものとする。",
        "(4) 職員の教育の実施に努めること",
        P,
        "effort",
        set(),
    ),
]


@pytest.mark.parametrize(("lead", "item", "party", "modality", "conditions"), LISTS)
def test_an_item_of_a_list_carries_the_duty_of_the_sentence_above_it(
    lead: str, item: str, party: str, modality: str, conditions: set[str]
) -> None:
    assert introduces(lead), lead
    reading = read_sentence(item, lead=read_sentence(lead))
    assert (reading.party, reading.modality, set(reading.conditions)) == (
        party,
        modality,
        conditions,
    ), item


@pytest.mark.parametrize(
    "sentence",
    [
        "受注者は、秘密を漏らしてはならない。",
        "本契約において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。",
        "当社は、障害を検知した場合、速やかに通知します。",
    ],
)
def test_a_sentence_that_introduces_nothing_or_only_definitions_leads_no_list(
    sentence: str,
) -> None:
    assert not introduces(sentence)


def test_the_tables_are_large() -> None:
    assert len(TABLE) + len(DEFINED) + len(LISTS) >= 45


def _clause(n: int, path: str, text: str) -> ClauseRecord:
    return ClauseRecord(
        clause_id=f"doc#{n}",
        doc_id="contracts/C-T/仕様書.docx",
        ordinal=n,
        path=path,
        heading="",
        page=1,
        text=text,
        char_start=0,
        char_end=len(text),
        kind="contract",
        contract="C-T",
        title="仕様書",
    )


def test_the_items_and_rows_below_a_lead_are_read_with_it_in_a_contract() -> None:
    clauses = [
        _clause(0, "前文", "〇〇市（以下「甲」という。）と株式会社〇〇（以下「乙」という。）"),
        _clause(1, "第5条", "第5条（遵守事項）\n乙は、次に掲げる事項を遵守しなければならない。"),
        _clause(2, "第5条 > (1)", "(1) アクセスログの取得及び1年間の保存"),
        _clause(3, "第5条 > (2)", "(2) 作業場所からの資料の持ち出しの禁止"),
        _clause(4, "第5条 > (2)", "データの保管場所\t日本国内"),
        _clause(5, "第6条", "第6条（教育）\n研修の実施状況\n・年1回の研修"),
        _clause(6, "第7条", "乙は、次の措置を講ずること。\n・通信の暗号化\n・端末の施錠管理"),
        _clause(7, "第8条", "ログの保存期間\t1年間以上"),
    ]
    read = {s.text: s.reading for s in contract_sentences(clauses)}
    for text in (
        "(1) アクセスログの取得及び1年間の保存",
        "日本国内",  # a table's cells are read one by one
    ):
        assert (read[text].party, read[text].modality) == (P, "duty"), text
    assert (read["(2) 作業場所からの資料の持ち出しの禁止"].party, "prohibition") == (
        P,
        read["(2) 作業場所からの資料の持ち出しの禁止"].modality,
    )
    # bullets within the lead's own clause carry it too
    bullets = next(t for t in read if t.endswith("端末の施錠管理"))
    assert (read[bullets].party, read[bullets].modality) == (P, "duty")
    # with no lead above them, a heading's words and a table of another article state facts
    assert read["1年間以上"].modality == "statement"
    assert next(r for t, r in read.items() if t.startswith("第6条")).modality == "statement"


@pytest.mark.parametrize(
    ("heading", "item", "party"),
    [
        ("第7条 （乙の義務）", "(1) 秘密の保持", P),
        ("3 受注者が実施する作業内容", "(2) サーバの死活監視及び障害の一次切り分け", P),
        ("第9条 （受託者の遵守事項）", "ア 作業場所の施錠管理", P),
        ("第4条 （発注者の役割）", "(1) 業務に必要な資料の提供", C),
    ],
)
def test_a_heading_that_names_a_partys_duties_leads_the_items_below_it(
    heading: str, item: str, party: str
) -> None:
    over = heading_lead(heading)
    assert over is not None, heading
    reading = read_sentence(item, lead=over)
    assert (reading.party, reading.modality) == (party, "duty"), item


def test_a_heading_of_anything_else_leads_nothing() -> None:
    assert heading_lead("第2条 （定義）") is None
    assert heading_lead("第12条 （損害賠償）") is None
    assert heading_lead("5 業務の概要") is None


@pytest.mark.parametrize(
    ("sentence", "survives"),
    [
        ("乙は、本契約の終了にかかわらず、業務上知り得た秘密を保持しなければならない。", True),
        (
            "本契約が期間満了又は解除により終了した場合においても、受託者は個人情報を"
            "漏えいしてはならない。",
            True,
        ),
        ("当社は、利用契約の終了事由の如何を問わず、お客様の秘密情報を開示しません。", True),
        ("受注者は、本契約が解除されたときは、直ちに貸与品を返還しなければならない。", False),
    ],
)
def test_the_usual_ways_of_saying_a_duty_outlives_the_contract(
    sentence: str, survives: bool
) -> None:
    assert read_sentence(sentence).survives is survives
