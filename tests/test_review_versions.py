"""Saving and signing off the version that was read; reopening is the lead's; draft numbers.

A lead approves, rejects or reopens, and anyone saves, only the version they opened: when
someone saved another version since, the store refuses inside the same write transaction and
says who saved what and which fields changed (issue 28, findings 4, 7 and 12). A draft number
that no draft can have (out of SQLite's range, negative, not a number) gets the usual "no such
draft" message in the store, the CLI and the UI.

The store and the CLI are tested directly; the UI through a real ``copilot serve`` with Gradio's
Python client logged in as each user (as ``tests/test_security_api.py`` does), over an empty
data folder whose drafts the test writes into the review store.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.review.store import ReviewStore, open_store
from copilot.settings import Settings, load_settings
from tests.served import Logins, serving
from tests.test_security_api import LEAD_ONLY, endpoint, password

USERS = {  # name: (role, display name)
    "admin": ("admin", "管理者"),
    "sato": ("auditor", "佐藤 花子"),
    "yamada": ("auditor", "山田 太郎"),
    "suzuki": ("lead", "鈴木 一郎"),
    "tanaka": ("lead", "田中 次郎"),
}
FINDING = {
    "division": "福祉政策課",
    "title": "持出し簿の未整備",
    "finding": "機密性3の情報資産の持出しについて、許可記録が確認できなかった。",
    "rating": "指摘",
    "risk": "情報資産の紛失・漏えいに気付けないおそれがある。",
    "recommendation": "持出し簿を整備し、許可と返却を記録すること。",
}
BAD_IDS = (2**63, -1, "abc")


def _users(store: ReviewStore) -> None:
    for name, (role, display) in USERS.items():
        store.add_user(name, display, role, password(name), by=None if name == "admin" else "admin")


def _draft(store: ReviewStore, by: str = "sato", key: str = "福祉政策課/1") -> int:
    run = store.record_run(
        "findings",
        {"division": "福祉政策課"},
        settings_digest="s1",
        drafter="evidence",
        model="evidence",
        prompt="findings",
        prompt_version="v1",
        prompt_hash="p1",
        evidence_ids=[],
        user=by,
    )
    return store.add_draft(run, "finding", key, FINDING, by)


def _snapshot(store: ReviewStore, draft_id: int) -> tuple[object, ...]:
    d = store.get_draft(draft_id)
    return d.status, [(v.version, v.payload) for v in d.versions], [r.seq for r in d.log]


@pytest.fixture
def store(isolated_env: Path) -> Iterator[ReviewStore]:
    with open_store(load_settings()) as s:
        _users(s)
        yield s


# --- the store --------------------------------------------------------------------------------


def test_a_sign_off_of_an_older_version_is_refused_and_says_what_changed(store: ReviewStore):
    draft = _draft(store)
    assert store.edit(
        draft, {**FINDING, "risk": "漏えいの発見が遅れる。"}, "yamada", seen_version=1
    )
    before = _snapshot(store, draft)
    for sign in (
        lambda: store.approve(draft, "suzuki", "確認した", seen_version=1),
        lambda: store.reject(draft, "suzuki", "根拠が不足", seen_version=1),
    ):
        with pytest.raises(UserError) as refused:
            sign()
        ja, en = refused.value.ja, refused.value.en
        assert f"下書き {draft} は、表示した版 1 のあとに 山田 太郎 が版 2 を保存しました" in ja
        assert "変更点: risk: 「情報資産の紛失・漏えいに気付けないおそれがある。」→" in ja
        assert "「漏えいの発見が遅れる。」" in ja and "もう一度開いて確認してください" in ja
        assert "after version 1" in en and "山田 太郎 saved version 2" in en and "risk" in en
        assert _snapshot(store, draft) == before  # nothing written
    with pytest.raises(UserError, match="has no version 3"):
        store.approve(draft, "suzuki", seen_version=3)
    assert store.approve(draft, "suzuki", "確認した", seen_version=2) == "approve_with_edits"
    assert store.get_draft(draft).signoff.version == 2  # type: ignore[union-attr]
    assert store.verify().ok


def test_a_save_on_an_older_version_is_refused_not_silently_merged(store: ReviewStore):
    draft = _draft(store)
    assert store.edit(draft, {**FINDING, "title": "佐藤の表題"}, "sato", seen_version=1) == 2
    before = _snapshot(store, draft)
    with pytest.raises(UserError) as refused:
        store.edit(draft, {**FINDING, "risk": "山田のリスク"}, "yamada", seen_version=1)
    assert "表示した版 1 のあとに 佐藤 花子 が版 2 を保存しました" in refused.value.ja
    assert "title: 「持出し簿の未整備」→「佐藤の表題」" in refused.value.ja
    assert _snapshot(store, draft) == before
    merged = {**FINDING, "title": "佐藤の表題", "risk": "山田のリスク"}
    assert store.edit(draft, merged, "yamada", seen_version=2) == 3
    assert store.get_draft(draft).payload["title"] == "佐藤の表題"


def test_only_a_lead_reopens_and_only_the_signed_version_they_saw(store: ReviewStore):
    draft = _draft(store)
    store.approve(draft, "suzuki", seen_version=1)
    before = _snapshot(store, draft)
    for auditor in ("sato", "yamada"):
        with pytest.raises(UserError) as refused:
            store.reopen(draft, auditor, "追加資料が届いた")
        assert all(words in str(refused.value) for words in LEAD_ONLY)
    with pytest.raises(UserError, match="no version 2"):
        store.reopen(draft, "tanaka", "追加資料が届いた", seen_version=2)
    assert _snapshot(store, draft) == before
    assert store.reopen(draft, "tanaka", "追加資料が届いた", seen_version=1) == 2
    with pytest.raises(UserError) as refused:  # the copy was reopened: version 2 came after 1
        store.edit(draft, {**FINDING, "title": "表題"}, "sato", seen_version=1)
    assert "田中 次郎 が版 2" in refused.value.ja and "内容の変更はありません" in refused.value.ja


@pytest.mark.parametrize("bad", [*BAD_IDS, 2**64, 0, 1.5, float("nan"), "1 OR 1=1", None])
def test_a_number_no_draft_can_have_is_an_unknown_draft(store: ReviewStore, bad: object):
    _draft(store)
    for call in (
        lambda: store.get_draft(bad),  # type: ignore[arg-type]
        lambda: store.approve(bad, "suzuki"),  # type: ignore[arg-type]
        lambda: store.edit(bad, FINDING, "sato"),  # type: ignore[arg-type]
        lambda: store.reopen(bad, "suzuki", "理由"),  # type: ignore[arg-type]
    ):
        with pytest.raises(UserError) as refused:
            call()
        assert f"下書き {str(bad)[:40]} はありません" in refused.value.ja
        assert "copilot review list" in refused.value.en


# --- the CLI ----------------------------------------------------------------------------------


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("COPILOT_USER", user)
    monkeypatch.setenv("COPILOT_PASSWORD", password(user))


def test_cli_approve_and_edit_take_the_version_read(
    store: ReviewStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path,
):  # type: ignore[no-untyped-def]
    draft = _draft(store)
    edited = tmp_path / "edit.json"
    edited.write_text(json.dumps({**FINDING, "title": "山田の表題"}, ensure_ascii=False))
    _as(monkeypatch, "yamada")
    assert main(["review", "edit", str(draft), "--file", str(edited), "--version", "1"]) == 0
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**FINDING, "risk": "佐藤のリスク"}, ensure_ascii=False))
    capsys.readouterr()
    _as(monkeypatch, "sato")  # sato read version 1 too: the lost update is refused
    assert main(["review", "edit", str(draft), "--file", str(other), "--version", "1"]) == 2
    err = capsys.readouterr().err
    assert "表示した版 1 のあとに 山田 太郎 が版 2 を保存しました" in err and "山田の表題" in err

    before = _snapshot(store, draft)
    _as(monkeypatch, "suzuki")
    assert main(["review", "show", str(draft)]) == 0
    assert "最新は第2版です" in capsys.readouterr().out  # and how to sign what was read
    assert main(["review", "approve", str(draft), "--version", "1"]) == 2
    err = capsys.readouterr().err
    assert "表示した版 1 のあとに" in err and "title: 「持出し簿の未整備」→「山田の表題」" in err
    assert "Error: draft" in err and "Open it again" in err
    assert main(["review", "reject", str(draft), "--version", "1", "--comment", "不足"]) == 2
    assert _snapshot(store, draft) == before
    assert main(["review", "approve", str(draft), "--version", "2"]) == 0
    assert f"下書き {draft} の第2版を修正のうえ承認しました" in capsys.readouterr().out
    assert store.get_draft(draft).status == "approved_with_edits"

    other_draft = _draft(store, key="福祉政策課/2")  # without --version: says what it signed
    assert main(["review", "approve", str(other_draft)]) == 0
    assert f"下書き {other_draft} の第1版を承認しました" in capsys.readouterr().out


def test_cli_reopen_is_the_leads(
    store: ReviewStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    draft = _draft(store)
    store.approve(draft, "suzuki")
    _as(monkeypatch, "sato")
    assert main(["review", "reopen", str(draft), "--comment", "追加資料"]) == 2
    err = capsys.readouterr().err
    assert all(words in err for words in LEAD_ONLY) and "sato" in err
    assert store.get_draft(draft).status == "approved"
    _as(monkeypatch, "tanaka")
    assert main(["review", "reopen", str(draft), "--comment", "追加資料", "--version", "1"]) == 0
    assert "第2版" in capsys.readouterr().out
    assert store.get_draft(draft).status == "draft"


@pytest.mark.parametrize("bad", [str(b) for b in BAD_IDS])
def test_cli_names_a_draft_number_no_draft_can_have(
    store: ReviewStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: str,
    tmp_path: Path,
):
    _draft(store)
    edited = tmp_path / "edit.json"
    edited.write_text(json.dumps(FINDING, ensure_ascii=False))
    _as(monkeypatch, "suzuki")
    for argv in (
        ["review", "show", bad],
        ["review", "approve", bad],
        ["review", "reject", bad, "--comment", "理由"],
        ["review", "reopen", bad, "--comment", "理由"],
        ["review", "edit", bad, "--file", str(edited)],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"エラー: 下書き {bad} はありません" in err, (argv, err)
        assert "Traceback" not in err


# --- the UI, through Gradio's client ------------------------------------------------------------


@dataclass
class Served:
    """The running app: its URL and the settings over its data folder."""

    url: str
    settings: Settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`copilot serve` over a data folder whose review store has the users; its settings."""
    root = tmp_path_factory.mktemp("review-versions")
    settings = load_settings(data_dir=root / "data")
    with open_store(settings) as store:
        _users(store)
    try:
        with serving(settings.data_dir, root / "serve.log") as (_, url):
            yield Served(url, settings)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def login(served: Served) -> Iterator[Callable[[str], Client]]:
    """A gradio_client Client logged in as a user (one session each)."""
    logins = Logins(served.url, password)
    yield logins
    logins.close()


def _ui_draft(served: Served, key: str) -> int:
    with open_store(served.settings) as store:
        return _draft(store, "sato", key)


def _open(client: Client, draft_id: object) -> tuple[object, ...]:
    return client.predict(draft_id, api_name=endpoint(client, trigger="finding-open"))  # type: ignore[no-any-return]


def _save(client: Client, draft_id: int, **changes: str) -> str:
    parts = {**FINDING, **changes}
    return client.predict(  # type: ignore[no-any-return]
        draft_id,
        parts["title"],
        parts["finding"],
        parts["rating"],
        parts["risk"],
        parts["recommendation"],
        "修正",
        api_name=endpoint(client, trigger="finding-save"),
    )


@pytest.mark.slow
def test_ui_the_lead_approves_only_the_version_they_opened(served: Served, login):  # type: ignore[no-untyped-def]
    draft = _ui_draft(served, "福祉政策課/ui-4")
    suzuki, sato = login("suzuki"), login("sato")
    assert f"下書き {draft}・版 1" in str(_open(suzuki, draft)[0])  # the lead reads version 1
    _open(sato, draft)
    saved = _save(sato, draft, recommendation="許可と返却を毎月点検すること。")
    assert f"下書き {draft} を版 2 として保存しました" in saved

    approve = endpoint(suzuki, trigger="finding-approve")
    with pytest.raises(AppError) as refused:
        suzuki.predict(draft, "確認した", api_name=approve)
    message = str(refused.value)
    assert f"下書き {draft} は、表示した版 1 のあとに 佐藤 花子 が版 2 を保存しました" in message
    assert "recommendation" in message and "許可と返却を毎月点検すること。" in message
    assert "もう一度開いて確認してください" in message and "after version 1" in message
    with open_store(served.settings) as store:
        d = store.get_draft(draft)
        assert d.status == "draft" and [r.action for r in d.log] == ["create", "edit"]

    assert f"下書き {draft}・版 2" in str(_open(suzuki, draft)[0])  # read again: version 2
    assert (
        suzuki.predict(draft, "確認した", api_name=approve)
        == f"下書き {draft} を修正承認しました。"
    )
    with open_store(served.settings) as store:
        d = store.get_draft(draft)
        assert d.status == "approved_with_edits" and d.signoff.version == 2  # type: ignore[union-attr]


@pytest.mark.slow
def test_ui_two_auditors_saving_the_same_draft_lose_nothing(served: Served, login):  # type: ignore[no-untyped-def]
    draft = _ui_draft(served, "福祉政策課/ui-7")
    sato, yamada = login("sato"), login("yamada")
    _open(sato, draft)
    _open(yamada, draft)
    assert "版 2" in _save(sato, draft, title="佐藤が直した表題")
    with pytest.raises(AppError) as refused:
        _save(yamada, draft, risk="山田が直したリスク")
    message = str(refused.value)
    assert "表示した版 1 のあとに 佐藤 花子 が版 2 を保存しました" in message
    assert "佐藤が直した表題" in message
    with open_store(served.settings) as store:
        d = store.get_draft(draft)
        assert [v.version for v in d.versions] == [1, 2]
        assert d.payload["title"] == "佐藤が直した表題" and d.payload["risk"] == FINDING["risk"]

    opened = _open(yamada, draft)  # the form now holds sato's title: yamada's change adds to it
    assert opened[2] == "佐藤が直した表題"
    assert "版 3" in _save(yamada, draft, title=str(opened[2]), risk="山田が直したリスク")
    again = _save(yamada, draft, title=str(opened[2]), risk="山田が直したリスク（再）")
    assert "版 4" in again  # what one saved is what one has seen: no need to open it again
    with open_store(served.settings) as store:
        d = store.get_draft(draft)
        assert d.payload["title"] == "佐藤が直した表題"
        assert d.payload["risk"] == "山田が直したリスク（再）"


@pytest.mark.slow
def test_ui_reopen_is_the_leads(served: Served, login):  # type: ignore[no-untyped-def]
    draft = _ui_draft(served, "福祉政策課/ui-12")
    with open_store(served.settings) as store:
        store.approve(draft, "suzuki")
    sato, tanaka = login("sato"), login("tanaka")
    _open(sato, draft)
    with pytest.raises(AppError) as refused:
        sato.predict(draft, "追加資料", api_name=endpoint(sato, trigger="finding-reopen"))
    assert all(words in str(refused.value) for words in LEAD_ONLY), str(refused.value)
    with open_store(served.settings) as store:
        assert store.get_draft(draft).status == "approved"

    _open(tanaka, draft)
    reopened = tanaka.predict(
        draft, "追加資料が届いた", api_name=endpoint(tanaka, trigger="finding-reopen")
    )
    assert reopened == f"下書き {draft} を差し戻しました（版 2）。"
    with open_store(served.settings) as store:
        d = store.get_draft(draft)
        assert d.status == "draft" and d.log[-1].action == "reopen" and d.log[-1].actor == "tanaka"


@pytest.mark.slow
def test_ui_names_a_draft_number_no_draft_can_have(served: Served, login):  # type: ignore[no-untyped-def]
    _ui_draft(served, "福祉政策課/ui-ids")
    suzuki = login("suzuki")
    approve = endpoint(suzuki, trigger="finding-approve")
    for bad in BAD_IDS:
        with pytest.raises(AppError) as refused:
            _open(suzuki, bad)
        assert f"下書き {bad} はありません" in str(refused.value), str(refused.value)
        with pytest.raises(AppError) as refused:
            suzuki.predict(bad, "確認した", api_name=approve)
        assert f"下書き {bad} はありません" in str(refused.value), str(refused.value)


@pytest.mark.slow
def test_ui_a_number_typed_after_opening_another_is_not_signed(served: Served, login):  # type: ignore[no-untyped-def]
    first = _ui_draft(served, "福祉政策課/ui-a")
    second = _ui_draft(served, "福祉政策課/ui-b")
    suzuki = login("suzuki")
    _open(suzuki, first)
    with pytest.raises(AppError) as refused:
        suzuki.predict(second, "", api_name=endpoint(suzuki, trigger="finding-approve"))
    assert f"下書き {second} をまだ開いていません" in str(refused.value)
    with open_store(served.settings) as store:
        assert store.get_draft(second).status == "draft"


@pytest.mark.slow
def test_ui_the_admin_does_not_open_drafts(served: Served, login):  # type: ignore[no-untyped-def]
    draft = _ui_draft(served, "福祉政策課/ui-admin")
    with pytest.raises(AppError) as refused:
        _open(login("admin"), draft)
    assert "管理者（admin）なので下書きの内容は開けません" in str(refused.value)
    assert FINDING["title"] not in str(refused.value)
