"""Domain objects (pydantic v2), all in one place: this package (the engagement's in its module)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from copilot.schemas.engagement import (  # the engagement's models, named here as all others
    MILESTONES as MILESTONES,
)
from copilot.schemas.engagement import (
    TEAM_ROLES as TEAM_ROLES,
)
from copilot.schemas.engagement import (
    DivisionDate as DivisionDate,
)
from copilot.schemas.engagement import (
    Engagement as Engagement,
)
from copilot.schemas.engagement import (
    EngagementContract as EngagementContract,
)
from copilot.schemas.engagement import (
    Milestones as Milestones,
)
from copilot.schemas.engagement import (
    NoticeHeading as NoticeHeading,
)
from copilot.schemas.engagement import (
    TeamMember as TeamMember,
)
from copilot.schemas.engagement import (
    TeamRole as TeamRole,
)
from copilot.schemas.engagement import (
    WorkItem as WorkItem,
)
from copilot.schemas.engagement import (
    Workplan as Workplan,
)


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
    text: str  # the clause's text, or the sentences of it shown when ``excerpt``
    char_start: int  # where ``text`` begins and ends in the document's text
    char_end: int
    body: str = ""  # another public body's document (a sample kept for comparison); "" = audited
    # the clause was too long to show whole: ``text`` is the sentences of it that matched
    excerpt: bool = False


class SearchResult(BaseModel):
    """A query and its hits."""

    query: str
    hits: list[Hit]


class VersionStatus(BaseModel):
    """An earlier version of a document, kept after new content replaced it."""

    document: str  # <document>@v<version>: the id its clauses are kept under
    version: int
    sha256: str
    clauses: int
    ingested_at: str
    replaced_at: str


class DocumentStatus(BaseModel):
    """A row of `copilot status`."""

    document: str
    title: str
    kind: str
    contract: str
    clauses: int
    ingested_at: str
    source: str
    body: str = ""  # the public body, when not the audited one
    version: int = 1  # one more each time new content replaced it
    sha256: str = ""  # of the file the version was read from
    earlier: list[VersionStatus] = Field(default_factory=list)  # kept earlier versions


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
    note: str = Field(
        default="", description="how the source was read (OCR, an e-mail's sender and date)"
    )


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


class ElementStanding(BaseModel):
    """How one element of an item's requirement profile stood in the contract."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    status: Literal["met", "soft", "missing"]
    quote: str = ""


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
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="確信度: the probability that the lean is right"
    )
    leaning: Verdict | None = Field(
        default=None, description="the verdict the drafter leans to (also when it says 要確認)"
    )
    confidence_reason: str = Field(default="", description="why it is this sure")
    measurements: dict[str, float] = Field(
        default_factory=dict,
        description="the evidence drafter's measurements (verdicts.FEATURES): what a refit learns",
    )
    profile: str = Field(
        default="", description="the requirement profile judged by (id@version), if any"
    )
    elements: list[ElementStanding] = Field(
        default_factory=list, description="each element of the profile: met, soft or missing"
    )
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


# --- guideline change impact (copilot policy diff) --------------------------------------------

ChangeKind = Literal["追加", "削除", "変更", "移動"]


class DiffSegment(BaseModel):
    """A run of an item's words: the same in both editions, added, or removed."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["equal", "insert", "delete"]
    text: str


class RevisionCandidate(BaseModel):
    """A policy clause that a guideline change may require to be revised, and the sentence why."""

    model_config = ConfigDict(extra="forbid")

    clause_path: str
    heading: str = ""
    citation: Citation = Field(description="the policy sentence, verified against the clause")
    terms: list[str] = Field(description="key terms of the change that the sentence names")
    score: float = Field(description="weighted share of the change's key terms it names")


class GuidelineChange(BaseModel):
    """One item added, removed, reworded or moved between two editions of a guideline."""

    model_config = ConfigDict(extra="forbid")

    kind: ChangeKind
    old_path: str = Field("", description="旧項番 (the clause path in the old edition)")
    new_path: str = Field("", description="新項番 (the clause path in the new edition)")
    old_heading: str = ""
    new_heading: str = ""
    old_text: str = ""
    new_text: str = ""
    reworded: bool = Field(description="the words changed (always for 変更; for 移動 maybe)")
    similarity: float | None = Field(
        None, description="character-bigram Jaccard of the two wordings (pairs only)"
    )
    segments: list[DiffSegment] = Field(description="the wording with the changed words marked")
    policy_clauses: list[RevisionCandidate] = Field(default_factory=list)


class Renumbered(BaseModel):
    """An item whose words and place are unchanged but whose number moved with its neighbours."""

    model_config = ConfigDict(extra="forbid")

    old_path: str
    new_path: str


class GuidelineDiff(BaseModel):
    """What changed between two editions of a guideline, and which policy clauses it touches."""

    model_config = ConfigDict(extra="forbid")

    old_document: str
    new_document: str
    policy_document: str
    old_items: int
    new_items: int
    unchanged: int = Field(description="items with the same words at the same path")
    renumbered: list[Renumbered] = Field(default_factory=list)
    changes: list[GuidelineChange] = Field(default_factory=list)

    def count(self, kind: str) -> int:
        """How many changes are of this kind (追加, 削除, 変更, 移動)."""
        return sum(1 for c in self.changes if c.kind == kind)


# --- sign-off state of a draft, as every export shows it -------------------------------------

DRAFT = "【下書き】"
ReviewStatus = Literal["draft", "approved", "approved_with_edits", "rejected"]
STATUS_LABEL: dict[str, str] = {
    "draft": "未承認",
    "approved": "承認済",
    "approved_with_edits": "修正のうえ承認済",
    "rejected": "却下",
}

T = TypeVar("T")


class ReviewInfo(BaseModel):
    """The sign-off state of one exported draft, as the review store reports it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ReviewStatus
    reviewer: str = ""
    reviewed_at: str = ""

    @property
    def signed(self) -> bool:
        """Whether a named person approved the draft (with or without edits)."""
        return self.status in ("approved", "approved_with_edits")

    def label(self) -> str:
        """The status in Japanese, with the date of the sign-off when there is one."""
        when = f"（{self.reviewed_at}）" if self.signed and self.reviewed_at else ""
        return (DRAFT if self.status == "draft" else "") + STATUS_LABEL[self.status] + when


def shows(review: ReviewInfo, include_drafts: bool) -> bool:
    """Whether an export shows a draft.

    Args:
        review: the draft's sign-off state.
        include_drafts: whether unsigned drafts are shown too.

    Returns:
        True for a signed draft, for an unsigned one only with include_drafts; never for a
        rejected one.

    """
    return review.signed or (include_drafts and review.status == "draft")


def kept(
    drafts: Iterable[tuple[T, ReviewInfo]], include_drafts: bool
) -> list[tuple[T, ReviewInfo]]:
    """The drafts an export shows.

    Args:
        drafts: each draft with its sign-off state.
        include_drafts: whether unsigned drafts are kept too.

    Returns:
        The drafts that `shows` lets through, in their order.

    """
    return [(d, r) for d, r in drafts if shows(r, include_drafts)]
