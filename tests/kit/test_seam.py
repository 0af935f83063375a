"""The house rules that keep the core plain Python: only teams_bot/bf/ (and the documented
exceptions) imports botbuilder or msrest, and no module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("teams_bot", "cards", "dialogs")
SEAM = ("teams_bot/bf/",)
EXCEPTIONS = ("dialogs/", "teams_bot/storage/bot_state.py")  # botbuilder-dialogs, its Storage
FRAMEWORK = ("botbuilder", "msrest")


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports_of(path: Path, *, runtime_only: bool) -> set[str]:
    """Absolute module names imported by a file (those under `if TYPE_CHECKING:` optional)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(n) for child in node.body for n in ast.walk(child))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_seam_imports_the_bot_framework() -> None:
    offenders = []
    for name, path in modules().items():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(SEAM) or rel.startswith(EXCEPTIONS):
            continue
        for imported in imports_of(path, runtime_only=False):
            if imported.split(".")[0] in FRAMEWORK:
                offenders.append(f"{rel} imports {imported}")
    assert offenders == [], "\n".join(offenders)


def import_graph() -> dict[str, set[str]]:
    """Module -> project modules it imports (anywhere, also inside functions; type-only
    imports under `if TYPE_CHECKING:` do not count)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        imported = imports_of(path, runtime_only=True)
        graph[name] = {m for m in imported if m in known and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_between_modules() -> None:
    graph = import_graph()
    # a package's __init__ importing its own submodules is not a cycle of design
    for name in graph:
        graph[name] = {d for d in graph[name] if not name.startswith(d + ".")}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
