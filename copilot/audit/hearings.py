"""Hearings by e-mail (ヒアリング（書面）): the questions sent to a division and its replies.

From the self-check triage, ``draft_hearing`` makes a division's hearing mail: numbered questions
(each a ``Reason.hearing`` with its policy basis), the documents requested (once each) and a
reply-by date ``reply_days`` business days after the drafting day (``copilot.calendar_jp``). It
is stored as a review draft of kind ``hearing_mail`` (key: the division) that the lead signs off
before the auditor sends it from their own mail client.

A reply (.eml or .msg, read by ``ingest.readers``) is split into answers by the question
numbers at the start of a line (【質問1】, 質問1, Q1, 1., (1)); only the division's own words
count, never earlier mail quoted in the reply. A reply without numbers is kept whole and marked
unlinked, and every question it may answer needs a person's check. Each answer gets a status:
回答あり, or 要追加確認 when it says something is not done, still under consideration, or asks for
time; a question no reply answers is 未回答. The reply is ingested into the index
(``hearings/<division>/<file>``), so the sentence relied on becomes a citation of a stored
clause that the citation gate accepts, and a finding drafted from the self-check
(``copilot.audit.findings.from_selfcheck`` with the log) cites the division's own reply. The
hearing log (``hearing_log``) lists question → answer → quoted evidence → status.

The models are in ``copilot.audit.hearing_records``; the faces keep them in the review store
(``copilot.review.recording``).
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from copilot.audit.hearing_records import (
    REPLY_DAYS,
    HearingMail,
    HearingQuestion,
    HearingReply,
    HearingStatus,
    LogEntry,
    ReplyAnswer,
)
from copilot.audit.selfcheck import DivisionRisk, Reason, Triage
from copilot.calendar_jp import add_business_days
from copilot.drafting.citations import cite, gate
from copilot.drafting.registry import sentences
from copilot.errors import UserError
from copilot.filenames import inside, readable, safe_name
from copilot.services import Services, kind_folder
from ingest.index import ClauseRecord
from ingest.normalise import squash
from ingest.pipeline import sha256_file
from ingest.readers import QUOTED, read_document
from ingest.readers.mail import REPLY_HEADING

SUFFIXES = (".eml", ".msg")
UNLINKED = "回答に質問番号（【質問1】など）がないため、どの質問への回答か確認が必要"


# --- the mail --------------------------------------------------------------------------------


def check_division(division: str) -> str:
    """The division name stripped; an error for one that cannot name a folder."""
    name = (division or "").strip()
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise UserError(
            f"課名「{division}」は使えません。/ や先頭の . を含まない課名を --division で"
            "指定してください。",
            f"the division name '{division}' cannot be used; give --division without / or a "
            "leading dot.",
        )
    return name


def division_risk(triage: Triage, division: str) -> DivisionRisk:
    """The triage's entry for one division.

    Raises:
        UserError: the division is not in the triage (the divisions it has are named).

    """
    for d in triage.divisions:
        if d.division == division:
            return d
    known = "、".join(d.division for d in triage.divisions) or "（なし）"
    raise UserError(
        f"自己点検の結果に {division} がありません（あるのは {known}）。課名を確かめるか、"
        "その課の自己点検シートを --selfcheck で指定してください。",
        f"the self-check results have no division {division} (they have {known}); check the "
        "name or give that division's sheet with --selfcheck.",
    )


def subject_of(division: str) -> str:
    """The mail's subject: 【情報セキュリティ監査】ヒアリング（書面）のお願い　課名."""
    return f"【情報セキュリティ監査】ヒアリング（書面）のお願い　{division}"


def draft_hearing(
    source: Triage | Sequence[Reason],
    division: str,
    today: date | None = None,
    reply_days: int = REPLY_DAYS,
    to: str = "",
    sheet: str = "",
) -> HearingMail:
    """A division's hearing mail from its self-check reasons.

    Args:
        source: the triage (the division's reasons are taken from it) or the reasons themselves.
        division: the division asked.
        today: the drafting day (default: today).
        reply_days: business days until the reply is due.
        to: the division's address, if known.
        sheet: the self-check sheet the reasons come from (default: the triage's).

    Returns:
        One question per reason, numbered from 1, with its basis and documents; the documents
        requested once each; the reply-by date ``reply_days`` business days after ``today``.

    Raises:
        UserError: the division is not in the triage, it has nothing to ask (every question
            answered はい), or ``reply_days`` is not 1 to 60.

    """
    division = check_division(division)
    if not 1 <= reply_days <= 60:
        raise UserError(
            f"回答期限の営業日数 {reply_days} は使えません。1から60で指定してください。",
            f"a reply period of {reply_days} business days cannot be used; give 1 to 60.",
        )
    if isinstance(source, Triage):
        risk = division_risk(source, division)
        reasons, sheet = risk.reasons, sheet or risk.source
    else:
        reasons = list(source)
    if not reasons:
        raise UserError(
            f"{division} の自己点検には「いいえ」や未回答の設問がないため、質問することが"
            "ありません。",
            f"{division} answered every self-check question はい: there is nothing to ask.",
        )
    day = today or date.today()
    documents = list(dict.fromkeys(d for r in reasons for d in r.documents))  # once each
    return HearingMail(
        division=division,
        subject=subject_of(division),
        to=to,
        questions=[
            HearingQuestion(
                no=k,
                reason_id=r.id,
                category=r.category,
                question=r.hearing,
                basis=r.basis,
                documents=r.documents,
            )
            for k, r in enumerate(reasons, start=1)
        ],
        documents=documents,
        drafted_on=day,
        reply_days=reply_days,
        reply_by=add_business_days(day, reply_days),
        source=sheet,
    )


# --- a reply ---------------------------------------------------------------------------------

_N = r"([0-9０-９]+)(?![0-9０-９])"
_MARKER = re.compile(  # at a line's start, in half- or full-width forms
    rf"^[ \t\u3000]*(?:【[ \u3000]*質問[ \u3000]*{_N}[ \u3000]*】|質問[ \u3000]*{_N}[.．:：、)）]?"
    rf"|[QｑＱq][ \u3000]*{_N}[.．:：、)）]?|{_N}[ \u3000]*[.．](?![0-9０-９])"
    rf"|[(（][ \u3000]*{_N}[ \u3000]*[)）])[ \t\u3000]*"
)
_SIGNATURE = re.compile(r"^(?:--|―{2,}|-{4,}|={4,})\s*$")
# Words of an answer that leave the point open: not done, not decided, or more time asked for.
_OPEN_WORDS = (
    "未実施",
    "していない",
    "しておらず",
    "しておりません",
    "していません",
    "行っていない",
    "行っておりません",
    "行っていません",
    "検討中",
    "検討して",
    "ありません",
    "ございません",
    "未定",
    "猶予",
    "延長",
    "お時間",
    "時間をいただ",
    "後日",
    "追って",
    "確認中",
    "調査中",
    "予定",
    "見込み",
)
# A line that closes the reply (the answers end there).
_CLOSING = re.compile(
    r"^[ \t\u3000]*(?:以上[。．]?|(?:(?:どうぞ|何卒|引き続き)[ \u3000]*)?(?:よろしく|宜しく)お願い"
    r".{0,20}|ご確認.{0,10}(?:よろしく|宜しく)お願い.{0,20})[ \t\u3000]*$"
)


_FAMILY = ("質問", "質問", "Q", "N.", "(N)")  # the style of each of _MARKER's groups


def marker_of(line: str) -> tuple[int, str, str] | None:
    """The question number a line starts with, the rest of the line and the number's style.

    The style is 質問 (【質問1】 or 質問1), Q, N. or (N).
    """
    m = _MARKER.match(line)
    if not m:
        return None
    k, number = next((k, g) for k, g in enumerate(m.groups()) if g)
    return int(unicodedata.normalize("NFKC", number)), line[m.end() :], _FAMILY[k]


def split_answers(lines: Sequence[str], questions: int) -> dict[int, list[str]]:
    """The lines after each question number (1..questions); {} when the reply has no numbers.

        The first number sets the reply's style (【質問1】, Q1, 1. or (1)); a number in another
        style, outside 1..questions, or not after the last one (a list inside an answer), is part of
        the answer it stands in. Lines before the first number (a greeting) and from a closing line
    on (よろしくお願いします, 以上) are no answer.
    """
    found: dict[int, list[str]] = {}
    current, style = 0, ""
    for line in lines:
        if current and _CLOSING.match(line):
            break
        marked = marker_of(line)
        if (
            marked
            and 1 <= marked[0] <= questions
            and marked[0] > current
            and style in ("", marked[2])
        ):
            current, style = marked[0], marked[2]
            found[current] = [marked[1].strip()] if marked[1].strip() else []
        elif current and line.strip():
            found[current].append(line.strip())
    return found


def answer_status(text: str) -> tuple[HearingStatus, str, str]:
    """Status, why, and the sentence to quote of an answer's text."""
    said = [s for line in text.splitlines() for s in sentences(line) if s.strip()]
    if not said:
        return "未回答", "回答の本文がありません", ""
    for s in said:
        word = next((w for w in _OPEN_WORDS if w in s), None)
        if word:
            return "要追加確認", f"「{word}」とあり、未了・未定又は回答の猶予を求める内容", s
    return "回答あり", "", said[0]


def own_lines(path: Path) -> tuple[list[str], dict[str, str]]:
    """The division's own lines of a reply (no quoted mail, no subject, no signature).

    Raises:
        UserError: not an .eml/.msg, unreadable, or without any words of the sender's own.

    """
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(
            f"{path}: 回答メールは .eml 又は .msg で指定してください。",
            f"{path}: give the reply as an .eml or .msg file.",
        )
    if not path.is_file():
        raise UserError(
            f"{path} が見つかりません。パスを確認してください。",
            f"{path} does not exist; check the path.",
        )
    reading = read_document(path)
    lines: list[str] = []
    for b in reading.blocks:
        if b.aside == QUOTED or b.heading_level == 1 or b.text == REPLY_HEADING:
            continue
        if _SIGNATURE.match(b.text.strip()):
            break
        lines.append(b.text)
    if not any(line.strip() for line in lines):
        raise UserError(
            f"{path}: 回答メールに差出人自身の本文がありません（引用された以前のメールのみ）。"
            "回答が書かれたメールを指定してください。",
            f"{path}: the reply has no words of the sender's own (only quoted earlier mail); "
            "give the mail that holds the answers.",
        )
    return lines, reading.meta


def read_reply(path: Path, mail: HearingMail, mail_draft: int | None = None) -> HearingReply:
    """A reply linked to the questions of ``mail`` (see the module docstring).

    Raises:
        UserError: the file is not a readable .eml/.msg, or holds no words of the sender's own.

    """
    lines, meta = own_lines(path)
    n = len(mail.questions)
    parts = split_answers(lines, n)
    answers = []
    for no, said in sorted(parts.items()):
        text = "\n".join(said)
        status, why, quote = answer_status(text)
        answers.append(ReplyAnswer(no=no, text=text, quote=quote, status=status, why=why))
    return HearingReply(
        division=mail.division,
        mail_draft=mail_draft,
        questions=n,
        file=str(path),
        sender=meta.get("from", ""),
        date=meta.get("date", ""),
        subject=meta.get("subject", ""),
        linked=bool(parts),
        text="\n".join(line for line in lines if line.strip()),
        answers=answers,
    )


def cite_reply(reply: HearingReply, document: str, clauses: Sequence[ClauseRecord]) -> HearingReply:
    """The reply with each answer's sentence cited from the ingested mail's clauses.

    Only a clause of the sender's own words is cited (the gate refuses quoted mail); an answer
    whose sentence no clause holds keeps no citation.
    """
    own = {c.clause_id: c for c in clauses if not c.aside}
    answers = []
    for a in reply.answers:
        citation = None
        holder = next(
            (c for c in own.values() if a.quote and squash(a.quote) in squash(c.text)), None
        )
        if holder is not None:
            good, _ = gate([cite(holder, a.quote)], own)
            citation = good[0] if good else None
        answers.append(a.model_copy(update={"citation": citation}))
    return reply.model_copy(update={"document": document, "answers": answers})


def take_reply(
    services: Services,
    path: Path,
    mail: HearingMail,
    mail_draft: int | None = None,
    notify: Callable[[str], None] | None = None,
) -> HearingReply:
    """Read a reply, keep a copy in the data folder, ingest it, and cite each answer from it.

    The copy lies at ``uploads/hearings/<division>/<file name>`` in the data folder and the
    document id is that path (kind ``correspondence``, the division as its contract), as for a
    reply uploaded in the UI; a second reply of the same name replaces the first.

    Raises:
        UserError: the file is not a readable reply (``read_reply``), or ingesting it failed; the
            kept copy and the index are then as they were.

    """
    path = readable(path, services.settings.data_dir)
    reply = read_reply(path, mail, mail_draft)
    root = services.settings.data_dir / "uploads"
    target = inside(root, kind_folder("correspondence", mail.division) / safe_name(path.name))
    target.parent.mkdir(parents=True, exist_ok=True)
    before = target.read_bytes() if target.is_file() else None
    if path.resolve() != target.resolve():
        shutil.copyfile(path, target)
    report = services.ingest(
        [target], kind="correspondence", contract=mail.division, base=root, notify=notify
    )
    mine = [r for r in report.results if Path(r.path).resolve() == target.resolve()]
    if not mine or mine[0].status == "failed":
        if before is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(before)
        why_ja = mine[0].error_ja if mine else "取り込まれませんでした"
        why_en = mine[0].error_en if mine else "it was not ingested"
        raise UserError(
            f"{path}: 回答メールを取り込めませんでした（{why_ja}）。ファイルを確かめてください。",
            f"{path}: the reply could not be ingested ({why_en}); check the file.",
        )
    doc_id = mine[0].doc_id
    cited = cite_reply(reply, doc_id, services.index.document_clauses(doc_id))
    return cited.model_copy(update={"file": path.name, "sha256": sha256_file(target)})


# --- the log --------------------------------------------------------------------


def hearing_log(mail: HearingMail, replies: Sequence[HearingReply]) -> list[LogEntry]:
    """Question → reply → quoted evidence → status, for every question of the mail.

    Replies are read oldest first; a later answer to a question replaces an earlier one. A
    question that only an unlinked reply may answer is 要追加確認 with the whole reply as its
    answer; one that no reply answers is 未回答.
    """
    entries = {
        q.no: LogEntry(
            no=q.no,
            reason_id=q.reason_id,
            question=q.question,
            status="未回答",
            why="回答がまだありません",
        )
        for q in mail.questions
    }
    for r in replies:
        where = {"file": r.file, "sender": r.sender, "date": r.date}
        if not r.linked:
            for no, e in entries.items():
                if e.status == "未回答":
                    entries[no] = e.model_copy(
                        update={
                            **where,
                            "status": "要追加確認",
                            "why": UNLINKED,
                            "answer": r.text,
                            "linked": False,
                        }
                    )
            continue
        for a in r.answers:
            if a.no in entries:
                entries[a.no] = entries[a.no].model_copy(
                    update={
                        **where,
                        "status": a.status,
                        "why": a.why,
                        "answer": a.text,
                        "quote": a.quote,
                        "citation": a.citation,
                        "linked": True,
                    }
                )
    return [entries[q.no] for q in mail.questions]
