"""A document is versioned, not replaced: who may make a new version, and what stays citable.

Through the running app (one real `copilot serve` over a copy of the ingested sample corpus,
driven with Gradio's Python client as an auditor, an admin and a lead) and through the CLI
(`copilot ingest` of a changed file). The previous version's clauses must stay readable where an
approved draft cites them, search must see the new version only, and every replacement must be a
record of the hash-chained review log.
"""

from __future__ import annotations

import html
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from copilot.cli.main import main
from copilot.drafting.citations import citation_error
from copilot.review.store import open_store
from copilot.schemas import Citation
from copilot.services import Services, build_services
from copilot.settings import Settings, load_settings
from tests.served import Logins, serving
from tests.test_security_api import endpoint, offered_checklist

USERS = {"admin": "admin", "sato": "auditor", "suzuki": "lead"}
CONTRACT = "C-2026-001"
NEW_WORDING = "受注者は、発注者に届け出れば業務の全部を第三者に再委託することができる。"


def password(name: str) -> str:
    return f"{name}-versions-1"


@pytest.fixture(scope="module")
def served(
    corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Settings]]:
    """`copilot serve` over a copy of the ingested corpus (its URL and settings), once it answers."""
    root = tmp_path_factory.mktemp("versions")
    data = root / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    settings = load_settings(data_dir=data)
    with open_store(settings) as store:
        for name, role in USERS.items():
            store.add_user(
                name, name, role, password(name), by=None if name == "admin" else "admin"
            )
    with serving(data, root / "serve.log") as (_, url):
        yield url, settings


@pytest.fixture(scope="module")
def login(served: tuple[str, Settings]) -> Iterator[Callable[[str], Client]]:
    """A gradio_client Client logged in as a user (one each)."""
    logins = Logins(served[0], password)
    yield logins
    logins.close()


def _services(settings: Settings) -> Services:
    return build_services(settings)


def _contract_docx(path: Path, sentence: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    d = docx.Document()
    d.add_paragraph("第1条（再委託）")
    d.add_paragraph(sentence)
    d.save(str(path))
    return path


def _evidence(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in payload.get("evidence") or [] if isinstance(c, dict)]


def test_only_a_lead_who_confirms_replaces_a_document_and_approved_citations_stay(
    served: tuple[str, Settings], login: Callable[[str], Client], tmp_path: Path
):
    url, settings = served
    sato, admin, suzuki = login("sato"), login("admin"), login("suzuki")

    # an auditor judges the contract through the app; a lead approves a judgement that quotes it
    table, message = sato.predict(
        CONTRACT, offered_checklist(sato), api_name=endpoint(sato, output="run-msg")
    )
    assert "項目を判定しました。内訳は" in message
    ids = [int(row[0]) for row in table["data"] if row[0] not in ("", None)]
    with open_store(settings) as store:
        cited = [
            d for d in map(store.get_draft, ids) if _evidence(d.payload)
        ]  # judgements that quote the contract's documents
        assert cited, "no judgement quotes the contract"
        draft = cited[0]
        store.approve(draft.id, "suzuki", "確認した")
    quotes = _evidence(draft.payload)
    doc_id = quotes[0]["document"]  # the contract document the approved judgement quotes
    assert doc_id.startswith(f"contracts/{CONTRACT}/") and doc_id.endswith(".docx")
    old_ids = [c["clause_id"] for c in quotes if c["document"] == doc_id]
    s = _services(settings)
    try:
        before = s.index.document(doc_id)
        assert before is not None and before.n_clauses > 2
    finally:
        s.close()
    upload_copy = settings.data_dir / "uploads" / doc_id

    # a different file under the same name, for the same contract
    new_file = _contract_docx(tmp_path / "new" / Path(doc_id).name, NEW_WORDING)
    ingest = endpoint(sato, output="ingest-msg")

    def upload(client: Client, confirm: bool) -> str:
        message, _status = client.predict(
            [handle_file(str(new_file))], "contract", CONTRACT, confirm, api_name=ingest
        )
        return str(message)

    for client in (sato, admin):  # an auditor or an admin: refused, even with the box ticked
        with pytest.raises(AppError) as refused:
            upload(client, True)
        assert "同じ名前の文書" in str(refused.value) and "主任担当者" in str(refused.value)
        assert doc_id in str(refused.value) and "only a lead" in str(refused.value)
    with pytest.raises(AppError) as refused:  # the lead, without ticking the confirmation
        upload(suzuki, False)
    assert "既存の文書を新しい版で置き換える" in str(refused.value)
    assert "tick" in str(refused.value)
    s = _services(settings)
    try:  # nothing changed: the same document, clauses and file; no record
        assert s.index.document(doc_id) == before
        assert set(s.index.clauses(old_ids)) == set(old_ids)
        assert not s.index.versions(doc_id)
    finally:
        s.close()
    assert not upload_copy.exists()
    with open_store(settings) as store:
        assert not store.document_changes()

    # the lead who ticks it makes the new version current; the old one is kept
    done = upload(suzuki, True)
    assert "更新 1" in done and "前の版は" in done and "@v1" in done
    s = _services(settings)
    try:
        now = s.index.document(doc_id)
        assert now is not None and now.version == 2 and now.sha256 != before.sha256
        assert now.n_clauses < before.n_clauses
        hits = s.search("届け出れば業務の全部を第三者に再委託", contract=CONTRACT, top_k=3)
        assert hits and hits[0].document == doc_id and "届け出れば" in hits[0].text
        assert not set(s.index.clauses(old_ids))  # no longer live ...
        many = s.search("再委託 承認 第三者", contract=CONTRACT, top_k=50)
        assert not {h.clause_id for h in many} & set(old_ids)  # ... nor searched
        kept = s.index.clauses(old_ids, archived=True)  # ... but kept for the approved draft
        for c in quotes:
            if c["document"] == doc_id:
                assert citation_error(Citation.model_validate(c), kept) is None
        status = {d.document: d for d in s.status().documents}
        assert [v.document for v in status[doc_id].earlier] == [f"{doc_id}@v1"]
        assert status[doc_id].earlier[0].clauses == before.n_clauses
    finally:
        s.close()

    # the approved draft, opened in the app, still shows the clause text it quoted
    opened = suzuki.predict(draft.id, api_name=endpoint(suzuki, trigger="item-open"))
    cites = str(opened[1])
    assert "この条項は索引にありません" not in cites
    for c in quotes:
        assert f"<mark>{html.escape(c['quote'])}</mark>" in cites
    assert "第1版・差し替え前" in cites

    # who replaced what is a record of the hash-chained log
    with open_store(settings) as store:
        changes = store.document_changes(doc_id)
        assert [(c.action, c.actor) for c in changes] == [("replace_document", "suzuki")]
        assert changes[0].old_sha256 == before.sha256 and changes[0].new_sha256 == now.sha256
        assert changes[0].kept_as == f"{doc_id}@v1"
        verified = store.verify()
        assert verified.ok
    env = {"COPILOT_DATA_DIR": str(settings.data_dir)}
    assert _cli(["review", "verify"], env) == 0

    # the same file again changes nothing, whoever uploads it
    again = upload(sato, False)
    assert "変更なし" in again
    with open_store(settings) as store:
        assert len(store.document_changes()) == 1


def _cli(argv: list[str], env: dict[str, str]) -> int:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return main(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_cli_ingest_of_a_changed_file_keeps_the_old_version_and_logs_who(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    root = tmp_path / "docs"
    contract = root / "contracts" / "C-1" / "契約書.txt"
    contract.parent.mkdir(parents=True)
    contract.write_text(
        "第1条 受注者は、発注者の書面による承認なく業務を第三者に再委託してはならない。\n"
        "第2条 受注者は、個人情報を適切に管理しなければならない。\n",
        encoding="utf-8",
    )
    assert main(["ingest", str(root)]) == 0
    settings = load_settings()
    with open_store(settings) as store:
        store.add_user("admin", "管理 者", "admin", "admin-pass-1")
        store.add_user("sato", "佐藤 花子", "auditor", "sato-pass-1", by="admin")
    s = build_services(settings)
    try:
        old = s.index.document_clauses("contracts/C-1/契約書.txt")
        quote = Citation(
            clause_id=old[0].clause_id,
            document=old[0].doc_id,
            clause_path=old[0].path,
            quote="書面による承認なく業務を第三者に再委託してはならない",
        )
        assert citation_error(quote, s.index.clauses([quote.clause_id])) is None
        sha = s.index.document("contracts/C-1/契約書.txt").sha256  # type: ignore[union-attr]
    finally:
        s.close()

    contract.write_text("第1条 受注者は、届け出れば再委託できる。\n", encoding="utf-8")
    capsys.readouterr()
    # users exist: a replacement needs the acting user named, and nothing changes without one
    assert main(["ingest", str(root)]) == 1
    assert "--user" in capsys.readouterr().err
    s = build_services(settings)
    try:
        assert s.index.document("contracts/C-1/契約書.txt").sha256 == sha  # type: ignore[union-attr]
    finally:
        s.close()

    monkeypatch.setenv("COPILOT_PASSWORD", "sato-pass-1")
    assert main(["ingest", str(root), "--user", "sato"]) == 0
    assert "contracts/C-1/契約書.txt@v1" in capsys.readouterr().err
    s = build_services(settings)
    try:
        assert s.index.document("contracts/C-1/契約書.txt").version == 2  # type: ignore[union-attr]
        assert not s.index.clauses([quote.clause_id])  # not live, not searched
        hits = s.search("書面による承認なく業務を第三者に再委託", top_k=20)
        assert quote.clause_id not in {h.clause_id for h in hits}
        kept = s.index.clauses([quote.clause_id], archived=True)  # still citable
        assert citation_error(quote, kept) is None
        assert kept[quote.clause_id].doc_id == "contracts/C-1/契約書.txt@v1"
    finally:
        s.close()
    with open_store(settings) as store:
        changes = store.document_changes()
        assert [(c.action, c.doc_id, c.actor, c.old_sha256) for c in changes] == [
            ("replace_document", "contracts/C-1/契約書.txt", "sato", sha)
        ]
        assert store.verify().ok
        path = store.path
    assert main(["review", "verify"]) == 0
    assert main(["status"]) == 0
    assert "contracts/C-1/契約書.txt@v1" in capsys.readouterr().out

    # the record cannot be rewritten or dropped, and one added behind the store's back is found
    raw = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE document_changes SET actor = 'admin'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM document_changes")
        raw.execute(
            "INSERT INTO document_changes (at, action, doc_id, old_sha256, actor) "
            "VALUES ('2026-01-01T00:00:00+09:00', 'remove_document', 'x', 'y', 'admin')"
        )
        raw.commit()
    finally:
        raw.close()
    with open_store(settings) as store:
        assert not store.verify().ok


def test_content_that_comes_back_is_live_again_and_removal_takes_every_version(
    tmp_path: Path,
):
    root = tmp_path / "docs"
    policy = root / "policy" / "基準.txt"
    policy.parent.mkdir(parents=True)
    first = "第1条 記録媒体は施錠できる場所に保管する。\n"
    policy.write_text(first, encoding="utf-8")
    s = build_services(load_settings())
    try:
        s.ingest([root])
        ids_a = [c.clause_id for c in s.index.document_clauses("policy/基準.txt")]
        policy.write_text("第1条 記録媒体は持ち出さない。\n", encoding="utf-8")
        assert s.ingest([root]).results[0].kept == "policy/基準.txt@v1"
        policy.write_text(first, encoding="utf-8")  # back to the first content
        assert s.ingest([root]).results[0].kept == "policy/基準.txt@v2"
        assert [v.version for v in s.index.versions("policy/基準.txt")] == [2]
        assert s.index.document("policy/基準.txt").version == 3  # type: ignore[union-attr]
        assert set(s.index.clauses(ids_a)) == set(ids_a)  # live again under the same ids
        s.remove("policy/基準.txt")
        assert not s.index.versions() and not s.index.clauses(ids_a, archived=True)
    finally:
        s.close()
