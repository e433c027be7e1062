"""Scanned documents for the tests: Japanese text drawn onto page images, saved as PDFs.

A "scan" here is a PDF whose pages are only images (no text layer), as a scanner or a fax
gives. The text is drawn with PIL and an IPAex font on a white A4 page at 300 dpi, so the tests
know exactly what the page says and can measure what OCR reads back.

- ``image_pdf``: pages of text lines, each page an image.
- ``mixed_pdf``: page 1 a text layer (reportlab with an IPAex TrueType font), page 2 an image.
- ``blank_pdf``: white pages only.
- ``rasterise_pdf``: a born-digital PDF (e.g. one LibreOffice made from a .docx) turned into an
  image-only copy, page by page.
- ``char_accuracy``: 1 - normalised edit distance, whitespace removed, NFKC.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

MINCHO = Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf")
GOTHIC = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
DPI = 300
A4_MM = (210.0, 297.0)

CONTRACT = [
    "業務委託契約書",
    "第1条（目的）",
    "本契約は、甲が乙に委託する情報システムの運用保守業務について、必要な事項を定める。",
    "第2条（委託業務の内容）",
    "乙は、別紙仕様書に定めるところにより、委託業務を誠実に履行しなければならない。",
    "2 乙は、業務の全部又は一部を第三者に再委託してはならない。ただし、あらかじめ甲の書面による"
    "承諾を得た場合は、この限りでない。",
    "3 乙は、再委託先に対し、本契約に定める乙の義務と同等の義務を負わせるものとする。",
    "第3条（秘密の保持）",
    "乙は、業務上知り得た甲の情報を第三者に漏らしてはならない。契約期間が満了した後も同様とする。",
    "2 乙は、個人情報を取り扱う場合には、甲の定める個人情報取扱特記事項を遵守しなければならない。",
    "第4条（契約期間）",
    "契約期間は、令和8年4月1日から令和9年3月31日までとする。",
]


def have_tesseract() -> str | None:
    """Why OCR tests cannot run here (no tesseract, no jpn model, no font), or None."""
    exe = shutil.which("tesseract")
    if exe is None:
        return "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-jpn)"
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    if "jpn" not in (langs.stdout + langs.stderr).split():
        return "tesseract's jpn model is not installed (apt-get install tesseract-ocr-jpn)"
    if not MINCHO.is_file():
        return f"the IPAex font is not installed ({MINCHO}; apt-get install fonts-ipaexfont)"
    return None


def _px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _wrap(line: str, font, width: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Break a line into pieces no wider than ``width`` pixels (Japanese breaks anywhere)."""
    out, current = [], ""
    for ch in line:
        if current and font.getlength(current + ch) > width:
            out.append(current)
            current = ch
        else:
            current += ch
    return [*out, current] if current or not out else out


def render_page(lines: list[str], *, font: Path = MINCHO, size_pt: float = 10.5, dpi: int = DPI):  # type: ignore[no-untyped-def]
    """One white A4 page image (greyscale) with the lines drawn on it, wrapped to 25 mm margins."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = _px(A4_MM[0], dpi), _px(A4_MM[1], dpi)
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(font), round(size_pt / 72 * dpi))
    margin = _px(25, dpi)
    step = round(size_pt / 72 * dpi * 1.7)
    y = margin
    for line in lines:
        for piece in _wrap(line, face, w - 2 * margin):
            draw.text((margin, y), piece, font=face, fill=0)
            y += step
    return image


def render_vertical_page(
    columns: list[str], *, font: Path = MINCHO, size_pt: float = 10.5, dpi: int = DPI
):  # type: ignore[no-untyped-def]
    """An A4 page with the text set vertically (縦書き): columns from right to left."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = _px(A4_MM[0], dpi), _px(A4_MM[1], dpi)
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    px = round(size_pt / 72 * dpi)
    face = ImageFont.truetype(str(font), px)
    margin = _px(25, dpi)
    per_column = (h - 2 * margin) // px
    x = w - margin - px
    for column in columns:
        for start in range(0, len(column), per_column):
            for i, ch in enumerate(column[start : start + per_column]):
                # Punctuation sits top-right in vertical setting; a rough shift is enough here.
                dx, dy = (px // 2, -px // 2) if ch in "、。" else (0, 0)
                draw.text((x + dx, margin + i * px + dy), ch, font=face, fill=0)
            x -= round(px * 1.8)
    return image


def save_images(path: Path, images: list, dpi: int = DPI) -> Path:  # type: ignore[type-arg]
    """Save page images as an image-only PDF, each page as large as the image at ``dpi``."""
    first, *rest = images
    first.save(str(path), "PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return path


def image_pdf(path: Path, pages: list[list[str]], *, font: Path = MINCHO, dpi: int = DPI) -> Path:
    """An image-only PDF ("a scan"): each list of lines becomes one page image."""
    return save_images(path, [render_page(lines, font=font, dpi=dpi) for lines in pages], dpi)


def blank_pdf(path: Path, pages: int = 1, dpi: int = DPI) -> Path:
    """An image-only PDF of white A4 pages (a blank scan)."""
    from PIL import Image

    size = (_px(A4_MM[0], dpi), _px(A4_MM[1], dpi))
    return save_images(path, [Image.new("L", size, 255) for _ in range(pages)], dpi)


def mixed_pdf(path: Path, text_lines: list[str], image_lines: list[str]) -> Path:
    """A PDF whose page 1 has a text layer and page 2 is only an image (a scanned annex)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "IPAexMincho" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("IPAexMincho", str(MINCHO)))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("IPAexMincho", 10.5)
    for i, line in enumerate(text_lines):
        c.drawString(72, A4[1] - 72 - 18 * i, line)
    c.showPage()
    c.drawImage(ImageReader(render_page(image_lines)), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return path


def rasterise_pdf(src: Path, dst: Path, dpi: int = DPI) -> Path:
    """An image-only copy of a PDF: every page rendered at ``dpi`` and saved as an image."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(src))
    try:
        images = [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pdf))]
    finally:
        pdf.close()
    return save_images(dst, [im.convert("L") for im in images], dpi)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def office_save(source: Path, suffix: str, export: str, folder: Path) -> Path:
    """Have LibreOffice save ``source`` as ``suffix`` into ``folder``, as an office user would.

    ``export`` names the filter ("" for the format's default); LibreOffice runs with a profile of
    its own, removed afterwards.

    Raises:
        FileNotFoundError: LibreOffice is not installed or wrote nothing.

    """
    if SOFFICE is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            f"{suffix}:{export}" if export else suffix,
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    shutil.rmtree(profile, ignore_errors=True)
    out = folder / f"{source.stem}.{suffix}"
    if not out.is_file():
        raise FileNotFoundError(f"LibreOffice did not write {out.name}")
    return out


def docx_to_pdf(docx: Path, outdir: Path) -> Path | None:
    """The PDF LibreOffice makes of a .docx, or None when soffice is not installed."""
    return None if SOFFICE is None else office_save(docx, "pdf", "", outdir)


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(truth: str, read: str) -> float:
    """1 - edit distance / length of the truth, over NFKC text with all whitespace removed."""
    t, r = _squash(truth), _squash(read)
    if not t:
        return 1.0 if not r else 0.0
    return max(0.0, 1.0 - edit_distance(t, r) / len(t))
