"""Sync state: the record of one sync run, and where runs and their watermarks are kept.

A sync run reads the watermark of the last successful run of a view into a
store, syncs the rows at or after it, and records what it did.
:class:`SyncState` is the interface of the place those runs are kept; the
catalog's sync-run table is one (it satisfies the protocol structurally, so
nothing here imports the catalog).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class SyncStatus(StrEnum):
    """Outcome of a sync run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One run of the sync job for one view into one online store.

    Attributes:
        id: Id given by the state that recorded it.
        view: Feature view name.
        store: Online store name.
        started_at: When the run started.
        finished_at: When it finished; ``None`` while running.
        watermark: The largest ``event_ts`` synced so far; the next run reads
            only rows after it.
        rows_read: Rows read from the feature table.
        rows_written: Rows written to the store.
        rows_skipped: Rows not written because the store held a newer one.
        rows_failed: Rows that could not be written.
        status: Outcome of the run.
        error: Why the run failed (its first error), if it did.
    """

    id: int
    view: str
    store: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    watermark: dt.datetime | None
    rows_read: int
    rows_written: int
    rows_skipped: int
    rows_failed: int
    status: SyncStatus
    error: str | None = None


class SyncState(Protocol):
    """Where sync runs are recorded and the next run finds its watermark."""

    def last_watermark(self, view: str, store: str) -> dt.datetime | None:
        """The watermark of the latest successful run of ``view`` into ``store``; ``None``: none."""
        ...

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
        """Record one run of ``view`` into ``store`` and return it."""
        ...
