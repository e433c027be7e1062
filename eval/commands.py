"""Registers `copilot eval ...` with the CLI (entry point group copilot.commands)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.golden import PUBLIC_CORPUS, REAL_GOLDEN


def _cmd_retrieval(args: argparse.Namespace) -> int:
    from copilot.cli.common import err, open_services, print_json
    from eval.retrieval import evaluate_retrieval

    if args.sweep:
        from eval.retrieval import sweep_fusion

        with open_services() as services:
            real = None
            corpus = Path(args.real_corpus)
            if not args.no_real_text and corpus.is_dir():
                from eval.retrieval import public_corpus_services

                real = public_corpus_services(services, corpus, err)
            try:
                rows = sweep_fusion(
                    services,
                    Path(args.golden),
                    notify=err,
                    real_text=real,
                    real_golden=Path(args.real_golden),
                )
            finally:
                if real is not None:
                    real.close()
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                print(json.dumps(row, ensure_ascii=False))
        return 0
    if args.corpus:
        from copilot.settings import load_settings
        from eval.retrieval import evaluate_corpus

        report = evaluate_corpus(
            load_settings(),
            Path(args.corpus),
            Path(args.golden),
            data=Path(args.data) if args.data else None,
            kind=args.kind,
            with_baseline=not args.no_baseline,
            repeat=not args.no_repeat,
            notify=err,
        )
    else:
        with open_services() as services:
            report = evaluate_retrieval(
                services,
                Path(args.golden),
                with_baseline=not args.no_baseline,
                notify=err,
                repeat=not args.no_repeat,
            )
            if not args.no_real_text:
                from eval.retrieval import evaluate_real_text

                report["real_text"] = evaluate_real_text(
                    services,
                    Path(args.real_golden),
                    Path(args.real_corpus),
                    with_baseline=not args.no_baseline,
                    notify=err,
                    repeat=not args.no_repeat,
                )
    if args.json == "-":
        print_json(report)
    else:
        print(format_retrieval(report))
        if args.json:
            Path(args.json).write_text(
                json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
    if args.min_recall is not None:
        recall = report["pipeline"]["overall"]["recall@5"]  # type: ignore[index]
        if recall < args.min_recall:
            err(f"recall@5 {recall} が基準 {args.min_recall} を下回りました / below threshold")
            return 1
    return 0


def format_retrieval(report: dict) -> str:  # type: ignore[type-arg]
    """A plain-text table of the retrieval report (and of the real-text set's, when it ran)."""
    text = _format_one(report)
    real = report.get("real_text")
    if real is not None:
        text += "\n\n# 実テキスト / real text\n" + (
            f"省略 / skipped: {real['skipped']}" if "skipped" in real else _format_one(real)
        )
    return text


# columns of the table: report key, heading
_COLUMNS = (
    ("recall@5", "R@5"),
    ("recall@10", "R@10"),
    ("mrr@10", "MRR@10"),
    ("mean_chars_top5", "上位5件文字数"),
    ("recall@2000chars", "2000字内R"),
)


def _cell(value: object, width: int) -> str:
    return " " * max(0, width - _width(str(value))) + str(value)


def _left(text: str, width: int) -> str:
    return text + " " * max(1, width - _width(text))


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _format_one(report: dict) -> str:  # type: ignore[type-arg]
    from eval.retrieval import SYSTEMS

    lines = [f"正解データ: {report['golden']}（{report['queries']} 件）"]
    if "corpus" in report:
        lines.append(f"文書フォルダ: {report['corpus']}（{report['documents']} 文書）")
        lines.extend(f"  取り込めなかった文書: {n}" for n in report.get("not_ingested", []))
    lines.append("")
    header = (
        _left("構成 / system", 28)
        + _left("区分", 12)
        + "".join(_cell(h, 14) for _, h in _COLUMNS)
        + _cell("2回で異なる", 14)
    )
    lines.append(header)
    for system, label in SYSTEMS.items():
        if system not in report:
            continue
        row = report[system]
        for subset in ("overall", "lexical", "paraphrase"):
            cells = "".join(_cell(row[subset].get(k, "—"), 14) for k, _ in _COLUMNS)
            differ = row.get("differing_lists", "—") if subset == "overall" else ""
            lines.append(_left(label, 28) + _left(subset, 12) + cells + _cell(differ, 14))
    if "ratios" in report:
        lines.append("")
        lines.append("ratio (ours / llama-index default): " + json.dumps(report["ratios"]))
    timing = report["pipeline"]
    if "p95_ms" in timing:
        lines.append(
            f"query latency (pipeline): p50 {timing['p50_ms']} ms, p95 {timing['p95_ms']} ms"
        )
    if report.get("misses"):
        lines.append("")
        lines.append("上位5件に入らなかった質問 / misses at 5:")
        lines.extend(f"  {m['id']} ({m['kind']}): {m['query']}" for m in report["misses"])
    return "\n".join(lines)


def _cmd_checklist(args: argparse.Namespace) -> int:
    from copilot.cli.common import drafter_name, err, open_services, print_json
    from copilot.drafting.drafters import make_drafter
    from eval.checklist import evaluate_checklist, sweep_thresholds

    goldens = [Path(g) for g in args.golden]
    with open_services() as services:
        if args.sweep:
            reports = [
                sweep_thresholds(
                    services,
                    Path(args.checklist),
                    goldens,
                    model_out=Path(args.model_out) if args.model_out else None,
                    notify=err,
                    cases_out=Path(args.cases_out) if args.cases_out else None,
                )
            ]
        else:
            drafter = make_drafter(drafter_name(args), services.settings)
            reports = [
                evaluate_checklist(services, Path(args.checklist), g, drafter, notify=err)
                for g in goldens
            ]
    if args.json:
        print_json(reports[0] if len(reports) == 1 else {"sets": reports})
        return 0
    for report in reports:
        for key, value in report.items():
            if key != "wrong":
                print(f"{key:>26}: {value}")
        for w in report.get("wrong", []):  # type: ignore[union-attr]
            print(f"  誤り {w['contract']} {w['item']}: 正解 {w['expected']} / 判定 {w['got']}")
        print()
    return 0


def _cmd_learning(args: argparse.Namespace) -> int:
    from copilot.cli.common import err, open_services, print_json
    from eval.learning import simulate_learning

    with open_services() as services:
        report = simulate_learning(
            services,
            Path(args.checklist),
            [Path(g) for g in args.golden],
            weights=args.weights,
            notify=err,
        )
    if args.json:
        print_json(report)
        return 0
    for name, row in report.items():
        print(f"{name}:")
        for label, m in row.items():  # type: ignore[union-attr]
            if isinstance(m, dict):
                at = m["accuracy_at_coverage"]
                print(
                    f"  {label:>14}: accuracy {m['accuracy']}  lean {m['lean_accuracy']}  "
                    f"@60% {at.get('60%')}  ECE {m['ece']}  要確認 {m['needs_review_rate']}"
                )
    return 0


def _cmd_policy(args: argparse.Namespace) -> int:
    from copilot.cli.common import err, open_services, print_json
    from eval.policy import evaluate_policy, sweep_thresholds

    with open_services() as services:
        if args.sweep:
            report = sweep_thresholds(services, Path(args.golden), notify=err)
        else:
            report = evaluate_policy(services, Path(args.golden), notify=err)
    if args.json:
        print_json(report)
    else:
        for key, value in report.items():
            if key not in ("wrong", "confusion"):
                print(f"{key:>24}: {value}")
        for want, row in report.get("confusion", {}).items():  # type: ignore[union-attr]
            print(f"  正解 {want}: " + "　".join(f"{k} {v}" for k, v in row.items()))
        for w in report.get("wrong", []):  # type: ignore[union-attr]
            print(f"  誤り {w['requirement']}: 正解 {w['expected']} / 判定 {w['got']}")
    if args.min_accuracy is not None and not args.sweep:
        if float(report["accuracy"]) < args.min_accuracy:  # type: ignore[arg-type]
            err(f"accuracy {report['accuracy']} が基準 {args.min_accuracy} を下回りました")
            return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `copilot eval retrieval`."""
    p = sub.add_parser("eval", help="評価 / evaluation against golden sets")
    eval_sub = p.add_subparsers(dest="eval_command", required=True)
    r = eval_sub.add_parser("retrieval", help="検索の評価 / retrieval metrics vs a baseline")
    r.add_argument("--golden", required=True, help="JSONL golden set (queries with needles)")
    r.add_argument(
        "--corpus",
        help="evaluate over this folder of documents, ingested into a temporary data folder "
        "(or --data); the city's data folder is not used",
    )
    r.add_argument("--data", help="with --corpus: a data folder to keep (reused if it matches)")
    r.add_argument("--kind", help="with --corpus: the documents' kind (default: from folders)")
    r.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the report as JSON to FILE (the table still prints); alone: JSON to stdout",
    )
    r.add_argument("--no-baseline", action="store_true", help="skip the llama-index baselines")
    r.add_argument(
        "--no-repeat",
        action="store_true",
        help="do not run the set a second time (counts the top-10 lists that differ)",
    )
    r.add_argument(
        "--sweep", action="store_true", help="try fusion weights and rrf k (chooses the defaults)"
    )
    r.add_argument("--min-recall", type=float, default=None, help="exit 1 below this recall@5")
    r.add_argument(
        "--real-golden",
        default=str(REAL_GOLDEN),
        help="JSONL golden set over the public corpus (reported beside --golden)",
    )
    r.add_argument(
        "--real-corpus",
        default=str(PUBLIC_CORPUS),
        help="public corpus folder of the real-text set (../shared/public_corpus)",
    )
    r.add_argument(
        "--no-real-text",
        action="store_true",
        help="skip the real-text golden set (always skipped with --corpus)",
    )
    r.set_defaults(func=_cmd_retrieval)
    c = eval_sub.add_parser("checklist", help="チェックリスト判定の評価 / checklist verdicts")
    c.add_argument("--checklist", required=True, help="checklist .xlsx")
    c.add_argument(
        "--golden",
        required=True,
        nargs="+",
        help="JSON lists of golden judgements: each is reported; --sweep fits on all of them",
    )
    c.add_argument("--drafter", choices=["evidence", "llm"])
    c.add_argument("--json", action="store_true")
    c.add_argument(
        "--sweep",
        action="store_true",
        help="fit the evidence drafter's verdict model (and its calibration) on the sets",
    )
    c.add_argument("--model-out", help="with --sweep: write the fitted model (verdict_model.json)")
    c.add_argument(
        "--cases-out",
        help="with --sweep: write the cases it was fitted on (verdict_cases.json, no text)",
    )
    c.set_defaults(func=_cmd_checklist)
    c = eval_sub.add_parser(
        "learning", help="署名からの学習の模擬 / simulate refits from signed-off contracts"
    )
    c.add_argument("--checklist", required=True, help="checklist .xlsx")
    c.add_argument("--golden", required=True, nargs="+", help="JSON lists of golden judgements")
    c.add_argument(
        "--weights",
        type=float,
        nargs="+",
        default=[1.0, 2.0, 3.0, 5.0, 10.0],
        help="sign-off weights",
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_cmd_learning)
    c = eval_sub.add_parser("policy", help="規程の網羅状況判定の評価 / policy gap analysis")
    c.add_argument("--golden", required=True, help="JSON golden set (eval/golden/policy_gap.json)")
    c.add_argument("--json", action="store_true")
    c.add_argument("--sweep", action="store_true", help="choose the gap analysis thresholds")
    c.add_argument("--min-accuracy", type=float, default=None, help="exit 1 below this accuracy")
    c.set_defaults(func=_cmd_policy)
