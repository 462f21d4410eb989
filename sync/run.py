"""One sync run: watermark in → sync → run record out.

:func:`run_syncs` reads the watermark of the last successful run of each view
into a store from a :class:`~groundwork.sync.state.SyncState`, hands them to the
sync step, and records what the step did for each view (its watermark, row
counts and outcome) back in the state; :func:`run_sync` is that run for one view.
:func:`sync_with_spark` runs it with the one Spark job of
:mod:`groundwork.sync.spark_job` for all the views as the step;
:func:`sync_with_arrow` with the in-process engine of :mod:`groundwork.sync.arrow_job`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from groundwork.features.spec import ViewSpec
from groundwork.sync.config import StoreConfig
from groundwork.sync.state import SyncState, SyncStatus
from groundwork.sync.writer import SyncReport

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from groundwork.sync.spark_job import PartitionProgress

# Each engine is imported when it runs: the Arrow one never loads pyspark.

SyncStep = Callable[[dt.datetime | None], SyncReport]
"""Syncs the rows at or after a watermark (``None``: every row) and reports what it did."""

ViewsSyncStep = Callable[[Mapping[str, dt.datetime | None]], Mapping[str, SyncReport]]
"""Syncs several views at once from each one's watermark; reports by view name."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_sync(
    state: SyncState,
    view: str,
    store: str,
    step: SyncStep,
    *,
    full: bool = False,
    now: Callable[[], dt.datetime] = _utc_now,
) -> SyncReport:
    """Run one sync of ``view`` into ``store`` from its last watermark, and record it.

    Args:
        state: Where the watermark is read and the run recorded.
        view: Feature view name.
        store: Key of the online store in the state (``primary:sqlite``).
        step: The sync itself, given the watermark to start from.
        full: Ignore the watermark and sync every row.
        now: Clock stamping the run's start and end.

    Returns:
        The step's report; the run is recorded as failed when a row failed.
    """
    (report,) = run_syncs(state, [view], store, lambda since: {view: step(since[view])},
                          full=full, now=now)
    return report


def run_syncs(
    state: SyncState,
    views: Sequence[str],
    store: str,
    step: ViewsSyncStep,
    *,
    full: bool = False,
    now: Callable[[], dt.datetime] = _utc_now,
) -> list[SyncReport]:
    """Run one sync of several views into ``store`` at once, and record one run per view.

    Args:
        state: Where the watermarks are read and the runs recorded.
        views: Feature view names.
        store: Key of the online store in the state (``primary:sqlite``).
        step: The sync itself, given each view's watermark to start from.
        full: Ignore the watermarks and sync every row.
        now: Clock stamping the runs' start and end.

    Returns:
        The step's reports in the order of ``views``; a view's run is recorded as failed
        when one of its rows failed.
    """
    since = {view: None if full else state.last_watermark(view, store) for view in views}
    started = now()
    reports = step(since)
    finished = now()
    for view in views:
        report = reports[view]
        state.record(
            view=view, store=store, started_at=started, finished_at=finished,
            watermark=report.watermark, rows_read=report.rows_read,
            rows_written=report.rows_written, rows_skipped=report.rows_skipped,
            rows_failed=report.rows_failed,
            status=SyncStatus.SUCCEEDED if report.ok else SyncStatus.FAILED,
            error=report.errors[0] if report.errors else None,
        )
    return [reports[view] for view in views]


def sync_with_spark(
    spark: SparkSession,
    views: Sequence[ViewSpec],
    config: StoreConfig,
    state: SyncState,
    *,
    store: str,
    default_path: Path,
    full: bool = False,
    partitions: int | None = None,
    batch_size: int | None = None,
    progress: PartitionProgress | None = None,
) -> list[SyncReport]:
    """One sync run of ``views`` with one Spark job (:func:`groundwork.sync.spark_job.sync_views`).

    Args:
        spark: The Spark session (local or cluster).
        views: The views; each one's ``source_path`` is its feature table.
        config: The target store.
        state: Where the watermarks are read and the runs recorded.
        store: Key of the store in the state (``primary:sqlite``).
        default_path: The embedded store's file when its config names none.
        full: Ignore the watermarks and re-sync everything.
        partitions: Parallel writers; Spark's default parallelism when ``None``.
        batch_size: Rows per write call; the store's maximum when ``None``.
        progress: Called with (partitions done, partitions in all).

    Returns:
        One report per view, in the order of ``views``.
    """

    from groundwork.sync import spark_job

    def step(since: Mapping[str, dt.datetime | None]) -> Mapping[str, SyncReport]:
        return spark_job.sync_views(
            spark, views, config, default_path=default_path, since=since,
            partitions=partitions, batch_size=batch_size, progress=progress,
        )

    return run_syncs(state, [view.name for view in views], store, step, full=full)


def sync_with_arrow(
    views: Sequence[ViewSpec],
    config: StoreConfig,
    state: SyncState,
    *,
    store: str,
    default_path: Path,
    full: bool = False,
    writers: int | None = None,
    batch_size: int | None = None,
) -> list[SyncReport]:
    """One sync run of ``views`` in this process (:func:`groundwork.sync.arrow_job.sync_views`).

    Args:
        views: The views; each one's ``source_path`` is its (local) feature table.
        config: The target store.
        state: Where the watermarks are read and the runs recorded.
        store: Key of the store in the state (``primary:sqlite``).
        default_path: The embedded store's file when its config names none.
        full: Ignore the watermarks and re-sync everything.
        writers: Concurrent writers per view; the engine's default when ``None``.
        batch_size: Rows per write call; the store's maximum when ``None``.

    Returns:
        One report per view, in the order of ``views``.
    """
    from groundwork.sync import arrow_job

    def step(since: Mapping[str, dt.datetime | None]) -> Mapping[str, SyncReport]:
        return arrow_job.sync_views(views, config, default_path=default_path, since=since,
                                    writers=writers, batch_size=batch_size)

    return run_syncs(state, [view.name for view in views], store, step, full=full)
