"""Every text the drafter writes for a city reads as Japanese, for any city's wording of an item.

Another city words its checklist differently from ours: some of its items still find the
requirement profile written for their topic, others find none and are judged from their own
wording. Either way the advice (助言), the proposed wording (修正文案) and the alternative measure
the drafter writes must be whole sentences, never glued from fragments of the item
(「…を取得しているについて定めること」, 「又は又は」, 「「受入」「報告書」…に関する定め」), and every
item that is not 反映あり gets advice and proposed wording.
"""

from __future__ import annotations

from pathlib import Path

from copilot.audit.checklist_run import judge_item
from copilot.drafting.drafters import make_drafter
from copilot.drafting.profiles import load_profiles, match_profile
from copilot.schemas import ChecklistItem
from tests.test_profiles import broken_japanese

# A contract written for this test: a few firm clauses, a hedged one, a permission of the
# provider, a disclaimer, and a good deal left unsaid.
CONTRACT = """# 業務委託契約書

架空市（以下「甲」という。）と株式会社試験情報サービス（以下「乙」という。）は、次のとおり契約を締結する。

## 第1条（成果物の権利）

本業務により作成された成果物の著作権は、甲に帰属するものとする。

## 第2条（作業員）

乙の作業員は、甲の庁舎で作業を行うときは、身分証明書を携帯するよう努めるものとする。

## 第3条（料金）

乙は、経済情勢の変動により、利用料金を改定することができる。

## 第4条（損害賠償）

乙の責めに帰すべき事由により甲に損害が生じたときは、乙は、その損害を賠償しなければならない。ただし、賠償の額は、契約金額を上限とする。

## 第5条（再委託）

乙は、甲の書面による承認を得た場合に限り、本業務の一部を第三者に委託することができる。

## 第6条（通信）

本サービスとの通信は、必要に応じて暗号化するものとする。

## 第7条（準拠法）

本契約は、日本法に準拠し、日本法に従って解釈されるものとする。

## 第8条（免責）

乙は、本サービスの中断により甲に生じた損害について、一切の責任を負わない。
"""

# Items in another city's words (none of them the sample checklist's wording): numbering,
# questions and examples of its own, with and without 確認の観点 and 記載例.
ITEMS = [
    ChecklistItem(
        id="A-1",
        text="委託先は、第三者機関による情報セキュリティの認証を取得しているか。",
    ),
    ChecklistItem(
        id="A-2",
        text="預けたデータを保管するサーバの所在する国又は地域が、契約上明らかになっているか。",
    ),
    ChecklistItem(
        id="A-3",
        text="契約が終わるときに、市のデータを利用しやすい形式で引き渡し、"
        "その後に確実に消去することを取り決めているか。",
    ),
    ChecklistItem(
        id="B-1",
        text="成果物の著作権が市に帰属する旨、及び著作者人格権を行使しない旨を定めているか。",
        guidance="著作権法第27条及び第28条の権利を含めて譲渡されているか",
    ),
    ChecklistItem(
        id="B-2",
        text="委託先の作業員が身分証明書を携帯し、市の求めに応じて提示することとしているか。",
    ),
    ChecklistItem(
        id="B-3",
        text="庁舎への入館の際に、受付簿への記名及び入館証の着用を求めているか。",
        example="受注者の作業員は、入館の際に受付簿に記名し、入館証を着用すること。",
    ),
    ChecklistItem(
        id="B-4",
        text="利用料金の改定は、あらかじめ市と協議し、又は市の同意を得て行うこととしているか。",
    ),
    ChecklistItem(
        id="B-5",
        text="事業者が倒産し、又は事業から撤退した場合の業務継続策（エスクロー等）を講じているか。",
    ),
    ChecklistItem(
        id="B-6",
        text="委託先の担当者を交代させるときは、遅滞なく市へ届け出ることとなっているか。",
    ),
    ChecklistItem(
        id="B-7",
        text="損害賠償の上限額が、情報漏えいの際に市の損害を填補できない額となっていないか。",
    ),
    ChecklistItem(
        id="B-8",
        text="反社会的勢力の排除に関する条項（表明保証、無催告解除）を設けているか。",
    ),
    ChecklistItem(
        id="B-9",
        text="障害発生時の連絡体制（連絡先、連絡手段、対応時間帯）を取り決め、"
        "その内容を文書で受領しているか。",
    ),
    ChecklistItem(
        id="B-10",
        text="サービスの提供を中断する場合の補償又は利用料金の減額を取り決めているか。",
    ),
    ChecklistItem(
        id="B-11",
        text="委託先がプライバシーマーク又はISMSの認証を取得していることを、"
        "入札参加資格として確認しているか。",
    ),
]


def _judgements(tmp_path: Path):  # type: ignore[no-untyped-def]
    from copilot.services import build_services
    from copilot.settings import load_settings

    folder = tmp_path / "docs" / "contracts" / "C-OTHER"
    folder.mkdir(parents=True)
    (folder / "業務委託契約書.md").write_text(CONTRACT, encoding="utf-8")
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    try:
        services.ingest([tmp_path / "docs"])
        drafter = make_drafter("evidence", services.settings)
        drafter.prepare(services.index)  # type: ignore[attr-defined]
        return [judge_item(services, drafter, item, "C-OTHER") for item in ITEMS]
    finally:
        services.close()


def test_every_advice_and_proposal_for_another_citys_items_reads_as_japanese(tmp_path):
    """Items with and without a profile, of every verdict: no broken Japanese, nothing empty."""
    profiles = load_profiles()
    unmatched = [i.id for i in ITEMS if match_profile(i.id, i.text, profiles) is None]
    assert len(unmatched) >= 5, unmatched  # the path that keeps the item's own wording is run
    judgements = _judgements(tmp_path)
    verdicts = {j.verdict for j in judgements}
    assert "反映なし" in verdicts and verdicts & {"一部反映", "要確認"}, verdicts
    for item, j in zip(ITEMS, judgements, strict=True):
        texts = {
            "advice": j.advice,
            "proposed_wording": j.proposed_wording,
            "alternative_measure": j.alternative_measure,
        }
        if j.verdict != "反映あり":
            assert j.advice.strip(), (item.id, j.verdict, j.rationale)
            assert j.proposed_wording.strip(), (item.id, j.verdict, j.rationale)
        for field, text in texts.items():
            if text:
                assert broken_japanese(text) == [], (item.id, j.verdict, field, text)
            assert "について定めること" not in text, (item.id, field, text)
