"""Sync feature tables into an online store with Spark: one job for every view, from the executors.

For each view, the driver plans the latest row per entity at or after the view's
watermark and encodes it in the JVM to the stored form (``sync.codec.ENCODED_COLUMNS``:
key string, ``event_ts`` and ``expires_at`` in epoch microseconds, the JSON payload of
``sync.codec.encode_values``). The views' rows are unioned into one DataFrame (a
``view`` column says whose each row is) and written by one ``mapInArrow`` pass: each
partition is written by the executor that holds it, with its own store client, through
:func:`groundwork.sync.writer.write_encoded`, and yields one report row per view it
wrote; the driver collects them once and merges them per view. The same code runs in
``local[*]`` and on a cluster (the executors need the project installed and the store
reachable).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as sql

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.codec import ENCODED_COLUMNS
from groundwork.sync.config import StoreConfig
from groundwork.sync.factory import open_store
from groundwork.sync.writer import EVENT_TS, SyncReport, aware, write_encoded

VIEW = "view"
"""Column of the unioned rows naming the view each row belongs to."""

REPORT_SCHEMA = pa.schema([
    (VIEW, pa.string()), ("rows_read", pa.int64()), ("rows_written", pa.int64()),
    ("rows_skipped", pa.int64()), ("rows_failed", pa.int64()),
    ("watermark", pa.timestamp("us", tz="UTC")), ("errors", pa.list_(pa.string())),
])
_REPORT_DDL = ("view string, rows_read long, rows_written long, rows_skipped long, "
               "rows_failed long, watermark timestamp, errors array<string>")
_MICROS_PER_SECOND = 1_000_000

PartitionProgress = Callable[[int, int], None]
"""Called with (partitions done, partitions in all) while the sync runs."""


def latest_per_entity(
    spark: SparkSession, view: ViewSpec, path: str, since: dt.datetime | None
) -> DataFrame:
    """Rows of the feature table at or after ``since``, the newest one per entity."""
    frame = spark.read.parquet(path).select(view.entity, EVENT_TS, *view.feature_names)
    frame = frame.where(sql.col(EVENT_TS).isNotNull())
    if since is not None:
        frame = frame.where(sql.col(EVENT_TS) >= sql.lit(since))
    newest_first = Window.partitionBy(view.entity).orderBy(sql.col(EVENT_TS).desc())
    ranked = frame.withColumn("_rank", sql.row_number().over(newest_first))
    return ranked.where(sql.col("_rank") == 1).drop("_rank")


def _finite(value: Column) -> Column:
    """A double, null where it is NaN or infinite (as orjson writes them)."""
    return sql.when(sql.isnan(value) | (sql.abs(value) == sql.lit(float("inf"))),
                    sql.lit(None).cast("double")).otherwise(value)


def _encoded(feature: FeatureSpec) -> Column:
    """The JSON-safe form of a feature column, as ``sync.codec.encode_value`` makes it."""
    column = sql.col(feature.name)
    match feature.dtype:
        case ValueType.INT:
            encoded = column.cast("long")
        case ValueType.FLOAT:
            encoded = _finite(column.cast("double"))
        case ValueType.BOOL:
            encoded = column.cast("boolean")
        case ValueType.TIMESTAMP:
            encoded = sql.unix_micros(column.cast("timestamp"))
        case ValueType.DATE:
            encoded = sql.date_format(column.cast("date"), "yyyy-MM-dd")
        case ValueType.INT_LIST:
            encoded = column.cast("array<long>")
        case ValueType.FLOAT_LIST:
            encoded = sql.transform(column.cast("array<double>"), _finite)
        case ValueType.STRING_LIST:
            encoded = column.cast("array<string>")
        case _:
            encoded = column.cast("string")
    return encoded.alias(feature.name)


def encoded_latest(spark: SparkSession, view: ViewSpec, since: dt.datetime | None) -> DataFrame:
    """The latest row per entity of ``view`` in the stored form, with the view's name.

    Columns: ``view`` and ``sync.codec.ENCODED_COLUMNS``, computed in the JVM. Rows without
    an entity key are left out: no lookup can ask for them.
    """
    frame = latest_per_entity(spark, view, view.source_path, since)
    frame = frame.where(sql.col(view.entity).isNotNull())
    event_ts = sql.unix_micros(sql.col(EVENT_TS))
    expires_at = (sql.lit(None).cast("long") if view.ttl_seconds is None
                  else event_ts + sql.lit(view.ttl_seconds * _MICROS_PER_SECOND))
    payload = (sql.to_json(sql.struct(*map(_encoded, view.features)),
                           {"ignoreNullFields": "false"})
               if view.features else sql.lit("{}"))
    key, event, expires, body = ENCODED_COLUMNS
    return frame.select(
        sql.lit(view.name).alias(VIEW), sql.col(view.entity).cast("string").alias(key),
        event_ts.alias(event), expires_at.alias(expires), payload.alias(body),
    )


@dataclass(frozen=True, slots=True)
class PartitionWriter:
    """Writes the partitions of the unioned views into one store; shipped to the executors.

    Attributes:
        views: The views whose rows the partitions hold, by name.
        config: The target store's configuration (each executor opens its own client).
        default_path: The embedded store's file when its config names none.
        batch_size: Rows per write call; ``None`` uses the store's maximum.
    """

    views: Mapping[str, ViewSpec]
    config: StoreConfig
    default_path: Path
    batch_size: int | None = None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Write every row of the partition; yield one report row per view written."""
        reports = asyncio.run(self.write(batches))
        yield pa.RecordBatch.from_pylist([{
            VIEW: report.view, "rows_read": report.rows_read,
            "rows_written": report.rows_written, "rows_skipped": report.rows_skipped,
            "rows_failed": report.rows_failed, "watermark": report.watermark,
            "errors": report.errors,
        } for report in reports], schema=REPORT_SCHEMA)

    async def write(self, batches: Iterator[pa.RecordBatch]) -> list[SyncReport]:
        """Open a client, write the partition's rows view by view, close the client."""
        store = open_store(self.config, default_path=self.default_path)
        reports: dict[str, SyncReport] = {}
        try:
            for batch in batches:
                for name, rows in _by_view(batch):
                    report = await write_encoded(store, self.views[name], [rows],
                                                 batch_size=self.batch_size)
                    reports.setdefault(name, SyncReport(view=name)).merge(report)
        finally:
            await store.close()
        return list(reports.values())


def _by_view(batch: pa.RecordBatch) -> Iterator[tuple[str, pa.RecordBatch]]:
    """The rows of ``batch`` of each view (a batch usually holds one view's rows)."""
    names = batch.column(VIEW)
    unique = pc.unique(names).to_pylist()
    if len(unique) == 1:
        yield unique[0], batch
        return
    for name in unique:
        yield name, batch.filter(pc.equal(names, name))


async def ensure_tables(views: Sequence[ViewSpec], config: StoreConfig,
                        default_path: Path) -> None:
    """Create the views' tables or containers once, from the driver."""
    store = open_store(config, default_path=default_path)
    try:
        for view in views:
            await store.ensure(view)
    finally:
        await store.close()


def sync_views(
    spark: SparkSession,
    views: Sequence[ViewSpec],
    config: StoreConfig,
    *,
    default_path: Path,
    since: Mapping[str, dt.datetime | None] | None = None,
    partitions: int | None = None,
    batch_size: int | None = None,
    progress: PartitionProgress | None = None,
) -> dict[str, SyncReport]:
    """Sync the latest value per entity of every view into one store, in one Spark job.

    Args:
        spark: The Spark session (local or cluster).
        views: The views; each one's ``source_path`` is its feature table.
        config: The target store.
        default_path: The embedded store's file when its config names none.
        since: Watermark of each view's last successful run; a view missing or ``None``
            syncs everything.
        partitions: Parallel writers; defaults to Spark's default parallelism.
        batch_size: Rows per write call.
        progress: Called with (partitions done, partitions in all).

    Returns:
        The merged report of each view, by name; a view's watermark moves only when
        none of its rows failed.
    """
    if not views:
        return {}
    since = since or {}
    asyncio.run(ensure_tables(views, config, default_path))
    count = partitions or spark.sparkContext.defaultParallelism
    frames, unreadable = _planned(spark, views, since)
    if not frames:
        return unreadable
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    # Rows are unique per (view, entity) already: merging partitions needs no shuffle.
    union = union.coalesce(count)
    writer = PartitionWriter({view.name: view for view in views}, config, default_path,
                             batch_size)
    group = f"groundwork-sync-{uuid.uuid4().hex[:8]}"
    spark.sparkContext.setJobGroup(group, f"sync {len(views)} view(s)")
    with _tracking(spark, group, count, progress):
        results = union.mapInArrow(writer, _REPORT_DDL).collect()
    reports = {view.name: SyncReport(view=view.name) for view in views
               if view.name not in unreadable}
    for result in results:
        reports[result.view].merge(SyncReport(
            view=result.view, rows_read=result.rows_read, rows_written=result.rows_written,
            rows_skipped=result.rows_skipped, rows_failed=result.rows_failed,
            watermark=None if result.watermark is None else aware(result.watermark),
            errors=list(result.errors or []),
        ))
    for name, report in reports.items():
        previous = since.get(name)
        report.watermark = (report.watermark or previous) if report.ok else previous
    return {view.name: reports.get(view.name) or unreadable[view.name] for view in views}


def _planned(spark: SparkSession, views: Sequence[ViewSpec],
             since: Mapping[str, dt.datetime | None]
             ) -> tuple[list[DataFrame], dict[str, SyncReport]]:
    """Each readable view's plan, and a failed report for each view whose table is not.

    A table Spark cannot read (missing, empty, a column absent) fails its view only.
    """
    frames: list[DataFrame] = []
    unreadable: dict[str, SyncReport] = {}
    for view in views:
        watermark = since.get(view.name)
        try:
            frames.append(encoded_latest(spark, view, watermark))
        except AnalysisException as error:
            reason = (f"feature table of view {view.name!r} not found at {view.source_path}"
                      if error.getCondition() == "PATH_NOT_FOUND" else
                      f"feature table of view {view.name!r} at {view.source_path} cannot be "
                      f"read: {str(error).splitlines()[0]}")
            unreadable[view.name] = SyncReport(view=view.name, watermark=watermark,
                                               errors=[reason])
    return frames, unreadable


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
    """Sync the latest value per entity of one view (:func:`sync_views` of one view).

    Returns:
        The merged report; its watermark is set only when no row failed.
    """
    return sync_views(spark, [view], config, default_path=default_path,
                      since={view.name: since}, partitions=partitions, batch_size=batch_size,
                      progress=progress)[view.name]


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
