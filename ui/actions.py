"""What the handlers of every tab share: the app's dependencies, the user, pickers, drafts.

The UI's buttons do one function each, composed from copilot's services, in the module of their
tab family, as the tabs are split: ``ui.actions_audit`` (質問, チェックリスト審査, 発見事項,
自己点検分析, 台帳照合), ``ui.actions_policy`` (ポリシー改定支援, 業務文書) and
``ui.actions_records`` (承認・履歴, 評価, 文書管理). Each imports this module and no sibling, so
what more than one family needs is here: ``Deps``, ``current_user``, ``check_password``,
``choices``, ``upload_cache`` and ``forget_uploads``, the download folder, the checklist picked,
and opening, editing and signing off a draft (the sign-off row of ``ui.page`` serves every tab).

Each Gradio handler calls exactly one of these functions and renders its result or its
``UserError``; the composition (run, then record under the logged-in user) lives in these
modules, not in the callbacks, and mirrors what the CLI commands do.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.errors import UserError
from copilot.filenames import readable
from copilot.review.drafts import Draft, Version, draft_number
from copilot.review.store import ReviewStore
from copilot.review.users import User
from copilot.services import ClauseRecord, Services, build_services
from copilot.settings import Settings

Notify = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Deps:
    """The settings and the review store the app was built over."""

    settings: Settings
    store: ReviewStore

    @contextmanager
    def services(self) -> Iterator[Services]:
        """Services for one call, closed afterwards.

        The index holds SQLite connections that belong to the thread that opened them, and
        Gradio runs each event in a worker thread: opening costs milliseconds, like the CLI's.
        """
        services = build_services(self.settings)
        try:
            yield services
        finally:
            services.close()

    def drafter_name(self) -> str:
        """The LLM drafter when an LLM server is configured, else the evidence drafter."""
        return "llm" if self.settings.llm_base_url else "evidence"


def current_user(deps: Deps, name: str | None) -> User:
    """The logged-in user, read afresh from the store.

    Raises:
        UserError: not logged in, or the user no longer exists.

    """
    if not name:
        raise UserError("ログインしてください。", "log in first.")
    return deps.store.get_user(name)


def check_password(
    deps: Deps,
    name: str,
    password: str,
    address: str = "",
    on_refusal: Callable[[UserError], None] | None = None,
) -> bool:
    """Gradio's auth callback: True when the store's throttled, recorded login accepts them.

    A refusal (wrong password, a wait, a lock and until when) goes to ``on_refusal``.
    """
    try:
        deps.store.login(name, password, address)
    except UserError as exc:
        if on_refusal is not None:
            on_refusal(exc)
        return False
    return True


@dataclass(frozen=True)
class Choices:
    """What the pickers offer: contract ids, and (label, value) of checklists and documents."""

    contracts: list[str]
    checklists: list[tuple[str, str]]
    documents: list[tuple[str, str]]
    policies: list[tuple[str, str]]
    guidelines: list[tuple[str, str]]


def choices(deps: Deps) -> Choices:
    """Contract ids, checklists and documents (title and id, id) of the index: no server paths.

    Policies and guidelines are the documents of those kinds, for the policy revision pickers.
    """
    with deps.services() as s:
        docs = s.index.documents()
    documents = [(f"{d.title}（{d.doc_id}）", d.doc_id) for d in docs]
    kinds = {d.doc_id: d.kind for d in docs}
    return Choices(
        contracts=sorted({d.contract for d in docs if d.contract}),
        checklists=[(f"{d.title}（{d.doc_id}）", d.doc_id) for d in docs if d.kind == "checklist"],
        documents=documents,
        policies=[c for c in documents if kinds[c[1]] == "policy"],
        guidelines=[c for c in documents if kinds[c[1]] == "guideline"],
    )


def upload_cache(settings: Settings) -> Path:
    """Where Gradio keeps uploads and downloads: inside the data folder, so purge erases it."""
    return Path(settings.data_dir) / "gradio"


def forget_uploads(settings: Settings, files: list[str]) -> None:
    """Delete Gradio's copies of uploaded files (and their emptied folders) in its cache."""
    root = upload_cache(settings).resolve()
    for f in files:
        path = Path(f).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()


def download_folder(deps: Deps, prefix: str) -> Path:
    """A new folder for a download, in the data folder (purge erases it), not the temp folder."""
    parent = upload_cache(deps.settings) / "exports"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=parent))


def checklist_file(deps: Deps, doc_id: str | None) -> Path:
    """The file of the checklist picked by its document id, which must still be on disk.

    The picker offers document ids, not paths: the file is the ingested checklist's own source.
    """
    with deps.services() as s:
        found = [d for d in s.index.documents() if d.doc_id == doc_id and d.kind == "checklist"]
    path = Path(found[0].source) if found else None
    if path is None or not path.is_file():
        raise UserError(
            "チェックリストを選んでください（文書管理で取り込んだ .xlsx・.xls・.ods）。",
            "choose a checklist (an .xlsx, .xls or .ods ingested under 文書管理).",
        )
    return path


KIND_JA = {
    "checklist_judgement": "チェックリストの判定",
    "finding": "発見事項",
    "policy_gap": "ポリシーの網羅状況の判定",
    "policy_advice": "ポリシーの改定助言",
    "hearing_mail": "ヒアリングメール",
    "hearing_reply": "ヒアリング回答",
}


def cited_ids(payload: dict[str, Any]) -> list[str]:
    """The clause ids of every citation of a draft: a field holding one or a list of them."""
    ids = []
    for value in payload.values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, dict) and "clause_id" in v:
                ids.append(str(v["clause_id"]))
    return ids


def reader(deps: Deps, name: str | None) -> User:
    """The logged-in user if they may read drafts: an auditor or a lead, not the admin.

    The admin manages users and the system; the audit's drafts are the audit team's.

    Raises:
        UserError: not logged in, or the admin.

    """
    user = current_user(deps, name)
    if user.role not in ("auditor", "lead"):
        raise UserError(
            f"{user.name} は管理者（admin）なので下書きの内容は開けません。監査担当者か"
            "主任担当者の利用者でログインしてください。",
            f"{user.name} is an admin and may not open drafts' content; log in as an auditor "
            "or a lead.",
        )
    return user


def _no_such_draft(value: object) -> UserError:
    """The unknown-draft error as the screens word it (the store's names a CLI command)."""
    shown = str(value)[:40]
    return UserError(
        f"下書き {shown} はありません。「承認・履歴」の一覧で番号を確かめてください。",
        f"there is no draft {shown}; look its number up in the list under 承認・履歴.",
    )


def _number(value: object) -> int:
    try:
        return draft_number(value)
    except UserError:
        raise _no_such_draft(value) from None


def stored_draft(deps: Deps, value: object) -> Draft:
    """The draft numbered ``value``; the screens' wording when there is none."""
    number = _number(value)
    try:
        return deps.store.get_draft(number)
    except UserError:
        raise _no_such_draft(value) from None


def _draft_of_kind(deps: Deps, draft_id: object, kind: str | None) -> Draft:
    if draft_id is None or draft_id == "":
        raise UserError(
            "表の行を選ぶか、下書きの番号を入力してください。",
            "pick a row of the table or give the draft number.",
        )
    draft = stored_draft(deps, draft_id)
    if kind is not None and draft.kind != kind:
        raise UserError(
            f"下書き {draft.id} は{KIND_JA.get(draft.kind, draft.kind)}です。"
            f"この画面では{KIND_JA[kind]}の下書きを開いてください。",
            f"draft {draft.id} is a {draft.kind}; open a {kind} draft on this screen.",
        )
    return draft


Shown = dict[str, int]  # what a page showed: {"draft": id, "version": n} (a gr.State's value)


def shown(draft: Draft) -> Shown:
    """What the page shows of ``draft``, kept in its state: the number and the latest version."""
    return {"draft": draft.id, "version": draft.latest.version}


def seen_version(draft_id: object, opened: Shown | None) -> tuple[int, int]:
    """The draft numbered ``draft_id`` and the version of it this page showed.

    Raises:
        UserError: an unknown number, or a draft this page has not opened (a number typed
            after opening another): what is saved or signed off must be what was read.

    """
    if draft_id is None or draft_id == "":
        raise UserError(
            "表の行を選ぶか、下書きの番号を入力して、下書きを開いてください。",
            "pick a row of the table or give the draft number, and open the draft.",
        )
    number = _number(draft_id)
    if not opened or opened.get("draft") != number:
        raise UserError(
            f"下書き {number} をまだ開いていません。表の行を選ぶか番号を入れて「開く」で内容を"
            "確かめてから、保存・承認・却下・差戻しをしてください。",
            f"draft {number} is not open on this page; open it (pick its row or press 開く) "
            "and read it before saving, approving, rejecting or reopening it.",
        )
    return number, int(opened["version"])


def open_draft(
    deps: Deps, name: str | None, draft_id: object, kind: str | None
) -> tuple[Draft, dict[str, ClauseRecord]]:
    """A draft of ``kind`` (None: any) and the stored clauses its citations point at.

    Clauses no longer stored are left out.

    A clause of a document since replaced is found in its kept version: the text it quoted.

    Raises:
        UserError: no number, an unknown draft, a draft of another kind, or the admin.

    """
    reader(deps, name)
    draft = _draft_of_kind(deps, draft_id, kind)
    ids = cited_ids(draft.payload)
    with deps.services() as s:
        return draft, s.index.clauses(ids, archived=True)


def edit_draft(
    deps: Deps,
    name: str | None,
    draft_id: object,
    kind: str,
    changes: dict[str, str],
    comment: str,
    opened: Shown | None,
) -> Draft:
    """Save ``changes`` to the version of a draft of ``kind`` the page showed, as a new version.

    Refused (with what changed) when someone saved another version after the page opened it.
    """
    user = current_user(deps, name)
    number, version = seen_version(draft_id, opened)
    draft = _draft_of_kind(deps, number, kind)
    payload = {**draft.payload, **changes}
    deps.store.edit(draft.id, payload, user, (comment or "").strip(), seen_version=version)
    return deps.store.get_draft(draft.id)


def version_shown(deps: Deps, draft_id: object, kind: str, opened: Shown | None) -> Version:
    """The version of a draft of ``kind`` that the page showed (to compare an edit with)."""
    number, version = seen_version(draft_id, opened)
    draft = _draft_of_kind(deps, number, kind)
    return next((v for v in draft.versions if v.version == version), draft.latest)


@dataclass(frozen=True)
class Lock:
    """What the page offers for the draft it shows."""

    editable: bool  # still a draft: its fields, save, approve and reject
    lead: bool  # the user is a lead: approve and reject (a draft), reopen (a signed-off one)
    status: str = "draft"  # the draft's status


def lock(deps: Deps, name: str | None, opened: Shown | None) -> Lock:
    """Whether the shown draft may still change, and whether the user signs off.

    A signed-off draft is read-only until a lead reopens it; nothing shown: editable.
    """
    lead = current_user(deps, name).role == "lead"
    if not opened:
        return Lock(True, lead)
    status = stored_draft(deps, opened.get("draft")).status
    return Lock(status == "draft", lead, status)


def drafts_by_id(deps: Deps, ids: list[int]) -> list[Draft]:
    """The drafts with these numbers, in that order."""
    return [deps.store.get_draft(int(i)) for i in ids]


def sign_off(
    deps: Deps,
    name: str | None,
    draft_id: object,
    approve: bool,
    comment: str,
    opened: Shown | None,
) -> str:
    """Approve or reject the version of a draft the page showed (the store checks the role)."""
    user = current_user(deps, name)
    number, version = seen_version(draft_id, opened)
    if approve:
        return deps.store.approve(number, user, comment, seen_version=version)
    deps.store.reject(number, user, comment, seen_version=version)
    return "reject"


def reopen(
    deps: Deps, name: str | None, draft_id: object, reason: str, opened: Shown | None
) -> int:
    """Reopen the signed-off version of a draft the page showed (lead only); the new version."""
    user = current_user(deps, name)
    number, version = seen_version(draft_id, opened)
    return deps.store.reopen(number, user, reason, seen_version=version)


SAMPLE_ENGAGEMENT = Path(__file__).resolve().parents[1] / "examples" / "engagement.toml"


def engagement_file(deps: Deps, upload: str | None, chosen: str | None) -> Path:
    """The uploaded engagement file, else the offered one of that name (never a typed path).

    Raises:
        UserError: nothing uploaded or chosen, a name that is not offered, or an upload that is
            not in Gradio's cache inside the data folder.

    """
    from copilot.engagement.file import ENGAGEMENTS, offered_engagements

    data = deps.settings.data_dir
    if upload:
        return readable(Path(upload), data)
    offered = offered_engagements(data, SAMPLE_ENGAGEMENT)
    if not chosen:
        raise UserError(
            "作業計画の設定ファイル（engagement.toml）をアップロードするか、一覧から選んでください。",
            "upload the engagement file (engagement.toml) or choose one from the list.",
        )
    if chosen not in offered:
        raise UserError(
            f"「{chosen}」は選べる設定ファイルではありません。一覧から選ぶか、アップロードして"
            f"ください（一覧にはデータフォルダの {ENGAGEMENTS}/ の .toml が並びます）。",
            f"{chosen!r} is not one of the engagement files offered; choose one from the list "
            f"or upload it (the list shows the .toml files in the data folder's {ENGAGEMENTS}/).",
        )
    return offered[chosen]
