"""How often 質問 answers a question it should refuse, and refuses one it should answer.

The questions are ``eval/chat/offtopic.txt`` (weather, cooking, sports, chat …: the answer should
be 「該当する定めが見つかりません。」 with no quote) and ``eval/chat/ontopic.txt`` (questions the
sample corpus answers; a line ``C-2026-001<TAB>question`` asks with that contract in focus). Each
goes through ``copilot.audit.ask.ask`` with the built-in evidence drafter, as the 質問 tab asks.

    python -m eval.chat_offtopic [--data DIR] [--show] [--json]

Without ``--data`` the sample corpus is ingested into a temporary folder first (a few minutes);
``--data`` names a data folder that already holds it. ``--show`` lists the questions that went
the wrong way, with the sentences quoted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "chat"


@dataclass(frozen=True)
class Question:
    """A question of the set, with the contract it is asked about ("" for 全体)."""

    text: str
    contract: str = ""


def load_questions(path: Path) -> list[Question]:
    """The questions of a file: one a line, ``#`` comments, an optional contract and a tab."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        contract, _, text = line.rpartition("\t")
        out.append(Question(text.strip(), contract.strip()))
    return out


def measure(services: object) -> dict[str, object]:
    """Ask every question; count the off-topic ones answered and the on-topic ones refused."""
    from copilot.audit.ask import Focus, ask
    from copilot.drafting.drafters import make_drafter

    drafter = make_drafter("evidence", services.settings)  # type: ignore[attr-defined]
    result: dict[str, object] = {}
    for name, should_answer in (("offtopic", False), ("ontopic", True)):
        wrong = []
        questions = load_questions(QUESTIONS / f"{name}.txt")
        for q in questions:
            answer = ask(services, q.text, drafter, focus=Focus(contract=q.contract))  # type: ignore[arg-type]
            if bool(answer.citations) != should_answer:
                wrong.append(
                    {
                        "question": q.text,
                        "contract": q.contract,
                        "text": answer.text,
                        "quotes": [c.quote for c in answer.citations],
                    }
                )
        result[name] = {"questions": len(questions), "wrong": wrong}
    return result


def main(argv: list[str] | None = None) -> int:
    """Print the two rates (and, with --show, the questions that went the wrong way)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a data folder that already holds the sample corpus")
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from copilot.services import build_services
    from copilot.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "data"
        os.environ["COPILOT_DATA_DIR"] = str(data)
        services = build_services(load_settings())
        try:
            if not args.data:
                report = services.ingest([ROOT / "corpus_public"])
                assert not report.failed, report.failed
            result = measure(services)
        finally:
            services.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    off, on = result["offtopic"], result["ontopic"]
    assert isinstance(off, dict) and isinstance(on, dict)
    print(
        f"off-topic answered: {len(off['wrong'])}/{off['questions']} "
        f"({len(off['wrong']) / off['questions']:.0%})"
    )
    print(
        f"on-topic refused:   {len(on['wrong'])}/{on['questions']} "
        f"({len(on['wrong']) / on['questions']:.0%})"
    )
    if args.show:
        for name, r in (("off-topic answered", off), ("on-topic refused", on)):
            for w in r["wrong"]:
                print(f"[{name}] {w['contract'] + ' ' if w['contract'] else ''}{w['question']}")
                for quote in w["quotes"]:
                    print(f"    「{quote[:80]}」")
    return 0


if __name__ == "__main__":
    sys.exit(main())
