"""Read divisions' self-check sheets (自己点検シート) and rank the divisions by risk.

Risk score of a division = the sum, over its questions answered いいえ or left unanswered, of

    weight = 1 + obligation + secrecy

- obligation: 0.5 when the policy sentence the question rests on is mandatory
  (「…しなければならない」「…してはならない」「…ものとする」「禁止する」「…こと。」),
  0.25 when it asks only for effort (「努める」「努めなければならない」「望ましい」),
  0 when no such wording or no clause is found.
  The sentence is the best-matching sentence of the policy and guideline clauses retrieved for
  the question (the one sharing most of the question's key terms); when it carries no such
  wording, the rest of its clause decides.
- secrecy: 0.5 when the question or that sentence names 機密性3 assets, else 0.

So every such question counts at least 1 and at most 2: the number of いいえ decides the order
first and the weight only separates divisions with similar counts. An unanswered question weighs
the same as いいえ (nothing shows that it is done); 対象外 weighs nothing. Ties are broken by the
number of いいえ, then by the division's name. Every reason carries its weight and the words that
set it, and its policy citation passes the citation gate.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.audit.checklists import import_checklist
from copilot.drafting.citations import gate
from copilot.drafting.registry import sentences
from copilot.drafting.terms import key_terms, term_in
from copilot.errors import UnreadableFileError, UserError
from copilot.schemas import ChecklistItem, Citation
from copilot.services import Services
from ingest.index import ClauseRecord
from ingest.normalise import squash
from ingest.readers import read_sheet_rows

SelfCheckAnswer = Literal["はい", "いいえ", "未回答", "対象外"]
BASIS_KINDS = ["policy", "guideline"]


class SelfCheckItem(BaseModel):
    """One question of a self-check sheet and the division's answer."""

    model_config = ConfigDict(extra="forbid")

    id: str
    category: str
    question: str
    answer: SelfCheckAnswer
    note: str = Field(default="", description="補足（いいえの理由など）")
    row: int


class SelfCheckSheet(BaseModel):
    """A division's self-check sheet as read from its workbook."""

    model_config = ConfigDict(extra="forbid")

    division: str
    source: str
    sheet: str
    items: list[SelfCheckItem]


class Reason(BaseModel):
    """A question answered いいえ (or not answered): why it weighs, and what to ask for."""

    model_config = ConfigDict(extra="forbid")

    id: str
    category: str
    question: str
    answer: SelfCheckAnswer
    note: str
    weight: float
    weight_basis: str = Field(description="重みの根拠")
    basis: Citation | None = Field(default=None, description="根拠となる規程の一文")
    documents: list[str] = Field(description="資料依頼")
    hearing: str = Field(description="ヒアリング項目")


class DivisionRisk(BaseModel):
    """One division's place in the triage."""

    model_config = ConfigDict(extra="forbid")

    division: str
    source: str
    rank: int
    score: float
    no_count: int
    unanswered_count: int
    explanation: str
    reasons: list[Reason]


class Triage(BaseModel):
    """Divisions ranked by the risk their self-check answers show, highest first."""

    model_config = ConfigDict(extra="forbid")

    formula: str
    divisions: list[DivisionRisk]


FORMULA = (
    "点数＝「いいえ」及び未回答の設問ごとの重みの合計。重み＝1＋規程の義務の強さ"
    "（「しなければならない」等の義務規定0.5、「努める」等の努力義務0.25、該当なし0）"
    "＋機密性3の情報資産に係る設問0.5。"
)

# --- reading a sheet -------------------------------------------------------------------------

_YES = re.compile(r"^(?:はい|YES|Y|○|〇|◯|適|可|済|実施済?み?|している|有)$")
_NO = re.compile(r"^(?:いいえ|NO|N|×|✕|✖|否|不適|未実施|していない|無)$")
_NA = re.compile(r"^(?:対象外|該当なし|非該当|N/A|NA|[-ー―－])$")
_MARKED = re.compile(r"[■☑☒✓✔●◉]\s*(はい|いいえ)")
_ANSWER_HEAD = re.compile(r"回答|はい|いいえ|結果|判定|適否|可否|実施状況")
_NOTE_HEAD = re.compile(r"補足|備考|理由|コメント|特記|説明|代替")
_DIVISION = re.compile(r"(?:所属|所属名|課名|部署名?|担当課)\s*[:：]\s*(\S+)")
_DIVISION_HEAD = re.compile(r"^(?:所属|所属名|課名|部署名?|担当課)\s*[:：]?$")


def _answer(cell: str) -> SelfCheckAnswer | None:
    """はい / いいえ / 未回答 / 対象外 of an answer cell, or None when it reads as none of them."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell)).upper()
    if marked := _MARKED.findall(unicodedata.normalize("NFKC", cell)):
        return "はい" if marked == ["はい"] else "いいえ" if marked == ["いいえ"] else None
    if not s or re.fullmatch(r"[□☐]?はい[・/|□☐]*いいえ|はい・いいえ", s):
        return "未回答"
    for pattern, value in ((_YES, "はい"), (_NO, "いいえ"), (_NA, "対象外")):
        if pattern.match(s):
            return value  # type: ignore[return-value]
    return None


def _bad_layout(where: str, ja: str, en: str) -> UserError:
    return UserError(
        f"{where}: {ja}自己点検シートは、番号・点検項目・回答（はい・いいえ）の列がある表に"
        "してください。",
        f"{where}: {en} A self-check sheet needs a table with columns for the number, the "
        "question and the answer (はい/いいえ).",
    )


def _division(grid: list[list[str]], head: int, path: Path) -> str:
    """The division from a 所属 cell above the table, else from the file name."""
    for row in grid[: head + 1]:
        for c, cell in enumerate(row):
            text = unicodedata.normalize("NFKC", cell)
            if m := _DIVISION.search(text):
                return m[1]
            if _DIVISION_HEAD.match(text.strip()):
                after = next((x for x in row[c + 1 :] if x and x != cell), "")
                if after:
                    return after.strip()
    return path.stem.split("_")[-1]


def _columns(
    grid: list[list[str]], items: list[ChecklistItem]
) -> tuple[int, int | None, int | None]:
    """The header row above the first question, and the answer and note columns.

    A column is the answer column when its header says so (回答, はい・いいえ …), else when its
    cells on question rows read as はい / いいえ most often.
    """
    first = items[0]
    row0 = grid[(first.row or 1) - 1]
    text_col = next((c for c, x in enumerate(row0) if x.strip() == first.text), -1)
    id_col = next((c for c, x in enumerate(row0) if _is_id(x, first.id) and c != text_col), -1)
    above = [r for r in range((first.row or 1) - 1) if len({x for x in grid[r] if x}) >= 2]
    head = above[-1] if above else 0
    header = grid[head] if above else []

    def named(pattern: re.Pattern[str], *skip: int | None) -> int | None:
        taken = (text_col, id_col, *skip)
        cols = (c for c, x in enumerate(header) if c not in taken and pattern.search(x))
        return next(cols, None)

    answer_col = named(_ANSWER_HEAD, named(_NOTE_HEAD))  # not 「いいえの場合の理由」
    if answer_col is None:
        rows = [grid[it.row - 1] for it in items if it.row]
        counts = {
            c: sum(c < len(r) and _answer(r[c]) in ("はい", "いいえ") for r in rows)
            for c in range(max(map(len, rows)))
            if c not in (text_col, id_col)
        }
        if any(counts.values()):
            answer_col = max(counts, key=lambda c: (counts[c], -c))
    return head, answer_col, named(_NOTE_HEAD, answer_col)


def _is_id(cell: str, ident: str) -> bool:
    s = squash(cell).strip("()（）.．")
    return s == ident or (s.endswith(ident) and len(s) <= len(ident) + 3)


def read_selfcheck(path: Path) -> SelfCheckSheet:
    """Read one division's self-check sheet, answers included.

    Args:
        path: the workbook (.xlsx) as the division returned it.

    Returns:
        The division (from a 所属 cell, else the file name) and each question with its category,
        answer (はい / いいえ / 未回答 / 対象外) and note.

    Raises:
        UserError: the file is missing, unreadable or not a self-check sheet, has no answer
            column, or has an answer that is not one of はい / いいえ (the row is named).

    """
    where = str(path)
    try:
        checklist = import_checklist(path)
    except UnreadableFileError:
        raise
    except UserError as exc:
        ja, en = exc.ja.removeprefix(f"{where}: "), exc.en.removeprefix(f"{where}: ")
        raise _bad_layout(where, ja, en) from exc
    items = checklist.items
    sheet = items[0].sheet
    grid = dict(read_sheet_rows(path))[sheet]
    head, answer_col, note_col = _columns(grid, items)
    if answer_col is None:
        raise _bad_layout(
            where,
            f"シート「{sheet}」に回答（はい・いいえ）の列が見つかりません"
            f"（見出し行：{head + 1}行目）。",
            f"sheet '{sheet}' has no answer column (はい/いいえ) (header row {head + 1}).",
        )
    read: list[SelfCheckItem] = []
    for it in items:
        row = grid[(it.row or 1) - 1]
        cell = row[answer_col] if answer_col < len(row) else ""
        value = _answer(cell)
        if value is None:
            raise _bad_layout(
                where,
                f"シート「{sheet}」の{it.row}行目（No.{it.id}）の回答「{cell}」を読み取れません。"
                "「はい」「いいえ」のいずれかを記入してください。",
                f"sheet '{sheet}', row {it.row} (No. {it.id}): cannot read the answer '{cell}'; "
                "enter はい or いいえ.",
            )
        note = row[note_col].strip() if note_col is not None and note_col < len(row) else ""
        read.append(
            SelfCheckItem(
                id=it.id,
                category=it.group,
                question=it.text,
                answer=value,
                note=note if note != cell else "",
                row=it.row or 0,
            )
        )
    return SelfCheckSheet(
        division=_division(grid, head, path), source=where, sheet=sheet, items=read
    )


# --- weighing a question ---------------------------------------------------------------------

_EFFORT = re.compile(r"努め|望ましい")
_MANDATORY = re.compile(
    r"(?:なければ|ては|では)?(?:ならない|なりません)|ものとする|禁止する|禁ずる|こと。?$"
)


def _obligation(sentence: str, clause: str) -> tuple[float, str]:
    """The obligation weight of a policy sentence (its clause when it says nothing) and why."""
    for text in (sentence, clause):
        if m := _EFFORT.search(text):
            return 0.25, f"努力義務（「{m[0]}」）"
        if m := _MANDATORY.search(text):
            return 0.5, f"義務規定（「{m[0]}」）"
    return 0.0, "義務の定めを確認できず"


def _basis(services: Services, question: str) -> tuple[Citation | None, ClauseRecord | None]:
    """The policy or guideline sentence a question rests on, gate-checked."""
    hits = services.search(question, top_k=3, kind=BASIS_KINDS)
    clauses = services.index.clauses([h.clause_id for h in hits])
    terms = key_terms(question)
    best: tuple[int, int, ClauseRecord, str] | None = None
    for rank, h in enumerate(hits):
        clause = clauses.get(h.clause_id)
        if clause is None:
            continue
        for s in sentences(clause.text):
            got = sum(term_in(t, squash(s), services.thesaurus) for t in terms)
            if best is None or (got, -rank) > (best[0], best[1]):
                best = (got, -rank, clause, s)
    if best is None:
        return None, None
    _, _, clause, quote = best
    cite = Citation(clause_id=clause.clause_id, document=clause.doc_id, clause_path="", quote=quote)
    good, _ = gate([cite], {clause.clause_id: clause})
    return (good[0], clause) if good else (None, None)


# --- what to request and what to ask ---------------------------------------------------------

_NAMED = re.compile(
    r"(?:[一-龥ァ-ヴーA-Za-z0-9]+の)?[一-龥ァ-ヴーA-Za-z0-9]*"
    r"(?:台帳|管理簿|名簿|誓約書|証明書|報告書|申請書|許可書|計画書?|手順書?|チェックリスト|一覧)"
)
_KINDS: tuple[tuple[str, str], ...] = (  # words of the question or policy → records that show it
    (r"研修|受講", "研修の受講記録（受講者一覧）"),
    (r"誓約", "誓約書の提出状況が分かる一覧"),
    (r"許可|承認", "申請及び許可・承認の記録"),
    (r"貸出", "貸出しの記録"),
    (r"持ち?出", "持出しの記録"),
    (r"棚卸", "棚卸しの実施記録"),
    (r"ログ", "ログの確認記録"),
    (r"報告", "報告書及びその確認の記録"),
    (r"廃棄|消去|返還", "廃棄・消去又は返還の記録（証明書を含む。）"),
    (r"周知|閲覧", "職員等への周知の記録（通知文、掲示物等）"),
    (r"契約|委託", "契約書、仕様書等の契約書類"),
    (r"削除|無効化", "削除・無効化の記録"),
    (r"暗号化|パスワード", "暗号化及びパスワード通知の運用手順"),
    (r"見直し|改善", "見直し又は改善の計画と実施記録"),
    (r"登録", "登録の記録"),
    (r"私物|禁止", "例外的な利用の申請・許可の記録"),
    (r"(?<![一-龥ァ-ヴー])台帳", "関係する台帳（最新版）"),
    (r"施錠|固定|設置|向き|置いていない", "現状が分かる資料（配置図、写真等。実地監査で確認）"),
)


def documents_to_request(question: str, basis: str = "") -> list[str]:
    """資料依頼: registers named by the question or its policy sentence, and records of practice."""
    text = unicodedata.normalize("NFKC", f"{question}\n{basis}")
    found: list[str] = []
    for m in _NAMED.finditer(text):
        name = m[0]
        if len(name) > 2 and not any(name in f or f in name for f in found):
            found.append(name)
    for pattern, record in _KINDS:
        if re.search(pattern, text) and record not in found:
            found.append(record)
    if not found:
        found.append("当該事項の実施状況が分かる資料（実施手順書、実施記録等）")
    return found[:5]


def hearing_question(item: SelfCheckItem) -> str:
    """ヒアリング項目 for a question answered いいえ or not answered, in an auditor's register."""
    topic = f"No.{item.id}「{item.question.rstrip('。')}」"
    if item.answer == "未回答":
        return f"{topic}について回答がありませんでした。現在の運用状況をご説明ください。"
    ask = f"{topic}について、現在の運用状況と、「いいえ」とされた理由をご説明ください。"
    if item.note:
        ask += (
            f"また、補足欄に「{item.note.rstrip('。')}」とありますが、改善の予定"
            "（時期及び方法）をお聞かせください。"
        )
    else:
        ask += "あわせて、改善の予定（時期及び方法）をお聞かせください。"
    return ask


# --- the triage ------------------------------------------------------------------------------


def _reason(item: SelfCheckItem, cite: Citation | None, clause: ClauseRecord | None) -> Reason:
    quote = cite.quote if cite else ""
    obligation, why = _obligation(quote, clause.text if clause else "")
    secret = "機密性3" in squash(item.question + quote)
    basis = why + ("、機密性3の情報資産に係る" if secret else "")
    return Reason(
        id=item.id,
        category=item.category,
        question=item.question,
        answer=item.answer,
        note=item.note,
        weight=1 + obligation + (0.5 if secret else 0),
        weight_basis=basis,
        basis=cite,
        documents=documents_to_request(item.question, quote),
        hearing=hearing_question(item),
    )


def ingested_sheets(services: Services) -> list[Path]:
    """The source files of the ingested self-check sheets that are still on disk, by path."""
    found = [Path(d.source) for d in services.index.documents() if d.kind == "self_check"]
    return sorted(p for p in found if p.is_file())


def triage(services: Services, paths: list[Path]) -> Triage:
    """Rank divisions by the risk their self-check answers show (formula in the module doc).

    Args:
        services: services over an index holding the policy and the guideline.
        paths: the divisions' self-check workbooks.

    Returns:
        Every division, highest risk first, with its score, rank and, for each question answered
        いいえ or not answered, the policy sentence it rests on, the documents to request and the
        hearing question.

    Raises:
        UserError: a sheet cannot be read (see ``read_selfcheck``), or there is no index yet.

    """
    cache: dict[str, tuple[Citation | None, ClauseRecord | None]] = {}
    ranked: list[DivisionRisk] = []
    for path in paths:
        sheet = read_selfcheck(path)
        reasons = []
        for item in sheet.items:
            if item.answer not in ("いいえ", "未回答"):
                continue
            if item.question not in cache:
                cache[item.question] = _basis(services, item.question)
            reasons.append(_reason(item, *cache[item.question]))
        no = sum(r.answer == "いいえ" for r in reasons)
        ranked.append(
            DivisionRisk(
                division=sheet.division,
                source=sheet.source,
                rank=0,
                score=round(sum(r.weight for r in reasons), 2),
                no_count=no,
                unanswered_count=len(reasons) - no,
                explanation="",
                reasons=reasons,
            )
        )
    ranked.sort(key=lambda d: (-d.score, -d.no_count, d.division))
    return Triage(
        formula=FORMULA,
        divisions=[
            d.model_copy(update={"rank": k, "explanation": _explain(d)})
            for k, d in enumerate(ranked, start=1)
        ],
    )


def _explain(d: DivisionRisk) -> str:
    mandatory = sum(r.weight_basis.startswith("義務規定") for r in d.reasons)
    secret = sum("機密性3" in r.weight_basis for r in d.reasons)
    return (
        f"「いいえ」{d.no_count}件、未回答{d.unanswered_count}件、点数{d.score:g}"
        f"（うち義務規定に係るもの{mandatory}件、機密性3の情報資産に係るもの{secret}件）。"
    )
