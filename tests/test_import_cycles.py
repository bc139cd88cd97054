"""No import cycle inside `bot/`: the import graph is read from the source (ast), so an import hidden in a
function body counts as much as one at the top (it only moves the failure from import time to call time).

Each `import a.b` / `from a.b import c` (relative ones resolved against the importing module) becomes an edge
to the deepest module of `bot/` it names: `from bot.handlers import common` is an edge to bot.handlers.common
(a submodule), `from bot.handlers.common import reply` one to bot.handlers.common (a name in it), and
`from bot.cli import CliError` one to the package `bot.cli` itself (its __init__). A package importing its own
submodules is fine; a submodule importing a name back from the __init__ that imports it is a cycle (it works
or fails depending on which is imported first).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "bot"


def module_files(root: Path = ROOT / PACKAGE) -> dict[str, Path]:
    """Every module of the package: dotted name → file (a package is its __init__.py)."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The deepest module of ours that `name` (a dotted module or module.attribute) lies in."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, except the bodies of `if TYPE_CHECKING:` (annotations only: never run)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if _is_type_checking(node):
            todo.extend(node.orelse)  # type: ignore[attr-defined]
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ours that `module` imports anywhere in its file (function-local imports included;
    `if TYPE_CHECKING:` blocks left out: they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from pkg import sub` names the submodule when there is one, else a name inside pkg
            names = [f"{origin}.{alias.name}" for alias in node.names] or [origin]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
    return found


def import_graph(root: Path = ROOT / PACKAGE) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [a, b, …, a], or None (iterative DFS: white/grey/black)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop(0)
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


# ---- the checker checks what it should -------------------------------------------------------------

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_function_local_import_closing_a_loop_is_a_cycle(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "app.py": "from bot.handlers import register_all\n",
        "handlers/__init__.py": "def register_all():\n    from bot.handlers import common\n",
        "handlers/common.py": "def f():\n    from bot.app import AppState\n",
    })
    cycle = find_cycle(import_graph(root))
    assert cycle is not None and set(cycle) == {"bot.app", "bot.handlers", "bot.handlers.common"}


def test_imports_for_type_annotations_only_are_not_edges(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "emulator/__init__.py": "",
        "emulator/emulator.py": "from .server import serve\n",
        "emulator/server.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                               "    from .emulator import Emulator\nelse:\n    from . import state\n"),
        "emulator/state.py": "",
    })
    graph = import_graph(root)
    assert graph["bot.emulator.server"] == {"bot.emulator.state"}
    assert find_cycle(graph) is None


def test_relative_imports_and_names_inside_modules_are_resolved(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "services/__init__.py": "",
        "services/a.py": "from .b import thing\n",
        "services/b.py": "from . import c\nthing = 1\n",
        "services/c.py": "from ..services.a import x\n",
    })
    graph = import_graph(root)
    assert graph["bot.services.a"] == {"bot.services.b"}
    assert graph["bot.services.b"] == {"bot.services.c"}
    assert graph["bot.services.c"] == {"bot.services.a"}
    assert find_cycle(graph) == ["bot.services.a", "bot.services.b", "bot.services.c", "bot.services.a"]


def test_a_package_importing_its_own_submodules_is_not_a_cycle(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "cli/__init__.py": "from bot.cli import admin\n",
        "cli/admin.py": "from bot.cli.common import session\n",
        "cli/common.py": "import bot.domain\n",
        "domain/__init__.py": "",
    })
    assert find_cycle(import_graph(root)) is None
    (root / "cli" / "admin.py").write_text("from bot.cli import CliError\n", encoding="utf-8")
    assert find_cycle(import_graph(root)) == ["bot.cli", "bot.cli.admin", "bot.cli"]


# ---- the real package ------------------------------------------------------------------------------

def test_no_import_cycle_in_bot():
    graph = import_graph()
    assert len(graph) > 50, "the whole package was read"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])
