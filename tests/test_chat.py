"""質問 as a conversation, at the service level: duties before definitions, each quote once, by
document, 「該当する定めが見つかりません。」 when nothing is relevant, and the focus carried."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.audit.ask import ask
from copilot.drafting.drafters import make_drafter
from copilot.review.store import open_store
from ingest.normalise import squash

FOUND = "該当する定めは次のとおりです。"
NOT_FOUND = "該当する定めが見つかりません。"

POLICY = """# 架空村情報セキュリティ規程

## 第2条（定義）

この規程において「外部サービス」とは、クラウドを通じて事業者が提供し、職員が利用する情報処理の機能をいう。

## 第7条（外部サービスの利用）

職員は、外部サービスを利用するときは、あらかじめ情報セキュリティ管理者の承認を得なければならない。

## 第9条（再委託）

委託先が業務を再委託するときは、あらかじめ書面により村の承認を得させるものとする。
"""

# the same rule in two files (as a .docx and its .pdf): quoted once
SAME = "職員は、パスワードを付箋に書いて端末に貼り付けてはならない。"

CONTRACT = """# 契約書

## 第5条（再委託の禁止）

乙は、甲の書面による承諾を得ずに本業務を第三者に再委託してはならない。

## 第6条（秘密保持）

乙は、本業務で知り得た秘密を第三者に漏らしてはならない。
"""


@pytest.fixture
def small(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Services over a small index the test writes: a policy, a copy of one rule, a contract."""
    from copilot.services import build_services
    from copilot.settings import load_settings

    docs = tmp_path / "docs"
    (docs / "policy").mkdir(parents=True)
    (docs / "policy" / "規程.md").write_text(POLICY, encoding="utf-8")
    for name in ("パスワード規程.md", "パスワード規程（写し）.md"):
        (docs / "policy" / name).write_text(f"# {name}\n\n## 第1条\n\n{SAME}\n", encoding="utf-8")
    (docs / "contracts" / "C-T1").mkdir(parents=True)
    (docs / "contracts" / "C-T1" / "契約書.md").write_text(CONTRACT, encoding="utf-8")
    services = build_services(load_settings())
    report = services.ingest([docs])
    assert not report.failed, report.failed
    yield services
    services.close()


def _ask(services, question: str, focus=None):  # type: ignore[no-untyped-def]
    drafter = make_drafter("evidence", services.settings)
    if focus is None:  # as the question was asked before there was a focus
        return ask(services, question, drafter)
    return ask(services, question, drafter, focus=focus)


def _grouped(citations):  # type: ignore[no-untyped-def]
    from copilot.drafting.answers import grouped

    return grouped(citations)


def test_a_duty_comes_before_a_definition(small):
    """The definition holds every word of the question and the duty only some: the duty first."""
    answer = _ask(small, "クラウドの外部サービスを職員が利用するとき")
    quotes = [c.quote for c in answer.citations]
    duty = next(k for k, q in enumerate(quotes) if "承認を得なければならない" in q)
    definition = next((k for k, q in enumerate(quotes) if "とは" in q), len(quotes))
    assert duty < definition
    assert answer.text == FOUND  # a sentence of its own, no quote glued into a cover line


def test_a_question_of_meaning_gets_the_definition_first(small):
    answer = _ask(small, "外部サービスとは")
    assert "をいう" in answer.citations[0].quote


def test_every_quote_is_shown_once_and_grouped_by_document(small):
    answer = _ask(small, "パスワードを付箋に書いて端末に貼ってよいか")
    quotes = [squash(c.quote) for c in answer.citations]
    assert quotes and len(quotes) == len(set(quotes))
    assert sum(squash(SAME) in q for q in quotes) == 1  # two files hold it: quoted once
    for c in answer.citations:  # the text does not repeat the quotes listed under it
        assert c.quote not in answer.text
    assert "と定められている" not in answer.text
    docs = [d for d, _ in _grouped(answer.citations)]
    assert len(docs) == len(set(docs))
    numbers = [n for _, cites in _grouped(answer.citations) for n, _ in cites]
    assert numbers == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize("question", ["今日の天気は？", "カレーの作り方を教えて", "野球の試合結果"])
def test_an_off_topic_question_finds_nothing(small, question):
    answer = _ask(small, question)
    assert answer.text == NOT_FOUND
    assert answer.citations == []


def test_a_follow_up_keeps_the_contract_in_focus(small):
    from copilot.audit.ask import Focus, focus_of

    contracts = ["C-T1"]
    first = focus_of("C-T1 の秘密保持の定めは", Focus(), contracts, [])
    assert first == Focus(contract="C-T1")
    answer = _ask(small, "C-T1 の秘密保持の定めは", first)  # the contract's name is no term
    assert any("秘密を第三者に漏らしてはならない" in c.quote for c in answer.citations)
    follow = focus_of("再委託は？", first, contracts, [])
    assert follow == first  # a question that names nothing keeps the focus
    answer = _ask(small, "再委託は？", follow)
    docs = [d for d, _ in _grouped(answer.citations)]
    assert docs[0] == "contracts/C-T1/契約書.md"  # the contract's own clause, before the rule
    assert any("第三者に再委託してはならない" in c.quote for c in answer.citations)
    # 全体: the contract's documents are not searched
    overall = _ask(small, "再委託は？")
    assert all(not c.document.startswith("contracts/") for c in overall.citations)


def test_a_division_is_named_without_its_bureau():
    from copilot.audit.ask import Focus, focus_of

    assert focus_of("市民課のパスワード管理は", Focus(), [], ["市民局市民課"]) == Focus(
        division="市民局市民課"
    )


def test_asking_logs_the_question_and_only_keeping_it_makes_a_draft(small):
    from copilot.review.recording import record_question, save_answer

    store = open_store(small.settings)
    try:
        store.add_user("admin", "管理者", "admin", "Admin-password-0001")
        store.add_user("sato", "佐藤 花子", "auditor", "Sato-password-0001", by="admin")
        answer = _ask(small, "外部サービスの利用の承認")
        run = record_question(store, store.get_user("sato"), small, answer)
        assert store.list_drafts(kind="answer") == []
        assert store.verify().ok  # the question is in the hash-chained log
        save_answer(store, store.get_user("sato"), small, answer, run)
        kept = store.list_drafts(kind="answer")
        assert [d.run_id for d in kept] == [run]
    finally:
        store.close()
