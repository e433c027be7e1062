"""E-mail as hearing replies: ``.eml`` (the standard library) and Outlook ``.msg`` (extract-msg).

A division answers the auditor by mail. The headers become the reading's metadata (``from``,
``to``, ``cc``, ``date``, ``subject``), so that a citation says who wrote and when; the subject is
the heading and the body one block a line, as for a text file. Earlier mail quoted in the reply
(lines starting with ">" or "＞", and everything after a reply header such as
"-----Original Message-----", "On ... wrote:" or "…さんは書きました:") is kept for search under the
heading 「（引用された以前のメール）」 and set aside as ``QUOTED``: those are someone else's words,
never the division's answer. Attachments come back as ``Attachment``s; the pipeline ingests them
as documents of their own, linked to the mail.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

from ingest.errors import UnreadableFileError
from ingest.readers.blocks import QUOTED, Attachment, Block, Notify, Reading, corrupt, quiet

QUOTED_HEADING = "（引用された以前のメール）"
REPLY_HEADING = "（返信の続き）"  # the reply goes on after a passage quoted inline

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_QUOTE_MARK = re.compile(r"^[ \t\u3000]*[>＞]")
# A line after which the rest of the body is the earlier mail.
_REPLY_HEADER = re.compile(
    r"^[ \t\u3000]*(?:"
    r"-{2,}[ \t\u3000]*(?:original message|forwarded message|元のメッセージ|転送されたメッセージ"
    r"|転送メッセージ)[ \t\u3000]*-{2,}"
    r"|on[ \t].*wrote[ \t]*[:：]"
    r"|(?:.*@.*|.*\d{4}[年/\-]\d{1,2}[月/\-]\d{1,2}.*)wrote[ \t]*[:：]"
    r"|.*書きました[ \t]*[:：]"
    r"|\d{4}年\d{1,2}月\d{1,2}日.*<[^<>@\s]+@[^<>\s]+>[ \t]*[:：]"  # Gmail in Japanese
    r")[ \t\u3000]*$",
    re.IGNORECASE,
)
_WROTE_START = re.compile(r"^[ \t\u3000]*(?:on[ \t]|\d{4}[年/\-])", re.IGNORECASE)
# Outlook's reply header: 「差出人: …」 then 「送信日時: …」 within a few lines.
_FROM_LINE = re.compile(r"^[ \t\u3000]*(?:from|差出人)[ \t\u3000]*[:：]", re.IGNORECASE)
_SENT_LINE = re.compile(
    r"^[ \t\u3000]*(?:sent|date|送信日時|送信日|日時)[ \t\u3000]*[:：]", re.IGNORECASE
)
_RULE = re.compile(r"^[ \t\u3000]*_{8,}[ \t\u3000]*$")
_HEADER_NAMES = ("from", "to", "cc", "subject", "date", "message-id", "received", "mime-version")


# --- HTML bodies ------------------------------------------------------------------------------

_BREAKS = frozenset(
    "address article blockquote br dd div dl dt footer h1 h2 h3 h4 h5 h6 header hr li ol p pre "
    "section table tr ul".split()
)
_HIDDEN = frozenset(("head", "script", "style", "title"))


class _HtmlText(HTMLParser):
    """Text of an HTML body: a line per block element, blockquoted lines marked with ">"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._depth = 0  # blockquote nesting at this point
        self._line_depth = 0
        self._hidden = 0
        self._pre = 0

    def _end_line(self) -> None:
        text = "".join(self._line).strip() if not self._pre else "".join(self._line).rstrip()
        if text:
            self.lines.append("> " * self._line_depth + text)
        elif self.lines and self.lines[-1]:
            self.lines.append("")
        self._line = []
        self._line_depth = self._depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BREAKS:
            self._end_line()
        elif tag in ("td", "th") and self._line:
            self._line.append(" ")
        if tag == "blockquote":
            self._depth += 1
            self._line_depth = self._depth
        elif tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if tag in _BREAKS and tag != "br":
            self._end_line()
        if tag == "blockquote":
            self._depth = max(0, self._depth - 1)
            self._line_depth = self._depth if not self._line else self._line_depth
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._line:
            self._line_depth = self._depth
        if self._pre:
            parts = data.replace("\xa0", " ").split("\n")
            for k, part in enumerate(parts):
                if k:
                    self._end_line()
                self._line.append(part)
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data.replace("\xa0", " "))
        if not self._line:
            text = text.lstrip(" ")
        if text:
            self._line.append(text)

    def text(self) -> str:
        """All the lines read so far."""
        self._end_line()
        return "\n".join(self.lines).strip("\n")


def html_text(html: str) -> str:
    """The text of an HTML mail body (tags dropped, a line per paragraph, quotes marked ">")."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


# --- the body as blocks -----------------------------------------------------------------------


def _reply_header_at(lines: list[str]) -> int | None:
    """Where the earlier mail begins (the reply header's first line), if it does."""
    for i, line in enumerate(lines):
        if _REPLY_HEADER.match(line):
            # Gmail wraps 「On Tue, … <a@b>\nwrote:」 over two lines.
            if i and _WROTE_START.match(lines[i - 1]) and "wrote" not in lines[i - 1].lower():
                return i - 1
            return i
        if _FROM_LINE.match(line) and any(_SENT_LINE.match(x) for x in lines[i + 1 : i + 5]):
            return i - 1 if i and _RULE.match(lines[i - 1]) else i
    return None


def body_blocks(subject: str, body: str) -> list[Block]:
    """The subject as the heading, then a block a line; quoted earlier mail set aside.

    Every quoted passage opens with the heading 「（引用された以前のメール）」 (itself set aside),
    and where the reply goes on after a passage quoted inline, 「（返信の続き）」 opens the reply's
    words again: a clause is thus either all quoted (never cited) or all the sender's own.
    """
    blocks = [Block(_clean(subject), heading_level=1)] if subject.strip() else []
    lines = [_clean(line) for line in body.splitlines()]
    start = _reply_header_at(lines)
    own, earlier = (lines, []) if start is None else (lines[:start], lines[start:])
    quoting = False
    for line in own:
        quoted = bool(_QUOTE_MARK.match(line))
        if not line.strip():
            blocks.append(Block(line, aside=QUOTED if quoting else ""))
            continue
        if quoted and not quoting:
            blocks.append(Block(QUOTED_HEADING, heading_level=2, aside=QUOTED))
        elif quoting and not quoted:
            blocks.append(Block(REPLY_HEADING, heading_level=2))
        quoting = quoted
        blocks.append(Block(line, aside=QUOTED if quoted else ""))
    if any(line.strip() for line in earlier):
        if not quoting:
            blocks.append(Block(QUOTED_HEADING, heading_level=2, aside=QUOTED))
        blocks.extend(Block(line, aside=QUOTED) for line in earlier)
    return blocks


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).rstrip()


def _one_line(value: object) -> str:
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", str(value or ""))).strip()


def _date(when: dt.datetime | None, written: str) -> str:
    """A mail's date as ISO (minutes, with its offset); as written when it cannot be parsed."""
    if when is None or when.year <= 1601:  # extract-msg's NullDate
        return _one_line(written)
    return when.isoformat(sep=" ", timespec="minutes")


def _meta(sender: object, to: object, cc: object, date: str, subject: str) -> dict[str, str]:
    fields = {
        "from": _one_line(sender),
        "to": _one_line(to),
        "cc": _one_line(cc),
        "date": date,
        "subject": _one_line(subject),
    }
    return {k: v for k, v in fields.items() if v}


# --- .eml -------------------------------------------------------------------------------------

# Mailers label cp932 text "Shift_JIS"; "ISO-2022-JP" from Windows carries cp932's NEC and IBM
# extensions (①, ㈱, Ⅲ) too, which Python's codec refuses: see ``_jis_as_cp932``.
_CHARSETS = {
    "shift_jis": ("cp932",),
    "shift-jis": ("cp932",),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso-2022-jp", "iso2022_jp_2", "iso2022_jp_3", "iso2022_jp_ext"),
    "euc-jp": ("euc-jp", "euc_jis_2004"),
}
_JIS_ESCAPES = {
    b"\x1b(B": "ascii",
    b"\x1b(J": "ascii",  # JIS X 0201 Roman: as ASCII but for ¥ and ‾
    b"\x1b(I": "kana",  # JIS X 0201 half-width katakana
    b"\x1b$B": "jis",
    b"\x1b$@": "jis",
}


def _jis_as_cp932(raw: bytes) -> str | None:
    """ISO-2022-JP as Windows writes it (CP50220/50221): two-byte JIS mapped to cp932."""
    out = bytearray()
    mode = "ascii"
    i = 0
    while i < len(raw):
        if raw[i] == 0x1B:
            mode_now = _JIS_ESCAPES.get(raw[i : i + 3])
            if mode_now is None:
                return None
            mode, i = mode_now, i + 3
            continue
        b = raw[i]
        if mode == "jis" and b not in (0x0A, 0x0D):
            if i + 1 >= len(raw) or not (0x21 <= b <= 0x7E and 0x21 <= raw[i + 1] <= 0x7E):
                return None
            c = raw[i + 1]
            s1 = ((b - 0x21) >> 1) + 0x81
            s1 += 0x40 if s1 > 0x9F else 0
            s2 = (c + 0x1F + (1 if c >= 0x60 else 0)) if b & 1 else c + 0x7E
            out += bytes((s1, s2))
            i += 2
            continue
        if b >= 0x80:
            return None
        out.append(b + 0x80 if mode == "kana" and 0x21 <= b <= 0x5F else b)
        i += 1
    try:
        return out.decode("cp932")
    except UnicodeDecodeError:
        return None


def decode_text(raw: bytes, charset: str | None) -> str:
    """Bytes of a mail part as text, trying the Japanese supersets its label usually hides."""
    label = (charset or "").strip().lower()
    if label == "iso-2022-jp":
        try:
            return raw.decode("iso-2022-jp")
        except UnicodeDecodeError:
            text = _jis_as_cp932(raw)  # Windows' extensions; JIS X 0208 as cp932 maps it
            if text is not None:
                return text
    tried = [*_CHARSETS.get(label, (label,) if label else ()), "utf-8", "cp932"]
    for name in tried:
        try:
            return raw.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode(tried[0] if _known(tried[0]) else "utf-8", errors="replace")


def _known(name: str) -> bool:
    try:
        "".encode(name)
    except LookupError:
        return False
    return True


def _part_text(part: Message) -> str:
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    return decode_text(raw, part.get_content_charset())


def _body_text(msg: EmailMessage) -> tuple[str, Message | None]:
    """The plain body, else the HTML one as text (also where the plain part is left blank)."""
    plain = msg.get_body(preferencelist=("plain",))
    if plain is not None and _part_text(plain).strip():
        return _part_text(plain), plain
    html = msg.get_body(preferencelist=("html",))
    if html is not None:
        return html_text(_part_text(html)), html
    return "", plain


def _eml_attachments(msg: Message, body: Message | None, say: Notify) -> list[Attachment]:
    found: list[Attachment] = []

    def visit(part: Message) -> None:
        if part is body:
            return
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                name = _one_line(part.get_filename() or inner.get("subject")) or "添付メール"
                name = name if name.lower().endswith(".eml") else f"{name}.eml"
                found.append(Attachment(name, inner.as_bytes(policy=policy.default)))
            return
        if part.is_multipart():
            for sub in part.get_payload():
                visit(sub)
            return
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if not name:
            if disposition != "attachment":
                return  # an inline image of the body, or an alternative body
            ext = mimetypes.guess_extension(part.get_content_type()) or ""
            name = f"添付{len(found) + 1}{ext}"
        elif part.get("content-id") and disposition != "attachment":
            say(f"    本文に埋め込まれた画像 {name} は読み飛ばしました")
            return
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            found.append(Attachment(_one_line(name), data))

    visit(msg)
    return found


def read_eml(path: Path, say: Notify = quiet) -> Reading:
    """An ``.eml`` file: headers as metadata, the body as blocks, attachments carried along.

    Raises:
        UnreadableFileError: the file is not a mail (no headers).

    """
    with path.open("rb") as fh:
        msg = cast(EmailMessage, BytesParser(policy=policy.default).parse(fh))
    if not any(msg.get(name) for name in _HEADER_NAMES):
        raise UnreadableFileError(
            str(path),
            "メールの形式ではありません（差出人・件名などの見出しがありません）。"
            "メールソフトからメールを .eml 形式で保存し直してください。",
            "this is not an e-mail (no From, Subject or other headers); save the mail from the "
            "mail program as .eml again.",
        )
    try:
        subject = _one_line(msg.get("subject", ""))
        body, body_part = _body_text(msg)
        date_header: Any = msg.get("date")
        when = getattr(date_header, "datetime", None)
        meta = _meta(
            msg.get("from"),
            msg.get("to"),
            msg.get("cc"),
            _date(when, str(date_header or "")),
            subject,
        )
        attachments = _eml_attachments(msg, body_part, say)
    except (ValueError, TypeError, LookupError, IndexError) as exc:
        raise corrupt(path) from exc
    return Reading(body_blocks(subject, body), meta, attachments)


# --- .msg -------------------------------------------------------------------------------------


def _msg_body(msg: Any) -> str:
    body = msg.body
    if isinstance(body, str) and body.strip():
        return body
    html = msg.htmlBody
    if isinstance(html, bytes):
        m = re.search(rb"charset=[\"']?([A-Za-z0-9_\-]+)", html[:2048])
        html = decode_text(html, m.group(1).decode("ascii") if m else "utf-8")
    return html_text(html) if isinstance(html, str) else ""


def _msg_attachments(msg: Any, say: Notify) -> list[Attachment]:
    from extract_msg.enums import AttachmentType

    found: list[Attachment] = []
    for k, att in enumerate(msg.attachments, start=1):
        name = _one_line(
            getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or ""
        )
        if getattr(att, "hidden", False):
            say(f"    本文に埋め込まれた {name or k} は読み飛ばしました")
            continue
        kind = getattr(att, "type", None)
        if kind in (AttachmentType.MSG, AttachmentType.SIGNED_EMBEDDED):
            inner = att.data
            try:
                data = inner.exportBytes()
            except Exception:  # noqa: BLE001 - extract-msg cannot re-save every embedded mail
                say(f"    添付メール {name or k} は保存できないため読み飛ばしました")
                continue
            stem = name or _one_line(getattr(inner, "subject", "")) or f"添付メール{k}"
            found.append(Attachment(stem if stem.lower().endswith(".msg") else f"{stem}.msg", data))
            continue
        data = getattr(att, "data", None)
        if not isinstance(data, bytes):
            say(f"    添付 {name or k} は中身を取り出せないため読み飛ばしました")
            continue
        if not name:
            ext = mimetypes.guess_extension(getattr(att, "mimetype", None) or "") or ""
            name = f"添付{k}{ext}"
        found.append(Attachment(name, data))
    return found


def read_msg(path: Path, say: Notify = quiet) -> Reading:
    """An Outlook ``.msg`` file: headers as metadata, the body as blocks, attachments carried.

    Raises:
        UnreadableFileError: corrupt, or not an Outlook mail.

    """
    import extract_msg
    from extract_msg.msg_classes import MessageBase

    try:
        with extract_msg.openMsg(str(path)) as msg:
            if not isinstance(msg, MessageBase):
                raise _not_msg(path)
            subject = _one_line(msg.subject)
            when = msg.date if isinstance(msg.date, dt.datetime) else None
            date = _date(when.astimezone() if when and when.year > 1601 else None, "")
            meta = _meta(msg.sender, msg.to, msg.cc, date, subject)
            body = _msg_body(msg)
            attachments = _msg_attachments(msg, say)
    except UnreadableFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - olefile and extract-msg raise many kinds on bad input
        raise _not_msg(path) from exc
    return Reading(body_blocks(subject, body), meta, attachments)


def _not_msg(path: Path) -> UnreadableFileError:
    return UnreadableFileError(
        str(path),
        "Outlook のメール（.msg）として読めません。壊れているか、別の形式のファイルです。"
        "Outlook でメールを開き、「名前を付けて保存」で .msg 形式に保存し直してください。",
        "this cannot be read as an Outlook mail (.msg): it is corrupt or another kind of file; "
        "open the mail in Outlook and save it again as .msg.",
    )
