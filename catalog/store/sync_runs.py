"""The sync-runs table: what was synced where, and the watermarks the runs reached.

:class:`SyncRunRepository` satisfies :class:`groundwork.sync.state.SyncState`
structurally, so a sync run records itself here without ``sync`` importing the catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select

from groundwork.catalog.store.database import Database
from groundwork.catalog.store.models import SyncRunRow
from groundwork.catalog.validation import require_positive, to_utc
from groundwork.sync.state import SyncRun, SyncStatus

MAX_ERROR_LENGTH = 1000
"""Longest reason a failed run keeps (the column's size)."""


class SyncRunRepository:
    """The ``sync_runs`` table.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

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
        """Record one sync run of ``view`` into ``store``.

        Args:
            view: Feature view name.
            store: Online store name.
            started_at: When the run started.
            finished_at: When it finished.
            watermark: The largest ``event_ts`` synced, carried over from the
                previous run when this one read nothing new.
            status: Outcome of the run.
            rows_read: Rows read from the feature table.
            rows_written: Rows written to the store.
            rows_skipped: Rows not written because the store held a newer one.
            rows_failed: Rows that could not be written.
            error: Why the run failed; kept to its first :data:`MAX_ERROR_LENGTH` characters.

        Raises:
            InvalidInput: when a timestamp is naive.
        """
        row = SyncRunRow(
            view=view,
            store=store,
            started_at=to_utc(started_at, "started_at"),
            finished_at=to_utc(finished_at, "finished_at"),
            watermark=to_utc(watermark, "watermark"),
            status=SyncStatus(status),
            rows_read=rows_read,
            rows_written=rows_written,
            rows_skipped=rows_skipped,
            rows_failed=rows_failed,
            error=None if error is None else error[:MAX_ERROR_LENGTH],
        )
        with self._database.transaction() as session:
            session.add(row)
            session.flush()
            return _sync_run(row)

    def recent(
        self, view: str | None = None, *, store: str | None = None, limit: int = 100
    ) -> list[SyncRun]:
        """The latest sync runs, newest first, optionally of one view and one store.

        Raises:
            InvalidInput: when ``limit`` is not positive.
        """
        require_positive(limit)
        query = select(SyncRunRow).order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc())
        if view is not None:
            query = query.where(SyncRunRow.view == view)
        if store is not None:
            query = query.where(SyncRunRow.store == store)
        with self._database.transaction() as session:
            return [_sync_run(row) for row in session.scalars(query.limit(limit))]

    def latest(self, views: Iterable[str] | None = None) -> list[SyncRun]:
        """The latest run of each (view, store) pair, by view and store.

        Args:
            views: Only these views; every view when ``None``.
        """
        ranked = select(
            SyncRunRow.id,
            func.row_number()
            .over(
                partition_by=(SyncRunRow.view, SyncRunRow.store),
                order_by=(SyncRunRow.started_at.desc(), SyncRunRow.id.desc()),
            )
            .label("position"),
        )
        if views is not None:
            ranked = ranked.where(SyncRunRow.view.in_(list(views)))
        latest = ranked.subquery()
        query = (
            select(SyncRunRow)
            .join(latest, latest.c.id == SyncRunRow.id)
            .where(latest.c.position == 1)
            .order_by(SyncRunRow.view, SyncRunRow.store)
        )
        with self._database.transaction() as session:
            return [_sync_run(row) for row in session.scalars(query)]

    def last_watermark(self, view: str, store: str) -> dt.datetime | None:
        """The watermark of the latest successful sync of ``view`` into ``store``.

        Runs that failed, or succeeded without any watermark, are skipped.
        ``None`` means nothing was synced yet: the next run reads everything.
        """
        query = (
            select(SyncRunRow.watermark)
            .where(
                SyncRunRow.view == view,
                SyncRunRow.store == store,
                SyncRunRow.status == SyncStatus.SUCCEEDED,
                SyncRunRow.watermark.is_not(None),
            )
            .order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc())
            .limit(1)
        )
        with self._database.transaction() as session:
            return session.scalar(query)

    def writer_of(self, view: str, event_ts: dt.datetime,
                  store: str | None = None) -> SyncRun | None:
        """The successful run that wrote a record of ``view`` true at ``event_ts``.

        A run reads the rows newer than the previous watermark and ends at its
        own, so the record was written by the first successful run whose
        watermark reached its ``event_ts`` (per store; the earliest over all
        stores when ``store`` is ``None``). ``None`` when no run reached it.

        Raises:
            InvalidInput: when ``event_ts`` is naive.
        """
        query = select(SyncRunRow).where(
            SyncRunRow.view == view,
            SyncRunRow.status == SyncStatus.SUCCEEDED,
            SyncRunRow.watermark >= to_utc(event_ts, "event_ts"),
        )
        if store is not None:
            query = query.where(SyncRunRow.store == store)
        query = query.order_by(SyncRunRow.started_at, SyncRunRow.id).limit(1)
        with self._database.transaction() as session:
            row = session.scalar(query)
            return None if row is None else _sync_run(row)


def _sync_run(row: SyncRunRow) -> SyncRun:
    """The public view of a sync-run row."""
    return SyncRun(
        id=row.id,
        view=row.view,
        store=row.store,
        started_at=row.started_at,
        finished_at=row.finished_at,
        watermark=row.watermark,
        rows_read=row.rows_read,
        rows_written=row.rows_written,
        rows_skipped=row.rows_skipped,
        rows_failed=row.rows_failed,
        status=row.status,
        error=row.error,
    )
