"""Another body's documents (a sample pair kept for comparison) stay out of the city's answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.audit.ask import ask
from copilot.cli.main import main
from copilot.drafting.drafters import make_drafter
from copilot.errors import UserError
from copilot.retrieval import ALL_BODIES
from copilot.services import build_services
from copilot.settings import load_settings

TOWN = "policy_gap/policy/架空町情報セキュリティ対策基準.docx"
PREFECTURE = "policy_gap/guideline/架空県市町村情報セキュリティ対策ガイドライン.docx"


def _town_queries(services, n: int = 6) -> list[str]:
    """Sentences of the town's own standard: the best match for each is in that standard."""
    clauses = [c for c in services.index.document_clauses(TOWN) if len(c.text) > 30]
    step = max(len(clauses) // n, 1)
    return [c.text[:80] for c in clauses[::step][:n]]


def test_the_sample_pair_is_ingested_as_other_bodies(corpus_services, capsys):
    assert main(["status", "--json"]) == 0
    bodies = {d["document"]: d["body"] for d in json.loads(capsys.readouterr().out)["documents"]}
    assert bodies[TOWN] == "架空町"
    assert bodies[PREFECTURE] == "架空県"
    others = {doc for doc, body in bodies.items() if body}
    assert others == {TOWN, PREFECTURE}  # the city's own documents carry no body


def test_search_and_ask_keep_to_the_audited_body(corpus_services, capsys):
    for query in _town_queries(corpus_services):
        hits = corpus_services.search(query, top_k=10, kind=["policy", "guideline"])
        assert hits, query
        assert all(not h.document.startswith("policy_gap/") for h in hits), query
        assert all(h.body == "" for h in hits)
        everything = corpus_services.search(query, top_k=10, body=ALL_BODIES)
        assert TOWN in [h.document for h in everything], query  # it is there when asked for
        answer = ask(corpus_services, query, make_drafter("evidence", corpus_services.settings))
        assert all(not c.document.startswith("policy_gap/") for c in answer.citations)

    query = _town_queries(corpus_services)[0]
    assert main(["search", query, "--body", "架空町", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits and {h["document"] for h in hits} == {TOWN}
    assert {h["body"] for h in hits} == {"架空町"}
    assert main(["search", query, "--json"]) == 0
    assert TOWN not in {h["document"] for h in json.loads(capsys.readouterr().out)["hits"]}


def test_an_unknown_body_is_a_clear_error(corpus_services):
    with pytest.raises(UserError) as info:
        corpus_services.search("再委託", body="架空村")
    assert "架空村" in info.value.ja and "架空町" in info.value.ja
    assert "架空村" in info.value.en


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_folder_marker_and_the_flag_set_the_body(tmp_path):
    docs = tmp_path / "docs"
    _write(docs / "policy" / "市の基準.md", "# 対策基準\n\n第1条 市は情報資産を分類する。\n")
    _write(
        docs / "others" / "policy" / "町の基準.md", "# 町の基準\n\n第1条 町は記録媒体を管理する。\n"
    )
    _write(docs / "others" / "_団体.txt", "隣町\n")
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    try:
        report = services.ingest([docs])
        assert not report.failed
        bodies = {d.doc_id: d.body for d in services.index.documents()}
        assert bodies == {"policy/市の基準.md": "", "others/policy/町の基準.md": "隣町"}
        assert (
            services.search("記録媒体の管理", body="隣町")[0].document
            == "others/policy/町の基準.md"
        )
        assert "others/policy/町の基準.md" not in [
            h.document for h in services.search("記録媒体の管理")
        ]

        # A changed body is a change: the document is stored again (its vectors come from the cache)
        _write(docs / "others" / "_団体.txt", "架空村\n")
        again = services.ingest([docs])
        assert {r.doc_id: r.status for r in again.results}["others/policy/町の基準.md"] == "updated"
        assert services.index.document("others/policy/町の基準.md").body == "架空村"

        flagged = services.ingest(
            [_write(tmp_path / "県の手引き.md", "第1条 県は助言する。\n")], body="架空県"
        )
        assert not flagged.failed
        assert services.index.document("県の手引き.md").body == "架空県"
    finally:
        services.close()


def test_an_index_from_before_bodies_is_labelled_on_first_use(tmp_path):
    """Vectors stored without a body still answer the city's searches after the upgrade."""
    docs = tmp_path / "docs"
    _write(
        docs / "policy" / "市の基準.md", "# 対策基準\n\n第1条 市は記録媒体を施錠して保管する。\n"
    )
    services = build_services(load_settings(data_dir=tmp_path / "data"))
    try:
        services.ingest([docs])
        col = services.index.collection()
        stored = col.get(include=["embeddings", "metadatas"])
        old_metas = [{k: v for k, v in m.items() if k != "body"} for m in stored["metadatas"]]
        col.delete(ids=stored["ids"])
        col.add(ids=stored["ids"], embeddings=stored["embeddings"], metadatas=old_metas)
        assert all("body" not in m for m in col.get(include=["metadatas"])["metadatas"])
        services.index.db.execute("ALTER TABLE documents DROP COLUMN body")
        services.index.db.commit()
    finally:
        services.close()

    services = build_services(load_settings(data_dir=tmp_path / "data"))
    try:
        _write(docs / "town" / "_団体.txt", "隣町\n")
        _write(docs / "town" / "町の基準.md", "第1条 町は記録媒体を廃棄する。\n")
        services.ingest([docs])  # now one document has a body, so searches are held to ""
        dense = services.index.dense("記録媒体の施錠保管", 5, {"body": ""})
        found = services.index.clauses([cid for cid, _ in dense])
        assert dense and {c.doc_id for c in found.values()} == {"policy/市の基準.md"}
    finally:
        services.close()
