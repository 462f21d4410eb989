"""One sync run: watermark in → sync → run record out.

:func:`run_sync` reads the watermark of the last successful run of a view into
a store from a :class:`~groundwork.sync.state.SyncState`, hands it to the sync
step, and records what the step did (its watermark, row counts and outcome)
back in the state. :func:`sync_with_spark` is that run with the Spark sync job
of :mod:`groundwork.sync.spark_job` as the step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import SparkSession

from groundwork.features.spec import ViewSpec
from groundwork.sync import spark_job
from groundwork.sync.config import StoreConfig
from groundwork.sync.spark_job import PartitionProgress
from groundwork.sync.state import SyncState, SyncStatus
from groundwork.sync.writer import SyncReport

SyncStep = Callable[[dt.datetime | None], SyncReport]
"""Syncs the rows at or after a watermark (``None``: every row) and reports what it did."""


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
    since = None if full else state.last_watermark(view, store)
    started = now()
    report = step(since)
    state.record(
        view=view, store=store, started_at=started, finished_at=now(),
        watermark=report.watermark, rows_read=report.rows_read,
        rows_written=report.rows_written, rows_skipped=report.rows_skipped,
        rows_failed=report.rows_failed,
        status=SyncStatus.SUCCEEDED if report.ok else SyncStatus.FAILED,
    )
    return report


def sync_with_spark(
    spark: SparkSession,
    view: ViewSpec,
    config: StoreConfig,
    state: SyncState,
    *,
    store: str,
    default_path: Path,
    full: bool = False,
    partitions: int | None = None,
    batch_size: int | None = None,
    progress: PartitionProgress | None = None,
) -> SyncReport:
    """One sync run of ``view`` with Spark (:func:`groundwork.sync.spark_job.sync_view`).

    Args:
        spark: The Spark session (local or cluster).
        view: The view; its ``source_path`` is the feature table.
        config: The target store.
        state: Where the watermark is read and the run recorded.
        store: Key of the store in the state (``primary:sqlite``).
        default_path: The embedded store's file when its config names none.
        full: Ignore the watermark and re-sync everything.
        partitions: Parallel writers; Spark's default parallelism when ``None``.
        batch_size: Rows per write call; the store's maximum when ``None``.
        progress: Called with (partitions done, partitions in all).
    """

    def step(since: dt.datetime | None) -> SyncReport:
        return spark_job.sync_view(
            spark, view, config, default_path=default_path, since=since,
            partitions=partitions, batch_size=batch_size, progress=progress,
        )

    return run_sync(state, view.name, store, step, full=full)
