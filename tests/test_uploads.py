"""Uploads in 文書管理 keep each document's identity and leave no copy outside the data folder.

Through the UI's own handler (``ui.actions_records.ingest_uploads``) and a real Gradio server
(its upload route writes the file into its cache, as the browser does), then ``copilot purge``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import docx
import pytest

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.review.store import open_store
from copilot.settings import load_settings


def _contract(path: Path, sentence: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    d = docx.Document()
    d.add_paragraph("第1条（再委託）")
    d.add_paragraph(sentence)
    d.save(str(path))
    return path


@pytest.fixture
def deps(isolated_env: Path):  # type: ignore[no-untyped-def]
    from ui.actions import Deps

    settings = load_settings()
    store = open_store(settings)
    store.add_user("admin", "管理 者", "admin", "admin-pass-1")
    store.add_user("sato", "佐藤 花子", "auditor", "sato-pass-1", by="admin")
    store.add_user("yamada", "山田 太郎", "lead", "yamada-pass-1", by="admin")
    yield Deps(settings, store)
    store.close()


def _documents(deps) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with deps.services() as s:
        return {d.doc_id: d.contract for d in s.index.documents()}


def test_same_named_files_of_two_contracts_are_two_documents(deps, tmp_path: Path):
    from ui.actions_records import ingest_uploads

    a = _contract(
        tmp_path / "from-a" / "契約書.docx", "受注者は、A社の業務を再委託してはならない。"
    )
    b = _contract(tmp_path / "from-b" / "契約書.docx", "受注者は、B社の書面承認で再委託できる。")
    first = ingest_uploads(deps, "sato", [str(a)], "contract", "C-A", lambda _m: None)
    second = ingest_uploads(deps, "sato", [str(b)], "contract", "C-B", lambda _m: None)
    assert [r.status for r in first.results] == ["added"]
    assert [r.status for r in second.results] == ["added"]  # not 「更新」 of C-A's document
    assert _documents(deps) == {
        "contracts/C-A/契約書.docx": "C-A",
        "contracts/C-B/契約書.docx": "C-B",
    }
    uploads = Path(deps.settings.data_dir) / "uploads" / "contracts"
    assert "A社" in docx.Document(str(uploads / "C-A" / "契約書.docx")).paragraphs[1].text
    with deps.services() as s:  # each contract still answers with its own text
        assert "A社" in s.search("再委託", contract="C-A")[0].text
        assert "B社" in s.search("再委託", contract="C-B")[0].text

    newer = _contract(tmp_path / "again" / "契約書.docx", "受注者は、A社の業務を一切再委託しない。")
    with pytest.raises(UserError, match="主任担当者"):  # the same name is C-A's: a lead replaces
        ingest_uploads(deps, "sato", [str(newer)], "contract", "C-A", lambda _m: None)
    update = ingest_uploads(deps, "yamada", [str(newer)], "contract", "C-A", lambda _m: None, True)
    assert [(r.doc_id, r.status) for r in update.results] == [
        ("contracts/C-A/契約書.docx", "updated")
    ]
    assert set(_documents(deps)) == {"contracts/C-A/契約書.docx", "contracts/C-B/契約書.docx"}


def test_a_contract_upload_needs_a_contract_id_and_changes_nothing(deps, tmp_path: Path):
    from ui.actions_records import ingest_uploads

    f = _contract(tmp_path / "契約書.docx", "受注者は再委託してはならない。")
    for bad in ("", "../policy", "C 1"):
        with pytest.raises(UserError) as refused:
            ingest_uploads(deps, "sato", [str(f)], "contract", bad, lambda _m: None)
        assert "契約番号" in refused.value.ja and "contract id" in refused.value.en
    assert _documents(deps) == {}
    assert not (Path(deps.settings.data_dir) / "uploads").exists()


def _no_byte_of(marker: bytes, roots: list[Path], skip: Path | None = None) -> list[Path]:
    """Files under ``roots`` (not under ``skip``) whose bytes hold ``marker`` (a .docx is a zip:
    its XML too)."""
    import zipfile
    import zlib

    found = []
    for root in roots:
        for p in root.rglob("*") if root.exists() else []:
            if not p.is_file() or p.is_symlink() or (skip and p.is_relative_to(skip)):
                continue
            try:
                data = p.read_bytes()
            except OSError:
                continue
            if marker in data:
                found.append(p)
            elif data[:2] == b"PK":
                try:
                    with zipfile.ZipFile(p) as z:
                        if any(marker in z.read(n) for n in z.namelist()):
                            found.append(p)
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError):  # damaged
                    pass
    return found


@pytest.mark.slow
def test_an_upload_through_the_server_leaves_nothing_after_purge(deps, tmp_path: Path, capsys):
    """Gradio's upload route writes into its cache inside the data folder; the ingest empties it,
    and after `copilot purge` no byte of the document is under the data folder or the temp folder."""
    import uuid

    import httpx

    from tests.test_serve_security import copilot_serve
    from ui.actions import upload_cache
    from ui.actions_records import ingest_uploads

    secret = f"機密マーカー{uuid.uuid4().hex}"  # this run's own: earlier runs' files do not count
    marker = secret.encode()
    src = _contract(tmp_path / "src" / "仕様書.docx", f"受注者は{secret}を守る。")
    with copilot_serve(Path(deps.settings.data_dir)) as served:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            r = client.post("/login", data={"username": "sato", "password": "sato-pass-1"})
            assert r.status_code == 200, r.text
            with src.open("rb") as fh:
                up = client.post(
                    "/gradio_api/upload",
                    files={"files": ("仕様書.docx", fh, "application/octet-stream")},
                )
            assert up.status_code == 200, up.text
            cached = [Path(p) for p in up.json()]
    cache = upload_cache(deps.settings)
    assert all(p.resolve().is_relative_to(cache.resolve()) for p in cached), cached
    assert _no_byte_of(marker, [cache]), "the upload should be in Gradio's cache until ingested"
    report = ingest_uploads(deps, "sato", [str(p) for p in cached], "contract", "C-X", print)
    assert [r.status for r in report.results] == ["added"]
    assert _no_byte_of(marker, [cache]) == []  # emptied after the ingest
    deps.store.close()
    capsys.readouterr()
    assert main(["purge", "--yes"]) == 0
    temp = Path(tempfile.gettempdir())
    # the whole temp folder but this test's own folder (which holds the source file)
    left = _no_byte_of(marker, [Path(deps.settings.data_dir), temp], skip=tmp_path)
    assert left == [], left
    assert not Path(deps.settings.data_dir).exists()
