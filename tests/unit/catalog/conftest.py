"""Fixtures of the catalog tests: a real SQLite catalog file per test, a sample lineage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url

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
def database_outage(
    catalog: Catalog, catalog_url: str
) -> Callable[[], AbstractContextManager[None]]:
    """``with database_outage():`` the catalog's database cannot be opened, then is back.

    The database file is moved aside and a directory takes its place, so every
    new connection fails with "unable to open database file" (the catalog's
    pooled connections are closed first; chmod would not stop root).
    """
    path = Path(str(make_url(catalog_url).database))

    @contextmanager
    def outage() -> Iterator[None]:
        catalog.dispose()
        aside = path.parent / "aside"
        aside.mkdir()
        files = sorted(path.parent.glob(f"{path.name}*"))
        for file in files:
            file.rename(aside / file.name)
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            for file in files:
                (aside / file.name).rename(file)
            aside.rmdir()

    return outage


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
