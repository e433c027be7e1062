"""OCR of PDF pages that are images, with Tesseract and its Japanese models.

Only pages without a text layer come here (``pdf.read_pdf`` decides). Each page is rendered at
300 dpi with pypdfium2 into a private temporary folder (mode 0700, removed afterwards) and read
by the ``tesseract`` command with the ``jpn`` model. Pages are read in parallel, one Tesseract
process a core, each held to one thread (``OMP_THREAD_LIMIT=1``): Tesseract's own OpenMP threads
made a page five times slower (3.8 s against 0.74 s on a 2-core machine). Pages are rendered
while earlier ones are read, and each image is removed once read.

Page segmentation: ``--psm 4`` (one column of text of varying sizes). Measured against 3
(automatic, the default), 6 (one uniform block) and 11 (sparse text) on contracts drawn at
300 dpi and on scanned copies of the sample contract and specification (``eval/ocr_accuracy.py``),
4 read as well as or better than 3 and 6 on nearly every page (0.990-0.997 on the scanned
copies, against 0.989-0.995 for 3 and 6) and keeps a table's row on one line, where 3 may read
a table column by column; 11 breaks sentences apart and lost up to 3 points.

Tesseract's Japanese output puts spaces between characters; a space with a CJK character (kana,
kanji, full-width punctuation) on either side is removed, a space between Latin words or digits
is kept, and so is the gap after a paragraph number at the start of a line (「2 乙は」). The
lines a paragraph was wrapped into are joined (``_unwrap``), as for a text layer.

Vertical writing (縦書き): read with ``jpn``, a vertical page gives nothing or scattered
characters of low confidence. When the ``jpn`` reading is empty or poor (under 6 characters a
line, or a mean word confidence under 60) and ``jpn_vert`` is installed, the page is read again
with ``jpn_vert`` (``--psm 5``, a vertical block) and the reading with the better mean word
confidence is kept. Horizontal pages of running text read at 91-94 confidence with 20-27
characters a line, so they are read once; a blank page is read twice, which is quick.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.limits import take_ocr_pages, temp_folder
from ingest.readers.blocks import Notify, corrupt
from ingest.readers.pdf_layout import join_wrapped

DPI = 300
PSM = 4
PAGE_TIMEOUT_S = 600
# A short all-kanji line (a title such as 「業務委託契約書」 in Mincho at 10.5 pt) is dropped by
# Tesseract's noise-row filter; with the filter off it is read, and a blank page with specks
# still reads as nothing. ``--dpi 300`` was tried too: no better on drawn pages, 0.1 point worse
# on the scanned copies, so Tesseract estimates the resolution itself.
_TUNING = ("-c", "textord_noise_rejrows=0")
PACKAGES = "tesseract-ocr tesseract-ocr-jpn tesseract-ocr-jpn-vert"

_CJK = (
    "\u3000-\u303f"  # CJK symbols and punctuation (、。「」)
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kanji
    "\uff00-\uffef"  # full-width forms (（）０-９)
)
_SPACE_CJK = re.compile(rf"(?<=[{_CJK}])[ \u3000]+|[ \u3000]+(?=[{_CJK}])")


def join_cjk(line: str) -> str:
    """Remove the spaces OCR puts next to Japanese characters; keep those between Latin words."""
    return _SPACE_CJK.sub("", line).strip()


def _missing(path: Path, what_ja: str, what_en: str) -> UnreadableFileError:
    return UnreadableFileError(
        str(path),
        f"画像のページを読み取るには{what_ja}が必要です。{PACKAGES} をインストールしてください"
        f"（sudo apt-get install {PACKAGES}）。",
        f"{what_en} is needed to read the pages that are images; install {PACKAGES} "
        f"(sudo apt-get install {PACKAGES}).",
    )


def tesseract(path: Path) -> tuple[str, set[str]]:
    """The ``tesseract`` command and its installed language models.

    Raises:
        UnreadableFileError: Tesseract or its Japanese model is not installed.

    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise _missing(path, "Tesseract（OCR）", "Tesseract (OCR)")
    try:
        listed = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _missing(path, "動作する Tesseract（OCR）", "a working Tesseract (OCR)") from exc
    # The first line says where the models lie; the others name one model each.
    langs = {ln.strip() for ln in (listed.stdout + listed.stderr).splitlines()[1:]}
    if "jpn" not in langs:
        raise _missing(path, "Tesseract の日本語モデル（jpn）", "Tesseract's Japanese model (jpn)")
    return exe, langs


@dataclass
class _Line:
    text: str
    par: tuple[int, int, int]  # Tesseract's page, block and paragraph
    left: int
    top: int
    right: int
    bottom: int


@dataclass
class _Read:
    lines: list[_Line]
    confidence: float  # mean word confidence, 0-100 (-1 when nothing was read)

    @property
    def chars(self) -> int:
        return sum(len(x.text) for x in self.lines)


def _run(exe: str, image: Path, lang: str, psm: int) -> _Read:
    """Read one page image; lines in reading order, from Tesseract's TSV (words and boxes)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        [
            exe,
            str(image),
            "stdout",
            "-l",
            lang,
            "--psm",
            str(psm),
            *_TUNING,
            "tsv",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=PAGE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-300:] or f"tesseract exit {done.returncode}")
    boxes: dict[tuple[int, ...], tuple[int, int, int, int]] = {}
    words: dict[tuple[int, ...], list[tuple[str, int, int]]] = {}
    confs: list[float] = []
    for row in done.stdout.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        key = tuple(int(c) for c in cols[1:5])
        left, top, width, height = (int(c) for c in cols[6:10])
        if cols[0] == "4":  # a line: its box
            boxes[key] = (left, top, left + width, top + height)
        elif cols[0] == "5" and cols[11].strip():  # a word
            words.setdefault(key, []).append((cols[11], left, left + width))
            confs.append(float(cols[10]))
    lines = []
    for key, got in words.items():
        box = boxes.get(key, (0, 0, 0, 0))
        text = _line_text(got, box[3] - box[1])
        if text:
            lines.append(_Line(text, key[:3], *box))
    return _Read(lines, sum(confs) / len(confs) if confs else -1.0)


_LEADING_NUMBER = re.compile(r"[0-9０-９]{1,3}|[（(][0-9０-９]{1,3}[）)]")


def _line_text(words: list[tuple[str, int, int]], height: int) -> str:
    """A line's words joined: no space next to Japanese, but one after a paragraph number.

    「２　乙は」 keeps its space when the image shows a gap (0.4 em or more) after the number, so
    the clause splitter still sees the number as the paragraph's own («2 乙は» not «2乙は»);
    「2026年」 has no such gap and stays whole.
    """
    texts = [w[0] for w in words]
    if (
        len(words) > 1
        and _LEADING_NUMBER.fullmatch(texts[0])
        and words[1][1] - words[0][2] >= 0.4 * max(height, 1)
    ):
        return f"{texts[0]} {join_cjk(' '.join(texts[1:]))}"
    return join_cjk(" ".join(texts))


_SENTENCE_END = ("。", "．", "：", ":", "」", "』", "）", ")", "！", "？", "!", "?")
_ITEM = re.compile(
    r"^(?:第[0-9０-９一二三四五六七八九十百]+[編章節条款項]|[0-9０-９]{1,3}(?:[.．)）]|\s)|"
    r"[（(][0-9０-９a-zA-Zア-ン一二三四五六七八九十]{1,3}[）)]|[ア-ン][\s.．、]|"
    r"[\u2460-\u2473・･•※□■○●◆◇\-－])"
)


def _unwrap(lines: list[_Line]) -> list[str]:
    """Join the lines a paragraph was wrapped into, as ``pdf.read_pdf`` does for a text layer.

    A line runs on into the next when both are in the same Tesseract paragraph, it reaches the
    right edge of the page's text without ending a sentence, the next starts no item (第2条,
    ２, （１）, ア, ・) and is not indented more than 2.5 em further (a hanging indent is). A quote
    then finds a sentence whole.
    """
    if not lines:
        return []
    right = max(x.right for x in lines)
    out = [lines[0].text]
    for a, b in zip(lines, lines[1:], strict=False):
        em = max(a.bottom - a.top, 1)
        runs_on = (
            a.par == b.par
            and a.right >= right - 1.5 * em
            and not a.text.endswith(_SENTENCE_END)
            and not _ITEM.match(b.text)
            and b.left <= a.left + 2.5 * em
            and 0 <= b.top - a.bottom <= em
        )
        if runs_on:
            out[-1] = join_wrapped(out[-1], b.text)
        else:
            out.append(b.text)
    return out


def _looks_vertical(read: _Read) -> bool:
    """Whether a horizontal reading looks like vertical text read the wrong way."""
    if not read.lines:
        return True
    return read.chars / len(read.lines) < 6 or read.confidence < 60


def _read_page(exe: str, langs: set[str], image: Path, psm: int) -> list[str]:
    read = _run(exe, image, "jpn", psm)
    if "jpn_vert" in langs and _looks_vertical(read):
        vertical = _run(exe, image, "jpn_vert", 5)
        if vertical.confidence > read.confidence and vertical.chars:
            return [x.text for x in vertical.lines]  # a column a line
    return _unwrap(read.lines)


def _render(path: Path, pages: list[int], folder: Path) -> Iterator[tuple[int, Path]]:
    """Render the listed pages (1-based) to greyscale PNGs at ``DPI``, one at a time.

    Raises:
        UnreadableFileError: the PDF cannot be rendered.

    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # noqa: BLE001 - pdfium raises its own PdfiumError
        raise corrupt(path, type(exc).__name__) from exc
    try:
        for n in pages:
            try:
                # Rendered in colour and made grey by Pillow: pdfium's own greyscale is slower.
                bitmap = pdf[n - 1].render(scale=DPI / 72)
                image = folder / f"page-{n:05d}.png"
                bitmap.to_pil().convert("L").save(str(image), compress_level=1)
            except Exception as exc:  # noqa: BLE001
                raise corrupt(path, type(exc).__name__) from exc
            yield n, image
    finally:
        pdf.close()


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _read_and_remove(exe: str, langs: set[str], image: Path) -> list[str]:
    try:
        return _read_page(exe, langs, image, PSM)
    finally:
        image.unlink(missing_ok=True)


def ocr_pages(path: Path, pages: list[int], say: Notify) -> dict[int, list[str]]:
    """The text lines of each listed page (1-based), read by OCR from the page's image.

    Pages on which OCR finds no text are left out of the result.

    Raises:
        UnreadableFileError: Tesseract or its Japanese model is not installed (the message names
            the Debian packages), or the page images cannot be made.

    """
    if not pages:
        return {}
    take_ocr_pages(path, len(pages))  # before Tesseract is even looked for
    exe, langs = tesseract(path)
    out: dict[int, list[str]] = {}
    done = 0

    def collect(n: int, future: Future[list[str]]) -> None:
        nonlocal done
        try:
            lines = future.result()
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
            raise UnreadableFileError(
                str(path),
                f"{n}ページ目の OCR に失敗しました（{exc}）。ページの画像を確認してください。",
                f"OCR of page {n} failed ({exc}); check the page image.",
            ) from exc
        done += 1
        say(f"    OCR {done}/{len(pages)} ページ")
        if lines:
            out[n] = lines

    folder = temp_folder("ocr-")  # mode 0700 (the pages may be confidential), in the data folder
    workers = min(len(pages), _workers())
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        os.chmod(folder, 0o700)
        pending: deque[tuple[int, Future[list[str]]]] = deque()
        # Pages are rendered while earlier ones are read; at most two a worker wait on disk.
        for n, image in _render(path, pages, folder):
            pending.append((n, pool.submit(_read_and_remove, exe, langs, image)))
            while len(pending) > 2 * workers:
                collect(*pending.popleft())
        while pending:
            collect(*pending.popleft())
        return out
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(folder, ignore_errors=True)
