"""A PDF's own structure: headings, their numbers, its table of contents and printed page numbers.

- **Table of contents**: a line with a leader (…… / ..... / ・・・) and a page number, and the
  目次 heading, is never text of the document. Its entries (number, title, indent) are kept to
  recognise the headings they name.
- **Headings**: a line set larger than the body text is a heading; its level is the rank of its
  size. A style found only on the first page (the cover) is the title (level 0). Where the PDF has
  an outline (bookmarks), the outline decides: a line that is an entry's title is a heading of
  the entry's depth.
- **Numbers**: a heading whose number is not in the text layer (Word draws a multilevel list's
  number apart, often as an image) gets it as ``label``: from the outline or the contents when
  they show it, else, when an image or a blank stands where the number would be and the heading
  above it is numbered N, the k-th such heading under N is N.k.
- **Printed pages**: /PageLabels when they are numbers; else a bare number at the top or bottom
  of a page, when most numbered pages agree on one offset from the physical page. Pages between
  two numbered pages follow the same offset; the others (a cover, the contents) keep their
  physical number.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any

from ingest.readers.pdf_layout import ITEM_START, Line

_LEADER = re.compile(
    r"(?:\.{4,}|…{2,}|‥{2,}|・{3,}|·{4,}|･{3,}|-{5,}|_{5,})\s*[\-–]?\s*(\d{1,4})[\-–]?\s*$"
)
_BARE_ENTRY = re.compile(r"^(.{2,80}?)[\s\u3000]{2,}(\d{1,4})$")
_CONTENTS = re.compile(r"^(?:目[\s\u3000]*次|もくじ|contents|table of contents)$", re.IGNORECASE)
_NUMBER = re.compile(
    r"^[\s\u3000]*((?:第[0-9０-９一二三四五六七八九十百]+[章節款条部編])"
    r"|(?:[0-9０-９]+(?:[.．\-][0-9０-９]+)*[.．]?))[\s\u3000]*(.*)$"
)
_FOLIO = re.compile(r"^[\s\-－—–ー‐]*(?:p\.?\s*)?(\d{1,4})(?:\s*/\s*\d+)?[\s\-－—–ー‐]*$", re.I)
_SENTENCE_END = ("。", "．")


def norm(text: str) -> str:
    """Text compared without spaces and width differences."""
    return re.sub(r"[\s\u3000]+", "", unicodedata.normalize("NFKC", text))


def split_number(title: str) -> tuple[str, str]:
    """A heading's leading number (as written, NFKC) and the rest."""
    m = _NUMBER.match(title)
    if not m or not m.group(2):
        return "", title.strip()
    return unicodedata.normalize("NFKC", m.group(1)), m.group(2).strip()


# ---------------------------------------------------------------- table of contents


def mark_contents(pages: list[list[Line]]) -> list[dict[str, Any]]:
    """Drop the table of contents; return its entries (number, title, indent, page).

    A TOC line has a leader and a page number. On a page with a 目次 heading or mostly TOC
    lines, a title followed by wide space and a number is one too, and so is the first part of
    an entry wrapped onto two lines.
    """
    entries: list[dict[str, Any]] = []
    for lines in pages:
        texts = [ln for ln in lines if not ln.drop and ln.cells is None]
        leader = [bool(_LEADER.search(ln.text)) for ln in texts]
        heading = any(_CONTENTS.match(norm(ln.text)) for ln in texts)
        toc_page = heading or (texts and sum(leader) * 2 >= len(texts))
        for i, ln in enumerate(texts):
            m = _LEADER.search(ln.text)
            bare = _BARE_ENTRY.match(ln.text) if toc_page and not m else None
            if _CONTENTS.match(norm(ln.text)):
                ln.drop = True
                continue
            if m or bare:
                title = ln.text[: m.start()] if m else bare.group(1)
                page = int(m.group(1) if m else bare.group(2))
                number, rest = split_number(title)
                entries.append(
                    {"number": number, "title": rest, "x0": ln.x0, "page": page, "line": ln}
                )
                ln.drop = True
            elif (
                toc_page
                and i + 1 < len(texts)
                and leader[i + 1]
                and not ln.text.endswith(_SENTENCE_END)
            ):
                ln.drop = True  # an entry wrapped onto the next line
                ln.extra["toc_head"] = True
    # the indents of the entries are their levels
    indents = sorted({round(e["x0"] / 4) for e in entries})
    for e in entries:
        e["level"] = indents.index(round(e["x0"] / 4)) + 1
    return entries


# ---------------------------------------------------------------- outline


def outline_entries(reader: Any) -> list[dict[str, Any]]:
    """The outline (bookmarks) as entries: number, title, depth (1-based), physical page."""
    out: list[dict[str, Any]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item) + 1
            except Exception:  # noqa: BLE001 - a broken destination: the entry without a page
                page = None
            number, rest = split_number(str(getattr(item, "title", "") or ""))
            if rest:
                out.append({"number": number, "title": rest, "level": depth, "page": page})

    try:
        walk(list(reader.outline or []), 1)
    except Exception:  # noqa: BLE001 - a malformed outline is only a missed hint
        return []
    return out


# ---------------------------------------------------------------- headings


def _candidates(lines: list[Line]) -> list[Line]:
    return [
        ln for ln in lines if ln.placed and ln.cells is None and not ln.drop and ln.text.strip()
    ]


def body_size(lines: list[Line]) -> float:
    """The size most characters of the text are set in."""
    sizes: Counter[float] = Counter()
    for ln in _candidates(lines):
        sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _match(entries: list[dict[str, Any]], lines: list[Line]) -> int:
    """Mark the lines that are the entries' headings, in order; how many were found."""
    found = 0
    pos = 0
    flat = _candidates(lines)
    for e in entries:
        want = norm(e["title"])
        with_number = norm(f"{e['number']}{e['title']}")
        for j in range(pos, len(flat)):
            ln = flat[j]
            have = norm(ln.text)
            if have not in (want, with_number):
                continue
            ln.level = e["level"]
            own, _ = split_number(ln.text)
            if e["number"] and not own:
                ln.label = e["number"].rstrip(".．")
            found += 1
            pos = j + 1
            break
    return found


def mark_headings(
    lines: list[Line], outline: list[dict[str, Any]], contents: list[dict[str, Any]], pages: int
) -> None:
    """Give heading lines their level and, where the text lacks it, their number."""
    if outline and _match(outline, lines) >= 2:
        _number_in_order(lines)
        return
    for ln in lines:
        ln.level = None
        ln.label = ""
    body = body_size(lines)
    styles: dict[tuple[float, bool], list[Line]] = {}
    for ln in _candidates(lines):
        big = ln.size >= body + 0.4 and ln.size >= body * 1.04
        if big and len(ln.text) <= 60 and not ln.text.endswith(_SENTENCE_END):
            styles.setdefault((round(ln.size * 2) / 2, ln.bold), []).append(ln)
    ranked = sorted(styles, key=lambda k: (-k[0], not k[1]))
    level = 0
    for key in ranked:
        group = styles[key]
        if pages > 1 and all(ln.page == 1 for ln in group):
            for ln in group:
                ln.level = 0  # the cover's title
            continue
        level += 1
        for ln in group:
            ln.level = level
    if contents:
        by_title = {norm(e["title"]): e for e in contents}
        for ln in _candidates(lines):
            own, rest = split_number(ln.text)
            e = by_title.get(norm(rest))
            if e is None:
                continue
            whole = (norm(e["title"]), norm(e["number"] + e["title"]))
            if ln.level is None and norm(ln.text) in whole:
                ln.level = e["level"]
            if ln.level and e["number"] and not own:
                ln.label = e["number"].rstrip(".．")
    _number_in_order(lines)


def _number_in_order(lines: list[Line]) -> None:
    """Number the headings whose number is drawn apart: under heading N, the k-th is N.k."""
    numbers: dict[int, tuple[str, ...]] = {}
    counters: dict[int, int] = {}
    for ln in lines:
        if not ln.level or ln.drop:
            continue
        lv = ln.level
        for deeper in [k for k in numbers if k >= lv]:
            del numbers[deeper]
        for deeper in [k for k in counters if k > lv]:
            del counters[deeper]
        own, _ = split_number(ln.text)
        number = ln.label or own
        if not number and ln.marked and numbers.get(lv - 1):
            counters[lv] = counters.get(lv, 0) + 1
            number = ".".join((*numbers[lv - 1], str(counters[lv])))
            ln.label = number
        elif number and re.fullmatch(r"[\d.．\-]+", number):
            parts = tuple(p for p in re.split(r"[.．\-]", number) if p)
            if parts and parts[-1].isdigit():
                counters[lv] = int(parts[-1])
        if number and re.fullmatch(r"[\d.．\-]+", number):
            numbers[lv] = tuple(p for p in re.split(r"[.．\-]", number) if p)


_LEAD_IN_ENDS = ("。", "．", "、", "，", ",")


def mark_lead_ins(lines: list[Line]) -> None:
    """Make a list's lead-in a heading one level below the heading it stands under.

    A lead-in is a short line in the body's type, set apart from the paragraph above by a blank
    line's space and followed closely by a numbered or bulleted item (「期待する効果」 above
    (1)…(3)). Read as text it would end the clause before it; as a heading it heads the items.
    """
    level = 0
    placed = [ln for ln in lines if ln.placed]
    for above, ln, below in zip(placed, placed[1:], placed[2:], strict=False):
        if above.level is not None and not above.extra.get("lead_in"):
            level = above.level
        if (
            ln.cells is not None
            or below.cells is not None
            or ln.level is not None
            or ln.label
            or below.level is not None
            or not (above.page == ln.page == below.page)
            or len(norm(ln.text)) > 30
            or ln.text.rstrip().endswith(_LEAD_IN_ENDS)
            or ITEM_START.match(ln.text)
            or not ITEM_START.match(below.text)
        ):
            continue
        gap_above, gap_below = ln.top - above.bottom, below.top - ln.bottom
        if gap_above >= max(ln.size, 1.0) and gap_above > 2 * max(gap_below, 0.5):
            ln.level = level + 1
            ln.extra["lead_in"] = True


# ---------------------------------------------------------------- printed pages


def printed_pages(reader: Any, pages: list[list[Line]]) -> dict[int, int]:
    """The page number a person looks up, for each physical page (1-based)."""
    count = len(pages)
    try:
        has_labels = "/PageLabels" in reader.trailer["/Root"]
        labels = list(reader.page_labels) if has_labels else []
    except Exception:  # noqa: BLE001 - broken labels: fall back to the folios
        labels = []
    if labels:
        return {i + 1: int(lab) if lab.isdigit() else i + 1 for i, lab in enumerate(labels[:count])}
    folios: dict[int, int] = {}
    for number, lines in enumerate(pages, start=1):
        placed = [ln for ln in lines if ln.placed and ln.cells is None]
        if not placed:
            continue
        top = min(ln.top for ln in placed)
        bottom = max(ln.bottom for ln in placed)
        height = max(bottom - top, 1.0)
        for ln in placed:
            m = _FOLIO.match(ln.text)
            near_edge = ln.top - top < 0.08 * height or bottom - ln.bottom < 0.08 * height
            if m and near_edge:
                folios[number] = int(m.group(1))
                break
    offsets = Counter(p - n for p, n in folios.items())
    physical = {p: p for p in range(1, count + 1)}
    if not offsets:
        return physical
    offset, agree = offsets.most_common(1)[0]
    if agree < 2 or agree * 2 < len(folios):
        return physical
    numbered = [p for p, n in folios.items() if p - n == offset]
    first, last = min(numbered), max(numbered)
    out = dict(physical)
    for p in range(first, last + 1):
        out[p] = p - offset
    return out
