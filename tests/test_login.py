"""Logins (throttled, locked, recorded), separation of duties, and owner-only files.

Real SQLite and real files; the throttle's clock is the store's injectable ``now``, so waits are
stepped over, never slept.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import sys
import time
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.review.signoff import SELF_APPROVAL
from copilot.review.store import ReviewStore, open_store
from copilot.review.users import LOCK_AFTER, THROTTLE_AFTER
from copilot.services import build_services
from copilot.settings import load_settings
from ingest.permissions import widened

PASSWORDS = {
    "admin": "admin-pass-1",
    "suzuki": "lead-pass-12",
    "yamada": "lead-pass-34",
    "sato": "auditor-pass-3",
}
ROLES = {"admin": "admin", "suzuki": "lead", "yamada": "lead", "sato": "auditor"}
FINDING = {
    "division": "福祉政策課",
    "title": "持出し簿の未整備",
    "finding": "機密性3の情報資産の持出しについて、許可記録が確認できなかった。",
    "rating": "指摘",
    "risk": "情報資産の紛失・漏えいに気付けないおそれがある。",
    "recommendation": "持出し簿を整備し、許可と返却を記録すること。",
}
WRONG = "wrong user name or password"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = time.time()  # near the real one: the CLI's own store reads the same rows

    def __call__(self) -> float:
        return self.t


def _users(store: ReviewStore) -> None:
    store.add_user("admin", "管理者", "admin", PASSWORDS["admin"])
    for name in ("suzuki", "yamada", "sato"):
        store.add_user(name, name, ROLES[name], PASSWORDS[name], by="admin")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(isolated_env: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with ReviewStore(isolated_env / "review.sqlite", now=clock) as s:
        _users(s)
        yield s


def _fail(store: ReviewStore, name: str, address: str) -> UserError:
    with pytest.raises(UserError) as caught:
        store.login(name, "not-the-password", address)
    return caught.value


def _draft(store: ReviewStore, user: str) -> int:
    run = store.record_run(
        "findings",
        {"contract": "C-2026-001"},
        settings_digest="s1",
        drafter="evidence",
        model="evidence",
        prompt="findings",
        prompt_version="v1",
        prompt_hash="p1",
        evidence_ids=["policy#35-2-1"],
        user=user,
    )
    return store.add_draft(run, "finding", "福祉政策課/1", FINDING, user)


# --- finding 4: password guessing ----------------------------------------------------------------


def test_failures_for_a_name_make_each_next_attempt_wait_longer(store: ReviewStore, clock: Clock):
    for _ in range(THROTTLE_AFTER - 1):
        assert _fail(store, "suzuki", "10.0.0.1").en.startswith(WRONG)
        clock.t += 1
    assert "wait 2 seconds" in _fail(store, "suzuki", "10.0.0.2").en  # the 5th
    # within the wait even the right password is refused, unchecked, from any address
    with pytest.raises(UserError, match="wait 2 seconds") as refused:
        store.login("suzuki", PASSWORDS["suzuki"], "10.0.0.3")
    assert "秒待って" in refused.value.ja
    clock.t += 2
    assert "wait 4 seconds" in _fail(store, "suzuki", "10.0.0.4").en  # the 6th doubles it
    clock.t += 3.5
    with pytest.raises(UserError, match="wait 1 seconds"):
        store.login("suzuki", PASSWORDS["suzuki"], "10.0.0.4")
    clock.t += 0.5
    assert store.login("suzuki", PASSWORDS["suzuki"], "10.0.0.4").name == "suzuki"
    # a success resets the streak: the next failure is a plain one again
    assert _fail(store, "suzuki", "10.0.0.5").en == f"{WRONG}; check them and try again."
    assert store.login_states()["suzuki"].failures == 1


def test_failures_from_an_address_throttle_every_name_from_it(store: ReviewStore, clock: Clock):
    for name in ("suzuki", "yamada", "sato", "nobody", "admin"):
        _fail(store, name, "192.0.2.9")
    with pytest.raises(UserError, match="refused unchecked; wait 2 seconds"):
        store.login("yamada", PASSWORDS["yamada"], "192.0.2.9")
    # another address is not held up, and a name's own streak is short
    assert store.login("yamada", PASSWORDS["yamada"], "192.0.2.10").name == "yamada"
    clock.t += 2
    assert store.login("sato", PASSWORDS["sato"], "192.0.2.9").name == "sato"
    # an unknown address ("") is no key: it would throttle every such client together
    for _ in range(THROTTLE_AFTER + 1):
        _fail(store, "nobody", "")
        clock.t += 100
    assert store.login("suzuki", PASSWORDS["suzuki"], "").name == "suzuki"


def test_unknown_names_answer_like_wrong_passwords_and_lock_alike(
    store: ReviewStore, clock: Clock
) -> None:
    for n in range(LOCK_AFTER):
        known = _fail(store, "suzuki", f"10.1.0.{n}")
        unknown = _fail(store, "suzukii", f"10.2.0.{n}")
        assert (known.ja, known.en) == (
            unknown.ja.replace("suzukii", "suzuki"),
            unknown.en.replace("suzukii", "suzuki"),
        )
        clock.t += 60
    assert "copilot users unlock suzukii" in unknown.en
    assert "copilot users unlock suzuki" in known.ja
    # the typed name of no user is not kept in clear (it may be a password typed in the wrong box)
    conn = sqlite3.connect(store.path)
    names = {r[0] for r in conn.execute("SELECT name FROM logins")}
    conn.close()
    assert "suzukii" not in names and "suzuki" in names


def test_lockout_records_and_cli_unlock(
    store: ReviewStore, clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(LOCK_AFTER - 1):
        _fail(store, "suzuki", "10.0.0.1")
        clock.t += 60
    locked = _fail(store, "suzuki", "10.0.0.1")
    assert "ask an admin to run `copilot users unlock suzuki`" in locked.en
    assert "管理者に `copilot users unlock suzuki` を実行" in locked.ja
    clock.t += 3600  # a lock does not wear off
    with pytest.raises(UserError, match="locked"):
        store.login("suzuki", PASSWORDS["suzuki"], "10.0.0.7")
    assert store.login_states()["suzuki"].locked

    # unlock: refused to a lead, done by an admin, recorded; then the right password works
    monkeypatch.setenv("COPILOT_USER", "yamada")
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS["yamada"])
    assert main(["users", "unlock", "suzuki"]) == 2
    assert "admin" in capsys.readouterr().err
    monkeypatch.setenv("COPILOT_USER", "admin")
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS["admin"])
    assert main(["users", "unlock", "suzuki"]) == 0
    assert main(["users", "unlock", "suzuki"]) == 2  # nothing left to lift
    assert "not locked" in capsys.readouterr().err
    assert store.login("suzuki", PASSWORDS["suzuki"], "10.0.0.8").name == "suzuki"

    conn = sqlite3.connect(store.path)
    rows = conn.execute(
        "SELECT actor, action, subject, comment FROM log WHERE action IN "
        "('login', 'login_failed', 'lockout', 'unlock') ORDER BY seq"
    ).fetchall()
    conn.close()
    actions = [r[1] for r in rows]
    assert actions.count("login_failed") == LOCK_AFTER and actions.count("lockout") == 1
    assert actions.index("lockout") == LOCK_AFTER  # right after the 10th failure
    assert ("admin", "unlock", "suzuki", "cli") in rows
    assert rows[-1] == ("suzuki", "login", "suzuki", "10.0.0.8")
    assert [r for r in rows if r[1] == "login"][0] == ("yamada", "login", "yamada", "cli")
    assert store.verify().ok
    assert main(["review", "verify"]) == 0


def test_login_records_are_tamper_evident(store: ReviewStore, tmp_path: Path) -> None:
    store.login("suzuki", PASSWORDS["suzuki"], "10.0.0.1")
    _fail(store, "suzuki", "10.0.0.1")
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("DROP TRIGGER logins_no_update")  # as someone with the file could
    conn.execute("UPDATE logins SET address = '10.9.9.9' WHERE outcome = 'ok'")
    conn.close()
    result = store.verify()
    assert not result.ok and "login row" in result.reason_en


def test_the_cli_login_is_throttled_and_users_list_shows_last_login(
    store: ReviewStore, clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_USER", "sato")
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS["sato"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["review", "approve", "1"]) == 2  # logs in (then lacks the role)
    assert main(["users", "list"]) == 0
    listing = capsys.readouterr().out
    sato = next(line for line in listing.splitlines() if line.startswith("sato"))
    assert "最終ログイン 20" in sato and "ロック" not in sato
    assert "ログインなし" in next(ln for ln in listing.splitlines() if ln.startswith("yamada"))

    # the CLI is one address ("cli"): guesses there wait (real clock: the store of open_store)
    monkeypatch.setenv("COPILOT_PASSWORD", "wrong-password")
    for _ in range(THROTTLE_AFTER):
        assert main(["review", "approve", "1"]) == 2
    monkeypatch.setenv("COPILOT_USER", "yamada")
    monkeypatch.setenv("COPILOT_PASSWORD", PASSWORDS["yamada"])
    assert main(["review", "approve", "1"]) == 2
    assert "秒待って" in capsys.readouterr().err

    for _ in range(LOCK_AFTER):
        _fail(store, "suzuki", "10.0.0.1")
        clock.t += 60
    assert main(["users", "list", "--json"]) == 0
    listed = {u["name"]: u for u in json.loads(capsys.readouterr().out)}
    assert listed["suzuki"]["locked"] is True and listed["suzuki"]["failures"] == LOCK_AFTER
    assert listed["sato"]["last_login"] and listed["sato"]["last_address"] == "cli"
    assert main(["users", "list"]) == 0
    assert "ロック中" in capsys.readouterr().out


def test_the_ui_password_check_goes_through_the_throttled_login(store: ReviewStore) -> None:
    from ui.actions import Deps, check_password

    deps = Deps(load_settings(), store)
    assert check_password(deps, "suzuki", PASSWORDS["suzuki"], "127.0.0.1")
    for _ in range(THROTTLE_AFTER):
        assert not check_password(deps, "suzuki", "not-the-password", "127.0.0.1")
    assert not check_password(deps, "suzuki", PASSWORDS["suzuki"], "127.0.0.1")  # must wait
    assert store.login_states()["suzuki"].last_address == "127.0.0.1"


# --- finding 7: separation of duties -------------------------------------------------------------


def test_a_lead_may_not_approve_their_own_draft_or_edit(store: ReviewStore) -> None:
    own = _draft(store, "suzuki")
    with pytest.raises(UserError, match="separation of duties") as refused:
        store.approve(own, "suzuki")
    assert "職務の分離" in refused.value.ja and "COPILOT_SEPARATE_DUTIES" in refused.value.en
    assert store.approve(own, "yamada") == "approve"

    edited = _draft(store, "sato")
    store.edit(edited, {**FINDING, "rating": "意見"}, "yamada", "評価を見直し")
    with pytest.raises(UserError, match="separation of duties"):
        store.approve(edited, "yamada")  # the last editor of the version approved
    store.reject(edited, "yamada", "根拠が不足")  # a no is not a sign-off of one's own work
    store.reopen(edited, "yamada", "資料が届いた")  # a lead's
    assert store.approve(edited, "suzuki") == "approve_with_edits"
    assert store.get_draft(edited).signoff.subject is None  # type: ignore[union-attr]
    assert store.verify().ok


def test_a_one_person_team_may_self_approve_and_the_log_says_so(
    store: ReviewStore, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    own = _draft(store, "suzuki")
    monkeypatch.setenv("COPILOT_SEPARATE_DUTIES", "false")
    assert load_settings().separate_duties is False
    with open_store(load_settings()) as s:
        assert s.approve(own, "suzuki", "一人で運用") == "approve"
        assert s.get_draft(own).signoff.subject == SELF_APPROVAL  # type: ignore[union-attr]
        assert s.verify().ok
    assert main(["review", "show", str(own)]) == 0
    assert "本人による承認" in capsys.readouterr().out
    assert main(["review", "show", str(own), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["log"][-1]["subject"] == SELF_APPROVAL


# --- finding 5: owner-only files -----------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_creates_its_folder_and_file_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: the store must not depend on the caller's
    try:
        with ReviewStore(tmp_path / "new" / "data" / "review.sqlite") as s:
            _users(s)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new") == 0o700 and _mode(tmp_path / "new" / "data") == 0o700
    assert not widened(tmp_path / "new")


def test_ingest_writes_the_index_owner_only(tmp_path: Path, isolated_env: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    docs = tmp_path / "docs" / "policy"
    docs.mkdir(parents=True)
    (docs / "基準.txt").write_text(
        "第1　目的\n１　この基準は、架空市の情報資産を守るために必要な事項を定める。\n",
        encoding="utf-8",
    )
    old = os.umask(0o022)
    try:
        assert main(["ingest", str(tmp_path / "docs")]) == 0  # the CLI's own umask
        assert os.umask(0o022) == 0o022  # and it gives the caller's back
        assert _mode(isolated_env) == 0o700 and _mode(isolated_env / "index") == 0o700
        assert (isolated_env / "index" / "chroma").is_dir()
        assert not widened(isolated_env)
        # through the services alone (no CLI umask) the folders and files are private all the same
        other = tmp_path / "other"
        services = build_services(load_settings(data_dir=other))
        try:
            services.ingest([tmp_path / "docs"])
        finally:
            services.close()
    finally:
        os.umask(old)
    assert _mode(other) == 0o700 and (other / "index" / "manifest.sqlite").is_file()
    assert not widened(other)


def test_status_warns_when_the_data_folder_is_open_to_others(isolated_env: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with open_store(load_settings()) as s:
        _users(s)
    assert main(["status"]) == 0
    assert "chmod" not in capsys.readouterr().err
    os.chmod(isolated_env, 0o755)
    os.chmod(isolated_env / "review.sqlite", 0o644)
    assert main(["status"]) == 0
    warning = capsys.readouterr().err
    assert f"chmod -R go-rwx {isolated_env}" in warning
    assert "警告" in warning and "Warning: other users can read 2 item(s)" in warning
