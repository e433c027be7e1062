"""Who may replace an indexed document with new content, and the log record of each replacement.

A file whose document id is already in the index with other content (another sha256) is a new
version of that document. The index keeps the previous version, whose clauses approved drafts
still cite (``ingest.index``); this module decides who may make the new version current and
records who did in the review store's hash-chained log (``replace_document``):

- in the app, only a lead (主任担当者) who ticked 「既存の文書を新しい版で置き換える」: an
  auditor or an admin is refused, a lead without the tick is asked for it, and nothing changes;
- at the terminal (``copilot ingest``) the person there owns the data folder, whatever their
  role: once the review store has users, a replacement needs the acting user named (``--user`` or
  COPILOT_USER, authenticated like the other commands) so that the log can say who; before any
  user exists the version is kept and there is no log to write to.

A file with the same content is unchanged: no new version, no record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from copilot.errors import UserError
from copilot.review.store import ReviewStore
from copilot.review.users import User
from ingest.index import ClauseIndex, DocumentRecord
from ingest.pipeline import sha256_file

__all__ = ["CONFIRM_LABEL", "Replacing"]

CONFIRM_LABEL = "既存の文書を新しい版で置き換える"  # the lead's tick in 文書管理


@dataclass
class Replacing:
    """How one ingest treats new content for known documents (see the module docstring).

    ``actor`` gives the acting user when first needed (the CLI authenticates only then), or
    None when nobody is named.
    """

    store: ReviewStore | None  # where replacements are recorded (None: no review store yet)
    actor: Callable[[], User | None]
    in_app: bool = False  # the app's rule: a lead, who confirmed
    confirmed: bool = False
    _user: list[User | None] = field(default_factory=list)
    _refused: list[UserError] = field(default_factory=list)  # a failed login is not retried

    @classmethod
    def app(cls, store: ReviewStore, user: User, confirmed: bool) -> Replacing:
        """The app's rule for ``user``: only a lead who ticked the confirmation replaces."""
        return cls(store, lambda: user, in_app=True, confirmed=confirmed)

    @classmethod
    def terminal(cls, store: ReviewStore | None, actor: Callable[[], User | None]) -> Replacing:
        """The CLI's rule: the named user replaces (one must be named once users exist)."""
        return cls(store, actor)

    def user(self) -> User | None:
        """The acting user (asked for once; a refusal is given again, never asked again).

        Raises:
            UserError: the named user could not log in.

        """
        if self._refused:
            raise self._refused[0]
        if not self._user:
            try:
                self._user.append(self.actor())
            except UserError as exc:
                self._refused.append(exc)
                raise
        return self._user[0]

    def _logged(self) -> bool:
        """Whether replacements are logged: a review store that has users."""
        return self.store is not None and bool(self.store.list_users())

    def check(self, old: DocumentRecord, sha256: str) -> None:
        """Refuse new content (``sha256``) for ``old`` unless the rule allows it.

        Raises:
            UserError: an auditor or admin in the app; a lead who did not confirm; at the
                terminal, no user named while the review store has users.

        """
        if sha256 == old.sha256:
            return
        if self.in_app:
            user = self.user()
            if user is None or user.role != "lead":
                raise UserError(
                    f"同じ名前の文書 {old.doc_id} が既にあり、内容が異なります。"
                    f"置き換えは主任担当者が「{CONFIRM_LABEL}」を選んで行います"
                    "（前の版は残ります）。別の文書なら、ファイル名を変えて取り込んでください。",
                    f"a document {old.doc_id} of that name already exists with other content; "
                    f"only a lead replaces it, by ticking 「{CONFIRM_LABEL}」 (the earlier version "
                    "is kept). If it is another document, rename the file and upload it again.",
                )
            if not self.confirmed:
                raise UserError(
                    f"同じ名前の文書 {old.doc_id} が既にあり、内容が異なります。"
                    f"新しい版で置き換えるには「{CONFIRM_LABEL}」にチェックを入れて、"
                    "もう一度取り込んでください"
                    "（前の版は残り、承認済みの下書きの引用から参照できます）。",
                    f"a document {old.doc_id} of that name already exists with other content; to "
                    f"replace it with a new version, tick 「{CONFIRM_LABEL}」 and upload again "
                    "(the earlier version is kept for the citations of approved drafts).",
                )
            return
        if self._logged() and self.user() is None:
            raise UserError(
                f"文書 {old.doc_id} の内容が変わっています。新しい版に置き換えたことを審査記録に"
                "残すため、操作する利用者を --user NAME（または COPILOT_USER）で指定してください"
                "（前の版は残ります）。",
                f"document {old.doc_id} has changed; name the acting user with --user NAME (or "
                "COPILOT_USER) so that the review log records who replaced it (the earlier "
                "version is kept).",
            )

    def record(self, old: DocumentRecord, new: DocumentRecord, kept: str) -> None:
        """Log that the acting user replaced ``old`` by ``new`` (kept as ``kept``)."""
        if not self._logged():
            return  # no users yet: nobody to name, and the version is kept all the same
        user = self.user()
        if self.store is None or user is None:
            return
        self.store.record_document_change(
            "replace_document", old.doc_id, old.sha256, user, new.sha256, kept
        )

    def check_files(self, index: ClauseIndex, files: dict[str, Path]) -> None:
        """``check`` every file (by the document id it will have) before any is stored.

        Raises:
            UserError: the first file the rule refuses.

        """
        for doc_id, path in files.items():
            old = index.document(doc_id)
            if old is not None:
                self.check(old, sha256_file(path))
