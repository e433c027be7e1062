"""Import a city's external-service checklist from Excel, as the city hands it over.

Nothing is at a fixed position. The header row is found by its column names (設問, 確認項目,
回答, 備考 …); the id column is the one holding the most distinct item ids (1-1-1, ２－１, 3, (1)
…) and the text column is the one the header names as such, else the one with the most text on
item rows. A row holding one value in the id column, or one value that reads as a heading, is a
group header; an item whose id is the parent of the next item's id (1 before 1-1) is one too.
Guidance (確認の観点, 記載例 …) comes from columns of the main sheet or from another sheet, by id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from copilot.errors import UserError
from copilot.schemas import Checklist, ChecklistItem
from ingest.readers import read_sheet_rows

WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")
_DASHES = r"\-‐‑‒–—―ー−－"  # for character classes
_ID = (
    rf"(?:[A-Za-zＡ-Ｚａ-ｚ]{{1,2}}[{_DASHES}]?)?\d{{1,3}}(?:\s*[{_DASHES}.．]\s*\d{{1,3}}){{0,4}}"
    r"|[\u2460-\u2473]"  # ① … ⑳
)
_PREFIX = r"\s*(?:問|第|[QＱ]|[NＮ][OＯｏ][.．]?|№)?\s*"
_ID_CELL = re.compile(rf"^{_PREFIX}[(（]?({_ID})[)）]?[.．]?\s*$", re.I)
_LEADING_ID = re.compile(
    rf"^{_PREFIX}[(（]?({_ID})[)）]?(?:[.．、:：\s]+|(?=[^\d{_DASHES}.．]))(\S.*)$", re.I | re.S
)
_ANSWER = re.compile(
    r"(?:[□■☐☑☒✓✔○〇◯×✕△・/／|｜\s、,]|はい|いいえ|有り?|無し?|非?該当|対象外|済|未|可|否"
    r"|不?適|yes|no|n/a)+",
    re.I,
)
_PROMPT = re.compile(r"^[※＊*]|いいえの場合|理由|代替|記入欄|[:：]\s*$")
_HEADING = re.compile(r"^\s*(?:[【■◆●◎▼＜<［\[]|第\s*\d)")
_GUIDE_SHEET = re.compile(r"要領|解説|留意|手引|説明|ガイド|観点|記載例|記入例")
_ROLES = (  # first match wins: "確認の観点" is guidance, "チェック欄" an answer, "設問番号" an id
    ("example", ("例",)),
    ("guidance", ("観点", "解説", "留意", "着眼", "ポイント", "要領", "判断基準", "確認方法")),
    ("guidance", ("考え方", "説明", "注意")),
    ("answer", ("回答", "はい", "いいえ", "結果", "判定", "可否", "適否", "欄")),
    ("note", ("備考", "補足", "理由", "代替", "コメント", "特記", "メモ")),
    ("group", ("区分", "分類", "カテゴリ", "大項目", "中項目", "分野", "領域")),
    ("id", ("番号", "項番", "通番", "ID", "NO", "#")),
    ("text", ("項目", "内容", "事項", "質問", "設問", "要件", "基準", "点検", "確認", "チェック")),
)


@dataclass
class _Sheet:
    """What one sheet yielded: its items (text may be empty), title and column roles."""

    name: str
    title: str = ""
    items: list[ChecklistItem] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)

    def has(self, *roles: str) -> bool:
        """Whether the header names a column with one of these roles."""
        return any(r in roles for r in self.roles.values())


def import_checklist(path: Path) -> Checklist:
    """Read a city's checklist workbook into a `Checklist`, whatever its exact layout.

    Args:
        path: the workbook as the city handed it over: .xlsx or .xlsm, or an old Excel .xls or
            an OpenDocument .ods (read through a LibreOffice copy).

    Returns:
        The items of the sheet with the most item rows, in sheet order, each with its group
        (its group column, else the latest group header row above it) and the guidance and
        example found for its id on that sheet or on a guidance sheet.

    Raises:
        UserError: the file is missing, not an Excel workbook, corrupt or encrypted, holds no
            recognisable items, or has an item without text or two items with one id.

    """
    where = str(path)
    if not path.is_file():
        raise UserError(
            f"{where}: ファイルが見つかりません。パスを確認してください。",
            f"{where}: file not found; check the path.",
        )
    if path.suffix.lower() not in WORKBOOKS:
        raise UserError(
            f"{where}: チェックリストは Excel ブック（.xlsx、.xlsm、.xls）か .ods で"
            "指定してください。"
            "Excel で開き「Excel ブック（*.xlsx）」として保存し直してください。",
            f"{where}: the checklist must be an Excel workbook (.xlsx, .xlsm, .xls) or an .ods; "
            "open it in Excel and save it as 'Excel Workbook (*.xlsx)'.",
        )
    sheets = [_read_sheet(name, grid) for name, grid in _read_rows(path)]
    ranked = sorted(
        range(len(sheets)),
        key=lambda i: (_is_guidance(sheets[i]), -len(sheets[i].items), i),
    )
    if not sheets or not sheets[ranked[0]].items:
        raise _no_items(where, [s.name for s in sheets])
    main = sheets[ranked[0]]
    items = _checked(where, main)
    extra = _guidance([s for s in sheets if s is not main])
    items = [
        it.model_copy(
            update={
                "guidance": it.guidance or extra.get(it.id, ("", ""))[0],
                "example": it.example or extra.get(it.id, ("", ""))[1],
            }
        )
        for it in items
    ]
    return Checklist(title=main.title or path.stem, source=where, items=items)


def _read_rows(path: Path) -> list[tuple[str, list[list[str]]]]:
    """Every sheet's rows (a corrupt or encrypted workbook raises UnreadableFileError)."""
    return read_sheet_rows(path)


# --- one sheet -------------------------------------------------------------------------------


def _norm_id(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw)
    s = re.sub(rf"[{_DASHES}]", "-", s)
    return re.sub(r"\s+", "", s).upper()


def _cell_id(cell: str) -> str | None:
    m = _ID_CELL.match(cell)
    return _norm_id(m[1]) if m else None


def _leading_id(cell: str) -> tuple[str, str] | None:
    m = _LEADING_ID.match(cell)
    return (_norm_id(m[1]), m[2].strip()) if m else None


def _role(cell: str) -> str | None:
    h = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell)).upper()
    if not h or len(h) > 12 or _cell_id(h):
        return None
    for role, words in _ROLES:
        if any(w in h for w in words):
            return role
    return None


def _values(row: list[str]) -> list[str]:
    """Distinct non-empty cells, in order (a merged range counts once)."""
    return list(dict.fromkeys(c for c in row if c))


def _header(grid: list[list[str]]) -> tuple[int | None, dict[int, str]]:
    """The first row above the first id naming two known columns, and each named column's role."""
    for i, row in enumerate(grid):
        if any(_cell_id(cell) for cell in row):
            break
        roles = {c: r for c, cell in enumerate(row) if (r := _role(cell))}
        if len({row[c] for c in roles}) >= 2:
            return i, roles
    return None, {}


def _cell(row: list[str], col: int | None) -> str:
    return row[col] if col is not None and col < len(row) else ""


def _id_column(grid: list[list[str]], roles: dict[int, str], start: int) -> tuple[int, bool]:
    """The column with the most distinct ids; and whether ids share their cell with the text."""
    alone: dict[int, set[str]] = {}
    leading: dict[int, set[str]] = {}
    for row in grid[start:]:
        for c, cell in enumerate(row):
            if ident := _cell_id(cell):
                alone.setdefault(c, set()).add(ident)
            elif lead := _leading_id(cell):
                leading.setdefault(c, set()).add(lead[0])

    def best(found: dict[int, set[str]]) -> int:
        return max(found, key=lambda c: (len(found[c]), roles.get(c) == "id", -c))

    if not alone and not leading:
        return -1, False
    if not alone or (leading and len(leading[best(leading)]) > 2 * len(alone[best(alone)])):
        return best(leading), True
    return best(alone), False


def _text_column(grid: list[list[str]], rows: list[int], idc: int, roles: dict[int, str]) -> int:
    """The column the header names as the item text, else the one with most text on item rows."""
    width = max(len(grid[i]) for i in rows)

    def score(c: int) -> tuple[bool, bool, int, int]:
        cells = [grid[i][c] for i in rows if c < len(grid[i]) and grid[i][c] != grid[i][idc]]
        good = [x for x in cells if x and not _ANSWER.fullmatch(x)]
        named = roles.get(c) == "text" and 2 * len(good) >= len(rows)
        return named, roles.get(c) in (None, "text"), len(good), sum(map(len, good))

    return max((c for c in range(width) if c != idc), key=score, default=idc)


def _first(roles: dict[int, str], role: str) -> int | None:
    return min((c for c, r in roles.items() if r == role), default=None)


def _read_sheet(name: str, grid: list[list[str]]) -> _Sheet:
    """Items, groups and title of one sheet; nothing is checked here."""
    head, roles = _header(grid)
    start = 0 if head is None else head + 1
    idc, combined = _id_column(grid, roles, start)
    sheet = _Sheet(name, roles=roles)
    if idc < 0:
        return sheet

    def split(row: list[str]) -> tuple[str, str] | None:
        cell = _cell(row, idc)
        if combined:
            return _leading_id(cell)
        ident = _cell_id(cell)
        return (ident, "") if ident else None

    rows = [i for i in range(start, len(grid)) if split(grid[i])]
    txc = idc if combined else _text_column(grid, rows, idc, roles)
    gdc, exc = _first(roles, "guidance"), _first(roles, "example")
    gcols = [c for c, r in roles.items() if r == "group" and c not in (idc, txc)]
    above = range(head if head is not None else (rows[0] if rows else 0))
    title_row = next((i for i in above if _is_title(grid[i])), None)
    if title_row is not None:
        sheet.title = _values(grid[title_row])[0]

    events: list[tuple[str, ...] | ChecklistItem] = []  # ("group", text) or an item
    last: tuple[int, str] | None = None  # (row, id) of the previous item row
    for i in range(start, len(grid)):
        row = grid[i]
        values = _values(row)
        found = split(row) if values and i != title_row else None
        text = (found[1] if combined else _cell(row, txc)) if found else ""
        if found and (combined or text != _cell(row, idc)):
            ident = found[0]
            if last == (i - 1, ident) and isinstance(events[-1], ChecklistItem):
                if text == events[-1].text or _PROMPT.search(text):
                    last = (i, ident)  # an id cell merged down over its reason row
                    continue
            events.append(
                ChecklistItem(
                    id=ident,
                    group=" ".join(_values([_cell(row, c) for c in gcols])),
                    text=text.strip(),
                    guidance=_cell(row, gdc),
                    example=_cell(row, exc),
                    sheet=name,
                    row=i + 1,
                )
            )
            last = (i, ident)
        elif len(values) == 1 and i != title_row and _is_group(values[0], _cell(row, idc)):
            events.append(("group", values[0].strip()))
    sheet.items = _grouped(events)
    return sheet


def _is_title(row: list[str]) -> bool:
    values = _values(row)
    return (
        len(values) == 1
        and not _PROMPT.search(values[0])
        and not _leading_id(values[0])
        and not _cell_id(values[0])
    )


def _is_group(value: str, id_cell: str) -> bool:
    if _PROMPT.search(value):
        return False
    return value == id_cell or bool(_HEADING.match(value) or _leading_id(value))


def _is_parent(ident: str, child: str) -> bool:
    return child.startswith((ident + "-", ident + "."))


def _grouped(events: list[tuple[str, ...] | ChecklistItem]) -> list[ChecklistItem]:
    """Items with their group: a group column's, else the latest group row's.

    An item whose id is the parent of the next item's id (1 before 1-1) is a group row too.
    """
    items: list[ChecklistItem] = []
    group = ""
    for k, ev in enumerate(events):
        if not isinstance(ev, ChecklistItem):
            group = ev[1]
            continue
        nxt = next((e for e in events[k + 1 :] if isinstance(e, ChecklistItem)), None)
        if nxt is not None and _is_parent(ev.id, nxt.id):
            group = f"{ev.id} {ev.text}".strip()
            continue
        items.append(ev.model_copy(update={"group": ev.group or group}))
    return items


def _is_guidance(sheet: _Sheet) -> bool:
    """A sheet of guidance by id (記入要領): guidance or example columns, no answer column."""
    return sheet.has("guidance", "example") and not sheet.has("answer")


# --- checks and guidance ---------------------------------------------------------------------


def _checked(where: str, sheet: _Sheet) -> list[ChecklistItem]:
    """The main sheet's items, once every item has text and a unique id."""
    items = sheet.items
    for it in items:
        if not it.text:
            raise UserError(
                f"{where}: シート「{sheet.name}」の{it.row}行目（設問 {it.id}）に確認項目の文が"
                "ありません。文を記入するか、この行の番号を消してください。",
                f"{where}: sheet '{sheet.name}', row {it.row} (item {it.id}) has no item text; "
                "fill in the text or remove the number from that row.",
            )
    if len({it.id for it in items}) < len(items):
        items = _qualified(items)
    seen: dict[str, ChecklistItem] = {}
    for it in items:
        if it.id in seen:
            first = seen[it.id]
            raise UserError(
                f"{where}: シート「{sheet.name}」の{first.row}行目と{it.row}行目で設問番号"
                f"「{it.id}」が重複しています。どちらかの番号を直してください。",
                f"{where}: sheet '{sheet.name}', rows {first.row} and {it.row} both have item "
                f"id '{it.id}'; renumber one of them.",
            )
        seen[it.id] = it
    return items


def _qualified(items: list[ChecklistItem]) -> list[ChecklistItem]:
    """Ids that restart in every numbered group ((1), (2) … under 1, 2 …) prefixed by the group."""
    heads = [_leading_id(it.group) for it in items]
    plain = all(re.fullmatch(r"[A-Z]*\d+", it.id) for it in items)
    firsts = {it.id for k, it in enumerate(items) if k == 0 or it.group != items[k - 1].group}
    if not (all(heads) and plain and len(firsts) == 1):
        return items
    ids = [f"{h[0]}-{it.id}" for h, it in zip(heads, items, strict=True) if h]
    if len(set(ids)) < len(ids):
        return items
    return [it.model_copy(update={"id": i}) for i, it in zip(ids, items, strict=True)]


def _guidance(others: list[_Sheet]) -> dict[str, tuple[str, str]]:
    """Guidance and example by id from the other sheets that carry them."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for sheet in others:
        as_text = not sheet.has("guidance", "example") and _GUIDE_SHEET.search(sheet.name)
        if not (sheet.has("guidance", "example") or as_text):
            continue
        for it in sheet.items:
            guide, example = found.setdefault(it.id, ([], []))
            pairs = ((guide, it.text if as_text else it.guidance), (example, it.example))
            for bucket, value in pairs:
                if value and value not in bucket:
                    bucket.append(value)
    return {k: ("\n".join(g), "\n".join(e)) for k, (g, e) in found.items()}


def _no_items(where: str, names: list[str]) -> UserError:
    looked = "、".join(f"「{n}」" for n in names) or "（シートなし）"
    looked_en = ", ".join(f"'{n}'" for n in names) or "(no sheets)"
    return UserError(
        f"{where}: チェックリストの設問が見つかりません（確認したシート：{looked}）。"
        "設問番号（例：1-1-1、2-1、1）の列と確認項目の文の列がある表にしてください。"
        "見出し行には「設問」「確認項目」「回答」などの列名を付けてください。",
        f"{where}: no checklist items found (sheets looked at: {looked_en}); expected a table "
        "with a column of item ids (e.g. 1-1-1, 2-1, 1) and a column of item text, ideally under "
        "a header row naming them (設問, 確認項目, 回答 …).",
    )
