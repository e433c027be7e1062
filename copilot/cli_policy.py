"""``copilot policy …``: policy revision support.

Gap analysis, guideline change impact and advice from findings; each subcommand is a thin face
over one service function.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from copilot.schemas import GuidelineDiff


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``policy`` command group; each task adds its own subcommand below."""
    p = sub.add_parser("policy", help="ポリシー改定支援 / policy revision support")
    psub = p.add_subparsers(dest="policy_command", required=True, metavar="{gap,diff,advise}")
    # the gap, diff and advise subcommands are added here with psub.add_parser(...)
    _add_diff(psub)


# --- copilot policy diff ---------------------------------------------------------------------


def _diff_lines(diff: GuidelineDiff) -> list[str]:
    """The diff as the auditor reads it: a summary, then each change with its policy clauses."""
    from copilot.policy_diff import marked

    lines = [
        f"ガイドラインの改定差分: {diff.old_document} → {diff.new_document}",
        f"見直し候補を探した規程: {diff.policy_document}",
        f"条項 旧版 {diff.old_items} 件 / 新版 {diff.new_items} 件: "
        + "、".join(f"{k} {diff.count(k)}" for k in ("追加", "削除", "変更", "移動"))
        + f"、項番のみ変更 {len(diff.renumbered)}、変更なし {diff.unchanged}",
    ]
    if not diff.changes:
        lines.append("2つの版で内容の違いはありません。")
        return lines
    for n, c in enumerate(diff.changes, start=1):
        where = " → ".join(x for x in (c.old_path, c.new_path) if x)
        note = "（文言も変更）" if c.kind == "移動" and c.reworded else ""
        lines.append("")
        lines.append(f"{n}. [{c.kind}]{note} {where}")
        lines.append(f"   {marked(c.segments)}")
        if not c.policy_clauses:
            lines.append("   見直しが必要な条項: 該当する条項は見つかりませんでした。")
        for r in c.policy_clauses:
            lines.append(f"   見直しが必要な条項: {r.clause_path}「{r.citation.quote}」")
    return lines


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two editions of a guideline and list the policy clauses each change touches."""
    from copilot.cli import err, open_services, print_json
    from copilot.policy_diff import diff_guidelines, export_diff

    with open_services() as s:
        diff = diff_guidelines(s, args.old, args.new, args.policy)
    if args.out:
        err(f"書き出しました: {export_diff(diff, Path(args.out))}")
    if args.json:
        print_json(diff.model_dump())
    else:
        print("\n".join(_diff_lines(diff)))
    return 0


def _add_diff(psub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = psub.add_parser(
        "diff",
        help="ガイドラインの改定差分と規程の見直し候補 / guideline change impact",
        description="2つの版のガイドラインを比べ、追加・削除・変更・移動された条項と、"
        "それぞれについて見直しが必要な規程の条項を示します。",
    )
    c.add_argument("--old", required=True, metavar="DOC_ID", help="旧版のガイドライン（文書ID）")
    c.add_argument("--new", required=True, metavar="DOC_ID", help="新版のガイドライン（文書ID）")
    c.add_argument("--policy", required=True, metavar="DOC_ID", help="見直しの対象となる規程")
    c.add_argument("--out", metavar="FILE.xlsx", help="変更の一覧を Excel に書き出す")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_diff)
