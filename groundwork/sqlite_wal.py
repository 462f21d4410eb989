"""Open SQLite files in WAL mode when several processes create them at once."""

from __future__ import annotations

import sqlite3
from typing import Protocol

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_random_exponential


class _Executes(Protocol):
    def execute(self, sql: str, /) -> sqlite3.Cursor: ...


def _locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


def enter_wal(connection: _Executes, *, patience_seconds: float) -> None:
    """Switch the database behind ``connection`` to WAL, waiting out concurrent openers.

    SQLite does not call its busy handler for a journal-mode change: when
    several processes or threads open a new database at once, all but one get
    "database is locked" at once. They retry here with jittered backoff for up
    to ``patience_seconds``. The mode is persistent, so every later connection
    finds WAL already set and changes nothing.

    Raises:
        sqlite3.OperationalError: when the database stays locked past the patience.
    """
    for attempt in Retrying(
        retry=retry_if_exception(_locked),
        wait=wait_random_exponential(multiplier=0.005, max=0.5),
        stop=stop_after_delay(patience_seconds),
        reraise=True,
    ):
        with attempt:
            mode = connection.execute("PRAGMA journal_mode").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
