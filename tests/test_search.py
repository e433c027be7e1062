"""Search over the sample corpus, through the CLI as an auditor uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.cli.main import main
from ingest.normalise import squash

HIT_KEYS = {
    "rank",
    "score",
    "clause_id",
    "document",
    "document_title",
    "kind",
    "contract",
    "clause_path",
    "page",
    "text",
    "char_start",
    "char_end",
    "body",
    "excerpt",
}


def run_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_search_json_shape_and_exact_offsets(corpus_services, capsys):
    out = run_json(capsys, "search", "外部サービスの利用終了時のデータ消去", "--json")
    assert out["query"] == "外部サービスの利用終了時のデータ消去"
    assert len(out["hits"]) == 5
    for rank, hit in enumerate(out["hits"], start=1):
        assert set(hit) == HIT_KEYS
        assert hit["rank"] == rank
        doc_text = corpus_services.index.document_text(hit["document"])
        assert doc_text[hit["char_start"] : hit["char_end"]] == hit["text"]
    scores = [h["score"] for h in out["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_kind_and_contract_filters(corpus_services, capsys):
    out = run_json(
        capsys,
        "search",
        "再委託",
        "--kind",
        "contract",
        "--contract",
        "C-2026-002",
        "--top-k",
        "8",
        "--json",
    )
    assert out["hits"] and {(h["kind"], h["contract"]) for h in out["hits"]} == {
        ("contract", "C-2026-002")
    }
    out = run_json(capsys, "search", "再委託", "--kind", "policy", "--json")
    assert {h["kind"] for h in out["hits"]} == {"policy"}


def test_a_clause_path_in_municipal_style(corpus_services, capsys):
    out = run_json(capsys, "search", "外部サービスの利用に関する規定", "--kind", "policy", "--json")
    paths = [h["clause_path"] for h in out["hits"]]
    assert any(p.startswith("第35 > ") for p in paths), paths


def test_pdf_hits_carry_their_page(corpus_services, capsys):
    out = run_json(
        capsys, "search", "通信の暗号化", "--contract", "C-2026-002", "--top-k", "10", "--json"
    )
    pages = [h["page"] for h in out["hits"] if h["document"].endswith(".pdf")]
    assert pages and all(isinstance(p, int) and p >= 1 for p in pages)


def test_same_words_in_docx_and_pdf_are_returned_once(corpus_services, capsys):
    out = run_json(
        capsys,
        "search",
        "再委託先の名称及び業務の範囲を本市に通知",
        "--contract",
        "C-2026-002",
        "--top-k",
        "10",
        "--json",
    )
    texts = [squash(h["text"]) for h in out["hits"]]
    assert len(texts) == len(set(texts))


def test_batch_search_writes_one_line_per_query(corpus_services, capsys, tmp_path: Path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        "\n".join(
            json.dumps(q, ensure_ascii=False)
            for q in [
                {"id": "a", "query": "パスワードの長さ"},
                {"id": "b", "query": "データの保管場所", "filters": {"contract": "C-2026-001"}},
            ]
        ),
        encoding="utf-8",
    )
    assert main(["search", "--batch", str(batch), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert all(set(h) == HIT_KEYS for x in lines for h in x["hits"])
    assert {h["contract"] for h in lines[1]["hits"]} == {"C-2026-001"}


def test_malformed_batch_line_names_the_line(corpus_services, capsys, tmp_path: Path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "query": "監査"}\nnot json\n', encoding="utf-8")
    assert main(["search", "--batch", str(batch), "--json"]) == 2
    assert "2 行目" in capsys.readouterr().err


def test_unknown_contract_is_a_user_error(corpus_services, capsys):
    assert main(["search", "再委託", "--contract", "C-9999"]) == 2
    err = capsys.readouterr().err
    assert "C-9999" in err and "C-2026-001" in err


def test_search_before_any_ingest_says_what_to_do(capsys):
    assert main(["search", "再委託"]) == 2
    err = capsys.readouterr().err
    assert "copilot ingest" in err and "Traceback" not in err


def test_thesaurus_expands_everyday_words():
    from copilot.drafting.thesaurus import load_thesaurus, parse

    th = load_thesaurus()
    assert "再委託" in th.expand("下請けに出すとき")
    assert th.expand("無関係な語") == "無関係な語"
    assert parse("# comment\nA\tB, C\n") == [("A", "B", "C")]


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version(flag: str, capsys):
    with pytest.raises(SystemExit) as info:
        main([flag])
    assert info.value.code == 0
    assert "copilot" in capsys.readouterr().out


def test_llama_index_retriever_returns_the_same_clauses(corpus_services):
    from copilot.retrieval import llama_retriever

    query = "標的型メールへの対応"
    hits = corpus_services.search(query, kind="policy")
    nodes = llama_retriever(lambda q: corpus_services.search(q, kind="policy")).retrieve(query)
    assert [n.node.node_id for n in nodes] == [h.clause_id for h in hits]
    assert nodes[0].node.metadata["clause_path"] == hits[0].clause_path


def test_the_table_row_the_query_names_is_returned_not_its_neighbour(tmp_path: Path, capsys):
    import docx

    root = tmp_path / "docs" / "policy"
    root.mkdir(parents=True)
    d = docx.Document()
    d.add_heading("第3　情報の区分", level=1)
    d.add_paragraph("1　情報は、次の表のとおり区分する。")
    table = d.add_table(rows=4, cols=3)
    rows = [
        ("区分", "定義", "取扱い"),
        ("区分A", "区分B又は区分C以外の情報（公表済みの情報等）", "特段の制限はない。"),
        ("区分B", "公表を前提としていない情報", "業務上必要な範囲でのみ利用する。"),
        ("区分C", "秘密文書に相当する情報", "庁外への持出しを禁止する。"),
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.rows[r].cells[c].text = value
    d.add_paragraph("2　職員は、区分B以上の情報を窓口に放置してはならない。")
    d.add_paragraph("3　区分Cの情報を記録した媒体は、施錠可能な書庫に保管する。")
    d.save(str(root / "基準.docx"))
    assert main(["ingest", str(root.parent)]) == 0
    capsys.readouterr()

    hits = run_json(capsys, "search", "区分Bの定義", "--json")["hits"]
    texts = [h["text"] for h in hits]
    assert any(t.startswith("区分B\t公表を前提としていない情報") for t in texts), texts
    assert not any(t.startswith("区分A\t") for t in texts), texts  # one hit per item: the row named
