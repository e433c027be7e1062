"""The records of a hearing by e-mail: the mail sent, a reply read, a line of the hearing log.

Plain models (pydantic) that the review store validates as the draft kinds ``hearing_mail``
(key: the division) and ``hearing_reply`` (key: ``<division>/<reply file>``); what makes and reads
them is ``copilot.audit.hearings``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from copilot.schemas import Citation

MAIL_KIND = "hearing_mail"
REPLY_KIND = "hearing_reply"
REPLY_DAYS = 5  # business days a division has to reply, unless the auditor gives another
HearingStatus = Literal["未回答", "回答あり", "要追加確認"]


class HearingQuestion(BaseModel):
    """One numbered question of a hearing mail."""

    model_config = ConfigDict(extra="forbid")

    no: int = Field(ge=1, description="質問番号")
    reason_id: str = Field(description="自己点検の設問番号")
    category: str = ""
    question: str = Field(min_length=1, description="質問事項（ヒアリング項目）")
    basis: Citation | None = Field(default=None, description="根拠となる規程の一文")
    documents: list[str] = Field(default_factory=list, description="関連する依頼資料")


class HearingMail(BaseModel):
    """A division's hearing mail: questions, documents requested and the reply-by date."""

    model_config = ConfigDict(extra="forbid")

    division: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    to: str = Field(default="", description="宛先（空欄なら送信時に入力）")
    questions: list[HearingQuestion] = Field(min_length=1)
    documents: list[str] = Field(default_factory=list, description="提出を依頼する資料")
    drafted_on: date
    reply_days: int = Field(ge=1, le=60, description="回答期限（営業日数）")
    reply_by: date
    source: str = Field(default="", description="自己点検シート")

    @model_validator(mode="after")
    def _numbered(self) -> HearingMail:
        if [q.no for q in self.questions] != list(range(1, len(self.questions) + 1)):
            raise ValueError("質問番号は1から順に付けてください / number the questions 1, 2, …")
        return self


class ReplyAnswer(BaseModel):
    """What a reply says to one question, and the sentence relied on."""

    model_config = ConfigDict(extra="forbid")

    no: int = Field(ge=1)
    text: str
    quote: str = Field(description="証拠とする一文（回答の言葉そのもの）")
    status: HearingStatus
    why: str = ""
    citation: Citation | None = None


class HearingReply(BaseModel):
    """A division's reply mail, linked to the questions of the mail it answers."""

    model_config = ConfigDict(extra="forbid")

    division: str
    mail_draft: int | None = Field(default=None, description="回答先のヒアリングメールの下書き")
    questions: int = Field(ge=1, description="回答先のメールの質問数")
    file: str
    sha256: str = ""
    document: str = Field(default="", description="索引上の文書 ID（取り込み後）")
    sender: str = ""
    date: str = ""
    subject: str = ""
    linked: bool
    text: str = Field(description="返信本文のうち対象課自身の言葉（引用部分を除く）")
    answers: list[ReplyAnswer] = Field(default_factory=list)


class LogEntry(BaseModel):
    """One line of the hearing log: question → reply → quoted evidence → status."""

    model_config = ConfigDict(extra="forbid")

    no: int
    reason_id: str
    question: str
    status: HearingStatus
    why: str = ""
    answer: str = ""
    quote: str = ""
    file: str = ""
    sender: str = ""
    date: str = ""
    citation: Citation | None = None
    linked: bool = True
