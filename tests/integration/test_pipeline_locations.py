"""Raw data and feature tables at URIs: the Spark jobs and sync follow the settings there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from groundwork import pipeline
from groundwork.features.registry import load_view_specs
from groundwork.settings import Settings
from groundwork.sync.base import ReadRequest, RecordStatus
from groundwork.sync.lookup import lookup_many
from groundwork.sync.sqlite import SQLiteStore
from tests.support.travel_data import TravelData

pytestmark = pytest.mark.spark


def test_jobs_write_and_sync_reads_the_feature_tables_uri(
    spark: SparkSession, travel_data: TravelData, tmp_path: Path
) -> None:
    lake = tmp_path / "lake" / "feature_tables"
    settings = Settings(state_dir=tmp_path / "state", raw_data_uri=travel_data.raw_dir.as_uri(),
                        feature_tables_uri=lake.as_uri())

    counts = pipeline.compute_features(settings, travel_data.as_of, ["hotel_stats"], spark=spark)
    (report,) = pipeline.sync_views(settings, ["hotel_stats"], spark=spark)

    assert counts == {"hotel_stats": travel_data.row_counts["hotel_stats"]}
    assert not settings.feature_tables_dir.exists()  # nothing went to the state directory
    view = load_view_specs(settings.feature_tables_location)["hotel_stats"]
    assert view.source_path == f"{lake.as_uri()}/hotel_stats"
    table = pq.read_table(lake / "hotel_stats").to_pylist()
    latest = {row["hotel_id"]: row for row in sorted(table, key=lambda row: row["event_ts"])}
    assert report.ok and report.rows_written == report.rows_read == len(latest)

    keys = sorted(latest)[:20]
    features = ("hotel_rating", "bookings_90d")

    async def served() -> list[tuple[RecordStatus, dict[str, object] | None]]:
        store = SQLiteStore(settings.online_db_path)
        try:
            (results,) = await lookup_many(store, [ReadRequest(view, keys, features)])
        finally:
            await store.close()
        return [(result.status, result.values) for result in results]

    assert asyncio.run(served()) == [
        (RecordStatus.PRESENT, {name: latest[key][name] for name in features}) for key in keys
    ]
