"""What happened: the audit log and the history of sync runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import insert, select

from catalog.audit import AuditEvent
from catalog.database import CatalogBase, to_utc
from catalog.models import AuditEventRow, SyncRunRow
from catalog.policy import ObjectType, Privilege
from catalog.records import SyncRun, SyncStatus
from groundwork.errors import InvalidInput


class OperationsCatalog(CatalogBase):
    """The audit and sync-run part of the catalog."""

    def record_audit(self, events: Sequence[AuditEvent]) -> None:
        """Insert a batch of audit events in one transaction.

        Raises:
            InvalidInput: when an event's timestamp is naive.
        """
        if not events:
            return
        for event in events:
            to_utc(event.ts, "ts")
        with self._transaction() as session:
            session.execute(insert(AuditEventRow), [asdict(event) for event in events])

    def audit_events(self, limit: int = 100, principal: str | None = None) -> list[AuditEvent]:
        """The latest audit events, newest first.

        Args:
            limit: Most events to return.
            principal: Only this principal's events, when given.

        Raises:
            InvalidInput: when ``limit`` is not positive.
        """
        _require_positive(limit)
        query = select(AuditEventRow).order_by(AuditEventRow.ts.desc(), AuditEventRow.id.desc())
        if principal is not None:
            query = query.where(AuditEventRow.principal == principal)
        with self._transaction() as session:
            return [_audit_event(row) for row in session.scalars(query.limit(limit))]

    def record_sync_run(
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
        )
        with self._transaction() as session:
            session.add(row)
            session.flush()
            return _sync_run(row)

    def sync_runs(
        self, view: str | None = None, *, store: str | None = None, limit: int = 100
    ) -> list[SyncRun]:
        """The latest sync runs, newest first, optionally of one view and one store.

        Raises:
            InvalidInput: when ``limit`` is not positive.
        """
        _require_positive(limit)
        query = select(SyncRunRow).order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc())
        if view is not None:
            query = query.where(SyncRunRow.view == view)
        if store is not None:
            query = query.where(SyncRunRow.store == store)
        with self._transaction() as session:
            return [_sync_run(row) for row in session.scalars(query.limit(limit))]

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
        with self._transaction() as session:
            return session.scalar(query)


def _require_positive(limit: int) -> None:
    """Raise :class:`InvalidInput` unless ``limit`` is at least 1."""
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}", field="limit")


def _audit_event(row: AuditEventRow) -> AuditEvent:
    """The public view of an audit row."""
    return AuditEvent(
        ts=row.ts,
        principal=row.principal,
        object_type=ObjectType(row.object_type),
        object_name=row.object_name,
        privilege=Privilege(row.privilege),
        allowed=row.allowed,
        reason=row.reason,
        status_code=row.status_code,
        latency_ms=row.latency_ms,
        trace_id=row.trace_id,
    )


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
    )
