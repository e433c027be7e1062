"""The elements a checklist item asks for, read from wording of the kind any city writes."""

from __future__ import annotations

from copilot.drafting.facets import facets


def _alts(text: str) -> list[tuple[str, ...]]:
    return [f.alternatives for f in facets(text)]


def test_and_lists_and_verb_chains_give_one_element_each():
    got = _alts("準拠法を日本法とし、管轄裁判所を国内の裁判所とすることを契約書に定めているか。")
    assert len(got) == 2
    assert "準拠法" in got[0][0] and "管轄裁判所" in got[1][0]
    got = _alts("操作ログの取得、保管期間及び提出方法が明記されているか")
    assert [len(a) for a in got] == [1, 1, 1]
    assert "提出方法" in got[2][0]


def test_circled_numbers_are_elements():
    got = _alts(
        "再委託について、①事前の承認、②再委託先の監督、③再委託先への同等の義務付けを求めているか。"
    )
    assert len(got) == 3
    assert "監督" in got[1][0]


def test_or_and_any_of_give_one_element_with_alternatives():
    got = _alts("ISMAPへの登録又はISO/IEC 27017の認証のいずれかを求めているか。")
    assert len(got) == 1 and len(got[0]) == 2
    got = _alts("事業者に対して、運用状況の報告を求め、又は実地の監査を行う権限を定めているか。")
    assert len(got) == 1 and any("監査" in a for a in got[0])


def test_parentheses_list_parts_unless_they_give_examples():
    parts = _alts("データのバックアップ（取得の頻度、保存する世代数、保管場所）を定めているか。")
    assert len(parts) == 4  # the backup itself, and each of its three parts
    examples = _alts("利用者の認証（多要素認証、生体認証等）を求めているか。")
    assert len(examples) == 1


def test_a_condition_of_the_whole_item_is_not_an_element():
    got = _alts("受託者が業務を再委託する場合に、事前に書面で市の承認を得ることを定めているか。")
    assert len(got) == 1 and "承認" in got[0][0] and "再委託" not in got[0][0]


def test_an_item_that_cannot_be_split_is_one_element():
    got = _alts("秘密保持義務を定めているか")
    assert got == [("秘密保持義務",)]
