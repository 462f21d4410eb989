"""Writing rows in batches: every row is accounted for, failed batches are retried and reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from groundwork.errors import StoreUnavailable
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.base import ReadRequest, RecordStatus
from groundwork.sync.lookup import lookup_many
from groundwork.sync.sqlite import SQLiteStore
from groundwork.sync.writer import SyncReport, to_rows, write_rows

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
VIEW = ViewSpec("scores", "player_id", ValueType.INT,
                (FeatureSpec("score", ValueType.INT), FeatureSpec("tags", ValueType.STRING_LIST)),
                ttl_seconds=3600)


def records(count: int, at: dt.datetime = T0) -> list[dict[str, object]]:
    return [{"player_id": number, "event_ts": at.replace(tzinfo=None), "score": number,
             "tags": [f"t{number}"]} for number in range(count)]


async def scores(store: SQLiteStore, keys: list[int]) -> list[int | None]:
    (results,) = await lookup_many(store, [ReadRequest(VIEW, keys, ("score",))], T0)
    return [None if r.status is not RecordStatus.PRESENT else r.values["score"] for r in results]


def test_rows_get_expiry_from_the_view_ttl_and_aware_timestamps() -> None:
    (row,) = to_rows(VIEW, records(1))
    assert row.event_ts == T0 and row.expires_at == T0 + dt.timedelta(hours=1)
    assert row.values == {"score": 0, "tags": ["t0"]}


async def test_written_skipped_and_watermark(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "online.db")
    await store.ensure(VIEW)
    first = await write_rows(store, VIEW, to_rows(VIEW, records(10)), batch_size=3)
    assert (first.rows_read, first.rows_written, first.rows_skipped) == (10, 10, 0)
    assert first.watermark == T0
    older = records(10, T0 - dt.timedelta(days=1))
    second = await write_rows(store, VIEW, to_rows(VIEW, older))
    assert (second.rows_written, second.rows_skipped) == (0, 10)
    assert await scores(store, [0, 9, 10]) == [0, 9, None]
    await store.close()


async def test_failed_batches_are_retried_then_reported(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store = SQLiteStore(tmp_path / "online.db")
    await store.ensure(VIEW)
    calls = 0
    original = SQLiteStore.write

    async def flaky(self, view, rows, synced_at):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if any(row.key == 3 for row in rows):
            raise StoreUnavailable("throttled")
        return await original(self, view, rows, synced_at)

    monkeypatch.setattr(SQLiteStore, "write", flaky)
    report = await write_rows(store, VIEW, to_rows(VIEW, records(10)), batch_size=4)
    assert (report.rows_written, report.rows_failed) == (6, 4)
    assert report.errors == ["throttled"]
    assert report.watermark is None  # a failed run does not advance the watermark
    assert calls == 2 + 5  # the failing batch was tried five times
    assert await scores(store, [0, 3, 8]) == [None, None, 8]  # the whole batch 0-3 failed
    await store.close()


def test_reports_merge() -> None:
    total = SyncReport("v", rows_read=2, rows_written=2, watermark=T0)
    total.merge(SyncReport("v", rows_read=3, rows_skipped=3, watermark=T0 + dt.timedelta(1)))
    total.merge(SyncReport("v", rows_read=1, rows_failed=1, errors=["x"]))
    assert (total.rows_read, total.rows_written, total.rows_skipped, total.rows_failed) == (
        6, 2, 3, 1)
    assert total.watermark == T0 + dt.timedelta(1) and not total.ok
