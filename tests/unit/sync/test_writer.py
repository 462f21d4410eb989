"""Syncing a feature table into the embedded store: latest per entity, incremental, idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.errors import StoreUnavailable
from sync.base import ReadRequest, RecordStatus
from sync.lookup import lookup_many
from sync.sqlite import SQLiteStore
from sync.writer import sync_view

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
VIEW = ViewSpec("scores", "player_id", ValueType.INT,
                (FeatureSpec("score", ValueType.INT), FeatureSpec("tags", ValueType.STRING_LIST)),
                ttl_seconds=None)


def write_table(path: Path, rows: list[tuple[int, dt.datetime, int]]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "player_id": pa.array([row[0] for row in rows], pa.int64()),
        "event_ts": pa.array([row[1] for row in rows], pa.timestamp("us", tz="UTC")),
        "score": pa.array([row[2] for row in rows], pa.int64()),
        "tags": pa.array([[f"t{row[2]}"] for row in rows], pa.list_(pa.string())),
    })
    pq.write_table(table, path / f"part-{len(list(path.iterdir()))}.parquet")


async def scores(store: SQLiteStore, keys: list[int]) -> list[int | None]:
    (results,) = await lookup_many(store, [ReadRequest(VIEW, keys, ("score",))])
    return [None if r.status is not RecordStatus.PRESENT else r.values["score"] for r in results]


async def test_latest_row_per_entity_wins_and_sync_is_incremental(tmp_path: Path) -> None:
    table = tmp_path / "scores"
    write_table(table, [(1, T0, 10), (1, T0 + dt.timedelta(days=1), 11), (2, T0, 20)])
    store = SQLiteStore(tmp_path / "online.db")
    first = await sync_view(store, VIEW, path=table, batch_size=1)
    assert (first.rows_read, first.rows_written, first.rows_failed) == (2, 2, 0)
    assert first.watermark == T0 + dt.timedelta(days=1)
    assert await scores(store, [1, 2]) == [11, 20]

    # New rows arrive, one of them older than what the store holds.
    write_table(table, [(2, T0 + dt.timedelta(days=2), 21), (1, T0 + dt.timedelta(hours=1), 9)])
    second = await sync_view(store, VIEW, path=table, since=first.watermark)
    assert second.rows_read == 2  # only rows at or after the watermark
    assert (second.rows_written, second.rows_skipped) == (1, 1)
    assert await scores(store, [1, 2]) == [11, 21]

    replay = await sync_view(store, VIEW, path=table)  # full re-sync changes nothing
    assert (replay.rows_written, replay.rows_skipped) == (0, 2)
    await store.close()


async def test_failed_batches_are_reported_not_dropped(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "scores"
    write_table(table, [(number, T0, number) for number in range(10)])
    store = SQLiteStore(tmp_path / "online.db")
    calls = 0
    original = SQLiteStore.write

    async def flaky(self, view, rows, synced_at):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if any(row.key == 3 for row in rows):
            raise StoreUnavailable("throttled")
        return await original(self, view, rows, synced_at)

    monkeypatch.setattr(SQLiteStore, "write", flaky)
    report = await sync_view(store, VIEW, path=table, batch_size=4)
    assert (report.rows_written, report.rows_failed) == (6, 4)
    assert report.errors == ["throttled"]
    assert report.watermark is None  # a failed run does not advance the watermark
    assert calls == 2 + 5  # the failing batch was retried five times
    await store.close()
