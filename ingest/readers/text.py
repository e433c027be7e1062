"""Plain text and Markdown files.

A text file may hold several sets of terms one after another (a provider's page with the terms of
each of its services). Then the line naming each set becomes a heading (level 1), so that a
clause's path begins with the name of the terms it belongs to: 「ホスティング > 第1章 > 第3条」
and not a bare 「第3条」 that four sets of terms share. A name is found

- just above a 第1条, with only blank lines, a chapter line (第1章) or an article caption
  (「（目的）」) between;
- as a line ending in 規約, 約款, ポリシー, 特約, ガイドライン or 契約書 on its own, at the top of
  the file or followed by numbering that starts again at 1;
- as a line repeating an entry of a list of contents that names such sets.

The 附則 of each set is a heading of level 2 below its name. A file in which fewer than two
names are found is read as before, line by line: one set of terms gets no heading invented for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.readers.blocks import Block, Notify, quiet

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

_DIGITS = "0-9０-９〇一二三四五六七八九十百"
_FIRST_ARTICLE = re.compile(r"^第[1１一]条")
_CHAPTER = re.compile(rf"^第[{_DIGITS}]+[章編部節款](?![{_DIGITS}])")
_CAPTION = re.compile(r"^[（(][^）)]{1,24}[）)]$")
# A line that starts with numbering, a bullet or a note is an item, not a name.
_ITEM_START = re.compile(
    rf"^(?:第[{_DIGITS}]+|[{_DIGITS}]+[\s\u3000.．)）、:：]|[（(［\[【「『]|[\u2460-\u2473]"
    r"|[・※＊*■□●○◆◇◎▼▽▲△\-－―─>＞]|[アイウエオカキクケコ][\s\u3000.．、])"
)
_FIRST_NUMBER = re.compile(r"^(?:第[1１一]条|[1１][\s\u3000.．)）、]|[（(][1１][）)]|①)")
_NUMBERED = re.compile(
    rf"^(?:第[{_DIGITS}]+条|[{_DIGITS}]+[\s\u3000.．)）、]|[（(][{_DIGITS}]+[）)])"
)
_SUPPLEMENT = re.compile(r"^附\s*則(?:[\s\u3000]*[（(][^）)]{1,30}[）)])?$")
_TERMS_WORD = re.compile(r"(?:規約|約款|ポリシー|特約|ガイドライン|契約書)$")
_NOT_A_NAME = ("附則", "目次", "以上", "前文", "別表", "別紙", "様式", "記")
_NAME_MAX = 40
_LOOKBACK = 3  # lines between a name and its 第1条: a chapter line and a caption, or blanks


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


def _stripped(line: str) -> str:
    return line.strip(" \t\u3000")


def _may_name(line: str) -> bool:
    """Whether a line could be the name of a set of terms: short, no sentence, no item."""
    s = _stripped(line)
    return (
        0 < len(s) <= _NAME_MAX
        and s[-1] not in "。、．，,:：；;"
        and "。" not in s
        and not _ITEM_START.match(s)
        and not s.startswith(_NOT_A_NAME)
    )


def _above_first_articles(lines: list[str]) -> set[int]:
    """Names just above each 第1条 (past a chapter line or a caption)."""
    found = set()
    for i, line in enumerate(lines):
        if not _FIRST_ARTICLE.match(_stripped(line)):
            continue
        j, skipped = i - 1, 0
        while j >= 0 and skipped <= _LOOKBACK:
            s = _stripped(lines[j])
            if s and not _CHAPTER.match(s) and not _CAPTION.match(s):
                if _may_name(s):
                    found.add(j)
                break
            j -= 1
            skipped += bool(s)
    return found


def _named_terms(lines: list[str], bounds: set[int]) -> set[int]:
    """Lines ending in 規約/約款/ポリシー… that open a set of terms (or title the file)."""
    found = set()
    first = next((i for i, line in enumerate(lines) if _stripped(line)), None)
    for i, line in enumerate(lines):
        s = _stripped(line)
        if not _may_name(s) or not _TERMS_WORD.search(s) or i in bounds:
            continue
        if i == first:
            found.add(i)
            continue
        for k in range(i + 1, len(lines)):
            t = _stripped(lines[k])
            if not t:
                continue
            if k in bounds:
                break  # the next set of terms begins first
            if _NUMBERED.match(t):
                if _FIRST_NUMBER.match(t):
                    found.add(i)
                break
            if _may_name(t) and _TERMS_WORD.search(t):
                break  # the next name comes before any numbering
    return found


def _listed_in_contents(lines: list[str], names: set[int]) -> set[int]:
    """Lines that repeat an entry of a list of contents naming at least two sets of terms.

    A list of contents is a run of name-like lines; an entry that no 第1条 follows (a set of terms
    given only as a pointer elsewhere) is still a set of its own where it comes again.
    """
    known = {_stripped(lines[i]) for i in names}
    found: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, ""]):
        if _stripped(line) and _may_name(line) and i not in names:
            run.append(i)
            continue
        entries = {_stripped(lines[j]) for j in run}
        if len(run) >= 2 and len(entries & known) >= 2:
            for k, other in enumerate(lines):
                if k not in run and k > run[-1] and _stripped(other) in entries:
                    found.add(k)
        run = []
    return found


def terms_headings(lines: list[str]) -> dict[int, int]:
    """Heading levels by line index, when a file holds two sets of terms or more.

    Each name of a set of terms is of level 1; its 附則 (supplementary provisions) of level 2, so
    that they are a part of the terms and not of its last article.
    """
    names = _above_first_articles(lines)
    names |= _listed_in_contents(lines, names)
    names |= _named_terms(lines, names)
    if len({_stripped(lines[i]) for i in names}) < 2:
        return {}
    levels = dict.fromkeys(names, 1)
    for i, line in enumerate(lines):
        if _SUPPLEMENT.match(_stripped(line)) and i > min(names):
            levels[i] = 2
    return levels


def read_text(path: Path, say: Notify = quiet) -> list[Block]:
    """Plain text and Markdown: one block per line; '#' headings carry their level.

    A .txt file with at least three '#' heading lines is read as Markdown.

    In a file of several sets of terms, the line naming each set is a heading of level 1.
    """
    blocks = []
    lines = _decode(path).splitlines()
    # A .txt written the Markdown way (text extracted from a structured source) has its '#' headings
    # read too; a stray line or two that begins with '#' in a plain file does not make it Markdown.
    markdown = path.suffix.lower() == ".md" or sum(1 for x in lines if _MD_HEADING.match(x)) >= 3
    for line in lines:
        m = _MD_HEADING.match(line) if markdown else None
        if m:
            blocks.append(Block(m.group(2), heading_level=len(m.group(1))))
        else:
            blocks.append(Block(line.rstrip()))
    if any(b.heading_level for b in blocks):
        return blocks  # the file's own headings say where each part starts
    for i, level in terms_headings(lines).items():
        blocks[i] = Block(blocks[i].text, heading_level=level)
    return blocks
