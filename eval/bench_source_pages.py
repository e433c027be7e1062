"""How long 「原文を表示」 takes: a page's first opening against the next, from the cache.

The first draws the page (and has LibreOffice print an Office file); measured on the sample
contract C-2026-002 (a PDF and a .docx) and the sample policy (.docx).

Run: ``.venv/bin/python -m eval.bench_source_pages /tmp/source-pages-bench`` (a folder it may
fill; the index is built there once and reused).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from copilot.services import build_services
from copilot.settings import load_settings
from copilot.source_pages import FOLDER, source_pages

CORPUS = Path(__file__).resolve().parents[1] / "corpus_public"


def main(argv: list[str]) -> int:
    """Print, for one clause of each document, the first and the cached opening."""
    root = Path(argv[0] if argv else "/tmp/source-pages-bench")
    shutil.rmtree(root / "data" / FOLDER, ignore_errors=True)
    services = build_services(load_settings(data_dir=root / "data"))
    try:
        contract = CORPUS / "contracts" / "C-2026-002"
        files = [contract / "仕様書.pdf", contract / "契約書.docx"]
        services.ingest(files, kind="contract", contract="C-2026-002")
        services.ingest([CORPUS / "policy" / "架空市情報セキュリティ対策基準.docx"], kind="policy")
        for doc in services.index.documents():
            clauses = services.index.document_clauses(doc.doc_id)
            clause = clauses[len(clauses) // 2]
            cite = [(clause, clause.text[5:25])]
            took = []
            for _ in range(2):
                start = time.perf_counter()
                [view] = source_pages(services.settings, services.index, cite)
                took.append(time.perf_counter() - start)
            print(
                f"{doc.doc_id}: first {took[0]:.2f} s, cached {took[1] * 1000:.1f} ms "
                f"(x{took[0] / max(took[1], 1e-6):.0f}); page {view.page}/{view.pages}, "
                f"marked {view.marked}, PNG {len(view.image or b'') // 1024} KiB"
            )
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
