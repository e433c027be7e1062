"""The texts for an item that matches no requirement profile, composed of whole sentences.

An item of a city's own (「成果物の著作権は市に帰属するか」) has no profile with 記載例 and advice
written for it: it is judged from its own wording (``copilot.drafting.facets``). Its texts are
still sentences written here for the purpose, never the item's fragments glued to a verb: an
element of the item is named only as a quotation of its own wording completed into a phrase
(「「市の求めに応じて提示すること」に当たる定め」), an element that cannot be so named is spoken of
as 「確認項目が求める事項の一部」, and the proposed wording is the item's 記載例 or a sentence that
points at the policy clause the item rests on. Every verdict but 反映あり gets advice.
"""

from __future__ import annotations

from dataclasses import dataclass

from copilot.drafting.facets import Facet
from ingest.index import ClauseRecord
from ingest.normalise import squash

__all__ = ["WordingTexts", "compose_texts", "named"]

_MOST = 3  # elements named in one sentence


def _quoted(phrase: str) -> str:
    return "「" + phrase.replace("「", "『").replace("」", "』") + "」"


def named(facets: list[Facet]) -> str:
    """The elements that have a name, quoted and joined: 「A」、「B」及び「C」 (or "")."""
    names = list(dict.fromkeys(f.name for f in facets if f.name))[:_MOST]
    quoted = [_quoted(n) for n in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return "、".join(quoted[:-1]) + "及び" + quoted[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith("。") else f"{text}。"


@dataclass(frozen=True)
class WordingTexts:
    """What the drafter writes for one item judged by its wording."""

    rationale: str
    advice: str
    proposed: str
    alternative: str


def _proposal(example: str, basis: list[ClauseRecord], unmet: list[Facet]) -> str:
    """The item's 記載例, or a sentence pointing at the policy clause the item rests on."""
    if example.strip():
        text = _sentence(example)
        said = squash(example)
        left = named(
            [f for f in unmet if not any(alt and all(t in said for t in alt) for alt in f.terms)]
        )
        if left:
            text += f"記載例にない{left}についても、同様に条項を設ける。"
        return text
    if basis:
        clause = basis[0]
        where = f"{clause.title}{clause.path.split(' > ')[0]}"
        text = f"{where}の趣旨に沿った条項を、仕様書又は契約書に設ける。"
    else:
        text = "確認項目の趣旨に沿った条項を、仕様書又は契約書に設ける。"
    if names := named(unmet):
        text += f"当該条項には、{names}を含める。"
    return text


def compose_texts(
    verdict: str,
    leaning: str,
    *,
    example: str,
    quotes: str,
    nearest: str,
    documents: str,
    unmet: list[Facet],
    hedge: str,
    basis: list[ClauseRecord],
    between: str = "",
) -> WordingTexts:
    """Rationale, advice, proposed wording and alternative measure for one verdict.

    Args:
        verdict: the verdict shown (反映あり・一部反映・反映なし・要確認).
        leaning: the verdict the measurements lean to (for 要確認).
        example: the item's 記載例 ("" when the checklist has none).
        quotes: the quoted sentences, as 「<where>「…」、<where>「…」」 ("" when none).
        nearest: the nearest sentence for 反映なし, as 「<where>「…」」 ("" when none).
        documents: the titles of the contract's documents, joined.
        unmet: the elements of the item no sentence covers well enough.
        hedge: the hedge of the top sentence (「努めるものとする」) or "".
        basis: the policy clauses the item rests on.
        between: for 要確認, the two verdicts it is between, with their probabilities.

    """
    names = named(unmet)
    some = "確認項目が求める事項の一部に当たる定め"
    gap = f"確認項目のうち{names}に当たる定め" if names else some
    weak = (
        f"また、「{hedge}」との記載は拘束力が弱く、具体的な水準が定められていない。"
        if hedge
        else ""
    )
    if verdict == "反映あり":
        return WordingTexts(
            f"{quotes}との記載があり、確認項目の内容が契約書類に反映されている。", "", "", ""
        )
    proposed = _proposal(example, basis, unmet)
    how = "記載例を参考に、" if example.strip() else ""
    strengthen = (
        f"「{hedge}」のような拘束力の弱い表現にとどめず、具体的な水準を義務として定めるよう"
        "助言する。"
        if hedge
        else ""
    )
    if verdict == "一部反映":
        if unmet:
            rationale = f"{quotes}との記載はあるが、{gap}が見当たらない。{weak}"
            advice = f"{gap}を、{how}契約書又は仕様書に明記するよう助言する。{strengthen}"
        else:
            rationale = (
                f"{quotes}との記載はあるが、確認項目が求める事項を十分に満たす定めとはいえない。"
                f"{weak}"
            )
            advice = strengthen or (
                f"確認項目が求める事項が具体的に定められるよう、{how}契約書又は仕様書の記載を"
                "補うよう助言する。"
            )
        return WordingTexts(rationale, advice, proposed, "")
    if verdict == "反映なし":
        asked = f"確認項目のうち{names}に当たる定め" if names else "確認項目が求める事項の定め"
        rationale = f"{documents}から、{asked}を確認できない。"
        if nearest:
            rationale += f"最も近い記載は{nearest}であるが、当該事項の定めとはいえない。"
        advice = (
            f"{asked}が契約書類に見当たらないため、{how}契約書又は仕様書に追記するよう助言する。"
        )
        alternative = (
            "契約の変更が難しい場合は、当該事項について外部サービス提供者から書面で確認を取り、"
            "外部サービス利用管理台帳に記録する。"
        )
        return WordingTexts(rationale, advice, proposed, alternative)
    # 要確認: the measurements point two ways
    split = between or f"「{leaning}」と他の判定"
    rationale = f"{split}の間で判断が分かれるため、担当者の確認が必要である。"
    if quotes:
        rationale += f"関係する記載は{quotes}である。"
    if unmet:
        rationale += f"{gap}は見当たらない。"
    rationale += weak
    checked = f"確認項目のうち{names}に当たる定め" if names else "確認項目が求める事項の定め"
    advice = f"{checked}が契約書類のどこかにあるか、原文で確かめる。{strengthen}"
    return WordingTexts(rationale, advice, proposed, "")
