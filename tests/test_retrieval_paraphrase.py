"""A question in everyday words finds the rule written in the rule's own term.

The auditor asks about 「予備のデータ」; the rules say バックアップ. The thesaurus knows the two
are one thing, and the query it expands is embedded a second time with the rule's term, so the
backup rule comes first although other rules share more of the question's everyday words
(予備の鍵, データの取り方, 置き場所).

Where the thesaurus knows no such pair (「無料Wi-Fi」 for 公衆無線LAN), the rule nearest in
meaning still comes near the top: the first hits are reordered by how near their items are to
the question in meaning, so rules that only share its everyday words (無料, 仕事, よい) do not
all stand above it.
"""

from __future__ import annotations

from pathlib import Path

from copilot.services import build_services
from copilot.settings import load_settings
from ingest.normalise import squash

BACKUP = "バックアップは週に一度取得し、別の建物に保管する。"

RULES = [
    "再委託を行う場合は、再委託先における個人情報の安全管理措置を確認する。",
    "委託先の社員が作業する場所は、契約に定める。",
    "会社の所在地が変わったときは、受注者は速やかに届け出る。",
    "個人情報を含む書類は、施錠できる書庫に保管する。",
    "受注者は、作業に従事する者の名簿を提出する。",
    "テレワークを行う職員は、貸与された端末の紛失に備え、端末を暗号化する。",
    "自宅の住所を変更したときは、人事課に届け出る。",
    "端末を紛失したときは、直ちに所属長に報告する。",
    "パソコンの画面は、離席時にロックする。",
    "職員が家族と共用する機器は、業務に用いてはならない。",
    "不正プログラムの感染が疑われる端末は、ネットワークから切り離す。",
    "ネットワークの構成図は、情報政策課が管理する。",
    "感染症の流行時には、出勤する職員の数を減らすことがある。",
    "持出しの記録は、台帳に残し、返却時に確認する。",
    "書類を外部へ送るときは、宛先を二人で確認する。",
    "庁舎の外で会議をするときは、資料の枚数を確認する。",
    "情報セキュリティインシデントを認めた職員は、情報政策課へ報告する。",
    "職員は、業務に関係のない電子メールを送ってはならない。",
    "住民から苦情を受けたときは、担当課へ連絡する。",
    "廃棄する記録媒体は、復元できないよう物理的に破壊する。",
    "古い机や椅子は、財産管理課が処分する。",
    "使わなくなった書類の箱は、倉庫に収める。",
    BACKUP,
    "写真や動画は、広報課の承認を得て掲載する。",
    "予備の鍵は、総務課の金庫に置く。",
    "データの入力は、二人で読み合わせて確かめる。",
    "公用車の置き場所は、庁舎の北側駐車場とする。",
    "予備の用紙は、各課の倉庫に置く。",
    "データの取り方は、統計課の手引による。",
    "多要素認証は、インターネットから接続する全ての利用者に求める。",
    "庁舎に入るときは、職員証を提示する。",
    "スマートフォンでの写真撮影は、執務室では控える。",
    "脆弱性診断は、年に一度、外部の専門事業者に依頼する。",
    "建物の耐震診断は、五年ごとに行う。",
    "健康診断は、全ての職員が毎年受ける。",
]

QUESTION = "予備のデータのとり方と置き場所"


def test_a_question_in_everyday_words_finds_the_rule_in_its_own_term(tmp_path: Path) -> None:
    root = tmp_path / "docs" / "policy"
    root.mkdir(parents=True)
    text = "第1　規程\n" + "".join(f"{n}　{rule}\n" for n, rule in enumerate(RULES, 1))
    (root / "規程.txt").write_text(text, encoding="utf-8")
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    report = services.ingest([tmp_path / "docs"])
    assert not report.failed, report.failed
    # the thesaurus puts バックアップ beside 予備; the question itself never says it
    assert "バックアップ" not in QUESTION
    assert "バックアップ" in services.thesaurus.expand(QUESTION)

    hits = services.search(QUESTION, top_k=5)

    assert squash(BACKUP) in squash(hits[0].text), [h.text for h in hits]


PUBLIC_WIFI = "公衆無線LANは、業務に用いない。"

SHARING_WORDS = [  # rules that share the question's everyday words, not its meaning
    "カフェでの打合せの費用は、職員が自ら負担する。",
    "無料の研修は、仕事の合間に受講してよい。",
    "仕事で使う文具は、総務課から受け取ってよい。",
    "庁舎の食堂は、職員以外も使ってよい。",
    "無料で配布する冊子は、広報課が作成する。",
    "仕事の引継ぎは、異動の前に済ませる。",
    "来客用の駐車場は、無料で使ってよい。",
    "カフェの出店は、庁舎管理課が許可する。",
    PUBLIC_WIFI,
    "会議室は、予約すれば誰でも使ってよい。",
    "無料の相談窓口は、平日に開設する。",
    "仕事中の私語は、控える。",
    "廃棄する記録媒体は、復元できないよう物理的に破壊する。",
    "庁舎に入るときは、職員証を提示する。",
    "パソコンの画面は、離席時にロックする。",
    "ネットワークの構成図は、情報政策課が管理する。",
    "多要素認証は、インターネットから接続する全ての利用者に求める。",
    "持出しの記録は、台帳に残し、返却時に確認する。",
]

WIFI_QUESTION = "出先の無料Wi-Fiで仕事をしてもよいか"


def test_the_rule_nearest_in_meaning_is_not_outvoted_by_shared_everyday_words(
    tmp_path: Path,
) -> None:
    root = tmp_path / "docs" / "policy"
    root.mkdir(parents=True)
    text = "第1　規程\n" + "".join(f"{n}　{rule}\n" for n, rule in enumerate(SHARING_WORDS, 1))
    (root / "規程.txt").write_text(text, encoding="utf-8")
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    report = services.ingest([tmp_path / "docs"])
    assert not report.failed, report.failed
    # no thesaurus group leads from the question to the rule's words
    assert services.thesaurus.expand(WIFI_QUESTION) == WIFI_QUESTION

    hits = services.search(WIFI_QUESTION, top_k=5)

    texts = [squash(h.text) for h in hits]
    assert any(squash(PUBLIC_WIFI) in t for t in texts[:3]), [h.text for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
