"""The profiles know how other cities and vendors word each element, and reject look-alikes.

Sentences written for this test in the usual wording of 業務委託契約書, 仕様書, SLA,
個人情報取扱特記事項 and クラウドサービス利用規約, none taken from a measured document: each
``MET`` sentence must meet the element (a variant spelling, inflection or standard phrase the
profile did not know before: 稼動率, 報告若しくは資料の提出を求め, みだりに他人に知らせ …), each
``NOT_MET`` sentence is a look-alike that must not.
"""

from __future__ import annotations

import pytest

from copilot.drafting.elements import assess
from copilot.drafting.obligations import read_sentence
from copilot.drafting.profiles import load_profiles

PROFILES = load_profiles()

MET: list[tuple[str, str, str]] = [
    ("law_court", "governing_law", "本契約は、我が国の法令に準拠し、これに従って解釈される。"),
    (
        "subcontracting",
        "prior_approval",
        "乙は、甲の書面による承認を得ずに、本業務を第三者に請け負わせてはならない。",
    ),
    (
        "subcontracting",
        "same_duties",
        "受注者は、再委託先に対し、本契約に基づく義務と同程度の義務を課すものとする。",
    ),
    (
        "confidentiality",
        "no_other_purpose",
        "乙は、甲から預託を受けた個人情報を、本業務の遂行以外に使用してはならない。",
    ),
    (
        "confidentiality",
        "confidentiality_duty",
        "受託者は、この契約による事務に関して知り得た個人情報をみだりに他人に知らせてはならない。",
    ),
    (
        "confidentiality",
        "confidentiality_duty",
        "当社は、お客様データを第三者に開示または漏えいしません。",
    ),
    (
        "confidentiality_survival",
        "survives_termination",
        "受託者は、この契約が終了し、又は解除された後においても、この契約による事務に関して"
        "知り得た個人情報をみだりに他人に知らせてはならない。",
    ),
    (
        "responsibilities",
        "division_of_roles",
        "設定及び障害対応に係る発注者と受注者の業務の分担は、別紙のとおりとする。",
    ),
    (
        "audit_rights",
        "audit_or_report",
        "甲は、必要があると認めるときは、乙に対し、個人情報の取扱状況について報告若しくは"
        "資料の提出を求めることができる。",
    ),
    (
        "change_notice",
        "change_notice",
        "当社は、本規約を変更する場合、変更の1か月以上前に契約者に通知します。",
    ),
    (
        "change_notice",
        "termination_notice",
        "当社は、本サービスのサポートを終了するときは、3か月以上前に利用者に通知します。",
    ),
    (
        "change_notice",
        "transfer_notice",
        "受注者は、営業譲渡により本業務を第三者に引き継ぐときは、事前に発注者に通知しなければ"
        "ならない。",
    ),
    ("service_levels", "service_level_values", "本サービスの稼動率は、月間99.9%以上とする。"),
    (
        "service_levels",
        "shortfall_handling",
        "月間稼動率が99.5%を下回った場合、受注者は、原因と対策を発注者に報告しなければならない。",
    ),
    (
        "operation_reports",
        "periodic_operation_report",
        "受注者は、運用月報により、システムの稼動実績及び障害対応の状況を発注者に提出すること。",
    ),
    (
        "operation_reports",
        "periodic_security_report",
        "受注者は、月報において、ウイルス対策ソフトのパターンファイルの更新状況及びパッチの"
        "適用状況を報告すること。",
    ),
    (
        "incident_reporting",
        "incident_report",
        "乙は、個人情報の紛失、盗難又は改ざんを知ったときは、直ちに甲に届け出なければならない。",
    ),
    (
        "incident_reporting",
        "report_deadline",
        "乙は、個人情報の紛失、盗難又は改ざんを知ったときは、直ちに甲に届け出なければならない。",
    ),
    (
        "incident_reporting",
        "contact_system",
        "受注者は、インシデント発生時の連絡網を作成し、発注者に提出すること。",
    ),
    (
        "certification_isms",
        "isms_certified",
        "入札参加者は、ISMS（ISO/IEC 27001）の認定を受けた者であること。",
    ),
    (
        "cloud_assurance",
        "third_party_assessment",
        "本サービスは、政府情報システムのためのセキュリティ評価制度に基づくリストに登録されて"
        "いること。",
    ),
    ("data_location", "storage_in_japan", "受注者は、市の情報を国外に移転してはならない。"),
    (
        "data_location",
        "backup_in_japan",
        "本業務で取り扱う全てのデータは、日本国内のデータセンターで保管すること。",
    ),
    (
        "acceptance_test",
        "pre_go_live_test",
        "受注者は、本稼動前に、アクセス制御の設定を確認し、その結果を発注者に報告すること。",
    ),
    (
        "acceptance_test",
        "test_report",
        "受注者は、脆弱性スキャンの結果を報告書にまとめ、発注者に提出すること。",
    ),
    (
        "subcontracting",
        "prior_approval",
        "乙は、甲の承諾があるときを除き、この契約による事務については自ら行い、第三者にその"
        "取扱いを委託してはならない。",
    ),
    (
        "operation_reports",
        "periodic_operation_report",
        "受注者は、年一回、本サービスの運用状況を発注者に報告すること。",
    ),
    (
        "incident_reporting",
        "incident_report",
        "乙は、この契約に違反する事態が生じ、又は生ずるおそれがあることを知ったときは、直ちに"
        "甲に報告しなければならない。",
    ),
]

NOT_MET: list[tuple[str, str, str]] = [
    (
        "law_court",
        "court",
        "本契約に関する紛争は、国外の裁判所を専属的合意管轄裁判所とする。",
    ),
    (
        "confidentiality",
        "no_other_purpose",
        "利用者は、本サービスを本業務以外に使用してはならない。",
    ),
    (
        "confidentiality",
        "confidentiality_duty",
        "利用者は、当社の事前の承諾なく、本サービスの内容を第三者に開示してはならない。",
    ),
    (
        "confidentiality_survival",
        "survives_termination",
        "受託者は、この契約の期間中、知り得た個人情報をみだりに他人に知らせてはならない。",
    ),
    (
        "audit_rights",
        "audit_or_report",
        "当社は、お客様に対し、本サービスの利用状況について報告若しくは資料の提出を求めることが"
        "できます。",
    ),
    (
        "change_notice",
        "change_notice",
        "当社は、契約者に通知せず、本規約を変更することができます。",
    ),
    (
        "operation_reports",
        "periodic_operation_report",
        "利用者は、毎月、利用実績を記載した月報を当社に提出するものとします。",
    ),
    (
        "incident_reporting",
        "incident_report",
        "利用者は、IDの盗難を知ったときは、直ちに当社に届け出るものとします。",
    ),
    (
        "cloud_assurance",
        "third_party_assessment",
        "当社は、ISMAPの管理基準を参考に、第三者による評価を受けています。",
    ),
    (
        "data_location",
        "storage_in_japan",
        "当社は、お客様データを海外の拠点で保管する場合があります。",
    ),
    (
        "acceptance_test",
        "pre_go_live_test",
        "受注者は、本稼動前に、操作マニュアルの内容を確認すること。",
    ),
]


def _status(profile: str, element: str, sentence: str) -> str:
    found = next(e for e in PROFILES[profile].elements if e.id == element)
    status, _ = assess(found, sentence, read_sentence(sentence))
    return status


@pytest.mark.parametrize(("profile", "element", "sentence"), MET)
def test_another_citys_wording_meets_the_element(profile: str, element: str, sentence: str) -> None:
    assert _status(profile, element, sentence) == "met", sentence


@pytest.mark.parametrize(("profile", "element", "sentence"), NOT_MET)
def test_a_look_alike_in_another_wording_does_not(
    profile: str, element: str, sentence: str
) -> None:
    assert _status(profile, element, sentence) != "met", sentence
