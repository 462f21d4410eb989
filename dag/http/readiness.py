"""Readiness: whether every online store that serves an endpoint answers, decided in time.

:meth:`Readiness.check` probes the stores concurrently, one real one-key read
each, and answers within :data:`READINESS_TIMEOUT_SECONDS` whatever the stores
do. A probe still running at the bound counts as not ready but is not
cancelled: it goes on (bounded by its store's read timeout), so a slow first
connection still completes and warms the pool, and the next check joins it
rather than starting another, so a hung store never piles probes up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineStore, ReadRequest
from groundwork.sync.lookup import read_within

logger = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 0.5
"""Longest a readiness check waits for the stores to answer."""
PROBE_KEY = "readiness-probe"
"""The entity key a probe reads: any key will do, found or not."""


class Readiness:
    """Probes of the serving stores, at most one in flight per store.

    Args:
        timeout: Seconds a check waits for the probes.
    """

    def __init__(self, timeout: float = READINESS_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._probes: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def check(self, stores: Mapping[str, tuple[OnlineStore, ViewSpec]]) -> list[str]:
        """Probe ``stores`` (name to the store and a view it serves); the names not ready.

        Each failure is logged with the store's name, type and reason; nothing of
        it is returned but the names, for the log line of the caller.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # tasks of another (ended) loop are no use here
            self._probes, self._loop = {}, loop
        tasks = {name: self._probe(name, store, view) for name, (store, view) in stores.items()}
        if not tasks:
            return []
        done, _ = await asyncio.wait(tasks.values(), timeout=self.timeout)
        failing = []
        for name, task in tasks.items():
            store = stores[name][0]
            if task not in done:
                logger.warning("not ready: online store %r (%s) did not answer within %g s",
                               name, type(store).__name__, self.timeout)
                failing.append(name)
            elif (error := task.exception()) is not None:
                logger.warning("not ready: online store %r (%s) failed: %s", name,
                               type(store).__name__, getattr(error, "reason", None) or repr(error))
                failing.append(name)
        return failing

    def _probe(self, name: str, store: OnlineStore, view: ViewSpec) -> asyncio.Task[None]:
        """The probe of ``name`` in flight, or a new one."""
        task = self._probes.get(name)
        if task is None or task.done():
            task = self._probes[name] = asyncio.ensure_future(_read_one(store, view))
            task.add_done_callback(_collect)
        return task


def _collect(task: asyncio.Task[None]) -> None:
    """Take a finished probe's exception, so one that ended after its check is not reported."""
    if not task.cancelled():
        task.exception()


async def _read_one(store: OnlineStore, view: ViewSpec) -> None:
    """One real round trip: read one key, bounded by the store's read timeout."""
    await read_within(store, [ReadRequest(view, [PROBE_KEY], ())], store.read_timeout_seconds)
