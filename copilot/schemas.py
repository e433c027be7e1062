"""Domain objects (pydantic v2), all in one place."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Hit(BaseModel):
    """One retrieved clause, with everything needed to cite it."""

    model_config = ConfigDict(frozen=True)

    rank: int
    score: float
    clause_id: str
    document: str
    document_title: str
    kind: str
    contract: str
    clause_path: str
    page: int | None
    text: str
    char_start: int
    char_end: int


class SearchResult(BaseModel):
    """A query and its hits."""

    query: str
    hits: list[Hit]


class DocumentStatus(BaseModel):
    """A row of `copilot status`."""

    document: str
    title: str
    kind: str
    contract: str
    clauses: int
    ingested_at: str
    source: str


class IndexStatus(BaseModel):
    """What the index holds and which embedder built it."""

    data_dir: str
    documents: list[DocumentStatus]
    clauses: int
    embedder: dict[str, object] | None


# --- drafts -----------------------------------------------------------------------------------

VERDICTS = ("反映あり", "一部反映", "反映なし", "要確認", "対象外")
Verdict = Literal["反映あり", "一部反映", "反映なし", "要確認", "対象外"]
YesNo = Literal["はい", "いいえ", "未回答"]
Rating = Literal["指摘", "意見"]
# The はい/いいえ a verdict puts in the checklist's 回答 column: 一部反映 is not yet satisfied.
ANSWER_OF: dict[str, str] = {
    "反映あり": "はい",
    "一部反映": "いいえ",
    "反映なし": "いいえ",
    "要確認": "未回答",
    "対象外": "未回答",
}


class Citation(BaseModel):
    """A quoted clause: a person can check it in one click."""

    model_config = ConfigDict(extra="forbid")

    clause_id: str
    document: str
    clause_path: str
    page: int | None = None
    quote: str = Field(min_length=1, description="the exact words relied on")


class Provenance(BaseModel):
    """How a draft was made: drafter, model, prompt, evidence, settings and time."""

    model_config = ConfigDict(extra="forbid")

    drafter: str
    model: str
    prompt: str
    prompt_version: str
    prompt_hash: str
    evidence_ids: list[str]
    settings_digest: str
    created_at: str
    attempts: int = 1


class ChecklistItem(BaseModel):
    """One item of an external-service checklist (e.g. 1-7-3)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    group: str = ""
    text: str
    guidance: str = ""
    example: str = ""
    sheet: str = ""
    row: int | None = None


class Checklist(BaseModel):
    """A checklist as imported from a city's Excel file."""

    model_config = ConfigDict(extra="forbid")

    title: str
    source: str
    items: list[ChecklistItem]


class ChecklistJudgement(BaseModel):
    """A draft judgement of one checklist item against one contract's documents."""

    model_config = ConfigDict(extra="forbid")

    item: str
    contract: str
    verdict: Verdict
    answer: YesNo
    rationale: str
    evidence: list[Citation] = Field(default_factory=list)
    basis: list[Citation] = Field(default_factory=list)
    advice: str = ""
    proposed_wording: str = ""
    alternative_measure: str = ""
    provenance: Provenance | None = None


class Finding(BaseModel):
    """A draft finding (発見事項) for one division."""

    model_config = ConfigDict(extra="forbid")

    division: str
    title: str
    finding: str = Field(description="発見事項")
    rating: Rating
    risk: str = Field(description="想定されるリスク")
    recommendation: str = Field(description="改善提言")
    criteria: list[Citation] = Field(default_factory=list)
    evidence: list[Citation] = Field(default_factory=list)
    provenance: Provenance | None = None


class Answer(BaseModel):
    """An answer to a question about the policy, with its citations."""

    model_config = ConfigDict(extra="forbid")

    question: str
    text: str
    citations: list[Citation] = Field(default_factory=list)
    provenance: Provenance | None = None


# --- policy revision support ------------------------------------------------------------------

COVERAGES = ("網羅", "一部", "欠落", "要確認")
# 網羅: the policy implements the requirement; 一部: partly (elements missing or vaguer);
# 欠落: no clause implements it; 要確認: the citation gate failed, a person must judge.
Coverage = Literal["網羅", "一部", "欠落", "要確認"]


class PolicyGap(BaseModel):
    """A draft judgement of how a policy covers one guideline requirement.

    Stored as kind ``policy_gap`` under the key ``<policy document>/<requirement id>``.
    """

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(description="document id of the policy judged")
    guideline: str = Field(description="document id of the guideline")
    requirement: str = Field(description="requirement id, e.g. 2.1.1(1)(a) or 第35 2 (1)")
    requirement_path: str = Field(description="clause path of the requirement in the guideline")
    requirement_text: str = Field(description="the requirement's wording")
    chapter: str = Field("", description="the guideline chapter the requirement belongs to")
    coverage: Coverage
    rationale: str = Field(description="why the coverage was judged so, quoting both sides")
    policy_citations: list[Citation] = Field(
        default_factory=list, description="policy clauses that implement the requirement"
    )
    guideline_citation: Citation | None = Field(
        None, description="the requirement itself, quoted from the guideline"
    )
    missing: list[str] = Field(
        default_factory=list, description="key terms of the requirement the policy does not cover"
    )
    advice: str = Field("", description="what to add or tighten, citing the guideline")
    proposed_wording: str = Field("", description="wording the policy could adopt")
    provenance: Provenance | None = None


class FindingRef(BaseModel):
    """A signed-off finding that a piece of revision advice rests on."""

    model_config = ConfigDict(extra="forbid")

    division: str
    number: int = Field(description="the finding's number within its division")
    draft_id: int | None = Field(None, description="review-store draft id of the finding")
    title: str
    rating: Rating
    finding: str = Field(description="発見事項, as signed off")


class PolicyAdvice(BaseModel):
    """Draft revision advice for one policy clause, from the signed-off findings citing it.

    Stored as kind ``policy_advice`` under the key ``<policy document>/<clause path>``.
    """

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(description="document id of the policy")
    clause: Citation = Field(description="the policy clause the findings rest on")
    clause_says: str = Field(description="what the clause says now")
    what_happened: str = Field(description="what the findings found, by division and number")
    findings: list[FindingRef] = Field(default_factory=list)
    advice: str = Field(description="what to revise and why")
    proposed_wording: str = Field(description="wording that would prevent a recurrence")
    guideline_citations: list[Citation] = Field(
        default_factory=list, description="guideline requirements that support the revision"
    )
    provenance: Provenance | None = None
