"""Ingest files and folders: pick kind and contract, skip unchanged files, report failures.

An e-mail's attachments are documents of their own, with ids under the mail's id
(``hearings/<division>/回答.eml/別紙.xlsx``) and the mail's id in their metadata; they are read
with the mail, updated with it and removed with it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.clauses import SPLITTER_VERSION, split_clauses
from ingest.errors import UserError
from ingest.index import ClauseIndex, DocumentRecord, now_iso
from ingest.limits import Limits, active, attachment_too_large, job, temp_folder, too_large
from ingest.readers import READERS, READERS_VERSION, Attachment, read_document
from ingest.units import UNITS_VERSION

KINDS = (
    "policy",
    "guideline",
    "contract",
    "checklist",
    "ledger",
    "self_check",
    "correspondence",
    "other",
)
# What each kind is called on the screens (the stored names above are for files and the CLI).
DOCUMENT_KIND_JA = {
    "policy": "ポリシー（規程）",
    "guideline": "ガイドライン",
    "contract": "契約書類",
    "checklist": "チェックリスト",
    "ledger": "外部サービス利用管理台帳",
    "self_check": "自己点検シート",
    "correspondence": "ヒアリング回答（往復文書）",
    "other": "その他",
}
# Folder names (anywhere under the ingested path) that set a document's kind.
FOLDER_KINDS = {
    "policy": "policy",
    "guideline": "guideline",
    "guidelines": "guideline",
    "contracts": "contract",
    "checklists": "checklist",
    "ledger": "ledger",
    "self_check": "self_check",
    "hearings": "correspondence",  # hearings/<division>/: the divisions' replies by e-mail
}

# A file of this name in a folder names the public body (団体) its documents belong to, when that
# is not the audited one: a neighbouring town's standard kept for comparison. Its first line names
# the body.
BODY_FILE = "_団体.txt"

Notify = Callable[[str], None]
# Asked before new content replaces a document: (the stored document, the new file's sha256).
# Raises UserError to refuse; the file is then reported as failed and nothing of it changes.
Guard = Callable[[DocumentRecord, str], None]
# Told after new content replaced a document: (the old record, the new one, the id the old
# version is kept under).
Replaced = Callable[[DocumentRecord, DocumentRecord, str], None]


def kind_folder(kind: str, contract: str = "") -> Path:
    """The folder (relative) whose name gives ``kind`` and ``contract`` by the convention above."""
    if kind == "contract":
        return Path("contracts") / contract if contract else Path("contracts")
    if kind == "correspondence":
        return Path("hearings") / contract if contract else Path("hearings")
    names = {v: k for k, v in reversed(list(FOLDER_KINDS.items()))}  # guideline: "guideline"
    return Path(names.get(kind, "other"))


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    path: str
    doc_id: str
    status: str  # added | updated | unchanged | removed | failed
    clauses: int = 0
    error_ja: str = ""
    error_en: str = ""
    kept: str = ""  # updated with new content: the id its previous version is kept under


@dataclass(frozen=True)
class IngestReport:
    """The outcome of one ingest run."""

    results: list[FileResult]

    @property
    def failed(self) -> list[FileResult]:
        """Files that could not be ingested."""
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        """How many files ended with this status."""
        return sum(1 for r in self.results if r.status == status)


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        and not p.name.startswith("~$")
    )


def classify(relative: Path, kind: str | None, contract: str | None) -> tuple[str, str]:
    """Kind and contract id from the flags, else from the folder convention, else 'other'.

    For correspondence the second value is the division (``hearings/<division>/``): the pipeline
    keeps it in the document's metadata, not as a contract.
    """
    parts = relative.parts[:-1]
    found_kind, found_contract = None, ""
    for i, part in enumerate(parts):
        if part in FOLDER_KINDS:
            found_kind = FOLDER_KINDS[part]
            if part in ("contracts", "hearings") and i + 1 < len(parts):
                found_contract = parts[i + 1]
            break
    return kind or found_kind or "other", contract or found_contract


def folder_body(path: Path, root: Path) -> str:
    """The body named by the nearest ``_団体.txt`` from the file's folder up to ``root``, or ""."""
    folder = path.parent
    while True:
        marker = folder / BODY_FILE
        if marker.is_file():
            lines = marker.read_text(encoding="utf-8-sig").strip().splitlines()
            return lines[0].strip() if lines else ""
        if folder == root or folder == folder.parent or not folder.is_relative_to(root):
            return ""
        folder = folder.parent


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_paths(
    index: ClauseIndex,
    paths: list[Path],
    kind: str | None = None,
    contract: str | None = None,
    title: str | None = None,
    prune: bool = False,
    max_chars: int = 400,
    batch: int = 16,
    notify: Notify | None = None,
    base: Path | None = None,
    body: str | None = None,
    limits: Limits | None = None,
    guard: Guard | None = None,
    replaced: Replaced | None = None,
) -> IngestReport:
    """Ingest files and folders into the index.

    Unchanged files (same sha256, kind, contract and title) are skipped; a file that fails is
    reported and skipped while the others go on; with ``prune``, documents whose file vanished
    from an ingested folder are removed. A document's id is its path relative to the folder given
    (a file given alone: its name), or relative to ``base`` when that is set (uploads keep their
    ``contracts/<id>/`` folder in the id, so same-named files of two contracts stay two documents).
    A document belongs to ``body`` when given, else to the body its folder names in a
    ``_団体.txt`` (see ``folder_body``), else to the audited body ("").

    A file with new content for a known document is a new version: ``guard`` may refuse it
    first, the previous version is kept (see ``ingest.index``), and ``replaced`` is told.

    ``limits`` (default: the process's, see ``ingest.limits``) bound each file, the pages of a
    PDF, the unpacked size of an Office file, a mail's attachments and the pages OCR'd in this
    run; a file over one fails, with a message naming the setting, before it is read.

    Raises:
        UserError: a path does not exist or the kind is unknown.

    """
    say = notify or (lambda _msg: None)
    if kind is not None and kind not in KINDS:
        raise UserError(
            f"文書種別 {kind} は使えません（{', '.join(KINDS)} のいずれか）。",
            f"unknown document kind {kind}; use one of {', '.join(KINDS)}.",
        )
    for p in paths:
        if not p.exists():
            raise UserError(
                f"{p} が見つかりません。パスを確認してください。",
                f"{p} does not exist; check the path.",
            )
    index.check_fingerprint()
    with job(limits):
        args = (index, paths, kind, contract, title, prune, max_chars, batch, say, base, body)
        return _ingest(*args, guard=guard, replaced=replaced)


def _ingest(
    index: ClauseIndex,
    paths: list[Path],
    kind: str | None,
    contract: str | None,
    title: str | None,
    prune: bool,
    max_chars: int,
    batch: int,
    say: Notify,
    base: Path | None,
    body: str | None,
    guard: Guard | None = None,
    replaced: Replaced | None = None,
) -> IngestReport:
    jobs: list[tuple[Path, str, str]] = []
    for root in paths:
        root = root.resolve()
        for f in _files(root):
            if base is not None:
                rel = f.relative_to(base.resolve())
            else:
                rel = f.relative_to(root) if root.is_dir() else Path(f.name)
            top = base.resolve() if base is not None else (root if root.is_dir() else f.parent)
            jobs.append((f, rel.as_posix(), body if body is not None else folder_body(f, top)))
    known = {d.doc_id: d for d in index.documents()}
    results: list[FileResult] = []
    total = len(jobs)
    recipe = (
        f"splitter={SPLITTER_VERSION};readers={READERS_VERSION};units={UNITS_VERSION};"
        f"max_chars={max_chars}"
    )
    for n, (f, doc_id, doc_body) in enumerate(jobs, start=1):
        rel = Path(doc_id)
        if f.suffix.lower() not in READERS:
            results.append(_unsupported(str(f), doc_id, f.suffix))
            say(f"[{n}/{total}] 失敗 {doc_id}: 対応していない形式 / unsupported type")
            continue
        doc_kind, doc_contract = classify(rel, kind, contract)
        division = doc_contract if doc_kind == "correspondence" else ""
        if division:
            doc_contract = ""  # the division is in the id and in the metadata
        doc_title = title if (title and total == 1) else f.stem
        if f.stat().st_size > active().max_file_bytes:  # not even hashed
            big = too_large(str(f), f.stat().st_size, active().max_file_bytes)
            results.append(FileResult(str(f), doc_id, "failed", 0, big.ja, big.en))
            say(f"[{n}/{total}] 失敗 {big.ja}")
            continue
        digest = sha256_file(f)
        old = known.get(doc_id)
        wanted = (digest, doc_kind, doc_contract, doc_title, recipe, doc_body)
        if old and (old.sha256, old.kind, old.contract, old.title, old.recipe, old.body) == wanted:
            results.append(FileResult(str(f), doc_id, "unchanged", old.n_clauses))
            say(f"[{n}/{total}] 変更なし {doc_id}")
            continue
        say(f"[{n}/{total}] 読み取り中 {doc_id}")
        try:
            if old and old.sha256 != digest and guard is not None:
                guard(old, digest)
            reading = read_document(f, say)
            if division:
                reading.meta["division"] = division
            text, clauses = split_clauses(reading.blocks, max_chars=max_chars)
            say(f"[{n}/{total}] 取り込み中 {doc_id}（{len(clauses)} 条項）")
            record = DocumentRecord(
                doc_id,
                str(f),
                digest,
                doc_kind,
                doc_contract,
                doc_title,
                len(clauses),
                now_iso(),
                recipe,
                json.dumps(reading.meta, ensure_ascii=False, sort_keys=True),
                doc_body,
            )
            kept = index.put_document(record, text, clauses, batch=batch, progress=_embedding(say))
        except UserError as exc:
            results.append(FileResult(str(f), doc_id, "failed", 0, exc.ja, exc.en))
            say(f"[{n}/{total}] 失敗 {exc.ja}")
            continue
        if old and kept:
            say(f"[{n}/{total}] 前の版を {kept} として残しました")
            if replaced is not None:
                replaced(old, record, kept)
        status = "updated" if old else "added"
        results.append(FileResult(str(f), doc_id, status, len(clauses), kept=kept))
        results.extend(_attachments(index, record, reading.attachments, batch, say, replaced))
    if prune:
        roots = [p.resolve() for p in paths if p.is_dir()]
        seen = {doc_id for _, doc_id, _ in jobs}
        for doc in index.documents():
            if doc.headers.get("attached_to"):
                continue  # goes with its mail
            src = Path(doc.source)
            under = any(src.is_relative_to(r) for r in roots)
            if under and doc.doc_id not in seen and not src.exists():
                index.remove_document(doc.doc_id)
                results.append(FileResult(doc.source, doc.doc_id, "removed"))
                say(f"削除 {doc.doc_id}（ファイルがなくなりました）")
    index.refresh_sparse()
    return IngestReport(results)


def _unsupported(source: str, doc_id: str, suffix: str) -> FileResult:
    return FileResult(
        source,
        doc_id,
        "failed",
        0,
        f"対応していない形式です（{suffix or '拡張子なし'}）。"
        f"対応する形式（{', '.join(sorted(READERS))}）で保存し直してください。",
        f"unsupported file type ({suffix or 'no suffix'}); save it as one of "
        f"{', '.join(sorted(READERS))}.",
    )


def _embedding(say: Notify, every_s: float = 1.0) -> Callable[[int, int], None]:
    """Progress of one document's embedding with clauses/s and the time left, once per ``every_s``.

    The first finished batch is always reported, so a short job shows its rate too. The rate
    counts only the clauses embedded since the first report (cached ones cost nothing).
    """
    first: tuple[float, int] | None = None  # when the first report came, and its count
    last: float | None = None  # when the last rate was shown

    def embedded(done: int, all_: int) -> None:
        nonlocal first, last
        now = time.monotonic()
        if first is None:
            first = (now, done)
            if all_ and done < all_:
                say(f"    埋め込み {done}/{all_}")
            return
        if not all_ or done >= all_ or (last is not None and now - last < every_s):
            return
        last = now
        rate = (done - first[1]) / max(now - first[0], 1e-6)
        left = f"残り約 {_duration((all_ - done) / rate)}" if rate > 0 else "残り時間は計測中"
        say(f"    埋め込み {done}/{all_}（{rate:.1f} 条項/秒, {left}）")

    return embedded


def _duration(seconds: float) -> str:
    """A rough span in Japanese: 40秒, 2分, 1時間5分."""
    if seconds < 60:
        return f"{max(1, round(seconds))}秒"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes}分"
    return f"{minutes // 60}時間{minutes % 60}分" if minutes % 60 else f"{minutes // 60}時間"


def _attachments(
    index: ClauseIndex,
    mail: DocumentRecord,
    attachments: list[Attachment],
    batch: int,
    say: Notify,
    replaced: Replaced | None = None,
) -> list[FileResult]:
    """Ingest a mail's attachments as documents linked to it; drop those it no longer has."""
    results: list[FileResult] = []
    ids: set[str] = set()
    folder = temp_folder("copilot-mail-")  # mode 0700 (the attachments' text), in the data folder
    try:
        for k, att in enumerate(attachments, start=1):
            name = Path(att.name).name or f"添付{k}"
            doc_id = f"{mail.doc_id}/{name}"
            while doc_id in ids:  # two attachments of one name
                doc_id = f"{mail.doc_id}/{k}_{name}"
            ids.add(doc_id)
            source = f"{mail.source}#{name}"
            if Path(name).suffix.lower() not in READERS:
                results.append(_unsupported(source, doc_id, Path(name).suffix))
                say(f"    添付 {name}: 対応していない形式のため読み飛ばしました")
                continue
            big = attachment_too_large(source, len(att.data))
            if big is not None:  # never written out nor read
                results.append(FileResult(source, doc_id, "failed", 0, big.ja, big.en))
                say(f"    添付 {name}: 失敗 {big.ja}")
                continue
            path = folder / f"{k}{Path(name).suffix.lower()}"
            path.write_bytes(att.data)
            old = index.document(doc_id)
            try:
                reading = read_document(path, say)
                text, clauses = split_clauses(reading.blocks)
                say(f"    添付 {name}（{len(clauses)} 条項）")
                meta = {**reading.meta, "attached_to": mail.doc_id}
                record = DocumentRecord(
                    doc_id,
                    source,
                    hashlib.sha256(att.data).hexdigest(),
                    mail.kind,
                    mail.contract,
                    Path(name).stem,
                    len(clauses),
                    mail.ingested_at,
                    mail.recipe,
                    json.dumps(meta, ensure_ascii=False, sort_keys=True),
                    mail.body,
                )
                kept = index.put_document(
                    record, text, clauses, batch=batch, progress=_embedding(say)
                )
                if old and kept and replaced is not None:
                    replaced(old, record, kept)
                nested = _attachments(index, record, reading.attachments, batch, say, replaced)
            except UserError as exc:
                ja = exc.ja.replace(str(path), source)
                en = exc.en.replace(str(path), source)
                results.append(FileResult(source, doc_id, "failed", 0, ja, en))
                say(f"    添付 {name}: 失敗 {ja}")
                continue
            status = "updated" if old else "added"
            results.append(FileResult(source, doc_id, status, len(clauses), kept=kept))
            results.extend(nested)  # a mail forwarded as an attachment brings its own
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for doc in index.documents():
        if doc.headers.get("attached_to") == mail.doc_id and doc.doc_id not in ids:
            index.remove_document(doc.doc_id)
            results.append(FileResult(doc.source, doc.doc_id, "removed"))
    return results
