"""The rooms of DESIGN.md and what each may import, checked on the source as it stands."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {"ingest", "copilot", "eval", "ui"}
# What each room may import of ours (besides itself). ui may use eval for its 評価 tab only,
# which runs the golden sets through eval's runner instead of a second copy of it.
ALLOWED = {"ingest": set(), "copilot": {"ingest"}, "eval": {"copilot", "ingest"}}
UI_EVAL_ONLY_IN = {"ui/actions.py"}  # its 評価 handlers


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_each_room_imports_only_what_it_may():
    wrong = []
    for room, allowed in ALLOWED.items():
        for path in sorted((ROOT / room).rglob("*.py")):
            bad = (_imports(path) & OURS) - allowed - {room}
            if bad:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    for path in sorted((ROOT / "ui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        bad = (_imports(path) & OURS) - {"ui", "copilot"}
        if rel in UI_EVAL_ONLY_IN:
            bad -= {"eval"}
        if bad:
            wrong.append(f"{rel} imports {sorted(bad)}")
    assert wrong == []


def test_the_rule_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from copilot.settings import Settings\nimport ui.app\n", encoding="utf-8")
    assert _imports(bad) & OURS == {"copilot", "ui"}


def test_no_third_party_network_client_in_our_code():
    """Only the LLM drafter talks to a server (the configured local endpoint)."""
    clients = {"requests", "httpx", "urllib3", "aiohttp", "openai"}
    users = {}
    for room in ("ingest", "copilot", "eval", "ui"):
        for path in sorted((ROOT / room).rglob("*.py")):
            hit = _imports(path) & clients
            if hit:
                users[path.relative_to(ROOT).as_posix()] = sorted(hit)
    assert set(users) <= {"copilot/llm_drafter.py"}, users
    assert sys.version_info >= (3, 11)
