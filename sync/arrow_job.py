"""Sync feature tables into an online store in this process, with Arrow: no JVM, no cluster.

The engine for tables that fit one machine. For each view it reads the Parquet feature
table with ``pyarrow.dataset`` (only the view's columns, the watermark pushed down to
the scan), keeps the newest row per entity at or after the watermark, builds the stored
form with Arrow kernels (:mod:`groundwork.sync.arrow_encoding`) and writes it through
:func:`groundwork.sync.writer.write_encoded`, as each Spark partition does: same
records, same compare-and-set, same report. Chunks are encoded in a thread while
several concurrent writers on one event loop (each its own connection) store the
chunks before, so the client's work overlaps the store's.

A view whose table is missing or unreadable does not stop the others: its report
carries the reason and counts as failed, and its watermark stays where it was.

Nothing here imports Spark or Feast: the start-up of ``groundwork sync --engine arrow``
is Python's and pyarrow's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from groundwork.features.spec import ViewSpec
from groundwork.sync.arrow_encoding import stored_form
from groundwork.sync.config import StoreConfig
from groundwork.sync.factory import open_store
from groundwork.sync.writer import EVENT_TS, SyncReport, write_encoded

NETWORK_WRITERS = 4
"""Concurrent writers into a network store (measured on Redis: 4 beat 1, 2 and 8)."""
ENCODE_CHUNK_ROWS = 100_000
"""Rows encoded at a time, in a thread, while the writers store the chunks before."""


class TableUnreadable(Exception):
    """A view's feature table is missing or cannot be read; the message says why."""


def local_path(location: str) -> Path | None:
    """The local path of a table location (a path or ``file://`` URI); ``None`` for a remote URI."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        return None
    return Path(location)


def _dataset(view: ViewSpec) -> ds.Dataset:
    """The view's feature table as a Parquet dataset.

    Raises:
        TableUnreadable: when the table is missing, remote, empty or not Parquet.
    """
    path = local_path(view.source_path)
    if path is None:
        raise TableUnreadable(f"feature table of view {view.name!r} is not on a local "
                              f"file system ({view.source_path}); sync it with --engine spark")
    if not path.exists():
        raise TableUnreadable(f"feature table of view {view.name!r} not found at {path}")
    try:
        dataset = ds.dataset(path, format="parquet")
    except (OSError, pa.ArrowInvalid) as error:
        raise TableUnreadable(f"feature table of view {view.name!r} at {path} cannot be "
                              f"read: {error}") from error
    missing = [name for name in (view.entity, EVENT_TS, *view.feature_names)
               if name not in dataset.schema.names]
    if not dataset.files or missing:
        what = f"has no column(s) {', '.join(missing)}" if dataset.files else "has no Parquet file"
        raise TableUnreadable(f"feature table of view {view.name!r} at {path} {what}")
    return dataset


def table_rows(view: ViewSpec) -> int | None:
    """Rows of the view's feature table from the Parquet footers; ``None`` when not local."""
    path = local_path(view.source_path)
    if path is None or not path.exists():
        return None if path is None else 0
    try:
        return int(ds.dataset(path, format="parquet").count_rows())
    except (OSError, pa.ArrowInvalid):
        return 0


def latest_per_entity(view: ViewSpec, since: dt.datetime | None) -> pa.Table:
    """Rows of the feature table at or after ``since``, the newest one per entity.

    Rows without an entity key or an ``event_ts`` are left out (no lookup can ask for
    them; nothing can order them).

    Raises:
        TableUnreadable: when the table is missing or cannot be read.
    """
    dataset = _dataset(view)
    condition = pc.field(view.entity).is_valid() & pc.field(EVENT_TS).is_valid()
    if since is not None:
        moment = since.astimezone(dt.UTC)
        if getattr(dataset.schema.field(EVENT_TS).type, "tz", None) is None:
            moment = moment.replace(tzinfo=None)  # naive event times are UTC
        condition &= pc.field(EVENT_TS) >= pa.scalar(moment)
    columns = list(dict.fromkeys((view.entity, EVENT_TS, *view.feature_names)))
    try:
        rows = dataset.to_table(columns=columns, filter=condition)
    except (OSError, pa.ArrowInvalid) as error:
        raise TableUnreadable(f"feature table of view {view.name!r} cannot be read: "
                              f"{error}") from error
    keys = rows.column(view.entity).combine_chunks()
    if rows.num_rows < 2 or pc.all(pc.greater(keys.slice(1), keys.slice(0, len(keys) - 1))).as_py():
        return rows  # keys strictly increasing: one row per entity already, nothing to rank
    order = pc.sort_indices(rows, [(view.entity, "ascending"), (EVENT_TS, "descending")])
    ranked = keys.take(order)
    first = pc.not_equal(ranked.slice(1), ranked.slice(0, len(ranked) - 1))
    return rows.take(order.filter(pa.concat_arrays([pa.array([True]), first])))


async def _write_view(config: StoreConfig, default_path: Path, view: ViewSpec,
                      rows: pa.Table, writers: int | None,
                      batch_size: int | None) -> SyncReport:
    """Encode ``rows`` chunk by chunk in a thread while concurrent writers store the last ones.

    Arrow's kernels release the GIL, so encoding runs beside the writers' event loop.
    """
    store = open_store(config, default_path=default_path)
    report = SyncReport(view=view.name)
    try:
        await store.ensure(view)
        count = writers or (1 if store.capabilities.embedded else NETWORK_WRITERS)
        size = batch_size or store.capabilities.max_write_batch
        encoded: asyncio.Queue[pa.Table | None] = asyncio.Queue(maxsize=2 * count)

        async def encode() -> None:
            for start in range(0, rows.num_rows, ENCODE_CHUNK_ROWS):
                chunk = rows.slice(start, ENCODE_CHUNK_ROWS)
                await encoded.put(await asyncio.to_thread(stored_form, view, chunk))
            for _ in range(count):
                await encoded.put(None)

        async def write() -> None:
            while (chunk := await encoded.get()) is not None:
                report.merge(await write_encoded(store, view,
                                                 chunk.to_batches(max_chunksize=size),
                                                 batch_size=batch_size))

        async with asyncio.TaskGroup() as group:
            group.create_task(encode())
            for _ in range(count):
                group.create_task(write())
    finally:
        await store.close()
    return report


def sync_view(view: ViewSpec, config: StoreConfig, *, default_path: Path,
              since: dt.datetime | None = None, writers: int | None = None,
              batch_size: int | None = None) -> SyncReport:
    """Sync the latest value per entity of one view; a missing table is a failed report.

    Args:
        view: The view; its ``source_path`` is its feature table.
        config: The target store.
        default_path: The embedded store's file when its config names none.
        since: Watermark of the view's last successful run; ``None`` syncs everything.
        writers: Concurrent writers; 1 into an embedded store, :data:`NETWORK_WRITERS`
            into a network one when ``None``.
        batch_size: Rows per write call; the store's maximum when ``None``.

    Returns:
        The report; its watermark moves only when no row failed (else it stays at ``since``).
    """
    try:
        rows = latest_per_entity(view, since)
    except TableUnreadable as error:
        return SyncReport(view=view.name, watermark=since, errors=[str(error)])
    report = asyncio.run(_write_view(config, default_path, view, rows, writers, batch_size))
    report.watermark = (report.watermark or since) if report.ok else since
    return report


def sync_views(
    views: Sequence[ViewSpec],
    config: StoreConfig,
    *,
    default_path: Path,
    since: Mapping[str, dt.datetime | None] | None = None,
    writers: int | None = None,
    batch_size: int | None = None,
) -> dict[str, SyncReport]:
    """Sync every view, one after the other; their reports by name (see :func:`sync_view`)."""
    since = since or {}
    return {view.name: sync_view(view, config, default_path=default_path,
                                 since=since.get(view.name), writers=writers,
                                 batch_size=batch_size)
            for view in views}
