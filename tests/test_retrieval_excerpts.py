"""A clause too long to read whole is shown by the sentences of it that matched.

A city that keeps clauses long (``COPILOT_CLAUSE_MAX_CHARS``), or a document whose structure was
read wrongly, can hold thousands of characters in one clause. A hit on such a clause shows the
sentences of a passage's length that hold the words asked for, with the clause's id and path
and a mark that it is an excerpt, so the auditor reads a few hundred characters; what they
quote from it is still a valid citation of the clause. A clause of ordinary length is shown
whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.drafting.citations import citation_error, cite
from copilot.services import build_services
from copilot.settings import load_settings
from ingest.normalise import squash

NEEDLE = "庁外で紛失した端末は、発見した職員が二十四時間以内に情報政策課へ報告しなければならない。"
# many sentences of a 別添 read under one heading: 80 forms kept for some years, then the needle,
# then 40 more
FORMS = [f"様式第{n}号は、作成した課が{n % 9 + 1}年間保存する。" for n in range(1, 121)]
ANNEX = "第1　別添（様式の保存）\n" + "".join(FORMS[:80] + [NEEDLE] + FORMS[80:]) + "\n"
SHORT = "第2　パスワード\n１　パスワードは十二文字以上とし、推測されやすい語を用いてはならない。\n"


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Services over the two documents, clauses kept up to 5,000 characters."""
    root = tmp_path / "docs" / "policy"
    root.mkdir(parents=True)
    (root / "別添.txt").write_text(ANNEX, encoding="utf-8")
    (root / "規程.txt").write_text(SHORT, encoding="utf-8")
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COPILOT_CLAUSE_MAX_CHARS", "5000")
    services = build_services(load_settings())
    report = services.ingest([tmp_path / "docs"])
    assert not report.failed, report.failed
    yield services
    services.close()


def _huge(services):  # type: ignore[no-untyped-def]
    clauses = services.index.document_clauses("policy/別添.txt")
    assert len(clauses) == 1 and len(clauses[0].text) > 2000, "one clause holds the whole 別添"
    return clauses[0]


def test_a_sentence_deep_in_a_huge_clause_is_shown_by_its_own_sentences(services, capsys):
    huge = _huge(services)
    hits = services.search("紛失した端末を二十四時間以内に情報政策課へ報告", top_k=3)
    hit = hits[0]
    assert hit.clause_id == huge.clause_id
    assert hit.clause_path == huge.path == "第1"
    assert hit.excerpt
    assert squash(NEEDLE) in squash(hit.text)
    assert len(hit.text) <= 2 * services.settings.window_chars < len(huge.text)
    # whole sentences, where they are in the document
    assert hit.text.startswith("様式第") and hit.text.endswith("。")
    text = services.index.document_text(hit.document)
    assert text[hit.char_start : hit.char_end] == hit.text

    assert main(["search", "紛失した端末を二十四時間以内に情報政策課へ報告", "--top-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "第1（抜粋）" in out


def test_a_clause_of_ordinary_length_is_shown_whole(services):
    hits = services.search("パスワードの長さ", top_k=3)
    clause = services.index.document_clauses("policy/規程.txt")[0]
    hit = next(h for h in hits if h.clause_id == clause.clause_id)
    assert hit.text == clause.text
    assert not hit.excerpt


def test_a_citation_of_the_excerpt_is_valid_and_short(services):
    huge = _huge(services)
    hit = services.search("紛失した端末を二十四時間以内に情報政策課へ報告", top_k=1)[0]
    clause = services.index.clauses([hit.clause_id])[hit.clause_id]
    assert clause == huge
    for quote in (hit.text, NEEDLE):  # what the auditor reads, or the sentence in it
        citation = cite(clause, quote)
        assert citation_error(citation, {clause.clause_id: clause}) is None
        assert citation.clause_path == "第1"
    assert len(cite(clause, hit.text).quote) <= 2 * services.settings.window_chars
