"""Which parts of a contract's documents bind: answer sheets as answered, parts for reference.

A sentence's own wording (``copilot.drafting.obligations``) does not say everything about its
force: where it stands in the document can bind it or unbind it.

- **Answer sheets.** A procurement's requirement list is often a table whose rows are the
  requirements and one of whose columns the provider fills in: its header says so (受注者回答・
  回答・対応可否・可否・対応状況・対応有無・提案内容 …), often beside 必須／任意 and 備考. The
  answer decides what the row binds: a row answered affirmatively (○・対応する・対応可・可・
  標準対応・実施する) binds the provider as a duty; one answered negatively (×・対応しない・
  対応不可・不可・非対応・対象外・－) binds nothing, so its requirement meets no element; one
  answered partially or on a condition (△・一部対応・代替案・条件付き・オプション・有償オプション・
  別途見積) binds at most softly. A note such as 「任意の要件のうち「対応しない」と回答したものは
  契約の内容に含まない」 says this explicitly; the rule holds without it. The answer column is
  found by its header, in a spreadsheet's rows and in a Word or PDF table's rows as ingest reads
  them (cells joined by ``CELL``); where a row has fewer cells than its header (ingest drops empty
  cells), the answer is the cell that reads as one nearest to the header's column.
- **Parts for reference.** A document or a part that says of itself that it is for reference
  (a title or heading 「参考資料」「記載例」「記入例」, or a sentence 「本資料は参考であり、契約上の
  義務を定めるものではない」「以下は例示である」) binds nobody: its sentences are statements,
  soft at most. Said in a document's title or its first clauses, this holds for the whole
  document; said further on, for the rest of the article or part it is said in.

Only general rules on the usual structure of public procurement documents; no document's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from copilot.drafting.obligations import Reading
from ingest.index import ClauseRecord
from ingest.normalise import nfkc
from ingest.readers import CELL

__all__ = ["Mark", "answer_column", "answer_of", "bind", "contract_marks", "marks"]

Answer = Literal["yes", "no", "partial"]


@dataclass(frozen=True)
class Mark:
    """What a clause's place in its document does to the force of its sentences."""

    kind: Literal["yes", "no", "partial", "reference", "proposal"]
    why: str  # said to the auditor where the mark keeps a sentence from binding ("" for yes)


# a header cell of the column the provider answers in
_ANSWER_HEADER = re.compile(
    r"^(?:受注者|受託者|事業者|提供者|提案者|応札者|貴社|ベンダー?)?の?"
    r"(?:回答|回答欄|回答内容|対応可否|対応の可否|可否|実現可否|対応状況|対応有無|対応の有無|"
    r"対応|対応方針|対応方法|対応内容|適合状況|適合可否|充足状況|充足可否|提案内容|提案|実装状況)"
    r"(?:欄)?(?:[(（][^)）]{0,16}[)）])?$"
)
# a free-text answer column: read only where no column of the first kind answers
_LOOSE_HEADER = re.compile(
    r"^(?:受注者|受託者|事業者|提供者|提案者|応札者|貴社|ベンダー?)?の?"
    r"(?:提案内容|提案概要|提案|対応方法|対応内容|対応方針|実現方法|実現方式)(?:欄)?$"
)
# another header of the same table: a table of requirements, not of anything else
_REQUIREMENT_HEADER = re.compile(
    r"要件|要求|項目|機能|仕様|内容|事項|基準|条件|必須|任意|区分|No|番号|備考"
)
_HEADER_CELL_MAX = 16

# answers, read on the whole of a short cell and on the opening words of the provider's prose
_NO = re.compile(
    r"^(?:×|✕|✖|✗|x|X|－|-|―|ー|—|なし|無し|無|否|不可|不可能|できない|できません)$"
    r"|対応(?:しない|しません|いたしません|不可|できない|できません|外)|非対応|未対応|対象外|"
    r"(?:実施|提供|実現)(?:しない|しません|いたしません|不可|できない|できません)|該当なし"
)
_PARTIAL = re.compile(
    r"^(?:△|▲|一部)$|一部対応|一部可|一部実施|一部のみ|部分的|代替|条件付|条件により|条件による|"
    r"オプション|有償|別途見積|別途お見積|別料金|追加費用|カスタマイズ|個別対応|要相談|"
    r"要協議|協議の上|検討中|今後対応|将来対応|対応予定|運用で対応|運用にて対応|運用対応"
)
_YES = re.compile(
    r"^(?:○|〇|◯|◎|●|可|可能|有|有り|あり|はい|済|yes|Yes|YES)$"
    r"|対応(?:する|します|いたします|致します|でき(?:る|ます)|可(?!否)|済|している|しています)|"
    r"標準対応|標準機能|標準で対応|(?:実施|提供|実現)(?:する|します|いたします|可(?!否))|"
    r"遵守(?:する|します|いたします)|満たす|満たします|適合(?!状況|可否)|充足(?!状況|可否)|実装済"
)
_ANSWER_MAX = 20  # characters: of a longer cell (the provider's prose) only its opening words

_WHY = {
    "no": "受注者が対応しないと回答しており、契約の内容に含まれない",
    "partial": "受注者の回答が一部対応又は条件付きの対応にとどまる",
    "reference": "参考として示された記載であり、契約上の義務を定めたものではない",
    "proposal": "契約書類に取り込まれていない受注者の提案であり、契約上の義務を定めたものではない",
}

# a document or part that says of itself that it is for reference: its title (any part of a
# file's name: 「参考資料_運用例」), or a heading line that opens with it (「別紙3　参考資料」)
_REFERENCE_TITLE = re.compile(r"参考資料|参考例|記載例|記入例|作成例")
_REFERENCE_HEADING = re.compile(
    r"^(?:(?:別紙|別添|別表|付録|添付資料)[\s0-9一二三四五六七八九十A-Z第号-]*[\s:：]*)?"
    r"(?:参考資料|参考様式|参考例|参考[\s:：]|参考$|記載例|記入例|作成例|[(【\[]参考[)】\]])"
)
_REFERENCE_SAYS = re.compile(
    r"(?:本|この|当該)(?:資料|書面|書類|文書|書|別紙|別添|別表|表|シート|様式|記載|章|節|付録|図)"
    r"[^。]{0,20}?(?:は|について)[、,]?[^。]{0,20}?(?:参考|例示|一例|記載例|記入例|イメージ)"
    r"(?:資料)?(?:であ|です|として(?:示|掲げ|記載|掲載)|に過ぎ|にすぎ|を示す|のため)"
    r"|(?:以下|下記)(?:の[^。]{0,10}?)?は[、,]?(?:参考|例示|一例|記載例|記入例)(?:であ|です|として)"
    r"|契約上の(?:義務|債務|拘束力)を(?:定める|生じさせる|課す|有する)ものではな"
    r"|(?:法的)?拘束力(?:を(?:有|持)(?:しない|たない|さない)|は(?:ない|ありません|有しない|生じない))"
)
# a provider's proposal, by its title; and what in another document makes it part of the contract
# (「受注者は、提案書に記載した事項を誠実に履行すること」「契約書、仕様書及び提案書の順に優先する」)
_PROPOSAL_TITLE = re.compile(r"提案書|提案資料|企画提案|技術提案")
# the city's papers about proposals (提案書作成要領, 企画提案募集要項, 審査基準) are no proposal
_ABOUT_PROPOSALS = re.compile(r"要領|要項|募集|仕様|作成|様式|評価|審査|手引|基準|公告|説明")
_INCORPORATES = re.compile(
    r"提案(?:書|内容|事項)[^。]{0,40}?(?:一部|構成|一体|優先|従|遵守|履行|誠実|基づ|実施|"
    r"反映|含む|含まれ|効力)"
)
_HEAD_CLAUSES = 3  # a declaration in a document's first clauses speaks for all of it
_LINE_MAX = 30  # characters of a title or heading line


def _cells(text: str) -> list[str]:
    return [c.strip() for c in nfkc(text).split(CELL)]


def answer_of(cell: str) -> Answer | None:
    """What one answer cell says: "yes", "no", "partial", or None (blank, or prose of neither).

    The negative is read first (対応しない holds 対応), then the partial (一部対応).
    """
    text = re.sub(r"[\s\u3000]+", "", nfkc(cell))[:_ANSWER_MAX]
    if not text:
        return None
    if _NO.search(text):
        return "no"
    if _PARTIAL.search(text):
        return "partial"
    if _YES.search(text):
        return "yes"
    return None


def answer_column(row: str) -> tuple[int, int] | None:
    """The answer column of a table's header row and how many cells it has, or None.

    「No.｜要件｜必須/任意｜受注者回答｜備考」 gives (3, 5). A header row is short cells only, none
    of them an answer or a number, one naming the answer and another the requirement; a column
    named for the answer itself (回答・対応可否 …) is taken before one of free text (提案内容).
    """
    cells = [re.sub(r"[\s\u3000]+", "", c) for c in _cells(row)]
    if len(cells) < 2 or any(
        not c or len(c) > _HEADER_CELL_MAX or "。" in c or c.isdigit() or answer_of(c)
        for c in cells
    ):
        return None
    for pattern in (_ANSWER_HEADER, _LOOSE_HEADER):
        for i, cell in enumerate(cells):
            others = cells[:i] + cells[i + 1 :]
            if (
                i > 0
                and pattern.search(cell)
                and any(_REQUIREMENT_HEADER.search(c) for c in others)
            ):
                return i, len(cells)
    return None


def _row_answer(row: str, column: int, width: int) -> Answer | None:
    cells = _cells(row)
    if len(cells) == width or (len(cells) > column and answer_of(cells[column])):
        return answer_of(cells[column]) if column < len(cells) else None
    # fewer cells than the header (empty ones dropped): the answer nearest the column
    found = [(abs(i - column), i) for i, c in enumerate(cells) if i > 0 and answer_of(c)]
    short = [(d, i) for d, i in found if len(cells[i]) <= _HEADER_CELL_MAX]
    return answer_of(cells[min(short)[1]]) if short else None


def _says_reference(text: str) -> bool:
    text = nfkc(text)
    for line in text.split("\n"):
        line = line.strip()
        if len(line) <= _LINE_MAX and "。" not in line and _REFERENCE_HEADING.search(line):
            return True
    return bool(_REFERENCE_SAYS.search(text))


def _section_row(text: str) -> bool:
    text = text.strip()
    return 0 < len(text) <= _LINE_MAX and "。" not in text and "\n" not in text


def _top(path: str) -> str:
    return path.split(" > ")[0]


def marks(doc_clauses: list[ClauseRecord]) -> list[Mark | None]:
    """For each clause of one document (in order), what its place does to its force, or None.

    The rows of an answer sheet are marked by their answers, from its header row to the first
    clause that is no table row; a part for reference is marked from where it says so.
    """
    out: list[Mark | None] = [None] * len(doc_clauses)
    whole = bool(doc_clauses) and bool(_REFERENCE_TITLE.search(nfkc(doc_clauses[0].title)))
    column: tuple[int, int] | None = None
    sheet: int | None = None  # the page (a workbook's sheet) of the answer sheet's header
    reference_top: str | None = None
    for n, clause in enumerate(doc_clauses):
        if reference_top is not None and _top(clause.path) != reference_top:
            reference_top = None  # the part said to be for reference has ended
        if clause.aside:
            continue
        if whole or (n < _HEAD_CLAUSES and _says_reference(clause.text)):
            whole = True
            out[n] = Mark("reference", _WHY["reference"])
            continue
        if _says_reference(clause.text):
            reference_top = _top(clause.path)
        if reference_top is not None:
            out[n] = Mark("reference", _WHY["reference"])
            continue
        if CELL not in clause.text:
            # a row of one cell (「■ログ管理」 merged across the sheet) heads a group of rows; a
            # sentence, or the next sheet, ends the table
            if not _section_row(clause.text) or clause.page != sheet:
                column = None
            continue
        header = answer_column(clause.text)
        if header is not None:
            column, sheet = header, clause.page
            continue
        if column is not None and (answer := _row_answer(clause.text, *column)):
            out[n] = Mark(answer, _WHY.get(answer, ""))
    return out


def bind(reading: Reading, mark: Mark | None) -> Reading:
    """The reading of a sentence as its clause's mark makes it.

    A row answered yes binds the provider: a bare statement or a capability (「…できる」) of
    nobody named becomes the provider's duty; a hedge in the requirement itself stays. A row
    answered no binds nobody (read as the provider declining it, which meets no element); one
    answered partially is at most a principle, with exceptions. A part for reference states:
    what would be a duty there is a statement.
    """
    if mark is None or reading.modality == "definition":
        return reading
    if mark.kind == "yes":
        party = "provider" if reading.party == "none" else reading.party
        modality = reading.modality
        if modality == "statement" or (modality == "permission" and reading.party == "none"):
            modality = "duty"
        return replace(reading, party=party, modality=modality)
    if mark.kind == "no":
        party = "provider" if reading.party == "none" else reading.party
        return replace(reading, party=party, modality="disclaimer", firm="")
    if mark.kind == "partial":
        if reading.modality in ("duty", "prohibition", "statement"):
            return replace(reading, modality="principle", firm="")
        return replace(reading, firm="")
    if reading.modality in ("duty", "prohibition"):  # for reference, or an outside proposal
        return replace(reading, modality="statement", firm="")
    return replace(reading, firm="")


def _is_proposal(doc_clauses: list[ClauseRecord]) -> bool:
    first = nfkc(doc_clauses[0].text).strip().split("\n")[0] if doc_clauses else ""
    title = nfkc(doc_clauses[0].title) if doc_clauses else ""
    return any(
        _PROPOSAL_TITLE.search(t) and not _ABOUT_PROPOSALS.search(t)
        for t in (title, first if len(first) <= _LINE_MAX else "")
    )


def contract_marks(by_doc: dict[str, list[ClauseRecord]]) -> dict[str, list[Mark | None]]:
    """``marks`` for every document of a contract, and a provider's proposal outside it.

    A proposal (提案書, by its title) binds only where another of the contract's documents takes
    it in (「受注者は、提案書に記載した事項を誠実に履行すること」, an order of precedence that names
    it): otherwise its sentences are the provider's statements, not duties.
    """
    out = {doc: marks(clauses) for doc, clauses in by_doc.items()}
    proposals = [doc for doc, clauses in by_doc.items() if _is_proposal(clauses)]
    for doc in proposals:
        taken = any(
            _INCORPORATES.search(nfkc(c.text))
            for other, clauses in by_doc.items()
            if other not in proposals
            for c in clauses
        )
        if not taken:
            # what the proposal answers 対応する binds no more than the rest of it
            outside = Mark("proposal", _WHY["proposal"])
            out[doc] = [m if m and m.kind != "yes" else outside for m in out[doc]]
    return out
