"""Japanese text normalisation and the character n-gram tokens used by BM25."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
# Characters that carry no meaning for matching: whitespace and punctuation after NFKC.
_NOISE = re.compile(r"[\s、。,.・:：;；!?！？「」『』()（）\[\]【】〔〕<>＜＞|｜\"'`-]")


def nfkc(text: str) -> str:
    """NFKC-normalise (full-width digits and Latin to half width, half-width kana to full)."""
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """Normalise for comparing quotes: NFKC with all whitespace removed."""
    return _WS.sub("", nfkc(text))


def tokens(text: str) -> list[str]:
    """Character unigrams and bigrams of the NFKC-normalised, lower-cased text.

    Punctuation and whitespace are dropped first, so bigrams join the characters around them;
    this is what makes BM25 work on Japanese without a dictionary.
    """
    s = _NOISE.sub("", nfkc(text).lower())
    return list(s) + [s[i : i + 2] for i in range(len(s) - 1)]
