"""The review of a draft: edits, sign-off (approve, reject) with separation of duties, reopening.

Each is a log record; an edit and a re-opening also add a version, so nothing is overwritten.
An edit may not change a draft's ``provenance`` (the run's record is the provenance that counts).
Only a ``lead`` (主任担当者) signs off and reopens; an ``auditor`` or a lead edits.

Each takes ``seen_version``: the version the person read. When another version was added since,
the change is refused inside the same write transaction, with who saved what and the changed
fields, so that nobody signs off a text they never saw and no edit silently replaces another
(the UI always sends it; the CLI's ``--version``; None: the latest, whatever it is).

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
from copilot.review.drafts import draft_number, draft_payload, require_text, unknown_draft
from copilot.review.labels import status_ja
from copilot.review.log import STATUS_OF, append, canonical, now
from copilot.review.reruns import machine_version
from copilot.review.users import User, require_role

__all__ = ["SELF_APPROVAL", "SignOff"]

SELF_APPROVAL = "self_approval"  # the subject of a sign-off made with separate_duties off
SHOWN_FIELDS = 5  # changed fields named in a refusal (then "and N more")
SHOWN_CHARS = 60  # characters of each value shown there


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    """The fields that differ between two versions' contents, in Japanese and English."""
    every = dict.fromkeys([*old, *new])
    keys = [k for k in every if canonical(old.get(k)) != canonical(new.get(k))]
    if not keys:
        return "内容の変更はありません（差戻しによる版）", "no change of content (a reopening)"
    parts = [
        f"{k}: 「{_short(old[k]) if k in old else '（なし）'}」→"
        f"「{_short(new[k]) if k in new else '（なし）'}」"
        for k in keys[:SHOWN_FIELDS]
    ]
    more = len(keys) - SHOWN_FIELDS
    ja = "／".join(parts) + (f"／ほか {more} 項目" if more > 0 else "")
    en = "; ".join(parts) + (f"; {more} more fields" if more > 0 else "")
    return ja, en


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
                f"下書き {draft_id} は{status_ja(status)}で、確定しています。内容を変えるには、先に"
                "主任担当者が理由を添えて差し戻し、下書きに戻してください。",
                f"draft {draft_id} is already {status}; a lead must first reopen it, giving a "
                "reason, to make it a draft again.",
            )

    @staticmethod
    def _check_seen(
        conn: sqlite3.Connection, draft_id: int, seen: int | None, latest: sqlite3.Row
    ) -> None:
        """Refuse when versions were added after ``seen`` (the one the person read)."""
        if seen is None or seen == latest["version"]:
            return
        last = latest["version"]
        if isinstance(seen, bool) or not isinstance(seen, int) or not 1 <= seen < last:
            raise UserError(
                f"下書き {draft_id} に版 {seen} はありません（最新は版 {latest['version']}）。"
                "もう一度開いて確認してください。",
                f"draft {draft_id} has no version {seen} (the latest is {latest['version']}); "
                "open it again and check it.",
            )
        names = {r["name"]: r["display_name"] for r in conn.execute("SELECT * FROM users")}
        rows = conn.execute(
            "SELECT version, author, payload FROM versions WHERE draft_id = ? AND version >= ? "
            "ORDER BY version",
            (draft_id, seen),
        ).fetchall()
        later = [(names.get(r["author"]) or r["author"], r["version"]) for r in rows[1:]]
        ja, en = _changes(json.loads(rows[0]["payload"]), json.loads(rows[-1]["payload"]))
        who_ja = "、".join(f"{name} が版 {v}" for name, v in later)
        who_en = ", ".join(f"{name} saved version {v}" for name, v in later)
        raise UserError(
            f"下書き {draft_id} は、表示した版 {seen} のあとに {who_ja} を保存しました。"
            f"変更点: {ja}。もう一度開いて確認してください。",
            f"draft {draft_id} changed after version {seen}, the one shown: {who_en}. "
            f"Changes: {en}. Open it again and check it.",
        )

    def edit(
        self,
        draft_id: int,
        new_payload: BaseModel | dict[str, Any],
        user: str | User,
        comment: str = "",
        *,
        seen_version: int | None = None,
    ) -> int:
        """Add an edited version; the earlier ones stay as they were.

        Args:
            draft_id: the draft (in status draft).
            new_payload: the whole new content, validated against the kind's model.
            user: an auditor or a lead.
            comment: why it was changed.
            seen_version: the version the edit was made on (None: the latest).

        Returns:
            The new version number.

        Raises:
            UserError: unknown draft, signed off already, a version added after
                ``seen_version``, unchanged or invalid content, or a user without the
                auditor/lead role.

        """
        draft_id = draft_number(draft_id)

        def tx(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "auditor", "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            self._check_seen(conn, draft_id, seen_version, latest)
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

    def approve(
        self,
        draft_id: int,
        user: str | User,
        comment: str = "",
        *,
        seen_version: int | None = None,
    ) -> str:
        """Sign off the latest version.

        Args:
            draft_id: the draft (in status draft).
            user: a lead (主任担当者).
            comment: optional remark.
            seen_version: the version the lead read (None: the latest).

        Returns:
            ``approve``, or ``approve_with_edits`` when the latest version is not the drafter's.

        Raises:
            UserError: unknown draft, already signed off, the user is not a lead, a version
                added after ``seen_version``, or (with ``separate_duties``) the user wrote the
                draft's content.

        """
        draft_id = draft_number(draft_id)

        def tx(conn: sqlite3.Connection) -> str:
            actor = require_role(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            self._check_seen(conn, draft_id, seen_version, latest)
            own = self._own_work(conn, draft_id, actor, latest)
            (original,) = conn.execute(  # the drafter's: version 1, or a re-run's version
                "SELECT payload FROM versions WHERE draft_id = ? AND version = ?",
                (draft_id, machine_version(conn, draft_id)),
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

    def reject(
        self,
        draft_id: int,
        user: str | User,
        comment: str,
        *,
        seen_version: int | None = None,
    ) -> None:
        """Reject the latest version, saying why (``seen_version``: the one the lead read).

        Raises:
            UserError: no comment, unknown draft, already signed off, not a lead, or a version
                added after ``seen_version``.

        """
        draft_id = draft_number(draft_id)
        comment = require_text(comment, "却下の理由（コメント）", "a reason (the comment)")

        def tx(conn: sqlite3.Connection) -> None:
            actor = require_role(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            self._must_be_draft(draft_id, status)
            self._check_seen(conn, draft_id, seen_version, latest)
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

    def reopen(
        self,
        draft_id: int,
        user: str | User,
        reason: str,
        *,
        seen_version: int | None = None,
    ) -> int:
        """Put a signed-off draft back in draft, as a new version (a copy of the latest).

        Reopening undoes a lead's sign-off, so it is a lead's (主任担当者) decision too.

        Returns:
            The new version number.

        Raises:
            UserError: no reason, unknown draft, still a draft, a user who is not a lead, or a
                version added after ``seen_version`` (the one the lead read).

        """
        draft_id = draft_number(draft_id)
        reason = require_text(reason, "差し戻す理由", "a reason for reopening")

        def tx(conn: sqlite3.Connection) -> int:
            actor = require_role(conn, user, "lead").name
            draft, status, latest = self._state(conn, draft_id)
            if status == "draft":
                raise UserError(
                    f"下書き {draft_id} はまだ確定していないので、差し戻す必要はありません。",
                    f"draft {draft_id} is not signed off yet; there is nothing to reopen.",
                )
            self._check_seen(conn, draft_id, seen_version, latest)
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
