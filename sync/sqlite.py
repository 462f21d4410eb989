"""The embedded default online store: one SQLite file, zero setup.

SQLite runs inside the serving process, so a read is a few microseconds of
local work rather than a network round trip; the async methods therefore run
their statements inline instead of hopping to a thread. The file is opened in
WAL mode so a sync can write while servers read.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Sequence
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from groundwork.errors import DefinitionError, StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sqlite_wal import enter_wal
from groundwork.sync.base import (
    EntityKey,
    OnlineRow,
    OnlineStore,
    ReadRequest,
    StoreCapabilities,
    StoredRecord,
    WriteResult,
)
from groundwork.sync.codec import (
    ENCODED_COLUMNS,
    encode_values,
    from_micros,
    key_string,
    to_micros,
    view_decoder,
)

if TYPE_CHECKING:
    import pyarrow as pa

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_VARIABLES = 900
_COLUMNS = "entity_key, event_ts, synced_at, expires_at, payload"


def _table(view: ViewSpec) -> str:
    if not _IDENTIFIER.match(view.name):
        raise DefinitionError(f"view name {view.name!r} is not a valid identifier", view=view.name)
    return f"fv_{view.name}"


class SQLiteStore(OnlineStore):
    """Online store in a local SQLite file, one table per feature view."""

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        max_write_batch=5_000, max_read_batch=_MAX_VARIABLES, native_ttl=False, embedded=True
    )

    def __init__(self, path: Path, *, busy_timeout_seconds: float = 5.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        enter_wal(self._connection, patience_seconds=busy_timeout_seconds)
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute(f"PRAGMA busy_timeout={round(busy_timeout_seconds * 1000)}")
        # Keep read pages in this connection's cache (up to 64 MiB) rather than
        # re-reading them from the OS on every lookup; a write by another
        # connection still invalidates what it changed.
        self._connection.execute("PRAGMA cache_size=-65536")
        self._select_one: dict[str, str] = {}

    async def ensure(self, view: ViewSpec) -> None:
        """Create the view's table if it does not exist."""
        self._connection.execute(
            f"CREATE TABLE IF NOT EXISTS {_table(view)} ("
            " entity_key TEXT PRIMARY KEY, event_ts INTEGER NOT NULL,"
            " synced_at INTEGER NOT NULL, expires_at INTEGER, payload BLOB NOT NULL)"
        )

    async def write(
        self, view: ViewSpec, rows: Sequence[OnlineRow], synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows in one transaction; a row never replaces a record as new or newer."""
        synced = to_micros(synced_at)
        return self._upsert(view, [
            (
                key_string(row.key),
                to_micros(row.event_ts),
                synced,
                None if row.expires_at is None else to_micros(row.expires_at),
                orjson.dumps(encode_values(view, row.values)),
            )
            for row in rows
        ])

    async def write_encoded(
        self, view: ViewSpec, rows: pa.RecordBatch, synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows in the stored form in one transaction, as :meth:`write`."""
        key, event_ts, expires_at, payload = (rows.column(name).to_pylist()
                                              for name in ENCODED_COLUMNS)
        return self._upsert(view, list(zip(key, event_ts, repeat(to_micros(synced_at)),
                                           expires_at, payload)))

    def _upsert(self, view: ViewSpec, parameters: list[tuple[Any, ...]]) -> WriteResult:
        """Run the conditional upsert of ``(key, event_ts, synced_at, expires_at, payload)``."""
        table = _table(view)
        statement = (
            f"INSERT INTO {table} (entity_key, event_ts, synced_at, expires_at, payload)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(entity_key) DO UPDATE SET"
            " event_ts = excluded.event_ts, synced_at = excluded.synced_at,"
            " expires_at = excluded.expires_at, payload = excluded.payload"
            f" WHERE excluded.event_ts > {table}.event_ts"
        )
        try:
            with self._connection:
                before = self._connection.total_changes
                self._connection.executemany(statement, parameters)
                written = self._connection.total_changes - before
        except sqlite3.OperationalError as error:
            raise StoreUnavailable(f"sqlite write failed: {error}", store="sqlite",
                                   view=view.name) from error
        return WriteResult(written=written, skipped=len(parameters) - written)

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        """Fetch every request's keys with one indexed query per view."""
        return [self._read_one(request) for request in requests]

    def _read_one(self, request: ReadRequest) -> list[StoredRecord | None]:
        view, features = request.view, request.features
        decode = view_decoder(view).decode
        if len(request.keys) == 1:  # the common case of a one-entity lookup
            statement = self._select_one.get(view.name) or self._select(view, 1)
            try:
                row = self._connection.execute(statement, (key_string(request.keys[0]),)).fetchone()
            except sqlite3.OperationalError as error:
                raise StoreUnavailable(f"sqlite read failed: {error}", store="sqlite",
                                       view=view.name) from error
            if row is None:
                return [None]
            _, event_ts, synced_at, expires_at, payload = row
            return [StoredRecord(decode(orjson.loads(payload), features), from_micros(event_ts),
                                 from_micros(synced_at),
                                 None if expires_at is None else from_micros(expires_at))]
        keys = [key_string(key) for key in request.keys]
        found: dict[str, StoredRecord] = {}
        for start in range(0, len(keys), _MAX_VARIABLES):
            chunk = keys[start : start + _MAX_VARIABLES]
            try:
                cursor = self._connection.execute(self._select(view, len(chunk)), chunk)
            except sqlite3.OperationalError as error:
                raise StoreUnavailable(f"sqlite read failed: {error}", store="sqlite",
                                       view=view.name) from error
            for key, event_ts, synced_at, expires_at, payload in cursor:
                found[key] = StoredRecord(decode(orjson.loads(payload), features),
                                          from_micros(event_ts), from_micros(synced_at),
                                          None if expires_at is None else from_micros(expires_at))
        return [found.get(key) for key in keys]

    def _select(self, view: ViewSpec, count: int) -> str:
        """The query reading ``count`` keys of ``view`` (one key: ``=``, its text kept)."""
        if count == 1:
            statement = self._select_one.get(view.name)
            if statement is None:
                statement = f"SELECT {_COLUMNS} FROM {_table(view)} WHERE entity_key = ?"
                self._select_one[view.name] = statement
            return statement
        placeholders = ",".join("?" * count)
        return f"SELECT {_COLUMNS} FROM {_table(view)} WHERE entity_key IN ({placeholders})"

    async def delete(self, view: ViewSpec, keys: Sequence[EntityKey]) -> int:
        """Delete the records of ``keys``."""
        with self._connection:
            cursor = self._connection.executemany(
                f"DELETE FROM {_table(view)} WHERE entity_key = ?",
                [(key_string(key),) for key in keys],
            )
        return cursor.rowcount

    async def close(self) -> None:
        """Close the SQLite connection."""
        self._connection.close()
