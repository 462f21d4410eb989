"""The package layout: one namespace, imports that point one way, no import cycles.

Read from the source with :mod:`ast`, so a lazy import inside a function counts as
much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("features", "functions", "dag", "sync", "catalog", "agents")
PACKAGE_DIRS = ("groundwork", *ROOMS)


def module_name(path: Path) -> str:
    """``catalog/store/grants.py`` -> ``groundwork.catalog.store.grants``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] != "groundwork":
        parts.insert(0, "groundwork")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    files = []
    for directory in PACKAGE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.parts[0] == "groundwork" and relative.parts[1] in ROOMS:
                continue  # the room itself, reached through its link
            if "migrations" in relative.parts:
                continue
            files.append(path)
    return files


def imported_names(path: Path) -> set[str]:
    """Every module name ``path`` imports, resolved to absolute names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in source_files()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {target for target in imported_names(path) if target in modules}
        graph[name].discard(name)
        graph[name] |= {f"__top__{target.split('.')[0]}" for target in imported_names(path)
                        if target.split(".")[0] in ROOMS}
    return graph


def test_nothing_imports_a_room_by_its_bare_top_level_name(imports):
    offenders = {name: sorted(t[7:] for t in targets if t.startswith("__top__"))
                 for name, targets in imports.items()}
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize(("room", "forbidden"), [
    ("sync", ("catalog", "dag")),
    ("functions", ("catalog", "dag", "sync")),
    ("agents", ("catalog", "sync", "dag")),
    ("catalog", ("dag",)),
    ("features", ("catalog", "dag")),
])
def test_imports_point_one_way(imports, room, forbidden):
    prefix = f"groundwork.{room}"
    wrong = {
        name: sorted(t for t in targets
                     if any(t == f"groundwork.{f}" or t.startswith(f"groundwork.{f}.")
                            for f in forbidden))
        for name, targets in imports.items()
        if name == prefix or name.startswith(prefix + ".")
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_no_import_cycle_between_modules(imports):
    graph = nx.DiGraph()
    for name, targets in imports.items():
        graph.add_node(name)
        for target in targets:
            if target.startswith("__top__"):
                continue
            # ``from package import name`` names the package, not a cycle through it.
            if name.startswith(target + "."):
                continue
            graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph, length_bound=6))
    assert cycles == []
