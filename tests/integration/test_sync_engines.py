"""The Arrow and Spark sync engines store the same records and report the same runs.

Each test syncs the same feature tables with both engines, each into its own store of
one kind (SQLite, Redis), and compares every stored record (values, ``event_ts``,
``expires_at``) and every report: full and incremental runs, replays, rows older than
what a store holds, a missing table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from groundwork.catalog.store import open_catalog
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync import arrow_job, spark_job
from groundwork.sync.base import OnlineRow, ReadRequest
from groundwork.sync.config import RedisStoreConfig, SQLiteStoreConfig, StoreConfig
from groundwork.sync.factory import open_store
from groundwork.sync.run import sync_with_arrow, sync_with_spark
from groundwork.sync.state import SyncStatus
from groundwork.sync.writer import SyncReport

pytestmark = pytest.mark.spark
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
ENGINES = ("arrow", "spark")
FEATURES = (
    FeatureSpec("score", ValueType.FLOAT), FeatureSpec("visits", ValueType.INT),
    FeatureSpec("name", ValueType.STRING), FeatureSpec("active", ValueType.BOOL),
    FeatureSpec("seen", ValueType.TIMESTAMP), FeatureSpec("born", ValueType.DATE),
    FeatureSpec("items", ValueType.INT_LIST), FeatureSpec("weights", ValueType.FLOAT_LIST),
    FeatureSpec("tags", ValueType.STRING_LIST),
)
Row = tuple[int | None, dt.datetime | None, float | None]


def users_view(path: Path, name: str = "users", ttl_seconds: int | None = 3_600) -> ViewSpec:
    return ViewSpec(name, "user_id", ValueType.INT, FEATURES, ttl_seconds=ttl_seconds,
                    source_path=str(path))


def append(path: Path, rows: Sequence[Row]) -> None:
    """One Parquet file of (user, event_ts, score) rows; the other features derive from them."""
    path.mkdir(parents=True, exist_ok=True)
    scores = [row[2] for row in rows]
    pq.write_table(pa.table({
        "user_id": pa.array([row[0] for row in rows], pa.int64()),
        "event_ts": pa.array([row[1] for row in rows], pa.timestamp("us", tz="UTC")),
        "score": pa.array(scores, pa.float64()),
        "visits": pa.array([None if score is None else int(score) for score in scores]),
        "name": pa.array([None if score is None else f'user "{score}"\\ é' for score in scores]),
        "active": pa.array([None if score is None else score > 1 for score in scores]),
        "seen": pa.array([None if score is None else T0 - dt.timedelta(days=score)
                          for score in scores], pa.timestamp("us", tz="UTC")),
        "born": pa.array([None if score is None else dt.date(1990, 1, 1 + int(score) % 28)
                          for score in scores]),
        "items": pa.array([None if score is None else list(range(int(score) % 4))
                           for score in scores], pa.list_(pa.int64())),
        "weights": pa.array([None if score is None else [score, float("nan"), 1e20]
                             for score in scores], pa.list_(pa.float64())),
        "tags": pa.array([None if score is None else ["a", None, f"t{score}"]
                          for score in scores], pa.list_(pa.string())),
    }), path / f"part-{len(list(path.iterdir())):04d}.parquet")


@pytest.fixture(params=["sqlite", "redis"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, StoreConfig]:
    """One store per engine, of the same kind."""
    if request.param == "sqlite":
        return {engine: SQLiteStoreConfig(path=tmp_path / f"{engine}.db") for engine in ENGINES}
    base: RedisStoreConfig = request.getfixturevalue("redis_config")
    run = uuid.uuid4().hex[:8]
    return {engine: base.model_copy(update={"key_prefix": f"engines-{run}-{engine}"})
            for engine in ENGINES}


def sync(engine: str, spark: SparkSession, views: Sequence[ViewSpec], config: StoreConfig,
         tmp_path: Path, since: Mapping[str, dt.datetime | None] | None = None
         ) -> dict[str, SyncReport]:
    default_path = tmp_path / "unused.db"
    if engine == "spark":
        return spark_job.sync_views(spark, views, config, default_path=default_path,
                                    since=since, partitions=3)
    return arrow_job.sync_views(views, config, default_path=default_path, since=since,
                                writers=3, batch_size=2)


def records(config: StoreConfig, view: ViewSpec, keys: list[int]) -> list[tuple | None]:
    """What the store holds for ``keys``: values, event_ts, expires_at (not synced_at)."""
    async def read() -> list[tuple | None]:
        store = open_store(config, default_path=Path("unused.db"))
        try:
            (found,) = await store.read([ReadRequest(view, keys, view.feature_names)])
        finally:
            await store.close()
        return [None if record is None else (record.values, record.event_ts, record.expires_at)
                for record in found]

    return asyncio.run(read())


def counts(reports: Mapping[str, SyncReport]) -> dict[str, tuple]:
    return {name: (report.rows_read, report.rows_written, report.rows_skipped,
                   report.rows_failed, report.watermark, report.ok)
            for name, report in reports.items()}


def both(spark: SparkSession, views: Sequence[ViewSpec], stores: dict[str, StoreConfig],
         tmp_path: Path, since: Mapping[str, dt.datetime | None] | None = None
         ) -> dict[str, SyncReport]:
    """Sync with both engines; the reports must match; return the Arrow engine's."""
    reports = {engine: sync(engine, spark, views, stores[engine], tmp_path, since)
               for engine in ENGINES}
    assert counts(reports["arrow"]) == counts(reports["spark"])
    return reports["arrow"]


def assert_same_records(stores: dict[str, StoreConfig], view: ViewSpec, keys: list[int]) -> None:
    arrow, spark = (records(stores[engine], view, keys) for engine in ENGINES)
    for key, from_arrow, from_spark in zip(keys, arrow, spark, strict=True):
        assert from_arrow == from_spark, key


def test_full_incremental_and_replayed_syncs_match(spark: SparkSession, stores: dict,
                                                   tmp_path: Path) -> None:
    view = users_view(tmp_path / "users")
    minute = dt.timedelta(minutes=1)
    append(tmp_path / "users", [(1, T0, 1.0), (1, T0 + minute, 2.5), (2, T0, None),
                                (3, T0 + 2 * minute, 3.0), (None, T0, 9.0), (4, None, 4.0)])
    first = both(spark, [view], stores, tmp_path)["users"]
    assert (first.rows_read, first.rows_written, first.watermark) == (3, 3, T0 + 2 * minute)
    keys = [1, 2, 3, 4, 5]
    assert_same_records(stores, view, keys)
    assert records(stores["arrow"], view, [1])[0][0]["score"] == 2.5

    later = T0 + 3 * minute
    append(tmp_path / "users", [(2, later, 7.0), (1, T0 + 30 * dt.timedelta(seconds=1), 0.5),
                                (5, later, 5.0), (3, T0 + 2 * minute, 3.0)])
    second = both(spark, [view], stores, tmp_path, {"users": first.watermark})["users"]
    assert (second.rows_read, second.rows_written, second.rows_skipped) == (3, 2, 1)
    assert second.watermark == later
    assert_same_records(stores, view, keys)

    replay = both(spark, [view], stores, tmp_path)["users"]
    assert (replay.rows_written, replay.rows_skipped) == (0, 4)
    assert_same_records(stores, view, keys)


def test_older_rows_never_replace_newer_records(spark: SparkSession, stores: dict,
                                                tmp_path: Path) -> None:
    view = users_view(tmp_path / "users", ttl_seconds=None)
    append(tmp_path / "users", [(1, T0, 1.0), (2, T0, 2.0)])
    newer = OnlineRow(1, {"score": 9.0, "visits": 9}, T0 + dt.timedelta(hours=1), None)

    async def write_newer(config: StoreConfig) -> None:
        store = open_store(config, default_path=tmp_path / "unused.db")
        try:
            await store.ensure(view)
            await store.write(view, [newer], dt.datetime.now(dt.UTC))
        finally:
            await store.close()

    for config in stores.values():
        asyncio.run(write_newer(config))
    report = both(spark, [view], stores, tmp_path)["users"]
    assert (report.rows_written, report.rows_skipped) == (1, 1)
    assert_same_records(stores, view, [1, 2])
    assert records(stores["arrow"], view, [1])[0][0]["score"] == 9.0


def test_a_missing_table_fails_its_view_only(spark: SparkSession, stores: dict,
                                             tmp_path: Path) -> None:
    present = users_view(tmp_path / "users")
    missing = users_view(tmp_path / "nowhere", name="missing_users")
    append(tmp_path / "users", [(1, T0, 1.0)])
    for engine in ENGINES:
        with open_catalog(f"sqlite:///{tmp_path / f'catalog-{engine}.db'}") as catalog:
            state, default_path = catalog.sync_history, tmp_path / "unused.db"
            if engine == "spark":
                reports = sync_with_spark(spark, [present, missing], stores[engine], state,
                                          store="primary", default_path=default_path)
            else:
                reports = sync_with_arrow([present, missing], stores[engine], state,
                                          store="primary", default_path=default_path)
            assert [report.ok for report in reports] == [True, False]
            assert "not found" in reports[1].errors[0]
            runs = {run.view: run for run in state.latest()}
            assert runs["users"].status is SyncStatus.SUCCEEDED
            assert runs["missing_users"].status is SyncStatus.FAILED
            assert "missing_users" in (runs["missing_users"].error or "")
            assert state.last_watermark("missing_users", "primary") is None
    assert_same_records(stores, present, [1])


def test_the_arrow_engine_imports_neither_spark_nor_feast(tmp_path: Path) -> None:
    append(tmp_path / "users", [(1, T0, 1.0)])
    script = f"""
import sys
from pathlib import Path
from groundwork.catalog.store import open_catalog
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.settings import Settings
from groundwork import pipeline

settings = Settings(state_dir=Path({str(tmp_path)!r}), feature_tables_uri={str(tmp_path)!r})
view = ViewSpec("users", "user_id", ValueType.INT, (FeatureSpec("score", ValueType.FLOAT),),
                ttl_seconds=None, source_path="unused")
with open_catalog(settings.resolved_catalog_url) as catalog:
    catalog.definitions.register_feature_view(view)
(report,) = pipeline.sync_views(settings, engine="auto")
assert report.rows_written == 1, report
print(sorted(name for name in sys.modules if name.split(".")[0] in ("pyspark", "feast")))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
