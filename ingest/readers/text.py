"""Plain text and Markdown files."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.readers.blocks import Block, Notify, quiet

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError(
        str(path),
        "文字コードを判別できません。UTF-8 で保存し直してください。",
        "unknown text encoding; save the file as UTF-8.",
    )


def read_text(path: Path, say: Notify = quiet) -> list[Block]:
    """Plain text and Markdown: one block per line; '#' headings carry their level."""
    blocks = []
    markdown = path.suffix.lower() == ".md"
    for line in _decode(path).splitlines():
        m = _MD_HEADING.match(line) if markdown else None
        if m:
            blocks.append(Block(m.group(2), heading_level=len(m.group(1))))
        else:
            blocks.append(Block(line.rstrip()))
    return blocks
