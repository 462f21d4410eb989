"""Sync with Spark: latest per entity, incremental, idempotent, and convergent after a kill."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.base import ReadRequest, RecordStatus
from groundwork.sync.config import SQLiteStoreConfig
from groundwork.sync.lookup import lookup_many
from groundwork.sync.spark_job import sync_view
from groundwork.sync.sqlite import SQLiteStore
from tests.support.file_changes import FileChanges

pytestmark = pytest.mark.spark
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


def scores_view(path: Path) -> ViewSpec:
    features = (FeatureSpec("score", ValueType.INT), FeatureSpec("tags", ValueType.STRING_LIST))
    return ViewSpec("scores", "player_id", ValueType.INT, features, ttl_seconds=None,
                    source_path=str(path))


def append(path: Path, rows: list[tuple[int, dt.datetime, int]]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "player_id": pa.array([row[0] for row in rows], pa.int64()),
        "event_ts": pa.array([row[1] for row in rows], pa.timestamp("us", tz="UTC")),
        "score": pa.array([row[2] for row in rows], pa.int64()),
        "tags": pa.array([[f"t{row[2]}"] for row in rows], pa.list_(pa.string())),
    })
    pq.write_table(table, path / f"part-{len(list(path.iterdir())):04d}.parquet")


def served_scores(path: Path, view: ViewSpec, keys: list[int]) -> list[int | None]:
    async def read() -> list[int | None]:
        store = SQLiteStore(path)
        try:
            (results,) = await lookup_many(store, [ReadRequest(view, keys, ("score",))])
        finally:
            await store.close()
        return [r.values["score"] if r.status is RecordStatus.PRESENT else None for r in results]

    return asyncio.run(read())


def test_latest_per_entity_incremental_and_idempotent(spark: SparkSession,
                                                      tmp_path: Path) -> None:
    table, database = tmp_path / "scores", tmp_path / "online.db"
    view, config = scores_view(table), SQLiteStoreConfig(path=database)
    append(table, [(1, T0, 10), (1, T0 + dt.timedelta(minutes=1), 11), (2, T0, 20)])
    first = sync_view(spark, view, config, default_path=database, partitions=3)
    assert (first.rows_read, first.rows_written, first.rows_failed) == (2, 2, 0)
    assert first.watermark == T0 + dt.timedelta(minutes=1)
    assert served_scores(database, view, [1, 2]) == [11, 20]

    later = T0 + dt.timedelta(minutes=2)
    append(table, [(2, later, 21), (1, T0 + dt.timedelta(seconds=30), 9), (3, later, 30)])
    second = sync_view(spark, view, config, default_path=database, since=first.watermark)
    assert second.rows_read == 3  # entities with rows at or after the watermark
    assert (second.rows_written, second.rows_skipped) == (2, 1)
    assert second.watermark == later
    assert served_scores(database, view, [1, 2, 3]) == [11, 21, 30]

    replay = sync_view(spark, view, config, default_path=database, partitions=2)
    assert (replay.rows_read, replay.rows_written, replay.rows_skipped) == (3, 0, 3)


def big_user_profile(feature_tables: Path, users: int) -> dict[int, float]:
    """A user_profile feature table with two snapshots per user; returns the newest budgets."""
    path = feature_tables / "user_profile"
    path.mkdir(parents=True)
    ids = pa.array(range(1, users + 1), pa.int64())
    newest: dict[int, float] = {}
    for snapshot, moment in enumerate((T0 - dt.timedelta(days=7), T0)):
        budgets = [float(100 + (user * 7 + snapshot) % 300) for user in range(1, users + 1)]
        pq.write_table(pa.table({
            "user_id": ids,
            "budget_per_night": pa.array(budgets, pa.float64()),
            "preferred_stars": pa.array([3] * users, pa.int64()),
            "home_city": pa.array(["Lisbon"] * users),
            "preferred_amenities": pa.array([["wifi"]] * users, pa.list_(pa.string())),
            "trips_last_year": pa.array([snapshot] * users, pa.int64()),
            "avg_rating_given": pa.array([None] * users, pa.float64()),
            "last_booking_at": pa.array([moment] * users, pa.timestamp("us", tz="UTC")),
            "event_ts": pa.array([moment] * users, pa.timestamp("us", tz="UTC")),
        }), path / f"part-{snapshot}.parquet")
        newest = dict(zip(range(1, users + 1), budgets, strict=True))
    return newest


def stored_budgets(database: Path) -> dict[int, float]:
    import orjson

    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT entity_key, payload FROM fv_user_profile").fetchall()
    return {int(key): orjson.loads(payload)["budget_per_night"] for key, payload in rows}


def written_under_lock(watcher: sqlite3.Connection) -> int:
    """Take SQLite's write lock (waiting for a writer's batch to commit) and count the rows.

    The lock stays held (the caller rolls back to release it), so nothing more is
    written while the caller looks.
    """
    watcher.execute("BEGIN IMMEDIATE")
    (count,) = watcher.execute("SELECT count(*) FROM fv_user_profile").fetchone()
    return int(count)


def test_sync_killed_midway_converges_when_run_again(tmp_path: Path) -> None:
    users = 60_000
    expected = big_user_profile(tmp_path / "feature_tables", users)
    database = tmp_path / "online.db"
    view = ViewSpec("user_profile", "user_id", ValueType.INT, (), ttl_seconds=None)
    store = SQLiteStore(database)
    asyncio.run(store.ensure(view))
    asyncio.run(store.close())
    # An open connection keeps the write-ahead log in place, so its writes can be watched.
    watcher = sqlite3.connect(database, timeout=60, isolation_level=None)
    watcher.execute("SELECT count(*) FROM fv_user_profile").fetchone()
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(tmp_path),
                   "GROUNDWORK_STORE__TYPE": "sqlite",
                   "GROUNDWORK_STORE__BUSY_TIMEOUT_SECONDS": "60"}
    command = [sys.executable, "-m", "groundwork", "sync", "--view", "user_profile",
               "--batch-size", "50", "--partitions", "4"]
    log = tmp_path / "sync.log"
    with FileChanges(database.with_name("online.db-wal")) as log_writes, log.open("wb") as output:
        process = subprocess.Popen(command, env=environment, start_new_session=True,
                                   stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120  # a failure guard: each wait ends on a write
        while (written := written_under_lock(watcher)) < users // 10:
            watcher.execute("ROLLBACK")
            assert process.poll() is None, f"the sync ended early: {log.read_text()[-2000:]}"
            assert log_writes.wait(deadline - time.monotonic(), process), "the sync wrote nothing"
    # Holding the write lock, so the sync cannot write on (let alone finish) before its kill.
    assert written < users
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    watcher.execute("ROLLBACK")
    watcher.close()
    partial = stored_budgets(database)
    assert 0 < len(partial) < users, "killed in the middle"
    assert all(expected[key] == budget for key, budget in partial.items())

    rerun = subprocess.run(command[:-4], env=environment, capture_output=True, text=True,
                           timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert stored_budgets(database) == expected


ALL_TYPES = (
    FeatureSpec("an_int", ValueType.INT), FeatureSpec("a_float", ValueType.FLOAT),
    FeatureSpec("a_bool", ValueType.BOOL), FeatureSpec("a_string", ValueType.STRING),
    FeatureSpec("a_timestamp", ValueType.TIMESTAMP), FeatureSpec("a_date", ValueType.DATE),
    FeatureSpec("int_list", ValueType.INT_LIST), FeatureSpec("float_list", ValueType.FLOAT_LIST),
    FeatureSpec("string_list", ValueType.STRING_LIST),
)


def all_types_table(path: Path) -> list[dict[str, object]]:
    """Three rows of every type (nulls, NaN, infinity, odd text among them) and one without
    a key, as written."""
    path.mkdir(parents=True)
    moment = T0.replace(microsecond=123456)
    rows: list[dict[str, object]] = [
        {"entity_id": "a", "event_ts": moment, "an_int": 2**40, "a_float": 0.1,
         "a_bool": True, "a_string": 'quote " é ✓ \n', "a_timestamp": moment,
         "a_date": dt.date(2026, 2, 28), "int_list": [1, -2], "float_list": [0.5, 1e300],
         "string_list": ["x", ""]},
        {"entity_id": "b:1/ü", "event_ts": moment, "an_int": None, "a_float": float("nan"),
         "a_bool": None, "a_string": None, "a_timestamp": None, "a_date": None,
         "int_list": None, "float_list": [float("inf"), -0.0], "string_list": None},
        {"entity_id": "c", "event_ts": moment, "an_int": -1, "a_float": float("-inf"),
         "a_bool": False, "a_string": "", "a_timestamp": dt.datetime(1969, 12, 31, 23, 59, 59,
                                                                      999999, tzinfo=dt.UTC),
         "a_date": dt.date(1, 1, 1), "int_list": [], "float_list": [], "string_list": []},
        {**dict.fromkeys(feature.name for feature in ALL_TYPES), "entity_id": None,
         "event_ts": moment, "an_int": 1},  # no key: never synced
    ]
    schema = pa.schema([
        ("entity_id", pa.string()), ("event_ts", pa.timestamp("us", tz="UTC")),
        ("an_int", pa.int64()), ("a_float", pa.float64()), ("a_bool", pa.bool_()),
        ("a_string", pa.string()), ("a_timestamp", pa.timestamp("us", tz="UTC")),
        ("a_date", pa.date32()), ("int_list", pa.list_(pa.int64())),
        ("float_list", pa.list_(pa.float64())), ("string_list", pa.list_(pa.string())),
    ])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path / "part-0.parquet")
    return rows


def test_rows_encoded_in_spark_match_the_python_codec(spark: SparkSession,
                                                      tmp_path: Path) -> None:
    import orjson

    from groundwork.sync.codec import encode_values
    from groundwork.sync.writer import to_rows

    view = ViewSpec("all_types", "entity_id", ValueType.STRING, ALL_TYPES, ttl_seconds=60,
                    source_path=str(tmp_path / "all_types"))
    rows = all_types_table(tmp_path / "all_types")
    database = tmp_path / "online.db"
    report = sync_view(spark, view, SQLiteStoreConfig(path=database), default_path=database)
    assert (report.rows_read, report.rows_written, report.rows_failed) == (3, 3, 0)
    with sqlite3.connect(database) as connection:
        stored = {key: (event_ts, expires_at, orjson.loads(payload)) for key, event_ts,
                  expires_at, payload in connection.execute(
                      "SELECT entity_key, event_ts, expires_at, payload FROM fv_all_types")}
    expected = {
        row.key: (row.event_ts, row.expires_at, orjson.loads(orjson.dumps(
            encode_values(view, row.values))))
        for row in to_rows(view, rows) if row.key is not None
    }
    assert stored.keys() == expected.keys()
    for key, (event_ts, expires_at, payload) in stored.items():
        want_event, want_expires, want_payload = expected[key]
        assert event_ts == int(want_event.timestamp() * 1_000_000)
        assert expires_at == event_ts + 60_000_000
        assert payload == want_payload, key
    assert want_expires is not None


def test_several_views_sync_in_one_job_with_a_report_each(spark: SparkSession,
                                                          tmp_path: Path) -> None:
    from groundwork.sync.spark_job import sync_views

    scores = scores_view(tmp_path / "scores")
    others = ViewSpec("other_scores", "player_id", ValueType.INT, scores.features,
                      ttl_seconds=86_400, source_path=str(tmp_path / "other"))
    empty = ViewSpec("empty_scores", "player_id", ValueType.INT, scores.features,
                     ttl_seconds=None, source_path=str(tmp_path / "empty"))
    append(tmp_path / "scores", [(1, T0, 10), (2, T0, 20)])
    append(tmp_path / "other", [(1, T0, 5), (1, T0 + dt.timedelta(minutes=1), 6), (3, T0, 7)])
    append(tmp_path / "empty", [(9, T0 - dt.timedelta(days=1), 1)])
    database = tmp_path / "online.db"
    since = {"empty_scores": T0}
    reports = sync_views(spark, [scores, others, empty], SQLiteStoreConfig(path=database),
                         default_path=database, since=since, partitions=3, batch_size=1)
    assert {name: (report.rows_read, report.rows_written, report.watermark)
            for name, report in reports.items()} == {
        "scores": (2, 2, T0), "other_scores": (2, 2, T0 + dt.timedelta(minutes=1)),
        "empty_scores": (0, 0, T0)}
    assert served_scores(database, scores, [1, 2, 3]) == [10, 20, None]
    assert served_scores(database, others, [1, 2, 3]) == [6, None, 7]
