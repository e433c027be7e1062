"""The review store: users and roles, versions, statuses, the append-only hash-chained log."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.review.migrations import MIGRATIONS, PROTECTED_TABLES, migrate
from copilot.review.store import ReviewStore, open_store
from copilot.schemas import Finding
from copilot.settings import load_settings
from tests.conftest import ROOT

PASSWORDS = {"admin": "admin-pass-1", "sato": "lead-pass-12", "tanaka": "auditor-pass-3"}
FINDING = {
    "division": "福祉政策課",
    "title": "持出し簿の未整備",
    "finding": "機密性3の情報資産の持出しについて、許可記録が確認できなかった。",
    "rating": "指摘",
    "risk": "情報資産の紛失・漏えいに気付けないおそれがある。",
    "recommendation": "持出し簿を整備し、許可と返却を記録すること。",
}


def _users(store: ReviewStore) -> None:
    store.add_user("admin", "管理者", "admin", PASSWORDS["admin"])
    store.add_user("sato", "佐藤 花子", "lead", PASSWORDS["sato"], by="admin")
    store.add_user("tanaka", "田中 一郎", "auditor", PASSWORDS["tanaka"], by="admin")


def _run(store: ReviewStore, user: str = "tanaka") -> int:
    return store.record_run(
        "findings",
        {"documents": {"policy": "ab12"}, "contract": "C-2026-001"},
        settings_digest="s1",
        drafter="evidence",
        model="evidence",
        prompt="findings",
        prompt_version="v1",
        prompt_hash="p1",
        evidence_ids=["policy#35-2-1"],
        user=user,
    )


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with ReviewStore(tmp_path / "store" / "review.sqlite") as s:
        _users(s)
        yield s


@pytest.fixture
def draft(store: ReviewStore) -> int:
    return store.add_draft(_run(store), "finding", "福祉政策課/1", FINDING, "tanaka")


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# --- opening and migrations ---------------------------------------------------------------------


def test_open_creates_folder_wal_and_private_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "review.sqlite"
    assert not path.parent.exists()
    with ReviewStore(path):
        pass
    assert path.is_file()
    assert path.stat().st_mode & 0o077 == 0
    conn = _raw(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_open_store_lives_in_data_dir(isolated_env: Path) -> None:
    assert not isolated_env.exists()
    with open_store(load_settings()) as s:
        assert s.path == isolated_env / "review.sqlite"
    assert (isolated_env / "review.sqlite").is_file()


def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "review.sqlite"
    with ReviewStore(path):
        pass
    with ReviewStore(path):  # a second open applies nothing
        pass
    conn = _raw(path)
    rows = conn.execute("SELECT name, applied_at FROM migrations").fetchall()
    assert [r[0] for r in rows] == [m.name for m in MIGRATIONS]
    assert all(r[1] for r in rows)
    assert migrate(conn) == []
    conn.close()


def test_a_store_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "review.sqlite"
    with ReviewStore(path):
        pass
    conn = _raw(path)
    conn.execute("INSERT INTO migrations VALUES ('9999_from_the_future', '2030-01-01')")
    conn.close()
    with pytest.raises(UserError, match="upgrade this program"):
        ReviewStore(path)


def test_a_file_that_is_not_a_store_gives_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "review.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UserError, match="COPILOT_DATA_DIR"):
        ReviewStore(path)


# --- users and roles ----------------------------------------------------------------------------


def test_passwords_are_stored_only_as_salted_scrypt_hashes(store: ReviewStore) -> None:
    conn = _raw(store.path)
    rows = conn.execute("SELECT user, algorithm, n, r, p, salt, hash FROM passwords").fetchall()
    conn.close()
    assert len(rows) == 3
    for _user, algorithm, n, r, p, salt, digest in rows:
        assert (algorithm, n, r, p) == ("scrypt", 2**14, 8, 1)
        assert len(bytes.fromhex(salt)) == 16
        assert len(bytes.fromhex(digest)) == 32
    assert len({r[5] for r in rows}) == 3  # a salt of its own each
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    for password in PASSWORDS.values():
        assert password.encode() not in raw


def test_authenticate(store: ReviewStore) -> None:
    user = store.authenticate("sato", PASSWORDS["sato"])
    assert (user.name, user.display_name, user.role) == ("sato", "佐藤 花子", "lead")
    with pytest.raises(UserError) as wrong:
        store.authenticate("sato", "not-the-password")
    with pytest.raises(UserError) as unknown:
        store.authenticate("nobody", "whatever-it-is")
    assert wrong.value.ja == unknown.value.ja  # does not say which one was wrong
    assert "パスワード" in wrong.value.ja and "password" in wrong.value.en


def test_first_user_bootstraps_as_admin_then_only_admins_add_users(tmp_path: Path) -> None:
    with ReviewStore(tmp_path / "review.sqlite") as s:
        with pytest.raises(UserError, match="first user must be an admin"):
            s.add_user("sato", "佐藤", "lead", PASSWORDS["sato"])
        s.add_user("admin", "管理者", "admin", PASSWORDS["admin"])
        with pytest.raises(UserError, match="only an admin"):
            s.add_user("eve", "eve", "admin", "eve-password")
        s.add_user("sato", "佐藤", "lead", PASSWORDS["sato"], by="admin")
        with pytest.raises(UserError) as refused:
            s.add_user("eve", "eve", "lead", "eve-password", by="sato")
        assert "admin" in refused.value.en and "管理者" in refused.value.ja
        with pytest.raises(UserError, match="already exists"):
            s.add_user("sato", "別人", "auditor", "another-pass", by="admin")
        with pytest.raises(UserError, match="at least 8"):
            s.add_user("kato", "加藤", "auditor", "short", by="admin")
        with pytest.raises(UserError, match="role must be one of"):
            s.add_user("kato", "加藤", "boss", "kato-password", by="admin")
        assert [u.name for u in s.list_users()] == ["admin", "sato"]
        actions = [r[0] for r in _raw(s.path).execute("SELECT action FROM log ORDER BY seq")]
        assert actions == ["user_add", "user_add"]


def test_set_password(store: ReviewStore) -> None:
    store.set_password("tanaka", "new-auditor-pass", by="tanaka")
    store.authenticate("tanaka", "new-auditor-pass")
    with pytest.raises(UserError):
        store.authenticate("tanaka", PASSWORDS["tanaka"])
    with pytest.raises(UserError, match="admin"):
        store.set_password("sato", "taken-over-pass", by="tanaka")
    store.set_password("sato", "reset-by-admin", by="admin")
    store.authenticate("sato", "reset-by-admin")
    conn = _raw(store.path)
    assert conn.execute("SELECT COUNT(*) FROM passwords WHERE user = 'tanaka'").fetchone()[0] == 2
    conn.close()
    assert store.verify().ok


def test_roles_decide_who_may_do_what(store: ReviewStore, draft: int) -> None:
    with pytest.raises(UserError) as refused:
        store.approve(draft, "tanaka")
    assert "lead" in refused.value.en and "主任担当者" in refused.value.ja
    with pytest.raises(UserError, match="lead"):
        store.reject(draft, "tanaka", "根拠が不足")
    with pytest.raises(UserError, match="auditor or lead"):
        store.edit(draft, {**FINDING, "title": "管理者の修正"}, "admin")
    with pytest.raises(UserError, match="auditor or lead"):
        _run(store, user="admin")
    with pytest.raises(UserError, match="no user"):
        store.approve(draft, "nobody")
    assert store.get_draft(draft).status == "draft"


# --- drafts, versions and statuses ---------------------------------------------------------------


def test_run_is_recorded_with_its_provenance(store: ReviewStore) -> None:
    run = store.get_run(_run(store))
    assert run.task == "findings"
    assert run.inputs == {"documents": {"policy": "ab12"}, "contract": "C-2026-001"}
    assert run.evidence_ids == ["policy#35-2-1"]
    assert (run.drafter, run.prompt_version, run.prompt_hash, run.user) == (
        "evidence",
        "v1",
        "p1",
        "tanaka",
    )


def test_edit_keeps_the_original_and_diffs(store: ReviewStore, draft: int) -> None:
    edited = {**FINDING, "risk": "紛失・漏えいの発生に気付けず、被害が拡大するおそれがある。"}
    assert store.edit(draft, edited, "tanaka", "リスクを具体化") == 2
    d = store.get_draft(draft)
    assert [v.version for v in d.versions] == [1, 2]
    assert d.original.payload["risk"] == FINDING["risk"]
    assert d.latest.payload["risk"] == edited["risk"]
    assert d.latest.comment == "リスクを具体化"
    assert d.latest.author_display == "田中 一郎"
    diff = store.diff(draft, 1, 2)
    assert f'-  "risk": "{FINDING["risk"]}",' in diff
    assert f'+  "risk": "{edited["risk"]}",' in diff
    assert "title" not in diff.replace('"title": "持出し簿の未整備"', "")  # context only
    assert store.diff(draft, 1, 1) == ""
    with pytest.raises(UserError, match="no version 3"):
        store.diff(draft, 1, 3)
    with pytest.raises(UserError, match="unchanged"):
        store.edit(draft, edited, "tanaka")


def test_payloads_are_validated_against_the_kind_model(store: ReviewStore, draft: int) -> None:
    with pytest.raises(UserError) as bad:
        store.edit(draft, {**FINDING, "rating": "重大"}, "tanaka")
    assert "Finding" in bad.value.en and "rating" in bad.value.en
    with pytest.raises(UserError, match="Finding"):
        store.edit(draft, {**FINDING, "unexpected": 1}, "tanaka")
    model = Finding.model_validate({**FINDING, "division": "情報政策課"})
    other = store.add_draft(store.get_draft(draft).run_id, "finding", "情報政策課/1", model, "sato")
    assert store.get_draft(other).payload["division"] == "情報政策課"
    free = store.add_draft(store.get_draft(draft).run_id, "ledger_check", "C/1", {"a": 1}, "sato")
    assert store.get_draft(free).payload == {"a": 1}
    with pytest.raises(UserError, match="lower-case"):
        store.add_draft(1, "Finding!", "x", FINDING, "tanaka")
    with pytest.raises(UserError, match="no run 99"):
        store.add_draft(99, "finding", "x", FINDING, "tanaka")


def test_an_edit_keeps_the_provenance(store: ReviewStore) -> None:
    provenance = {
        "drafter": "evidence",
        "model": "evidence",
        "prompt": "findings",
        "prompt_version": "v1",
        "prompt_hash": "p1",
        "evidence_ids": ["policy#35-2-1"],
        "settings_digest": "s1",
        "created_at": "2026-10-01T10:00:00+09:00",
    }
    draft = store.add_draft(
        _run(store), "finding", "福祉政策課/1", {**FINDING, "provenance": provenance}, "tanaka"
    )
    store.edit(draft, {**FINDING, "title": "表題の修正"}, "tanaka")  # left out: carried over
    assert store.get_draft(draft).payload["provenance"] == {**provenance, "attempts": 1}
    forged = {**FINDING, "provenance": {**provenance, "model": "someone-else"}}
    with pytest.raises(UserError, match="provenance"):
        store.edit(draft, forged, "tanaka")


def test_approve_without_edits(store: ReviewStore, draft: int) -> None:
    assert store.approve(draft, "sato", "妥当") == "approve"
    d = store.get_draft(draft)
    assert d.status == "approved"
    assert d.signoff is not None
    assert (d.signoff.actor_display, d.signoff.version, d.signoff.comment) == (
        "佐藤 花子",
        1,
        "妥当",
    )
    assert d.signoff.at
    with pytest.raises(UserError, match="reopen"):
        store.approve(draft, "sato")
    with pytest.raises(UserError, match="reopen"):
        store.edit(draft, {**FINDING, "title": "後からの修正"}, "tanaka")


def test_approve_with_edits_reject_and_reopen(store: ReviewStore, draft: int) -> None:
    store.edit(draft, {**FINDING, "title": "持出し許可記録の欠落"}, "tanaka", "表題を明確に")
    assert store.approve(draft, "sato") == "approve_with_edits"
    d = store.get_draft(draft)
    assert d.status == "approved_with_edits" and d.signoff and d.signoff.version == 2

    with pytest.raises(UserError, match="reason"):
        store.reopen(draft, "tanaka", "  ")
    assert store.reopen(draft, "sato", "課から追加資料") == 3  # a lead's (the auditor: below)
    d = store.get_draft(draft)
    assert d.status == "draft" and d.signoff is None
    assert d.latest.payload == d.versions[1].payload and d.latest.comment == "課から追加資料"
    with pytest.raises(UserError, match="nothing to reopen"):
        store.reopen(draft, "sato", "もう一度")

    with pytest.raises(UserError, match="reason"):
        store.reject(draft, "sato", "")
    store.reject(draft, "sato", "根拠となる記録が不足")
    d = store.get_draft(draft)
    assert d.status == "rejected" and d.signoff and d.signoff.comment == "根拠となる記録が不足"
    assert [r.action for r in store.history(draft)] == [
        "create",
        "edit",
        "approve_with_edits",
        "reopen",
        "reject",
    ]
    # a reopened draft that goes back to the drafter's text is approved without edits
    store.reopen(draft, "sato", "再検討")
    store.edit(draft, FINDING, "tanaka", "元に戻す")
    assert store.approve(draft, "sato") == "approve"
    assert store.verify().ok


def test_list_drafts_filters(store: ReviewStore, draft: int) -> None:
    run = store.get_draft(draft).run_id
    judgement = {
        "item": "1-1-1",
        "contract": "C-2026-001",
        "verdict": "反映あり",
        "answer": "はい",
        "rationale": "仕様書に ISO/IEC 27001 の認証取得が求められている。",
    }
    j1 = store.add_draft(run, "checklist_judgement", "C-2026-001/1-1-1", judgement, "tanaka")
    j2 = store.add_draft(
        run,
        "checklist_judgement",
        "C-2026-002/1-1-1",
        {**judgement, "contract": "C-2026-002"},
        "tanaka",
    )
    store.approve(j1, "sato")
    assert [d.id for d in store.list_drafts()] == [draft, j1, j2]
    assert [d.id for d in store.list_drafts(status="approved")] == [j1]
    assert [d.id for d in store.list_drafts(status=["draft", "approved"])] == [draft, j1, j2]
    assert [d.id for d in store.list_drafts(kind="checklist_judgement")] == [j1, j2]
    assert [d.id for d in store.list_drafts(key_prefix="C-2026-002/")] == [j2]
    assert [d.id for d in store.list_drafts(status="draft", kind="finding")] == [draft]
    with pytest.raises(UserError, match="unknown status"):
        store.list_drafts(status="final")
    with pytest.raises(UserError, match="no draft 999"):
        store.get_draft(999)


# --- append-only and tamper evidence ------------------------------------------------------------


@pytest.mark.parametrize("table", PROTECTED_TABLES)
def test_protected_tables_refuse_update_and_delete(store: ReviewStore, draft: int, table: str):
    store.login("sato", PASSWORDS["sato"], "127.0.0.1")  # a row in logins too
    conn = _raw(store.path)
    column = conn.execute(f"SELECT * FROM {table}").description[0][0]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(f"UPDATE {table} SET {column} = {column}")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(f"DELETE FROM {table}")
    conn.close()
    assert store.verify().ok


def _copy_without_triggers(store: ReviewStore, dest: Path) -> sqlite3.Connection:
    """A copy of the store with its triggers dropped, as someone with the file could do."""
    src, dst = _raw(store.path), _raw(dest)
    src.backup(dst)
    src.close()
    for (name,) in dst.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        dst.execute(f"DROP TRIGGER {name}")
    return dst


def _verify(path: Path):  # type: ignore[no-untyped-def]
    with ReviewStore(path) as s:
        return s.verify()


def _seq(store: ReviewStore, action: str, draft_id: int) -> int:
    return next(r.seq for r in store.history(draft_id) if r.action == action)


@pytest.fixture
def reviewed(store: ReviewStore, draft: int) -> int:
    """The draft edited and approved, plus a second approved draft after it in the log."""
    store.edit(draft, {**FINDING, "title": "持出し許可記録の欠落"}, "tanaka", "表題")
    store.approve(draft, "sato")
    other = store.add_draft(
        store.get_draft(draft).run_id, "finding", "福祉政策課/2", FINDING, "tanaka"
    )
    store.approve(other, "sato")
    result = store.verify()
    assert result.ok and result.records == 3 + 1 + 3 + 2
    return draft


def test_verify_names_a_rewritten_draft_payload(
    store: ReviewStore, reviewed: int, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.sqlite"
    conn = _copy_without_triggers(store, copy)
    payload = json.dumps({**FINDING, "rating": "意見"}, ensure_ascii=False)
    conn.execute(
        "UPDATE versions SET payload = ? WHERE draft_id = ? AND version = 1", (payload, reviewed)
    )
    conn.close()
    result = _verify(copy)
    assert not result.ok
    assert result.bad_seq == _seq(store, "create", reviewed)
    assert f"draft {reviewed} version 1" in result.reason_en and "changed" in result.reason_en
    assert f"下書き {reviewed} の第1版" in result.reason_ja
    assert store.verify().ok  # the original is untouched


def test_verify_names_a_rewritten_log_record(
    store: ReviewStore, reviewed: int, tmp_path: Path
) -> None:
    approval = _seq(store, "approve_with_edits", reviewed)
    copy = tmp_path / "copy.sqlite"
    conn = _copy_without_triggers(store, copy)
    conn.execute("UPDATE log SET actor = 'tanaka' WHERE seq = ?", (approval,))
    conn.close()
    result = _verify(copy)
    assert (result.ok, result.bad_seq) == (False, approval)
    assert "fields were changed" in result.reason_en
    assert result.records == approval - 1


def test_verify_catches_a_record_rewritten_with_fresh_hashes(
    store: ReviewStore, reviewed: int, tmp_path: Path
) -> None:
    """Recomputing the record's own hashes moves the break to the next record."""
    import hashlib

    approval = _seq(store, "approve_with_edits", reviewed)
    copy = tmp_path / "copy.sqlite"
    conn = _copy_without_triggers(store, copy)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM log WHERE seq = ?", (approval,)).fetchone())
    row["comment"] = "後から書き足した承認理由"
    fields = {k: row[k] for k in ("seq", "at", "actor", "action", "run_id", "draft_id")}
    fields |= {k: row[k] for k in ("version", "subject", "comment", "ref_hash")}
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    content = hashlib.sha256(canonical.encode()).hexdigest()
    new_hash = hashlib.sha256((row["prev_hash"] + content).encode()).hexdigest()
    conn.execute(
        "UPDATE log SET comment = ?, content_hash = ?, hash = ? WHERE seq = ?",
        (row["comment"], content, new_hash, approval),
    )
    conn.close()
    result = _verify(copy)
    assert (result.ok, result.bad_seq) == (False, approval + 1)
    assert "does not follow" in result.reason_en


def test_verify_catches_a_removed_record_and_a_changed_password(
    store: ReviewStore, reviewed: int, tmp_path: Path
) -> None:
    copy = tmp_path / "removed.sqlite"
    conn = _copy_without_triggers(store, copy)
    conn.execute("DELETE FROM log WHERE seq = 5")
    conn.close()
    assert _verify(copy).bad_seq == 6

    copy = tmp_path / "password.sqlite"
    conn = _copy_without_triggers(store, copy)
    conn.execute("UPDATE passwords SET hash = ? WHERE user = 'sato'", ("00" * 32,))
    conn.close()
    result = _verify(copy)
    assert result.bad_seq == 2 and "sato" in result.reason_en  # sato's user_add record


def test_verify_catches_a_version_inserted_behind_the_store(
    store: ReviewStore, reviewed: int, tmp_path: Path
) -> None:
    conn = _raw(store.path)  # inserting is not blocked by the triggers, but nothing vouches for it
    conn.execute(
        "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
        "VALUES (?, 3, '{}', 'tanaka', '2026-01-01', '')",
        (reviewed,),
    )
    conn.close()
    result = store.verify()
    assert not result.ok and result.bad_seq is None
    assert "versions" in result.reason_en and "no log record" in result.reason_en
    assert [v.version for v in store.get_draft(reviewed).versions] == [1, 2, 3]


def test_verify_catches_a_draft_inserted_behind_the_store(store: ReviewStore, draft: int) -> None:
    conn = _raw(store.path)
    conn.execute(
        "INSERT INTO drafts (run_id, kind, key, created_at, created_by) "
        "VALUES (1, 'finding', 'x/1', '2026-01-01', 'tanaka')"
    )
    conn.close()
    result = store.verify()
    assert not result.ok and "drafts" in result.reason_en
    assert [d.id for d in store.list_drafts()] == [draft]  # listing still works


# --- two processes writing at once ---------------------------------------------------------------

WORKER = """
import sys, time
from pathlib import Path
from copilot.review.store import ReviewStore

path, user, approver, first, count, ready, go = sys.argv[1:]
with ReviewStore(path) as store:
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.002)
    for draft_id in range(int(first), int(first) + int(count)):
        payload = store.get_draft(draft_id).payload
        store.edit(draft_id, {**payload, "risk": payload["risk"] + user}, user, "edit by " + user)
        store.approve(draft_id, approver, "ok")  # the other lead: nobody approves their own edit
"""


def test_two_processes_writing_at_once_lose_nothing(store: ReviewStore, tmp_path: Path) -> None:
    store.add_user("suzuki", "鈴木", "lead", "suzuki-pass-1", by="admin")
    run = _run(store)
    per_process = 25  # 25 drafts × (edit + approve) = 50 writes per process
    ids = [
        store.add_draft(run, "finding", f"福祉政策課/{n}", FINDING, "tanaka")
        for n in range(2 * per_process)
    ]
    before = store.verify().records
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs, ready = [], []
    go = tmp_path / "go"
    for user, approver, first in (("sato", "suzuki", ids[0]), ("suzuki", "sato", ids[per_process])):
        ready.append(tmp_path / f"ready-{user}")
        args = [str(store.path), user, approver, str(first), str(per_process), str(ready[-1])]
        args.append(str(go))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for p in procs:
        out, errors = p.communicate(timeout=120)
        assert p.returncode == 0, errors

    result = store.verify()
    assert result.ok, result
    assert result.records == before + 4 * per_process
    drafts = store.list_drafts(key_prefix="福祉政策課/")
    assert len(drafts) == 2 * per_process
    assert all(d.status == "approved_with_edits" and len(d.versions) == 2 for d in drafts)
    conn = _raw(store.path)
    actors = [
        r[0] for r in conn.execute("SELECT actor FROM log WHERE seq > ? ORDER BY seq", (before,))
    ]
    conn.close()
    switches = sum(a != b for a, b in zip(actors, actors[1:], strict=False))
    assert switches >= 1, "the two writers did not overlap"


# --- the CLI ------------------------------------------------------------------------------------


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("COPILOT_USER", user)
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS[user])


def _cli_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORDS["admin"] + "\n"))
    assert main(["users", "add", "admin", "--role", "admin", "--new-password-stdin"]) == 0
    _as(monkeypatch, "admin")
    for name, role, display in (("sato", "lead", "佐藤 花子"), ("tanaka", "auditor", "田中 一郎")):
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORDS[name] + "\n"))
        argv = ["users", "add", name, "--role", role, "--display-name", display]
        assert main([*argv, "--new-password-stdin"]) == 0


def test_cli_users_and_verify(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    _cli_users(monkeypatch)
    capsys.readouterr()
    assert main(["users", "list", "--json"]) == 0
    users = json.loads(capsys.readouterr().out)
    assert [(u["name"], u["role"]) for u in users] == [
        ("admin", "admin"),
        ("sato", "lead"),
        ("tanaka", "auditor"),
    ]
    assert main(["review", "verify"]) == 0
    assert "署名記録は改ざんされていません" in capsys.readouterr().out

    # an auditor may not add users; a wrong password is refused; both exit 2 with both messages
    _as(monkeypatch, "tanaka")
    monkeypatch.setattr(sys, "stdin", io.StringIO("someone-pass\n"))
    assert main(["users", "add", "eve", "--role", "lead", "--new-password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "管理者" in err and "admin" in err
    monkeypatch.setenv("COPILOT_PASSWORD", "wrong-password")
    assert main(["review", "approve", "1"]) == 2
    assert "wrong user name or password" in capsys.readouterr().err

    # a password from stdin, and a password change
    monkeypatch.delenv("COPILOT_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORDS['tanaka']}\nfresh-password\n"))
    argv = ["users", "passwd", "--user", "tanaka", "--password-stdin", "--new-password-stdin"]
    assert main(argv) == 0
    with open_store(load_settings()) as s:
        assert s.authenticate("tanaka", "fresh-password").name == "tanaka"
    monkeypatch.delenv("COPILOT_USER")
    assert main(["review", "approve", "1"]) == 2
    assert "COPILOT_USER" in capsys.readouterr().err


def test_cli_review_walk(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _cli_users(monkeypatch)
    with open_store(load_settings()) as s:
        draft = s.add_draft(_run(s), "finding", "福祉政策課/1", FINDING, "tanaka")
        rejected = s.add_draft(
            s.get_draft(draft).run_id, "finding", "福祉政策課/2", FINDING, "tanaka"
        )
    capsys.readouterr()
    assert main(["review", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["id"], d["status"]) for d in listed] == [(draft, "draft"), (rejected, "draft")]

    assert main(["review", "show", str(draft), "--payload"]) == 0
    payload = json.loads(capsys.readouterr().out)
    edited = tmp_path / "edited.json"
    edited.write_text(
        json.dumps({**payload, "rating": "意見"}, ensure_ascii=False), encoding="utf-8"
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**payload, "rating": "重大"}, ensure_ascii=False), encoding="utf-8")

    _as(monkeypatch, "tanaka")
    assert main(["review", "edit", str(draft), "--file", str(bad)]) == 2
    assert "Finding" in capsys.readouterr().err
    assert (
        main(["review", "edit", str(draft), "--file", str(edited), "--comment", "評価を見直し"])
        == 0
    )
    assert main(["review", "approve", str(draft)]) == 2
    assert "lead" in capsys.readouterr().err

    _as(monkeypatch, "sato")
    assert main(["review", "approve", str(draft), "--comment", "了承"]) == 0
    assert main(["review", "reject", str(rejected), "--comment", "根拠不足"]) == 0
    assert main(["review", "list", "--status", "rejected", "--json"]) == 0
    capsys.readouterr()
    assert main(["review", "show", str(draft), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "approved_with_edits"
    assert '-  "rating": "指摘"' in shown["diff"] and '+  "rating": "意見"' in shown["diff"]
    assert [r["action"] for r in shown["log"]] == ["create", "edit", "approve_with_edits"]
    assert shown["log"][-1]["actor_display"] == "佐藤 花子"

    assert main(["review", "show", str(draft)]) == 0
    text = capsys.readouterr().out
    assert "修正のうえ承認" in text and "評価を見直し" in text and "差分" in text

    assert main(["review", "reopen", str(rejected), "--comment", "資料が届いた"]) == 0
    assert main(["review", "list", "--status", "draft"]) == 0
    assert f"{rejected}" in capsys.readouterr().out

    assert main(["review", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_cli_verify_fails_on_a_tampered_store(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    _cli_users(monkeypatch)
    with open_store(load_settings()) as s:
        draft = s.add_draft(_run(s), "finding", "福祉政策課/1", FINDING, "tanaka")
        create = _seq(s, "create", draft)
        path = s.path
    conn = _raw(path)
    conn.execute("DROP TRIGGER versions_no_update")
    conn.execute("UPDATE versions SET payload = '{}' WHERE draft_id = ?", (draft,))
    conn.close()
    capsys.readouterr()
    assert main(["review", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"記録 #{create}" in out and f"record #{create}" in out


def test_retry_outlasts_a_locked_store() -> None:
    """'database is locked' past the busy timeout is retried, then reported as a user error."""
    from copilot.review import db

    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")
        return "done"

    assert db._retry(flaky) == "done" and len(calls) == 3

    def always() -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(UserError, match="busy"):
        db._retry(always)
