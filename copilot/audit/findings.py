"""Draft findings (発見事項) from checklist judgements or from a division's self-check answers.

The items of one group of the checklist judged 反映なし or 一部反映 become one finding (a 指摘
when one of them is 反映なし: the contract lacks what the policy requires the city to secure,
else an 意見), titled for the group, with the risk and sample wording of what each item lacks.
A self-check question answered いいえ becomes a 指摘 when the policy sentence it rests on is an
obligation, else an 意見. The drafter writes the
finding; the citation gate checks it like every other draft. Where the division answered a
hearing by e-mail, its reply sentence is cited beside the rule.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from copilot.audit.checklist_run import ChecklistRun
from copilot.audit.hearing_records import LogEntry
from copilot.audit.selfcheck import Triage
from copilot.drafting.citations import finding_errors
from copilot.drafting.profiles import Profile, load_profiles
from copilot.drafting.registry import Drafter, Evidence, FindingInput
from copilot.schemas import ChecklistItem, ChecklistJudgement, Citation, Finding
from copilot.services import Services

_OBLIGATIONS = ("しなければならない", "してはならない", "ものとする", "こと。")


class FindingsDraft(BaseModel):
    """Findings drafted for one division from one source (a contract or a self-check)."""

    division: str
    source: str
    findings: list[Finding]


def _gated(drafter: Drafter, given: FindingInput) -> Finding:
    draft = drafter.finding(given)
    checked, errors = finding_errors(draft, given.evidence.allowed)
    if not errors:
        return checked
    return checked.model_copy(
        update={
            "title": f"【要確認】{checked.title}",
            "finding": f"{checked.finding}（根拠の検証に失敗: {' / '.join(errors)}）",
        }
    )


# --- checklist judgements, merged by the checklist's group --------------------------------------

TOPICS = Path(__file__).with_name("finding_topics.toml")
_GROUP_ID = re.compile(r"^\s*(\d+(?:-\d+)*)\s")


@dataclass(frozen=True)
class Topic:
    """A checklist group as one finding: its title, and the risk and direction of its own.

    The risk and direction are used where an item has no requirement profile to take them from.
    """

    title: str
    risk: str
    recommendation: str


def load_topics() -> dict[str, Topic]:
    """The checklist groups' topics (``finding_topics.toml``), by group number (``1-7``)."""
    data = tomllib.loads(TOPICS.read_text(encoding="utf-8"))
    return {key: Topic(**value) for key, value in data["checklist"].items()}


def _group(item_id: str, item: ChecklistItem | None) -> tuple[str, str]:
    """The item's group number and heading: 「1-7」 and 「セキュリティ対策」."""
    heading = item.group if item is not None else ""
    found = _GROUP_ID.match(heading)
    key = found.group(1) if found else (heading.strip() or item_id.rsplit("-", 1)[0])
    name = heading.split("：")[-1]
    name = name[found.end() :] if found and "：" not in heading else name
    return key, name.strip() or f"設問 {key}"


def listed(words: Sequence[str]) -> str:
    """「A」, 「A及びB」, 「A、B及びC」."""
    words = list(dict.fromkeys(w for w in words if w))
    return "、".join(words[:-1]) + "及び" + words[-1] if len(words) > 1 else "".join(words)


@dataclass
class _Item:
    """One judged item of a group: what it found, and the profile's texts for what lacks."""

    judgement: ChecklistJudgement
    name: str
    found: str
    risks: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)


def _item(j: ChecklistJudgement, item: ChecklistItem | None, profile: Profile | None) -> _Item:
    """What the contract lacks for one item, as a sentence, with the element texts it needs."""
    name = profile.topic if profile else (item.text.rstrip("。か") if item else f"設問 {j.item}")
    elements = {e.id: e for e in profile.elements} if profile else {}
    met = [s.label for s in j.elements if s.status == "met"]
    soft = [s for s in j.elements if s.status == "soft"]
    missing = [s for s in j.elements if s.status == "missing"]
    said = []
    if missing and met:
        said.append(
            f"{listed(met)}は定められているが、{listed([s.label for s in missing])}は"
            "定められていない。"
        )
    elif missing:
        said.append(f"{listed([s.label for s in missing])}について定めが見当たらない。")
    if soft:
        said.append(
            f"{listed([s.label for s in soft])}については定めがあるものの、"
            "努力義務や原則としての定めにとどまる等、定め方が十分でない。"
        )
    if not said:
        said.append(
            "必要な定めが見当たらない。" if j.verdict == "反映なし" else "定めが一部にとどまる。"
        )
    lacking = [elements[s.id] for s in [*missing, *soft] if s.id in elements]
    needed = [e for e in lacking if e.required] or lacking
    return _Item(
        judgement=j,
        name=name,
        found="".join(said),
        risks=[e.risk for e in needed],
        proposals=[e.proposal for e in needed],
    )


def _risk(items: list[_Item], topic: Topic | None, name: str) -> str:
    """The group's risks: each lacking element's own sentence, else the group's."""
    risks = [r for i in items for r in i.risks]
    if not all(i.risks for i in items):
        risks.append(
            topic.risk
            if topic
            else (
                f"{name}に関する定めが契約書類にない場合、市の情報の取扱いについて事業者に"
                "必要な対策を求める根拠がなく、情報の漏えい等が生じるおそれがある。"
            )
        )
    return "".join(dict.fromkeys(risks))


def _recommendation(items: list[_Item], topic: Topic | None, name: str, rating: str) -> str:
    """The direction of improvement, with the sample wording of each lacking element."""
    must = "定めること。" if rating == "指摘" else "定めるよう検討されたい。"
    lines = [
        "契約の変更又は次回の契約に当たり、事業者と協議のうえ、上記の事項を契約書類"
        f"（仕様書又は契約書）に{must}"
    ]
    if not all(i.proposals for i in items):
        lines.append(
            topic.recommendation
            if topic
            else f"{name}について、市として求める対策を契約書類に明記すること。"
        )
    proposals = list(dict.fromkeys(p for i in items for p in i.proposals))
    if proposals:
        lines.append("記載例は次のとおりである。")
        lines += [f"・{p}" for p in proposals]
    return "\n".join(lines)


def _contract_documents(services: Services, contract: str) -> str:
    titles = [
        d.title or Path(d.source).stem
        for d in services.index.documents()
        if d.contract == contract and d.kind == "contract"
    ]
    return f"（{'、'.join(dict.fromkeys(titles))}）" if titles else ""


def _unique(citations: Sequence[Citation]) -> list[Citation]:
    """Each clause once, where it first appears."""
    seen: dict[str, Citation] = {}
    for c in citations:
        seen.setdefault(c.clause_id, c)
    return list(seen.values())


def from_checklist(
    services: Services,
    run: ChecklistRun,
    drafter: Drafter,
    division: str = "",
    items: dict[str, ChecklistItem] | None = None,
) -> FindingsDraft:
    """One finding per group of the checklist whose items were judged 反映なし or 一部反映.

    The items of one group (``1-7 選定基準：セキュリティ対策`` …) become one finding titled for
    the group (``finding_topics.toml``), listing each item and what the contract lacks for it;
    its risk and its sample wording are those of the lacking elements of each item's requirement
    profile (the group's own sentences for an item without one). A 指摘 when an item of the group
    is 反映なし, else an 意見. The built-in evidence drafter's text is this; an LLM drafter writes
    its own from the same problem and evidence.
    """
    division = division or f"契約 {run.contract} の所管課"
    items = items or {}
    profiles = load_profiles(services.settings)
    topics = load_topics()
    groups: dict[str, list[ChecklistJudgement]] = {}
    names: dict[str, str] = {}
    for j in run.judgements:
        if j.verdict not in ("反映なし", "一部反映") or not j.basis:
            continue  # no rule to cite: an auditor must write this one
        key, name = _group(j.item, items.get(j.item))
        groups.setdefault(key, []).append(j)
        names[key] = name
    documents = _contract_documents(services, run.contract)
    findings = []
    for key, judged in groups.items():
        topic, name = topics.get(key), names[key]
        title = topic.title if topic else f"外部サービス利用契約における{name}"
        parts = [_item(j, items.get(j.item), profiles.get(j.profile.split("@")[0])) for j in judged]
        rating = "指摘" if any(j.verdict == "反映なし" for j in judged) else "意見"
        problem = "\n".join(
            [
                f"契約 {run.contract} の契約書類{documents}を外部サービス利用時チェックリストに"
                f"より確認したところ、「{name}」に係る次の設問について、必要な定めが不足していた。",
                *(f"・設問 {i.judgement.item}（{i.name}）：{i.found}" for i in parts),
            ]
        )
        criteria = _unique([j.basis[0] for j in judged] + [c for j in judged for c in j.basis])
        evidence = _unique([c for j in judged for c in j.evidence])
        found = services.index.clauses([c.clause_id for c in [*criteria, *evidence]])
        given = FindingInput(
            division=division,
            subject=title,
            problem=problem,
            severity_hint=rating,
            evidence=Evidence(
                documents=[found[c.clause_id] for c in evidence if c.clause_id in found],
                basis=[found[c.clause_id] for c in criteria if c.clause_id in found],
            ),
            evidence_quotes=[(c.clause_id, c.quote) for c in evidence],
        )
        if not given.evidence.basis:
            continue
        if drafter.name != "evidence":
            findings.append(_gated(drafter, given))
            continue
        # the built-in drafter: its generic risk and direction give way to the profiles' own
        draft = drafter.finding(given).model_copy(
            update={
                "risk": _risk(parts, topic, name),
                "recommendation": _recommendation(parts, topic, name, rating),
                "criteria": [c for c in criteria if c.clause_id in found][: len(judged) + 1],
                "evidence": [c for c in evidence if c.clause_id in found],
            }
        )
        checked, errors = finding_errors(draft, given.evidence.allowed)
        findings.append(checked if not errors else _gated(drafter, given))
    return FindingsDraft(division=division, source=f"contract {run.contract}", findings=findings)


def _reply_said(entry: LogEntry) -> str:
    when = f"{entry.date[:10]}付けの" if entry.date else ""
    return f"書面によるヒアリングに対し、{when}回答で「{entry.quote}」としている。"


def from_selfcheck(
    services: Services,
    triage: Triage,
    drafter: Drafter,
    hearings: Mapping[str, Sequence[LogEntry]] | None = None,
) -> list[FindingsDraft]:
    """A finding for every self-check question a division answered いいえ or left open.

    Args:
        services: the index the rules are read from.
        triage: the divisions and the questions each answered いいえ or left open.
        drafter: writes each finding (checked by the citation gate).
        hearings: each division's hearing log (``copilot.audit.hearings.hearing_log``), if any:
            a question whose reply sentence is a citation of the ingested reply gets that
            sentence in the problem and among the finding's evidence, so the finding cites the
            division's own words next to the rule.

    """
    drafts = []
    for division in triage.divisions:
        replies = {
            e.reason_id: e
            for e in (hearings or {}).get(division.division, ())
            if e.citation is not None
        }
        findings = []
        for reason in division.reasons:
            if reason.basis is None:
                continue
            entry = replies.get(reason.id)
            said = [entry.citation.clause_id] if entry and entry.citation else []
            found = services.index.clauses([reason.basis.clause_id, *said])
            clause = found.get(reason.basis.clause_id)
            if clause is None:
                continue
            note = f"（補足: {reason.note}）" if reason.note else ""
            problem = (
                f"自己点検において「{reason.question}」に「{reason.answer}」と回答している{note}。"
            )
            documents, quotes = [], []
            if entry and entry.citation and entry.citation.clause_id in found:
                documents = [found[entry.citation.clause_id]]
                quotes = [(entry.citation.clause_id, entry.citation.quote)]
                problem += _reply_said(entry)
            mandatory = any(m in reason.basis.quote for m in _OBLIGATIONS)
            findings.append(
                _gated(
                    drafter,
                    FindingInput(
                        division=division.division,
                        subject=reason.category.lstrip("0123456789.．　 ") or reason.question[:20],
                        problem=problem,
                        severity_hint="指摘" if mandatory else "意見",
                        evidence=Evidence(documents=documents, basis=[clause]),
                        evidence_quotes=quotes,
                    ),
                )
            )
        drafts.append(
            FindingsDraft(division=division.division, source=division.source, findings=findings)
        )
    return drafts
