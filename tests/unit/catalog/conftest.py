"""Fixtures of the catalog tests: a real SQLite catalog file per test, a sample lineage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from groundwork.catalog.lineage import Lineage, LineageEdge, build_lineage, job_edges
from groundwork.catalog.store import Catalog, open_catalog
from tests.support.entities import register_entity_views
from tests.unit.catalog.lineage_sample import HOTEL_OFFERS, JOBS, RUNS, SOURCES, UPSTREAM, node


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite catalog file."""
    return f"sqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    """A catalog with its schema created, disposed after the test."""
    with open_catalog(catalog_url) as catalog:
        yield catalog


@pytest.fixture
def known_entities(catalog: Catalog) -> Catalog:
    """The catalog with ``user_id``, ``hotel_id`` and ``city`` known entity keys."""
    register_entity_views(catalog)
    return catalog


@pytest.fixture
def lineage() -> Lineage:
    """The lineage of the sample endpoint, with an unreachable declared edge."""
    declared = [*job_edges(JOBS, SOURCES),
                LineageEdge(node("feature_view", "other_view"),
                            node("job", "groundwork.features.jobs.x"))]
    return build_lineage(HOTEL_OFFERS, UPSTREAM, declared, RUNS)
