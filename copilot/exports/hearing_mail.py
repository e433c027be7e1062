"""A hearing mail as an .eml the auditor's own mail client opens as a draft to send.

UTF-8, the header ``X-Unsent: 1`` (Outlook and Thunderbird open such a file as an unsent draft),
no sender and no date (the client fills them in). Until the lead has signed the draft off, the
subject starts with 【下書き】 and the body's first lines say it is not approved and must not be
sent.
"""

from __future__ import annotations

from datetime import date
from email import policy
from email.message import EmailMessage
from pathlib import Path

from copilot.audit.hearing_records import HearingMail
from copilot.calendar_jp import wareki, weekday_ja
from copilot.exports.styling import check_suffix, cite_text, save_atomically
from copilot.filenames import safe_name
from copilot.schemas import DRAFT

UNSIGNED_NOTE = "【下書き】この文面は主任担当者の承認前です。承認を受けるまで送信しないでください。"


def mail_file_name(division: str) -> str:
    """The file name a division's hearing mail is written under: ヒアリング（書面）_課名.eml."""
    return f"ヒアリング（書面）_{safe_name(division)}.eml"


def _day(d: date) -> str:
    return f"{wareki(d)}（{weekday_ja(d)}）"


def hearing_body(mail: HearingMail, signed_off: bool) -> str:
    """The mail's text in polite Japanese (see ``hearing_message``)."""
    lines = [UNSIGNED_NOTE, ""] if not signed_off else []
    lines += [
        f"{mail.division}　御中",
        "",
        "いつもお世話になっております。情報セキュリティ監査の監査担当でございます。",
        "先日ご提出いただいた自己点検シートの回答につきまして、書面によるヒアリングを"
        "お願いいたします。",
        f"下記の質問について、{_day(mail.reply_by)}までに、このメールへの返信によりご回答"
        "くださいますようお願いいたします。",
        "ご回答の際は、質問ごとに質問番号（例：【質問1】）を行頭に付してご記入ください。"
        "本メールを引用される場合は、ご回答を引用部分の外にお書きください。",
    ]
    if mail.documents:
        lines.append("あわせて、下記の資料をご提出ください（返信に添付してください）。")
    lines += ["", "記", ""]
    for q in mail.questions:
        lines.append(f"【質問{q.no}】{q.question}")
        lines.append(f"　根拠：{cite_text(q.basis) if q.basis else '―'}")
        if q.documents:
            lines.append(f"　関連資料：{'、'.join(q.documents)}")
        lines.append("")
    if mail.documents:
        lines.append("■ ご提出いただきたい資料")
        lines += [f"　{k}. {d}" for k, d in enumerate(mail.documents, start=1)]
        lines.append("")
    lines += [
        "■ 回答期限",
        f"　{_day(mail.reply_by)}（{wareki(mail.drafted_on)}から{mail.reply_days}営業日）",
        "",
        "■ ご回答の記入例",
        *[f"　【質問{q.no}】（ご回答）" for q in mail.questions[:2]],
        "",
        "ご多忙のところ恐れ入りますが、よろしくお願いいたします。",
        "",
        "以上",
    ]
    return "\n".join(lines) + "\n"


def hearing_message(mail: HearingMail, signed_off: bool) -> EmailMessage:
    """The hearing mail as a message: subject, recipient if known, X-Unsent, UTF-8 body.

    Args:
        mail: the stored hearing mail (its latest version).
        signed_off: whether the lead has signed it off; if not, it is marked 【下書き】.

    Returns:
        The subject 「【情報セキュリティ監査】ヒアリング（書面）のお願い　課名」 (after 【下書き】
        when unsigned), and a body with the greeting, each numbered question with 「根拠：…」
        and its documents, the documents requested once each, the reply-by date in 令和 and a
        request to reply with the question numbers kept.

    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = mail.subject if signed_off else f"{DRAFT}{mail.subject}"
    if mail.to.strip():
        msg["To"] = mail.to.strip()
    msg["X-Unsent"] = "1"
    msg.set_content(hearing_body(mail, signed_off), charset="utf-8")
    return msg


def export_hearing_mail(mail: HearingMail, path: Path, signed_off: bool) -> Path:
    """Write the hearing mail as an .eml (through a temporary file).

    Raises:
        UserError: the path does not end in .eml.

    """
    check_suffix(path, ".eml")
    data = hearing_message(mail, signed_off).as_bytes()
    return save_atomically(path, lambda tmp: tmp.write_bytes(data))
