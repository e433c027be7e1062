"""The wordings of real contracts, specifications and terms of service, met by the profiles.

Issue 29: about a fifth of the labelled evidence sat in sentences that held none of an element's
expressions. The sentences here are written for this test in the general language of Japanese
contracts (委託契約書・仕様書・特記仕様書・個人情報取扱特記事項・利用規約): each must meet the
element named beside it, and each look-alike (a copying ban, media carried out, working together
called 連携, the first migration of a new system …) must not. The item-level cases check how
firmly an item is met: a key management the guidance asks for, the record of a data exchange, a
migration schedule that is only "to be agreed", a backup duty without its frequency.
"""

from __future__ import annotations

import pytest

from copilot.drafting.elements import assess
from copilot.drafting.obligations import read_sentence
from copilot.drafting.profile_judgement import judge_by_profile
from copilot.drafting.profiles import Element, load_profiles
from copilot.schemas import ChecklistItem
from tests.test_profile_judgement import contract

PROFILES = load_profiles()

# (profile, element, a sentence that meets it)
ACCEPTS = [
    ("access_logs", "logs_collected", "受注者は、サーバのログファイルを取得し、保管すること。"),
    ("access_logs", "logs_collected", "本システムは、利用者の利用履歴を記録すること。"),
    ("access_logs", "logs_collected", "受託者は、本サービスへの通信記録を取得するものとする。"),
    ("access_logs", "logs_collected", "受注者は、管理者の操作を記録し、これを保存すること。"),
    ("access_logs", "retention_period", "受注者は、アクセスログを契約期間中保存すること。"),
    ("access_logs", "retention_period", "操作ログは、6ケ月保存するものとする。"),
    (
        "access_logs",
        "provided_on_request",
        "受注者は、市の指示により、アクセスログを提出すること。",
    ),
    ("backup", "backup_taken", "受注者は、市のデータのバックアップを取得すること。"),
    (
        "backup",
        "backup_taken",
        "受託者は、災害に備え、委託者のデータの複製を作成し、遠隔地に保管するものとする。",
    ),
    ("backup", "backup_frequency", "受注者は、システムのスナップショットを毎日取得すること。"),
    ("backup", "backup_frequency", "バックアップは、毎営業日に取得するものとする。"),
    ("backup", "backup_retention", "受注者は、取得したバックアップを3ケ月保存すること。"),
    ("backup", "backup_retention", "バックアップデータは、2週間分保存するものとする。"),
    ("backup", "recovery_method", "受注者は、障害時にはバックアップからのリカバリを行うこと。"),
    (
        "data_return",
        "data_returned",
        "受注者は、サービスの廃止に当たり、市のデータを返納しなければならない。",
    ),
    (
        "data_return",
        "usable_format",
        "受注者は、契約終了時に、市のデータをExcelファイルに出力して引き渡すこと。",
    ),
    (
        "data_return",
        "migration_cooperation",
        "乙は、契約終了時に、他社サービスへの乗り換えを支援しなければならない。",
    ),
    (
        "data_erasure",
        "data_erased",
        "受注者は、サービスの廃止後、市のデータを記録したハードディスクを初期化すること。",
    ),
    (
        "data_erasure",
        "unrecoverable_erasure",
        "乙は、契約終了後、甲の情報を記録した媒体を物理的な破壊により廃棄しなければならない。",
    ),
    (
        "data_erasure",
        "unrecoverable_erasure",
        "受注者は、契約終了後、保有する市のデータを復元不可能な状態にすること。",
    ),
    (
        "data_erasure",
        "erasure_certificate",
        "受注者は、データを消去したときは、消去証明を市に提出すること。",
    ),
    (
        "data_erasure",
        "erasure_certificate",
        "乙は、媒体を廃棄したときは、廃棄の確認書を甲に提出しなければならない。",
    ),
    (
        "storage_encryption",
        "encrypted_at_rest",
        "受注者は、本サービスのサーバ上の市のデータを暗号化すること。",
    ),
    (
        "storage_encryption",
        "encrypted_at_rest",
        "受注者は、クラウドに置く市のデータを全て暗号化すること。",
    ),
    (
        "data_linkage",
        "linkage_security",
        "受注者は、基幹系システムとのデータ連携にSFTPを用いること。",
    ),
    ("data_linkage", "linkage_security", "連携ファイルの取込は、VPNを経由して行うものとする。"),
    (
        "data_linkage",
        "exchange_record",
        "本業務では、他の情報システムとの連携は行わないものとする。",
    ),
    (
        "migration_out",
        "migration_plan",
        "受注者は、次期システムへの移行に当たり、並行稼働を行うこと。",
    ),
    (
        "migration_out",
        "migration_consultation",
        "次期システムへの移行の方法については、甲乙協議の上定めるものとする。",
    ),
    ("network_path", "path_defined", "本サービスへの接続は、閉域のネットワークを介して行うこと。"),
    (
        "network_path",
        "section_measures",
        "受注者は、本サービスに接続できる端末を市が登録した端末に限ること。",
    ),
    (
        "network_path",
        "section_measures",
        "本サービスの前段にUTMを設置し、通信を制御すること。",
    ),
    ("access_control", "access_rights", "受注者は、職員の所属に応じて閲覧権限を割り当てること。"),
    (
        "access_control",
        "access_rights",
        "受注者は、所属ごとの利用者区分を設け、操作できる機能を割り当てること。",
    ),
    (
        "vulnerability",
        "vulnerability_handling",
        "受注者は、ぜい弱性に関する情報を収集し、速やかに対応すること。",
    ),
    (
        "vulnerability",
        "vulnerability_handling",
        "受注者は、OSの更新プログラムを適用し、最新の状態に保つこと。",
    ),
    ("vulnerability", "deadline_or_frequency", "受注者は、年1回以上、ぜい弱性の診断を行うこと。"),
    (
        "malware_monitoring",
        "malware_protection",
        "受注者は、サーバにEDRを導入し、不審な挙動を検知すること。",
    ),
    (
        "malware_monitoring",
        "intrusion_monitoring",
        "受注者は、SIEMにより不審なアクセスを分析し、SOCで検知すること。",
    ),
    ("transit_encryption", "transit_encrypted", "市との間のファイルの転送には、SFTPを用いること。"),
    (
        "transit_encryption",
        "scheme_specified",
        "市とのファイル転送は、SSHにより行うこと。",
    ),
    (
        "migration_in",
        "migration_safeguards",
        "受注者は、移行データの受渡しを管理簿に記録すること。",
    ),
    (
        "migration_in",
        "intermediate_erasure",
        "受注者は、移行完了後、移行用データを復元できない方法で抹消すること。",
    ),
]

# (profile, element, a look-alike that must not meet it)
REJECTS = [
    ("access_logs", "logs_collected", "利用者は、自らの利用履歴を記録するものとします。"),
    ("backup", "backup_taken", "乙は、甲の承諾なくデータの複製を作成してはならない。"),
    ("backup", "backup_taken", "当社は、お客様の依頼により、有償でバックアップを取得します。"),
    ("backup", "backup_frequency", "当社は、有償でスナップショットを毎日取得します。"),
    (
        "data_return",
        "data_returned",
        "受注者は、業務の完了時に、業務の記録をまとめた報告書を提出すること。",
    ),
    (
        "data_return",
        "usable_format",
        "受注者は、契約終了時に、市のデータをDVDに記録して引き渡すこと。",
    ),
    (
        "data_erasure",
        "unrecoverable_erasure",
        "利用者は、端末のデータを完全に消去するものとします。",
    ),
    (
        "storage_encryption",
        "encrypted_at_rest",
        "受注者は、個人情報を記録媒体で持ち出す場合は、暗号化して保管すること。",
    ),
    ("storage_encryption", "encrypted_at_rest", "利用者のパスワードは、暗号化して保存すること。"),
    (
        "storage_encryption",
        "encrypted_at_rest",
        "電子メールで送付するファイルは、暗号化して保存すること。",
    ),
    (
        "data_linkage",
        "linkage_security",
        "受注者は、情報セキュリティ事故の発生時には市と連携し、認証情報を変更すること。",
    ),
    (
        "data_linkage",
        "linkage_security",
        "乙は、関係機関と緊密に連携し、セキュリティ対策を講じなければならない。",
    ),
    (
        "migration_out",
        "migration_plan",
        "受注者は、契約期間の満了に際し、後継の事業者への引継ぎに協力すること。",
    ),
    ("migration_out", "migration_plan", "受注者は、導入時に既存データの移行計画を作成すること。"),
    (
        "migration_out",
        "migration_cooperation",
        "受注者は、導入作業において、初期データの移行を支援すること。",
    ),
    (
        "migration_out",
        "migration_consultation",
        "本システムへの移行については、甲乙協議の上定めるものとする。",
    ),
    (
        "network_path",
        "path_defined",
        "乙は、甲の個人情報をインターネットに接続された端末で取り扱ってはならない。",
    ),
    ("network_path", "path_defined", "個人情報を取り扱う端末は、インターネットに接続しないこと。"),
]


def _element(profile: str, element: str) -> Element:
    return next(e for e in PROFILES[profile].elements if e.id == element)


@pytest.mark.parametrize(("profile", "element", "sentence"), ACCEPTS)
def test_the_usual_wordings_meet_the_element(profile: str, element: str, sentence: str) -> None:
    status, why = assess(_element(profile, element), sentence, read_sentence(sentence))
    assert status == "met", (sentence, status, why)


@pytest.mark.parametrize(("profile", "element", "sentence"), REJECTS)
def test_look_alikes_do_not_meet_the_element(profile: str, element: str, sentence: str) -> None:
    status, _ = assess(_element(profile, element), sentence, read_sentence(sentence))
    assert status != "met", sentence


# --- items: how firmly each must be met ----------------------------------------------------------


def _verdict(profile: str, item_id: str, text: str, *articles: str) -> dict[str, str]:
    item = ChecklistItem(id=item_id, text=text)
    j = judge_by_profile(item, "C-T", contract(*articles), PROFILES[profile], 0.5)
    return {"verdict": j.verdict, **{e.id: e.status for e in j.elements}}


STORAGE = "外部サービスに保存される市の情報の暗号化を求めているか。"
LINKAGE = (
    "外部サービスと他の情報システムとの連携やデータの受渡し（ファイル連携、API連携、媒体による"
    "授受等）に関するセキュリティ要件を定めているか。"
)
MIGRATION = (
    "契約の終了又はシステムの更改に当たり、次期システムへのデータ移行の方法、スケジュール及び"
    "外部サービス提供者の協力内容を定めているか。"
)
BACKUP = "データのバックアップ（取得頻度、保存期間、復旧の方法）を定めているか。"


def test_encryption_at_rest_without_key_management_is_only_partly_reflected() -> None:
    only = "乙は、本サービスに保存する甲のデータをAES-256により暗号化しなければならない。"
    keys = "乙は、暗号鍵を暗号化したデータとは別に管理し、鍵にアクセスできる者を限定しなければならない。"
    assert _verdict("storage_encryption", "1-7-1", STORAGE, only)["verdict"] == "一部反映"
    assert _verdict("storage_encryption", "1-7-1", STORAGE, only, keys)["verdict"] == "反映あり"


def test_linkage_without_a_record_of_the_exchange_is_only_partly_reflected() -> None:
    secure = "乙は、他の情報システムとのデータ連携を暗号化した通信により行わなければならない。"
    record = "乙は、データの授受の都度、日時及び件数を記録しなければならない。"
    none = "本業務では、他の情報システムとの連携は行わないものとする。"
    assert _verdict("data_linkage", "1-3-3", LINKAGE, secure)["verdict"] == "一部反映"
    assert _verdict("data_linkage", "1-3-3", LINKAGE, secure, record)["verdict"] == "反映あり"
    assert _verdict("data_linkage", "1-3-3", LINKAGE, none)["verdict"] == "反映あり"


def test_a_migration_to_be_agreed_later_has_no_schedule() -> None:
    help_ = "乙は、本契約の終了に際し、次期システムへのデータ移行に協力しなければならない。"
    agreed = "次期システムへの移行の方法については、甲乙協議の上定めるものとする。"
    got = _verdict("migration_out", "4-1", MIGRATION, help_, agreed)
    assert got["verdict"] == "一部反映"
    assert got["migration_plan"] == "missing" and got["migration_consultation"] == "met"


def test_the_contract_period_is_no_migration_schedule() -> None:
    handover = "乙は、契約期間の満了に際し、後継の事業者への引継ぎに協力しなければならない。"
    assert _verdict("migration_out", "4-1", MIGRATION, handover)["verdict"] == "一部反映"


def test_a_backup_duty_without_its_frequency_is_partly_reflected() -> None:
    bare = "乙は、甲のデータのバックアップを取得しなければならない。"
    got = _verdict("backup", "1-7-5", BACKUP, bare)
    assert got["verdict"] == "一部反映"
    assert got["backup_frequency"] == "missing" and got["backup_taken"] == "met"


RETURN = (
    "サービスの終了又は契約の解除の際に、市のデータを市が利用可能な形式で返還すること"
    "（移行への協力を含む。）を定めているか。"
)


def test_terms_that_only_let_the_user_export_its_data_are_partly_reflected() -> None:
    export = (
        "お客様は、利用契約の終了前に、管理画面からお客様のデータをCSV形式で"
        "エクスポートすることができます。"
    )
    own_risk = "お客様は、契約終了前に、自らの責任でデータをダウンロードするものとします。"
    got = _verdict("data_return", "1-6-1", RETURN, export)
    assert got["verdict"] == "一部反映"
    assert got["data_returned"] == "missing" and got["user_export"] == "met"
    assert _verdict("data_return", "1-6-1", RETURN, own_risk)["verdict"] == "反映なし"


AUTH = "利用者の認証（多要素認証等）及びアクセス権限の管理の機能を求めているか。"


def test_a_password_login_without_multi_factor_authentication_is_partly_reflected() -> None:
    password = "本サービスは、利用者ごとにID及びパスワードによる認証を行う機能を有すること。"
    rights = "本サービスは、利用者ごとにアクセス権限を設定できる機能を有すること。"
    mfa = "管理者権限での利用には、多要素認証を必須とすること。"
    got = _verdict("access_control", "1-7-2", AUTH, password, rights)
    assert got["verdict"] == "一部反映"
    assert got["authentication"] == "missing" and got["login_authentication"] == "met"
    assert _verdict("access_control", "1-7-2", AUTH, password, rights, mfa)["verdict"] == "反映あり"
