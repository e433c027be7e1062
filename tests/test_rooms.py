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
UI_EVAL_ONLY_IN = {"ui/actions_eval.py"}  # the 評価 handlers


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


def test_ui_action_modules_share_only_ui_actions():
    """Each tab family's handlers (ui/actions_*.py) import the shared ui.actions, no sibling."""
    wrong = []
    for path in sorted((ROOT / "ui").glob("actions_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "ui":
                names = {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = (
                    {node.module.removeprefix("ui.")} if node.module.startswith("ui.") else set()
                )
            elif isinstance(node, ast.Import):
                names = {a.name.removeprefix("ui.") for a in node.names if a.name.startswith("ui.")}
            else:
                continue
            bad = {n for n in names if n.startswith("actions_")}
            if bad:
                wrong.append(f"{path.name} imports {sorted(bad)}")
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
    assert set(users) <= {"copilot/drafting/llm.py"}, users
    assert sys.version_info >= (3, 11)


# --- copilot's packages: what each may import, and no import circle anywhere -------------------

SEAMS = {
    "copilot",
    "copilot.errors",
    "copilot.schemas",
    "copilot.settings",
    "copilot.calendar_jp",
    "copilot.filenames",  # safe file names and folders (imports only copilot.errors)
}
TASKS = {"copilot.audit", "copilot.policy", "copilot.engagement"}
# What each package of copilot may import of copilot besides itself and the seams (the rules its
# __init__ docstring states); anything outside copilot follows the room rules above.
PACKAGES = {
    "copilot.drafting": set(),
    "copilot.audit": {
        "copilot.services",
        "copilot.retrieval",
        "copilot.drafting",
        "copilot.review",
    },
    "copilot.policy": {
        "copilot.services",
        "copilot.retrieval",
        "copilot.drafting",
        "copilot.review",
    },
    "copilot.engagement": {"copilot.services", "copilot.review", "copilot.audit"},
    "copilot.review": {"copilot.services", "copilot.audit", "copilot.policy"},
    "copilot.exports": TASKS,
    "copilot.cli": {
        "copilot.services",
        "copilot.retrieval",
        "copilot.drafting",
        "copilot.review",
        "copilot.exports",
        *TASKS,
    },
}


def _modules() -> dict[str, Path]:
    """Every module of ours by dotted name (a package by its own name)."""
    found = {}
    for room in sorted(OURS):
        for path in (ROOT / room).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _module_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ours that ``path`` imports, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                out.add(full if full in modules else node.module)
    return {m for m in out if m in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _module_imports(p, modules) - {m} for m, p in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


def test_no_import_circle_anywhere():
    """Imports inside functions count: a circle there is still a circle."""
    assert sys.getrecursionlimit() > 200
    assert _circles(_graph()) == []


def test_the_circle_check_sees_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _package(module: str) -> str:
    parts = module.split(".")
    candidate = ".".join(parts[:2])
    return candidate if candidate in PACKAGES else module


def test_each_package_imports_only_what_its_docstring_allows():
    wrong = []
    for module, imported in sorted(_graph().items()):
        own = _package(module)
        if own not in PACKAGES:
            continue
        for target in sorted(imported):
            other = _package(target)
            if not target.startswith("copilot") or other in (own, *SEAMS):
                continue
            if other not in PACKAGES[own]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_every_package_says_what_it_owns_and_may_import():
    for package in PACKAGES:
        doc = ast.get_docstring(ast.parse(_modules()[package].read_text(encoding="utf-8")))
        assert doc and "import" in doc, package


def test_no_module_of_copilot_is_over_700_lines():
    sizes = {
        p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "copilot").rglob("*.py")
    }
    assert {p: n for p, n in sizes.items() if n > 700} == {}
