"""Hearings by e-mail: the mail drafted, signed off and sent; the reply read back and cited.

Every .eml is read back with the standard library's parser. The replies are written here as a
division would: the answers numbered as the mail asks (in the forms people type), the mail
quoted below them, a signature after. The reply-by days are worked out here from the calendar:
drafted on Friday 2026-11-20, five business days on (11/23 is 勤労感謝の日) is Monday 11/30.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from copilot.audit.hearing_records import HearingReply
from copilot.audit.hearings import (
    answer_status,
    draft_hearing,
    hearing_log,
    marker_of,
    read_reply,
    split_answers,
)
from copilot.cli.main import main
from copilot.errors import UserError
from copilot.exports.hearing_mail import UNSIGNED_NOTE, export_hearing_mail, mail_file_name
from copilot.review.store import open_store
from copilot.services import build_services
from copilot.settings import load_settings
from tests.conftest import CORPUS
from tests.test_exports import R_LOCK, R_TAKEOUT
from tests.test_mail import write_msg

FRIDAY = date(2026, 11, 20)
SHEET = CORPUS / "self_check" / "自己点検シート_福祉政策課.xlsx"
WELFARE = "健康福祉局福祉政策課"


def _read_eml(path: Path) -> EmailMessage:
    with path.open("rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    assert isinstance(msg, EmailMessage)
    return msg


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return part.get_content()


def _reply(path: Path, body: str, sender: str = "fukushi@city.example.lg.jp") -> Path:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "audit@city.example.lg.jp"
    msg["Subject"] = "Re: 【情報セキュリティ監査】ヒアリング（書面）のお願い"
    msg["Date"] = "Wed, 25 Nov 2026 14:05:00 +0900"
    msg.set_content(body, charset="utf-8")
    path.write_bytes(msg.as_bytes())
    return path


# --- the mail ---------------------------------------------------------------------------------


def test_the_mail_numbers_each_question_with_its_basis_and_asks_by_a_business_day(tmp_path):
    mail = draft_hearing([R_TAKEOUT, R_LOCK], "総務課", FRIDAY, to="somu@city.example.lg.jp")
    assert [q.no for q in mail.questions] == [1, 2]
    assert mail.reply_by == date(2026, 11, 30)
    # 申請及び許可・承認の記録 is asked for by both questions, requested once
    assert mail.documents.count("申請及び許可・承認の記録") == 1
    path = export_hearing_mail(mail, tmp_path / "h.eml", signed_off=False)
    msg = _read_eml(path)
    assert msg["Subject"].startswith("【下書き】") and "総務課" in msg["Subject"]
    assert msg["X-Unsent"] == "1" and msg["To"] == "somu@city.example.lg.jp"
    assert msg["From"] is None  # the auditor's own client fills it in
    body = _body(msg)
    assert body.startswith(UNSIGNED_NOTE)
    for no, r in ((1, R_TAKEOUT), (2, R_LOCK)):
        assert r.basis is not None
        block = body.split(f"【質問{no}】", 1)[1].split("\n\n", 1)[0]
        assert r.hearing in block and r.basis.quote in block
    assert "令和8年11月30日（月）" in body
    assert all(d in body for d in mail.documents)

    signed = _read_eml(export_hearing_mail(mail, tmp_path / "s.eml", signed_off=True))
    assert not signed["Subject"].startswith("【下書き】")
    assert UNSIGNED_NOTE not in _body(signed)


def test_a_division_with_nothing_to_ask_and_a_bad_name_are_refused():
    with pytest.raises(UserError, match="質問することがありません"):
        draft_hearing([], "総務課", FRIDAY)
    with pytest.raises(UserError) as e:
        draft_hearing([R_LOCK], "../総務課", FRIDAY)
    assert "--division" in e.value.ja and "--division" in e.value.en


# --- a reply ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("【質問1】記録しています。", 1),
        ("質問２．記録しています。", 2),
        ("Q3: 記録しています。", 3),
        ("（4）記録しています。", 4),
        ("5. 記録しています。", 5),
        ("　【 質問 6 】記録", 6),
    ],
)
def test_the_question_numbers_people_type_are_recognised(line, number):
    found = marker_of(line)
    assert found is not None and found[0] == number and "記録" in found[1]


def test_a_date_or_an_amount_is_not_a_question_number():
    assert marker_of("2026.11.25に実施しました。") is None
    assert marker_of("1.5倍に増えました。") is None


def test_a_list_inside_an_answer_stays_in_that_answer():
    lines = [
        "【質問1】次のとおりです。",
        "1. 台帳を作成",
        "2. 月次で確認",
        "【質問2】施錠しています。",
    ]
    found = split_answers(lines, 2)
    assert found[1] == ["次のとおりです。", "1. 台帳を作成", "2. 月次で確認"]
    assert found[2] == ["施錠しています。"]


def test_the_closing_words_after_the_last_answer_are_no_answer():
    lines = [
        "１．施錠しています。",
        "２．来月に実施する予定です。",
        "よろしくお願いいたします。",
        "山田",
    ]
    found = split_answers(lines, 2)
    assert found == {1: ["施錠しています。"], 2: ["来月に実施する予定です。"]}
    assert [answer_status(" ".join(v))[0] for v in found.values()] == ["回答あり", "要追加確認"]


def test_a_reply_is_linked_and_what_it_leaves_open_is_marked(tmp_path):
    mail = draft_hearing([R_TAKEOUT, R_LOCK, R_TAKEOUT], "総務課", FRIDAY)
    path = _reply(
        tmp_path / "reply.eml",
        "監査担当 様\n\nお世話になっております。総務課の山田です。\n\n"
        "【質問1】持出しは申請書で許可を得て、持出し管理台帳に記録しています。\n"
        "【質問2】鍵の保管方法は現在検討中です。\n\n"
        "--\n総務課 山田\n\n"
        "> 【質問3】ここは引用された以前のメールで、回答ではありません。\n",
    )
    reply = read_reply(path, mail)
    assert reply.linked and reply.sender.startswith("fukushi@")
    by_no = {a.no: a for a in reply.answers}
    assert set(by_no) == {1, 2}  # the quoted 【質問3】 is not the division's answer
    assert by_no[1].status == "回答あり" and "持出し管理台帳に記録" in by_no[1].quote
    assert by_no[2].status == "要追加確認" and "検討中" in by_no[2].why
    assert "山田" not in by_no[2].text  # the signature is no answer
    log = hearing_log(mail, [reply])
    assert [e.status for e in log] == ["回答あり", "要追加確認", "未回答"]


def test_an_outlook_msg_reply_is_linked_like_an_eml(tmp_path):
    mail = draft_hearing([R_TAKEOUT, R_LOCK], "総務課", FRIDAY)
    body = (
        "監査担当 様\r\n\r\n(1) 持出し管理台帳に記録しています。\r\n"
        "(2) 鍵は課長が保管しています。\r\n\r\n-----Original Message-----\r\n"
        "From: 監査担当\r\n【質問1】以前のメール\r\n"
    )
    reply = read_reply(write_msg(tmp_path / "回答.msg", body), mail)
    assert reply.linked and reply.date.startswith("2026-05-12")
    assert [(a.no, a.status) for a in reply.answers] == [(1, "回答あり"), (2, "回答あり")]
    assert "持出し管理台帳に記録" in reply.answers[0].quote


def test_a_reply_without_numbers_asks_a_person_to_link_it(tmp_path):
    mail = draft_hearing([R_TAKEOUT, R_LOCK], "総務課", FRIDAY)
    path = _reply(tmp_path / "r.eml", "いずれも台帳に記録し、施錠して保管しています。\n")
    reply = read_reply(path, mail)
    assert not reply.linked and not reply.answers
    log = hearing_log(mail, [reply])
    assert {e.status for e in log} == {"要追加確認"} and all(not e.linked for e in log)


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("reply.txt", b"text", ".eml"),
        ("quoted.eml", None, "quoted"),
        ("missing.eml", b"", "見つかりません"),
    ],
)
def test_a_file_that_is_no_reply_is_refused_by_name(tmp_path, name, content, said):
    mail = draft_hearing([R_LOCK], "総務課", FRIDAY)
    path = tmp_path / name
    if content is None:
        _reply(path, "> 【質問1】以前のメールの引用だけです。\n")
    elif content:
        path.write_bytes(content)
    with pytest.raises(UserError) as e:
        read_reply(path, mail)
    assert name in e.value.ja and name in e.value.en
    assert said in e.value.ja + e.value.en


# --- the whole round through the CLI ----------------------------------------------------------


@pytest.fixture
def hearing_data(corpus_data_dir: Path, isolated_env: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the ingested sample corpus, with an auditor and a lead."""
    shutil.copytree(corpus_data_dir, isolated_env, ignore=shutil.ignore_patterns("review.sqlite*"))
    with open_store(load_settings()) as store:
        store.add_user("admin", "管理者", "admin", "admin-pass-1")
        store.add_user("suzuki", "鈴木", "lead", "lead-pass-12", by="admin")
        store.add_user("sato", "佐藤", "auditor", "auditor-pass-3", by="admin")
    return isolated_env


def _as(monkeypatch, user: str, password: str) -> list[str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COPILOT_PASSWORD", password)
    return ["--user", user]


def _documents() -> list[tuple[str, str]]:
    services = build_services(load_settings())
    try:
        return sorted((d.doc_id, d.sha256) for d in services.index.documents())
    finally:
        services.close()


def test_a_hearing_from_draft_to_a_finding_that_cites_the_reply(
    hearing_data, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    sato = _as(monkeypatch, "sato", "auditor-pass-3")
    argv = ["hearing", "draft", "--division", WELFARE, "--selfcheck", str(SHEET)]
    assert main([*argv, "--out-dir", str(out), "--today", "2026-11-20", *sato]) == 0
    capsys.readouterr()
    eml = out / mail_file_name(WELFARE)
    msg = _read_eml(eml)
    assert msg["Subject"].startswith("【下書き】")
    body = _body(msg)
    asked = [line for line in body.splitlines() if line.startswith("【質問")]
    assert len(asked) >= 2  # the sample sheet answers いいえ more than once
    assert "令和8年11月30日（月）" in body

    # the lead signs the mail off; written again, it is ready to send
    with open_store(load_settings()) as store:
        (draft,) = store.list_drafts(kind="hearing_mail")
    lead = _as(monkeypatch, "suzuki", "lead-pass-12")
    assert main(["review", "approve", str(draft.id), *lead]) == 0
    assert main(["hearing", "mail", "--division", WELFARE, "--out", str(tmp_path / "s.eml")]) == 0
    sendable = _read_eml(tmp_path / "s.eml")
    assert not sendable["Subject"].startswith("【下書き】")
    assert UNSIGNED_NOTE not in _body(sendable)

    # the division replies to question 1 and asks for time on question 2
    reply = _reply(
        tmp_path / "回答_福祉政策課.eml",
        "監査担当 様\n\n福祉政策課の高橋です。下記のとおり回答します。\n\n"
        "【質問1】本年度から、持出しの都度、課長の許可を得て記録簿に記入する運用としました。\n"
        "【質問2】現在検討中のため、回答は後日とさせてください。\n\n--\n福祉政策課 高橋\n\n"
        + "\n".join(f"> {line}" for line in body.splitlines()),
    )
    sato = _as(monkeypatch, "sato", "auditor-pass-3")
    assert main(["hearing", "reply", "--division", WELFARE, str(reply), *sato]) == 0
    capsys.readouterr()
    assert main(["hearing", "log", "--division", WELFARE, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    log = shown["log"]
    assert shown["mail_status"] == "approved" and shown["replies"] == [reply.name]
    assert [e["status"] for e in log[:2]] == ["回答あり", "要追加確認"]
    assert all(e["status"] == "未回答" for e in log[2:])
    first = log[0]
    assert "課長の許可を得て記録簿に記入" in first["quote"]
    services = build_services(load_settings())
    try:
        cited = first["citation"]
        stored = services.index.clauses([cited["clause_id"]])[cited["clause_id"]]
        assert stored.doc_id == f"hearings/{WELFARE}/{reply.name}"
        assert stored.kind == "correspondence" and cited["quote"] in stored.text
        assert not stored.aside  # the division's own words, never the quoted mail
    finally:
        services.close()

    # a finding drafted from the sheet cites the division's own reply beside the rule
    assert main(["findings", "draft", "--selfcheck", str(SHEET), "--json", "--no-save"]) == 0
    drafts = json.loads(capsys.readouterr().out)
    (welfare,) = [d for d in drafts if d["division"] == WELFARE]
    citing = [f for f in welfare["findings"] if f["evidence"]]
    assert len(citing) == 2  # the two questions answered, each with its own sentence
    quoted = {e["quote"] for f in citing for e in f["evidence"]}
    assert {first["citation"]["quote"], log[1]["citation"]["quote"]} == quoted
    for f in citing:
        (e,) = f["evidence"]
        assert e["document"] == f"hearings/{WELFARE}/{reply.name}" and e["quote"] in f["finding"]
    citing = [f for f in citing if f["evidence"][0]["quote"] == first["citation"]["quote"]]
    assert citing[0]["criteria"] and not citing[0]["title"].startswith("【要確認】")


def test_a_bad_reply_leaves_the_index_the_store_and_the_uploads_as_they_were(
    hearing_data, tmp_path, monkeypatch, capsys
):
    sato = _as(monkeypatch, "sato", "auditor-pass-3")
    assert main(["hearing", "reply", "--division", WELFARE, str(tmp_path / "x.eml"), *sato]) == 2
    assert "hearing draft" in capsys.readouterr().err  # no mail drafted yet
    argv = ["hearing", "draft", "--division", WELFARE, "--selfcheck", str(SHEET)]
    assert main([*argv, "--out-dir", str(tmp_path), *sato]) == 0
    before = _documents()
    with open_store(load_settings()) as store:
        drafts = len(store.list_drafts())
    quoted_only = _reply(tmp_path / "引用のみ.eml", "> 【質問1】以前のメールです。\n")
    capsys.readouterr()
    assert main(["hearing", "reply", "--division", WELFARE, str(quoted_only), *sato]) == 2
    said = capsys.readouterr().err
    assert "引用のみ.eml" in said and "エラー" in said and "Error" in said
    assert _documents() == before
    with open_store(load_settings()) as store:
        assert len(store.list_drafts()) == drafts
        assert not store.list_drafts(kind="hearing_reply")
    assert not (hearing_data / "uploads" / "hearings").exists() or not any(
        (hearing_data / "uploads" / "hearings").rglob("*.eml")
    )


def test_a_stored_reply_reads_back_against_its_model(hearing_data, tmp_path, monkeypatch, capsys):
    sato = _as(monkeypatch, "sato", "auditor-pass-3")
    argv = ["hearing", "draft", "--division", WELFARE, "--selfcheck", str(SHEET)]
    assert main([*argv, "--out-dir", str(tmp_path), *sato]) == 0
    reply = _reply(tmp_path / "r.eml", "質問1．記録簿に記入しています。\n")
    assert main(["hearing", "reply", "--division", WELFARE, str(reply), *sato]) == 0
    with open_store(load_settings()) as store:
        (d,) = store.list_drafts(kind="hearing_reply")
        (mail,) = store.list_drafts(kind="hearing_mail")
    stored = HearingReply.model_validate(d.payload)
    assert d.key == f"{WELFARE}/r.eml" and stored.mail_draft == mail.id
    assert stored.sha256 == hashlib.sha256(reply.read_bytes()).hexdigest()
    assert [a.no for a in stored.answers] == [1]
