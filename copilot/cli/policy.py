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
    psub = p.add_subparsers(
        dest="policy_command", required=True, metavar="{gap,diff,advise,export}"
    )
    # the gap, diff and advise subcommands are added here with psub.add_parser(...)
    _add_gap(psub)
    _add_diff(psub)
    _add_advise(psub)
    _add_export(psub)


# --- copilot policy diff ---------------------------------------------------------------------


def _diff_lines(diff: GuidelineDiff) -> list[str]:
    """The diff as the auditor reads it: a summary, then each change with its policy clauses."""
    from copilot.exports.styling import noted
    from copilot.policy.diff import marked

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
            q = r.citation
            lines.append(noted(f"   見直しが必要な条項: {r.clause_path}「{q.quote}」", q.note))
    return lines


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two editions of a guideline and list the policy clauses each change touches."""
    from copilot.cli.common import err, open_services, print_json
    from copilot.exports.policy import export_diff
    from copilot.policy.diff import diff_guidelines

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


# --- copilot policy gap / advise ---------------------------------------------------------------


def cmd_gap(args: argparse.Namespace) -> int:
    """Judge how far a policy covers each requirement of a guideline."""
    from copilot.cli.common import drafting_user, err, open_services, print_json, save
    from copilot.exports.policy import export_gap_memo, export_gap_xlsx
    from copilot.policy.gap import analyse
    from copilot.review.recording import save_policy_gap

    user = drafting_user(args)
    with open_services() as s:
        analysis = analyse(
            s,
            args.policy,
            args.guideline,
            notify=lambda n, total, req: err(f"[{n}/{total}] {req} を判定中"),
        )
    save(user, lambda store, u, s: save_policy_gap(store, u, s, analysis))
    if args.out or args.memo:
        # a file written now holds this run's drafts, marked 【下書き】 until a lead signs them
        from copilot.schemas import ReviewInfo

        rows = [(g, ReviewInfo(status="draft")) for g in analysis.gaps]
        if args.out:
            err(f"書き出しました: {export_gap_xlsx(rows, Path(args.out), include_drafts=True)}")
        if args.memo:
            err(f"書き出しました: {export_gap_memo(rows, Path(args.memo), include_drafts=True)}")
    if args.json:
        print_json(analysis.model_dump())
        return 0
    print(f"{analysis.policy_title}（{analysis.policy}）")
    print(f"照らしたガイドライン: {analysis.guideline_title}（{analysis.guideline}）")
    print("　".join(f"{k} {v}件" for k, v in analysis.counts().items()))
    for g in analysis.gaps:
        print(f"{g.requirement}  {g.coverage}  {g.rationale}")
        if g.advice:
            print(f"      助言: {g.advice}")
    return 0


def _add_gap(psub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from copilot.cli.common import save_parent

    c = psub.add_parser(
        "gap",
        help="ガイドラインに照らした規程の網羅状況 / policy gap analysis",
        description="ガイドラインの要件ごとに、規程の該当条項と網羅状況（網羅・一部・欠落）を"
        "引用つきで判定し、追加・具体化すべき事項を助言します。",
        parents=[save_parent()],
    )
    c.add_argument("--policy", required=True, metavar="DOC_ID", help="判定する規程（文書ID）")
    c.add_argument("--guideline", required=True, metavar="DOC_ID", help="照らすガイドライン")
    c.add_argument("--out", metavar="FILE.xlsx", help="要件ごとの表を Excel に書き出す（下書き）")
    c.add_argument("--memo", metavar="FILE.docx", help="章ごとの助言メモを Word に（下書き）")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_gap)


def cmd_advise(args: argparse.Namespace) -> int:
    """Draft revision advice for the policy clauses that signed-off findings rest on."""
    from copilot.cli.common import drafting_user, open_services, print_json, save
    from copilot.exports.styling import noted
    from copilot.policy.advice import draft_advice
    from copilot.review.recording import save_policy_advice
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    user = drafting_user(args)
    with open_store(load_settings()) as store, open_services() as s:
        advice = draft_advice(s, store, args.policy or "")
    save(user, lambda store, u, s: save_policy_advice(store, u, s, advice))
    if args.json:
        print_json([a.model_dump() for a in advice])
        return 0
    for n, a in enumerate(advice, start=1):
        print(f"{n}. {a.clause.document} {a.clause.clause_path}")
        print(noted(f"   現行の定め: 「{a.clause.quote}」", a.clause.note))
        for line in a.what_happened.splitlines():
            print(f"   発見事項: {line}")
        print(f"   助言: {a.advice}")
        print(f"   改定案: {a.proposed_wording}")
    return 0


def _add_advise(psub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from copilot.cli.common import save_parent

    c = psub.add_parser(
        "advise",
        help="承認済みの発見事項から規程の改定を助言する / revision advice from findings",
        description="承認済みの発見事項が判断基準とした規程の条項ごとに、現行の定め・判明したこと・"
        "改定案を下書きします。",
        parents=[save_parent()],
    )
    c.add_argument("--policy", metavar="DOC_ID", help="対象の規程（省略時はすべての規程）")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_advise)


def cmd_export(args: argparse.Namespace) -> int:
    """Write the signed-off gap judgements and revision advice of a policy to Excel and Word."""
    from copilot.errors import UserError
    from copilot.exports.policy import export_advice_memo, export_gap_memo, export_gap_xlsx
    from copilot.review.recording import reviewed_advice, reviewed_gaps
    from copilot.review.store import open_store
    from copilot.settings import load_settings

    if not (args.out or args.memo or args.advice):
        raise UserError(
            "--out FILE.xlsx、--memo FILE.docx、--advice FILE.docx の少なくとも1つを指定して"
            "ください。",
            "give at least one of --out FILE.xlsx, --memo FILE.docx, --advice FILE.docx.",
        )
    with open_store(load_settings()) as store:
        gaps = reviewed_gaps(store, args.policy)
        advice = reviewed_advice(store, args.policy)
    if (args.out or args.memo) and not gaps:
        raise UserError(
            f"{args.policy} の網羅状況の判定がありません。先に `copilot policy gap --user …` を"
            "実行してください。",
            f"no gap judgements for {args.policy}; run `copilot policy gap --user …` first.",
        )
    if args.advice and not advice:
        raise UserError(
            f"{args.policy} の改定助言がありません。先に `copilot policy advise --user …` を"
            "実行してください。",
            f"no revision advice for {args.policy}; run `copilot policy advise --user …` first.",
        )
    if args.out:
        print(export_gap_xlsx(gaps, Path(args.out), args.include_drafts))
    if args.memo:
        print(export_gap_memo(gaps, Path(args.memo), args.include_drafts))
    if args.advice:
        print(export_advice_memo(advice, Path(args.advice), args.include_drafts))
    return 0


def _add_export(psub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = psub.add_parser(
        "export",
        help="承認済みの判定・助言を書き出す / export signed-off gap judgements and advice",
    )
    c.add_argument("--policy", required=True, metavar="DOC_ID", help="対象の規程（文書ID）")
    c.add_argument("--out", metavar="FILE.xlsx", help="要件ごとの網羅状況（Excel）")
    c.add_argument("--memo", metavar="FILE.docx", help="章ごとの助言メモ（Word）")
    c.add_argument("--advice", metavar="FILE.docx", help="発見事項からの改定助言（Word）")
    c.add_argument("--include-drafts", action="store_true", help="未承認も【下書き】として含める")
    c.set_defaults(func=cmd_export)
