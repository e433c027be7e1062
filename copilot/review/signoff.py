"""The review of a draft: edits, sign-off (approve, reject) with separation of duties, reopening.

Each is a log record; an edit and a re-opening also add a version, so nothing is overwritten.
An edit may not change a draft's ``provenance`` (the run's record is the provenance that counts).
Only a ``lead`` (主任担当者) signs off; an ``auditor`` or a lead edits and reopens.

Separation of duties (``separate_duties``, on by default): nobody approves a draft whose content
they wrote (ran the task that drafted it, or edited a version). With it off, such a sign-off is
allowed and its log record says so (``subject`` = ``self_approval``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pydantic import BaseModel

from copilot.errors import UserError
from copilot.review.db import Transactions
from copilot.review.drafts import draft_payload, require_text, unknown_draft
from copilot.review.log import STATUS_OF, append, canonical, now
from copilot.review.users import User, require_role

__all__ = ["SELF_APPROVAL", "SignOff"]

SELF_APPROVAL = "self_approval"  # the subject of a sign-off made with separate_duties off


class SignOff(Transactions):
    """Edits, sign-offs and re-openings of drafts (a part of ``ReviewStore``)."""

    separate_duties: bool

    @staticmethod
    def _state(conn: sqlite3.Connection, draft_id: int) -> tuple[sqlite3.Row, str, sqlite3.Row]:
        """The draft row, its status and its latest version row."""
        draft = conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if draft is None:
            raise unknown_draft(draft_id)
        last = conn.execute(
            "SELECT action FROM log WHERE draft_id = ? AND action IN "
            f"({', '.join('?' * len(STATUS_OF))}) ORDER BY seq DESC LIMIT 1",
            (draft_id, *STATUS_OF),
        ).fetchone()
        latest = conn.execute(
            "SELECT * FROM versions WHERE draft_id = ? ORDER BY version DESC LIMIT 1", (draft_id,)
        ).fetchone()
        return draft, STATUS_OF[last["action"]] if last else "draft", latest

    @staticmethod
    def _must_be_draft(draft_id: int, status: str) -> None:
        if status != "draft":
            raise UserError(
                f"下書き {draft_id} は確定済み（{status}）です。変更するには先に"
                f" `copilot review reopen {draft_id} --comment 理由` で差し戻してください。",
                f"draft {draft_id} is already {status}; reopen it first with "
                f"`copilot review reopen {draft_id} --comment REASON`.",
            )

    def edit(
        self,
        draft_id: int,
        new_payload: BaseModel | dict[str, Any],
        user: str | User,
        comment: str = "",
    ) -> int:
        """Add an edited version; the earlier ones stay as they were.

        Args:
            draft_id: the draft (in status draft).
            new_payload: the whole new content, validated against the kind's model.
            user: an auditor or a lead.
            comment: why it was changed.

        Returns:
            The new version number.

        Raises:
            UserError: unknown draft, signed off already, unchanged or invalid content, or a
                user without the auditor/lead role.

        """

        def tx(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "auditor", "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            data = draft_payload(draft["kind"], new_payload)
            old = json.loads(latest["payload"])
            if data.get("provenance") is None and old.get("provenance") is not None:
                data["provenance"] = old["provenance"]  # an editor may leave it out
            if data.get("provenance") != old.get("provenance"):
                raise UserError(
                    "出所情報（provenance）は修正できません。元の値のままにするか、項目ごと"
                    "省いてください。",
                    "the provenance cannot be edited; keep it as it was or leave it out.",
                )
            if canonical(data) == canonical(old):
                raise UserError(
                    f"下書き {draft_id} の内容が変わっていません。修正した内容を渡してください。",
                    f"the content of draft {draft_id} is unchanged; give the edited content.",
                )
            version = latest["version"] + 1
            conn.execute(
                "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (draft_id, version, json.dumps(data, ensure_ascii=False), actor, now(), comment),
            )
            append(
                conn,
                actor,
                "edit",
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=version,
                comment=comment,
            )
            return version

        return self._write(tx)

    def approve(self, draft_id: int, user: str | User, comment: str = "") -> str:
        """Sign off the latest version.

        Args:
            draft_id: the draft (in status draft).
            user: a lead (主任担当者).
            comment: optional remark.

        Returns:
            ``approve``, or ``approve_with_edits`` when the latest version is not the drafter's.

        Raises:
            UserError: unknown draft, already signed off, the user is not a lead, or (with
                ``separate_duties``) the user wrote the draft's content.

        """

        def tx(conn: sqlite3.Connection) -> str:
            actor = require_role(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            own = self._own_work(conn, draft_id, actor, latest)
            (original,) = conn.execute(
                "SELECT payload FROM versions WHERE draft_id = ? AND version = 1", (draft_id,)
            ).fetchone()
            same = canonical(json.loads(original)) == canonical(json.loads(latest["payload"]))
            action = "approve" if same else "approve_with_edits"
            append(
                conn,
                actor,
                action,
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=latest["version"],
                subject=SELF_APPROVAL if own else None,
                comment=comment,
            )
            return action

        return self._write(tx)

    def _own_work(
        self, conn: sqlite3.Connection, draft_id: int, actor: str, latest: sqlite3.Row
    ) -> bool:
        """Whether ``actor`` wrote the draft's content; refused while duties are separate."""
        (wrote,) = conn.execute(
            "SELECT COUNT(*) FROM log WHERE draft_id = ? AND actor = ? "
            "AND action IN ('create', 'edit')",
            (draft_id, actor),
        ).fetchone()
        own = bool(wrote) or latest["author"] == actor
        if own and self.separate_duties:
            raise UserError(
                f"下書き {draft_id} は {actor} が作成・修正したものなので、{actor} は承認できま"
                "せん（職務の分離）。別の主任担当者に承認を依頼してください。一人で運用する場合は"
                "設定 COPILOT_SEPARATE_DUTIES=false で無効にできます（記録に残ります）。",
                f"{actor} drafted or edited draft {draft_id} and may not approve it (separation "
                "of duties); ask another lead to approve it. A one-person team can turn this off "
                "with COPILOT_SEPARATE_DUTIES=false (the sign-off then says so).",
            )
        return own

    def reject(self, draft_id: int, user: str | User, comment: str) -> None:
        """Reject the latest version, saying why.

        Raises:
            UserError: no comment, unknown draft, already signed off, or not a lead.

        """
        comment = require_text(comment, "却下の理由（--comment）", "a reason (--comment)")

        def tx(conn: sqlite3.Connection) -> None:
            actor = require_role(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            append(
                conn,
                actor,
                "reject",
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=latest["version"],
                comment=comment,
            )

        self._write(tx)

    def reopen(self, draft_id: int, user: str | User, reason: str) -> int:
        """Put a signed-off draft back in draft, as a new version (a copy of the latest).

        Returns:
            The new version number.

        Raises:
            UserError: no reason, unknown draft, still a draft, or a user without the
                auditor/lead role.

        """
        reason = require_text(reason, "差し戻す理由（--comment）", "a reason (--comment)")

        def tx(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "auditor", "lead").name
            draft, status, latest = self._state(conn, draft_id)
            if status == "draft":
                raise UserError(
                    f"下書き {draft_id} はまだ確定していないので、差し戻す必要はありません。",
                    f"draft {draft_id} is not signed off yet; there is nothing to reopen.",
                )
            version = latest["version"] + 1
            conn.execute(
                "INSERT INTO versions (draft_id, version, payload, author, created_at, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (draft_id, version, latest["payload"], actor, now(), reason),
            )
            append(
                conn,
                actor,
                "reopen",
                run_id=draft["run_id"],
                draft_id=draft_id,
                version=version,
                comment=reason,
            )
            return version

        return self._write(tx)
