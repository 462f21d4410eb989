"""Lineage: endpoint → functions → views → job → datasets, views → stores, as plain data."""

from __future__ import annotations

from groundwork.catalog.lineage import Lineage
from groundwork.sync.state import SyncStatus
from tests.unit.catalog.lineage_sample import node


def test_edges_follow_names_declarations_and_sync_runs(lineage: Lineage) -> None:
    assert [(str(edge.source), edge.relation, str(edge.target)) for edge in lineage.edges] == [
        ("endpoint:hotel_offers", "runs", "function:ranked_offers"),
        ("endpoint:hotel_offers", "reads", "feature_view:city_top_hotels"),
        ("function:budget_total", "reads", "feature_view:user_profile"),
        ("function:ranked_offers", "uses", "function:budget_total"),
        ("function:ranked_offers", "uses", "function:total_prices"),
        ("function:ranked_offers", "reads", "feature_view:hotel_stats"),
        ("function:ranked_offers", "reads", "feature_view:user_profile"),
        ("function:total_prices", "reads", "feature_view:hotel_prices"),
        ("feature_view:hotel_prices", "computed by", "job:groundwork.features.jobs.hotel_prices"),
        ("feature_view:hotel_prices", "synced to", "store:primary:sqlite"),
        ("feature_view:hotel_stats", "computed by", "job:groundwork.features.jobs.hotel_stats"),
        ("feature_view:user_profile", "synced to", "store:primary:sqlite"),
        ("job:groundwork.features.jobs.hotel_prices", "reads", "dataset:prices"),
        ("job:groundwork.features.jobs.hotel_stats", "reads", "dataset:bookings"),
        ("job:groundwork.features.jobs.hotel_stats", "reads", "dataset:hotels"),
    ]
    prices_run = lineage.sync_runs[("hotel_prices", "primary:sqlite")]
    assert prices_run.status is SyncStatus.FAILED and prices_run.id == 5
    assert lineage.nodes[0] == node("endpoint", "hotel_offers")
