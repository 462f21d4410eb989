"""A sample endpoint, its definitions, compiled DAG edges, jobs and sync runs, for lineage tests."""

from __future__ import annotations

import datetime as dt

from groundwork.catalog.definitions import EndpointRecord, FunctionRecord
from groundwork.catalog.lineage import Node, NodeKind
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.state import SyncRun, SyncStatus

T0 = dt.datetime(2030, 5, 1, 12, 0, tzinfo=dt.UTC)


def view(name: str, entity: str, *features: str) -> ViewSpec:
    return ViewSpec(name=name, entity=entity, entity_type=ValueType.INT,
                    features=tuple(FeatureSpec(feature, ValueType.FLOAT) for feature in features),
                    ttl_seconds=None)


def function(name: str, *parameters: str) -> FunctionRecord:
    return FunctionRecord(name=name, module="groundwork.functions.travel",
                          parameters={parameter: "float" for parameter in parameters},
                          returns="float")


VIEWS = {spec.name: spec for spec in (
    view("user_profile", "user_id", "budget_per_night", "preferred_stars"),
    view("city_top_hotels", "city", "top_hotel_ids"),
    view("hotel_prices", "hotel_id", "nightly_prices"),
    view("hotel_stats", "hotel_id", "hotel_stars"),
)}
FUNCTIONS = {record.name: record for record in (
    function("budget_total", "budget_per_night", "nights"),
    function("total_prices", "nightly_prices", "nights"),
    function("ranked_offers", "total_prices", "budget_total", "hotel_stars", "preferred_stars"),
    function("unused", "hotel_stars"),
)}
HOTEL_OFFERS = EndpointRecord(
    name="hotel_offers", description="Offers.", input_schema={}, output_schema={},
    feature_views=("user_profile", "city_top_hotels", "hotel_stats", "hotel_prices"),
    functions=("budget_total", "total_prices", "ranked_offers"),
)


UPSTREAM = {
    "budget_total": ("budget_per_night", "nights"),
    "total_prices": ("nightly_prices", "nights"),
    "ranked_offers": ("total_prices", "budget_total", "hotel_stars", "preferred_stars"),
    "budget_per_night": ("user_profile",),
    "preferred_stars": ("user_profile",),
    "top_hotel_ids": ("city_top_hotels",),
    "hotel_stars": ("hotel_stats",),
    "nightly_prices": ("hotel_prices",),
    "user_profile": ("user_id",),
    "city_top_hotels": ("city",),
    "hotel_stats": ("top_hotel_ids",),
    "hotel_prices": ("top_hotel_ids",),
}
"""The upstream names of HOTEL_OFFERS' compiled DAG, as ``EndpointGraph.upstream`` gives them."""


def build_prices() -> None: ...


def build_stats() -> None: ...


build_prices.__module__ = "groundwork.features.jobs.hotel_prices"
build_stats.__module__ = "groundwork.features.jobs.hotel_stats"
JOBS = {"hotel_prices": build_prices, "hotel_stats": build_stats}
SOURCES = {"hotel_prices": ("prices",), "hotel_stats": ("hotels", "bookings")}


def run(view_name: str, store: str, minute: int, status: SyncStatus = SyncStatus.SUCCEEDED,
        run_id: int = 0) -> SyncRun:
    started = T0 + dt.timedelta(minutes=minute)
    return SyncRun(id=run_id or minute, view=view_name, store=store, started_at=started,
                   finished_at=started + dt.timedelta(minutes=1),
                   watermark=T0 - dt.timedelta(hours=1), rows_read=10, rows_written=1234,
                   rows_skipped=0, rows_failed=0, status=status)


RUNS = [
    run("hotel_prices", "primary:sqlite", 0),
    run("hotel_prices", "primary:sqlite", 5, SyncStatus.FAILED),
    run("user_profile", "primary:sqlite", 2),
    run("other_view", "primary:sqlite", 9),
]


def node(kind: str, name: str) -> Node:
    return Node(NodeKind(kind), name)
