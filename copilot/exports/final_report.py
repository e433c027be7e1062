"""The final report (事業報告書), as Word.

Its content comes in as a `FinalReport`, which ``copilot.engagement.final_report`` compiles from
the review store (signed-off content; unsigned parts only with include_drafts, marked 【下書き】).
The body refers to its citations as ［n］; the appendix lists them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from docx.document import Document as DocxDocument

from copilot.engagement.final_report import FinalReport
from copilot.exports.styling import (
    IKEN,
    METHODS,
    SHITEKI,
    heading,
    new_document,
    noted,
    para,
    save_docx,
    table,
)
from copilot.exports.workplan import (
    BUSINESS_DAYS_NOTE,
    MILESTONE_HEADERS,
    MILESTONE_WIDTHS,
    cover,
    engagement_purpose,
    engagement_title,
    fieldwork_rows,
    milestone_rows,
    team_table,
)
from copilot.schemas import (
    DRAFT,
    VERDICTS,
    Citation,
    Finding,
    PolicyGap,
    ReviewInfo,
)


class Citations:
    """The report's citations, numbered in the order the body first uses them."""

    def __init__(self) -> None:
        self.cited: list[Citation] = []
        self._numbers: dict[tuple[str, str, int | None, str], int] = {}

    def number(self, c: Citation) -> int:
        """The citation's number (a new one the first time it is used)."""
        key = (c.document, c.clause_path, c.page, c.quote)
        if key not in self._numbers:
            self.cited.append(c)
            self._numbers[key] = len(self.cited)
        return self._numbers[key]

    def refs(self, cites: Sequence[Citation]) -> str:
        """References in the body: ［1］［2］ (empty for none)."""
        return "".join(f"［{n}］" for n in dict.fromkeys(self.number(c) for c in cites))

    def rows(self) -> list[list[str]]:
        """The appendix: No., 文書, 条項パス, 頁, 引用."""
        return [
            [
                str(k),
                c.document,
                c.clause_path,
                str(c.page) if c.page else "",
                noted(c.quote, c.note),
            ]
            for k, c in enumerate(self.cited, start=1)
        ]


def _mark(review: ReviewInfo) -> str:
    return "" if review.signed else DRAFT


def _report_course(doc: DocxDocument, r: FinalReport) -> None:
    e = r.plan.engagement
    heading(doc, "1　業務の概要", 1)
    heading(doc, "（1）目的", 2)
    para(doc, engagement_purpose(e))
    heading(doc, "（2）監査の方法", 2)
    for name, text in METHODS:
        para(doc, f"・{name}：{text}")
    heading(doc, "（3）実施体制", 2)
    team_table(doc, e)
    heading(doc, "2　実施経過", 1)
    para(doc, "作業計画書に定めた日程は次のとおりである。" + BUSINESS_DAYS_NOTE)
    table(doc, MILESTONE_HEADERS, milestone_rows(r.plan), MILESTONE_WIDTHS)
    table(
        doc,
        ("対象課", "ヒアリング", "議事録の期限", "現地監査", "結果概要の期限"),
        fieldwork_rows(r.plan),
        (48, 28, 28, 28, 28),
    )


def _report_approach(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    e = r.plan.engagement
    heading(doc, "3　監査実施方針（自己点検結果に基づくリスク評価）", 1)
    if r.triage is None:
        para(doc, r.triage_note or "自己点検の結果がないため、記載していない。")
        return
    para(
        doc,
        "各所属の自己点検結果を、規程の義務の強さと機密性3の情報資産への関わりで重み付けして"
        "順位付けし、これを基に監査対象課を選定した。" + f"（注）{r.triage.formula}",
    )
    rows = [
        [
            str(d.rank),
            d.division,
            f"{d.score:g}",
            str(d.no_count),
            str(d.unanswered_count),
            "○" if d.division in e.divisions else "",
        ]
        for d in r.triage.divisions
    ]
    heads = ("順位", "所属", "点数", "いいえ", "未回答", "監査対象")
    table(doc, heads, rows, (14, 62, 20, 20, 20, 24))
    for d in r.triage.divisions:
        if d.division not in e.divisions or not d.reasons:
            continue
        heading(doc, f"{d.division}（{d.explanation}）", 3)
        rows = [
            [f"No.{x.id}", x.question, x.answer, cites.refs([x.basis]) if x.basis else "―"]
            for x in d.reasons
        ]
        table(doc, ("設問", "内容", "回答", "根拠"), rows, (16, 104, 16, 24))


def _report_finding(
    doc: DocxDocument, number: str, f: Finding, review: ReviewInfo, cites: Citations
) -> None:
    heading(doc, f"{_mark(review)}{number}　{f.title}", 3)
    rating = SHITEKI if f.rating == "指摘" else IKEN
    for title, text in (
        ("発見事項", f.finding),
        ("指摘・意見の評価", f"{f.rating}（{rating.split('：', 1)[1]}）"),
        ("想定されるリスク", f.risk),
        ("改善提言", f.recommendation),
    ):
        para(doc, f"【{title}】{text}")
    basis = []
    if f.criteria:
        basis.append(f"判断基準 {cites.refs(f.criteria)}")
    if f.evidence:
        basis.append(f"確認した証跡 {cites.refs(f.evidence)}")
    para(doc, f"【根拠】{'　'.join(basis) if basis else '引用なし'}")
    if not review.signed:
        para(doc, f"（状態：{review.label()}）")


def _report_findings(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    heading(doc, "4　対象課ごとの監査結果", 1)
    para(
        doc,
        "発見事項は、対象課との事実確認を経て主任担当者が承認したものを記載する。"
        "評価の区分は次のとおりである。",
    )
    para(doc, f"・{SHITEKI}")
    para(doc, f"・{IKEN}")
    counts = [
        [div, *(str(sum(f.rating == k for f, _ in fs)) for k in ("指摘", "意見"))]
        for div, fs in r.findings
    ]
    table(doc, ("対象課", "指摘", "意見"), counts, (100, 30, 30))
    for k, (div, fs) in enumerate(r.findings, start=1):
        heading(doc, f"（{k}）{div}", 2)
        if not fs:
            para(doc, "承認された発見事項はない。")
            continue
        for rating in ("指摘", "意見"):
            for n, (f, review) in enumerate([x for x in fs if x[0].rating == rating], start=1):
                _report_finding(doc, f"{rating}{n}", f, review, cites)


NEEDS_ACTION = ("一部反映", "反映なし", "要確認")


def _report_contracts(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    e = r.plan.engagement
    heading(doc, f"5　外部サービス契約の確認結果（重点テーマ：{e.focus_theme}）", 1)
    if not r.contracts:
        para(doc, "承認された確認結果はない。")
        return
    para(
        doc,
        "対象課の外部サービスの契約書類（募集要項、仕様書、契約書等）が、外部サービス利用時"
        "チェックリストの各項目を反映しているかを確認した。判定ごとの件数は次のとおりである。",
    )
    rows = []
    for c in r.contracts:
        n = Counter(j.verdict for j, _ in c.judgements)
        rows.append(
            [c.contract, c.service or c.division]
            + [str(n[v]) for v in VERDICTS]
            + [str(len(c.judgements))]
        )
    table(
        doc,
        ("契約", "サービス・所属", *VERDICTS, "計"),
        rows,
        (26, 46, 14, 14, 14, 14, 14, 12),
    )
    for k, c in enumerate(r.contracts, start=1):
        service = f"　{c.service}" if c.service else ""
        heading(doc, f"（{k}）契約 {c.contract}{service}（{c.division}）", 2)
        action = [(j, rv) for j, rv in c.judgements if j.verdict in NEEDS_ACTION]
        if c.withheld:
            para(doc, f"承認されていない判定{c.withheld}件は記載していない。")
        if not c.judgements:
            para(doc, "承認された判定はない。")
            continue
        if not action:
            para(doc, "対応を要する項目はない。")
            continue
        para(doc, "対応を要する項目（一部反映・反映なし・要確認）は次のとおりである。")
        rows = [
            [
                j.item,
                _mark(rv) + j.verdict,
                "\n".join(
                    x
                    for x in (
                        j.advice or j.rationale,
                        f"記載例：{j.proposed_wording}" if j.proposed_wording else "",
                        f"代替措置：{j.alternative_measure}" if j.alternative_measure else "",
                    )
                    if x
                ),
                cites.refs([*j.evidence, *j.basis]) or "―",
            ]
            for j, rv in action
        ]
        table(doc, ("設問", "判定", "助言・記載例", "根拠"), rows, (16, 24, 96, 24))


def _gap_row(g: PolicyGap, review: ReviewInfo, cites: Citations) -> list[str]:
    wording = f"文案：{g.proposed_wording}" if g.proposed_wording else ""
    quoted = [g.guideline_citation] if g.guideline_citation else []
    return [
        f"{g.requirement}\n{g.requirement_text}",
        _mark(review) + g.coverage,
        "\n".join(x for x in (g.advice, wording) if x),
        cites.refs([*quoted, *g.policy_citations]) or "―",
    ]


def _report_policy(doc: DocxDocument, r: FinalReport, cites: Citations) -> None:
    heading(doc, "6　情報セキュリティポリシーの改定に関する助言", 1)
    if not r.gaps and not r.advice:
        para(doc, "承認された助言はない。")
        return
    if r.gaps:
        heading(doc, "（1）ガイドラインとの対照", 2)
        n = Counter(g.coverage for g, _ in r.gaps)
        para(
            doc,
            "ガイドラインの要件ごとにポリシーの規定を対照した結果は、"
            + "、".join(f"{k}{v}件" for k, v in n.items())
            + "である。網羅していない要件は次のとおりである。",
        )
        rows = [_gap_row(g, rv, cites) for g, rv in r.gaps if g.coverage != "網羅"]
        if rows:
            table(doc, ("要件", "網羅状況", "助言・文案", "根拠"), rows, (56, 20, 60, 24))
    if r.advice:
        heading(doc, "（2）監査結果に基づく改定の助言", 2)
        for k, (a, rv) in enumerate(r.advice, start=1):
            heading(doc, f"{_mark(rv)}{k}　{a.clause.document} {a.clause.clause_path}", 3)
            para(doc, f"【現行の規定】{a.clause_says} {cites.refs([a.clause])}")
            para(doc, f"【発見事項】{a.what_happened}")
            para(doc, f"【助言】{a.advice}")
            para(doc, f"【改定文案】{a.proposed_wording}")
            if a.guideline_citations:
                para(doc, f"【ガイドラインの根拠】{cites.refs(a.guideline_citations)}")


def _report_summary(doc: DocxDocument, r: FinalReport) -> None:
    e = r.plan.engagement
    shiteki = sum(f.rating == "指摘" for _, fs in r.findings for f, _ in fs)
    iken = sum(f.rating == "意見" for _, fs in r.findings for f, _ in fs)
    missing = sum(j.verdict == "反映なし" for c in r.contracts for j, _ in c.judgements)
    partly = sum(j.verdict == "一部反映" for c in r.contracts for j, _ in c.judgements)
    checked = sum(bool(c.judgements) for c in r.contracts)
    advised = len(r.advice) + sum(g.coverage != "網羅" for g, _ in r.gaps)
    heading(doc, "7　総括", 1)
    para(
        doc,
        f"{e.fiscal_year_ja}は、{len(e.divisions)}課を対象に監査を実施し、指摘{shiteki}件、"
        f"意見{iken}件を取りまとめた。重点テーマである{e.focus_theme}については、"
        f"{checked}件の契約の書類を確認し、チェックリストの項目のうち反映なし{missing}件、"
        f"一部反映{partly}件について記載例又は代替措置を助言した。"
        f"ポリシーの改定については、{advised}件の助言を行った。"
        "対象課においては、指摘事項の改善の計画を策定し、その実施状況を報告されたい。",
    )
    if r.withheld and not r.include_drafts:
        para(doc, f"（注）承認されていない下書き{r.withheld}件は本書に記載していない。")


def export_final_report(r: FinalReport, path: Path, day: date | None = None) -> Path:
    """Write the final report (事業報告書) as Word.

    Args:
        r: what the report shows (signed-off content; unsigned parts only with include_drafts).
        path: the .docx to write.
        day: the date under the title (today by default).

    Returns:
        The path written: a cover table, 1 業務の概要 (purpose, methods, team), 2 実施経過
        (milestones, hearings and on-site checks), 3 監査実施方針 (the self-check ranking and the
        reasons of the audited divisions), 4 対象課ごとの監査結果 (findings with rating, risk,
        recommendation), 5 外部サービス契約の確認結果 (counts per verdict, items needing action),
        6 ポリシー改定に関する助言, 7 総括, and 付録 引用一覧: every citation of the body,
        numbered, with document, clause path, page and quote; the body refers to them as ［n］.
        Unsigned parts carry 【下書き】 and the page header says so.

    Raises:
        UserError: the path does not end in .docx.

    """
    e = r.plan.engagement
    cites = Citations()
    doc = new_document(engagement_title(e, "事業報告書"), drafts=r.drafts)
    cover(doc, e, "事業報告書", day or date.today(), e.year_end)
    _report_course(doc, r)
    _report_approach(doc, r, cites)
    _report_findings(doc, r, cites)
    _report_contracts(doc, r, cites)
    _report_policy(doc, r, cites)
    _report_summary(doc, r)
    doc.add_page_break()
    heading(doc, "付録　引用一覧", 1)
    para(doc, "本文中の［n］は、次の文書の条項からの引用（原文のまま）を示す。")
    if cites.cited:
        table(doc, ("No.", "文書", "条項パス", "頁", "引用"), cites.rows(), (12, 40, 30, 10, 68))
    else:
        para(doc, "引用はない。")
    para(doc, "以上", align="right")
    return save_docx(doc, path)
