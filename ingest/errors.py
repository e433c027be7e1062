"""The one base class for errors a user can cause.

It lives in ``ingest`` because ``ingest`` may import nothing of ours, and both rooms raise it;
``copilot.errors`` re-exports it and draws the whole tree.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad input, missing index, unreachable service.

    Carries a Japanese and an English message; both name the fix.
    """

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")
        self.ja = ja
        self.en = en

    def __str__(self) -> str:
        return f"{self.ja}\n{self.en}"


class UnreadableFileError(UserError):
    """A file that cannot be read: corrupt, encrypted, empty or of an unsupported type."""

    def __init__(self, path: str, ja_reason: str, en_reason: str) -> None:
        super().__init__(
            f"{path}: {ja_reason}",
            f"{path}: {en_reason}",
        )
        self.path = path


class EmbedderError(UserError):
    """The embedding model cannot be loaded or does not match the index."""
