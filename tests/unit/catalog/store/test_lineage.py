"""Lineage in the catalog: declared edges recorded, an endpoint's graph assembled."""

from __future__ import annotations

import pytest

from groundwork.catalog.lineage import LineageEdge, build_lineage, job_edges
from groundwork.catalog.render import to_text
from groundwork.catalog.store import Catalog
from groundwork.errors import EndpointNotFound, InvalidInput
from groundwork.sync.state import SyncStatus
from tests.unit.catalog.lineage_sample import (
    FUNCTIONS,
    HOTEL_OFFERS,
    JOBS,
    RUNS,
    SOURCES,
    UPSTREAM,
    VIEWS,
    node,
)


def test_the_catalog_records_lineage_and_builds_an_endpoints_graph(catalog: Catalog) -> None:
    for spec in VIEWS.values():
        catalog.register_feature_view(spec)
    for record in FUNCTIONS.values():
        catalog.register_function(record)
    catalog.register_endpoint(HOTEL_OFFERS)
    catalog.record_lineage(job_edges(JOBS, {"hotel_prices": ("prices", "old_prices")}))
    for sync_run in RUNS:
        catalog.record_sync_run(
            view=sync_run.view, store=sync_run.store, started_at=sync_run.started_at,
            finished_at=sync_run.finished_at, watermark=sync_run.watermark,
            status=sync_run.status, rows_written=sync_run.rows_written,
        )

    recorded = catalog.record_lineage(job_edges(JOBS, SOURCES))

    assert recorded == 5
    prices_job = node("job", "groundwork.features.jobs.hotel_prices")
    assert catalog.lineage_edges(prices_job) == [LineageEdge(prices_job, node("dataset", "prices"))]
    expected = build_lineage(HOTEL_OFFERS, UPSTREAM, job_edges(JOBS, SOURCES), RUNS)
    assert to_text(catalog.lineage("hotel_offers", UPSTREAM)) == to_text(expected)
    assert [(run.view, run.status) for run in catalog.latest_sync_runs()] == [
        ("hotel_prices", SyncStatus.FAILED), ("other_view", SyncStatus.SUCCEEDED),
        ("user_profile", SyncStatus.SUCCEEDED),
    ]
    with pytest.raises(EndpointNotFound):
        catalog.lineage("nowhere", {})
    with pytest.raises(InvalidInput):
        catalog.record_lineage([LineageEdge(prices_job, node("dataset", "x" * 501))])
    assert catalog.record_lineage([]) == 0
