"""Golden-set formats, parsed strictly so that a typo in a case is an error, not a silent miss."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
# Real public text (national security standards), never copied into the repository.
PUBLIC_CORPUS = ROOT.parent / "shared" / "public_corpus"
REAL_GOLDEN = ROOT / "eval" / "golden" / "real_text_retrieval.jsonl"


class Needle(BaseModel):
    """A verbatim substring of a clause that answers the query."""

    model_config = ConfigDict(extra="forbid")
    needle: str = Field(min_length=2)


class Filters(BaseModel):
    """Optional search filters of a case."""

    model_config = ConfigDict(extra="forbid")
    kind: str | None = None
    contract: str | None = None


class RetrievalCase(BaseModel):
    """One line of a retrieval golden set."""

    model_config = ConfigDict(extra="ignore")
    id: str
    query: str = Field(min_length=1)
    kind: Literal["lexical", "paraphrase"]
    filters: Filters = Field(default_factory=Filters)
    expect: list[Needle] = Field(min_length=1)


def load_retrieval(path: Path) -> list[RetrievalCase]:
    """Read a JSONL retrieval golden set.

    Raises:
        UserError: missing file or a malformed line (named by number).

    """
    if not path.is_file():
        raise UserError(
            f"正解データ {path} が見つかりません。", f"golden set {path} does not exist."
        )
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(RetrievalCase.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise UserError(
                f"正解データ {path} の {number} 行目が不正です: {exc}",
                f"line {number} of golden set {path} is invalid: {exc}",
            ) from exc
    if not cases:
        raise UserError(f"正解データ {path} が空です。", f"golden set {path} is empty.")
    return cases
