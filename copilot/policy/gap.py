"""Policy gap analysis: how far a policy implements each requirement of a guideline.

The requirements of a guideline are its numbered items that oblige someone (a sentence that
ends in 「…こと。」「…しなければならない。」「…ものとする。」 …): headings
(「2.1.1(1) 最高情報セキュリティ責任者の設置」), explanations (from a 【解説】 or [解説] line to
the end of the item) and labels (「[遵守事項] 2.1.1(1)(a)」) are not requirements. Sub-items
that oblige nobody themselves (「a) 監査実施計画の策定」) are read as part of the requirement
above them. The id of a requirement is its dotted number when it has one (2.1.1(1)(a)), else
its clause path (第35 2 (1)).

For each requirement the policy's clauses closest to it are retrieved (the hybrid search,
limited to the policy document). Each of their sentences, read under its heading
(「識別コードとパスワード」), is scored as the checklist's evidence drafter scores
evidence: key-term coverage (terms weighted by their rarity among the guideline's
requirements, so that words every requirement shares count little; synonyms from the
thesaurus) averaged with the scaled e5 similarity. A sentence that fits another
requirement better by more than ``gap_margin`` is that requirement's evidence, not this
one's. The best remaining score is the support: at or above ``gap_full`` → 網羅, at or
above ``gap_partial`` → 一部, else 欠落. A policy sentence that hedges
(「必要に応じて」「適切に」 …) where the requirement does not caps the judgement at 一部.
Quotes on both sides pass the citation gate; a judgement of 網羅 or 一部 left without a
verified policy quote becomes 要確認. The thresholds were chosen on the project's golden
set with ``copilot eval policy --sweep``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel

from copilot.drafting.citations import cite, gate, looks_like_instruction
from copilot.drafting.evidence import SIMILARITY_FLOOR, SIMILARITY_SCALE
from copilot.drafting.registry import Evidence, provenance, sentences
from copilot.drafting.terms import WORDING_RULES, TermWeights, coverage, hedges_in, key_terms
from copilot.drafting.thesaurus import Thesaurus
from copilot.errors import IndexMissingError, UserError
from copilot.retrieval import search
from copilot.schemas import Citation, PolicyGap
from copilot.services import Services
from copilot.settings import Settings
from ingest.clauses import EXPLANATION, PREAMBLE, parse_marker
from ingest.index import ClauseIndex, ClauseRecord, index_text
from ingest.normalise import squash

VERSION = "policy-gap-1"

# A sentence that obliges someone ends so (「…こと。」「…しなければならない。」「…ものとする。」).
_OBLIGATION = re.compile(
    r"(こと|なければならない|てはならない|ものとする|ものとします|努める|努めること)[。．）)」]*$"
)
# A line that only labels the item: 「[遵守事項] 2.1.1(1)(a)」「【基本対策事項】2.1.1(1)-1」.
_LABEL_LINE = re.compile(
    r"^\s*(?:\[[^\]]{1,12}\]|［[^］]{1,12}］|【[^】]{1,12}】)[\s0-9A-Za-z.()（）\-]*$"
)
_DOTTED = re.compile(r"^\d+(?:\.\d+)+")


@dataclass(frozen=True)
class Requirement:
    """One requirement of a guideline, with the sentence that states it."""

    id: str
    path: str
    text: str
    chapter: str
    clause: ClauseRecord  # the stored clause (piece) that holds the quote
    quote: str  # the obliging sentence, verbatim from ``clause``
    clause_ids: tuple[str, ...] = field(default_factory=tuple)


class GapAnalysis(BaseModel):
    """Every requirement of a guideline judged against one policy."""

    policy: str
    policy_title: str
    guideline: str
    guideline_title: str
    gaps: list[PolicyGap]

    def counts(self) -> dict[str, int]:
        """How many requirements got each coverage."""
        out: dict[str, int] = {}
        for g in self.gaps:
            out[g.coverage] = out.get(g.coverage, 0) + 1
        return out


# --- requirements -----------------------------------------------------------------------------


def _own_lines(text: str) -> tuple[list[str], bool]:
    """The lines of a clause piece that state the item, and whether an explanation began."""
    lines = []
    for line in text.split("\n"):
        if EXPLANATION.match(line):
            return lines, True
        if _LABEL_LINE.match(line) or not line.strip():
            continue
        found = parse_marker(line) if not lines else None
        body = line[found[1] :] if found else line
        if body.strip(" \t\u3000"):
            lines.append(body.strip(" \t\u3000"))
    return lines, False


def requirement_id(path: str) -> str:
    """2.1.1(1)(a) for a dotted item, else the path's numbers joined by spaces (第35 2 (1))."""
    parts = [p for p in path.split(" > ") if p and p != PREAMBLE]
    if parts and _DOTTED.match(parts[-1]):
        return parts[-1]
    return " ".join(parts)


def _obliging(line: str) -> list[str]:
    return [s for s in sentences(line) if _OBLIGATION.search(s.rstrip())]


def requirements(index: ClauseIndex, doc_id: str) -> list[Requirement]:
    """The requirements of an ingested guideline document, in document order."""
    return requirements_of(index.document_clauses(doc_id))


def requirements_of(clauses: list[ClauseRecord]) -> list[Requirement]:
    """The requirements among a document's stored clauses (in their order)."""
    by_path: dict[str, list[ClauseRecord]] = {}
    for rec in clauses:
        if rec.path != PREAMBLE:
            by_path.setdefault(rec.path, []).append(rec)
    own: dict[str, list[tuple[ClauseRecord, str]]] = {}
    for path, pieces in by_path.items():
        lines: list[tuple[ClauseRecord, str]] = []
        for rec in pieces:
            got, explained = _own_lines(rec.text)
            lines += [(rec, ln) for ln in got]
            if explained:
                break  # the remaining pieces continue the explanation
        own[path] = lines
    found: list[Requirement] = []
    parents: list[Requirement] = []
    for path, lines in own.items():
        quoted = next(((rec, s) for rec, ln in lines for s in _obliging(ln)), None)
        if quoted is None:
            # a sub-item that obliges nobody belongs to the requirement above it
            parent = next((r for r in reversed(parents) if path.startswith(r.path + " > ")), None)
            if parent is not None and lines:
                extra = " ".join(ln for _, ln in lines)
                merged = Requirement(
                    parent.id,
                    parent.path,
                    f"{parent.text} {extra}",
                    parent.chapter,
                    parent.clause,
                    parent.quote,
                    (*parent.clause_ids, *(r.clause_id for r, _ in lines)),
                )
                found[found.index(parent)] = merged
                parents[parents.index(parent)] = merged
            continue
        rec, quote = quoted
        heading = by_path[path][0].heading
        req = Requirement(
            id=requirement_id(path),
            path=path,
            text=" ".join(ln for _, ln in lines),
            chapter=heading.split(" > ")[0] if heading else path.split(" > ")[0],
            clause=rec,
            quote=quote,
            clause_ids=tuple(dict.fromkeys(r.clause_id for r, _ in lines)),
        )
        found.append(req)
        parents.append(req)
    return found


# --- judging ----------------------------------------------------------------------------------


def _document(services: Services, doc_id: str, role_ja: str, role_en: str) -> str:
    """The title of an ingested document.

    Raises:
        UserError: no such document in the index.

    """
    doc = services.index.document(doc_id)
    if doc is None:
        known = [d.doc_id for d in services.index.documents()]
        raise UserError(
            f"{role_ja}の文書 {doc_id} は取り込まれていません。`copilot status` で文書 ID を"
            f"確認してください（取り込み済み {len(known)} 件）。",
            f"the {role_en} document {doc_id} is not ingested; check the document id with "
            f"`copilot status` ({len(known)} ingested).",
        )
    return doc.title


@dataclass(frozen=True)
class _Rarity(TermWeights):
    """Term weights over the guideline's requirements, each term's weight computed once."""

    cache: dict[str, float] = field(default_factory=dict, compare=False)

    def weight(self, term: str) -> float:
        """log((N + 1) / (df + 0.5)) over the requirements; cached."""
        if term not in self.cache:
            self.cache[term] = super().weight(term)
        return self.cache[term]


def _titles(heading: str) -> str:
    """The titles in a heading path, without their numbers (「1 識別コードとパスワード」→ 識別…)."""
    return " ".join(p.split(" ", 1)[1] for p in heading.split(" > ")[1:] if " " in p)


@dataclass(frozen=True)
class _Sentence:
    """A policy sentence with the heading it stands under, scored against every requirement."""

    clause: ClauseRecord
    text: str
    fit: np.ndarray  # the combined score against each requirement, in requirement order


class GapJudge:
    """Judges the requirements of one guideline against one policy; deterministic.

    A requirement's support is the best combined score (term coverage + scaled e5 similarity,
    halved, as the evidence drafter measures it) among the retrieved policy sentences that do not
    fit another requirement clearly better (by more than ``gap_margin``): a sentence about audit
    planning is no evidence for a requirement about the auditor's independence.
    """

    name = "evidence"
    model = "rules"

    def __init__(
        self, services: Services, policy: str, guideline: str, reqs: list[Requirement]
    ) -> None:
        self.services = services
        self.settings: Settings = services.settings
        self.policy = policy
        self.guideline = guideline
        self.reqs = reqs
        self.order = {r.id + "\0" + r.path: n for n, r in enumerate(reqs)}
        self.terms = [key_terms(r.text) for r in reqs]
        self.weights = _Rarity(tuple(squash(r.text) for r in reqs))
        index = services.index
        self.vectors = np.vstack([index.embedder.embed_query(r.text) for r in reqs])
        self.sentences: dict[str, list[_Sentence]] = {}
        self.read: dict[str, Evidence] = {}
        # the title page (前文) of a numbered policy holds no rules
        self.numbered = any(c.path != PREAMBLE for c in index.document_clauses(policy))
        rules = "|".join(
            map(
                str,
                (
                    VERSION,
                    self.settings.gap_full,
                    self.settings.gap_partial,
                    self.settings.gap_margin,
                    self.settings.gap_candidates,
                    WORDING_RULES,
                ),
            )
        )
        self.rules_hash = hashlib.sha256(rules.encode()).hexdigest()[:16]

    def _scored(self, clause: ClauseRecord) -> list[_Sentence]:
        """The clause's sentences, each scored against every requirement (once per clause)."""
        if clause.clause_id not in self.sentences:
            texts = [s for s in sentences(clause.text) if not looks_like_instruction(s)]
            out = []
            if texts:
                titles = _titles(clause.heading)
                vectors = self.services.index.embed([index_text(clause.heading, t) for t in texts])
                sims = self.vectors @ vectors.T
                for k, text in enumerate(texts):
                    covs = np.array(
                        [
                            coverage(terms, [f"{titles} {text}"], self.weights, self.thesaurus)[0]
                            for terms in self.terms
                        ]
                    )
                    fit = (covs + SIMILARITY_SCALE * (sims[:, k] - SIMILARITY_FLOOR)) / 2
                    out.append(_Sentence(clause, text, fit))
            self.sentences[clause.clause_id] = out
        return self.sentences[clause.clause_id]

    @property
    def thesaurus(self) -> Thesaurus:
        """The synonym groups that term matching uses."""
        return self.services.thesaurus

    def evidence(self, req: Requirement) -> Evidence:
        """The policy clauses closest to the requirement, and the requirement's own clause."""
        hits = search(
            self.services.index,
            req.text,
            top_k=self.settings.gap_candidates,
            where={"doc_id": self.policy},
            fusion=self.services.fusion,
            thesaurus=self.services.thesaurus,
        )
        found = self.services.index.clauses([h.clause_id for h in hits])
        docs = [
            found[h.clause_id]
            for h in hits
            if h.clause_id in found and (h.clause_path != PREAMBLE or not self.numbered)
        ]
        return Evidence(documents=docs, basis=[req.clause])

    def assess(
        self, req: Requirement, margin: float | None = None
    ) -> tuple[float, list[_Sentence], list[str], Evidence]:
        """Support, the sentences it rests on (best first), capping hedges, evidence read.

        ``margin`` defaults to the ``gap_margin`` setting.
        """
        margin = self.settings.gap_margin if margin is None else margin
        n = self.order[req.id + "\0" + req.path]
        key = req.id + "\0" + req.path
        if key not in self.read:
            self.read[key] = self.evidence(req)
        evidence = self.read[key]
        pool = [s for c in evidence.documents for s in self._scored(c)]
        own = [s for s in pool if s.fit[n] >= s.fit.max() - margin]
        own.sort(key=lambda s: -s.fit[n])
        support = float(own[0].fit[n]) if own else 0.0
        hedges = hedges_in(own[0].text, req.text) if own else []
        return support, own, hedges, evidence

    def coverage_of(self, support: float, hedges: list[str], full: float, partial: float) -> str:
        """網羅 / 一部 / 欠落 for a support (hedged wording is at most 一部)."""
        if support >= full and not hedges:
            return "網羅"
        return "一部" if support >= partial else "欠落"

    def judge(self, req: Requirement) -> PolicyGap:
        """A gated judgement of one requirement."""
        n = self.order[req.id + "\0" + req.path]
        support, own, hedges, evidence = self.assess(req)
        verdict = self.coverage_of(
            support, hedges, self.settings.gap_full, self.settings.gap_partial
        )
        chosen: list[_Sentence] = []
        missing = list(self.terms[n])
        if verdict != "欠落":
            best = -1.0
            for cand in own:  # the best sentence, then those that cover terms still missing
                trial, left = coverage(
                    self.terms[n],
                    [f"{_titles(c.clause.heading)} {c.text}" for c in [*chosen, cand]],
                    self.weights,
                    self.thesaurus,
                )
                if not chosen or trial > best + 1e-9:
                    chosen.append(cand)
                    best, missing = trial, left
                if len(chosen) == 3:
                    break
        return gated(self._draft(req, verdict, chosen, missing, hedges, evidence), evidence)

    def _draft(
        self,
        req: Requirement,
        verdict: str,
        chosen: list[_Sentence],
        missing: list[str],
        hedges: list[str],
        evidence: Evidence,
    ) -> PolicyGap:
        where = f"ガイドライン {req.id}「{req.quote}」"
        quotes = "、".join(f"{c.clause.path}「{c.text}」" for c in chosen)
        advice = ""
        proposed = ""
        if verdict == "網羅":
            rationale = f"{where}に対し、ポリシーの{quotes}との定めがあり、要件を満たしている。"
        elif verdict == "一部":
            gaps = []
            if missing:
                gaps.append(f"「{'」「'.join(missing[:5])}」に関する定め")
            if hedges:
                gaps.append(f"「{hedges[0]}」にとどまらない具体的な水準")
            gap = "及び".join(gaps) or "要件の一部"
            rationale = f"{where}に対し、ポリシーの{quotes}との定めはあるが、{gap}が見当たらない。"
            advice = (
                f"ガイドライン {req.id} に照らし、{chosen[0].clause.path}に{gap}を加え、"
                "又は具体化するよう助言する。"
            )
            proposed = req.quote
        else:
            rationale = f"{where}に対応する定めをポリシーに確認できない。"
            advice = (
                f"ガイドライン {req.id}（{req.chapter}）に対応する条項を新設し、"
                f"「{req.quote}」の趣旨を定めるよう助言する。"
            )
            proposed = req.quote
        return PolicyGap(
            policy=self.policy,
            guideline=self.guideline,
            requirement=req.id,
            requirement_path=req.path,
            requirement_text=req.text,
            chapter=req.chapter,
            coverage=verdict,  # type: ignore[arg-type]
            rationale=rationale,
            policy_citations=[cite(c.clause, c.text) for c in chosen],
            guideline_citation=cite(req.clause, req.quote),
            missing=missing if verdict != "網羅" else [],
            advice=advice,
            proposed_wording=proposed,
            provenance=provenance(
                self.name,
                self.model,
                "policy_gap",
                VERSION,
                self.rules_hash,
                evidence,
                self.settings,
            ),
        )


def gap_errors(gap: PolicyGap, evidence: Evidence) -> tuple[PolicyGap, list[str]]:
    """The judgement with bound citations, and every reason it fails the gate."""
    allowed = evidence.allowed
    cites, errors = gate(gap.policy_citations, allowed)
    wrong = [c.clause_id for c in cites if allowed[c.clause_id].doc_id != gap.policy]
    if wrong:
        errors.append(f"ポリシー {gap.policy} の条項ではない引用があります: {wrong}")
    guideline: Citation | None = None
    if gap.guideline_citation is not None:
        checked, more = gate([gap.guideline_citation], allowed)
        errors += more
        if checked and allowed[checked[0].clause_id].doc_id != gap.guideline:
            errors.append(f"ガイドライン {gap.guideline} の条項ではない引用があります")
        guideline = checked[0] if checked else None
    if guideline is None:
        errors.append("要件そのもの（ガイドライン）の検証済みの引用が必要です")
    if gap.coverage in ("網羅", "一部") and not cites:
        errors.append(f"{gap.coverage} にはポリシーからの検証済みの引用が1件以上必要です")
    return gap.model_copy(
        update={"policy_citations": cites, "guideline_citation": guideline}
    ), errors


def gated(gap: PolicyGap, evidence: Evidence) -> PolicyGap:
    """The judgement after the citation gate; one that fails becomes 要確認 with the reasons."""
    checked, errors = gap_errors(gap, evidence)
    if not errors:
        return checked
    return checked.model_copy(
        update={
            "coverage": "要確認",
            "rationale": "根拠の検証に失敗したため、担当者の確認が必要です: " + " / ".join(errors),
            "policy_citations": [],
        }
    )


def make_judge(services: Services, policy: str, guideline: str) -> GapJudge:
    """A judge for one policy and one guideline, their documents and requirements checked.

    Raises:
        IndexMissingError: nothing ingested yet.
        UserError: either document is not ingested, they are the same document, or the
            guideline has no requirements.

    """
    if not services.index.count_clauses():
        raise IndexMissingError()
    _document(services, policy, "ポリシー", "policy")
    _document(services, guideline, "ガイドライン", "guideline")
    if policy == guideline:
        raise UserError(
            "ポリシーとガイドラインに同じ文書が指定されています。",
            "the policy and the guideline are the same document.",
        )
    reqs = requirements(services.index, guideline)
    if not reqs:
        raise UserError(
            f"{guideline} に要件（「…こと。」「…しなければならない。」等で終わる番号付きの項目）が"
            "見つかりません。ガイドラインの文書 ID を確認してください。",
            f"{guideline} has no requirements (numbered items that end in an obligation such as "
            "「…こと。」); check the guideline's document id.",
        )
    return GapJudge(services, policy, guideline, reqs)


def analyse(
    services: Services,
    policy: str,
    guideline: str,
    notify: Callable[[int, int, str], None] | None = None,
) -> GapAnalysis:
    """Judge every requirement of the guideline against the policy.

    Args:
        services: the open services (index, search, settings).
        policy: document id of the policy (as `copilot status` lists it).
        guideline: document id of the guideline.
        notify: called with (n, total, requirement id) before each requirement.

    Returns:
        One judgement per requirement, in the guideline's order.

    Raises:
        IndexMissingError: nothing ingested yet.
        UserError: either document is not ingested, they are the same document, or the
            guideline has no requirements.

    """
    judge = make_judge(services, policy, guideline)
    gaps = []
    for n, req in enumerate(judge.reqs, start=1):
        if notify:
            notify(n, len(judge.reqs), req.id)
        gaps.append(judge.judge(req))
    return GapAnalysis(
        policy=policy,
        policy_title=_document(services, policy, "ポリシー", "policy"),
        guideline=guideline,
        guideline_title=_document(services, guideline, "ガイドライン", "guideline"),
        gaps=gaps,
    )
