"""Access changes made by other processes reach this one within a second: a polled version.

Every change to principals, groups, grants, and every token revocation, bumps
one counter row of the catalog in the same transaction
(:meth:`groundwork.catalog.store.database.Database.access_transaction`), so no
process can see the change without seeing the new number.
:class:`AccessChangeWatcher` reads that number every ``interval`` seconds
(:data:`CHECK_INTERVAL`) in a worker thread, off the request path, and

- drops the :class:`~groundwork.catalog.access.AccessController`'s cache when
  the number moved;
- otherwise confirms the cache current as of the moment the read began
  (:meth:`~groundwork.catalog.access.AccessController.confirm_current`).

The server gives its controller ``max_age`` = :data:`ACCESS_CHANGE_BOUND`
(1 s). A change committed by any process is then honoured by every server
process within the bound: usually within one interval plus one read; and when
reads fail or stall, nothing confirms the cache, which expires by itself
``max_age`` after the last good read, so the next calls ask the catalog (fail
closed). A warm cache hit still costs one clock read and no I/O.

Why one polled counter rather than PostgreSQL's ``LISTEN``/``NOTIFY``:

- one mechanism for SQLite and PostgreSQL, tested the same way on both;
- ``LISTEN`` needs a session-bound connection per process, outside the pool,
  which transaction-pooling proxies (PgBouncer in transaction mode, as managed
  PostgreSQL services offer) do not keep;
- a notification sent while the listener reconnects is lost, so a poll is
  needed as a fallback anyway, and that poll alone already meets a one-second
  bound;
- its cost is small: one primary-key read per server process per interval
  (four a second), off the request path.

``NOTIFY`` would bring the typical lag from a quarter of a second to a few
milliseconds; the bound does not need it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from groundwork.catalog.access import AccessController

logger = logging.getLogger(__name__)

ACCESS_CHANGE_BOUND = 1.0
"""Seconds within which every server process honours an access change made anywhere."""

CHECK_INTERVAL = 0.25
"""Seconds between two reads of the access version."""


class AccessVersionSource(Protocol):
    """Where the access version is read; :class:`groundwork.catalog.store.Catalog` is one."""

    def access_version(self) -> int:
        """The count of committed changes to principals, groups, tokens and grants."""
        ...


class AccessChangeWatcher:
    """Drops an access cache when the catalog's access version moves; confirms it otherwise.

    Args:
        source: The catalog.
        access: The controller whose cache to keep current; its clock times the reads.
        interval: Seconds between two reads when running in the background.

    Example::

        watcher = AccessChangeWatcher(catalog, access)
        watcher.start()        # inside the event loop, when serving starts
        ...
        await watcher.stop()   # when serving ends
    """

    def __init__(self, source: AccessVersionSource, access: AccessController, *,
                 interval: float = CHECK_INTERVAL) -> None:
        self._source = source
        self._access = access
        self._interval = interval
        self._seen: int | None = None
        self._failing = False
        self._task: asyncio.Task[None] | None = None
        self._read_waiters: list[asyncio.Future[None]] = []

    @property
    def seen(self) -> int | None:
        """The access version last read; ``None`` before the first good read."""
        return self._seen

    def check(self) -> bool:
        """Read the access version now, on this thread, and act on it.

        Returns:
            Whether the cache was dropped.

        Raises:
            Exception: whatever reading the catalog raised; nothing is confirmed then.
        """
        as_of = self._access.clock()
        return self.observe(self._source.access_version(), as_of)

    def observe(self, version: int, as_of: float) -> bool:
        """Act on a version read that began at ``as_of`` (the controller's clock).

        The first version observed drops the cache too: answers cached before
        it may predate changes made elsewhere.

        Returns:
            Whether the cache was dropped.
        """
        if version != self._seen:
            self._seen = version
            self._access.invalidate()
            return True
        self._access.confirm_current(as_of)
        return False

    def start(self) -> None:
        """Start reading in the background; call from the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="access-change-watcher")

    def next_read(self) -> asyncio.Future[None]:
        """A future the background task completes after its next read (good or failed)."""
        waiter = asyncio.get_running_loop().create_future()
        self._read_waiters.append(waiter)
        return waiter

    async def stop(self) -> None:
        """Stop reading (waits for the background task to end)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            as_of = self._access.clock()
            try:
                version = await asyncio.to_thread(self._source.access_version)
            except Exception as error:  # noqa: BLE001 - the cache expires by itself meanwhile
                self._note_failure(error)
            else:
                if self._failing:
                    self._failing = False
                    logger.warning("access version readable again")
                self.observe(version, as_of)
            waiters, self._read_waiters = self._read_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            await asyncio.sleep(self._interval)

    def _note_failure(self, error: Exception) -> None:
        """Log the first failed read of a run of failures (the details go to the log only)."""
        if not self._failing:
            self._failing = True
            logger.warning("cannot read the access version (%s: %s); cached access answers "
                           "expire within %.1f s", type(error).__name__, error,
                           self._access.max_age)
