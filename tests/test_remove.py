"""`copilot remove DOC_ID` and ``Services.remove``: the document leaves both indexes, the file stays."""

from __future__ import annotations

from pathlib import Path

from copilot.cli.main import main
from copilot.services import build_services
from copilot.settings import load_settings
from tests.test_ingest import chroma_ids, make_corpus, manifest_ids

CONTRACT = "contracts/C-1/契約書.docx"


def test_remove_takes_a_document_out_of_both_indexes(tmp_path: Path, capsys):
    root = make_corpus(tmp_path / "docs")
    assert main(["ingest", str(root)]) == 0
    services = build_services(load_settings())
    try:
        assert services.search("再委託の承認", contract="C-1")
        before = chroma_ids(services)
        kept = {
            r[0]
            for r in services.index.db.execute(
                "SELECT clause_id FROM clauses WHERE doc_id != ?", (CONTRACT,)
            )
        }
    finally:
        services.close()
    capsys.readouterr()

    assert main(["remove", CONTRACT]) == 0
    assert CONTRACT in capsys.readouterr().err

    services = build_services(load_settings())
    try:
        assert [d.doc_id for d in services.index.documents()] == ["policy/基準.txt"]
        assert manifest_ids(services) == kept == chroma_ids(services)
        assert chroma_ids(services) < before
        hits = services.search("書面による承認なく業務を第三者に再委託", top_k=10)
        assert all(h.document != CONTRACT for h in hits)
    finally:
        services.close()
    assert (root / CONTRACT).is_file()  # only the index forgets it
    # ingesting the folder again brings it back
    assert main(["ingest", str(root)]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    assert CONTRACT in capsys.readouterr().out


def test_removing_an_unknown_document_is_a_user_error(tmp_path: Path, capsys):
    assert main(["ingest", str(make_corpus(tmp_path / "docs"))]) == 0
    capsys.readouterr()
    assert main(["remove", "contracts/C-9/ない.docx"]) == 2
    err = capsys.readouterr().err
    assert "contracts/C-9/ない.docx" in err and "索引にありません" in err
    assert "Error: there is no document" in err and "copilot status" in err
    services = build_services(load_settings())
    try:
        assert len(services.index.documents()) == 2
    finally:
        services.close()


def test_in_the_app_only_the_lead_removes_documents(tmp_path: Path, capsys):
    """An auditor's removal is refused in both languages and the index keeps the document."""
    import pytest

    from copilot.errors import UserError
    from copilot.review.store import open_store
    from ui.actions import Deps
    from ui.actions_records import remove_document

    assert main(["ingest", str(make_corpus(tmp_path / "docs"))]) == 0
    capsys.readouterr()
    settings = load_settings()
    store = open_store(settings)
    try:
        store.add_user("admin", "管理 者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤 花子", "auditor", "sato-pass-1", by="admin")
        store.add_user("yamada", "山田 太郎", "lead", "yamada-pass-1", by="admin")
        deps = Deps(settings, store)
        for who in ("sato", "admin"):
            with pytest.raises(UserError) as refused:
                remove_document(deps, who, CONTRACT)
            assert "主任担当者" in refused.value.ja and "lead" in refused.value.en
        with deps.services() as services:
            assert CONTRACT in [d.doc_id for d in services.index.documents()]
        assert remove_document(deps, "yamada", CONTRACT).document == CONTRACT
        with deps.services() as services:
            assert CONTRACT not in [d.doc_id for d in services.index.documents()]
    finally:
        store.close()
