"""The audit sink: emit never blocks, batches reach the catalog, nothing poisons or stops it.

Runs on SQLite here and on PostgreSQL in ``tests/integration/test_catalog_postgres.py``.
No test waits for time to pass: flushes are called, or awaited with
:meth:`AuditSink.next_flush` (under a timeout that only guards against a hang).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import func, select
from tenacity import RetryCallState

from groundwork.catalog.audit import AuditEvent, AuditHealth, AuditSink
from groundwork.catalog.events import CHANNEL_LIMIT, NAME_LIMIT, REASON_LIMIT, TRACE_ID_LIMIT
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


Outage = Callable[[], AbstractContextManager[None]]
GUARD_SECONDS = 30
"""Timeout around awaiting an event the writer sets: only a hang would reach it."""
LATER = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
"""What the sinks' injected clock reads, as the time of their last error."""


def stored(catalog: Catalog) -> list[AuditEvent]:
    """Every stored event, oldest first."""
    return list(reversed(catalog.audit_events(limit=10_000)))


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
    sink = AuditSink(catalog, flush_interval=3600, batch_size=100)
    sink.start()
    try:
        flushed = sink.next_flush()
        for number in range(100):
            sink.emit(event(number))
        await asyncio.wait_for(flushed, GUARD_SECONDS)  # the 100th event woke the writer
        assert stored_count(catalog) == 100
    finally:
        await sink.stop()


async def test_events_are_written_every_interval(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=0.01)
    sink.start()
    try:
        flushed = sink.next_flush()
        sink.emit(event(1))
        await asyncio.wait_for(flushed, GUARD_SECONDS)  # only the interval wakes the writer
        assert stored_count(catalog) == 1
    finally:
        await sink.stop()


async def test_events_emitted_from_other_threads_are_kept(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=3600, batch_size=50)
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


def call(sink: AuditSink, **fields: Any) -> None:
    """One call recorded as the guard records it, with ``fields`` changed."""
    sink.record(**{"principal": "planner", "object_type": ObjectType.ENDPOINT,
                   "object_name": "user_profile", "privilege": Privilege.EXECUTE,
                   "allowed": True, "reason": "granted", "status_code": 200,
                   "latency_ms": 0.5, "trace_id": "trace", "channel": "rest", **fields})


MEGABYTE = 1 << 20
POISONS: dict[str, dict[str, str]] = {
    "a 300-character name": {"object_name": "n" * 300},
    "a 60 KB name": {"object_name": "n" * 60_000},
    "a NUL in the name": {"object_name": "a\x00b"},
    "a 100-character trace id": {"trace_id": "t" * 100},
    "a 1 MB trace id": {"trace_id": "t" * MEGABYTE},
    "a 1 MB reason": {"reason": "r" * MEGABYTE},
    "a NUL and a lone surrogate in the reason": {"reason": "bad\x00 \udcff byte"},
    "a 40-character channel": {"channel": "c" * 40},
}
LIMITS = {"object_name": NAME_LIMIT, "trace_id": TRACE_ID_LIMIT, "reason": REASON_LIMIT,
          "channel": CHANNEL_LIMIT}


def assert_cut(stored_text: str, sent: str, limit: int) -> None:
    """``stored_text`` is the start of ``sent`` and a marker counting the characters cut."""
    kept, marker, cut = stored_text.partition("…[+")
    assert len(stored_text) <= limit and marker and cut.endswith("]")
    assert sent.startswith(kept) and len(kept) + int(cut[:-1]) == len(sent)


async def test_poisonous_values_are_stored_bounded_and_hold_back_nothing(catalog: Catalog) -> None:
    sink = AuditSink(catalog, flush_interval=3600)
    for index, poison in enumerate(POISONS.values()):
        call(sink, trace_id=f"before-{index}")
        call(sink, principal=f"caller-{index}", **poison)
    assert await sink.flush() == 2 * len(POISONS)
    call(sink, trace_id="in a later batch")
    assert await sink.flush() == 1

    events = {stored_event.principal: stored_event for stored_event in stored(catalog)
              if stored_event.principal != "planner"}
    for index, (field, sent) in enumerate(item for poison in POISONS.values()
                                          for item in poison.items()):
        value = getattr(events[f"caller-{index}"], field)
        if len(sent) > LIMITS[field]:
            assert_cut(value, sent, LIMITS[field])
        else:
            assert value == sent.replace("\x00", "\ufffd").replace("\udcff", "\ufffd")
    normal = [event for event in stored(catalog) if event.principal == "planner"]
    assert sorted(event.trace_id for event in normal) == sorted(
        [*(f"before-{index}" for index in range(len(POISONS))), "in a later batch"])
    assert {(event.object_name, event.reason, event.channel) for event in normal} == {
        ("user_profile", "granted", "rest")}
    assert (sink.written, sink.reduced, sink.dropped, sink.last_error_at) == (
        2 * len(POISONS) + 1, 0, 0, None)


async def test_events_the_catalog_refuses_are_stored_reduced_and_block_nothing(
    catalog: Catalog,
) -> None:
    naive = dataclasses.replace(event(3), ts=event(3).ts.replace(tzinfo=None))
    unknown_type = dataclasses.replace(event(6), object_type="bogus")  # type: ignore[arg-type]
    sink = AuditSink(catalog, flush_interval=3600, batch_size=10, now=lambda: LATER)
    for number in range(12):
        sink.emit({3: naive, 6: unknown_type}.get(number, event(number)))
    assert await sink.flush() == 12
    for number in range(20, 25):
        sink.emit(event(number))
    assert await sink.flush() == 5

    reduced = {"ts": None, "principal": None, "object_type": ObjectType.ENDPOINT,
               "object_name": "unrecordable", "reason": "InvalidInput", "trace_id": ""}
    assert stored(catalog) == [
        *(event(number) for number in range(3)),
        dataclasses.replace(event(3), **{**reduced, "ts": event(3).ts}),
        *(event(number) for number in range(4, 6)),
        dataclasses.replace(event(6), **{**reduced, "ts": event(6).ts}),
        *(event(number) for number in [*range(7, 12), *range(20, 25)]),
    ]
    assert sink.health() == AuditHealth(pending=0, written=15, reduced=2, dropped_unwritable=0,
                                        dropped_overflow=0, last_error_at=LATER,
                                        last_error="InvalidInput")


async def test_an_unavailable_catalog_keeps_events_pending_up_to_the_bound(
    catalog: Catalog, database_outage: Outage
) -> None:
    sink = AuditSink(catalog, flush_interval=3600, batch_size=10, max_pending=50,
                     now=lambda: LATER)
    with database_outage():
        for number in range(80):
            sink.emit(event(number))
        assert await sink.flush() == 0
        assert await sink.flush() == 0
    assert sink.health() == AuditHealth(pending=50, written=0, reduced=0, dropped_unwritable=0,
                                        dropped_overflow=30, last_error_at=LATER,
                                        last_error="Unavailable")

    assert await sink.flush() == 50

    assert stored(catalog) == [event(number) for number in range(30, 80)]
    assert (sink.pending, sink.written, sink.dropped) == (0, 50, 30)


async def test_the_writer_backs_off_while_the_catalog_is_unavailable(
    catalog: Catalog, database_outage: Outage
) -> None:
    attempts: list[int] = []

    def backoff(state: RetryCallState) -> float:
        attempts.append(state.attempt_number)
        return 3600.0

    sink = AuditSink(catalog, flush_interval=3600, batch_size=10, backoff=backoff)
    sink.start()
    try:
        with database_outage():
            flushed = sink.next_flush()
            for number in range(10):
                sink.emit(event(number))
            await asyncio.wait_for(flushed, GUARD_SECONDS)
            retried = sink.next_flush()
            for _ in range(100):
                await asyncio.sleep(0)  # let the writer run, if it wanted to
            assert attempts == [1] and not retried.done() and sink.pending == 10
    finally:
        await sink.stop()  # the catalog is back: stop cuts the wait short and writes

    assert stored(catalog) == [event(number) for number in range(10)]
    assert sink.pending == 0


async def test_stop_during_an_outage_returns_and_keeps_the_events(
    catalog: Catalog, database_outage: Outage
) -> None:
    sink = AuditSink(catalog, flush_interval=3600)
    sink.start()
    with database_outage():
        for number in range(5):
            sink.emit(event(number))
        await sink.stop()
        assert sink.pending == 5

    assert await sink.flush() == 5
    assert stored_count(catalog) == 5
