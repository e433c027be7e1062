"""What each standard checklist item requires, as reviewable data: the requirement profiles.

A profile (``copilot/drafting/requirements/<topic>.toml``, one file per topic, versioned) names
the *elements* an item of the external-service checklist needs, and for each element

- ``terms``: the expressions Japanese contracts, specifications and terms of service use for it,
  as groups that must all occur in one sentence (any word of a group will do; NFKC, no spaces):
  ``[["準拠法", "日本法", "日本国法"]]``;
- ``exclude``: look-alikes, expressions that put a sentence out of the element although it holds
  the terms (a paid restore of the user's own backup is no backup duty of the provider);
- ``accept``: who must be bound and how: ``provider`` (a duty or prohibition of the provider, of
  both parties, or of nobody named, as specifications are written) or ``city`` (a right or duty
  of the city: 「市は…できる」 is what an audit right looks like);
- ``needs``: the conditions a full match names (``prior``, ``written``, ``approval``, ``notice``,
  ``report``, or ``survives``: the duty outlives the contract); a binding
  sentence without them, a hedged one (努める・原則として) or the provider's mere permission
  where a duty is asked is a *soft* match;
- the texts a city can send, each a whole sentence written for the purpose: ``proposal`` (記載例),
  ``alternative`` (代替措置), ``risk`` (想定されるリスク) and ``soft_advice`` (how to strengthen a
  soft match). ``on_request = true`` marks an element met by a duty that arises when the city
  asks (an audit, a return of data): elsewhere 「求めがあった場合に限り」 makes a match soft.
  The element's ``label`` is a noun phrase used in rationales 「準拠法: …」;
- ``accepts`` and ``rejects``: sentences written for the tests, that meet the element and
  look-alikes that must not (``tests/test_profiles.py`` reads every profile's).

A city's item is matched to a profile by its own wording (``match``: groups of words, of which
``min_match`` must occur in the item text), the standard item id breaking ties; an item that
matches none is judged from its own wording as before. A user adds or overrides profiles with
files of the same form in ``<data folder>/profiles/`` (a file with the same ``id`` replaces the
built-in one). ``copilot checklist profiles [--check]`` lists and validates them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copilot.errors import UserError
from copilot.settings import Settings
from ingest.normalise import squash

__all__ = [
    "BUILTIN",
    "Element",
    "Profile",
    "load_profiles",
    "match_profile",
    "profile_files",
    "user_folder",
]

BUILTIN = Path(__file__).with_name("requirements")
Accept = Literal["provider", "city"]
Need = Literal["prior", "written", "approval", "notice", "report", "survives"]


class Element(BaseModel):
    """One thing an item needs, the expressions that show it, and what to write when it lacks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str = Field(min_length=2, max_length=30)
    required: bool = True
    terms: list[list[str]] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    accept: list[Accept] = Field(default_factory=lambda: ["provider"])
    needs: list[Need] = Field(default_factory=list)
    # the element is, by its nature, met on the city's request (an audit, the logs handed over when
    # asked): 「市の求めに応じて」 does not soften it as it does a standing duty
    on_request: bool = False
    proposal: str = Field(min_length=10)
    alternative: str = Field(min_length=10)
    risk: str = Field(min_length=10)
    soft_advice: str = Field(min_length=10)
    # sentences written for the tests: ones that meet the element, and look-alikes that do not
    accepts: list[str] = Field(min_length=1)
    rejects: list[str] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _groups_not_empty(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not group or any(not w.strip() for w in group) for group in groups):
            raise ValueError("every group of terms needs at least one non-empty expression")
        return [[squash(w) for w in group] for group in groups]

    @field_validator("exclude")
    @classmethod
    def _squashed(cls, words: list[str]) -> list[str]:
        return [squash(w) for w in words if w.strip()]

    def holds(self, sentence: str) -> bool:
        """True when the sentence holds a word of every group and no look-alike."""
        text = squash(sentence)
        if any(w in text for w in self.exclude):
            return False
        return all(any(w in text for w in group) for group in self.terms)


class Profile(BaseModel):
    """The requirements of one standard check (one topic of the external-service guideline)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    version: int = Field(ge=1)
    topic: str = Field(min_length=2)
    items: list[str] = Field(default_factory=list)
    match: list[list[str]] = Field(min_length=1)
    min_match: int = Field(1, ge=1)
    elements: list[Element] = Field(min_length=1)
    source: str = ""  # the file it was read from (set by the loader)

    @field_validator("match")
    @classmethod
    def _match_squashed(cls, groups: list[list[str]]) -> list[list[str]]:
        return [[squash(w) for w in group if w.strip()] for group in groups]

    def score(self, item_text: str) -> int:
        """How many of the match groups the item's wording holds."""
        text = squash(item_text)
        return sum(any(w in text for w in group) for group in self.match)


def user_folder(settings: Settings) -> Path:
    """Where a user's own profiles live (added to, or replacing, the built-in ones)."""
    return settings.data_dir / "profiles"


def profile_files(settings: Settings | None = None) -> list[Path]:
    """The built-in profile files, then the user's."""
    files = sorted(BUILTIN.glob("*.toml"))
    if settings is not None and user_folder(settings).is_dir():
        files += sorted(user_folder(settings).glob("*.toml"))
    return files


def _read(path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Profile.model_validate({**data, "source": str(path)})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(
            f"要件プロファイル {path} を読めません: {exc}。TOML の書式を確かめてください。",
            f"cannot read the requirement profile {path}: {exc}; check its TOML syntax.",
        ) from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise UserError(
            f"要件プロファイル {path} の内容が形式に合いません: {problems}。項目を直してください。",
            f"the requirement profile {path} does not fit the format: {problems}; fix the fields.",
        ) from exc


def load_profiles(settings: Settings | None = None) -> dict[str, Profile]:
    """Every profile by id; a user's file replaces the built-in one with the same id.

    Raises:
        UserError: a file that is not valid TOML or does not fit the format (named).

    """
    profiles: dict[str, Profile] = {}
    for path in profile_files(settings):
        profile = _read(path)
        profiles[profile.id] = profile
    return profiles


_ID = re.compile(r"^\s*(\d+(?:-\d+){1,2})")


def match_profile(item_id: str, item_text: str, profiles: dict[str, Profile]) -> Profile | None:
    """The profile whose wording the item's text holds best (its id breaking ties), or None."""
    best: tuple[int, int, str] | None = None
    for profile in profiles.values():
        score = profile.score(item_text)
        if score < profile.min_match:
            continue
        key = (score, int(item_id.strip() in profile.items), profile.id)
        if best is None or key[:2] > best[:2]:
            best = key
    return profiles[best[2]] if best else None
