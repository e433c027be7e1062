"""Wording that does not commit anyone, as the drafters see it (copilot.drafting.terms)."""

from __future__ import annotations

import pytest

from copilot.drafting.terms import has_figure, hedges_in


@pytest.mark.parametrize(
    "text",
    [
        "当社は、月間稼働率99.5％以上を目標として運営します。",
        "受注者は、障害の発生を防止するよう努めるものとする。",
        "当社は、本サービスが中断しないことを保証するものではありません。",
        "バックアップからの復元は保証いたしません。",
        "当社は、データの消失について一切の責任を負いません。",
    ],
)
def test_targets_efforts_and_disclaimers_bind_no_one_even_with_a_figure(text):
    assert hedges_in(text)


@pytest.mark.parametrize(
    ("vague", "firm"),
    [
        ("(3)　通信の暗号化は必要に応じて行う。", "(3)　通信はTLS1.2以上で暗号化する。"),
        (
            "事故を知ったときは、遅滞なく報告する。",
            "事故を知ったときは、遅滞なく、遅くとも24時間以内に報告する。",
        ),
        (
            "利用終了後、データは当社所定の方法で削除します。",
            "利用終了後30日以内にデータを削除します。",
        ),
        (
            "第5条　データは適切に暗号化して保管すること。",
            "第5条　データはAES-256で暗号化して保管すること。",
        ),
    ],
)
def test_vague_wording_counts_only_without_a_figure_and_a_list_marker_is_no_figure(vague, firm):
    assert hedges_in(vague)
    assert not hedges_in(firm)
    assert not has_figure(vague)


def test_a_requirement_that_is_vague_itself_asks_for_no_more():
    policy = "人事異動又は退職により不要となった利用者識別コードは、遅滞なく停止する。"
    assert hedges_in(policy)
    assert not hedges_in(policy, "異動又は退職した職員等の利用者IDは、速やかに削除すること。")


def test_a_compound_counts_by_its_head_word_in_the_thesaurus():
    """The checklist's 「情報セキュリティインシデント」 yields the term セキュリティインシデント; a contract
    that says 事故 speaks of it, one that speaks only of 納品 does not."""
    from copilot.drafting.terms import key_terms, term_in
    from copilot.drafting.thesaurus import load_thesaurus
    from ingest.normalise import squash

    thesaurus = load_thesaurus()
    term = next(
        t
        for t in key_terms("情報セキュリティインシデントが発生した場合の報告")
        if "インシデント" in t
    )
    assert term_in(term, squash("乙は、事故が生じたときは、直ちに甲に報告する。"), thesaurus)
    assert not term_in(term, squash("乙は、成果物を甲に納品する。"), thesaurus)
