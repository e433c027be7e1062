"""A task run again over the same things: its drafts become new versions, never duplicates.

``record_rerun`` records a run and, in the same write transaction, puts each of its drafts
where an auditor expects it (the rule is the checklist's, ``copilot.review.checklist_runs``):

- no draft of that kind and key yet: a new draft (version 1), as ``add_draft`` makes;
- the newest draft of that kind and key is unsigned (a draft, or one a lead reopened): the run's
  content becomes its next version, logged as an ``edit`` of the new run with subject
  ``RERUN`` (so the history says which run wrote it, and a reviewer who opened an earlier
  version is refused on save or sign-off, as ``seen_version`` requires);
- it is signed off (approved, approved with edits, or rejected): left as it is. A lead who
  wants it judged again reopens it (差戻し), and the next run adds its version.

Nothing is half-written: either the run and all its drafts and versions are stored, or none.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from copilot.review.db import Transactions
from copilot.review.drafts import draft_payload, insert_draft, require_text
from copilot.review.log import STATUS_OF, append, now
from copilot.review.users import User, require_role

__all__ = ["RERUN", "Placed", "Reruns", "machine_version"]

RERUN = "rerun"  # the subject of the edit record that a re-run's version is logged with

Outcome = Literal["created", "version", "signed"]


@dataclass(frozen=True)
class Placed:
    """Where one draft of a re-run went."""

    key: str
    draft_id: int
    outcome: Outcome  # a new draft, a new version of the existing one, or left (signed off)
    version: int  # the draft's latest version after the run
    replaced_edit: bool = False  # the version before it was a person's edit (kept in history)


def machine_version(conn: sqlite3.Connection, draft_id: int) -> int:
    """The newest version of a draft that a task run wrote (1, or a re-run's), not a person."""
    row = conn.execute(
        "SELECT version FROM log WHERE draft_id = ? AND (action = 'create' OR "
        "(action = 'edit' AND subject = ?)) ORDER BY seq DESC LIMIT 1",
        (draft_id, RERUN),
    ).fetchone()
    return int(row["version"]) if row else 1


def _newest(conn: sqlite3.Connection, kind: str, key: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM drafts WHERE kind = ? AND key = ? ORDER BY id DESC LIMIT 1", (kind, key)
    ).fetchone()


def _status(conn: sqlite3.Connection, draft_id: int) -> str:
    last = conn.execute(
        "SELECT action FROM log WHERE draft_id = ? AND action IN "
        f"({', '.join('?' * len(STATUS_OF))}) ORDER BY seq DESC LIMIT 1",
        (draft_id, *STATUS_OF),
    ).fetchone()
    return STATUS_OF[last["action"]] if last else "draft"


class Reruns(Transactions):
    """Runs whose drafts update the drafts of an earlier run (a part of ``ReviewStore``)."""

    def record_rerun(
        self,
        task: str,
        inputs: dict[str, Any],
        fields: dict[str, Any],
        kind: str,
        drafts: Iterable[tuple[str, BaseModel | dict[str, Any]]],
        user: str | User,
        comment: str = "",
    ) -> tuple[int, list[Placed]]:
        """Record a run and place each of its drafts by the module's rule, in one transaction.

        Args:
            task: the run's task, e.g. ``checklist_run``.
            inputs: what went in (JSON), as ``record_run`` takes it.
            fields: ``record_run``'s keyword fields (drafter, model, prompt …, evidence_ids).
            kind: the drafts' kind, e.g. ``checklist_judgement``.
            drafts: ``(key, payload)`` of each draft the run made, e.g. ``C-2026-001/1-1-1``.
            user: who ran it (an auditor or a lead).
            comment: the comment of each new version (what the history shows beside it).

        Returns:
            The run's id, and where each draft went, in the order given.

        Raises:
            UserError: a user without the auditor/lead role, or a payload that does not fit.

        """
        task = require_text(task, "タスク名", "a task name")
        texts = [
            (require_text(key, "下書きのキー", "a key"), draft_payload(kind, payload))
            for key, payload in drafts
        ]
        inputs_json = json.dumps(inputs, ensure_ascii=False, default=str)
        evidence_json = json.dumps(list(fields.get("evidence_ids", [])), ensure_ascii=False)
        run_cols = ("settings_digest", "drafter", "model", "prompt", "prompt_version")

        def tx(conn: sqlite3.Connection) -> tuple[int, list[Placed]]:
            actor = require_role(conn, user, "auditor", "lead").name
            at = now()
            cur = conn.execute(
                "INSERT INTO runs (task, inputs, settings_digest, drafter, model, prompt, "
                "prompt_version, prompt_hash, evidence_ids, user, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task,
                    inputs_json,
                    *(str(fields.get(c, "")) for c in run_cols),
                    str(fields.get("prompt_hash", "")),
                    evidence_json,
                    actor,
                    at,
                ),
            )
            run_id = int(cur.lastrowid)  # type: ignore[arg-type]
            append(conn, actor, "run", run_id=run_id)
            return run_id, [self._place(conn, actor, run_id, kind, k, d, comment) for k, d in texts]

        return self._write(tx)

    @staticmethod
    def _place(
        conn: sqlite3.Connection,
        actor: str,
        run_id: int,
        kind: str,
        key: str,
        data: dict[str, Any],
        comment: str,
    ) -> Placed:
        text = json.dumps(data, ensure_ascii=False)
        at = now()
        old = _newest(conn, kind, key)
        if old is None:
            draft_id = insert_draft(conn, actor, run_id, kind, key, text, at)
            return Placed(key, draft_id, "created", 1)
        draft_id = int(old["id"])
        (latest,) = conn.execute(
            "SELECT MAX(version) FROM versions WHERE draft_id = ?", (draft_id,)
        ).fetchone()
        if _status(conn, draft_id) != "draft":
            return Placed(key, draft_id, "signed", int(latest))
        last_content = conn.execute(
            "SELECT action, subject FROM log WHERE draft_id = ? AND action IN "
            "('create', 'edit', 'reopen') ORDER BY seq DESC LIMIT 1",
            (draft_id,),
        ).fetchone()
        edited = bool(
            last_content and last_content["action"] == "edit" and last_content["subject"] != RERUN
        )
        version = int(latest) + 1
        conn.execute(
            "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (draft_id, version, text, actor, at, comment),
        )
        append(
            conn,
            actor,
            "edit",
            run_id=run_id,
            draft_id=draft_id,
            version=version,
            subject=RERUN,
            comment=comment,
        )
        return Placed(key, draft_id, "version", version, replaced_edit=edited)
