"""One sync run: the watermark read from the state, rows written to a real store, a run recorded."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from groundwork.catalog.store import open_catalog
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.base import OnlineRow
from groundwork.sync.run import run_sync
from groundwork.sync.sqlite import SQLiteStore
from groundwork.sync.state import SyncRun, SyncState, SyncStatus
from groundwork.sync.writer import SyncReport, to_rows, write_rows

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
VIEW = ViewSpec("scores", "player_id", ValueType.INT, (FeatureSpec("score", ValueType.INT),),
                ttl_seconds=None)
STORE = "primary:sqlite"


class MemoryState:
    """Sync runs kept in a list: the :class:`SyncState` protocol without a database."""

    def __init__(self) -> None:
        self.runs: list[SyncRun] = []

    def last_watermark(self, view: str, store: str) -> dt.datetime | None:
        for run in reversed(self.runs):
            if (run.view, run.store, run.status) == (view, store, SyncStatus.SUCCEEDED) \
                    and run.watermark is not None:
                return run.watermark
        return None

    def record(
        self,
        *,
        view: str,
        store: str,
        started_at: dt.datetime,
        finished_at: dt.datetime | None,
        watermark: dt.datetime | None,
        status: SyncStatus = SyncStatus.SUCCEEDED,
        rows_read: int = 0,
        rows_written: int = 0,
        rows_skipped: int = 0,
        rows_failed: int = 0,
        error: str | None = None,
    ) -> SyncRun:
        run = SyncRun(len(self.runs) + 1, view, store, started_at, finished_at, watermark,
                      rows_read, rows_written, rows_skipped, rows_failed, SyncStatus(status),
                      error)
        self.runs.append(run)
        return run


def feature_table(*hours: int) -> list[dict[str, Any]]:
    """One row per hour, player ``hour``, at ``T0 + hour``."""
    return [{"player_id": hour, "event_ts": T0 + dt.timedelta(hours=hour), "score": hour}
            for hour in hours]


class TableSync:
    """The sync step: the table's rows at or after the watermark, written to a store."""

    def __init__(self, store: SQLiteStore, table: list[dict[str, Any]]) -> None:
        self.store, self.table = store, table
        self.watermarks: list[dt.datetime | None] = []

    def __call__(self, since: dt.datetime | None) -> SyncReport:
        self.watermarks.append(since)
        rows: Iterator[OnlineRow] = to_rows(VIEW, [
            row for row in self.table
            if since is None or row["event_ts"] >= since
        ])
        report = asyncio.run(write_rows(self.store, VIEW, rows))
        report.watermark = (report.watermark or since) if report.ok else since
        return report


def ticking_clock() -> Iterator[dt.datetime]:
    return (T0 + dt.timedelta(days=1, minutes=minute) for minute in itertools.count())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "online.db")
    asyncio.run(store.ensure(VIEW))
    yield store
    asyncio.run(store.close())


def test_runs_continue_from_the_last_watermark_and_are_recorded(store: SQLiteStore) -> None:
    memory = MemoryState()
    state: SyncState = memory
    step = TableSync(store, feature_table(0, 1))
    clock = ticking_clock()

    first = run_sync(state, VIEW.name, STORE, step, now=lambda: next(clock))
    step.table += feature_table(2)
    second = run_sync(state, VIEW.name, STORE, step, now=lambda: next(clock))
    third = run_sync(state, VIEW.name, STORE, step, full=True, now=lambda: next(clock))

    assert step.watermarks == [None, T0 + dt.timedelta(hours=1), None]
    assert (first.rows_written, second.rows_written, second.rows_skipped) == (2, 1, 1)
    assert third.rows_skipped == 3
    assert [(run.status, run.watermark, run.rows_read) for run in memory.runs] == [
        (SyncStatus.SUCCEEDED, T0 + dt.timedelta(hours=1), 2),
        (SyncStatus.SUCCEEDED, T0 + dt.timedelta(hours=2), 2),
        (SyncStatus.SUCCEEDED, T0 + dt.timedelta(hours=2), 3),
    ]
    assert memory.runs[0].started_at == T0 + dt.timedelta(days=1)
    assert memory.runs[0].finished_at == T0 + dt.timedelta(days=1, minutes=1)


def test_a_failed_run_is_recorded_and_keeps_the_watermark() -> None:
    memory = MemoryState()
    memory.record(view=VIEW.name, store=STORE, started_at=T0, finished_at=T0, watermark=T0)
    seen: list[dt.datetime | None] = []

    def failing(since: dt.datetime | None) -> SyncReport:
        seen.append(since)
        return SyncReport(VIEW.name, rows_read=1, rows_failed=1, watermark=since,
                          errors=["throttled"])

    report = run_sync(memory, VIEW.name, STORE, failing)

    assert not report.ok and seen == [T0]
    assert (memory.runs[-1].status, memory.runs[-1].watermark) == (SyncStatus.FAILED, T0)
    assert memory.runs[-1].rows_failed == 1
    assert memory.last_watermark(VIEW.name, STORE) == T0


def test_the_catalogs_sync_runs_are_a_sync_state(tmp_path: Path, store: SQLiteStore) -> None:
    with open_catalog(f"sqlite:///{tmp_path / 'catalog.db'}") as catalog:
        state: SyncState = catalog.sync_history
        step = TableSync(store, feature_table(0, 1))
        run_sync(state, VIEW.name, STORE, step)
        run_sync(state, VIEW.name, STORE, step)

        assert step.watermarks == [None, T0 + dt.timedelta(hours=1)]
        assert [run.rows_written for run in catalog.sync_runs(VIEW.name)] == [0, 2]
