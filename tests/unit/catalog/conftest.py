"""Fixtures of the catalog tests: a real SQLite catalog file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from groundwork.catalog.store import Catalog


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite catalog file."""
    return f"sqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    """A catalog with its schema created, disposed after the test."""
    catalog = Catalog(catalog_url)
    catalog.create_schema()
    yield catalog
    catalog.dispose()
