"""The sentence reader: which party a contract sentence binds, how firmly, on what conditions.

Every sentence below was written for this test in the language of Japanese contracts,
specifications and terms of service (no real document's text). Each row gives what an auditor
reads in it: the party bound, the modality of the main predicate, the conditions named.
"""

from __future__ import annotations

import pytest

from copilot.drafting.obligations import Parties, defined_parties, read_sentence

P, C, B, N = "provider", "city", "both", "none"
PRIOR, WRITTEN, APPROVAL = "prior", "written", "approval"
NOTICE, REPORT, PUBLICATION = "notice", "report", "publication"

# (sentence, party, modality, conditions)
TABLE: list[tuple[str, str, str, set[str]]] = [
    # duties of the provider, in the words of contracts, specifications and terms
    ("乙は、本業務の実施に当たり、個人情報を適正に管理しなければならない。", P, "duty", set()),
    ("受注者は、作業の進捗状況を毎月発注者に報告するものとする。", P, "duty", {REPORT}),
    ("受託者は、業務上知り得た秘密を第三者に漏らしてはならない。", P, "prohibition", set()),
    ("当社は、お客様のデータを日本国内のデータセンターに保管します。", P, "duty", set()),
    ("弊社は、障害を検知した場合、速やかにお客様へ通知いたします。", P, "duty", {NOTICE}),
    (
        "事業者は、情報セキュリティインシデントが発生したときは、直ちに市に報告すること。",
        P,
        "duty",
        {REPORT},
    ),
    ("受注者は、ISO/IEC 27001の認証を取得していること。", P, "duty", set()),
    ("提供者は、アクセスログを1年間保存し、市の求めに応じて提出する。", P, "duty", set()),
    (
        "乙は、甲の指示に従い、本契約終了後速やかにデータを消去しなければならない。",
        P,
        "duty",
        set(),
    ),
    (
        "受託者は、本件業務に従事する者に対し、情報セキュリティに関する教育を実施しなければならない。",
        P,
        "duty",
        set(),
    ),
    (
        "委託先は、脆弱性情報を収集し、必要な修正プログラムを適用するものとします。",
        P,
        "duty",
        set(),
    ),
    ("当社は、本サービスの稼働率を月間99.9%以上に維持する義務を負います。", P, "duty", set()),
    ("受注者は、本業務の全部を一括して第三者に委任してはならない。", P, "prohibition", set()),
    (
        "当社は、お客様の同意なく、お客様のデータを第三者に開示しません。",
        P,
        "prohibition",
        {APPROVAL},
    ),
    (
        "乙は、甲の事前の書面による承認を得なければ、本業務の一部を第三者に再委託してはならない。",
        P,
        "prohibition",
        {PRIOR, WRITTEN, APPROVAL},
    ),
    (
        "受注者は、再委託をしようとするときは、あらかじめ発注者の承諾を得なければならない。",
        P,
        "duty",
        {PRIOR, APPROVAL},
    ),
    (
        "乙は、再委託先の名称を事前に書面で甲に通知しなければならない。",
        P,
        "duty",
        {PRIOR, WRITTEN, NOTICE},
    ),
    ("受託者が損害を与えたときは、受託者はその損害を賠償しなければならない。", P, "duty", set()),
    (
        "受注者の責めに帰すべき事由により損害が生じたときは、受注者が賠償の責任を負う。",
        P,
        "duty",
        set(),
    ),
    # the provider's rights and discretion: the topic, but not the safeguard
    (
        "当社は、当社の判断により、本サービスの業務の全部又は一部を第三者に委託することができます。",
        P,
        "permission",
        set(),
    ),
    (
        "当社は、利用者が本規約に違反した場合、本サービスの提供を停止することができる。",
        P,
        "permission",
        set(),
    ),
    (
        "当社は、保守のため、事前に通知することなく本サービスを一時停止する場合があります。",
        P,
        "permission",
        {PRIOR, NOTICE},
    ),
    ("乙は、甲の承認を得た場合は、再委託することができる。", P, "permission", {APPROVAL}),
    ("当社は、利用契約の終了後、登録データを削除することがあります。", P, "permission", set()),
    (
        "弊社は、有償にて、お客様のバックアップデータからの復元を行うことも可能です。",
        P,
        "permission",
        set(),
    ),
    # disclaimers
    ("当社は、本サービスに中断又は停止が生じないことを保証しません。", P, "disclaimer", set()),
    (
        "当社は、本サービスの利用によりお客様に生じた損害について、一切の責任を負わないものとします。",
        P,
        "disclaimer",
        set(),
    ),
    ("弊社は、データの完全性及び正確性を保証するものではありません。", P, "disclaimer", set()),
    ("提供者は、天災地変による障害については責任を負わない。", P, "disclaimer", set()),
    # efforts and principles: hedged
    ("受注者は、情報セキュリティの確保に努めるものとする。", P, "effort", set()),
    ("当社は、障害の早期復旧に努めます。", P, "effort", set()),
    ("乙は、従業員への教育を定期的に実施するよう努めなければならない。", P, "effort", set()),
    ("データの保管場所は、国内であることを基本とする。", N, "principle", set()),
    ("受注者は、原則として、データを日本国内で保管するものとする。", P, "principle", set()),
    ("当社は、可能な限り、障害の発生をお客様に連絡します。", P, "principle", {NOTICE}),
    ("稼働率は99.5%を目標とする。", N, "effort", set()),
    # the city's or user's side
    (
        "甲は、必要があると認めるときは、乙の事業所に立ち入り検査することができる。",
        C,
        "permission",
        set(),
    ),
    (
        "発注者は、受注者が本契約に違反したときは、契約を解除することができる。",
        C,
        "permission",
        set(),
    ),
    ("利用者は、ログインIDを第三者に利用させてはならない。", C, "prohibition", set()),
    ("お客様は、自己の責任においてパスワードを管理するものとします。", C, "duty", set()),
    (
        "市は、受注者に対し、業務の実施状況について報告を求めることができる。",
        C,
        "permission",
        {REPORT},
    ),
    ("本市は、監査の結果を受託者に書面で通知する。", C, "duty", {WRITTEN, NOTICE}),
    ("利用者は、バックアップを自ら取得しなければならない。", C, "duty", set()),
    (
        "委託者は、受託者が作成した成果物を検査し、その結果を通知するものとする。",
        C,
        "duty",
        {NOTICE},
    ),
    (
        "甲が乙の報告を承認したときは、乙は次の工程に着手することができる。",
        P,
        "permission",
        {APPROVAL, REPORT},
    ),
    # both parties
    (
        "甲及び乙は、本契約の履行に関して知り得た相手方の秘密を漏らしてはならない。",
        B,
        "prohibition",
        set(),
    ),
    (
        "甲乙は、本契約に定めのない事項については、誠実に協議して定めるものとする。",
        B,
        "duty",
        set(),
    ),
    (
        "両当事者は、本契約に関する紛争について、東京地方裁判所を第一審の専属的合意管轄裁判所とする。",
        B,
        "duty",
        set(),
    ),
    # no party named: specifications and general rules
    ("本契約は、日本法に準拠し、日本法に従って解釈される。", N, "duty", set()),
    (
        "本契約に関する一切の紛争は、甲の所在地を管轄する地方裁判所を第一審の専属的合意管轄裁判所とする。",
        N,
        "duty",
        set(),
    ),
    ("システムの稼働時間は、24時間365日とする。", N, "duty", set()),
    ("障害発生時の連絡体制を整備すること。", N, "duty", {NOTICE}),
    ("データセンターは日本国内に所在すること。", N, "duty", set()),
    ("本サービスの利用料金は、別表のとおりである。", N, "statement", set()),
    ("定期保守は毎月第2日曜日に実施する予定です。", N, "statement", set()),
    # definitions
    (
        "この契約において「個人情報」とは、生存する個人に関する情報であって、特定の個人を識別できるものをいう。",
        N,
        "definition",
        set(),
    ),
    (
        "「再委託」とは、受注者が本業務の一部を第三者に委託することをいいます。",
        N,
        "definition",
        set(),
    ),
    # conditions: strong (prior, written, approval) against weak (notice, publication)
    (
        "当社は、本規約を変更する場合、当社ウェブサイト上に掲載することにより公表します。",
        P,
        "duty",
        {PUBLICATION},
    ),
    (
        "受注者は、作業従事者を変更する場合は、あらかじめ発注者に届け出て承認を受けなければならない。",
        P,
        "duty",
        {PRIOR, NOTICE, APPROVAL},
    ),
    (
        "乙は、事故が発生した場合は、直ちに甲に連絡し、その後遅滞なく書面で報告しなければならない。",
        P,
        "duty",
        {NOTICE, WRITTEN, REPORT},
    ),
    (
        "当社は、サービスの仕様を変更するときは、30日前までに電子メールで利用者に通知します。",
        P,
        "duty",
        {PRIOR, NOTICE},
    ),
    ("受託者は、甲の許可なく複製してはならない。", P, "prohibition", {APPROVAL}),
    # read right after the profiles were written (the timing of a notice, 負いません, a modifier's が)
    (
        "受注者は、本サービスの提供を終了する場合は、6か月前までに市に書面で通知すること。",
        P,
        "duty",
        {PRIOR, WRITTEN, NOTICE},
    ),
    ("当社は、本サービスの利用により生じた損害について責任を負いません。", P, "disclaimer", set()),
    ("当社は、お客様のデータを復元する義務を負いません。", P, "disclaimer", set()),
    # 一切の責任を負う takes full responsibility; 一切の責任を負わない disclaims it
    ("受託者は、再委託先の行為について、委託者に対し一切の責任を負う。", P, "duty", set()),
    ("当社は、委託先の行為について一切の責任を負わないものとします。", P, "disclaimer", set()),
    (
        "基幹系システムとのデータ連携は、暗号化したファイルを市が指定する方法で授受することとし、授受の記録を残すこと。",
        N,
        "duty",
        set(),
    ),
    ("計画停止は、事前に市の了承を得ること。", N, "duty", {PRIOR, APPROVAL}),
    (
        "乙が再委託する場合は、あらかじめ甲の承認を得なければならない。",
        P,
        "duty",
        {PRIOR, APPROVAL},
    ),
    # exceptions and the duty kept after the end
    (
        "乙は、再委託してはならない。ただし、甲の書面による承諾を得たときは、この限りでない。",
        P,
        "statement",
        {WRITTEN, APPROVAL},
    ),
    (
        "受注者は、法令に基づく場合を除き、個人情報を目的外に利用してはならない。",
        P,
        "prohibition",
        set(),
    ),
    ("乙は、本契約が終了した後においても、前項の義務を負う。", P, "duty", set()),
    ("本条の規定は、本契約の終了後も、なお効力を有する。", N, "duty", set()),
]


@pytest.mark.parametrize(("sentence", "party", "modality", "conditions"), TABLE)
def test_each_sentence_is_read_for_party_modality_and_conditions(
    sentence: str, party: str, modality: str, conditions: set[str]
) -> None:
    reading = read_sentence(sentence)
    assert (reading.party, reading.modality, set(reading.conditions)) == (
        party,
        modality,
        conditions,
    ), sentence


def test_the_table_is_large_and_covers_every_party_and_modality() -> None:
    assert len(TABLE) >= 60
    assert {row[1] for row in TABLE} == {P, C, B, N}
    assert {row[2] for row in TABLE} == {
        "duty",
        "prohibition",
        "effort",
        "permission",
        "disclaimer",
        "principle",
        "definition",
        "statement",
    }


@pytest.mark.parametrize(
    ("sentence", "survives"),
    [
        ("乙は、本契約が終了した後においても、前項の義務を負う。", True),
        ("本条の規定は、本契約の終了後も、なお効力を有する。", True),
        ("乙は、本契約終了後3年間、秘密を保持しなければならない。", True),
        ("第8条（秘密保持）の規定は、契約期間の満了後であっても存続する。", True),
        ("受注者は、業務上知り得た秘密を第三者に漏らしてはならない。", False),
        ("本契約の有効期間は、契約締結日から1年間とする。", False),
    ],
)
def test_a_duty_that_outlives_the_contract_is_marked(sentence: str, survives: bool) -> None:
    assert read_sentence(sentence).survives is survives


@pytest.mark.parametrize(
    ("sentence", "exception"),
    [
        (
            "乙は、再委託してはならない。ただし、甲の書面による承諾を得たときは、この限りでない。",
            True,
        ),
        ("受注者は、法令に基づく場合を除き、個人情報を目的外に利用してはならない。", True),
        ("受注者は、個人情報を目的外に利用してはならない。", False),
    ],
)
def test_an_exception_is_marked(sentence: str, exception: bool) -> None:
    assert read_sentence(sentence).exception is exception


def test_binding_means_a_duty_or_prohibition_of_the_provider() -> None:
    assert read_sentence(
        "受託者は、業務上知り得た秘密を第三者に漏らしてはならない。"
    ).binds_provider
    assert read_sentence("甲及び乙は、相手方の秘密を漏らしてはならない。").binds_provider
    assert not read_sentence("当社は、業務の一部を第三者に委託することができます。").binds_provider
    assert not read_sentence("利用者は、ログインIDを第三者に利用させてはならない。").binds_provider
    assert not read_sentence("受注者は、情報セキュリティの確保に努めるものとする。").binds_provider


def test_names_the_document_defines_decide_the_sides() -> None:
    preamble = (
        "〇〇市（以下「甲」という。）と株式会社〇〇システム（以下「乙」という。）とは、"
        "次のとおり契約を締結する。"
    )
    parties = defined_parties(preamble)
    assert read_sentence("乙は、秘密を保持しなければならない。", parties).party == P
    assert read_sentence("甲は、乙に報告を求めることができる。", parties).party == C


def test_a_document_that_swaps_the_usual_names_is_read_by_its_own_definitions() -> None:
    # a vendor's form where the vendor is 甲 and the customer is 乙
    preamble = (
        "株式会社〇〇クラウド（以下「甲」という。）と〇〇町（以下「乙」という。）は、"
        "本サービスの利用について次のとおり合意する。"
    )
    parties = defined_parties(preamble)
    assert read_sentence("甲は、乙のデータを国内で保管しなければならない。", parties).party == P
    assert read_sentence("乙は、利用料金を支払わなければならない。", parties).party == C


def test_an_unusual_defined_name_takes_the_side_of_what_it_stands_for() -> None:
    preamble = (
        "本規約は、株式会社〇〇（以下「運営会社」といいます。）が提供するサービスの利用条件を"
        "定めるものです。本サービスを利用する地方公共団体（以下「利用団体等」といいます。）"
    )
    parties = defined_parties(preamble, Parties())
    assert read_sentence("運営会社は、障害を利用団体等に通知します。", parties).party == P
    assert read_sentence("利用団体等は、利用料金を支払うものとします。", parties).party == C


def test_a_name_inside_another_word_is_not_a_party() -> None:
    # 都市 and 市場 hold 市; neither names the city
    assert read_sentence("都市部のデータセンターは冗長化すること。").party == N
    assert read_sentence("市場の動向を踏まえて価格を改定する。").party == N


def test_a_hedge_at_the_end_governs_only_the_last_part() -> None:
    reading = read_sentence("受注者は、障害が発生したときは、直ちに市に連絡し、復旧に努めること。")
    assert reading.modality == "effort"
    assert "直ちに市に連絡し" in reading.firm and "努め" not in reading.firm
    whole = read_sentence("受注者は、情報セキュリティの確保に努めるものとする。")
    assert whole.firm == ""
