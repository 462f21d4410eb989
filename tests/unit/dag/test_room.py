"""The dag room's own layout: the engine below its HTTP side, nothing from the composition root."""

from __future__ import annotations

import pytest

from tests.unit.test_layout import ROOMS, imported_names, module_name, source_files

SHARED = ("groundwork.errors",)
"""Modules of the ``groundwork`` package every room may import (the error hierarchy)."""


@pytest.fixture(scope="module")
def dag_imports() -> dict[str, set[str]]:
    return {module_name(path): {name for name in imported_names(path)
                                if name == "groundwork" or name.startswith("groundwork.")}
            for path in source_files() if module_name(path).startswith("groundwork.dag")}


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_engine_does_not_import_its_http_side(dag_imports: dict[str, set[str]]) -> None:
    wrong = {module: sorted(name for name in names if is_within(name, "groundwork.dag.http"))
             for module, names in dag_imports.items()
             if not is_within(module, "groundwork.dag.http")}
    assert {module: names for module, names in wrong.items() if names} == {}


def test_no_dag_module_imports_the_composition_root(dag_imports: dict[str, set[str]]) -> None:
    rooms = tuple(f"groundwork.{room}" for room in ROOMS)

    def allowed(name: str) -> bool:
        return any(is_within(name, package) for package in (*rooms, *SHARED))

    wrong = {module: sorted(name for name in names if not allowed(name))
             for module, names in dag_imports.items()}
    assert {module: names for module, names in wrong.items() if names} == {}
    assert "groundwork.dag.http.guard" in dag_imports
