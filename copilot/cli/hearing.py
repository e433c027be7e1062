"""``copilot hearing draft|mail|reply|log``: hearings by e-mail (``copilot.audit.hearings``).

``draft`` makes the hearing mail of a division (or of every division with something to ask) from
the self-check triage, records it as a draft for the lead to sign off, and writes it as an .eml
marked 【下書き】; ``mail`` writes the stored mail again (unmarked once signed off) for the
auditor's own mail client to send. ``reply`` reads a division's reply (.eml/.msg), keeps and
ingests it, and links its answers to the questions; ``log`` lists question → reply → quoted
evidence → status. ``copilot findings draft --selfcheck`` cites the replies of the log.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.audit.hearing_records import REPLY_DAYS
from copilot.cli.common import (
    drafting_user,
    err,
    open_services,
    print_json,
    save,
    save_parent,
)
from copilot.errors import UserError
from copilot.settings import load_settings

if TYPE_CHECKING:
    from copilot.review.recording import Hearing

STATUS_MARK = {"未回答": "□", "回答あり": "■", "要追加確認": "△"}


def _stored(division: str) -> Hearing:
    """The division's stored hearing.

    Raises:
        UserError: no hearing mail has been drafted for it (the command to run is named).

    """
    from copilot.review.recording import stored_hearing
    from copilot.review.store import open_store

    with open_store(load_settings()) as store:
        hearing = stored_hearing(store, division)
    if hearing is None:
        raise UserError(
            f"{division} のヒアリングメールがありません。先に `copilot hearing draft --division "
            f"{division}` で作成してください。",
            f"there is no hearing mail for {division}; draft it first with "
            f"`copilot hearing draft --division {division}`.",
        )
    return hearing


def cmd_draft(args: argparse.Namespace) -> int:
    """Draft hearing mails from the self-check triage and write them as .eml drafts."""
    from copilot.audit.hearings import check_division, division_risk, draft_hearing
    from copilot.audit.selfcheck import ingested_sheets, triage
    from copilot.engagement.deadlines import parse_day
    from copilot.exports.hearing_mail import export_hearing_mail, mail_file_name
    from copilot.review.recording import save_hearing_mail

    today = parse_day(args.today, "作成日")
    user = drafting_user(args)
    with open_services() as s:
        sheets = [Path(p) for p in args.selfcheck or ()] or ingested_sheets(s)
        if not sheets:
            raise UserError(
                "自己点検シートがありません。--selfcheck FILE.xlsx で指定するか、"
                "自己点検シートを取り込んでください。",
                "there are no self-check sheets; give them with --selfcheck FILE.xlsx or "
                "ingest them first.",
            )
        result = triage(s, sheets)
    if args.division:
        chosen = [division_risk(result, check_division(args.division))]
    else:
        chosen = [d for d in result.divisions if d.reasons]
    if args.to and len(chosen) != 1:
        raise UserError(
            "--to は --division で1課を選んだときに指定してください。",
            "give --to only with --division (one division).",
        )
    if not chosen:
        raise UserError(
            "どの課の自己点検にも「いいえ」や未回答の設問がないため、質問することがありません。",
            "no division answered a self-check question いいえ or left one open: nothing to ask.",
        )
    mails = [
        draft_hearing(result, d.division, today, args.reply_days, args.to or "") for d in chosen
    ]
    save(user, lambda store, u, s: max(save_hearing_mail(store, u, m, sheets) for m in mails))
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for mail in mails:
        path = export_hearing_mail(mail, out_dir / mail_file_name(mail.division), signed_off=False)
        print(
            f"{path}　{mail.division}：質問 {len(mail.questions)} 件、依頼資料 "
            f"{len(mail.documents)} 件、回答期限 {mail.reply_by}（{mail.reply_days}営業日）"
        )
    err(
        "【下書き】として書き出しました。主任担当者の承認後に `copilot hearing mail` で書き出し"
        "直してから送信してください。/ written as drafts: send them after the lead's sign-off, "
        "written again with `copilot hearing mail`."
    )
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    """Write a division's stored hearing mail as an .eml (marked 【下書き】 until signed off)."""
    from copilot.audit.hearings import check_division
    from copilot.exports.hearing_mail import export_hearing_mail, mail_file_name

    division = check_division(args.division)
    out = Path(args.out) if args.out else Path(mail_file_name(division))
    hearing = _stored(division)
    print(export_hearing_mail(hearing.mail, out, hearing.signed_off))
    if hearing.signed_off:
        err(f"承認済み（{hearing.review.reviewer}）: 送信できます。/ signed off: ready to send.")
    else:
        err(
            f"下書き {hearing.draft_id} は未承認のため【下書き】として書き出しました。"
            f"/ draft {hearing.draft_id} is not signed off: written marked 【下書き】."
        )
    return 0


def cmd_reply(args: argparse.Namespace) -> int:
    """Take a division's reply mails: keep, ingest, link to the questions, record."""
    from copilot.audit.hearings import check_division, take_reply
    from copilot.review.recording import save_hearing_reply

    division = check_division(args.division)
    user = drafting_user(args)
    hearing = _stored(division)
    if not hearing.signed_off:
        err(
            f"注意: {division} のヒアリングメール（下書き {hearing.draft_id}）は未承認です。"
            f"/ note: the hearing mail of {division} is not signed off."
        )
    for name in args.files:
        with open_services() as s:
            reply = take_reply(s, Path(name), hearing.mail, hearing.draft_id, notify=err)
        save(user, lambda store, u, s, reply=reply: save_hearing_reply(store, u, reply))
        print(f"{reply.file}（{reply.sender or '差出人不明'}　{reply.date}）")
        if not reply.linked:
            print(
                "  質問番号がないため、どの質問への回答か確認してください（ログでは要追加確認）。"
            )
        for a in reply.answers:
            cited = "" if a.citation else "（引用できる一文なし）"
            print(f"  {STATUS_MARK[a.status]}【質問{a.no}】{a.status}：「{a.quote}」{cited}")
        answered = {a.no for a in reply.answers}
        missing = [q.no for q in hearing.mail.questions if q.no not in answered]
        if reply.linked and missing:
            print(f"  回答のない質問：{'、'.join(f'【質問{n}】' for n in missing)}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """A division's hearing log: question → reply → quoted evidence → status."""
    from copilot.audit.hearings import check_division
    from copilot.exports.styling import cite_text

    division = check_division(args.division)
    hearing = _stored(division)
    log = hearing.log()
    if args.json:
        print_json(
            {
                "division": division,
                "mail_draft": hearing.draft_id,
                "mail_status": hearing.review.status,
                "reply_by": hearing.mail.reply_by.isoformat(),
                "replies": [r.file for r in hearing.replies],
                "log": [e.model_dump(mode="json") for e in log],
            }
        )
        return 0
    state = "承認済み" if hearing.signed_off else "未承認（下書き）"
    print(
        f"{division} ヒアリング（書面）ログ　メール: 下書き {hearing.draft_id}・{state}　"
        f"回答期限 {hearing.mail.reply_by}　回答メール {len(hearing.replies)} 通"
    )
    for e in log:
        print(f"{STATUS_MARK[e.status]}【質問{e.no}】{e.question}")
        print(f"   状態: {e.status}{'（' + e.why + '）' if e.why else ''}")
        if e.answer:
            print(f"   回答: {e.answer.replace(chr(10), ' ')}（{e.file}　{e.sender}　{e.date}）")
        if e.citation:
            print(f"   証拠: {cite_text(e.citation)}")
    counts = {s: sum(e.status == s for e in log) for s in STATUS_MARK}
    print("　".join(f"{s} {n} 件" for s, n in counts.items()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `hearing draft|mail|reply|log` to the CLI."""
    p = sub.add_parser("hearing", help="ヒアリング（書面） / hearings by e-mail")
    h_sub = p.add_subparsers(dest="hearing_command", required=True)
    c = h_sub.add_parser(
        "draft",
        help="ヒアリングメールを下書きする / draft hearing mails",
        parents=[save_parent()],
    )
    c.add_argument("--division", help="one division (default: every division with questions)")
    c.add_argument("--selfcheck", nargs="+", help="self-check sheets (default: the ingested ones)")
    c.add_argument("--out-dir", default=".", help="folder for the .eml files (default: here)")
    c.add_argument(
        "--reply-days", type=int, default=REPLY_DAYS, help="business days to reply (default 5)"
    )
    c.add_argument("--to", help="with --division: the division's address")
    c.add_argument("--today", help="the drafting day, 2026-12-03 (default: today)")
    c.set_defaults(func=cmd_draft)

    c = h_sub.add_parser("mail", help="ヒアリングメールを書き出す / write the stored mail as .eml")
    c.add_argument("--division", required=True)
    c.add_argument("--out", help="the .eml to write (default: ヒアリング（書面）_課名.eml)")
    c.set_defaults(func=cmd_mail)

    c = h_sub.add_parser(
        "reply",
        help="回答メールを取り込む / take a division's reply",
        parents=[save_parent()],
    )
    c.add_argument("--division", required=True)
    c.add_argument("files", nargs="+", help="reply mails (.eml or .msg)")
    c.set_defaults(func=cmd_reply)

    c = h_sub.add_parser("log", help="ヒアリングログ / the hearing log")
    c.add_argument("--division", required=True)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_log)
