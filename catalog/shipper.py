"""The audit shipper: moves spooled audit events into the catalog, exactly once.

It reads every spool file (:mod:`groundwork.catalog.spool`) from the position
the catalog recorded for it, inserts the complete lines in bulk and advances
that position in the same transaction (:class:`~groundwork.catalog.store.spool_files.Shipment`),
so a crash of the writer or of the shipper neither loses nor duplicates an
event; concurrent shippers of the same file serialise on its row.

Within a shipment, an event the catalog refuses is isolated and stored in its
reduced form (:func:`~groundwork.catalog.events.reduced_event`), or dropped and
counted, as :func:`~groundwork.catalog.delivery.deliver` does. A line that is
no event at all (a torn line of a full disk) is dropped and counted. Sealed
files (:func:`~groundwork.catalog.spool.opened`) shipped to their end are deleted.

The shipper runs as its own process (``groundwork audit ship``), started and
restarted by the serving process; one such process ships a spool directory at
a time (:meth:`AuditShipper.run` holds the directory's lock, others stand by).
:meth:`AuditShipper.ship` is also what a test or a CLI calls to drain the
spool at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import orjson

from groundwork.catalog.delivery import deliver
from groundwork.catalog.events import AuditEvent, reduced_event, storable_fields
from groundwork.catalog.spool import MAX_LINE_BYTES, opened, remove_abandoned_drafts, spool_files
from groundwork.errors import InvalidInput, Unavailable

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
"""Most bytes of a spool file shipped in one transaction."""

MAX_RETRY_SECONDS = 5.0
"""Longest wait between passes while the catalog is unavailable."""

FIELD_COUNT = len(AuditEvent.__slots__)
"""Fields of a spooled event, in :class:`AuditEvent` order."""


class SpoolShipment(Protocol):
    """One transaction shipping part of a spool file (see ``store.spool_files.Shipment``)."""

    shipped_bytes: int

    def insert(self, rows: Sequence[dict[str, object]]) -> None:
        """Insert rows of :func:`storable_fields`; ``Unavailable`` when out of reach."""

    def advance(self, shipped_bytes: int) -> None:
        """Record the new shipped position, committed with the rows."""


class SpoolLedger(Protocol):
    """Where shipped positions are kept (``Catalog.spool_files``)."""

    def shipment(self, name: str) -> AbstractContextManager[SpoolShipment]:
        """A transaction holding ``name``'s position; it commits when the block ends."""


@dataclass(slots=True)
class ShipReport:
    """What one pass of the shipper did.

    Attributes:
        written: Events stored whole.
        reduced: Events stored in their reduced form.
        dropped: Lines that could not be stored even reduced, or were no event.
        deleted: Spool files deleted, fully shipped.
        error: Class name of the failure that stopped the pass early, if any.
    """

    written: int = 0
    reduced: int = 0
    dropped: int = 0
    deleted: int = 0
    error: str | None = None

    @property
    def stored(self) -> int:
        """Events stored, whole or reduced."""
        return self.written + self.reduced


class AuditShipper:
    """Ships the spool files of one directory into the catalog.

    Args:
        ledger: The catalog's shipped positions (``catalog.spool_files``).
        directory: The spool directory.
        chunk_bytes: Most bytes per transaction (at least one full line).
    """

    def __init__(self, ledger: SpoolLedger, directory: Path, *,
                 chunk_bytes: int = CHUNK_BYTES) -> None:
        if chunk_bytes < MAX_LINE_BYTES:
            raise ValueError(f"chunk_bytes must be at least {MAX_LINE_BYTES}")
        self._ledger = ledger
        self._directory = directory
        self._chunk_bytes = chunk_bytes
        self._known: dict[str, int] = {}
        """File name to the position last shipped by this shipper (a hint; see ``_ship_file``)."""

    def ship(self) -> ShipReport:
        """Ship every spool file to its last complete line; delete the sealed ones shipped.

        Never raises: an unavailable catalog ends the pass early (the events wait
        in their files) and is named in the report.
        """
        report = ShipReport()
        try:
            remove_abandoned_drafts(self._directory)
            for path in spool_files(self._directory):
                self._ship_file(path, report)
        except Unavailable as error:
            report.error = type(error.__cause__ or error).__name__
            logger.warning("the catalog cannot take audit events now (%s); they wait in %s",
                           report.error, self._directory)
        except Exception as error:  # noqa: BLE001 - the next pass tries again
            report.error = type(error).__name__
            logger.exception("shipping audit events from %s failed", self._directory)
        return report

    def run(self, stop: threading.Event, interval: float,
            keep_going: Callable[[], bool] = lambda: True) -> None:
        """Ship every ``interval`` seconds until ``stop`` is set or ``keep_going`` says no.

        One such loop ships a directory at a time: it holds the directory's lock
        (:func:`shipping_lock`) while it runs. Another process's loop over the
        same directory waits, looking every ``interval`` seconds, and takes over
        once the holder is gone, killed or not (the kernel releases the lock).
        While the catalog is unavailable, the wait doubles up to
        :data:`MAX_RETRY_SECONDS`. The loop holding the lock makes a last pass
        before returning, so what was spooled until then is shipped.
        """
        wait = interval
        lock = shipping_lock(self._directory)
        if lock is None:
            logger.warning("another process ships the audit spool in %s; this one stands by "
                           "until it stops", self._directory)
        try:
            while not stop.is_set() and keep_going():
                if lock is None and (lock := shipping_lock(self._directory)) is None:
                    stop.wait(interval)
                    continue
                failed = self.ship().error is not None
                wait = min(wait * 2, MAX_RETRY_SECONDS) if failed else interval
                stop.wait(wait)
            if lock is not None:
                self.ship()
        finally:
            if lock is not None:
                os.close(lock)

    def _ship_file(self, path: Path, report: ShipReport) -> None:
        """Ship one file in chunks; delete it when it is sealed and shipped to its end."""
        with opened(path) as handle:
            if handle is None:
                return  # deleted by another shipper meanwhile
            descriptor, sealed = handle
            size = os.fstat(descriptor).st_size
            shipped = self._known.get(path.name, -1)
            while shipped < size:  # the known position is a hint: the ledger's is the truth
                with self._ledger.shipment(path.name) as shipment:
                    start = shipment.shipped_bytes
                    shipped = self._ship_chunk(descriptor, shipment, sealed, report)
                self._known[path.name] = shipped
                if shipped == start:
                    break  # only an incomplete line is left, for now
            if sealed and shipped >= size:
                # Its row stays in the ledger: a shipper that opened the file before
                # it was deleted must find it shipped, not ship it again from 0.
                path.unlink(missing_ok=True)
                self._known.pop(path.name, None)
                report.deleted += 1

    def _ship_chunk(self, descriptor: int, shipment: SpoolShipment, sealed: bool,
                    report: ShipReport) -> int:
        """Ship the complete lines of the next chunk; return the new shipped position.

        Raises:
            Unavailable: when the catalog cannot take them (the transaction rolls back).
        """
        start = shipment.shipped_bytes
        chunk = os.pread(descriptor, self._chunk_bytes, start)
        end = chunk.rfind(b"\n") + 1
        if sealed and len(chunk) < self._chunk_bytes:
            end = len(chunk)  # the end of a file no one writes: a torn last line too
        if end == 0:
            return start
        events: list[AuditEvent] = []
        for line in chunk[:end].splitlines():
            event = spooled_event(line)
            if event is None:
                report.dropped += 1
            else:
                events.append(event)
        delivery = deliver(_insert_into(shipment), events, reduced_event)
        if delivery.unavailable:
            assert isinstance(delivery.error, Unavailable)
            raise delivery.error
        report.written += delivery.written
        report.reduced += delivery.reduced
        report.dropped += delivery.dropped
        shipment.advance(start + end)
        return start + end


def shipping_lock(directory: Path) -> int | None:
    """Take the lock of the shipping loop over ``directory``; ``None`` when another holds it.

    The lock is an ``flock`` on the directory itself, held until the returned
    descriptor is closed or its process ends. Passes of :meth:`AuditShipper.ship`
    need no lock (the ledger serialises them per file); the lock keeps a second
    server, or a second worker started by hand, from running a second loop.
    """
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _insert_into(shipment: SpoolShipment) -> Callable[[Sequence[AuditEvent]], None]:
    """A writer for :func:`deliver` inserting events bounded into ``shipment``."""

    def insert(events: Sequence[AuditEvent]) -> None:
        for event in events:
            if not isinstance(event.ts, dt.datetime) or event.ts.tzinfo is None:
                raise InvalidInput("an audit event needs a timezone-aware time", field="ts")
        shipment.insert([storable_fields(event) for event in events])

    return insert


def spooled_event(line: bytes) -> AuditEvent | None:
    """The event of one spool line; ``None`` when the line is no event (torn, not JSON).

    Values are checked by the catalog when the event is stored, which stores
    it reduced when they are wrong; only the time is read here.
    """
    try:
        fields = orjson.loads(line)
    except orjson.JSONDecodeError:
        logger.error("an audit spool line is not JSON (%d bytes); dropped", len(line))
        return None
    if not isinstance(fields, list) or len(fields) != FIELD_COUNT:
        logger.error("an audit spool line is no event; dropped")
        return None
    if isinstance(fields[0], str):
        with contextlib.suppress(ValueError):  # else refused when stored, and stored reduced
            fields[0] = dt.datetime.fromisoformat(fields[0])
    return AuditEvent(*fields)
