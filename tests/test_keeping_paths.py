"""Files stay where they belong: no typed server path is read, no name from data leads out.

Through the running app with Gradio's Python client (a real `copilot serve` over a copy of the
ingested sample corpus, as in ``tests/test_security_api.py``): the engagement file is picked from
the offered names or uploaded, never typed, so the review store is never opened with a plain
``open()`` (which drops the server's SQLite locks and lets a later CLI command delete the WAL the
server still writes to); a division named like a path leads no file out of the download folder
(its notice is refused: it is no audited division of the engagement file); the pickers and the 文書管理 tab show no server path.
Then the shared cleaner (``copilot.filenames``) and the CLI's guard, directly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.filenames import MAX_NAME_BYTES, inside, readable, safe_name
from copilot.review.store import open_store
from copilot.settings import Settings, load_settings
from tests.browser import free_port
from tests.served import Logins, start_serve, stop_serve
from tests.test_security_api import endpoint

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "engagement.toml"
USERS = {"admin": "admin", "sato": "auditor", "suzuki": "lead"}
NOT_OFFERED = "is not in the list of choices"
CONTRACT = "C-2026-001"
OWN_ENGAGEMENT = "今年度.toml"  # put in <data>/engagements/ before the server starts


def password(name: str) -> str:
    return f"{name}-password-1"


@dataclass
class Served:
    """The running app: its URL, the settings over its data folder, and how to restart it."""

    url: str
    settings: Settings
    restart: Callable[[], None]


@pytest.fixture(scope="module")
def served(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`copilot serve` over a copy of the ingested corpus, once it answers."""
    root = tmp_path_factory.mktemp("keeping-paths")
    data = root / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    (data / "engagements").mkdir()
    shutil.copyfile(SAMPLE, data / "engagements" / OWN_ENGAGEMENT)
    settings = load_settings(data_dir=data)
    with open_store(settings) as store:
        for name, role in USERS.items():
            store.add_user(
                name, name, role, password(name), by=None if role == "admin" else "admin"
            )
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []
    url = f"http://127.0.0.1:{port}"

    def start() -> None:
        proc, _ = start_serve(data, root / f"serve-{len(procs)}.log", port=port)
        procs.append(proc)

    def stop() -> None:
        stop_serve(procs[-1])

    def restart() -> None:
        stop()
        start()

    start()
    try:
        yield Served(url, settings, restart)
    finally:
        stop()


@pytest.fixture(scope="module")
def login(served: Served) -> Iterator[Callable[[str], Client]]:
    """A gradio_client Client logged in as a user; ``login(name, fresh=True)`` after a restart."""
    logins = Logins(served.url, password)
    yield logins
    logins.close()


def pickers(client: Client) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Each picker the page's load fills from the index: its label and its (label, value)s."""
    config = client.config
    labels = {c["id"]: c.get("props", {}).get("label") for c in config["components"]}
    load = endpoint(client, output="c-contract", event="load")
    dep = next(d for d in config["dependencies"] if "/" + str(d.get("api_name")) == load)
    updates = client.predict(api_name=load)
    return [
        (labels[i], [(str(label), value) for label, value in u["choices"]])
        for i, u in zip(dep["outputs"], updates, strict=True)
    ]


def checklist_value(client: Client) -> str:
    """What the チェックリスト picker offers first (whatever form its values take)."""
    return next(str(v) for label, cs in pickers(client) if label == "チェックリスト" for _, v in cs)


def cli_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> Any:
    """A `copilot` command over the served data folder, in this process (a fresh store)."""
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def drafted(served: Served, login: Callable[[str], Client]) -> list[int]:
    """The draft numbers of one checklist run by the auditor, through the API."""
    sato = login("sato")
    table, message = sato.predict(
        CONTRACT, checklist_value(sato), api_name=endpoint(sato, output="run-msg")
    )
    assert "項目を判定しました。内訳は" in message
    return [int(row[0]) for row in table["data"] if row[0] not in ("", None)]


# --- 1. the engagement file is picked or uploaded, never typed; approvals stay ------------------


@pytest.mark.slow
def test_no_typed_path_is_read_and_an_approval_made_after_stays(
    served: Served, login, drafted, monkeypatch: pytest.MonkeyPatch, capsys
):  # type: ignore[no-untyped-def]
    data = served.settings.data_dir
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    sato, suzuki = login("sato"), login("suzuki")
    due = endpoint(sato, trigger="due-check")
    typed = [data / "review.sqlite", data / "gradio" / ".." / "review.sqlite", "/etc/hostname"]
    refusals = []
    for path in typed:
        with pytest.raises(AppError) as refused:
            sato.predict(None, str(path), api_name=due)
        refusals.append(str(refused.value))

    # A CLI command opens and closes the store. Had the server opened review.sqlite with a plain
    # open() above, its locks would be gone: this close would checkpoint and delete the WAL that
    # the server keeps writing to, and the approval below would never reach the file.
    cli_json(monkeypatch, capsys, "review", "list")
    before = cli_json(monkeypatch, capsys, "review", "verify")
    draft_id = drafted[0]
    suzuki.predict(draft_id, api_name=endpoint(suzuki, trigger="item-open"))  # the lead reads it
    signed = suzuki.predict(
        draft_id, "確認した", api_name=endpoint(suzuki, trigger="checklist-approve")
    )
    assert signed == f"下書き {draft_id} を承認しました。"
    listed = {d["id"]: d for d in cli_json(monkeypatch, capsys, "review", "list")}
    assert listed[draft_id]["status"] == "approved"
    after = cli_json(monkeypatch, capsys, "review", "verify")
    assert after["ok"] and after["records"] == before["records"] + 1
    served.restart()
    with open_store(served.settings) as store:
        assert store.get_draft(draft_id).status == "approved"
        assert store.verify().ok and store.verify().records == after["records"]

    # the typed paths were refused before any handler ran: Gradio offers names, not paths
    for path, message in zip(typed, refusals, strict=True):
        assert NOT_OFFERED in message, (path, message)
        assert "TOML" not in message and "作業計画の設定" not in message, message

    # what is offered works: the sample and the file put in <data>/engagements/, by name
    sato = login("sato", fresh=True)
    due = endpoint(sato, trigger="due-check")
    offered = sato.config  # the dropdown of the engagement files, with its choices
    box = next(
        c["props"]
        for c in offered["components"]
        if c.get("props", {}).get("elem_id") == "engagement-file"
    )
    names = [value for _, value in box["choices"]]
    assert names == ["examples/engagement.toml", f"engagements/{OWN_ENGAGEMENT}"]
    assert not any(Path(n).is_absolute() or str(data) in n for n in names)
    for name in names:
        message, rows, _ = sato.predict(None, name, api_name=due)
        assert "現在の期限" in message and rows["data"], message


# --- 2. a division named like a path writes inside the download folder ---------------------------


@pytest.mark.slow
def test_a_division_named_like_a_path_writes_in_the_download_folder(
    served: Served, login, tmp_path: Path
):  # type: ignore[no-untyped-def]
    sato = login("sato", fresh=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    division = "x/" + "../" * 40 + outside.relative_to("/").as_posix() + "/PWNED"
    _, message = sato.predict(
        CONTRACT, checklist_value(sato), division, api_name=endpoint(sato, output="f-msg")
    )
    assert "発見事項の下書きを保存しました" in message
    try:  # the notice is for an audited division of the engagement file: this one is not
        with pytest.raises(AppError, match="監査対象課にありません"):
            sato.predict(
                division, "examples/engagement.toml", api_name=endpoint(sato, output="notice")
            )
    finally:
        assert list(outside.iterdir()) == []  # nothing outside, whatever the app answered
    downloads = (served.settings.data_dir / "gradio").resolve()
    strays = [p for p in downloads.rglob("*") if p.is_dir() and p.name.startswith("監査結果")]
    assert strays == []  # no folder made from the division's name


# --- 3. no server path in the pickers or the 文書管理 tab -------------------------------------


@pytest.mark.slow
def test_pickers_and_the_documents_tab_show_no_server_path(served: Served, login):  # type: ignore[no-untyped-def]
    data = str(served.settings.data_dir)
    sato = login("sato", fresh=True)
    shown = pickers(sato)
    checklists = [cs for label, cs in shown if label == "チェックリスト"]
    assert checklists and all(checklists)
    for _, choices in shown:
        for label, value in choices:
            for text in (label, str(value)):
                assert not Path(text).is_absolute(), text
                assert data not in text and str(ROOT) not in text, text
    assert all("（checklists/" in label for cs in checklists for label, _ in cs)
    status = sato.predict(api_name=endpoint(sato, output="index-status", event="load"))
    assert "文書" in status and "条項" in status
    assert data not in status and "データフォルダ" not in status


@pytest.mark.slow
def test_an_error_about_an_uploaded_file_names_the_file_not_the_server_folder(
    served: Served, login, tmp_path: Path
):  # type: ignore[no-untyped-def]
    admin = login("admin", fresh=True)  # the 評価 tab is the admin's only
    bad = tmp_path / "壊れた正解データ.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    value = next(
        v for label, cs in pickers(admin) if label.startswith("チェックリスト（") for _, v in cs
    )
    with pytest.raises(AppError) as refused:
        admin.predict(
            "retrieval",
            handle_file(str(bad)),
            value,
            False,
            api_name=endpoint(admin, output="eval-msg"),
        )
    message = str(refused.value)
    assert bad.name in message and "正解データ" in message  # the file is named …
    assert str(served.settings.data_dir) not in message and "/gradio/" not in message  # … alone


# --- 4. the shared cleaner and guard -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("総務課", "総務課"),
        ("x/../../../../tmp/PWNED", "x_.._.._.._.._tmp_PWNED"),
        ("..\\..\\Windows\\win.ini", "_.._Windows_win.ini"),
        ("../secret", "_secret"),
        ("a\x00b\x1fc\x7fd", "a_b_c_d"),
        ("..hidden", "hidden"),
        ("  .総務課. ", "総務課"),
        ("C-2026-001", "C-2026-001"),
        ('a:b*c?d"e<f>g|h', "a_b_c_d_e_f_g_h"),
        ("右\u202egpj.exe", "右_gpj.exe"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("Com1.docx", "_Com1.docx"),
        ("console", "console"),
    ],
)
def test_safe_name_makes_one_harmless_component(text: str, name: str):
    assert safe_name(text) == name


@pytest.mark.parametrize("text", ["", "   ", ".", "..", "../..", "///", "\\", "\x00", "._."])
def test_safe_name_refuses_a_name_with_nothing_left(text: str):
    with pytest.raises(UserError) as refused:
        safe_name(text)
    assert refused.value.ja and refused.value.en


def test_safe_name_cuts_a_long_name_on_a_character_keeping_its_extension():
    long = "監査" * 200 + ".docx"
    name = safe_name(long)
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(".docx")
    assert name.startswith("監査監査") and "\ufffd" not in name
    assert len(safe_name("a" * 1000).encode("utf-8")) == MAX_NAME_BYTES


def test_inside_keeps_a_path_in_its_folder(tmp_path: Path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    assert inside(folder, "通知.docx") == folder.resolve() / "通知.docx"
    assert inside(folder, Path("hearings") / "総務課" / "回答.eml").is_relative_to(folder)
    (folder / "link").symlink_to(tmp_path)  # a link leading out of the folder
    for name in ("../x.docx", "/etc/passwd", "a/../../x", "", ".", "link/x.docx"):
        with pytest.raises(UserError):
            inside(folder, name)


def test_readable_refuses_the_data_folders_own_files(tmp_path: Path):
    data = tmp_path / "data"
    settings = load_settings(data_dir=data)
    with open_store(settings):
        pass
    (data / "engagements").mkdir()
    own = data / "engagements" / "e.toml"
    own.write_text("", encoding="utf-8")
    elsewhere = tmp_path / "e.toml"
    elsewhere.write_text("", encoding="utf-8")
    link = tmp_path / "link.toml"
    link.symlink_to(data / "review.sqlite")
    assert readable(own, data) == own.resolve()
    assert readable(elsewhere, data) == elsewhere.resolve()
    for path in (data / "review.sqlite", data / "engagements" / ".." / "review.sqlite", link):
        with pytest.raises(UserError) as refused:
            readable(path, data)
        assert "データフォルダ" in refused.value.ja and "data folder" in refused.value.en


def test_the_cli_reads_no_file_among_the_data_folders_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data))
    with open_store(load_settings()):
        pass
    link = tmp_path / "engagement.toml"
    link.symlink_to(data / "review.sqlite")
    for path in (data / "review.sqlite", link):
        assert main(["plan", "--engagement", str(path)]) != 0
        assert "data folder" in capsys.readouterr().err
    assert main(["plan", "--engagement", str(SAMPLE), "--json"]) == 0
    for path in (data, data / "review.sqlite", data / "index"):  # nor ingested as documents
        assert main(["ingest", str(path)]) != 0
        assert "data folder" in capsys.readouterr().err
