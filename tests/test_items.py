"""Items: an item's explanation and context help find it; the hit is the item's own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.services import build_services
from copilot.settings import load_settings
from ingest.clauses import split_clauses
from ingest.readers import COMMENTARY, Block, read_document
from ingest.units import ITEM_CHARS, build_items

PUBLIC = Path(__file__).resolve().parents[1].parent / "shared" / "public_corpus"
GUIDELINE = PUBLIC / "nco_toitsu_kijun_guideline_r7.txt"

GUIDE = """# 第4部 外部委託

## 4.1 業務の委託

[遵守事項] 4.1.1(1)(a)
(a)\t機関等は、委託先に提供する情報の範囲を契約前に定めること。
[解説]
遵守事項4.1.1(1)(a)について
受託者が下請けに出す場合に備え、孫請けの会社にも同じ水準の管理を求めておくことが望ましい。
なお、業者を選ぶ段階で確認しておくことが肝要である。

[遵守事項] 4.1.1(1)(b)
(b)\t機関等は、委託先が実施する情報セキュリティ対策を仕様に含めること。

## 4.2 端末の管理

[遵守事項] 4.2.1(1)(a)
(a)\t職員は、端末に離席時の画面ロックを設定すること。
[基本対策事項] 4.2.1(1)-1
4.2.1(1)-1\t端末の管理者は、次に掲げる設定を行うこと。
[基本対策事項] 4.2.1(1)-1 a)
a)\t自動ロックの時間
[基本対策事項] 4.2.1(1)-1 b)
b)\t記録媒体の接続制限
"""


def _blocks(text: str) -> list[Block]:
    return [Block(line) for line in text.splitlines()]


def test_an_explanation_is_split_off_as_commentary_of_its_item():
    text, clauses = split_clauses(_blocks(GUIDE.replace("# ", "")))
    first = [c for c in clauses if c.path.endswith("4.1.1(1)(a)")]
    assert [c.aside for c in first][0] == ""
    assert "契約前に定めること。" in first[0].text and "[解説]" not in first[0].text
    notes = [c for c in first if c.aside == COMMENTARY]
    assert notes and notes[0].text.startswith("[解説]")
    assert "孫請け" in " ".join(c.text for c in notes)
    assert all(text[c.char_start : c.char_end] == c.text for c in clauses)


def test_item_texts_carry_headings_children_and_explanation():
    _, clauses = split_clauses(_blocks(GUIDE.replace("# ", "")))
    items = {it.path.split(" > ")[-1]: it for it in build_items(clauses)}
    parent = items["4.2.1(1)-1"]
    assert "自動ロックの時間" in parent.text and "記録媒体の接続制限" in parent.text
    assert "孫請け" in items["4.1.1(1)(a)"].text  # the start of its explanation
    assert all(len(it.text) <= ITEM_CHARS for it in items.values())
    covered = sorted(i for it in items.values() for i in it.ordinals)
    assert covered == list(range(len(clauses)))  # every clause belongs to exactly one item


@pytest.fixture
def guide_services(tmp_path):
    docs = tmp_path / "docs"
    (docs / "guideline").mkdir(parents=True)
    (docs / "guideline" / "委託の手引き.md").write_text(GUIDE, encoding="utf-8")
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    report = services.ingest([docs])
    assert not report.failed
    yield services
    services.close()


def test_a_query_answered_by_the_explanation_returns_the_item(guide_services):
    hits = guide_services.search("孫請けの会社にも同じ水準の管理", top_k=3)
    assert hits[0].clause_path.endswith("4.1.1(1)(a)")
    assert hits[0].text.startswith("[遵守事項] 4.1.1(1)(a)")  # the rule, not its explanation
    assert "孫請け" not in hits[0].text
    records = guide_services.index.clauses([h.clause_id for h in hits])
    assert all(records[h.clause_id].aside != COMMENTARY for h in hits)
    assert len({h.clause_path for h in hits}) == len(hits)  # one hit per item


def test_no_hit_is_ever_an_explanation(guide_services):
    for query in ("業者を選ぶ段階", "下請け", "画面ロック", "記録媒体", "情報の範囲"):
        hits = guide_services.search(query, top_k=5)
        records = guide_services.index.clauses([h.clause_id for h in hits])
        assert hits and all(records[h.clause_id].aside != COMMENTARY for h in hits), query


def test_removing_a_document_removes_its_items(guide_services):
    doc = "guideline/委託の手引き.md"
    assert guide_services.index.items_collection().count() > 0
    guide_services.remove(doc)
    assert guide_services.index.items_collection().count() == 0
    assert guide_services.index.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


@pytest.mark.skipif(not GUIDELINE.is_file(), reason="../shared/public_corpus is absent")
def test_the_real_guideline_is_read_with_its_headings_and_explanations_apart():
    reading = read_document(GUIDELINE)
    _, clauses = split_clauses(reading.blocks)
    rules = [c for c in clauses if c.aside != COMMENTARY and c.path != "前文"]
    notes = [c for c in clauses if c.aside == COMMENTARY]
    assert len(notes) > 500 and len(rules) > 1500
    assert not any("[解説]" in c.text for c in rules)  # explanations never in a rule's clause
    assert all(
        c.text.startswith("[解説]")
        for c in notes
        if c.ordinal == 0 or clauses[c.ordinal - 1].aside != COMMENTARY
    )
    # the part and section headings ("# 第2部 …") head every item's path, none is glued into a text
    assert all(c.path.startswith("第") for c in rules)
    assert not any(line.startswith("#") for c in clauses for line in c.text.splitlines())
