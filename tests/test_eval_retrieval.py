"""`copilot eval retrieval --corpus DIR --golden FILE`: any folder, any query set, both baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.cli.main import main
from copilot.errors import UserError
from copilot.settings import load_settings
from eval.metrics import found_within, score
from eval.retrieval import evaluate_corpus

DOCUMENTS = {
    "持ち出し規程.txt": (
        "情報資産の持ち出しに関する規程\n\n"
        "第1条（目的）\nこの規程は、庁舎外への情報資産の持ち出しの手続を定める。\n\n"
        "第2条（許可）\n職員は、情報資産を庁舎外に持ち出すときは、"
        "あらかじめ所属長の許可を得なければならない。\n\n"
        "第3条（記録）\n所属長は、持ち出しの日時、持ち出した者及び返却の日時を"
        "持ち出し管理簿に記録しなければならない。\n"
    ),
    "パスワード規程.txt": (
        "パスワードの管理に関する規程\n\n"
        "第1条（長さ）\nパスワードは12文字以上とし、英字、数字及び記号を組み合わせなければならない。\n\n"
        "第2条（共有の禁止）\n職員は、自らのパスワードを他の職員と共有してはならない。\n\n"
        "第3条（初期パスワード）\n初期パスワードは、最初のログオンのときに変更しなければならない。\n"
    ),
    "委託規程.txt": (
        "外部委託に関する規程\n\n"
        "第1条（再委託）\n受託者は、委託者の書面による承諾を得ずに再委託してはならない。\n\n"
        "第2条（事故の報告）\n受託者は、情報漏えいの事故が発生したときは、"
        "直ちに委託者に報告しなければならない。\n"
    ),
    "研修計画.txt": (
        "情報セキュリティ研修計画\n\n"
        "1 対象\n全ての職員は、年に1回以上、情報セキュリティ研修を受講しなければならない。\n\n"
        "2 新規採用職員\n新規採用職員は、採用後1か月以内に研修を受講するものとする。\n"
    ),
}

CASES = [
    ("t1", "情報資産を庁舎外に持ち出すときの許可", "lexical", "所属長の許可を得なければならない"),
    ("t2", "持ち出し管理簿に記録する事項", "lexical", "持ち出し管理簿に記録しなければならない"),
    ("t3", "パスワードは何文字以上", "lexical", "12文字以上とし"),
    ("t4", "受託者の再委託には委託者の承諾が必要か", "lexical", "書面による承諾を得ずに再委託"),
    ("t5", "業者から個人情報が漏れたらすぐ知らせてもらう", "paraphrase", "直ちに委託者に報告"),
    ("t6", "職員は毎年セキュリティの勉強会に出る必要があるか", "paraphrase", "年に1回以上"),
]

SYSTEMS = ("pipeline", "baseline", "baseline_dense", "baseline_fusion")


def _write(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCUMENTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    golden = tmp_path / "golden.jsonl"
    golden.write_text(
        "".join(
            json.dumps(
                {"id": i, "query": q, "kind": k, "expect": [{"needle": n}]}, ensure_ascii=False
            )
            + "\n"
            for i, q, k, n in CASES
        ),
        encoding="utf-8",
    )
    return corpus, golden


def test_recall_within_the_first_2000_characters_read():
    # the needle ends at 1,500 + 402 characters: read within 2,000
    assert found_within(["あ" * 1500, "い" * 400 + "答え" + "う" * 300], ["答え"])
    # the same hit below 1,700 characters: it ends at 2,102
    assert not found_within(["あ" * 1700, "い" * 400 + "答え"], ["答え"])
    # whitespace counts as read (the hit is shown as it is), the needle matches without it
    assert not found_within([" " * 1999, "答え"], ["答え"])
    assert found_within(["再委託は\n禁止"], ["再委託は禁止"])
    runs = [(["x" * 3000, "答え"], ["答え"]), (["答え"], ["答え"])]
    assert score(runs).as_dict()["recall@2000chars"] == 0.5
    assert score(runs).as_dict()["recall@5"] == 1.0


def test_eval_retrieval_over_any_folder_with_both_baselines(tmp_path: Path, capsys):
    corpus, golden = _write(tmp_path)
    out = tmp_path / "report.json"
    code = main(
        ["eval", "retrieval", "--corpus", str(corpus), "--golden", str(golden)]
        + ["--json", str(out)]
    )
    assert code == 0
    table = capsys.readouterr().out
    for label in (
        "本システム",
        "llama-index dense",
        "dense+文字BM25 RRF",
        "2000字内R",
        "2回で異なる",
    ):
        assert label in table
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["queries"] == 6 and report["documents"] == 4
    for system in SYSTEMS:
        overall = report[system]["overall"]
        assert 0 <= overall["recall@5"] <= overall["recall@10"] <= 1
        assert 0 <= overall["mrr@10"] <= overall["recall@10"]
        assert 0 <= overall["recall@2000chars"] <= overall["recall@10"]
        assert overall["mean_chars_top5"] > 0
        assert report[system]["paraphrase"]["queries"] == 2
        assert report[system]["lexical"]["queries"] == 4
        assert 0 <= report[system]["differing_lists"] <= 6
    # the same index, a fresh retriever: our lists do not move
    assert report["pipeline"]["differing_lists"] == 0
    # the lexical questions are answered by ours within the first ten
    assert report["pipeline"]["lexical"]["recall@10"] == 1.0
    # the windows are llama-index's: a whole short document each, longer than our clauses
    assert (
        report["baseline_dense"]["overall"]["mean_chars_top5"]
        > report["pipeline"]["overall"]["mean_chars_top5"]
    )
    # the city's data folder was not used and the temporary one is gone
    assert not (load_settings().data_dir / "index").exists()


def test_a_kept_data_folder_is_reused_and_one_of_another_corpus_refused(tmp_path: Path):
    corpus, golden = _write(tmp_path)
    data = tmp_path / "evaldata"
    said: list[str] = []
    first = evaluate_corpus(
        load_settings(), corpus, golden, data=data, with_baseline=False, repeat=False
    )
    second = evaluate_corpus(
        load_settings(),
        corpus,
        golden,
        data=data,
        with_baseline=False,
        repeat=False,
        notify=said.append,
    )
    assert sum("変更なし" in m for m in said) == 4  # nothing read again
    assert second["pipeline"]["overall"] == first["pipeline"]["overall"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "別の規程.txt").write_text("第1条 別の規程の本文である。\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        evaluate_corpus(load_settings(), other, golden, data=data, with_baseline=False)
    assert "--data" in info.value.ja
    said.clear()  # refused before anything was pruned: the first corpus is all still there
    evaluate_corpus(
        load_settings(), corpus, golden, data=data, with_baseline=False, notify=said.append
    )
    assert sum("変更なし" in m for m in said) == 4
