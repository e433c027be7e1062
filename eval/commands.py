"""Registers `copilot eval ...` with the CLI (entry point group copilot.commands)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _cmd_retrieval(args: argparse.Namespace) -> int:
    from copilot.cli.common import err, open_services, print_json
    from eval.retrieval import evaluate_retrieval

    if args.sweep:
        from eval.retrieval import sweep_fusion

        with open_services() as services:
            rows = sweep_fusion(services, Path(args.golden), notify=err)
        if args.json:
            print_json(rows)
        else:
            for row in rows:
                print(json.dumps(row, ensure_ascii=False))
        return 0
    with open_services() as services:
        report = evaluate_retrieval(
            services, Path(args.golden), with_baseline=not args.no_baseline, notify=err
        )
    if args.json:
        print_json(report)
    else:
        print(format_retrieval(report))
    if args.min_recall is not None:
        recall = report["pipeline"]["overall"]["recall@5"]  # type: ignore[index]
        if recall < args.min_recall:
            err(f"recall@5 {recall} が基準 {args.min_recall} を下回りました / below threshold")
            return 1
    return 0


def format_retrieval(report: dict) -> str:  # type: ignore[type-arg]
    """A plain-text table of the retrieval report."""
    keys = ("recall@5", "recall@10", "mrr@10", "mean_chars_top5")
    lines = [f"正解データ: {report['golden']}（{report['queries']} 件）", ""]
    header = f"{'system':<10} {'subset':<11} " + " ".join(f"{k:>16}" for k in keys)
    lines.append(header)
    for system in ("pipeline", "baseline"):
        if system not in report:
            continue
        for subset in ("overall", "lexical", "paraphrase"):
            row = report[system][subset]
            lines.append(f"{system:<10} {subset:<11} " + " ".join(f"{row[k]:>16}" for k in keys))
    if "ratios" in report:
        lines.append("")
        lines.append("ratio (pipeline / baseline): " + json.dumps(report["ratios"]))
    if report.get("misses"):
        lines.append("")
        lines.append("上位5件に入らなかった質問 / misses at 5:")
        lines.extend(f"  {m['id']} ({m['kind']}): {m['query']}" for m in report["misses"])
    return "\n".join(lines)


def _cmd_checklist(args: argparse.Namespace) -> int:
    from copilot.cli.common import drafter_name, err, open_services, print_json
    from copilot.drafting.drafters import make_drafter
    from eval.checklist import evaluate_checklist, sweep_thresholds

    with open_services() as services:
        if args.sweep:
            report = sweep_thresholds(
                services,
                Path(args.checklist),
                Path(args.golden),
                model_out=Path(args.model_out) if args.model_out else None,
                notify=err,
            )
        else:
            drafter = make_drafter(drafter_name(args), services.settings)
            report = evaluate_checklist(
                services, Path(args.checklist), Path(args.golden), drafter, notify=err
            )
    if args.json:
        print_json(report)
    else:
        for key, value in report.items():
            if key != "wrong":
                print(f"{key:>20}: {value}")
        for w in report.get("wrong", []):  # type: ignore[union-attr]
            print(f"  誤り {w['contract']} {w['item']}: 正解 {w['expected']} / 判定 {w['got']}")
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
    r.add_argument("--golden", required=True, help="JSONL golden set")
    r.add_argument("--json", action="store_true")
    r.add_argument("--no-baseline", action="store_true", help="skip the llama-index baseline")
    r.add_argument(
        "--sweep", action="store_true", help="try fusion weights and rrf k (chooses the defaults)"
    )
    r.add_argument("--min-recall", type=float, default=None, help="exit 1 below this recall@5")
    r.set_defaults(func=_cmd_retrieval)
    c = eval_sub.add_parser("checklist", help="チェックリスト判定の評価 / checklist verdicts")
    c.add_argument("--checklist", required=True, help="checklist .xlsx")
    c.add_argument("--golden", required=True, help="JSON list of golden judgements")
    c.add_argument("--drafter", choices=["evidence", "llm"])
    c.add_argument("--json", action="store_true")
    c.add_argument(
        "--sweep",
        action="store_true",
        help="fit the evidence drafter's verdict model and choose its cut-offs",
    )
    c.add_argument("--model-out", help="with --sweep: write the fitted model (verdict_model.json)")
    c.set_defaults(func=_cmd_checklist)
    c = eval_sub.add_parser("policy", help="規程の網羅状況判定の評価 / policy gap analysis")
    c.add_argument("--golden", required=True, help="JSON golden set (eval/golden/policy_gap.json)")
    c.add_argument("--json", action="store_true")
    c.add_argument("--sweep", action="store_true", help="choose the gap analysis thresholds")
    c.add_argument("--min-accuracy", type=float, default=None, help="exit 1 below this accuracy")
    c.set_defaults(func=_cmd_policy)
