"""The audit sink: each event is in a local spool file before its call's response is sent.

:meth:`AuditSink.record` and :meth:`AuditSink.emit` append the event as one
JSON line to this process's spool file (:mod:`groundwork.catalog.spool`) with
one ``os.write``: a few microseconds, no database, no thread. Once the call
returns, the event is in the page cache, so even a SIGKILL of the server does
not lose it. A separate process ships the spool to the catalog
(:mod:`groundwork.catalog.shipper`, ``groundwork audit ship``);
:meth:`AuditSink.flush` ships it at once, in a worker thread (for tests and an
orderly shutdown).

Audit never blocks and never stops. Lines are bounded: an event too long (or
not encodable) is spooled with its values bounded
(:func:`~groundwork.catalog.events.storable_fields`), or in its reduced form
(:func:`~groundwork.catalog.events.reduced_event`) when even that fails. When
the spool cannot be written (a full disk), the event is dropped and counted,
and :meth:`AuditSink.health` says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import orjson

from groundwork.catalog.events import AuditEvent, AuditPage, reduced_event, storable_fields
from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.catalog.shipper import AuditShipper, SpoolLedger
from groundwork.catalog.spool import (
    DEFAULT_FILE_BYTES,
    MAX_LINE_BYTES,
    LineTooLong,
    SpoolWriter,
)

__all__ = ["AuditEvent", "AuditHealth", "AuditPage", "AuditSink", "CallRecord"]

logger = logging.getLogger(__name__)

CallRecord: TypeAlias = tuple[
    dt.datetime, str | None, ObjectType, str, Privilege, bool, str, int, float, str, str
]
"""An :class:`AuditEvent`'s fields in declaration order, as :meth:`AuditSink.record` spools them."""

_NEWLINE = orjson.OPT_APPEND_NEWLINE


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fields(event: AuditEvent) -> CallRecord:
    """The fields of ``event`` in declaration order (how a spool line holds them)."""
    return (event.ts, event.principal, event.object_type, event.object_name, event.privilege,
            event.allowed, event.reason, event.status_code, event.latency_ms, event.trace_id,
            event.channel)


@dataclass(frozen=True, slots=True)
class AuditHealth:
    """The audit writer's state, for metrics and operators.

    ``written + reduced + dropped`` counts every event emitted.

    Attributes:
        pending: Events held in memory (none: each is spooled when emitted).
        written: Events spooled whole (their long texts bounded).
        reduced: Events spooled in their reduced form (no storable form otherwise).
        dropped_unwritable: Events the spool could not take (a full disk).
        dropped_overflow: Always 0 (nothing waits in memory); kept for the metrics.
        last_error_at: When spooling or shipping last failed.
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
    """Spools audit events synchronously; ships them to the catalog on :meth:`flush`.

    Args:
        ledger: The catalog's shipped positions (``catalog.spool_files``), for :meth:`flush`.
        spool_dir: This process's spool directory (shared with the shipper).
        max_file_bytes: Size from which the spool rotates to a new file.
        now: Clock of :attr:`last_error_at`.
    """

    def __init__(
        self,
        ledger: SpoolLedger,
        *,
        spool_dir: Path,
        max_file_bytes: int = DEFAULT_FILE_BYTES,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self._writer = SpoolWriter(spool_dir, max_file_bytes=max_file_bytes)
        self._shipper = AuditShipper(ledger, spool_dir)
        self._now = now
        self._running = False
        self._failing = False
        self._written = self._reduced = self._dropped = 0
        self._last_error_at: dt.datetime | None = None
        self._last_error: str | None = None

    @property
    def spool_dir(self) -> Path:
        """Where the events are spooled."""
        return self._writer.directory

    @property
    def pending(self) -> int:
        """Events held in memory: none, each is spooled when emitted."""
        return 0

    @property
    def written(self) -> int:
        """Events spooled whole."""
        return self._written

    @property
    def reduced(self) -> int:
        """Events spooled in their reduced form."""
        return self._reduced

    @property
    def dropped(self) -> int:
        """Events lost: the spool could not take them."""
        return self._dropped

    @property
    def last_error_at(self) -> dt.datetime | None:
        """When spooling or shipping last failed; ``None`` when nothing has."""
        return self._last_error_at

    def health(self) -> AuditHealth:
        """A snapshot of the writer's counters (cheap: for every metrics scrape)."""
        return AuditHealth(0, self._written, self._reduced, self._dropped, 0,
                           self._last_error_at, self._last_error)

    def emit(self, event: AuditEvent) -> None:
        """Spool an event; never raises and never waits for anything but one local write.

        Safe to call from the event loop and from other threads.
        """
        self._append(_fields(event))

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
        """Spool the event of a call that ends now, stamped with the current UTC time.

        Like :meth:`emit`, without building the :class:`AuditEvent`: the fields
        are encoded as they are (the shipper bounds them), unless the line
        would be too long.
        """
        self._append((dt.datetime.now(dt.UTC), principal, object_type, object_name, privilege,
                      allowed, reason, status_code, latency_ms, trace_id, channel))

    def start(self) -> None:
        """Mark the sink running (spooling needs no task; the shipper is its own process).

        Raises:
            RuntimeError: when the sink already runs.
        """
        if self._running:
            raise RuntimeError("the audit sink is already running")
        self._running = True

    async def stop(self) -> None:
        """Seal the spool file and ship every spooled event to the catalog.

        Never raises: events an unavailable catalog could not take stay in the
        spool for the next shipper, and the failure is logged.
        """
        self._running = False
        self.seal()
        await self.flush()

    def seal(self) -> None:
        """Close the current spool file, so a shipper may delete it once shipped.

        The next event opens a new file.
        """
        self._writer.close()

    async def flush(self) -> int:
        """Ship the spool to the catalog in a worker thread; return how many events were stored.

        Never raises: a failure is logged, noted in :meth:`health`, and the
        events wait in the spool.
        """
        report = await asyncio.to_thread(self._shipper.ship)
        if report.error is not None:
            self._last_error_at, self._last_error = self._now(), report.error
        return report.stored

    def _append(self, fields: CallRecord) -> None:
        """Encode and spool one event, bounding or reducing it when it cannot go as it is."""
        reduced = False
        try:
            line = orjson.dumps(fields, option=_NEWLINE)
        except TypeError:  # orjson.JSONEncodeError: a value JSON cannot hold
            line = b""
        if not line or len(line) > MAX_LINE_BYTES:
            try:
                line, reduced = self._storable_line(AuditEvent(*fields))
            except TypeError as error:
                self._dropped += 1
                self._note_error(error)
                return
        try:
            self._writer.append(line)
        except (OSError, LineTooLong) as error:  # a bounded event fits: only a full disk
            self._spool_failed(error)
            return
        if reduced:
            self._reduced += 1
        else:
            self._written += 1
        if self._failing:
            self._failing = False
            logger.warning("the audit spool in %s takes events again", self._writer.directory)

    @staticmethod
    def _storable_line(event: AuditEvent) -> tuple[bytes, bool]:
        """The line of ``event`` bounded, or else reduced (then ``True``).

        Raises:
            TypeError: when not even the reduced form can be encoded.
        """
        try:
            return orjson.dumps(list(storable_fields(event).values()), option=_NEWLINE), False
        except Exception as error:  # noqa: BLE001 - any refusal stores the reduced form
            return orjson.dumps(_fields(reduced_event(event, error)), option=_NEWLINE), True

    def _spool_failed(self, error: Exception) -> None:
        """Count an event the spool could not take; log once per outage."""
        self._dropped += 1
        self._note_error(error)
        if not self._failing:
            self._failing = True
            logger.error("the audit spool in %s cannot be written (%s: %s); audit events are "
                         "dropped and counted until it can", self._writer.directory,
                         type(error).__name__, error)

    def _note_error(self, error: Exception) -> None:
        self._last_error_at, self._last_error = self._now(), type(error).__name__
