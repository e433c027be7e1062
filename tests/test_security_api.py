"""The running app attacked through its API, as an outsider and as a curious auditor would.

One real `copilot serve` process over a copy of the ingested sample corpus, with an admin, an
auditor (sato) and two leads (suzuki, tanaka). Plain HTTP (httpx) without a login, and Gradio's
own Python client (``gradio_client``) logged in as each user, which calls the event handlers
directly, past everything the page hides or confirms. The endpoints are found by the element ids
of their buttons and outputs in the app's config (not by Gradio's numbered api names).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from copilot.review.store import ReviewStore, open_store
from copilot.settings import Settings, load_settings
from tests.served import Logins, serving

pytestmark = pytest.mark.slow

USERS = {  # name: (role, display name)
    "admin": ("admin", "管理者"),
    "sato": ("auditor", "佐藤 花子"),
    "suzuki": ("lead", "鈴木 一郎"),
    "tanaka": ("lead", "田中 次郎"),
}
LEAD_ONLY = ("主任担当者（lead）の権限が必要", "needs the lead role")
NOT_OFFERED = "is not in the list of choices"
KEPT_DOC = "contracts/C-2026-003/契約書.docx"  # the auditor tries to remove it
REMOVED_DOC = "self_check/自己点検シート_税務課.xlsx"  # the lead removes it (no test needs it)
CONTRACT = "C-2026-001"


def password(name: str) -> str:
    return f"{name}-password-1"


@dataclass
class Served:
    """The running app: its URL and the settings over its data folder."""

    url: str
    settings: Settings

    def store(self) -> ReviewStore:
        """The review store the server writes (SQLite in WAL mode: fine to read alongside)."""
        return open_store(self.settings)


@pytest.fixture(scope="module")
def served(corpus_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`copilot serve` over a copy of the ingested corpus, once it answers."""
    root = tmp_path_factory.mktemp("security-api")
    data = root / "data"
    shutil.copytree(corpus_data_dir, data, ignore=shutil.ignore_patterns("review.sqlite*"))
    settings = load_settings(data_dir=data)
    with open_store(settings) as store:
        for name, (role, display) in USERS.items():
            by = None if name == "admin" else "admin"
            store.add_user(name, display, role, password(name), by=by)
    with serving(data, root / "serve.log") as (_, url):
        yield Served(url, settings)


@pytest.fixture(scope="module")
def login(served: Served) -> Iterator[Callable[[str], Client]]:
    """A gradio_client Client logged in as a user (one per user, one session each)."""
    logins = Logins(served.url, password)
    yield logins
    logins.close()


def endpoint(
    client: Client, trigger: str | None = None, output: str | None = None, event: str = "click"
) -> str:
    """The api name of the event fired by ``event`` on the component with elem_id ``trigger``
    (any, for a page load) that writes the component with elem_id ``output`` (any when None)."""
    config = client.config
    by_elem = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for dep in config["dependencies"]:
        fired = any(
            kind == event and (trigger is None or by_elem.get(target) == trigger)
            for target, kind in dep["targets"]
        )
        writes = output is None or output in [by_elem.get(i) for i in dep["outputs"]]
        if fired and writes and dep.get("api_name"):
            return "/" + dep["api_name"]
    raise AssertionError(f"no {event} event on {trigger!r} writing {output!r}")


def offered(client: Client) -> list[list[Any]]:
    """Fill this session's pickers from the index, as the page's load does: each one's values."""
    updates = client.predict(api_name=endpoint(client, output="c-contract", event="load"))
    return [[value for _, value in u["choices"]] for u in updates]


def is_offered(client: Client, value: str) -> bool:
    return any(value in values for values in offered(client))


def offered_checklist(client: Client) -> str:
    """The checklist the page offers (its picker's values are document ids, not paths)."""
    values = [str(v) for vs in offered(client) for v in vs]
    return next(v for v in values if v.startswith("checklists/") and v.endswith(".xlsx"))


@pytest.fixture(scope="module")
def drafted(served: Served, login: Callable[[str], Client]) -> list[int]:
    """The draft numbers of one checklist run by the auditor, through the API (about 15 s)."""
    sato = login("sato")
    checklist = offered_checklist(sato)
    table, message = sato.predict(CONTRACT, checklist, api_name=endpoint(sato, output="run-msg"))
    assert "項目を判定しました。内訳は" in message
    ids = [int(row[0]) for row in table["data"] if row[0] not in ("", None)]
    assert len(ids) >= 3
    with served.store() as store:
        assert all(store.get_draft(i).created_by == "sato" for i in ids)
    return ids


def status_of(served: Served, draft_id: int) -> str:
    with served.store() as store:
        return store.get_draft(draft_id).status


# --- 1. nothing without a login ------------------------------------------------------------------


def test_no_route_answers_an_outsider_without_login(served: Served, login):  # type: ignore[no-untyped-def]
    names = {  # real api names, so that a 401 is the login's, not an unknown route's
        "approve": endpoint(login("sato"), trigger="checklist-approve").lstrip("/"),
        "remove": endpoint(login("sato"), trigger="remove-yes").lstrip("/"),
    }
    data = served.settings.data_dir
    with httpx.Client(base_url=served.url, timeout=30) as outsider:
        page = outsider.get("/")  # the login page is reachable, and tells nothing of the app
        assert page.status_code == 200
        assert '"auth_required":true' in page.text.replace(" ", "")
        assert "ログインしてください" in page.text
        no_data = (CONTRACT, "架空市", "佐藤", "鈴木", "sato", "suzuki", str(data), "review.sqlite")
        for word in no_data:  # no audit data, user or data folder (the layout: see below)
            assert word not in page.text, word
        assert "チェックリスト審査" not in page.text and "remove-doc" not in page.text

        gets = [
            "/config",
            "/gradio_api/info",
            "/gradio_api/openapi.json",
            "/gradio_api/queue/status",
            "/gradio_api/queue/data?session_hash=outsider",
            "/gradio_api/deep_link?session_hash=outsider",
            "/gradio_api/file=/etc/passwd",
            f"/gradio_api/file={data}/review.sqlite",
            f"/gradio_api/file={data}/gradio/../review.sqlite",
            "/gradio_api/proxy=http://203.0.113.9/x.png",
            f"/gradio_api/call/{names['approve']}/some-event-id",
        ]
        for path in gets:
            answer = outsider.get(path)
            assert answer.status_code in (401, 403), (path, answer.status_code, answer.text)
        legacy = outsider.get("/file=/etc/passwd")  # no such route without the api prefix
        assert legacy.status_code in (401, 403, 404) and "root:" not in legacy.text

        event = {"data": [1, "approved by nobody"], "fn_index": 0, "session_hash": "outsider"}
        posts: list[tuple[str, dict[str, Any]]] = [
            ("/gradio_api/queue/join", {"json": event}),
            (f"/gradio_api/call/{names['approve']}", {"json": {"data": [1, ""]}}),
            (f"/gradio_api/call/v2/{names['approve']}", {"json": {"draft_id": 1}}),
            (f"/gradio_api/run/{names['remove']}", {"json": {"data": [KEPT_DOC]}}),
            (f"/gradio_api/api/{names['remove']}", {"json": {"data": [KEPT_DOC]}}),
            ("/gradio_api/component_server", {"json": {}}),
            ("/gradio_api/process_recording", {"json": {}}),
            ("/gradio_api/upload", {"files": {"files": ("x.txt", b"outsider", "text/plain")}}),
        ]
        for path, body in posts:
            answer = outsider.post(path, **body)
            assert answer.status_code in (401, 403), (path, answer.status_code, answer.text)

        assert outsider.get("/gradio_api/user").json() is None  # who is logged in: nobody
        assert outsider.get("/gradio_api/token").json() == {"token": None, "user": None}

        # a wrong password gets nothing; the right one opens the same routes (they do exist)
        wrong = outsider.post("/login", data={"username": "sato", "password": "not-it"})
        assert wrong.status_code == 400 and not outsider.cookies
        assert outsider.get("/config").status_code == 401
        right = outsider.post("/login", data={"username": "sato", "password": password("sato")})
        assert right.status_code == 200
        assert outsider.get("/config").status_code == 200
        assert outsider.get("/gradio_api/info").status_code == 200
        # the session cookie's names with a made-up value: still nobody
        forged = {name: "forged-token-value" for name in outsider.cookies}
        assert forged
        with httpx.Client(base_url=served.url, timeout=30, cookies=forged) as forger:
            assert forger.get("/config").status_code == 401
            assert forger.post("/gradio_api/queue/join", json=event).status_code == 401
        # logged in, files outside Gradio's own cache stay closed: the store, the system
        for path in ("/etc/passwd", f"{data}/review.sqlite", f"{data}/gradio/../review.sqlite"):
            assert outsider.get(f"/gradio_api/file={path}").status_code == 403, path
    with served.store() as store:  # nothing the outsider sent was recorded
        assert store.verify().ok
        assert not [d for d in store.list_drafts() if d.created_by not in USERS]


def test_login_page_does_not_describe_the_api(served: Served):
    """Gradio writes every endpoint's name and parameters (and example paths on this machine)
    into the page it serves, the login page too; ui.security.Guard empties that description."""
    page = httpx.get(f"{served.url}/", timeout=30).text
    assert "window.gradio_api_info" in page and "auth_required" in page  # still Gradio's page
    assert "on_remove" not in page and "on_approve" not in page
    assert str(Path(__file__).resolve().parents[1]) not in page  # the install folder


# --- 2. lead-only functions refused to an auditor ----------------------------------------------


def test_auditor_cannot_approve_reject_or_remove_through_the_api(served: Served, login, drafted):  # type: ignore[no-untyped-def]
    sato = login("sato")
    draft_id = drafted[0]
    approve = endpoint(sato, trigger="checklist-approve")
    reject = endpoint(sato, trigger="checklist-reject")
    sato.predict(draft_id, api_name=endpoint(sato, trigger="item-open"))  # what is signed: read
    for api_name, comment in ((approve, ""), (reject, "根拠が不足")):
        with pytest.raises(AppError) as refused:
            sato.predict(draft_id, comment, api_name=api_name)
        assert all(words in str(refused.value) for words in LEAD_ONLY), str(refused.value)
        assert "sato" in str(refused.value)
    assert status_of(served, draft_id) == "draft"
    with served.store() as store:
        d = store.get_draft(draft_id)
        assert d.signoff is None
        assert [r.action for r in d.log] == ["create"]

    remove = endpoint(sato, trigger="remove-yes")
    assert is_offered(sato, KEPT_DOC)  # offered to the auditor's session (the box is hidden)
    with pytest.raises(AppError) as refused:
        sato.predict(KEPT_DOC, api_name=remove)
    assert all(words in str(refused.value) for words in LEAD_ONLY), str(refused.value)
    assert is_offered(login("tanaka"), KEPT_DOC)  # still in the index, read afresh


# --- 3. values the page does not offer ----------------------------------------------------------


def test_values_outside_the_offered_choices_are_refused(served: Served, login, drafted):  # type: ignore[no-untyped-def]
    sato = login("sato")
    checklist = offered_checklist(sato)
    run = endpoint(sato, output="run-msg")
    with served.store() as store:
        before = len(store.list_drafts())
    for contract, chosen in (
        (CONTRACT, "/etc/passwd"),
        (CONTRACT, str(Path(checklist).parent / ".." / ".." / "README.md")),
        (CONTRACT, f"{served.settings.data_dir}/review.sqlite"),
        ("C-9999-999", checklist),
        ("C-2026-001' OR '1'='1", checklist),
    ):
        with pytest.raises(AppError, match=NOT_OFFERED):
            sato.predict(contract, chosen, api_name=run)
    with served.store() as store:
        assert len(store.list_drafts()) == before  # no run, no drafts

    suzuki = login("suzuki")
    remove = endpoint(suzuki, trigger="remove-yes")
    documents = offered(suzuki)
    for doc in ("no/such.docx", "../review.sqlite", f"{served.settings.data_dir}/review.sqlite"):
        with pytest.raises(AppError, match=NOT_OFFERED):
            suzuki.predict(doc, api_name=remove)
    assert offered(suzuki) == documents  # the index is as it was

    # a draft number that does not exist is refused by the handler, and nothing is signed
    with served.store() as store:
        records = store.verify().records
    approve = endpoint(suzuki, trigger="checklist-approve")
    with pytest.raises(AppError):
        suzuki.predict(987654, "", api_name=approve)
    with served.store() as store:
        assert store.verify().ok and store.verify().records == records

    # what is offered does work for the lead: the refusals above are the values', not the route's
    message = suzuki.predict(REMOVED_DOC, api_name=remove)
    assert "索引から外しました" in message
    assert not is_offered(suzuki, REMOVED_DOC)
    assert is_offered(suzuki, KEPT_DOC)


# --- 4. separation of duties --------------------------------------------------------------------


def test_a_lead_who_edited_a_draft_cannot_approve_it_another_lead_can(
    served: Served, login, drafted
):  # type: ignore[no-untyped-def]
    draft_id = drafted[1]
    suzuki, tanaka = login("suzuki"), login("tanaka")
    with served.store() as store:
        verdict = store.get_draft(draft_id).payload["verdict"]
    suzuki.predict(draft_id, api_name=endpoint(suzuki, trigger="item-open"))  # version 1, read
    saved = suzuki.predict(
        draft_id,
        verdict,
        "主任担当者が助言を補足した。",
        "",
        "主任の修正",
        api_name=endpoint(suzuki, trigger="item-save"),
    )
    assert f"下書き {draft_id} を版 2 として保存しました" in saved
    with served.store() as store:
        d = store.get_draft(draft_id)
        assert d.latest.version == 2 and d.latest.author == "suzuki"

    approve = endpoint(suzuki, trigger="checklist-approve")
    with pytest.raises(AppError) as refused:
        suzuki.predict(draft_id, "自分で承認", api_name=approve)
    assert "職務の分離" in str(refused.value), str(refused.value)
    assert "separation of duties" in str(refused.value)
    assert status_of(served, draft_id) == "draft"

    tanaka.predict(draft_id, api_name=endpoint(tanaka, trigger="item-open"))  # version 2, read
    signed = tanaka.predict(
        draft_id, "確認した", api_name=endpoint(tanaka, trigger="checklist-approve")
    )
    assert signed == f"下書き {draft_id} を修正承認しました。"
    with served.store() as store:
        d = store.get_draft(draft_id)
        assert d.status == "approved_with_edits"
        assert d.signoff is not None and d.signoff.actor == "tanaka"
        assert d.signoff.subject != "self_approval"
        assert store.verify().ok
    with pytest.raises(AppError):  # signed off: not again, not by anyone
        tanaka.predict(draft_id, "", api_name=endpoint(tanaka, trigger="checklist-reject"))
    assert status_of(served, draft_id) == "approved_with_edits"


# --- 5. stored HTML comes back escaped ----------------------------------------------------------


def test_injected_html_in_a_draft_comes_back_escaped(served: Served, login, drafted):  # type: ignore[no-untyped-def]
    from ui.page import literal

    draft_id = drafted[2]
    rationale = '<img src="http://203.0.113.9/x.png"> <重要> [罠](http://203.0.113.9/)'
    comment = "<script>alert(1)</script>"
    with served.store() as store:
        d = store.get_draft(draft_id)
        store.edit(draft_id, {**d.payload, "rationale": rationale}, "sato", comment)

    sato = login("sato")
    opened = sato.predict(draft_id, api_name=endpoint(sato, trigger="item-open"))
    head = opened[0]
    assert isinstance(head, str) and f"下書き {draft_id}" in head
    assert "<img" not in head.lower() and "<script" not in head.lower()
    assert "<重要>" not in head and "](http" not in head
    assert literal(rationale) in head and literal(comment) in head
    assert "&lt;重要&gt;" in head and "&lt;img src\\=&quot;http\\:\\/\\/203\\.0\\.113\\.9" in head
    assert "<img" not in str(opened[1]).lower()  # the citations' HTML: the clauses, escaped
