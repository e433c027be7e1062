"""Task runs, drafts and their versions: recording them and reading them back.

A draft is never overwritten: an edit or a re-opening adds a version (``copilot.review.signoff``),
and a draft's status is read from the log (create/edit/reopen → draft; approve → approved;
approve_with_edits → approved_with_edits; reject → rejected).

A ``Draft`` gives ``status``, ``latest.payload`` (the text to export), ``original`` (the
drafter's version 1) and ``signoff`` (the approve/reject record: ``actor_display``, ``at``).
Payloads of the kinds in ``DRAFT_MODELS`` are validated against their pydantic model.
The run fields match ``schemas.Provenance``: ``record_run(task, inputs, user=u,
**prov.model_dump(include=set(RUN_FIELDS)))``.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from copilot.audit.hearing_records import MAIL_KIND, REPLY_KIND, HearingMail, HearingReply
from copilot.errors import UserError
from copilot.review.db import Transactions
from copilot.review.log import SIGNOFF_ACTIONS, STATUS_OF, LogRecord, append, now
from copilot.review.users import User, require_role
from copilot.schemas import Answer, ChecklistJudgement, Finding, PolicyAdvice, PolicyGap

__all__ = [
    "DRAFT_MODELS",
    "RUN_FIELDS",
    "STATUSES",
    "Draft",
    "Drafts",
    "Run",
    "Version",
    "draft_number",
    "draft_payload",
    "require_text",
    "unknown_draft",
]

STATUSES = ("draft", "approved", "approved_with_edits", "rejected")
# record_run's keyword fields that ``schemas.Provenance`` also has:
# ``store.record_run(task, inputs, user=u, **prov.model_dump(include=set(RUN_FIELDS)))``
RUN_FIELDS = (
    "settings_digest",
    "drafter",
    "model",
    "prompt",
    "prompt_version",
    "prompt_hash",
    "evidence_ids",
)
DRAFT_MODELS: dict[str, type[BaseModel]] = {
    "checklist_judgement": ChecklistJudgement,
    "finding": Finding,
    "answer": Answer,
    "policy_gap": PolicyGap,
    "policy_advice": PolicyAdvice,
    MAIL_KIND: HearingMail,  # hearing_mail, key: the division
    REPLY_KIND: HearingReply,  # hearing_reply, key: <division>/<reply file>
}
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ID = 2**63 - 1  # SQLite's largest INTEGER: no draft has a number above it


@dataclass(frozen=True)
class Run:
    """One task run: what went in and how the drafts were made."""

    id: int
    task: str
    inputs: dict[str, Any]
    settings_digest: str
    drafter: str
    model: str
    prompt: str
    prompt_version: str
    prompt_hash: str
    evidence_ids: list[str]
    user: str
    created_at: str


@dataclass(frozen=True)
class Version:
    """One version of a draft's content; version 1 is the drafter's."""

    draft_id: int
    version: int
    payload: dict[str, Any]
    author: str
    author_display: str
    created_at: str
    comment: str


@dataclass(frozen=True)
class Draft:
    """A draft with all its versions and log records, and its status."""

    id: int
    run_id: int
    kind: str
    key: str
    created_at: str
    created_by: str
    status: str
    versions: tuple[Version, ...]
    log: tuple[LogRecord, ...]

    @property
    def original(self) -> Version:
        """The drafter's version (1)."""
        return self.versions[0]

    @property
    def latest(self) -> Version:
        """The newest version: the one that is (or will be) signed off."""
        return self.versions[-1]

    @property
    def payload(self) -> dict[str, Any]:
        """The newest version's content."""
        return self.latest.payload

    @property
    def confidence(self) -> float | None:
        """The drafter's confidence in its judgement, if it gave one."""
        value = self.payload.get("confidence")
        return float(value) if isinstance(value, int | float) else None

    @property
    def signoff(self) -> LogRecord | None:
        """The approve/reject record that settled the status, or None while it is a draft."""
        if self.status == "draft":
            return None
        return next(r for r in reversed(self.log) if r.action in SIGNOFF_ACTIONS)


def least_sure_first(drafts: Sequence[Draft]) -> list[Draft]:
    """Drafts in the order an auditor should read them: the least confident first.

    Then those without a confidence (not judgements, or drafted before confidences existed),
    each by id.
    """
    return sorted(drafts, key=lambda d: (d.confidence is None, d.confidence or 0.0, d.id))


def _pretty(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def unknown_draft(draft_id: object) -> UserError:
    """The error for a draft id that is not in the store (or that no draft can have)."""
    shown = str(draft_id)[:40]
    return UserError(
        f"下書き {shown} はありません。`copilot review list` で番号を確かめてください。",
        f"there is no draft {shown}; look up its number with `copilot review list`.",
    )


def draft_number(value: object) -> int:
    """``value`` as a draft id: a whole number from 1 to SQLite's largest integer.

    A number typed in the UI or the CLI arrives as an int, a float or a string; anything else
    (negative, fractional, out of SQLite's range, not a number) is a draft that does not exist.

    Raises:
        UserError: the unknown-draft error, naming ``value``.

    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= MAX_ID:
        raise unknown_draft(value)
    return number


def draft_payload(kind: str, payload: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """The payload as plain JSON, validated against the kind's model when it has one."""
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    if not isinstance(data, dict):
        raise UserError(
            "下書きの内容は JSON のオブジェクト（{…}）にしてください。",
            "a draft's content must be a JSON object ({…}).",
        )
    model = DRAFT_MODELS.get(kind)
    if model is not None:
        try:
            data = model.model_validate(data).model_dump(mode="json")
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(全体)'}: {e['msg']}"
                for e in exc.errors()[:5]
            )
            raise UserError(
                f"内容が {kind}（{model.__name__}）の形式に合いません: {problems}。"
                "項目を直してください。",
                f"the content does not fit {kind} ({model.__name__}): {problems}; fix the fields.",
            ) from exc
    try:
        return json.loads(json.dumps(data, ensure_ascii=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise UserError(
            "下書きの内容を JSON にできません（日付やパスは文字列にしてください）。",
            "the draft's content is not JSON-serialisable (give dates and paths as strings).",
        ) from exc


def require_text(value: str, what_ja: str, what_en: str) -> str:
    """``value`` stripped; an error asking for ``what_ja`` / ``what_en`` when it is empty."""
    text = (value or "").strip()
    if not text:
        raise UserError(f"{what_ja}を入力してください。", f"give {what_en}.")
    return text


def insert_draft(
    conn: sqlite3.Connection, actor: str, run_id: int, kind: str, key: str, text: str, at: str
) -> int:
    """Store a new draft with its first version (JSON ``text``) and log its creation."""
    cur = conn.execute(
        "INSERT INTO drafts (run_id, kind, key, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
        (run_id, kind, key, at, actor),
    )
    draft_id = int(cur.lastrowid)  # type: ignore[arg-type]
    conn.execute(
        "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
        "VALUES (?, 1, ?, ?, ?, '')",
        (draft_id, text, actor, at),
    )
    append(conn, actor, "create", run_id=run_id, draft_id=draft_id, version=1)
    return draft_id


class Drafts(Transactions):
    """The store's runs, drafts and versions (a part of ``ReviewStore``)."""

    def record_run(
        self,
        task: str,
        inputs: dict[str, Any],
        *,
        settings_digest: str,
        drafter: str,
        model: str,
        prompt: str,
        prompt_version: str,
        prompt_hash: str,
        evidence_ids: Iterable[str],
        user: str | User,
    ) -> int:
        """Record one task run (the keyword fields match ``schemas.Provenance``).

        Args:
            task: e.g. ``checklist`` or ``findings``.
            inputs: document ids and sha256s, checklist path, contract … (JSON; paths as text).
            settings_digest: digest of the settings the run used.
            drafter: ``evidence`` or ``llm``.
            model: the model name (or the drafter's name when no LLM).
            prompt: prompt name.
            prompt_version: prompt version.
            prompt_hash: hash of the rendered template.
            evidence_ids: clause ids the drafts rest on.
            user: who ran it (an auditor or a lead).

        Returns:
            The run's id.

        Raises:
            UserError: unknown user or one without the auditor/lead role.

        """
        inputs_json = json.dumps(inputs, ensure_ascii=False, default=str)
        evidence_json = json.dumps(list(evidence_ids), ensure_ascii=False)
        task = require_text(task, "タスク名", "a task name")

        def tx(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "auditor", "lead").name
            cur = conn.execute(
                "INSERT INTO runs (task, inputs, settings_digest, drafter, model, prompt, "
                "prompt_version, prompt_hash, evidence_ids, user, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task,
                    inputs_json,
                    settings_digest,
                    drafter,
                    model,
                    prompt,
                    prompt_version,
                    prompt_hash,
                    evidence_json,
                    actor,
                    now(),
                ),
            )
            run_id = int(cur.lastrowid)  # type: ignore[arg-type]
            append(conn, actor, "run", run_id=run_id)
            return run_id

        return self._write(tx)

    def list_runs(self, task: str) -> list[Run]:
        """The runs of one task, oldest first."""
        rows = self._read(
            lambda c: c.execute("SELECT * FROM runs WHERE task = ? ORDER BY id", (task,)).fetchall()
        )
        out = []
        for row in rows:
            data = dict(row)
            data["inputs"] = json.loads(data["inputs"])
            data["evidence_ids"] = json.loads(data["evidence_ids"])
            out.append(Run(**data))
        return out

    def get_run(self, run_id: int) -> Run:
        """One run.

        Raises:
            UserError: no such run.

        """
        row = self._read(
            lambda c: c.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        )
        if row is None:
            raise UserError(f"実行記録 {run_id} はありません。", f"there is no run {run_id}.")
        data = dict(row)
        data["inputs"] = json.loads(data["inputs"])
        data["evidence_ids"] = json.loads(data["evidence_ids"])
        return Run(**data)

    def add_draft(
        self,
        run_id: int,
        kind: str,
        key: str,
        payload: BaseModel | dict[str, Any],
        user: str | User,
    ) -> int:
        """Store a drafter's output as version 1 of a new draft.

        Args:
            run_id: the run that made it (``record_run``).
            kind: ``checklist_judgement``, ``finding``, ``answer`` … (lower-case name).
            key: what it is about, e.g. ``C-2026-001/1-1-1`` or ``福祉政策課/3``.
            payload: the validated draft (a model or its JSON dict).
            user: who ran the task (an auditor or a lead).

        Returns:
            The draft's id.

        Raises:
            UserError: bad kind or key, a payload that does not fit the kind's model, unknown
                run or user, or a user without the auditor/lead role.

        """
        if not _KIND.match(kind or ""):
            raise UserError(
                "種類は英小文字と _ の名前にしてください（例: finding）。",
                "a kind is a lower-case name with underscores (e.g. finding).",
            )
        key = require_text(
            key, "下書きのキー（例: C-2026-001/1-1-1）", "a key (e.g. C-2026-001/1-1-1)"
        )
        text = json.dumps(draft_payload(kind, payload), ensure_ascii=False)

        def tx(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "auditor", "lead").name
            if not conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise UserError(
                    f"実行記録 {run_id} はありません。先に record_run で記録してください。",
                    f"there is no run {run_id}; record it with record_run first.",
                )
            return insert_draft(conn, actor, run_id, kind, key, text, now())

        return self._write(tx)

    # --- reading ---

    def _drafts(self, where: str, args: tuple[object, ...]) -> list[Draft]:
        def tx(conn: sqlite3.Connection) -> list[Draft]:
            names = {r["name"]: r["display_name"] for r in conn.execute("SELECT * FROM users")}
            drafts = conn.execute(f"SELECT * FROM drafts {where} ORDER BY id", args).fetchall()
            chosen = f"SELECT id FROM drafts {where}"
            versions: dict[int, list[Version]] = {}
            for v in conn.execute(
                f"SELECT * FROM versions WHERE draft_id IN ({chosen}) ORDER BY draft_id, version",
                args,
            ):
                versions.setdefault(v["draft_id"], []).append(
                    Version(
                        draft_id=v["draft_id"],
                        version=v["version"],
                        payload=json.loads(v["payload"]),
                        author=v["author"],
                        author_display=names.get(v["author"], v["author"]),
                        created_at=v["created_at"],
                        comment=v["comment"],
                    )
                )
            logs: dict[int, list[LogRecord]] = {}
            for r in conn.execute(
                f"SELECT * FROM log WHERE draft_id IN ({chosen}) ORDER BY seq", args
            ):
                logs.setdefault(r["draft_id"], []).append(
                    LogRecord(**dict(r), actor_display=names.get(r["actor"], r["actor"]))
                )
            out = []
            for d in drafts:
                if d["id"] not in versions:
                    continue  # inserted behind the store's back; verify() reports it
                log = logs.get(d["id"], [])
                statuses = [STATUS_OF[r.action] for r in log if r.action in STATUS_OF]
                out.append(
                    Draft(
                        **dict(d),
                        status=statuses[-1] if statuses else "draft",
                        versions=tuple(versions[d["id"]]),
                        log=tuple(log),
                    )
                )
            return out

        return self._read(tx)

    def list_drafts(
        self,
        status: str | Iterable[str] | None = None,
        kind: str | None = None,
        key_prefix: str | None = None,
    ) -> list[Draft]:
        """Drafts with their versions and log, oldest first, optionally filtered.

        Args:
            status: one status or several (``draft``, ``approved``, ``approved_with_edits``,
                ``rejected``).
            kind: e.g. ``finding``.
            key_prefix: e.g. ``C-2026-001/``.

        Raises:
            UserError: an unknown status.

        """
        wanted = {status} if isinstance(status, str) else set(status or ())
        unknown = wanted - set(STATUSES)
        if unknown:
            raise UserError(
                f"状態 {', '.join(sorted(unknown))} はありません（{', '.join(STATUSES)}）。",
                f"unknown status {', '.join(sorted(unknown))}; use one of {', '.join(STATUSES)}.",
            )
        clauses, args = [], []
        if kind:
            clauses.append("kind = ?")
            args.append(kind)
        if key_prefix:
            clauses.append("substr(key, 1, ?) = ?")
            args += [len(key_prefix), key_prefix]
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        drafts = self._drafts(where, tuple(args))
        return [d for d in drafts if not wanted or d.status in wanted]

    def get_draft(self, draft_id: int) -> Draft:
        """One draft with all its versions and log records.

        Raises:
            UserError: no such draft.

        """
        found = self._drafts("WHERE id = ?", (draft_number(draft_id),))
        if not found:
            raise unknown_draft(draft_id)
        return found[0]

    def history(self, draft_id: int) -> list[LogRecord]:
        """The log records of one draft, oldest first.

        Raises:
            UserError: no such draft.

        """
        return list(self.get_draft(draft_id).log)

    def diff(self, draft_id: int, v1: int, v2: int) -> str:
        """A unified diff of two versions' pretty-printed JSON ("" when they are the same).

        Raises:
            UserError: no such draft or version.

        """
        versions = {v.version: v for v in self.get_draft(draft_id).versions}
        for v in (v1, v2):
            if v not in versions:
                raise UserError(
                    f"下書き {draft_id} に第{v}版はありません（第1〜{len(versions)}版）。",
                    f"draft {draft_id} has no version {v} (1 to {len(versions)}).",
                )
        return "".join(
            difflib.unified_diff(
                _pretty(versions[v1].payload).splitlines(keepends=True),
                _pretty(versions[v2].payload).splitlines(keepends=True),
                fromfile=f"draft {draft_id} v{v1}",
                tofile=f"draft {draft_id} v{v2}",
            )
        )
