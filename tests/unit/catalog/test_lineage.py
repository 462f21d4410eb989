"""Lineage: endpoint → functions → views → job → datasets, views → stores; three renderings."""

from __future__ import annotations

import datetime as dt

import pytest

from groundwork.catalog.lineage import (
    Lineage,
    LineageEdge,
    Node,
    NodeKind,
    build_lineage,
    job_edges,
)
from groundwork.catalog.records import EndpointRecord, FunctionRecord, SyncRun, SyncStatus
from groundwork.catalog.store import Catalog
from groundwork.errors import EndpointNotFound, InvalidInput
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec

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


@pytest.fixture
def lineage() -> Lineage:
    declared = [*job_edges(JOBS, SOURCES),
                LineageEdge(node("feature_view", "other_view"),
                            node("job", "groundwork.features.jobs.x"))]
    return build_lineage(HOTEL_OFFERS, FUNCTIONS, VIEWS, declared, RUNS)


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


def test_dot_has_a_shaped_node_per_object_and_labelled_edges(lineage: Lineage) -> None:
    dot = lineage.to_dot()

    assert dot.startswith("digraph lineage {\n  rankdir=LR;")
    assert '"endpoint:hotel_offers" [label="endpoint\\nhotel_offers", shape=doubleoctagon];' in dot
    assert '"dataset:prices" [label="raw dataset\\nprices", shape=cylinder];' in dot
    assert '"endpoint:hotel_offers" -> "function:ranked_offers" [label="runs"];' in dot
    assert ('"feature_view:hotel_prices" -> "store:primary:sqlite" [label="synced to\\nlast sync '
            'failed 2030-05-01 12:06 UTC, watermark 2030-05-01 11:00 UTC, 1,234 rows written"];'
            ) in dot
    assert dot.count(" -> ") == len(lineage.edges) and dot.endswith("}\n")


def test_mermaid_is_a_flowchart_with_safe_labels() -> None:
    odd = EndpointRecord(name="odd", description="", input_schema={}, output_schema={},
                         feature_views=("hotel_stats",))
    declared = job_edges({"hotel_stats": build_stats}, {"hotel_stats": ['s3://raw/"x"<y>']})

    mermaid = build_lineage(odd, {}, VIEWS, declared).to_mermaid()

    assert mermaid.splitlines() == [
        "flowchart LR",
        '  n0[["endpoint: odd"]]',
        '  n1["feature view: hotel_stats"]',
        '  n2{{"Spark job: groundwork.features.jobs.hotel_stats"}}',
        '  n3[("raw dataset: s3://raw/#quot;x#quot;#lt;y#gt;")]',
        '  n0 -->|"reads"| n1',
        '  n1 -->|"computed by"| n2',
        '  n2 -->|"reads"| n3',
    ]


def test_the_text_tree_expands_each_node_once(lineage: Lineage) -> None:
    text = lineage.to_text(width=200)

    assert text.splitlines() == [
        "endpoint hotel_offers",
        "├── function ranked_offers",
        "│   ├── function budget_total",
        "│   │   └── feature view user_profile",
        "│   │       └── online store primary:sqlite — last sync succeeded 2030-05-01 12:03 UTC, "
        "watermark 2030-05-01 11:00 UTC, 1,234 rows written",
        "│   ├── function total_prices",
        "│   │   └── feature view hotel_prices",
        "│   │       ├── Spark job groundwork.features.jobs.hotel_prices",
        "│   │       │   └── raw dataset prices",
        "│   │       └── online store primary:sqlite — last sync failed 2030-05-01 12:06 UTC, "
        "watermark 2030-05-01 11:00 UTC, 1,234 rows written",
        "│   ├── feature view hotel_stats",
        "│   │   └── Spark job groundwork.features.jobs.hotel_stats",
        "│   │       ├── raw dataset bookings",
        "│   │       └── raw dataset hotels",
        "│   └── feature view user_profile (see above)",
        "└── feature view city_top_hotels",
    ]


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
    expected = build_lineage(HOTEL_OFFERS, FUNCTIONS, VIEWS, job_edges(JOBS, SOURCES), RUNS)
    assert catalog.lineage("hotel_offers").to_text() == expected.to_text()
    assert [(run.view, run.status) for run in catalog.latest_sync_runs()] == [
        ("hotel_prices", SyncStatus.FAILED), ("other_view", SyncStatus.SUCCEEDED),
        ("user_profile", SyncStatus.SUCCEEDED),
    ]
    with pytest.raises(EndpointNotFound):
        catalog.lineage("nowhere")
    with pytest.raises(InvalidInput):
        catalog.record_lineage([LineageEdge(prices_job, node("dataset", "x" * 501))])
    assert catalog.record_lineage([]) == 0
