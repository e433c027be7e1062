"""Old Office and OpenDocument files, turned into their current counterparts by LibreOffice.

A .doc, .rtf or .odt becomes a .docx, a .xls or .ods a .xlsx, a .ppt or .odp a .pptx, and the
reader of the current format reads that. LibreOffice runs headless with a user profile of its own
in a private temporary folder, so a LibreOffice the user has open neither blocks nor sees it; the
folder, with the converted copy, is removed as soon as the file has been read. The document keeps
the original file's name, id and sha256: only its text comes through the copy.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.errors import UnreadableFileError
from ingest.limits import check_package, temp_folder
from ingest.readers.blocks import _CFB_MAGIC, Notify, quiet

TIMEOUT_S = 180
# suffix -> (current suffix, LibreOffice's export filter, the application to save it again in)
TARGETS = {
    ".doc": ("docx", "MS Word 2007 XML", "Word"),
    ".rtf": ("docx", "MS Word 2007 XML", "Word"),
    ".odt": ("docx", "MS Word 2007 XML", "Word"),
    ".xls": ("xlsx", "Calc MS Excel 2007 XML", "Excel"),
    ".ods": ("xlsx", "Calc MS Excel 2007 XML", "Excel"),
    ".ppt": ("pptx", "Impress MS PowerPoint 2007 XML", "PowerPoint"),
    ".odp": ("pptx", "Impress MS PowerPoint 2007 XML", "PowerPoint"),
}
PACKAGES = "libreoffice-writer libreoffice-calc libreoffice-impress"
_ENCRYPTED_PPT = 0xF3D1C4DF  # CurrentUserAtom.headerToken of an encrypted PowerPoint file


def soffice() -> str | None:
    """LibreOffice's command on PATH (``soffice`` or ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@contextmanager
def to_current(path: Path, notify: Notify = quiet, timeout_s: int = TIMEOUT_S) -> Iterator[Path]:
    """Convert an old Office or OpenDocument file and yield the converted copy.

    The copy lies in a private temporary folder (mode 0700) that is removed, with everything in
    it, when the ``with`` block ends, whether it ends normally or by an error. An
    ``UnreadableFileError`` about the copy raised in the block is raised again about ``path``.

    Args:
        path: a .doc, .rtf, .odt, .xls, .ods, .ppt or .odp file.
        notify: told that LibreOffice is converting the file.
        timeout_s: how long LibreOffice may take before it is stopped.

    Yields:
        The .docx, .xlsx or .pptx LibreOffice wrote.

    Raises:
        UnreadableFileError: LibreOffice is not installed; the file is password-protected or
            corrupt; the conversion failed, timed out or produced nothing.

    """
    target, export, app = TARGETS[path.suffix.lower()]
    _check_source(path, target, app)
    command = soffice()
    if command is None:
        raise _not_installed(path, target)
    folder = temp_folder("copilot-convert-")  # created 0700, in the data folder
    try:
        notify(f"LibreOffice で変換しています: {path.name}")
        # an ASCII name of our own: the output is named after the input, and LibreOffice leaves
        # its lock file beside the copy, not beside the user's file
        source = folder / f"source{path.suffix.lower()}"
        shutil.copyfile(path, source)
        out = folder / "out"
        out.mkdir()
        _run(
            [
                command,
                f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--nologo",
                "--nolockcheck",
                "--nodefault",
                "--convert-to",
                f"{target}:{export}",
                "--outdir",
                str(out),
                str(source),
            ],
            path,
            target,
            app,
            timeout_s,
        )
        converted = out / f"source.{target}"
        if not converted.is_file() or converted.stat().st_size == 0:
            raise _failed(path, target, app, "LibreOffice が変換結果を出力しませんでした", "")
        try:
            yield converted
        except UnreadableFileError as exc:
            if exc.path != str(converted):
                raise
            # the reader's error names the temporary copy: name the user's file instead
            raise UnreadableFileError(
                str(path),
                exc.ja.removeprefix(f"{converted}: "),
                exc.en.removeprefix(f"{converted}: "),
            ) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: list[str], path: Path, target: str, app: str, timeout_s: int) -> None:
    """Run LibreOffice in a session of its own, so that a timeout kills all it started."""
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise _not_installed(path, target) from exc
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise _failed(
            path,
            target,
            app,
            f"LibreOffice の変換が {timeout_s} 秒で終わりませんでした",
            f"LibreOffice did not finish within {timeout_s} s",
        ) from None
    except BaseException:  # interrupted: LibreOffice must not outlive the folder it works in
        _stop(proc)
        raise
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise _failed(
            path,
            target,
            app,
            f"LibreOffice が終了コード {proc.returncode} で終わりました",
            f"LibreOffice exited with code {proc.returncode}"
            + (f": {detail[-1]}" if detail else ""),
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill LibreOffice and whatever it started (its session's process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # a pipe held open by something outside the group
        proc.kill()
        proc.wait()


def _check_source(path: Path, target: str, app: str) -> None:
    """Refuse what LibreOffice would misread: a password-protected file, or bytes of no format.

    Given random bytes named .doc, LibreOffice imports them as plain text and converts the junk;
    an encrypted file it cannot open at all, and says only that it could not load it.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    suffix = path.suffix.lower()
    if suffix in (".odt", ".ods", ".odp"):
        if not zipfile.is_zipfile(path):
            raise _corrupt(path, target, app)
        check_package(path)  # LibreOffice would unpack a zip bomb whole
        if _odf_encrypted(path):
            raise _password(path, target, app)
        return
    if suffix == ".rtf":
        if not head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{\\rtf"):
            raise _corrupt(path, target, app)
        return
    if head.startswith(_CFB_MAGIC):
        if _ole_encrypted(path):
            raise _password(path, target, app)
        return
    if head.startswith((b"PK\x03\x04", b"{\\rtf")):
        return  # a current file or RTF under the old name: LibreOffice reads it as what it is
    if b"\x00" in head or any(b < 0x09 for b in head):
        raise _corrupt(path, target, app)
    # text under an old name (a web page or CSV saved as .xls): LibreOffice reads it as text


def _ole_encrypted(path: Path) -> bool:
    """Whether an OLE file is password-protected (legacy Word, Excel or PowerPoint, or OOXML)."""
    try:
        import olefile
    except ImportError:  # without olefile LibreOffice's failure still says "password or corrupt"
        return False
    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, struct.error, ValueError):  # olefile.OleFileError is an OSError
        return False  # damaged: LibreOffice says so
    try:
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            return True  # a password-protected .docx/.xlsx/.pptx, under an old name
        if ole.exists("WordDocument"):
            fib = ole.openstream("WordDocument").read(12)
            # FibBase: fEncrypted is bit 8 of the flags word at offset 10
            return len(fib) == 12 and bool(struct.unpack_from("<H", fib, 10)[0] & 0x0100)
        for name in ("Workbook", "Book"):
            if ole.exists(name):
                return _xls_filepass(ole.openstream(name).read())
        if ole.exists("EncryptedSummary"):
            return True
        if ole.exists("Current User"):
            atom = ole.openstream("Current User").read(16)
            return len(atom) == 16 and struct.unpack_from("<I", atom, 12)[0] == _ENCRYPTED_PPT
        return False
    except (OSError, struct.error, ValueError):
        return False
    finally:
        ole.close()


def _xls_filepass(stream: bytes) -> bool:
    """Whether an Excel workbook stream has a FILEPASS record before its globals' EOF."""
    at = 0
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        if kind == 0x002F:  # FILEPASS
            return True
        if kind == 0x000A:  # EOF of the workbook globals
            return False
        at += 4 + size
    return False


def _odf_encrypted(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = zf.read("META-INF/manifest.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return b"encryption-data" in manifest


def _not_installed(path: Path, target: str) -> UnreadableFileError:
    return UnreadableFileError(
        str(path),
        f"{path.suffix} 形式を読むには LibreOffice が必要ですが、見つかりません"
        "（soffice コマンドがありません）。Debian/Ubuntu では root で "
        f"`apt-get install {PACKAGES}` を実行してください（`make demo` を root で実行しても"
        "インストールされます）。"
        f"または元のファイルを開いて .{target} 形式で保存し直してください。",
        f"reading {path.suffix} files needs LibreOffice, which was not found (no soffice on "
        f"PATH); on Debian/Ubuntu run `apt-get install {PACKAGES}` as root (`make demo` run as "
        f"root installs them too), or open the file and save it as .{target}.",
    )


def _password(path: Path, target: str, app: str) -> UnreadableFileError:
    return UnreadableFileError(
        str(path),
        f"パスワードで保護されているため読めません。{app} で開いてパスワードを解除し、"
        f".{target} 形式で保存し直してから取り込んでください。",
        f"the file is password-protected; open it in {app}, remove the password, save it as "
        f".{target} and ingest it again.",
    )


def _corrupt(path: Path, target: str, app: str) -> UnreadableFileError:
    return UnreadableFileError(
        str(path),
        f"{path.suffix} 形式のファイルとして読めません（壊れているか、別の形式です）。"
        f"{app} で開けるか確認し、.{target} 形式で保存し直してください。",
        f"the file is not a readable {path.suffix} file (corrupt, or another format); check that "
        f"{app} opens it and save it as .{target}.",
    )


def _failed(path: Path, target: str, app: str, ja: str, en: str) -> UnreadableFileError:
    en = en or "LibreOffice produced no converted file"
    return UnreadableFileError(
        str(path),
        f"LibreOffice で .{target} に変換できませんでした（{ja}）。ファイルが壊れているか、"
        f"パスワードで保護されている可能性があります。{app} で開いて .{target} 形式で"
        "保存し直してから取り込んでください。",
        f"LibreOffice could not convert it to .{target} ({en}); the file may be corrupt or "
        f"password-protected: open it in {app}, save it as .{target} and ingest it again.",
    )
