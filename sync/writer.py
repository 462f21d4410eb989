"""Write online rows into a store in batches, retrying, and account for every row.

Store-agnostic and Spark-free: the Spark sync job (``sync/spark_job.py``) calls
:func:`write_rows` inside each partition, and tests call it directly. Writes
are conditional on ``event_ts`` in every store, so replaying rows is safe.
Each batch is retried with exponential backoff and jitter on
``StoreUnavailable``; a batch that still fails is counted and reported, never
dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as backoff

from groundwork.errors import StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineRow, OnlineStore, WriteResult
from groundwork.sync.codec import from_micros

if TYPE_CHECKING:
    import pyarrow as pa

EVENT_TS = "event_ts"


@dataclass(slots=True)
class SyncReport:
    """What one sync run (or one partition of it) did.

    Attributes:
        view: The view synced.
        rows_read: Latest-per-entity rows read from the feature table.
        rows_written: Records written to the store.
        rows_skipped: Rows not written because the store held a record as new or newer.
            A batch retried after a partial failure counts the rows its failed
            attempt had already written here, since the retry finds them present.
        rows_failed: Rows whose batch failed after all retries.
        watermark: Largest ``event_ts`` among the rows handled, when none failed.
        errors: One message per failed batch, or why the view could not be read at all.
    """

    view: str
    rows_read: int = 0
    rows_written: int = 0
    rows_skipped: int = 0
    rows_failed: int = 0
    watermark: dt.datetime | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row failed and nothing else went wrong (a missing table)."""
        return self.rows_failed == 0 and not self.errors

    def merge(self, other: SyncReport) -> None:
        """Add another partition's counts to this report."""
        self.rows_read += other.rows_read
        self.rows_written += other.rows_written
        self.rows_skipped += other.rows_skipped
        self.rows_failed += other.rows_failed
        self.errors.extend(other.errors)
        if other.watermark is not None and (self.watermark is None
                                            or other.watermark > self.watermark):
            self.watermark = other.watermark


def aware(value: Any) -> dt.datetime:
    """A timezone-aware UTC datetime from a datetime that may be naive (UTC)."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"event_ts must be a timestamp, got {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def to_rows(view: ViewSpec, records: Iterable[Mapping[str, Any]]) -> Iterator[OnlineRow]:
    """Online rows from feature-table records, with ``expires_at`` from the view's TTL."""
    ttl = None if view.ttl_seconds is None else dt.timedelta(seconds=view.ttl_seconds)
    names = view.feature_names
    for record in records:
        event_ts = aware(record[EVENT_TS])
        yield OnlineRow(
            key=record[view.entity], values={name: record[name] for name in names},
            event_ts=event_ts, expires_at=None if ttl is None else event_ts + ttl,
        )


def batches(rows: Iterable[OnlineRow], size: int) -> Iterator[list[OnlineRow]]:
    """Split ``rows`` into lists of at most ``size``."""
    batch: list[OnlineRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def write_with_retry(
    store: OnlineStore, view: ViewSpec, rows: Sequence[OnlineRow], attempts: int = 5
) -> WriteResult:
    """Write one batch, retrying store errors with exponential backoff and jitter."""
    return await _with_retry(partial(store.write, view, rows), attempts)


async def _with_retry(
    write: Callable[[dt.datetime], Awaitable[WriteResult]], attempts: int = 5
) -> WriteResult:
    """Call ``write(synced_at)``, retrying store errors with exponential backoff and jitter."""
    synced_at = dt.datetime.now(dt.UTC)
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(StoreUnavailable),
        wait=backoff(multiplier=0.05, max=2.0),
        stop=stop_after_attempt(attempts),
        reraise=True,
    ):
        with attempt:
            return await write(synced_at)
    raise AssertionError("unreachable")


async def write_rows(
    store: OnlineStore,
    view: ViewSpec,
    rows: Iterable[OnlineRow],
    *,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Write ``rows`` in batches and report every row as written, skipped or failed.

    Args:
        store: Target online store (its table for ``view`` must exist).
        view: The view the rows belong to.
        rows: At most one row per entity.
        batch_size: Rows per write call; defaults to the store's declared maximum.
        progress: Called with the number of rows handled after each batch.
    """
    report = SyncReport(view=view.name)
    newest: dt.datetime | None = None
    for batch in batches(rows, batch_size or store.capabilities.max_write_batch):
        report.rows_read += len(batch)
        batch_newest = max(row.event_ts for row in batch)
        newest = batch_newest if newest is None else max(newest, batch_newest)
        try:
            result = await write_with_retry(store, view, batch)
        except StoreUnavailable as error:
            report.rows_failed += len(batch)
            report.errors.append(error.reason)
        else:
            report.rows_written += result.written
            report.rows_skipped += result.skipped
        if progress is not None:
            progress(len(batch))
    report.watermark = newest if report.ok else None
    return report


async def write_encoded(
    store: OnlineStore,
    view: ViewSpec,
    batches: Iterable[pa.RecordBatch],
    *,
    batch_size: int | None = None,
) -> SyncReport:
    """Write rows in the stored form (``sync.codec.ENCODED_COLUMNS``) as :func:`write_rows` does.

    Args:
        store: Target online store (its table for ``view`` must exist).
        view: The view the rows belong to.
        batches: Arrow batches of the view's rows, at most one row per entity in all.
        batch_size: Rows per write call; defaults to the store's declared maximum.
    """
    import pyarrow.compute as pc

    report = SyncReport(view=view.name)
    newest: int | None = None
    size = batch_size or store.capabilities.max_write_batch
    for rows in batches:
        for start in range(0, rows.num_rows, size):
            batch = rows.slice(start, size)
            report.rows_read += batch.num_rows
            batch_newest = pc.max(batch.column(EVENT_TS)).as_py()
            newest = batch_newest if newest is None else max(newest, batch_newest)
            try:
                result = await _with_retry(partial(store.write_encoded, view, batch))
            except StoreUnavailable as error:
                report.rows_failed += batch.num_rows
                report.errors.append(error.reason)
            else:
                report.rows_written += result.written
                report.rows_skipped += result.skipped
    report.watermark = from_micros(newest) if report.ok and newest is not None else None
    return report
