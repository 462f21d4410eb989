"""The three renderings of a lineage graph: DOT, Mermaid and the text tree."""

from __future__ import annotations

from groundwork.catalog import render
from groundwork.catalog.definitions import EndpointRecord
from groundwork.catalog.lineage import Lineage, build_lineage, job_edges
from tests.unit.catalog.lineage_sample import build_stats


def test_dot_has_a_shaped_node_per_object_and_labelled_edges(lineage: Lineage) -> None:
    dot = render.to_dot(lineage)

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

    mermaid = render.to_mermaid(build_lineage(odd, {}, declared))

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
    text = render.to_text(lineage, width=200)

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
