"""The audit-events table: batches of events written, filtered pages read.

The events and the rules that bound them are :mod:`groundwork.catalog.events`,
the non-blocking sink that batches them :mod:`groundwork.catalog.audit`; this
module stores and queries them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select
from sqlalchemy.orm import Session

from groundwork.catalog.events import AuditEvent, AuditPage, storable_fields
from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.catalog.store.database import Database, unavailable_when_unreachable
from groundwork.catalog.store.models import AuditEventRow
from groundwork.catalog.validation import INT64_MAX, require_member, require_positive, to_utc
from groundwork.errors import InvalidInput

_MAX_CURSOR = 200
"""Longest cursor accepted; those :func:`_encode_cursor` makes hold about 60 characters."""


class AuditRepository:
    """The ``audit_events`` table.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def record(self, events: Sequence[AuditEvent]) -> None:
        """Insert a batch of audit events in one transaction, every text bounded and cleaned.

        Texts are cut to their column's size with a visible marker, and NUL and
        lone surrogates are replaced (:func:`storable_fields`), so a caller's
        value never makes the insert fail on either dialect.

        Raises:
            InvalidInput: when an event's timestamp is naive.
            Unavailable: when the database cannot be reached or written now
                (connection refused or lost, database locked, pool exhausted);
                any other error means one of these events cannot be stored.
        """
        if not events:
            return
        for event in events:
            to_utc(event.ts, "ts")
        # Plain dicts named like the columns: dataclasses.asdict deep-copies and costs
        # twice the insert.
        rows = [storable_fields(event) for event in events]
        with unavailable_when_unreachable(), self._database.transaction() as session:
            insert_events(session, rows)

    def latest(self, limit: int = 100, principal: str | None = None) -> list[AuditEvent]:
        """The latest audit events, newest first.

        Args:
            limit: Most events to return.
            principal: Only this principal's events, when given.

        Raises:
            InvalidInput: when ``limit`` is not positive.
        """
        require_positive(limit)
        query = select(AuditEventRow).order_by(AuditEventRow.ts.desc(), AuditEventRow.id.desc())
        if principal is not None:
            query = query.where(AuditEventRow.principal == principal)
        with self._database.transaction() as session:
            return [_audit_event(row) for row in session.scalars(query.limit(limit))]

    def query(
        self,
        *,
        principal: str | None = None,
        object_type: ObjectType | None = None,
        object_name: str | None = None,
        allowed: bool | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        trace_prefix: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> AuditPage:
        """Audit events matching every given filter, newest first, one page at a time.

        Args:
            principal: Only this principal's events.
            object_type: Only events about this type of object.
            object_name: Only events about the object of this name.
            allowed: Only allowed (``True``) or only denied (``False``) calls.
            since: Only events at or after this time (timezone-aware).
            until: Only events before this time (timezone-aware).
            trace_prefix: Only events whose trace id is this or starts with it and a
                dot: the tool calls of one answer (``<answer id>.<n>``).
            limit: Most events per page.
            cursor: ``next_cursor`` of the previous page, to read the next one.

        Raises:
            InvalidInput: when ``limit`` is not positive, a time is naive, or
                the cursor is not one this method returned.
        """
        require_positive(limit)
        query = select(AuditEventRow).where(*_audit_conditions(
            principal=principal,
            object_type=object_type,
            object_name=object_name,
            allowed=allowed,
            since=to_utc(since, "since"),
            until=to_utc(until, "until"),
            trace_prefix=trace_prefix,
        ))
        if cursor is not None:
            ts, row_id = _decode_cursor(cursor)
            query = query.where(
                or_(
                    AuditEventRow.ts < ts,
                    and_(AuditEventRow.ts == ts, AuditEventRow.id < row_id),
                )
            )
        query = query.order_by(AuditEventRow.ts.desc(), AuditEventRow.id.desc()).limit(limit + 1)
        with self._database.transaction() as session:
            rows = list(session.scalars(query))
        next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        return AuditPage([_audit_event(row) for row in rows[:limit]], next_cursor)


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows of :func:`storable_fields` in bulk: COPY on PostgreSQL, else one executemany.

    Runs in ``session``'s transaction.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # tuples straight to the driver: a third of the CPU of Core's rows
        session.connection().exec_driver_sql(
            _INSERT_SQLITE, [tuple(_sqlite_value(row[column]) for column in _COPIED_COLUMNS)
                             for row in rows])
        return
    if dialect != "postgresql":
        session.execute(insert(AuditEventRow.__table__), rows)  # type: ignore[arg-type]
        return
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(_COPY_EVENTS) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([_copy_value(row[column]) for column in _COPIED_COLUMNS])


_COPIED_COLUMNS = ("ts", "principal", "object_type", "object_name", "privilege", "allowed",
                   "reason", "status_code", "latency_ms", "trace_id", "channel")
_COPY_EVENTS = f"COPY audit_events ({', '.join(_COPIED_COLUMNS)}) FROM STDIN"


_INSERT_SQLITE = (f"INSERT INTO audit_events ({', '.join(_COPIED_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in _COPIED_COLUMNS)})")


def _sqlite_value(value: Any) -> Any:
    """A value as the catalog's SQLite columns hold it (see ``models.UtcDateTime``).

    Times are UTC wall times in SQLAlchemy's SQLite text format, enum members
    their plain values.

    Raises:
        ValueError: when a time is naive.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the catalog stores aware UTC times")
        value = value.astimezone(dt.UTC)
        return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
                f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")
    return value.value if isinstance(value, Enum) else value


def _copy_value(value: Any) -> Any:
    """A value as COPY writes it: enum members as their plain text values."""
    return value.value if isinstance(value, Enum) else value


def _audit_conditions(
    *,
    principal: str | None,
    object_type: ObjectType | None,
    object_name: str | None,
    allowed: bool | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    trace_prefix: str | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions an event must meet to match every given filter."""
    conditions: list[ColumnElement[bool]] = []
    if principal is not None:
        conditions.append(AuditEventRow.principal == principal)
    if object_type is not None:
        kind = require_member(ObjectType, object_type, "object_type")
        conditions.append(AuditEventRow.object_type == kind.value)
    if object_name is not None:
        conditions.append(AuditEventRow.object_name == object_name)
    if allowed is not None:
        conditions.append(AuditEventRow.allowed == allowed)
    if since is not None:
        conditions.append(AuditEventRow.ts >= since)
    if until is not None:
        conditions.append(AuditEventRow.ts < until)
    if trace_prefix is not None:
        conditions.append(or_(AuditEventRow.trace_id == trace_prefix,
                              AuditEventRow.trace_id.startswith(f"{trace_prefix}.",
                                                                autoescape=True)))
    return conditions


def _encode_cursor(row: AuditEventRow) -> str:
    """An opaque cursor pointing just after ``row`` in newest-first order."""
    return base64.urlsafe_b64encode(f"{row.ts.isoformat()}|{row.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The position a cursor of :func:`_encode_cursor` points at.

    Raises:
        InvalidInput: when the cursor was not made by :func:`_encode_cursor`.
    """
    invalid = InvalidInput("invalid audit cursor: pass the next_cursor of a page",
                           field="cursor")
    if len(cursor) > _MAX_CURSOR:
        raise invalid
    try:
        ts_text, _, id_text = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        ts = dt.datetime.fromisoformat(ts_text)
        row_id = int(id_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    if ts.tzinfo is None or not 0 <= row_id <= INT64_MAX:
        raise invalid
    return ts, row_id


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
        channel=row.channel,
    )
