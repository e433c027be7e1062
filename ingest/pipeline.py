"""Ingest files and folders: pick kind and contract, skip unchanged files, report failures."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.clauses import SPLITTER_VERSION, split_clauses
from ingest.errors import UserError
from ingest.index import ClauseIndex, DocumentRecord, now_iso
from ingest.readers import READERS, read_file

KINDS = ("policy", "guideline", "contract", "checklist", "ledger", "self_check", "other")
# Folder names (anywhere under the ingested path) that set a document's kind.
FOLDER_KINDS = {
    "policy": "policy",
    "guideline": "guideline",
    "guidelines": "guideline",
    "contracts": "contract",
    "checklists": "checklist",
    "ledger": "ledger",
    "self_check": "self_check",
}

Notify = Callable[[str], None]


def kind_folder(kind: str, contract: str = "") -> Path:
    """The folder (relative) whose name gives ``kind`` and ``contract`` by the convention above."""
    if kind == "contract":
        return Path("contracts") / contract if contract else Path("contracts")
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
    """Kind and contract id from the flags, else from the folder convention, else 'other'."""
    parts = relative.parts[:-1]
    found_kind, found_contract = None, ""
    for i, part in enumerate(parts):
        if part in FOLDER_KINDS:
            found_kind = FOLDER_KINDS[part]
            if part == "contracts" and i + 1 < len(parts):
                found_contract = parts[i + 1]
            break
    return kind or found_kind or "other", contract or found_contract


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
) -> IngestReport:
    """Ingest files and folders into the index.

    Unchanged files (same sha256, kind, contract and title) are skipped; a file that fails is
    reported and skipped while the others go on; with ``prune``, documents whose file vanished
    from an ingested folder are removed. A document's id is its path relative to the folder given
    (a file given alone: its name), or relative to ``base`` when that is set (uploads keep their
    ``contracts/<id>/`` folder in the id, so same-named files of two contracts stay two documents).

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
    jobs: list[tuple[Path, str]] = []
    for root in paths:
        root = root.resolve()
        for f in _files(root):
            if base is not None:
                rel = f.relative_to(base.resolve())
            else:
                rel = f.relative_to(root) if root.is_dir() else Path(f.name)
            jobs.append((f, rel.as_posix()))
    known = {d.doc_id: d for d in index.documents()}
    results: list[FileResult] = []
    total = len(jobs)
    for n, (f, doc_id) in enumerate(jobs, start=1):
        rel = Path(doc_id)
        if f.suffix.lower() not in READERS:
            results.append(
                FileResult(
                    str(f),
                    doc_id,
                    "failed",
                    0,
                    f"対応していない形式です（{f.suffix or '拡張子なし'}）。",
                    f"unsupported file type ({f.suffix or 'no suffix'}).",
                )
            )
            say(f"[{n}/{total}] 失敗 {doc_id}: 対応していない形式 / unsupported type")
            continue
        doc_kind, doc_contract = classify(rel, kind, contract)
        doc_title = title if (title and total == 1) else f.stem
        digest = sha256_file(f)
        old = known.get(doc_id)
        recipe = f"splitter={SPLITTER_VERSION};max_chars={max_chars}"
        wanted = (digest, doc_kind, doc_contract, doc_title, recipe)
        if old and (old.sha256, old.kind, old.contract, old.title, old.recipe) == wanted:
            results.append(FileResult(str(f), doc_id, "unchanged", old.n_clauses))
            say(f"[{n}/{total}] 変更なし {doc_id}")
            continue
        try:
            text, clauses = split_clauses(read_file(f), max_chars=max_chars)
            say(f"[{n}/{total}] 取り込み中 {doc_id}（{len(clauses)} 条項）")

            def embedded(done: int, all_: int) -> None:
                if all_ and done < all_:
                    say(f"    埋め込み {done}/{all_}")

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
            )
            index.put_document(record, text, clauses, batch=batch, progress=embedded)
        except UserError as exc:
            results.append(FileResult(str(f), doc_id, "failed", 0, exc.ja, exc.en))
            say(f"[{n}/{total}] 失敗 {exc.ja}")
            continue
        results.append(FileResult(str(f), doc_id, "updated" if old else "added", len(clauses)))
    if prune:
        roots = [p.resolve() for p in paths if p.is_dir()]
        seen = {doc_id for _, doc_id in jobs}
        for doc in index.documents():
            src = Path(doc.source)
            under = any(src.is_relative_to(r) for r in roots)
            if under and doc.doc_id not in seen and not src.exists():
                index.remove_document(doc.doc_id)
                results.append(FileResult(doc.source, doc.doc_id, "removed"))
                say(f"削除 {doc.doc_id}（ファイルがなくなりました）")
    index.refresh_sparse()
    return IngestReport(results)
