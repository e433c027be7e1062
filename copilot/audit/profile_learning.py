"""Learn from sign-off into the requirement profiles: what a lead's correction suggests.

A judgement made from a profile keeps each element's standing (``ChecklistJudgement.elements``).
When the lead signs it off with another verdict than the drafter's, the correction says something
about the profile, and this module turns it into suggestions for a person to review:

- the lead **lowered** the verdict (反映あり → 一部反映, or → 反映なし): the sentences that met an
  element did not convince them. Each is suggested as a *look-alike* of that element (a sentence
  its ``rejects`` should hold, and perhaps a word for its ``exclude``);
- the lead **raised** it: a quote the lead added that the profile did not find is suggested as a
  new *expression* of each element that stood missing or soft, with the words it holds that the
  element does not know yet (``copilot.drafting.terms.key_terms``).

Nothing changes by itself: the suggestions are written to ``<data>/profiles/suggestions/`` (not a
profile folder the drafter reads) and shown by ``copilot checklist suggest``; a person copies what
is right into a profile of ``<data>/profiles/`` (``copilot checklist profiles --check``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from copilot.drafting.profiles import load_profiles, user_folder
from copilot.drafting.terms import key_terms
from copilot.review.store import ReviewStore
from copilot.settings import Settings
from ingest.normalise import squash
from ingest.permissions import private_mkdir

__all__ = ["Suggestion", "suggest", "write_suggestions"]

RANK = {"反映なし": 0, "一部反映": 1, "反映あり": 2}
SIGNED = ("approved", "approved_with_edits")


@dataclass(frozen=True)
class Suggestion:
    """One change to a profile that a lead's sign-off suggests."""

    profile: str
    element: str
    label: str
    kind: str  # "look_alike" or "expression"
    sentence: str
    words: tuple[str, ...]
    draft: int
    contract: str
    item: str
    signed_by: str


def suggest(settings: Settings, store: ReviewStore) -> list[Suggestion]:
    """The suggestions of every signed-off judgement whose verdict the lead corrected."""
    profiles = load_profiles(settings)
    out: list[Suggestion] = []
    for draft in store.list_drafts(kind="checklist_judgement"):
        if draft.status not in SIGNED or draft.signoff is None:
            continue
        before, after = draft.original.payload, draft.latest.payload
        was, now = RANK.get(before.get("verdict", "")), RANK.get(after.get("verdict", ""))
        profile = profiles.get(str(before.get("profile", "")).split("@")[0])
        if was is None or now is None or was == now or profile is None:
            continue
        elements = {e.id: e for e in profile.elements}
        common = {
            "profile": profile.id,
            "draft": draft.id,
            "contract": str(before.get("contract", "")),
            "item": str(before.get("item", "")),
            "signed_by": draft.signoff.actor,
        }
        stood = [s for s in before.get("elements", []) if s.get("id") in elements]
        if now < was:
            for s in stood:
                if s.get("status") == "met" and s.get("quote"):
                    e = elements[s["id"]]
                    out.append(
                        Suggestion(
                            element=e.id,
                            label=e.label,
                            kind="look_alike",
                            sentence=s["quote"],
                            words=(),
                            **common,  # type: ignore[arg-type]
                        )
                    )
            continue
        quoted = {squash(c.get("quote", "")) for c in before.get("evidence", [])}
        added = [
            c.get("quote", "")
            for c in after.get("evidence", [])
            if squash(c.get("quote", "")) not in quoted
        ]
        for s in stood:
            if s.get("status") == "met":
                continue
            e = elements[s["id"]]
            known = {w for group in e.terms for w in group}
            for sentence in added:
                if e.holds(sentence):
                    continue
                words = tuple(w for w in key_terms(sentence) if squash(w) not in known)[:6]
                out.append(
                    Suggestion(
                        element=e.id,
                        label=e.label,
                        kind="expression",
                        sentence=sentence,
                        words=words,
                        **common,  # type: ignore[arg-type]
                    )
                )
    return out


def _toml(value: object) -> str:
    # a JSON string or list of strings is a TOML value too (basic strings, UTF-8 allowed)
    return json.dumps(value, ensure_ascii=False)


def write_suggestions(settings: Settings, suggestions: list[Suggestion]) -> list[Path]:
    """Write the suggestions, one file per profile, for a person to review; their paths."""
    folder = user_folder(settings) / "suggestions"
    by_profile: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        by_profile.setdefault(s.profile, []).append(s)
    written = []
    for profile, items in sorted(by_profile.items()):
        private_mkdir(folder)
        lines = [
            f"# 署名からの提案: 要件プロファイル {profile}（自動作成）",
            "# 確かめてから、データフォルダの profiles/ のプロファイルに写してください。",
            "# このファイルは判定に使われません。",
        ]
        for s in items:
            lines.append("")
            lines.append("[[suggestions]]")
            for key, value in asdict(s).items():
                lines.append(f"{key} = {_toml(list(value) if isinstance(value, tuple) else value)}")
        path = folder / f"{profile}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written
