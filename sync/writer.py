"""Sync a feature table into an online store, incrementally and idempotently.

The latest row per entity wins. Rows at or after the watermark are read again
on the next run (``>=``), which is safe because writes are conditional on
``event_ts``: replaying a row changes nothing. Each batch is retried with
backoff; a batch that still fails is counted and reported, never dropped
silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from features.spec import ViewSpec
from groundwork.errors import StoreUnavailable
from sync.base import OnlineRow, OnlineStore, WriteResult

EVENT_TS = "event_ts"


@dataclass(slots=True)
class SyncReport:
    """What one sync run did.

    Attributes:
        view: The view synced.
        rows_read: Feature-table rows read (at or after the watermark).
        rows_written: Records written to the store.
        rows_skipped: Rows not written because the store held a record as new or newer.
        rows_failed: Rows whose batch failed after all retries.
        watermark: Largest ``event_ts`` successfully synced, or the previous watermark.
        errors: One message per failed batch.
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
        """True when no row failed."""
        return self.rows_failed == 0


def read_latest(view: ViewSpec, path: Path, since: dt.datetime | None) -> pa.Table:
    """Rows of the feature table at or after ``since``, the latest one per entity."""
    dataset = ds.dataset(path, format="parquet")
    table_filter = None if since is None else pc.field(EVENT_TS) >= pa.scalar(since)
    columns = [view.entity, EVENT_TS, *view.feature_names]
    table = dataset.to_table(columns=columns, filter=table_filter)
    if table.num_rows == 0:
        return table
    order = pc.sort_indices(table, [(view.entity, "ascending"), (EVENT_TS, "descending")])
    ordered = table.take(order)
    keys = ordered[view.entity].to_numpy(zero_copy_only=False)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return ordered.filter(pa.array(first))


def to_rows(view: ViewSpec, table: pa.Table) -> Iterator[OnlineRow]:
    """Convert Arrow rows to online rows with ``expires_at`` from the view's TTL."""
    ttl = None if view.ttl_seconds is None else dt.timedelta(seconds=view.ttl_seconds)
    for record in table.to_pylist():
        event_ts = _aware(record.pop(EVENT_TS))
        key = record.pop(view.entity)
        yield OnlineRow(
            key=key, values=record, event_ts=event_ts,
            expires_at=None if ttl is None else event_ts + ttl,
        )


def _aware(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"event_ts must be a timestamp, got {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _batches(rows: Iterator[OnlineRow], size: int) -> Iterator[list[OnlineRow]]:
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
    synced_at = dt.datetime.now(dt.UTC)
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(StoreUnavailable),
        wait=wait_random_exponential(multiplier=0.05, max=2.0),
        stop=stop_after_attempt(attempts),
        reraise=True,
    ):
        with attempt:
            return await store.write(view, rows, synced_at)
    raise AssertionError("unreachable")


async def sync_view(
    store: OnlineStore,
    view: ViewSpec,
    *,
    path: Path,
    since: dt.datetime | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Sync the latest value per entity of ``view`` from its feature table into ``store``.

    Args:
        store: Target online store.
        view: The view to sync.
        path: The view's feature table (Parquet file or directory).
        since: Watermark of the previous successful run; ``None`` syncs everything.
        batch_size: Rows per write call; defaults to the store's declared maximum.
        progress: Called with the number of rows handled after each batch.
    """
    await store.ensure(view)
    table = read_latest(view, path, since)
    report = SyncReport(view=view.name, rows_read=table.num_rows, watermark=since)
    size = batch_size or store.capabilities.max_write_batch
    for batch in _batches(to_rows(view, table), size):
        try:
            result = await write_with_retry(store, view, batch)
        except StoreUnavailable as error:
            report.rows_failed += len(batch)
            report.errors.append(error.message)
        else:
            report.rows_written += result.written
            report.rows_skipped += result.skipped
        if progress is not None:
            progress(len(batch))
    if report.ok and table.num_rows:
        newest = pc.max(table[EVENT_TS]).as_py()
        report.watermark = _aware(newest)
    return report
