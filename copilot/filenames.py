"""File names made from what people type, and the paths the server agrees to read.

Two rules keep files where they belong:

- A name taken from data (a division, a contract id, a document title, an uploaded file's name)
  becomes a file name only through ``safe_name``, and a path only through ``inside``, which
  resolves the result and refuses it unless it lies inside the intended folder.
- A file named by a person is read only through ``readable``: nothing inside the data folder
  except its owned sub-folders (``OWNED``). The data folder holds SQLite databases; a plain
  ``open()`` and ``close()`` of one of them in a process that has it open drops every POSIX lock
  that process holds on it (SQLite's documented hazard), after which writes can go to a WAL that
  another process has already deleted.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from copilot.errors import UserError

# Sub-folders of the data folder that hold files people gave us (uploads, Gradio's upload cache,
# engagement files put there to be offered by the UI): reading these is fine
OWNED = ("uploads", "gradio", "engagements")

# Windows cannot create these names (with or without an extension); downloads go to Windows PCs
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?")
# Separators, Windows-forbidden characters, and control characters (NUL included)
_FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
# Other control, format (e.g. right-to-left override) and line/paragraph separator characters
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")
MAX_NAME_BYTES = 200  # UTF-8 bytes; file systems allow 255, and callers add a short prefix
_SUFFIX = re.compile(r"\.[0-9A-Za-z]{1,10}$")  # kept when a long name is cut


def safe_name(text: str) -> str:
    """One file-name component from free text: no separators, no leading dots, never reserved.

    Separators, characters Windows forbids, control and format characters become ``_``;
    leading dots and spaces and trailing dots and spaces (which Windows drops) are removed; a
    name Windows reserves (``CON``, ``NUL.txt`` …) gets a leading ``_``; a long name is cut to
    ``MAX_NAME_BYTES`` bytes of UTF-8 on a character boundary, keeping its extension.

    Raises:
        UserError: nothing usable is left (an empty name, or only dots and separators).

    """
    name = _FORBIDDEN.sub("_", unicodedata.normalize("NFC", text or ""))
    name = "".join("_" if unicodedata.category(c) in _INVISIBLE else c for c in name)
    name = name.strip(" .\u3000")
    if not name.strip("_"):
        raise UserError(
            f"「{text}」からはファイル名を作れません。文字を含む名前にしてください。",
            f"cannot make a file name from {text!r}; use a name with letters in it.",
        )
    if _RESERVED.fullmatch(name):
        name = f"_{name}"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = _SUFFIX.search(name)
    tail = suffix.group(0) if suffix else ""
    room = MAX_NAME_BYTES - len(tail.encode("utf-8"))
    stem = name[: len(name) - len(tail)].encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return stem.rstrip(" .") + tail


def inside(folder: Path, name: str | Path) -> Path:
    """``folder / name``, resolved (symlinks followed), refused unless it lies inside ``folder``.

    Raises:
        UserError: ``name`` is absolute, climbs out with ``..``, or leads out through a link.

    """
    root = folder.resolve()
    path = (root / name).resolve()
    if path == root or not path.is_relative_to(root):
        raise UserError(
            f"「{name}」は書き出し先のフォルダの外を指しています。",
            f"{str(name)!r} points outside the folder it must be written to.",
        )
    return path


def readable(path: Path, data_dir: Path) -> Path:
    """A file a person named, resolved, refused where it lies in the data folder's own files.

    Inside the data folder only its owned sub-folders (``OWNED``: uploads, Gradio's cache,
    engagement files) may be read; the databases and the index never are (symlinks followed).

    Raises:
        UserError: the path lies inside the data folder outside ``OWNED``.

    """
    resolved = path.expanduser().resolve()
    root = data_dir.expanduser().resolve()
    if resolved.is_relative_to(root) and not any(
        resolved.is_relative_to(root / owned) for owned in OWNED
    ):
        raise UserError(
            f"{path}: データフォルダの中のファイルは読み込めません（審査記録と索引の保護）。"
            "別の場所のファイルを指定してください。",
            f"{path}: files inside the data folder cannot be read (they hold the review store "
            "and the index); give a file elsewhere.",
        )
    return resolved
