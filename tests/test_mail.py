"""E-mail as hearing replies: ``.eml`` and Outlook ``.msg`` read into blocks, headers and attachments.

Every mail here is a real file written by the test: ``.eml`` with the standard library's writers
(ISO-2022-JP with the legacy ``email.mime`` API, as Japanese mailers send it; UTF-8 with
``EmailMessage``), ``.msg`` as an OLE compound file written by extract-msg's own ``OleWriter``
with the property streams of MS-OXMSG laid out by hand (``write_msg`` below): extract-msg has no
message writer, so that is as close to Outlook's output as the test can come without Outlook.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import time
from collections.abc import Iterator
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import docx
import pytest
from extract_msg.ole_writer import OleWriter

from copilot.drafting.citations import citation_error, cite
from copilot.services import Services, build_services
from copilot.settings import load_settings
from ingest.errors import UnreadableFileError
from ingest.readers import QUOTED, read_document
from ingest.readers.mail import QUOTED_HEADING, REPLY_HEADING
from tests.test_ingest import POLICY

SENDER = "情報政策課 山田"
SENDER_ADDR = "yamada@city.example.jp"
SUBJECT = "Re: 情報資産の持出しについて（ヒアリング）"
OWN = [
    "監査担当 各位",
    "お問い合わせの件、次のとおり回答いたします。",
    "1. 機密性３の情報資産の持出しは、情報セキュリティ管理者の許可を得て行っています。",
    "2. 持出しの記録は持出管理簿に記入し、月末に課長が確認しています。",
]
SIGNATURE = ["-- ", "架空市 情報政策課 山田"]
EARLIER = [
    "情報政策課 御中",
    "情報資産の持出しの手続についてご教示ください。",
    "持出しの記録をどのように残しているかも併せて伺います。",
]
ATTACHMENT_TEXT = "持出しの際は、持出管理簿に日時、媒体、持出者及び返却予定日を記入する。"


def docx_bytes(*paragraphs: str) -> bytes:
    d = docx.Document()
    d.add_heading("持出し手順", level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def reply_body(header: str = "-----Original Message-----") -> str:
    earlier = [header, "From: 監査担当", "Sent: Monday, May 11, 2026 9:00 AM", "", *EARLIER]
    return "\n".join([*OWN, "", *SIGNATURE, "", *earlier]) + "\n"


def write_iso2022jp_eml(path: Path, attachment: tuple[str, bytes] | None = None) -> Path:
    """A reply as a Japanese mailer sends it: ISO-2022-JP body, encoded-word headers and name."""
    body = MIMEText(reply_body(), "plain", "iso-2022-jp")
    msg: MIMEText | MIMEMultipart = body
    if attachment:
        msg = MIMEMultipart()
        msg.attach(body)
        part = MIMEApplication(attachment[1], "vnd.openxmlformats-officedocument")
        # Outlook and Becky! put the name as an encoded word inside the quotes (not RFC 2231).
        encoded = Header(attachment[0], "iso-2022-jp").encode()
        part.add_header("Content-Disposition", "attachment", filename=encoded)
        msg.attach(part)
    msg["From"] = f"{Header(SENDER, 'iso-2022-jp').encode()} <{SENDER_ADDR}>"
    msg["To"] = f"{Header('監査担当', 'iso-2022-jp').encode()} <kansa@city.example.jp>"
    msg["Cc"] = "kacho@city.example.jp"
    msg["Subject"] = Header(SUBJECT, "iso-2022-jp")
    msg["Date"] = "Tue, 12 May 2026 10:30:00 +0900"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msg.as_bytes())
    return path


def write_utf8_eml(path: Path, attachment_name: str, attachment: bytes) -> Path:
    """A UTF-8 reply with a Word attachment and a signature logo embedded in its HTML."""
    msg = EmailMessage()
    msg["From"] = f"{SENDER} <{SENDER_ADDR}>"
    msg["To"] = "監査担当 <kansa@city.example.jp>, 監査補助 <hojo@city.example.jp>"
    msg["Subject"] = SUBJECT
    msg["Date"] = "Tue, 12 May 2026 10:30:00 +0900"
    msg.set_content(reply_body("2026年5月11日(月) 9:00 監査担当 <kansa@city.example.jp>:"))
    html = "<html><body><p>" + "</p><p>".join(OWN) + '</p><img src="cid:logo"></body></html>'
    msg.add_alternative(html, subtype="html")
    msg.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\n", "image", "png", cid="<logo>")
    msg.add_attachment(
        attachment,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename=attachment_name,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(msg))
    return path


@pytest.fixture
def tokyo() -> Iterator[None]:
    """Local time is Japan's (a .msg stores UTC; the reader shows the auditor's local time)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


# --- .eml -------------------------------------------------------------------------------------


def test_an_iso2022jp_reply_keeps_its_headers_and_sets_the_quoted_mail_aside(tmp_path: Path):
    reading = read_document(write_iso2022jp_eml(tmp_path / "回答.eml"))
    assert reading.meta == {
        "from": f"{SENDER} <{SENDER_ADDR}>",
        "to": "監査担当 <kansa@city.example.jp>",
        "cc": "kacho@city.example.jp",
        "date": "2026-05-12 10:30+09:00",
        "subject": SUBJECT,
    }
    blocks = reading.blocks
    assert (blocks[0].text, blocks[0].heading_level) == (SUBJECT, 1)
    texts = [b.text for b in blocks]
    # the sender's own words and the signature, one block a line, none set aside
    for line in OWN + ["架空市 情報政策課 山田"]:
        (block,) = [b for b in blocks if b.text == line]
        assert block.aside == ""
    # the earlier mail: under its heading, every line of it set aside
    at = texts.index(QUOTED_HEADING)
    assert blocks[at].heading_level == 2 and blocks[at].aside == QUOTED
    assert texts.index("-----Original Message-----") == at + 1
    assert all(b.aside == QUOTED for b in blocks[at:])
    assert [b.text for b in blocks[at:] if b.text in EARLIER] == EARLIER
    assert all(b.aside == "" for b in blocks[:at])


@pytest.mark.parametrize(
    "header",
    [
        "----- 元のメッセージ -----",
        "-----Original Message-----",
        "On Mon, 11 May 2026 at 09:00, 監査担当 <kansa@city.example.jp> wrote:",
        "2026年5月11日(月) 9:00 監査担当 <kansa@city.example.jp> wrote:",
        "監査担当さんは書きました:",
        "2026年5月11日(月) 9:00 監査担当 <kansa@city.example.jp>:",
    ],
)
def test_each_reply_header_starts_the_quoted_mail(tmp_path: Path, header: str):
    msg = EmailMessage()
    msg["From"] = f"{SENDER} <{SENDER_ADDR}>"
    msg["Subject"] = SUBJECT
    msg.set_content("\n".join([*OWN, "", header, *EARLIER]))
    path = tmp_path / "回答.eml"
    path.write_bytes(bytes(msg))
    blocks = read_document(path).blocks
    own = [b.text for b in blocks if not b.aside]
    quoted = [b.text for b in blocks if b.aside == QUOTED]
    assert own == [SUBJECT, *OWN]
    assert quoted == [QUOTED_HEADING, header, *EARLIER]


def test_outlook_reply_header_and_a_gmail_header_wrapped_over_two_lines(tmp_path: Path):
    outlook = [
        "________________________________",
        "差出人: 監査担当",
        "送信日時: 2026年5月11日 9:00",
    ]
    gmail = ["On Mon, May 11, 2026 at 9:00 AM 監査担当", "<kansa@city.example.jp> wrote:"]
    for n, header in enumerate((outlook, gmail)):
        msg = EmailMessage()
        msg["From"] = SENDER_ADDR
        msg.set_content("\n".join([*OWN, *header, *EARLIER]))
        path = tmp_path / f"{n}.eml"
        path.write_bytes(bytes(msg))
        blocks = read_document(path).blocks
        assert [b.text for b in blocks if not b.aside] == OWN
        assert [b.text for b in blocks if b.aside] == [QUOTED_HEADING, *header, *EARLIER]


def test_lines_quoted_inline_are_set_aside_and_the_answers_between_them_are_not(tmp_path: Path):
    msg = EmailMessage()
    msg["From"] = SENDER_ADDR
    msg["Subject"] = SUBJECT
    msg.set_content(
        "回答します。\n> 持出しの手続は？\n＞ 記録は？\n許可を得て持ち出しています。\n"
        "> 記録の確認は？\n課長が月末に確認しています。\n"
    )
    path = tmp_path / "回答.eml"
    path.write_bytes(bytes(msg))
    blocks = read_document(path).blocks
    assert [(b.text, b.aside) for b in blocks[1:]] == [
        ("回答します。", ""),
        (QUOTED_HEADING, QUOTED),
        ("> 持出しの手続は？", QUOTED),
        ("＞ 記録は？", QUOTED),
        (REPLY_HEADING, ""),
        ("許可を得て持ち出しています。", ""),
        (QUOTED_HEADING, QUOTED),
        ("> 記録の確認は？", QUOTED),
        (REPLY_HEADING, ""),
        ("課長が月末に確認しています。", ""),
    ]


def test_a_utf8_mail_brings_its_word_attachment_under_its_japanese_name(tmp_path: Path):
    data = docx_bytes(ATTACHMENT_TEXT)
    reading = read_document(write_utf8_eml(tmp_path / "回答.eml", "別紙 持出し手順.docx", data))
    assert reading.meta["to"] == "監査担当 <kansa@city.example.jp>, 監査補助 <hojo@city.example.jp>"
    assert "cc" not in reading.meta
    # the plain part is preferred; the logo embedded in the HTML (no name) is no attachment
    assert [(a.name, a.data) for a in reading.attachments] == [("別紙 持出し手順.docx", data)]
    assert [b.text for b in reading.blocks if not b.aside] == [SUBJECT, *OWN, "--", SIGNATURE[1]]
    quoted = [b.text for b in reading.blocks if b.aside == QUOTED]
    assert quoted[0] == QUOTED_HEADING and quoted[-len(EARLIER) :] == EARLIER
    # the attachment is a real Word file
    (att,) = reading.attachments
    saved = tmp_path / "saved.docx"
    saved.write_bytes(att.data)
    assert ATTACHMENT_TEXT in [b.text for b in read_document(saved).blocks]


def test_an_encoded_word_attachment_name_is_decoded(tmp_path: Path):
    data = docx_bytes(ATTACHMENT_TEXT)
    path = write_iso2022jp_eml(tmp_path / "回答.eml", ("別紙_持出し手順.docx", data))
    (att,) = read_document(path).attachments
    assert (att.name, att.data) == ("別紙_持出し手順.docx", data)


def test_a_forwarded_mail_comes_as_an_eml_attachment(tmp_path: Path):
    earlier = EmailMessage()
    earlier["From"] = "kansa@city.example.jp"
    earlier["Subject"] = "照会：情報資産の持出し"
    earlier.set_content("\n".join(EARLIER))
    msg = EmailMessage()
    msg["From"] = SENDER_ADDR
    msg["Subject"] = "Fwd: 照会"
    msg.set_content("前回の照会を転送します。")
    msg.add_attachment(earlier)  # message/rfc822, without a file name
    path = tmp_path / "転送.eml"
    path.write_bytes(bytes(msg))
    (att,) = read_document(path).attachments
    assert att.name == "照会：情報資産の持出し.eml"
    inner = tmp_path / "inner.eml"
    inner.write_bytes(att.data)
    assert [b.text for b in read_document(inner).blocks] == ["照会：情報資産の持出し", *EARLIER]


def test_a_blank_plain_part_gives_way_to_the_html_one(tmp_path: Path):
    msg = EmailMessage()
    msg["From"] = SENDER_ADDR
    msg.set_content("\n")
    msg.add_alternative("<p>" + "</p><p>".join(OWN) + "</p>", subtype="html")
    path = tmp_path / "回答.eml"
    path.write_bytes(bytes(msg))
    reading = read_document(path)
    assert [b.text for b in reading.blocks] == OWN and not reading.attachments


def test_an_html_only_shift_jis_mail_is_read_as_text(tmp_path: Path):
    html = (
        "<html><head><style>p {color: red}</style><script>var x = 1;</script></head><body>"
        "<p>回答します。</p><div>①&nbsp;持出しは<b>許可制</b>です。<br>②&nbsp;記録は台帳に残します。</div>"
        "<table><tr><td>媒体</td><td>USBメモリ</td></tr></table>"
        "<blockquote><p>持出しの手続をご教示ください。</p></blockquote></body></html>"
    )
    raw = (
        b"From: yamada@city.example.jp\r\nSubject: =?ISO-2022-JP?B?GyRCMnNFehsoQg==?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=Shift_JIS\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + html.encode("cp932")
    )
    path = tmp_path / "回答.eml"
    path.write_bytes(raw)
    reading = read_document(path)
    assert reading.meta["subject"] == "回答"
    assert [(b.text, b.aside) for b in reading.blocks] == [
        ("回答", ""),
        ("回答します。", ""),
        ("① 持出しは許可制です。", ""),
        ("② 記録は台帳に残します。", ""),
        ("媒体 USBメモリ", ""),
        (QUOTED_HEADING, QUOTED),
        ("> 持出しの手続をご教示ください。", QUOTED),
    ]


def test_iso2022jp_with_windows_circled_numbers_is_decoded(tmp_path: Path):
    # Outlook on Windows writes ① as the NEC row-13 code 0x2D21 inside ESC $ B (CP50221).
    body = "回答".encode("iso-2022-jp")[:-3] + b"-!" + "です。".encode("iso-2022-jp")[3:]
    raw = (
        b"From: yamada@city.example.jp\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + body + b"\r\n"
    )
    path = tmp_path / "回答.eml"
    path.write_bytes(raw)
    assert [b.text for b in read_document(path).blocks] == ["回答①です。"]


def test_a_file_that_is_not_a_mail_is_refused_by_name(tmp_path: Path):
    path = tmp_path / "回答.eml"
    path.write_bytes(docx_bytes("本文"))  # a Word file saved under the wrong suffix
    with pytest.raises(UnreadableFileError) as err:
        read_document(path)
    assert str(path) in str(err.value)
    assert "メールの形式ではありません" in err.value.ja and ".eml" in err.value.ja


# --- .msg -------------------------------------------------------------------------------------

PT_UNICODE, PT_BINARY, PT_LONG, PT_BOOLEAN, PT_SYSTIME = 0x001F, 0x0102, 0x0003, 0x000B, 0x0040


def _props(variable: dict[int, bytes], fixed: dict[int, bytes], header: bytes) -> bytes:
    """A ``__properties_version1.0`` stream (MS-OXMSG 2.4): a header, then 16 bytes a property."""
    out = bytearray(header)
    for tag, data in variable.items():
        size = len(data) + (2 if tag & 0xFFFF == PT_UNICODE else 0)  # with the terminator
        out += struct.pack("<IIII", tag, 6, size, 0)
    for tag, value in fixed.items():
        out += struct.pack("<II", tag, 6) + value.ljust(8, b"\0")
    return bytes(out)


def _put(
    w: OleWriter, where: str, variable: dict[int, bytes], fixed: dict[int, bytes], head: bytes
):
    prefix = f"{where}/" if where else ""
    for tag, data in variable.items():
        w.addEntry(f"{prefix}__substg1.0_{tag:08X}", data)
    w.addEntry(f"{prefix}__properties_version1.0", _props(variable, fixed, head))


def _u(text: str) -> bytes:
    return text.encode("utf-16-le")


def _filetime(when: dt.datetime) -> bytes:
    epoch = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
    return struct.pack("<Q", int((when - epoch).total_seconds()) * 10**7)


def _message(
    w: OleWriter,
    where: str,
    subject: str,
    body: str | None,
    when: dt.datetime,
    recipients: list[tuple[str, str, int]],
    attachments: list[tuple[str, bytes, bool]],
    html: bytes | None = None,
    embedded: bool = False,
) -> None:
    top = {
        0x001A0000 | PT_UNICODE: _u("IPM.Note"),
        0x00370000 | PT_UNICODE: _u(subject),
        0x0C1A0000 | PT_UNICODE: _u(SENDER),
        0x0C1F0000 | PT_UNICODE: _u(SENDER_ADDR),
        0x0C1E0000 | PT_UNICODE: _u("SMTP"),
    }
    if body is not None:
        top[0x10000000 | PT_UNICODE] = _u(body)
    if html is not None:
        top[0x10130000 | PT_BINARY] = html
    n_r, n_a = len(recipients), len(attachments)
    # top level: 8 reserved, next recipient id, next attachment id, counts, 8 reserved;
    # an embedded message has no last 8; recipients and attachments have 8 reserved bytes.
    head = struct.pack("<8xIIII", n_r, n_a, n_r, n_a) + (b"" if embedded else b"\0" * 8)
    _put(w, where, top, {0x00390000 | PT_SYSTIME: _filetime(when)}, head)
    prefix = f"{where}/" if where else ""
    for i, (name, addr, kind) in enumerate(recipients):
        d = f"{prefix}__recip_version1.0_#{i:08X}"
        w.addEntry(d, storage=True)
        strings = {0x30010000 | PT_UNICODE: _u(name), 0x39FE0000 | PT_UNICODE: _u(addr)}
        _put(w, d, strings, {0x0C150000 | PT_LONG: struct.pack("<I", kind)}, b"\0" * 8)
    for i, (name, data, hidden) in enumerate(attachments):
        d = f"{prefix}__attach_version1.0_#{i:08X}"
        w.addEntry(d, storage=True)
        strings = {
            0x37010000 | PT_BINARY: data,
            0x37070000 | PT_UNICODE: _u(name),
            0x37040000 | PT_UNICODE: _u(name[:8]),
        }
        fixed = {0x37050000 | PT_LONG: struct.pack("<I", 1)}  # ATTACH_BY_VALUE
        if hidden:
            fixed[0x7FFE0000 | PT_BOOLEAN] = struct.pack("<H", 1)
        _put(w, d, strings, fixed, b"\0" * 8)


def write_msg(
    path: Path,
    body: str | None,
    attachments: list[tuple[str, bytes, bool]] = (),  # type: ignore[assignment]
    html: bytes | None = None,
    forwarded: str | None = None,
) -> Path:
    """An Outlook message file with the streams Outlook writes for a plain reply."""
    w = OleWriter()
    when = dt.datetime(2026, 5, 12, 1, 30, tzinfo=dt.UTC)  # 10:30 in Tokyo
    recipients = [("監査担当", "kansa@city.example.jp", 1), ("課長", "kacho@city.example.jp", 2)]
    _message(w, "", SUBJECT, body, when, recipients, list(attachments), html)
    if forwarded is not None:  # an Outlook item attached to this one (ATTACH_EMBEDDED_MSG)
        d = f"__attach_version1.0_#{len(attachments):08X}"
        w.addEntry(d, storage=True)
        fixed = {0x37050000 | PT_LONG: struct.pack("<I", 5)}
        _put(w, d, {0x37070000 | PT_UNICODE: _u("前回の照会")}, fixed, b"\0" * 8)
        w.addEntry(f"{d}/__substg1.0_3701000D", storage=True)
        _message(w, f"{d}/__substg1.0_3701000D", "前回の照会", forwarded, when, [], [], None, True)
        w.editEntry("__properties_version1.0", data=_bump_attachments(w))
    w.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):  # named-property mapping: none used
        w.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    w.write(str(path))
    return path


def _bump_attachments(w: OleWriter) -> bytes:
    data = bytearray(w.getEntry("__properties_version1.0").data)
    next_id, count = struct.unpack_from("<I", data, 12)[0], struct.unpack_from("<I", data, 20)[0]
    struct.pack_into("<I", data, 12, next_id + 1)
    struct.pack_into("<I", data, 20, count + 1)
    return bytes(data)


def test_an_outlook_msg_keeps_its_headers_body_and_attachments(tmp_path: Path, tokyo: None):
    data = docx_bytes(ATTACHMENT_TEXT)
    attachments = [("別紙_持出し手順.docx", data, False), ("image001.png", b"\x89PNG", True)]
    body = reply_body().replace("\n", "\r\n")
    reading = read_document(write_msg(tmp_path / "回答.msg", body, attachments))
    assert reading.meta == {
        "from": SENDER,
        "to": "監査担当 <kansa@city.example.jp>",
        "cc": "課長 <kacho@city.example.jp>",
        "date": "2026-05-12 10:30+09:00",
        "subject": SUBJECT,
    }
    assert [b.text for b in reading.blocks if not b.aside] == [SUBJECT, *OWN, "--", SIGNATURE[1]]
    quoted = [b.text for b in reading.blocks if b.aside == QUOTED]
    assert quoted[:2] == [QUOTED_HEADING, "-----Original Message-----"]
    assert quoted[-len(EARLIER) :] == EARLIER
    # the image shown in the body (hidden) is no attachment
    assert [(a.name, a.data) for a in reading.attachments] == [("別紙_持出し手順.docx", data)]


def test_an_html_only_msg_and_a_mail_forwarded_inside_it(tmp_path: Path):
    html = ("<html><body><p>" + "</p><p>".join(OWN) + "</p></body></html>").encode()
    path = write_msg(tmp_path / "回答.msg", None, html=html, forwarded="\r\n".join(EARLIER))
    reading = read_document(path)
    assert [b.text for b in reading.blocks] == [SUBJECT, *OWN]
    (att,) = reading.attachments
    assert att.name == "前回の照会.msg"
    inner = tmp_path / att.name
    inner.write_bytes(att.data)
    forwarded = read_document(inner)
    assert forwarded.meta["subject"] == "前回の照会"
    assert [b.text for b in forwarded.blocks] == ["前回の照会", *EARLIER]


def test_a_corrupt_msg_is_refused_by_name(tmp_path: Path):
    good = write_msg(tmp_path / "good.msg", reply_body())
    cut = tmp_path / "回答.msg"
    cut.write_bytes(good.read_bytes()[:3000])  # a transfer cut short
    other = tmp_path / "別紙.msg"
    other.write_bytes(docx_bytes("本文"))  # not an OLE file at all
    for path in (cut, other):
        with pytest.raises(UnreadableFileError) as err:
            read_document(path)
        assert str(path) in str(err.value)
        assert "Outlook のメール（.msg）として読めません" in err.value.ja
        assert "save it again as .msg" in err.value.en


# --- through the pipeline ---------------------------------------------------------------------


@pytest.fixture
def services(isolated_env: Path) -> Iterator[Services]:
    s = build_services(load_settings())
    yield s
    s.close()


def _ids(s: Services) -> tuple[set[str], set[str], set[str]]:
    docs = {d.doc_id for d in s.index.documents()}
    manifest = {r[0] for r in s.index.db.execute("SELECT clause_id FROM clauses")}
    return docs, manifest, set(s.index.collection().get(include=[])["ids"])


def test_a_hearing_reply_is_ingested_with_its_attachment_and_cited_with_sender_and_date(
    tmp_path: Path, services: Services
):
    corpus = tmp_path / "corpus"
    mail = corpus / "hearings" / "情報政策課" / "回答.eml"
    write_utf8_eml(mail, "別紙_持出し手順.docx", docx_bytes(ATTACHMENT_TEXT))
    (corpus / "policy").mkdir()
    (corpus / "policy" / "基準.txt").write_text(POLICY, encoding="utf-8")
    report = services.ingest([corpus])
    assert not report.failed and report.count("added") == 3
    mail_id = "hearings/情報政策課/回答.eml"
    att_id = f"{mail_id}/別紙_持出し手順.docx"
    docs = {d.doc_id: d for d in services.index.documents()}
    assert set(docs) == {mail_id, att_id, "policy/基準.txt"}
    assert docs[mail_id].kind == "correspondence" and docs[mail_id].contract == ""
    headers = docs[mail_id].headers
    assert headers["division"] == "情報政策課"
    assert headers["from"] == f"{SENDER} <{SENDER_ADDR}>"
    assert headers["date"] == "2026-05-12 10:30+09:00"
    assert docs[att_id].kind == "correspondence"
    assert docs[att_id].headers["attached_to"] == mail_id

    hits = services.search("持出管理簿に日時、媒体、持出者を記入", kind="correspondence")
    assert hits and hits[0].document == att_id and ATTACHMENT_TEXT in hits[0].text

    clauses = services.index.document_clauses(mail_id)
    own = next(c for c in clauses if OWN[2] in c.text)
    citation = cite(own, OWN[2])
    assert f"差出人: {SENDER} <{SENDER_ADDR}>" in citation.note
    assert "日時: 2026-05-12 10:30+09:00" in citation.note
    assert citation_error(citation, {own.clause_id: own}) is None
    # the earlier mail is found by search but can never be cited as the division's words
    quoted = [c for c in clauses if EARLIER[1] in c.text]
    assert quoted and all(c.aside == QUOTED for c in quoted)
    assert all(OWN[2] not in c.text for c in quoted)
    hits = services.search(EARLIER[1], kind="correspondence")
    assert any(h.clause_id == quoted[0].clause_id for h in hits)
    refused = citation_error(cite(quoted[0], EARLIER[1]), {quoted[0].clause_id: quoted[0]})
    assert refused and "引用された以前のメール" in refused
    (att_clause,) = [
        c for c in services.index.document_clauses(att_id) if ATTACHMENT_TEXT in c.text
    ]
    assert f"メール {mail_id} の添付ファイル" in cite(att_clause, ATTACHMENT_TEXT).note

    policy_only = {c.clause_id for c in services.index.document_clauses("policy/基準.txt")}
    services.remove(mail_id)
    assert _ids(services) == ({"policy/基準.txt"}, policy_only, policy_only)
    assert not any(h.document == att_id for h in services.search(ATTACHMENT_TEXT, top_k=10))


def test_an_outlook_reply_goes_the_same_way(tmp_path: Path, services: Services, tokyo: None):
    corpus = tmp_path / "corpus"
    data = docx_bytes(ATTACHMENT_TEXT)
    write_msg(
        corpus / "hearings" / "総務課" / "回答.msg", reply_body(), [("別紙.docx", data, False)]
    )
    report = services.ingest([corpus])
    assert not report.failed and report.count("added") == 2
    doc = services.index.document("hearings/総務課/回答.msg")
    assert doc is not None and doc.kind == "correspondence"
    assert doc.headers["division"] == "総務課" and doc.headers["from"] == SENDER
    att = services.index.document("hearings/総務課/回答.msg/別紙.docx")
    assert att is not None and att.headers["attached_to"] == doc.doc_id


def test_corrupt_mail_leaves_the_store_as_it_was(tmp_path: Path, services: Services):
    corpus = tmp_path / "corpus"
    folder = corpus / "hearings" / "情報政策課"
    write_utf8_eml(folder / "回答.eml", "別紙.docx", docx_bytes(ATTACHMENT_TEXT))
    assert not services.ingest([corpus]).failed
    before = _ids(services)
    good = write_msg(tmp_path / "good.msg", reply_body())
    (folder / "再回答.msg").write_bytes(good.read_bytes()[:3000])
    (folder / "追加回答.eml").write_bytes(docx_bytes("本文"))
    report = services.ingest([corpus])
    failed = {Path(r.path).name: r for r in report.failed}
    assert set(failed) == {"再回答.msg", "追加回答.eml"}
    assert "Outlook のメール（.msg）として読めません" in failed["再回答.msg"].error_ja
    assert "メールの形式ではありません" in failed["追加回答.eml"].error_ja
    assert all(str(folder) in r.error_ja for r in failed.values())
    assert _ids(services) == before
