"""The engine, sessions and change notifications shared by every repository of the catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, update
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from groundwork.catalog.store.migrate import upgrade
from groundwork.catalog.store.models import AccessVersionRow, utc_now
from groundwork.errors import CatalogUnavailable, Conflict, InvalidInput, Unavailable
from groundwork.sqlite_wal import enter_wal

SQLITE_BUSY_SECONDS = 60.0
"""How long a SQLite writer waits for the database lock before giving up."""


class Database:
    """Owns the SQLAlchemy engine; every repository of the catalog works through it.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///state/catalog.db`` or
            ``postgresql+psycopg://user@host/groundwork``.
        echo: Log every SQL statement (debugging only).
        now: Wall clock (UTC) for token expiry and timestamps; tests pass their own.

    Raises:
        InvalidInput: when ``url`` is no SQLAlchemy URL, or names no known dialect.
    """

    def __init__(self, url: str, *, echo: bool = False,
                 now: Callable[[], dt.datetime] = utc_now) -> None:
        self.now = now
        sqlite = url.startswith("sqlite")
        # A writer waits for another process's transaction (a migration, an audit
        # batch) for up to SQLITE_BUSY_SECONDS instead of failing with "database is locked".
        try:
            self._engine = create_engine(
                url, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {})
        except ArgumentError:  # its text may quote the URL, password included
            raise InvalidInput("the catalog URL is not a database URL SQLAlchemy knows "
                               "(e.g. postgresql+psycopg://user@host/groundwork)",
                               field="catalog_url") from None
        if self._engine.dialect.name == "sqlite":
            database = self._engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(self._engine, "connect", _configure_sqlite_connection)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._access_listeners: list[Callable[[], None]] = []

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for migrations and tests)."""
        return self._engine

    def create_schema(self) -> None:
        """Bring the database schema to the newest migration; safe at every start.

        Creates the schema in an empty database, stamps and upgrades one made
        by ``metadata.create_all`` before migrations existed, and does nothing
        (one read) when it is current. See :func:`groundwork.catalog.store.migrate.upgrade`.

        Raises:
            CatalogSchemaError: when the database was migrated by a newer Groundwork.
        """
        upgrade(self._engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def on_access_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed change to principals, groups, tokens or grants.

        Caches of authentication and authorization results subscribe here, so
        changes made through this catalog take effect at once.
        """
        self._access_listeners.append(listener)

    def access_changed(self) -> None:
        """Tell every listener that access data changed (after the change committed)."""
        for listener in self._access_listeners:
            listener()

    def access_version(self) -> int:
        """The count of committed access changes, as every process sees it.

        One primary-key read; other processes poll it to notice changes made
        here (see :mod:`groundwork.catalog.changes`). A database whose counter
        row is missing counts as version 0.
        """
        with self._engine.connect() as connection:
            version = connection.execute(
                select(AccessVersionRow.version).where(AccessVersionRow.id == _ACCESS_ROW)
            ).scalar()
        return int(version or 0)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def access_transaction(self) -> Iterator[Session]:
        """Like :meth:`transaction`, for changes to principals, groups, tokens or grants.

        The access version is bumped in the same transaction, so another process
        cannot see the change without seeing the new version; once the change has
        committed, this process's listeners are told.
        """
        with self._sessions.begin() as session:
            yield session
            _bump_access_version(session)
        self.access_changed()


_ACCESS_ROW = 1
"""The ``id`` of the one row of ``access_version``."""


def _bump_access_version(session: Session) -> None:
    """Add one to the access version (writing its row if a database lacks it)."""
    bumped = session.execute(
        update(AccessVersionRow).where(AccessVersionRow.id == _ACCESS_ROW)
        .values(version=AccessVersionRow.version + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(bumped, "rowcount", 0):
        session.execute(insert(AccessVersionRow).values(id=_ACCESS_ROW, version=1))


def flush_or_conflict(session: Session, message: str, **details: Any) -> None:
    """Flush pending rows, turning a uniqueness violation into :class:`Conflict`.

    Raises:
        Conflict: when a row with the same unique key already exists.
    """
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(message, **details) from error


def _configure_sqlite_connection(connection: Any, record: Any) -> None:
    """Enforce foreign keys and let readers run beside one writer (WAL).

    ``synchronous=NORMAL`` is SQLite's recommended setting in WAL mode: a commit
    survives a crash of the process, and only a power loss can take the last
    commits; without it every audit batch waits for an fsync.
    """
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        enter_wal(cursor, patience_seconds=SQLITE_BUSY_SECONDS)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def is_unreachable(error: Exception) -> bool:
    """Whether ``error`` says the database is out of reach rather than refusing a value.

    Values are bound parameters, so they raise data and integrity errors, never
    operational or interface ones; a lost connection is flagged by SQLAlchemy.
    """
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return True  # DisconnectionError, pool timeout, OSError


UNREACHABLE = (DBAPIError, DisconnectionError, PoolTimeout)
"""What SQLAlchemy raises for a database out of reach (narrowed by :func:`is_unreachable`)."""


@contextmanager
def unavailable_when_unreachable() -> Iterator[None]:
    """Turn the errors of an unreachable or locked database into :class:`Unavailable`.

    Raises:
        Unavailable: when the database cannot be reached or written now; any
            other error propagates as it is.
    """
    try:
        yield
    except (*UNREACHABLE, OSError) as error:
        if not is_unreachable(error):
            raise
        raise Unavailable("the catalog cannot take audit events now") from error


@contextmanager
def catalog_reachable() -> Iterator[None]:
    """Turn the errors of a catalog out of reach into :class:`CatalogUnavailable`.

    The message names the setting to check, never the driver's text nor the
    host (a server may log the cause; a client sees only this). Only
    SQLAlchemy's errors count: an ``OSError`` of other work in the block
    (writing a file) is no sign of the catalog.

    Raises:
        CatalogUnavailable: when the database cannot be reached or written now;
            any other error propagates as it is.
    """
    try:
        yield
    except UNREACHABLE as error:
        if not is_unreachable(error):
            raise
        raise CatalogUnavailable(
            f"the catalog cannot be reached now ({type(error).__name__}); check "
            "GROUNDWORK_CATALOG_URL and that its database is running") from error

