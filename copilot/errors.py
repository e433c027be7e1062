"""Errors a user can cause, with Japanese and English messages that name the fix.

The tree (kept shallow on purpose)::

    UserError                      (ingest.errors; every message has .ja and .en)
    ├── UnreadableFileError        corrupt, encrypted, empty or unsupported file
    ├── EmbedderError              model missing, or not the one the index was built with
    ├── IndexMissingError          nothing ingested yet
    └── ConfigError                a setting that cannot work

Anything else that escapes is a programming error and shows a traceback.
"""

from __future__ import annotations

from ingest.errors import EmbedderError, UnreadableFileError, UserError

__all__ = ["ConfigError", "EmbedderError", "IndexMissingError", "UnreadableFileError", "UserError"]


class IndexMissingError(UserError):
    """The index is empty or absent."""

    def __init__(self) -> None:
        super().__init__(
            "索引がまだありません。先に `copilot ingest <フォルダ>` を実行してください。",
            "there is no index yet; run `copilot ingest <folder>` first.",
        )


class ConfigError(UserError):
    """A setting has a value that cannot work."""
