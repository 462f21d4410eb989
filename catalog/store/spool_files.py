"""The ``audit_spool_files`` table: how far each audit spool file is shipped.

A shipment claims a file's row (locking it, so that two shippers never insert
the same lines), inserts the events read from the file and advances the row,
all in one transaction: either the events and the new position commit
together, or neither does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from groundwork.catalog.store.audit import insert_events
from groundwork.catalog.store.database import Database, unavailable_when_unreachable
from groundwork.catalog.store.models import AuditSpoolFileRow


class Shipment:
    """One transaction shipping part of one spool file.

    Attributes:
        name: The spool file's name.
        shipped_bytes: How much of the file was shipped before this transaction.
    """

    def __init__(self, session: Session, name: str, shipped_bytes: int) -> None:
        self._session = session
        self.name = name
        self.shipped_bytes = shipped_bytes

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows of :func:`~groundwork.catalog.events.storable_fields` in a savepoint.

        A refused insert rolls back to the savepoint only, so the caller can
        isolate the refused row and keep the rest of the shipment.

        Raises:
            Unavailable: when the database cannot be written now.
        """
        with unavailable_when_unreachable(), self._session.begin_nested():
            insert_events(self._session, rows)

    def advance(self, shipped_bytes: int) -> None:
        """Record that the file is shipped up to ``shipped_bytes`` (committed with the rows)."""
        self._session.execute(
            update(AuditSpoolFileRow).where(AuditSpoolFileRow.name == self.name)
            .values(shipped_bytes=shipped_bytes).execution_options(synchronize_session=False))
        self.shipped_bytes = shipped_bytes


class SpoolFileRepository:
    """The ``audit_spool_files`` table.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    @contextmanager
    def shipment(self, name: str) -> Iterator[Shipment]:
        """A transaction holding the lock on ``name``'s row; it commits when the block ends.

        Other shippers of the same file wait until it commits or rolls back.

        Raises:
            Unavailable: when the database cannot be reached or written now.
        """
        with unavailable_when_unreachable(), self._database.transaction() as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(dialect.insert(AuditSpoolFileRow)
                            .values(name=name, shipped_bytes=0).on_conflict_do_nothing())
            shipped = session.execute(
                select(AuditSpoolFileRow.shipped_bytes)
                .where(AuditSpoolFileRow.name == name).with_for_update()).scalar_one()
            yield Shipment(session, name, shipped)

    def shipped_bytes(self, name: str) -> int:
        """How much of ``name`` is shipped (0 for a file never seen)."""
        with unavailable_when_unreachable(), self._database.transaction() as session:
            shipped = session.execute(select(AuditSpoolFileRow.shipped_bytes)
                                      .where(AuditSpoolFileRow.name == name)).scalar()
        return int(shipped or 0)
