"""The audit sink: emit never blocks, batches reach the catalog, stop loses nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from groundwork.catalog.audit import AuditEvent, AuditSink
from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.catalog.store import Catalog
from groundwork.catalog.store.models import AuditEventRow
from groundwork.errors import InvalidInput


def event(number: int, principal: str | None = "planner") -> AuditEvent:
    return AuditEvent(
        ts=dt.datetime(2030, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=number),
        principal=principal,
        object_type=ObjectType.ENDPOINT,
        object_name="hotel_offers",
        privilege=Privilege.EXECUTE,
        allowed=principal is not None,
        reason=f"event {number}",
        status_code=200 if principal else 401,
        latency_ms=1.5,
        trace_id=f"trace-{number}",
    )


def stored_count(catalog: Catalog) -> int:
    with catalog.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()


def test_events_round_trip_newest_first(catalog: Catalog) -> None:
    catalog.record_audit([event(1), event(2, principal=None), event(3)])

    assert catalog.audit_events() == [event(3), event(2, principal=None), event(1)]
    assert catalog.audit_events(limit=1, principal="planner") == [event(3)]
    assert catalog.audit_events(principal="nobody") == []


def test_naive_timestamps_and_bad_limits_are_refused(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput):
        catalog.record_audit([dataclasses.replace(event(1), ts=dt.datetime(2030, 1, 1))])
    with pytest.raises(InvalidInput):
        catalog.audit_events(limit=0)


async def test_recorded_calls_are_stamped_now_in_utc_and_stored_whole(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=60)
    sink.start()
    before = dt.datetime.now(dt.UTC)
    sink.record(principal="planner", object_type=ObjectType.ENDPOINT, object_name="user_profile",
                privilege=Privilege.EXECUTE, allowed=False, reason="no grant", status_code=403,
                latency_ms=0.25, trace_id="trace-1")
    after = dt.datetime.now(dt.UTC)
    await sink.stop()

    (stored,) = catalog.audit_events()
    assert before <= stored.ts <= after
    assert stored.ts.tzinfo == dt.UTC
    assert dataclasses.replace(stored, ts=before) == AuditEvent(
        ts=before, principal="planner", object_type=ObjectType.ENDPOINT,
        object_name="user_profile", privilege=Privilege.EXECUTE, allowed=False,
        reason="no grant", status_code=403, latency_ms=0.25, trace_id="trace-1")


async def test_stop_flushes_every_event(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=60, batch_size=500)
    sink.start()

    for number in range(2000):
        sink.emit(event(number))
    await sink.stop()

    assert stored_count(catalog) == 2000
    assert sink.pending == 0


async def test_a_full_batch_is_written_before_the_interval(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=60, batch_size=100)
    sink.start()
    try:
        for number in range(100):
            sink.emit(event(number))
        for _ in range(200):
            if stored_count(catalog) == 100:
                break
            await asyncio.sleep(0.01)
        assert stored_count(catalog) == 100
    finally:
        await sink.stop()


async def test_events_are_written_every_interval(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=0.05)
    sink.start()
    try:
        sink.emit(event(1))
        await asyncio.sleep(0.3)
        assert stored_count(catalog) == 1
    finally:
        await sink.stop()


async def test_events_emitted_from_other_threads_are_kept(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=0.05, batch_size=50)
    sink.start()

    def emit_many(offset: int) -> None:
        for number in range(offset, offset + 500):
            sink.emit(event(number))

    threads = [threading.Thread(target=emit_many, args=(1000 * n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join)
    await sink.stop()

    assert stored_count(catalog) == 2000


class FlakyRecorder:
    """Fails its first write, then delegates to the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.failures_left = 1

    def record_audit(self, events: Sequence[AuditEvent]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise OSError("database is unreachable")
        self.catalog.record_audit(events)


async def test_a_failed_write_is_retried_without_losing_events(catalog: Catalog) -> None:
    sink = AuditSink(FlakyRecorder(catalog), flush_interval=0.02, batch_size=10)
    sink.start()

    for number in range(25):
        sink.emit(event(number))
    await asyncio.sleep(0.2)
    await sink.stop()

    assert stored_count(catalog) == 25
    assert [stored.reason for stored in catalog.audit_events(limit=25)][-1] == "event 0"
