"""The audit sink: buffers audit events in memory and writes them without slowing the hot path.

:meth:`AuditSink.record` and :meth:`AuditSink.emit` only append to a bounded
in-memory deque. A background asyncio task moves pending events to the catalog
in batches (every ``flush_interval`` seconds, or sooner once ``batch_size``
events wait), running the blocking database write in a worker thread, where the
catalog also bounds and cleans every value (:func:`~groundwork.catalog.events.storable_event`).

Audit never blocks and never stops. An event the catalog refuses is isolated
from its batch and written in its reduced form
(:func:`~groundwork.catalog.events.reduced_event`); one that cannot be written
even so is dropped and counted. While the catalog is unavailable, events wait
(beyond ``max_pending`` the oldest are dropped, and counted) and the writer
retries with exponential backoff. :meth:`AuditSink.stop` writes everything
still pending on an orderly shutdown. :meth:`AuditSink.health` tells how it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, wait_exponential_jitter
from tenacity.wait import WaitBaseT

from groundwork.catalog.delivery import Delivery, deliver
from groundwork.catalog.events import AuditEvent, AuditPage, reduced_event, storable_event
from groundwork.catalog.policy import ObjectType, Privilege

__all__ = ["AuditEvent", "AuditHealth", "AuditPage", "AuditRecorder", "AuditSink", "CallRecord"]

logger = logging.getLogger(__name__)

CallRecord: TypeAlias = tuple[
    dt.datetime, str | None, ObjectType, str, Privilege, bool, str, int, float, str, str
]
"""An :class:`AuditEvent`'s fields in declaration order, as :meth:`AuditSink.record` queues them."""


BACKOFF = wait_exponential_jitter(initial=0.5, max=30, jitter=0.5)
"""Wait between attempts while the catalog is unavailable: 0.5 s doubling to 30 s, jittered."""


def _as_event(item: AuditEvent | CallRecord) -> AuditEvent:
    return item if isinstance(item, AuditEvent) else AuditEvent(*item)


def _bounded(event: AuditEvent) -> AuditEvent:
    """``event`` with its values bounded, or as it is when they cannot be (stored reduced later)."""
    try:
        return storable_event(event)
    except Exception:  # noqa: BLE001 - the catalog refuses it at insert and the sink reduces it
        return event


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuditRecorder(Protocol):
    """Where audit events end up; :class:`groundwork.catalog.store.Catalog` is one."""

    def record_audit(self, events: Sequence[AuditEvent]) -> None:
        """Persist a batch of events in one transaction.

        Raises:
            Unavailable: when nothing can be written now (connection refused,
                database locked); any other error means these events cannot be stored.
        """


@dataclass(frozen=True, slots=True)
class AuditHealth:
    """The audit writer's state, for metrics and operators.

    ``written + reduced + dropped + pending`` counts every event emitted.

    Attributes:
        pending: Events waiting to be written.
        written: Events written whole (their long texts bounded).
        reduced: Events the catalog refused, written in their reduced form.
        dropped_unwritable: Events refused even in their reduced form.
        dropped_overflow: Events dropped, oldest first, while ``max_pending`` waited.
        last_error_at: When a write last failed (a refused event or an unavailable catalog).
        last_error: Class name of that failure.
    """

    pending: int
    written: int
    reduced: int
    dropped_unwritable: int
    dropped_overflow: int
    last_error_at: dt.datetime | None
    last_error: str | None

    @property
    def dropped(self) -> int:
        """Events lost, for either reason."""
        return self.dropped_unwritable + self.dropped_overflow


class AuditSink:
    """Buffers audit events in memory and writes them in batches from a background task.

    Args:
        recorder: Persists batches (the catalog).
        flush_interval: Seconds between flushes when traffic is light.
        batch_size: Events per write; a full batch triggers an early flush.
        max_pending: Most events kept while the catalog cannot take them; beyond,
            the oldest are dropped and counted.
        backoff: Seconds to wait before the next attempt while the catalog stays
            unavailable (a tenacity wait strategy; default :data:`BACKOFF`).
        now: Clock of :attr:`last_error_at`.

    Raises:
        ValueError: when ``batch_size`` is below 1 or ``max_pending`` below ``batch_size``.
    """

    def __init__(
        self,
        recorder: AuditRecorder,
        *,
        flush_interval: float = 0.5,
        batch_size: int = 500,
        max_pending: int = 100_000,
        backoff: WaitBaseT = BACKOFF,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        if batch_size < 1 or max_pending < batch_size:
            raise ValueError(f"need 1 <= batch_size ({batch_size}) <= max_pending ({max_pending})")
        self._recorder = recorder
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._backlog = batch_size - 1
        """Queue length from which an append takes the slow path (bound, count, wake the writer)."""
        self._max_pending = max_pending
        self._pending: deque[AuditEvent | CallRecord] = deque(maxlen=max_pending)
        self._backlog_lock = threading.Lock()
        self._backoff = backoff
        self._now = now
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup = asyncio.Event()
        self._stopped = asyncio.Event()
        self._wakeup_requested = False
        self._stopping = False
        self._unavailable = False
        self._task: asyncio.Task[None] | None = None
        self._flush_waiters: list[asyncio.Future[None]] = []
        self._written = self._reduced = self._dropped_unwritable = self._dropped_overflow = 0
        self._last_error_at: dt.datetime | None = None
        self._last_error: str | None = None

    @property
    def pending(self) -> int:
        """Number of events emitted but not written yet."""
        return len(self._pending)

    @property
    def written(self) -> int:
        """Events written whole."""
        return self._written

    @property
    def reduced(self) -> int:
        """Events written in their reduced form."""
        return self._reduced

    @property
    def dropped(self) -> int:
        """Events lost: unwritable even reduced, or beyond ``max_pending``."""
        return self._dropped_unwritable + self._dropped_overflow

    @property
    def last_error_at(self) -> dt.datetime | None:
        """When a write last failed; ``None`` when none has."""
        return self._last_error_at

    def health(self) -> AuditHealth:
        """A snapshot of the writer's counters (cheap: for every metrics scrape)."""
        return AuditHealth(len(self._pending), self._written, self._reduced,
                           self._dropped_unwritable, self._dropped_overflow,
                           self._last_error_at, self._last_error)

    def emit(self, event: AuditEvent) -> None:
        """Queue an event for writing; never blocks and never does I/O.

        Safe to call from the event loop and from other threads.
        """
        if len(self._pending) < self._backlog:
            self._pending.append(event)
        else:
            self._append_backlogged(event)

    def record(
        self,
        principal: str | None,
        object_type: ObjectType,
        object_name: str,
        privilege: Privilege,
        allowed: bool,
        reason: str,
        status_code: int,
        latency_ms: float,
        trace_id: str,
        channel: str = "rest",
    ) -> None:
        """Queue the event of a call that ends now, stamped with the current UTC time.

        Like :meth:`emit`, but the fields are queued as a tuple and the writer
        builds the :class:`AuditEvent` in its thread, off the event loop: a few
        microseconds less per call on the serving path. Values are bounded in
        the writer's thread too, or here once a backlog builds up (so a queue
        that waits for the catalog holds bounded events only).
        """
        pending = self._pending
        item = (dt.datetime.now(dt.UTC), principal, object_type, object_name, privilege,
                allowed, reason, status_code, latency_ms, trace_id, channel)
        if len(pending) < self._backlog:
            pending.append(item)
        else:
            self._append_backlogged(item)

    def _append_backlogged(self, item: AuditEvent | CallRecord) -> None:
        """Queue an event behind a backlog: bounded, counting the oldest it pushes out."""
        event = _bounded(_as_event(item))
        with self._backlog_lock:
            if len(self._pending) >= self._max_pending:
                self._dropped_overflow += 1
            self._pending.append(event)
        if not self._wakeup_requested:
            self._request_flush()

    def start(self) -> None:
        """Start the background flush task on the running event loop.

        Raises:
            RuntimeError: when no event loop is running or the sink already runs.
        """
        if self._task is not None:
            raise RuntimeError("the audit sink is already running")
        self._loop = asyncio.get_running_loop()
        self._wakeup, self._stopped = asyncio.Event(), asyncio.Event()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="groundwork-audit-sink")

    async def stop(self) -> None:
        """Stop the background task and write every pending event.

        Never raises: events an unavailable catalog could not take stay pending,
        and their number is logged as an error.
        """
        if self._task is not None:
            self._stopping = True
            self._stopped.set()
            self._wakeup.set()
            await self._task
            self._task = None
            self._loop = None
        await self.flush()
        if self._pending:
            logger.error("%d audit events could not be written before the sink stopped (%s)",
                         len(self._pending), self._last_error)

    async def flush(self) -> int:
        """Write the events pending when called, in batches; return how many were stored.

        Events emitted meanwhile wait for the next flush, so under steady load
        the writer sends full batches instead of chasing a queue that never
        empties (which would keep its thread busy and slow the serving path).
        Never raises: refused events are stored reduced or dropped (and counted);
        when the catalog is unavailable, the events it did not take stay first
        in line and :attr:`last_error_at` is set.
        """
        stored, remaining = 0, len(self._pending)
        self._unavailable = False
        try:
            while remaining > 0 and self._pending:
                batch = self._take_batch(min(remaining, self._batch_size))
                remaining -= len(batch)
                delivery = await self._deliver(batch)
                stored += delivery.written + delivery.reduced
                if self._unavailable:
                    self._put_back(delivery.unwritten)
                    break
        finally:
            self._notify_flushed()
        return stored

    def next_flush(self) -> asyncio.Future[None]:
        """A future done when the next flush ends, whatever it achieved (for tests).

        Take it before queueing the events it should cover: a flush only writes
        the events pending when it starts.

        Raises:
            RuntimeError: when no event loop is running.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flush_waiters.append(future)
        return future

    async def _deliver(self, batch: list[AuditEvent | CallRecord]) -> Delivery[AuditEvent]:
        """Write one batch in a worker thread and account for what became of it."""
        try:
            delivery = await asyncio.to_thread(self._deliver_in_thread, batch)
        except Exception as error:  # noqa: BLE001 - never lose a batch to an unexpected failure
            logger.exception("writing %d audit events failed unexpectedly", len(batch))
            delivery = Delivery(unwritten=[_as_event(item) for item in batch], error=error)
            self._unavailable = True
        else:
            self._unavailable = delivery.unavailable
        self._written += delivery.written
        self._reduced += delivery.reduced
        self._dropped_unwritable += delivery.dropped
        if delivery.error is not None:
            self._last_error_at, self._last_error = self._now(), type(delivery.error).__name__
        if self._unavailable:
            logger.warning("the catalog is unavailable (%s: %.300s); %d audit events wait",
                           self._last_error, delivery.error,
                           len(self._pending) + len(delivery.unwritten))
        return delivery

    def _deliver_in_thread(self, batch: list[AuditEvent | CallRecord]) -> Delivery[AuditEvent]:
        """Build the batch's events and deliver them (in a worker thread).

        Events an unavailable catalog hands back are bounded here, so that those
        waiting for it keep small.
        """
        delivery = deliver(self._recorder.record_audit, [_as_event(item) for item in batch],
                           reduced_event)
        delivery.unwritten = [_bounded(event) for event in delivery.unwritten]
        return delivery

    def _put_back(self, unwritten: list[AuditEvent]) -> None:
        """Return unwritten events to the front of the queue; the oldest go beyond the bound."""
        with self._backlog_lock:
            lost = max(len(unwritten) - (self._max_pending - len(self._pending)), 0)
            self._dropped_overflow += lost
            self._pending.extendleft(reversed(unwritten[lost:]))

    def _take_batch(self, limit: int) -> list[AuditEvent | CallRecord]:
        """Remove up to ``limit`` of the oldest pending events."""
        size = min(limit, len(self._pending))
        return [self._pending.popleft() for _ in range(size)]

    def _notify_flushed(self) -> None:
        """Complete the futures of :meth:`next_flush`."""
        waiters, self._flush_waiters = self._flush_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _request_flush(self) -> None:
        """Wake the background task early, from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        self._wakeup_requested = True
        loop.call_soon_threadsafe(self._wakeup.set)

    async def _run(self) -> None:
        """Flush periodically until :meth:`stop`; while the catalog is unavailable, back off."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._flush_interval)
            self._wakeup.clear()
            self._wakeup_requested = False
            if self._stopping:
                break  # stop() writes what is left
            retrying = AsyncRetrying(
                retry=retry_if_result(lambda _: self._unavailable), wait=self._backoff,
                stop=self._stop_requested, sleep=self._pause,
                retry_error_callback=lambda _: None)
            try:
                await retrying(self.flush)
            except Exception:  # the writer never dies: the next interval tries again
                logger.exception("the audit writer failed; %d events wait", len(self._pending))

    def _stop_requested(self, _: RetryCallState) -> bool:
        return self._stopping

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` before the next attempt, or less when the sink stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), timeout=seconds)
