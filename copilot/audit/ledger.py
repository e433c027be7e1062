"""Check a contract's row of the external-service ledger (外部サービス利用管理台帳).

The header row is found by column names, so other cities' wording works (契約番号/契約No,
事業者名/提供事業者/受託者, 機密性/格付, 保管場所/データの所在, 認証/ISMAP …). Rows are matched
on the contract number (NFKC, spaces and hyphens ignored). Each field is compared at the level
of identifiers, never by fuzzy prose: the provider's name as written, the level of 機密性N, the
place words of a data location (国内, 海外, 東京都 …) and the names of certifications (ISMAP,
ISO/IEC 27001, 27017, SOC2 …). Every contract sentence of the contract's documents is looked at,
those retrieved for the field first, so "not mentioned" means not mentioned anywhere; the
evidence quoted is one whole sentence of a stored contract clause, passed through the citation
gate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.drafting.citations import gate
from copilot.drafting.registry import sentences
from copilot.errors import UserError
from copilot.schemas import Citation
from copilot.services import Services
from ingest.index import ClauseRecord
from ingest.normalise import squash
from ingest.readers import read_sheet_rows

Status = Literal["一致", "不一致", "契約書類に記載なし", "台帳に記載なし"]


class FieldCheck(BaseModel):
    """One ledger field compared with the contract's documents."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(description="照合項目（事業者名、機密性、データ保管場所、第三者認証）")
    column: str = Field(description="台帳の列名（列がないときは空）")
    ledger_value: str
    status: Status
    evidence: Citation | None = Field(default=None, description="契約書類の根拠となる一文")
    note: str = Field(description="判断の説明")


class LedgerRow(BaseModel):
    """One ledger row of the contract and the check of each of its fields."""

    model_config = ConfigDict(extra="forbid")

    sheet: str
    row: int
    number: str = Field(description="管理番号")
    service: str = Field(description="サービス名")
    division: str = Field(description="利用課")
    fields: list[FieldCheck]


class LedgerCheck(BaseModel):
    """The ledger check of one contract: its rows, or 未登録 when it has none."""

    model_config = ConfigDict(extra="forbid")

    contract: str
    ledger: str
    state: Literal["登録あり", "未登録"]
    rows: list[LedgerRow]
    note: str


# --- reading the ledger ----------------------------------------------------------------------

_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = (  # first match wins
    ("contract", re.compile(r"契約(?:管理)?(?:番号|NO|ID|コード)")),
    ("provider", re.compile(r"事業者|受託者|受注者|委託先|提供者|契約相手|ベンダ|業者名|提供元")),
    ("classification", re.compile(r"機密性|格付|情報の分類|重要度")),
    ("location", re.compile(r"保管場所|保存場所|所在|設置場所|データセンター|リージョン|保管先")),
    ("certification", re.compile(r"認証|ISMAP|第三者評価")),
    ("number", re.compile(r"^(?:管理|台帳|整理)?(?:番号|NO\.?)$")),
    ("service", re.compile(r"サービス名|システム名|名称|件名")),
    ("division", re.compile(r"利用課|所管課|担当課|所属|部署|利用部局")),
)
_CHECKED = (  # role, item name
    ("provider", "事業者名"),
    ("classification", "機密性"),
    ("location", "データ保管場所"),
    ("certification", "第三者認証"),
)
_DASH = re.compile(r"[\-‐‑‒–—―ー−－_]")


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def _role(cell: str) -> str | None:
    h = _key(cell)
    if not h or len(h) > 20:
        return None
    return next((role for role, pattern in _COLUMNS if pattern.search(h)), None)


def _header(grid: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """The first row naming a contract-number column and two other known columns."""
    for i, row in enumerate(grid):
        roles: dict[str, int] = {}
        for c, cell in enumerate(row):
            role = _role(cell)
            if role and role not in roles:
                roles[role] = c
        if "contract" in roles and len(roles) >= 3:
            return i, roles
    return None


def _cell(row: list[str], col: int | None) -> str:
    return row[col].strip() if col is not None and col < len(row) else ""


def _contract_key(text: str) -> str:
    return _DASH.sub("", _key(text))


def _matches(cell: str, contract: str) -> bool:
    """Whether a contract-number cell names the contract (several numbers may share a cell)."""
    want = _contract_key(contract)
    return any(_contract_key(part) == want for part in re.split(r"[、,，/／\n;；]", cell))


def _read_ledger(path: Path) -> list[tuple[str, int, dict[str, int], list[list[str]]]]:
    """Each sheet with a ledger header: its name, header row index, columns and grid."""
    where = str(path)
    if not path.is_file():
        raise UserError(
            f"{where}: 台帳のファイルが見つかりません。パスを確認してください。",
            f"{where}: ledger file not found; check the path.",
        )
    sheets = read_sheet_rows(path)
    found = [(name, *h, grid) for name, grid in sheets if (h := _header(grid))]
    if not found:
        looked = "、".join(f"「{name}」" for name, _ in sheets) or "（シートなし）"
        raise UserError(
            f"{where}: 外部サービス利用管理台帳の見出し行が見つかりません"
            f"（確認したシート：{looked}）。"
            "「契約番号」の列と「事業者名」「機密性」「データ保管場所」「第三者認証」などの列名を"
            "持つ見出し行を付けてください。",
            f"{where}: no ledger header row found (sheets looked at: "
            f"{', '.join(name for name, _ in sheets) or 'none'}); add a header row naming a "
            "contract-number column (契約番号) and columns such as 事業者名, 機密性, "
            "データ保管場所, 第三者認証.",
        )
    return found


# --- the contract's sentences ----------------------------------------------------------------


Sentence = tuple[ClauseRecord, str]


def _sentences(services: Services, contract: str, query: str) -> list[Sentence]:
    """Every sentence of the contract's documents, the clauses retrieved for the query first.

    Raises:
        UserError: the contract has no ingested documents.

    """
    hits = services.search(query, top_k=8, kind="contract", contract=contract)
    docs = [d for d in services.index.documents() if d.contract == contract]
    docs.sort(key=lambda d: (d.source.lower().endswith(".pdf"), d.doc_id))  # .pdf copies last
    clauses = {c.clause_id: c for d in docs for c in services.index.document_clauses(d.doc_id)}
    order = [h.clause_id for h in hits if h.clause_id in clauses]
    order += [cid for cid in clauses if cid not in order]
    pdf = {d.doc_id for d in docs if d.source.lower().endswith(".pdf")}
    kept: dict[str, ClauseRecord] = {}  # one clause per text: a .docx rather than its .pdf
    for cid in order:
        words = squash(clauses[cid].text)
        if words not in kept or (kept[words].doc_id in pdf and clauses[cid].doc_id not in pdf):
            kept[words] = clauses[cid]
    return [(c, s) for c in kept.values() for s in sentences(c.text)]


def _cite(found: Sentence | None) -> Citation | None:
    """A gate-checked citation of one sentence (None when there is none or it fails)."""
    if found is None:
        return None
    clause, quote = found
    cite = Citation(
        clause_id=clause.clause_id, document=clause.doc_id, clause_path=clause.path, quote=quote
    )
    good, _ = gate([cite], {clause.clause_id: clause})
    return good[0] if good else None


def _best(sents: list[Sentence], score: Callable[[str], int]) -> Sentence | None:
    """The sentence with the highest positive score (the earliest on a tie)."""
    scored = [(score(unicodedata.normalize("NFKC", s)), k) for k, (_, s) in enumerate(sents)]
    top = max(scored, key=lambda x: (x[0], -x[1]), default=(0, -1))
    return sents[top[1]] if top[0] > 0 else None


def _where(found: Sentence | None) -> str:
    return f"{found[0].title} {found[0].path}" if found else ""


_NONE = re.compile(r"^(?:なし|無し?|該当なし|[-ー―－]|未取得|NONE)$")
_UNKNOWN = re.compile(r"未確認|不明|確認中|未定|不詳")


# --- provider --------------------------------------------------------------------------------

_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|(?:一般|公益)(?:社団|財団)法人|特定非営利活動法人"
)
_PARTY = re.compile(r"受注者|受託者|乙|当社|事業者|提供者|相手方")


def _company(text: str) -> str:
    """A company name for comparison: NFKC, no spaces, (株) and (有) written out."""
    return _key(text).replace("(株)", "株式会社").replace("(有)", "有限会社")


def _check_provider(value: str, sents: list[Sentence]) -> tuple[Status, Sentence | None, str]:
    full = _company(value)
    core = _FORMS.sub("", full)

    def named(s: str, name: str) -> int:
        return (2 if _PARTY.search(s) else 1) if name in _company(s) else 0

    exact = _best(sents, lambda s: named(s, full))
    if exact:
        return "一致", exact, f"契約書類（{_where(exact)}）に事業者名「{value}」の記載があります。"
    if core and (near := _best(sents, lambda s: named(s, core))):
        return (
            "一致",
            near,
            f"契約書類（{_where(near)}）に「{value}」の名称があります（法人格の表記は異なります）。",
        )
    party = _best(sents, lambda s: int(bool(_PARTY.search(s) and _FORMS.search(_company(s)))))
    if party:
        return (
            "不一致",
            party,
            f"台帳の事業者名「{value}」は契約書類に見当たりません。契約の相手方の記載"
            f"（{_where(party)}）と台帳の記載を照合し、いずれかを訂正してください。",
        )
    return "契約書類に記載なし", None, "契約書類に契約の相手方（事業者名）の記載が見当たりません。"


# --- classification --------------------------------------------------------------------------

_LEVEL = re.compile(r"機密性\s*([1-3])(?!\s*(?:以上|以下|未満))")
_CLASSIFYING = re.compile(r"該当|分類|格付|取り扱う|取扱う")
_HANDLED = re.compile(r"取り扱う情報|取扱う情報|取り扱う|個人情報")


def _levels(text: str) -> set[str]:
    return set(_LEVEL.findall(unicodedata.normalize("NFKC", text)))


def _check_classification(value: str, sents: list[Sentence]) -> tuple[Status, Sentence | None, str]:
    level = _levels(value) or ({_key(value)} if _key(value) in ("1", "2", "3") else set())
    if not level:
        topic = _best(sents, lambda s: int(bool(_LEVEL.search(s))))
        return "台帳に記載なし", topic, f"台帳の値「{value}」から機密性の区分を読み取れません。"
    want = level.pop()

    def stated(s: str) -> int:
        return (2 if _CLASSIFYING.search(s) else 1) if _LEVEL.search(s) else 0

    same = _best(sents, lambda s: stated(s) if want in _levels(s) else 0)
    if same:
        return "一致", same, f"契約書類（{_where(same)}）でも機密性{want}とされています。"
    other = _best(sents, stated)
    if other:
        said = "、".join(f"機密性{x}" for x in sorted(_levels(other[1])))
        return (
            "不一致",
            other,
            f"台帳は機密性{want}としていますが、契約書類（{_where(other)}）は{said}としています。"
            "情報資産の分類を確認し、台帳又は契約書類を訂正してください。",
        )
    topic = _best(sents, lambda s: int(bool(_HANDLED.search(s))))
    return (
        "契約書類に記載なし",
        topic,
        f"台帳は機密性{want}としていますが、契約書類には取り扱う情報の機密性の区分が"
        "記載されていません。委託先が求められる取扱いを認識できるよう、仕様書等への明記を"
        "検討する必要があります。",
    )


# --- data location ---------------------------------------------------------------------------

_DOMESTIC = re.compile(r"国内(?!外)")
_ABROAD = re.compile(r"海外|国外|国内外|外国|米国|アメリカ|欧州|EU|シンガポール")
_PLACE = re.compile(r"東京都|北海道|京都府|大阪府|(?!都道府|道府|府県)[一-龥]{1,3}県")
_STORED = re.compile(r"保管|保存|所在|データセンター|サーバ|設置|リージョン")


def _places(text: str) -> tuple[bool, bool, set[str]]:
    """Whether a text says domestic, abroad, and the prefectures it names."""
    s = unicodedata.normalize("NFKC", text)
    places = set(_PLACE.findall(s))
    return bool(_DOMESTIC.search(s)) or bool(places), bool(_ABROAD.search(s)), places


def _check_location(value: str, sents: list[Sentence]) -> tuple[Status, Sentence | None, str]:
    located = [x for x in sents if _STORED.search(x[1]) and any(_places(x[1])[:2])]
    c_home = any(_places(s)[0] for _, s in located)
    c_abroad = any(_places(s)[1] for _, s in located)
    c_places = set().union(*(_places(s)[2] for _, s in located))
    l_home, l_abroad, l_places = _places(value)
    said = "、".join(sorted(c_places)) or ("国内" if c_home else "") or "国外"

    def covers(s: str) -> int:
        home, abroad, places = _places(s)
        return len(places & l_places) * 2 + int(home and l_home) + int(abroad and l_abroad)

    best = _best(located, covers) or (located[0] if located else None)
    if _UNKNOWN.search(value) or not (l_home or l_abroad):
        if not located:
            return (
                "契約書類に記載なし",
                None,
                f"台帳は「{value}」としており、契約書類にもデータの保管場所の記載がありません。"
                "記載は相互に矛盾しませんが、保管場所（国内外の別、準拠法を含む）を確認して"
                "いないこと自体が監査上の論点です。",
            )
        return (
            "不一致",
            best,
            f"台帳は「{value}」としていますが、契約書類（{_where(best)}）は保管場所を{said}と"
            "定めています。台帳を更新してください。",
        )
    if not located:
        return (
            "契約書類に記載なし",
            None,
            f"台帳は「{value}」としていますが、契約書類にデータの保管場所を定めた記載がなく、"
            "台帳の記載を裏付けることができません。",
        )
    if l_abroad != c_abroad or (l_home and not c_home):
        return (
            "不一致",
            best,
            f"台帳は「{value}」としていますが、契約書類（{_where(best)}）の定めとは国内外の別が"
            "異なります。",
        )
    if l_places and c_places and l_places != c_places:
        return (
            "不一致",
            best,
            f"台帳の所在地（{'、'.join(sorted(l_places))}）と契約書類（{_where(best)}）の所在地"
            f"（{'、'.join(sorted(c_places))}）が異なります。",
        )
    extra = (
        "" if c_places or not l_places else "（契約書類は国内とのみ定め、所在地は定めていません）"
    )
    return "一致", best, f"契約書類（{_where(best)}）の保管場所の定めと一致します{extra}。"


# --- certification ---------------------------------------------------------------------------

_CERTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ISMAP-LIU", re.compile(r"ISMAP\s*-?\s*LIU", re.I)),
    ("ISMAP", re.compile(r"ISMAP(?!\s*-?\s*LIU)", re.I)),
    ("ISO/IEC 27001", re.compile(r"27001(?!\d)|ISMS(?:認証|適合性評価)")),
    ("ISO/IEC 27017", re.compile(r"27017(?!\d)|ISMSクラウドセキュリティ")),
    ("ISO/IEC 27018", re.compile(r"27018(?!\d)")),
    ("ISO/IEC 27701", re.compile(r"27701(?!\d)")),
    ("SOC1", re.compile(r"SOC\s*1(?!\d)", re.I)),
    ("SOC2", re.compile(r"SOC\s*2(?!\d)", re.I)),
    ("SOC3", re.compile(r"SOC\s*3(?!\d)", re.I)),
    ("プライバシーマーク", re.compile(r"プライバシーマーク|Pマーク")),
)


def _certs(text: str) -> set[str]:
    s = unicodedata.normalize("NFKC", text)
    return {name for name, pattern in _CERTS if pattern.search(s)}


def _check_certification(value: str, sents: list[Sentence]) -> tuple[Status, Sentence | None, str]:
    stated = set().union(*(_certs(s) for _, s in sents))
    named = "、".join(sorted(stated))
    if _NONE.match(_key(value)) or _UNKNOWN.search(value):
        if not stated:
            return (
                "契約書類に記載なし",
                None,
                f"台帳は「{value}」としており、契約書類にも第三者認証を求める記載はありません。"
                "記載は相互に矛盾しませんが、事業者の信頼性を客観的に評価する根拠"
                "（ISO/IEC 27001、ISMAP等）を確認していないこと自体が監査上の論点です。",
            )
        best = _best(sents, lambda s: len(_certs(s)))
        return (
            "不一致",
            best,
            f"台帳は「{value}」としていますが、契約書類（{_where(best)}）は{named}を求めています。",
        )
    claimed = _certs(value)
    if not claimed:
        plain = _best(sents, lambda s: int(_key(value) in _key(s)))
        if plain:
            return "一致", plain, f"契約書類（{_where(plain)}）に「{value}」の記載があります。"
        return "契約書類に記載なし", None, f"契約書類に「{value}」の記載が見当たりません。"
    if not stated:
        return (
            "契約書類に記載なし",
            None,
            f"台帳には「{value}」とありますが、契約書類に第三者認証の記載が一つもありません。"
            "認証の取得・維持を契約上求めているか確認してください。",
        )
    missing, extra = sorted(claimed - stated), sorted(stated - claimed)
    best = _best(sents, lambda s: len(_certs(s) & claimed) * 2 + len(_certs(s)))
    if missing:
        lacking = "、".join(missing)
        return (
            "不一致",
            best,
            f"台帳には「{value}」とありますが、契約書類に{lacking}への言及はありません。"
            f"契約書類で確認できる第三者認証は{named}だけです。台帳の記載の根拠を確認し、"
            "台帳を訂正するか、契約書類で当該認証の取得・維持を求めてください。",
        )
    more = f"契約書類はこのほか{'、'.join(extra)}も求めています。台帳への追記を検討してください。"
    return (
        "一致",
        best,
        f"台帳の{'、'.join(sorted(claimed))}は、いずれも契約書類（{_where(best)}）で求められて"
        f"います。{more if extra else ''}",
    )


Check = Callable[[str, list[Sentence]], tuple[Status, Sentence | None, str]]
_CHECKS: dict[str, tuple[str, Callable[[str], int], Check]] = {  # query, topic, comparison
    "provider": (
        "契約の相手方 受注者 受託者 事業者",
        lambda s: int(bool(_PARTY.search(s) and _FORMS.search(_company(s)))),
        _check_provider,
    ),
    "classification": (
        "取り扱う情報 機密性 分類",
        lambda s: int(bool(_LEVEL.search(s))),
        _check_classification,
    ),
    "location": (
        "データの保管場所 データセンター 所在地 国内",
        lambda s: int(bool(_STORED.search(s) and any(_places(s)[:2]))),
        _check_location,
    ),
    "certification": (
        "第三者認証 ISMAP ISO/IEC 27001 の取得",
        lambda s: len(_certs(s)),
        _check_certification,
    ),
}


def _check_field(
    services: Services, contract: str, role: str, item: str, column: str, value: str
) -> FieldCheck:
    query, topic, check = _CHECKS[role]
    sents = _sentences(services, contract, f"{query} {value}".strip())
    if not value:
        found = _best(sents, topic)
        why = "台帳にこの項目の列がありません。" if not column else "台帳のこの欄が空欄です。"
        tail = f"契約書類（{_where(found)}）の記載を台帳に反映してください。" if found else ""
        return FieldCheck(
            item=item,
            column=column,
            ledger_value="",
            status="台帳に記載なし",
            evidence=_cite(found),
            note=why + tail,
        )
    status, found, note = check(value, sents)
    return FieldCheck(
        item=item,
        column=column,
        ledger_value=value,
        status=status,
        evidence=_cite(found),
        note=note,
    )


def check_ledger(services: Services, ledger_path: Path, contract: str) -> LedgerCheck:
    """Compare the ledger row(s) of a contract with the contract's documents.

    Args:
        services: services over an index holding the contract's documents (kind ``contract``).
        ledger_path: the ledger workbook (.xlsx) as the city keeps it.
        contract: the contract id, e.g. ``C-2026-002``.

    Returns:
        The check: 未登録 with no rows when no row names the contract (itself an audit finding),
        else for each matching row the provider, 機密性, data location and certification, each
        with its status, a quoted contract sentence and a note.

    Raises:
        UserError: the ledger is missing, unreadable or has no recognisable header row, or the
            contract has no ingested documents.

    """
    sheets = _read_ledger(ledger_path)
    services.search(contract, top_k=1, kind="contract", contract=contract)  # unknown → UserError
    rows: list[LedgerRow] = []
    for name, head, cols, grid in sheets:
        for i in range(head + 1, len(grid)):
            cells = {role: _cell(grid[i], c) for role, c in cols.items()}
            if not _matches(cells["contract"], contract):
                continue
            fields = [
                _check_field(
                    services,
                    contract,
                    role,
                    item,
                    _cell(grid[head], cols.get(role)),
                    cells.get(role, ""),
                )
                for role, item in _CHECKED
            ]
            rows.append(
                LedgerRow(
                    sheet=name,
                    row=i + 1,
                    number=cells.get("number", ""),
                    service=cells.get("service", ""),
                    division=cells.get("division", ""),
                    fields=fields,
                )
            )
    return LedgerCheck(
        contract=contract,
        ledger=str(ledger_path),
        state="登録あり" if rows else "未登録",
        rows=rows,
        note=_summary(contract, rows),
    )


def _summary(contract: str, rows: list[LedgerRow]) -> str:
    if not rows:
        return (
            f"契約番号 {contract} のサービスは外部サービス利用管理台帳に登録されていません。"
            "利用の承認手続と台帳への登録の状況を所管課に確認する必要があります。"
        )
    issues = [
        f"{r.number or f'{r.row}行目'}の{f.item}（{f.status}）"
        for r in rows
        for f in r.fields
        if f.status != "一致"
    ]
    if not issues:
        return f"契約番号 {contract} の台帳の記載は、照合した全ての項目で契約書類と一致します。"
    secret = any(
        f.item == "機密性" and "3" in _levels(f.ledger_value) for r in rows for f in r.fields
    )
    why = "機密性3の情報を取り扱うサービスであり、特に確認が必要です。" if secret else ""
    return f"契約番号 {contract} の台帳の記載のうち、確認を要する項目：{'、'.join(issues)}。{why}"
