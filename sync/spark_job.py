"""Sync a feature table into an online store with Spark, from the executors.

The driver reads the view's feature table, keeps the latest row per entity at
or after the watermark, and hash-partitions the rows by entity key. Each
partition is written by the executor that holds it, with its own store
client, through :func:`groundwork.sync.writer.write_rows`; the partitions' reports come
back to the driver and are merged. The same code runs in ``local[*]`` and on a
cluster (the executors need the project installed and the store reachable).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as sql

from groundwork.features.spec import ViewSpec
from groundwork.sync.config import StoreConfig
from groundwork.sync.factory import open_store
from groundwork.sync.writer import EVENT_TS, SyncReport, aware, to_rows, write_rows

REPORT_SCHEMA = pa.schema([
    ("rows_read", pa.int64()), ("rows_written", pa.int64()), ("rows_skipped", pa.int64()),
    ("rows_failed", pa.int64()), ("watermark", pa.timestamp("us", tz="UTC")),
    ("errors", pa.list_(pa.string())),
])
_REPORT_DDL = ("rows_read long, rows_written long, rows_skipped long, rows_failed long, "
               "watermark timestamp, errors array<string>")

PartitionProgress = Callable[[int, int], None]
"""Called with (partitions done, partitions in all) while the sync runs."""


def latest_per_entity(
    spark: SparkSession, view: ViewSpec, path: str, since: dt.datetime | None
) -> DataFrame:
    """Rows of the feature table at or after ``since``, the newest one per entity."""
    frame = spark.read.parquet(path).select(view.entity, EVENT_TS, *view.feature_names)
    if since is not None:
        frame = frame.where(sql.col(EVENT_TS) >= sql.lit(since))
    newest_first = Window.partitionBy(view.entity).orderBy(sql.col(EVENT_TS).desc())
    ranked = frame.withColumn("_rank", sql.row_number().over(newest_first))
    return ranked.where(sql.col("_rank") == 1).drop("_rank")


@dataclass(frozen=True, slots=True)
class PartitionWriter:
    """Writes the partitions of one view into one store; shipped to the executors.

    Attributes:
        view: The view whose rows the partitions hold.
        config: The target store's configuration (each executor opens its own client).
        default_path: The embedded store's file when its config names none.
        batch_size: Rows per write call; ``None`` uses the store's maximum.
    """

    view: ViewSpec
    config: StoreConfig
    default_path: Path
    batch_size: int | None = None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Write every row of the partition; yield one report row."""
        report = asyncio.run(self.write(batches))
        yield pa.RecordBatch.from_pylist([{
            "rows_read": report.rows_read, "rows_written": report.rows_written,
            "rows_skipped": report.rows_skipped, "rows_failed": report.rows_failed,
            "watermark": report.watermark, "errors": report.errors,
        }], schema=REPORT_SCHEMA)

    async def write(self, batches: Iterator[pa.RecordBatch]) -> SyncReport:
        """Open a client, write the partition's rows, close the client."""
        store = open_store(self.config, default_path=self.default_path)
        try:
            rows = (row for batch in batches for row in to_rows(self.view, batch.to_pylist()))
            return await write_rows(store, self.view, rows, batch_size=self.batch_size)
        finally:
            await store.close()


async def ensure_table(view: ViewSpec, config: StoreConfig, default_path: Path) -> None:
    """Create the view's table or container once, from the driver."""
    store = open_store(config, default_path=default_path)
    try:
        await store.ensure(view)
    finally:
        await store.close()


def sync_view(
    spark: SparkSession,
    view: ViewSpec,
    config: StoreConfig,
    *,
    default_path: Path,
    since: dt.datetime | None = None,
    partitions: int | None = None,
    batch_size: int | None = None,
    progress: PartitionProgress | None = None,
) -> SyncReport:
    """Sync the latest value per entity of ``view`` into the store ``config`` describes.

    Args:
        spark: The Spark session (local or cluster).
        view: The view; its ``source_path`` is the feature table.
        config: The target store.
        default_path: The embedded store's file when its config names none.
        since: Watermark of the last successful run; ``None`` syncs everything.
        partitions: Parallel writers; defaults to Spark's default parallelism.
        batch_size: Rows per write call.
        progress: Called with (partitions done, partitions in all).

    Returns:
        The merged report; its watermark is set only when no row failed.
    """
    asyncio.run(ensure_table(view, config, default_path))
    count = partitions or spark.sparkContext.defaultParallelism
    frame = latest_per_entity(spark, view, view.source_path, since)
    frame = frame.repartition(count, view.entity)
    writer = PartitionWriter(view, config, default_path, batch_size)
    group = f"groundwork-sync-{view.name}-{uuid.uuid4().hex[:8]}"
    spark.sparkContext.setJobGroup(group, f"sync {view.name}")
    with _tracking(spark, group, count, progress):
        results = frame.mapInArrow(writer, _REPORT_DDL).collect()
    report = SyncReport(view=view.name)
    for result in results:
        report.merge(SyncReport(
            view=view.name, rows_read=result.rows_read, rows_written=result.rows_written,
            rows_skipped=result.rows_skipped, rows_failed=result.rows_failed,
            watermark=None if result.watermark is None else aware(result.watermark),
            errors=list(result.errors or []),
        ))
    report.watermark = (report.watermark or since) if report.ok else since
    return report


@contextmanager
def _tracking(spark: SparkSession, group: str, total: int,
              progress: PartitionProgress | None) -> Iterator[None]:
    """Poll Spark's status tracker in a thread and report finished partitions."""
    if progress is None:
        yield
        return
    stopped = threading.Event()

    def poll() -> None:
        tracker = spark.sparkContext.statusTracker()
        while not stopped.wait(0.25):
            done = 0
            for job_id in tracker.getJobIdsForGroup(group):
                job = tracker.getJobInfo(job_id)
                stages = [tracker.getStageInfo(stage) for stage in (job.stageIds if job else [])]
                writing = [stage for stage in stages if stage and stage.numTasks == total]
                done = max([done, *(stage.numCompletedTasks for stage in writing)])
            progress(done, total)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join()
    progress(total, total)
