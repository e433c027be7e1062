"""The audit-result notice draft (監査結果通知（案）) of one division, as Word.

Page 1 reads as a letter the city can send: the 文書番号 and the date (right), the addressee
(「架空市長　様」), the sender (the audit firm and its representative), the title, one sentence
of preface, then 記 and the findings at once, on the same page. The heading comes from the
engagement file (``[notice]`` in ``engagement.toml``, see `letterhead`). Sources are named by
the document's title and its clause (「架空市情報セキュリティ対策基準 第35　2（2）ア」), never by
the stored file's path.

Only signed-off findings are written unless ``include_drafts`` is set; then every unsigned one
carries 【下書き】 in its heading and the page header says so. Rejected findings never. A
division with nothing to report gets a sentence that says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement

from copilot.calendar_jp import wareki
from copilot.errors import UserError
from copilot.exports.styling import (
    IKEN,
    SHITEKI,
    heading,
    labelled,
    new_document,
    noted,
    para,
    save_docx,
    table,
)
from copilot.schemas import (
    DRAFT,
    Citation,
    Engagement,
    Finding,
    ReviewInfo,
    kept,
)

TITLE = "情報セキュリティ監査結果通知（案）"


@dataclass(frozen=True)
class Letterhead:
    """What heads a notice: number, date, addressee, sender, and the audit it reports on."""

    number: str  # 文書番号: 架空監第12号
    day: date
    addressee: str  # without the honorific: 架空市長
    sender: tuple[str, ...]  # the firm, then its representative
    period: str = ""  # 監査期間: 令和8年7月1日から令和9年3月25日まで
    audit: str = ""  # what was audited: 令和8年度情報セキュリティ監査業務


def letterhead(engagement: Engagement | None, division: str, day: date | None = None) -> Letterhead:
    """The heading of a division's notice, from the engagement file's ``[notice]`` and dates.

    The number's ``{n}`` is ``first_number`` plus the division's place in ``divisions``; the
    period runs from the contract date to the final report's day; the date is ``day``, else the
    file's ``notice.date``, else today. Without an engagement file the number, addressee and
    sender are left blank (「第　　号」, 「（宛先）」) for a person to fill in.

    Raises:
        UserError: the division is empty, or not one of the engagement's audited divisions.

    """
    division = _named(division)
    if engagement is None:
        return Letterhead("第　　号", day or date.today(), "（宛先）", ("（差出人）",))
    from copilot.engagement.workplan import default_milestones

    if division not in engagement.divisions:
        raise UserError(
            f"「{division}」は作業計画の設定（engagement.toml）の監査対象課にありません。"
            "次のいずれかを指定するか、divisions に加えてください: "
            f"{'、'.join(engagement.divisions)}",
            f"{division} is not an audited division of the engagement file; give one of "
            f"{', '.join(engagement.divisions)} or add it to divisions.",
        )
    n = engagement.notice
    lead = next(m for m in engagement.team if m.role == "統括責任者")
    representative = n.representative or f"統括責任者　{lead.name}"
    final = default_milestones(engagement)["final_report"]
    return Letterhead(
        number=n.number.replace("{n}", str(n.first_number + engagement.divisions.index(division))),
        day=day or n.date or date.today(),
        addressee=n.addressee or f"{engagement.city}長",
        sender=tuple(s for s in (n.firm, representative) if s),
        period=f"{wareki(engagement.contract_date)}から{wareki(final)}まで",
        audit=f"{engagement.fiscal_year_ja}{engagement.project}",
    )


def _named(division: str) -> str:
    if not division.strip():
        raise UserError(
            "対象課が空です。通知する課の名前（例: 健康福祉局福祉政策課）を入力してください。",
            "the division is empty; give the name of the division the notice is for.",
        )
    return division.strip()


# --- sources by title and clause --------------------------------------------------------------

_ARTICLE = re.compile(r"^第[0-9０-９]+条(の[0-9０-９]+)?$")
_NUMBER = re.compile(r"^[0-9０-９]+$")
_ITEM = re.compile(r"^[(（]([0-9０-９]+)[)）]$")
_KANA = re.compile(r"^[ア-ン]$")


def clause_ref(path: str) -> str:
    """A stored clause path as a person cites it.

    「第4条 > 3」 → 「第4条第3項」, 「第2条 > (5)」 → 「第2条第5号」, 「3 > 3.1 > (1)」 →
    「3.1（1）」, 「第35 > 2 > (2) > ア」 → 「第35　2（2）ア」.
    """
    out, prev = "", ""
    for part in (p.strip() for p in path.split(">") if p.strip()):
        item = _ITEM.match(part)
        if _ARTICLE.match(prev) and _NUMBER.match(part):
            out += f"第{part}項"
        elif item and (_ARTICLE.match(prev) or out.endswith("項")):
            out += f"第{item.group(1)}号"
        elif item:
            out += f"（{item.group(1)}）"
        elif prev and part.startswith(prev + ".") and out.endswith(prev):
            out = out[: len(out) - len(prev)] + part  # 「3 > 3.1」: the sub-number says it all
        elif not out or out.endswith("）") or _KANA.match(part):
            out += part
        else:
            out += "　" + part
        prev = part
    return out


def source_title(document: str, titles: Mapping[str, str]) -> str:
    """A document's title (from the index), or its file name without folder and suffix."""
    if titles.get(document):
        return titles[document]
    return PurePosixPath(document.split("@", 1)[0].replace("\\", "/")).stem or document


def _basis_rows(f: Finding, titles: Mapping[str, str]) -> list[list[str]]:
    rows: list[tuple[str, Citation]] = [("判断基準", c) for c in f.criteria]
    rows += [("確認した証跡", c) for c in f.evidence]
    return [
        [
            kind,
            source_title(c.document, titles),
            clause_ref(c.clause_path),
            str(c.page) if c.page else "",
            noted(c.quote, c.note),
        ]
        for kind, c in rows
    ]


def _finding(
    doc: DocxDocument, number: str, f: Finding, review: ReviewInfo, titles: Mapping[str, str]
) -> None:
    """One finding: its heading, the four parts and the table of its basis."""
    mark = "" if review.signed else DRAFT
    heading(doc, f"{mark}{number}　{f.title}", 2)
    rating = SHITEKI if f.rating == "指摘" else IKEN
    parts = (
        ("（1）発見事項", f.finding),
        ("（2）指摘・意見の評価", f"{f.rating}（{rating.split('：', 1)[1]}）"),
        ("（3）想定されるリスク", f.risk),
        ("（4）改善提言", f.recommendation),
    )
    for title, text in parts:
        heading(doc, title, 3)
        for line in text.split("\n"):
            para(doc, line)
    heading(doc, "（5）根拠", 3)
    rows = _basis_rows(f, titles)
    if rows:
        grid = table(doc, ("区分", "文書", "条項", "頁", "引用"), rows, (24, 36, 26, 8, 66))
        for row in grid.rows:  # a quote is read whole: a row never breaks across pages
            row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
    else:
        para(doc, "根拠の引用はありません。")


def _head(doc: DocxDocument, head: Letterhead) -> None:
    """The letter's head: number and date on the right, the addressee, the sender."""
    para(doc, head.number, align="right")
    para(doc, wareki(head.day), align="right")
    para(doc, f"{head.addressee}　様")
    for line in head.sender:
        para(doc, line, align="right")
    para(doc)


def _preface(division: str, head: Letterhead, counts: dict[str, int]) -> str:
    audit = f"{head.audit}として" if head.audit else ""
    if not counts["指摘"] + counts["意見"]:
        return (
            f"{audit}{division}を対象に実施した情報セキュリティ監査の結果について、"
            "下記のとおり通知します。"
        )
    found = "及び".join(
        f"{label}{counts[k]}件"
        for k, label in (("指摘", "指摘事項"), ("意見", "意見"))
        if counts[k]
    )
    text = (
        f"{audit}{division}を対象に実施した情報セキュリティ監査の結果、{found}が"
        "ありましたので、下記のとおり通知します。"
    )
    if counts["指摘"]:
        text += f"指摘事項については、{division}から改善の計画及び実施状況の報告を受けられますよう"
        text += "お願いします。"
    return text


def export_notice(
    division: str,
    findings: Sequence[tuple[Finding, ReviewInfo]],
    path: Path,
    head: Letterhead | None = None,
    include_drafts: bool = False,
    titles: Mapping[str, str] | None = None,
) -> Path:
    """Write the audit-result notice draft (監査結果通知（案）) of one division as Word.

    Args:
        division: the audited division; every finding must be of this division.
        findings: each finding with its review state.
        path: the .docx to write.
        head: the letter's head (`letterhead`); blanks for a person to fill in when not given.
        include_drafts: also write unsigned findings, marked 【下書き】.
        titles: each document's title by its id (``services.index.documents()``), so that
            sources are named by title; a document not in it is named by its file name.

    Returns:
        The path written: the head, the title, the preface, 記 with the division, the period
        and the counts, then the 指摘 and then the 意見, numbered, each with 発見事項,
        指摘・意見の評価, 想定されるリスク, 改善提言 and a table of its basis (document title,
        clause, page, quote); a division with none: a sentence saying nothing was found.

    Raises:
        ValueError: a finding belongs to another division.
        UserError: the division is empty; the only findings await sign-off (so the notice
            cannot say nothing was found); the path does not end in .docx.

    """
    division = _named(division)
    if other := [f.division for f, _ in findings if f.division != division]:
        raise ValueError(f"findings of another division given for {division}: {other}")
    head = head or letterhead(None, division)
    titles = titles or {}
    shown = kept(findings, include_drafts)
    shown.sort(key=lambda fr: fr[0].rating != "指摘")  # stable: 指摘 first, order kept
    waiting = [f for f, r in findings if not r.signed and r.status != "rejected"]
    if not shown and waiting:
        raise UserError(
            f"{division}の発見事項{len(waiting)}件が承認待ちです。承認してから出力するか、"
            "下書きを含めて出力してください。",
            f"{len(waiting)} findings of {division} await sign-off; approve them first, or "
            "include the drafts.",
        )
    drafts = any(not r.signed for _, r in shown)
    doc = new_document(f"{TITLE}　{division}", drafts)
    _head(doc, head)
    heading(doc, TITLE, 0)
    counts = {k: sum(f.rating == k for f, _ in shown) for k in ("指摘", "意見")}
    para(doc, "　" + _preface(division, head, counts))
    para(doc)
    para(doc, "記", align="center")
    para(doc)
    result = (
        "、".join(f"{k if k == '意見' else '指摘事項'}{counts[k]}件" for k in counts if counts[k])
        or "指摘すべき事項なし"
    )
    rows = [("対象課", division), ("監査期間", head.period), ("監査の結果", result)]
    labelled(doc, [r for r in rows if r[1]])
    if not shown:
        para(doc, f"{division}について、指摘すべき事項は認められませんでした。")
    for rating, title in (("指摘", "第1　指摘事項"), ("意見", "第2　意見")):
        group = [(f, r) for f, r in shown if f.rating == rating]
        if group:
            heading(doc, title if counts["指摘"] else "第1　意見", 1)
        for k, (f, r) in enumerate(group, start=1):
            _finding(doc, f"{rating}{k}", f, r, titles)
    para(doc, "以上", align="right")
    return save_docx(doc, path)
