"""Sync runs: recorded as given; the watermark comes from the latest successful run."""

from __future__ import annotations

import datetime as dt

import pytest

from groundwork.catalog.store import Catalog
from groundwork.errors import InvalidInput
from groundwork.sync.state import SyncStatus

START = dt.datetime(2030, 5, 1, 12, 0, tzinfo=dt.UTC)


def record(
    catalog: Catalog,
    minute: int,
    watermark: dt.datetime | None,
    status: SyncStatus = SyncStatus.SUCCEEDED,
    view: str = "hotel_prices",
    store: str = "sqlite",
) -> None:
    started = START + dt.timedelta(minutes=minute)
    catalog.record_sync_run(
        view=view, store=store, started_at=started, finished_at=started + dt.timedelta(seconds=5),
        watermark=watermark, status=status, rows_read=10, rows_written=8, rows_skipped=1,
        rows_failed=1,
    )


def test_nothing_synced_means_no_watermark(catalog: Catalog) -> None:
    assert catalog.last_watermark("hotel_prices", "sqlite") is None
    assert catalog.sync_runs() == []


def test_a_run_round_trips_with_aware_timestamps(catalog: Catalog) -> None:
    watermark = dt.datetime(2030, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))

    run = catalog.record_sync_run(
        view="hotel_prices", store="sqlite", started_at=START, finished_at=None,
        watermark=watermark, rows_read=3,
    )

    assert catalog.sync_runs() == [run]
    assert run.status is SyncStatus.SUCCEEDED
    assert run.watermark == watermark and run.watermark.tzinfo is dt.UTC
    assert run.watermark.hour == 12
    assert catalog.last_watermark("hotel_prices", "sqlite") == watermark


def test_the_watermark_is_the_latest_successful_runs(catalog: Catalog) -> None:
    first, second, third = (START - dt.timedelta(hours=hours) for hours in (3, 2, 1))
    record(catalog, 0, first)
    record(catalog, 1, second)
    record(catalog, 2, third, status=SyncStatus.FAILED)
    record(catalog, 3, None)
    record(catalog, 4, third, store="redis")
    record(catalog, 5, third, view="user_profile")

    assert catalog.last_watermark("hotel_prices", "sqlite") == second
    assert catalog.last_watermark("hotel_prices", "redis") == third
    assert catalog.last_watermark("hotel_prices", "dynamodb") is None


def test_runs_are_listed_newest_first_and_filtered(catalog: Catalog) -> None:
    record(catalog, 0, START)
    record(catalog, 1, START, view="user_profile")
    record(catalog, 2, START, status=SyncStatus.FAILED)

    runs = catalog.sync_runs("hotel_prices")

    assert [run.status for run in runs] == [SyncStatus.FAILED, SyncStatus.SUCCEEDED]
    assert (runs[0].rows_read, runs[0].rows_written, runs[0].rows_skipped) == (10, 8, 1)
    assert len(catalog.sync_runs()) == 3
    assert len(catalog.sync_runs(limit=1)) == 1
    assert catalog.sync_runs(store="redis") == []


def test_naive_timestamps_are_refused(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput, match="started_at"):
        catalog.record_sync_run(
            view="hotel_prices", store="sqlite", started_at=dt.datetime(2030, 1, 1),
            finished_at=None, watermark=None,
        )


def test_the_writer_of_a_record_is_the_first_successful_run_reaching_its_event_ts(
    catalog: Catalog,
) -> None:
    early, late = START - dt.timedelta(hours=3), START - dt.timedelta(hours=1)
    record(catalog, 0, early)
    record(catalog, 1, late, status=SyncStatus.FAILED)
    record(catalog, 2, late)
    record(catalog, 3, START, store="redis")
    record(catalog, 4, START)
    runs = {run.started_at.minute: run for run in catalog.sync_runs()}

    writer = catalog.sync_history.writer_of
    assert writer("hotel_prices", early - dt.timedelta(minutes=5)) == runs[0]
    assert writer("hotel_prices", early + dt.timedelta(minutes=5), store="sqlite") == runs[2]
    assert writer("hotel_prices", START, store="sqlite") == runs[4]
    assert writer("hotel_prices", START) == runs[3]  # the first store that reached it
    assert writer("hotel_prices", START + dt.timedelta(seconds=1)) is None
    assert writer("user_profile", early) is None
