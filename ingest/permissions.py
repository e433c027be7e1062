"""Owner-only state: folders 0700, files 0600 under the data folder.

The data folder holds contracts' text and the review store, so only the account that runs the
copilot may read it. Three layers, because the libraries that write into it (SQLite, Chroma,
bm25s) create files with the process umask and take no mode: the CLI sets ``OWNER_ONLY_UMASK``
for its whole run (``copilot serve`` included); the folders this program creates are made 0700
explicitly, so nothing under them is reachable by others even where a library wrote a 0644 file;
and the index tightens its files after writing them. ``widened(root)`` lists what is still open
to others (``copilot status`` warns about it).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["OWNER_ONLY_UMASK", "PRIVATE_DIR", "PRIVATE_FILE", "private_mkdir", "tighten", "widened"]

OWNER_ONLY_UMASK = 0o077
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_mkdir(path: Path) -> None:
    """Create ``path`` and its missing parents, each readable by the owner only."""
    missing: list[Path] = []
    p = Path(path)
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode passes through the umask; be exact


def _entries(root: Path) -> list[Path]:
    """``root`` and everything under it (links not followed)."""
    if not root.exists():
        return []
    return [root, *sorted(root.rglob("*"))]


def tighten(root: Path) -> None:
    """Take group and other permissions off ``root`` and everything under it that we own."""
    uid = os.getuid()
    for p in _entries(Path(root)):
        try:
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode) or st.st_uid != uid or not st.st_mode & _OTHERS:
                continue
            os.chmod(p, stat.S_IMODE(st.st_mode) & ~_OTHERS)
        except FileNotFoundError:
            continue  # removed while we walked (a library's temporary file)


def widened(root: Path) -> list[Path]:
    """``root`` and the paths under it that group or others may read, write or enter."""
    out = []
    for p in _entries(Path(root)):
        try:
            st = p.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISLNK(st.st_mode) and st.st_mode & _OTHERS:
            out.append(p)
    return out
