"""The whole CLI walk of an engagement on the sample corpus: judge a contract, draft findings,
approve some, edit one, reject one, export the notice and the checklist, verify the log, export
everything and purge."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from copilot.cli.main import main
from tests.conftest import CORPUS

CHECKLIST = CORPUS / "checklists" / "外部サービス利用時チェックリスト.xlsx"
DIVISION = "健康福祉局福祉政策課"


def run(capsys, *argv: str, stdin: str | None = None, code: int = 0) -> str:
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        assert main(list(argv)) == code, capsys.readouterr().err
    finally:
        sys.stdin = sys.__stdin__
    return capsys.readouterr().out


def as_user(monkeypatch, name: str) -> None:
    monkeypatch.setenv("COPILOT_USER", name)
    monkeypatch.setenv("COPILOT_PASSWORD", f"{name}-password-1")


@pytest.mark.slow
def test_full_engagement_walk(corpus_data_dir, tmp_path: Path, monkeypatch, capsys):
    data = tmp_path / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))

    run(
        capsys,
        "users",
        "add",
        "admin",
        "--role",
        "admin",
        "--new-password-stdin",
        stdin="admin-password-1\n",
    )
    as_user(monkeypatch, "admin")
    for name, role in (("sato", "auditor"), ("suzuki", "lead")):
        run(
            capsys,
            "users",
            "add",
            name,
            "--role",
            role,
            "--display-name",
            f"{name}監査人",
            "--new-password-stdin",
            stdin=f"{name}-password-1\n",
        )

    as_user(monkeypatch, "sato")
    out = json.loads(
        run(
            capsys,
            "checklist",
            "run",
            "--checklist",
            str(CHECKLIST),
            "--contract",
            "C-2026-002",
            "--json",
        )
    )
    assert len(out["judgements"]) == 29
    run(
        capsys,
        "findings",
        "draft",
        "--contract",
        "C-2026-002",
        "--checklist",
        str(CHECKLIST),
        "--division",
        DIVISION,
        "--json",
    )

    drafts = json.loads(run(capsys, "review", "list", "--json"))
    judgements = [d for d in drafts if d["kind"] == "checklist_judgement"]
    findings = [d for d in drafts if d["kind"] == "finding"]
    assert len(judgements) == 29 and len(findings) >= 3
    assert {d["status"] for d in drafts} == {"draft"}

    # an auditor cannot sign off
    run(capsys, "review", "approve", str(findings[0]["id"]), code=2)

    # the auditor edits one finding; the lead approves it, approves one more, rejects one
    edited_id, approved_id, rejected_id = (f["id"] for f in findings[:3])
    payload = json.loads(run(capsys, "review", "show", str(edited_id), "--payload"))
    payload["recommendation"] = (
        "外部サービスの契約に当たっては、チェックリストの全項目を仕様書に反映させること。"
    )
    edit_file = tmp_path / "edit.json"
    edit_file.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    run(
        capsys,
        "review",
        "edit",
        str(edited_id),
        "--file",
        str(edit_file),
        "--comment",
        "提言を具体化",
    )

    as_user(monkeypatch, "suzuki")
    run(capsys, "review", "approve", str(edited_id))
    run(capsys, "review", "approve", str(approved_id))
    run(capsys, "review", "reject", str(rejected_id), "--comment", "事実確認が不足")
    for j in judgements[:10]:
        run(capsys, "review", "approve", str(j["id"]))
    statuses = {d["id"]: d["status"] for d in json.loads(run(capsys, "review", "list", "--json"))}
    assert statuses[edited_id] == "approved_with_edits"
    assert statuses[approved_id] == "approved"
    assert statuses[rejected_id] == "rejected"
    shown = run(capsys, "review", "show", str(edited_id))
    assert "提言を具体化" in shown and "チェックリストの全項目を仕様書に反映" in shown

    # exports: signed-off content only
    notice = tmp_path / "notice.docx"
    run(
        capsys,
        "export",
        "notice",
        "--division",
        DIVISION,
        "--out",
        str(notice),
        "--engagement",
        str(CORPUS.parent / "examples" / "engagement.toml"),
    )
    text = "\n".join(p.text for p in docx.Document(str(notice)).paragraphs)
    tables = "\n".join(
        c.text for t in docx.Document(str(notice)).tables for r in t.rows for c in r.cells
    )
    assert DIVISION in text + tables
    assert "架空監第12号" in text and "架空市長　様" in text  # headed from the engagement file
    assert "チェックリストの全項目を仕様書に反映" in text + tables
    assert "【下書き】" not in text
    rejected = next(d for d in drafts if d["id"] == rejected_id)
    assert rejected["key"].startswith(DIVISION)

    sheet = tmp_path / "checklist.xlsx"
    run(capsys, "export", "checklist", "--contract", "C-2026-002", "--out", str(sheet))
    values = [c.value for row in load_workbook(sheet).worksheets[0].iter_rows() for c in row]
    assert any(isinstance(v, str) and "■" in v for v in values)

    assert "改ざんされていません" in run(capsys, "review", "verify")

    # end of the contract: export everything, then erase
    archive = Path(run(capsys, "export-all", str(tmp_path / "handover")).strip())
    with zipfile.ZipFile(archive) as z:
        manifest = json.loads(z.read("manifest.json"))["files"]
        assert {"documents.json", "drafts.json", "log.json"} <= set(manifest)
        assert any(name.startswith("exports/") for name in manifest)
        for name, digest in manifest.items():
            assert hashlib.sha256(z.read(name)).hexdigest() == digest
    run(capsys, "purge", "--yes")
    assert not data.exists()
