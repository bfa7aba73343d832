"""servicekit's modules import one another without a cycle, counting imports inside
functions (a cycle hidden in a function is still one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import servicekit

pytestmark = pytest.mark.unit

PACKAGE = Path(servicekit.__file__).parent


def _imports() -> dict[str, set[str]]:
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "servicekit":
                    found |= {alias.name for alias in node.names}
                elif node.module.startswith("servicekit."):
                    found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {
                    alias.name.split(".")[1]
                    for alias in node.names
                    if alias.name.startswith("servicekit.")
                }
        graph[name] = found & modules - {name}
    return graph


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _imports()
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported == path[0]:
                cycles.append([*path, imported])
            elif imported not in path and imported > path[0]:
                visit(imported, [*path, imported])

    for module in sorted(graph):
        visit(module, [module])
    assert cycles == []


def test_listen_stands_on_its_own() -> None:
    assert _imports()["listen"] <= {"logging"}
