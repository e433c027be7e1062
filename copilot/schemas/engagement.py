"""The engagement: the settings of one year's audit (the engagement file) and its work plan."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from copilot.calendar_jp import is_business_day, weekday_ja

TEAM_ROLES = ("統括責任者", "主任監査人", "監査人", "監査補助者")
TeamRole = Literal["統括責任者", "主任監査人", "監査人", "監査補助者"]
# The fixed milestones of the year (BRIEF step 1), in the order they must come.
MILESTONES: dict[str, str] = {
    "plan_explained": "作業計画書の説明（CISO）",
    "selfcheck_results": "自己点検・予備調査結果の受領",
    "approach": "監査実施方針の提出",
    "findings_confirmed": "発見事項の確定・監査結果通知（案）の取りまとめ",
    "ciso_explanation": "CISOへの監査結果の説明",
    "divisions_explanation": "対象課への監査結果の説明",
    "final_report": "事業報告書の提出",
}


def _engagement_error(field: str, ja: str, en: str) -> PydanticCustomError:
    """A cross-field error of the engagement file; ``ctx`` carries the field and both languages."""
    return PydanticCustomError("engagement", "{field}: {en}", {"field": field, "ja": ja, "en": en})


def _day_ja(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{weekday_ja(day)}）"


class TeamMember(BaseModel):
    """A member of the audit team and the role they hold in the engagement."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    role: TeamRole
    qualifications: str = Field("", description="資格（システム監査技術者、CISA 等）")


class DivisionDate(BaseModel):
    """A day fixed for one audited division (an on-site check or a hearing)."""

    model_config = ConfigDict(extra="forbid")

    division: str = Field(min_length=1)
    date: dt.date


class EngagementContract(BaseModel):
    """An external-service contract whose documents are checked against the checklist."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="契約番号（取込みの契約番号と同じ）")
    division: str = Field(min_length=1)
    service: str = Field("", description="サービス名")


class Milestones(BaseModel):
    """Dates that override the plan's defaults for the fixed milestones (each a business day)."""

    model_config = ConfigDict(extra="forbid")

    plan_explained: dt.date | None = None
    selfcheck_results: dt.date | None = None
    approach: dt.date | None = None
    findings_confirmed: dt.date | None = None
    ciso_explanation: dt.date | None = None
    divisions_explanation: dt.date | None = None
    final_report: dt.date | None = None


class NoticeHeading(BaseModel):
    """How the audit-result notice is headed: its number, addressee, sender and date (all optional).

    ``number`` is the 文書番号; ``{n}`` in it becomes ``first_number`` for the first audited
    division and one more for each next one, in the order of ``divisions``. Left out, the notice
    leaves the number blank for the city to fill in, is addressed to the city's mayor, and is sent
    by the team's 統括責任者.
    """

    model_config = ConfigDict(extra="forbid")

    number: str = Field("第　　号", min_length=1, description="文書番号（{n} に課ごとの番号）")
    first_number: int = Field(1, ge=1, le=99999, description="最初の課の番号")
    addressee: str = Field("", description="宛先（敬称を除く。空なら「<団体名>長」）")
    firm: str = Field("", description="差出人（監査を受託した事業者）")
    representative: str = Field("", description="代表者の役職と氏名（空なら統括責任者）")
    date: dt.date | None = Field(None, description="通知の日付（空なら出力した日）")


class Engagement(BaseModel):
    """One year's audit engagement, as written in the engagement file (engagement.toml).

    The fiscal year is the Western year it starts in (2026 = 令和8年度, 2026-04-01 to 2027-03-31).
    Cross-field errors carry the offending field and a Japanese and an English message in their
    ``ctx`` (error type ``engagement``).
    """

    model_config = ConfigDict(extra="forbid")

    city: str = Field(min_length=1, description="団体名")
    fiscal_year: int = Field(ge=2019, le=2100, description="年度（開始年の西暦）")
    contract_date: dt.date
    project: str = Field("情報セキュリティ監査業務", min_length=1, description="業務名")
    focus_theme: str = Field("外部サービスの利用", description="重点テーマ")
    team: list[TeamMember] = Field(min_length=1)
    divisions: list[str] = Field(min_length=1, max_length=4, description="監査対象課")
    onsite: list[DivisionDate] = Field(min_length=1, max_length=3, description="現地監査")
    hearings: list[DivisionDate] = Field(default_factory=list, description="ヒアリング日")
    contracts: list[EngagementContract] = Field(default_factory=list, max_length=4)
    policy_rounds: int = Field(3, ge=1, le=6, description="ポリシー改定助言の回数")
    milestones: Milestones = Field(default_factory=Milestones)
    notice: NoticeHeading = Field(default_factory=NoticeHeading, description="監査結果通知の頭書")

    @property
    def year_start(self) -> dt.date:
        """The first day of the fiscal year (April 1)."""
        return dt.date(self.fiscal_year, 4, 1)

    @property
    def year_end(self) -> dt.date:
        """The last day of the fiscal year (March 31 of the next year)."""
        return dt.date(self.fiscal_year + 1, 3, 31)

    @property
    def fiscal_year_ja(self) -> str:
        """The fiscal year in the Japanese era (令和8年度)."""
        year = self.fiscal_year - 2018
        return f"令和{'元' if year == 1 else year}年度"

    @model_validator(mode="after")
    def _consistent(self) -> Engagement:
        self._check_year()
        self._check_team()
        self._check_divisions()
        for field in ("onsite", "hearings"):
            self._check_days(field)
        self._check_contracts()
        for name, day in self.milestones:
            if day is not None:
                self._check_day(f"milestones.{name}", day)
        self._check_notice()
        return self

    def _check_year(self) -> None:
        if not self.year_start <= self.contract_date <= self.year_end:
            raise _engagement_error(
                "contract_date",
                f"契約日 {self.contract_date} が {self.fiscal_year_ja}（{self.year_start}～"
                f"{self.year_end}）の中にありません。",
                f"the contract date {self.contract_date} is outside fiscal year "
                f"{self.fiscal_year} ({self.year_start} to {self.year_end}).",
            )

    def _check_team(self) -> None:
        roles = {m.role for m in self.team}
        for role in ("統括責任者", "主任監査人"):
            if role not in roles:
                raise _engagement_error(
                    "team",
                    f'実施体制に{role}がいません（role = "{role}" の人を1人以上）。',
                    f'the team has no {role}; give at least one member role = "{role}".',
                )

    def _check_divisions(self) -> None:
        seen: set[str] = set()
        for k, name in enumerate(self.divisions):
            if not name.strip():
                raise _engagement_error(
                    f"divisions[{k}]", "監査対象課の名前が空です。", "a division name is empty."
                )
            if name in seen:
                raise _engagement_error(
                    f"divisions[{k}]",
                    f"監査対象課「{name}」が2回あります。",
                    f"division {name} is listed twice.",
                )
            seen.add(name)

    def _check_division(self, field: str, name: str) -> None:
        if name not in self.divisions:
            raise _engagement_error(
                field,
                f"「{name}」は監査対象課（divisions）にありません。divisions に加えるか、"
                f"名前を合わせてください（{'、'.join(self.divisions)}）。",
                f"{name} is not one of the audited divisions ({', '.join(self.divisions)}).",
            )

    def _check_day(self, field: str, day: dt.date) -> None:
        if day <= self.contract_date:
            raise _engagement_error(
                field,
                f"{_day_ja(day)}は契約日（{self.contract_date}）以前です。契約日より後にしてください。",
                f"{day} is not after the contract date {self.contract_date}.",
            )
        if day > self.year_end:
            raise _engagement_error(
                field,
                f"{_day_ja(day)}は{self.fiscal_year_ja}の末日（{self.year_end}）より後です。",
                f"{day} is after the end of fiscal year {self.fiscal_year} ({self.year_end}).",
            )
        if not is_business_day(day):
            raise _engagement_error(
                field,
                f"{_day_ja(day)}は営業日ではありません（土日・祝日・12月29日～1月3日を除く日に"
                "してください）。",
                f"{day} is not a business day (weekends, public holidays and 12/29-1/3 are not).",
            )

    def _check_days(self, field: str) -> None:
        seen: set[str] = set()
        for k, entry in enumerate(getattr(self, field)):
            self._check_division(f"{field}[{k}].division", entry.division)
            if entry.division in seen:
                raise _engagement_error(
                    f"{field}[{k}].division",
                    f"「{entry.division}」が2回あります。1課に1日としてください。",
                    f"{entry.division} appears twice; give one day per division.",
                )
            seen.add(entry.division)
            self._check_day(f"{field}[{k}].date", entry.date)

    def _check_contracts(self) -> None:
        seen: set[str] = set()
        for k, c in enumerate(self.contracts):
            if c.id in seen:
                raise _engagement_error(
                    f"contracts[{k}].id",
                    f"契約番号 {c.id} が2回あります。",
                    f"contract {c.id} is listed twice.",
                )
            seen.add(c.id)
            self._check_division(f"contracts[{k}].division", c.division)

    def _check_notice(self) -> None:
        n = self.notice
        if any(b in n.number.replace("{n}", "") for b in "{}"):
            raise _engagement_error(
                "notice.number",
                f"文書番号「{n.number}」に使える差込みは {{n}}（課ごとの番号）だけです。"
                '例: "架空監第{n}号"',
                f'the notice number "{n.number}" may hold only {{n}} (the number of each '
                'division), e.g. "架空監第{n}号".',
            )
        if n.addressee.rstrip().endswith(("様", "殿")):
            raise _engagement_error(
                "notice.addressee",
                f"宛先「{n.addressee}」には敬称を付けずに書いてください（「様」は通知に付けます）。",
                f"write the addressee {n.addressee} without an honorific; the notice adds 様.",
            )
        for field in ("addressee", "firm", "representative"):
            if re.search(r"[\x00-\x1f\x7f]", getattr(n, field)):
                raise _engagement_error(
                    f"notice.{field}",
                    "改行や制御文字は使えません。1行で書いてください。",
                    "line breaks and control characters are not allowed; write one line.",
                )
        if n.date is not None and not self.year_start <= n.date <= self.year_end:
            raise _engagement_error(
                "notice.date",
                f"通知の日付 {n.date} が{self.fiscal_year_ja}（{self.year_start}～"
                f"{self.year_end}）の中にありません。",
                f"the notice date {n.date} is outside fiscal year {self.fiscal_year}.",
            )


class WorkItem(BaseModel):
    """One line of the WBS: a piece of work, when it runs, what it waits for and yields."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="WBS番号（例 4.1.2）")
    name: str
    phase: str
    start: dt.date
    end: dt.date
    depends: list[str] = Field(default_factory=list, description="先行する作業項目の WBS 番号")
    owner: TeamRole
    deliverable: str = ""
    division: str = ""
    milestone: str = Field("", description="固定マイルストーンの名前（MILESTONES のキー）")


class Workplan(BaseModel):
    """The engagement and its work items in WBS order; every date is a business day."""

    model_config = ConfigDict(extra="forbid")

    engagement: Engagement
    items: list[WorkItem]

    def milestone(self, key: str) -> WorkItem:
        """The work item of a fixed milestone (a key of MILESTONES)."""
        return next(i for i in self.items if i.milestone == key)
