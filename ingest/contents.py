"""A list of contents (目次) inside a document's text: found so that it is never read as structure.

A list of contents repeats the headings of the body, often with page numbers. Read as clauses it
would open the body's numbering early and, under a 「目次」 heading, make the whole body a part of
a spurious 目次 level. ``contents_lines`` finds its lines, by general rules:

- it starts at a line that is only 目次 (「目次」「目　次」「【目次】」「もくじ」「Contents」), at
  two entries in a row that end in a leader and a page number (「第1章 総則 ……… 3」), or at three
  lines in a row that end in a page number after a tab or wide space, the first of them naming
  a heading that comes again later;
- an entry ends in a page number (after a leader, a tab or wide space), or is a short line without
  a sentence end that comes again later in the body (the heading it lists);
- a short line without a sentence end between entries (a wrapped entry, a group's name) belongs
  to it when an entry follows within two lines;
- it ends at the first other line, or where its first entry comes again: the body has begun.

A PDF's contents are set apart by its reader already (``readers.pdf_structure``); this finds the
ones that reach the splitter as text: plain text, Markdown, Word, text extracted by others.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

_TITLE = re.compile(
    r"^[【\[［(（〈《<]?(?:目次|もくじ|contents|tableofcontents)[】\]］)）〉》>]?$", re.IGNORECASE
)
# 「……… 12」「・・・12」「.... 12」: a leader, then a page number at the end
_LEADER = re.compile(
    r"(?:\.{3,}|…{2,}|‥{2,}|・{3,}|·{3,}|･{3,}|-{4,}|_{4,}|－{3,})\s*[\-–]?\s*\d{1,4}\s*$"
)
# 「第1章　総則　　3」「1.1 目的\t5」: a page number after a tab or wide space
_PAGE = re.compile(r"(?:\t|[ \u3000]{2,}|\u3000)[\-–]?\s*\d{1,4}[\-–]?\s*$")
_SENTENCE = ("。", "．")
_ENTRY_MAX = 80  # characters of an entry without its page number
_KEY = 4  # characters that index the lines for the search for a heading that comes again


def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", text))


def _key(line: str) -> str:
    """An entry's words: without its leader and page number, spaces and width differences."""
    line = _LEADER.sub("", line)
    line = _PAGE.sub("", line)
    return _norm(line).rstrip(".…‥・·･-_")


def is_contents_title(line: str) -> bool:
    """Whether a line is only the word 目次 (or its like)."""
    return bool(_TITLE.match(_norm(line)))


def _paged(line: str) -> bool:
    return bool(_LEADER.search(line) or _PAGE.search(line.rstrip()))


def _short(line: str) -> bool:
    s = line.strip(" \t\u3000")
    return 0 < len(s) <= _ENTRY_MAX and "。" not in s and not s.endswith(_SENTENCE)


class _Later:
    """Where a heading comes again: the lines indexed by their first characters."""

    def __init__(self, lines: list[str]) -> None:
        self.norms = [_norm(x) for x in lines]
        self.by_start: dict[str, list[int]] = defaultdict(list)
        for i, n in enumerate(self.norms):
            if n:
                self.by_start[n[:_KEY]].append(i)

    def after(self, key: str, index: int) -> int | None:
        """The first line after ``index`` that is, or begins with, ``key``."""
        if len(key) < 2:
            return None
        for i in self.by_start.get(key[:_KEY], []):
            if i > index and self.norms[i].startswith(key):
                return i
        return None


def contents_lines(lines: list[str], table_rows: set[int] | None = None) -> set[int]:
    """Indices of the lines that make up a list of contents (its 目次 title included).

    ``table_rows`` are never part of one (a table is the body's own).
    """
    rows = table_rows or set()
    later: _Later | None = None  # built once a list of contents is seen
    found: set[int] = set()
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        following = _next_filled(lines, i)
        titled = i not in rows and is_contents_title(line)
        leaders = (
            i not in rows
            and following is not None
            and following not in rows
            and bool(_LEADER.search(line) and _LEADER.search(lines[following]))
        )
        paged = not (titled or leaders) and _paged_run(lines, i, rows)
        if paged:
            later = later or _Later(lines)
            paged = later.after(_key(line), i) is not None
        if not (titled or leaders or paged):
            i += 1
            continue
        # under a title the entries follow it; two leader lines are entries themselves, and so
        # are three lines with page numbers that name a heading of the body
        later = later or _Later(lines)
        end = _extent(lines, i if titled else i - 1, later, rows)
        found.update(range(i, end))
        i = max(end, i + 1)
    return found


def _paged_run(lines: list[str], i: int, rows: set[int]) -> bool:
    """Whether this line and the next two with text end in page numbers (and are no sentences)."""
    run = 0
    j: int | None = i
    while j is not None and run < 3:
        if j in rows or not _paged(lines[j]) or "。" in lines[j]:
            return False
        run += 1
        j = _next_filled(lines, j)
    return run == 3


def _next_filled(lines: list[str], i: int) -> int | None:
    for j in range(i + 1, min(len(lines), i + 4)):
        if lines[j].strip():
            return j
    return None


def _extent(lines: list[str], start: int, later: _Later, rows: set[int]) -> int:
    """The index just past the last entry of the contents that begins after ``start``."""
    first = ""
    end = start + 1
    j = start + 1
    while j < len(lines):
        line = lines[j]
        if j in rows:
            break
        if not line.strip():
            j += 1
            continue
        key = _key(line)
        if first and key == first:
            break  # the first entry again: the body has begun
        if _entry(line, key, j, later):
            first = first or key
            end = j + 1
            j += 1
            continue
        if _short(line) and any(
            _entry(lines[k], _key(lines[k]), k, later)
            for k in range(j + 1, min(len(lines), j + 3))
            if k not in rows and lines[k].strip()
        ):
            end = j + 1  # a wrapped entry or a group's name between entries
            j += 1
            continue
        break
    return end


def _entry(line: str, key: str, index: int, later: _Later) -> bool:
    """Whether a line is an entry: a page number at its end, or a heading that comes again."""
    if not key or len(key) > _ENTRY_MAX or is_contents_title(line):
        return False
    if _paged(line) and "。" not in key:
        return True
    return _short(line) and later.after(key, index) is not None
