"""The audit sink: every event is spooled when emitted, shipped whole or reduced, never lost.

Runs on SQLite here and on PostgreSQL in ``tests/integration/test_catalog_postgres.py``;
the shipper's own rules are in ``test_shipper.py``. No test waits for time to
pass: the sink ships on :meth:`AuditSink.flush` and :meth:`AuditSink.stop`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

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
LATER = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
"""What the sinks' injected clock reads, as the time of their last error."""


def sink_of(catalog: Catalog, spool: Path, **options: Any) -> AuditSink:
    """A sink spooling under ``spool`` and shipping into ``catalog``."""
    return AuditSink(catalog.spool_files, spool_dir=spool, **options)


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


async def test_recorded_calls_are_stamped_now_in_utc_and_stored_whole(
    catalog: Catalog, tmp_path: Path
) -> None:
    sink = sink_of(catalog, tmp_path)
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


async def test_an_event_is_in_the_spool_when_emit_returns(catalog: Catalog, tmp_path: Path) -> None:
    sink = sink_of(catalog, tmp_path / "spool")
    sink.emit(event(1))

    (spooled,) = (tmp_path / "spool").glob("*.log")
    assert b'"trace-1"' in spooled.read_bytes() and stored_count(catalog) == 0
    assert await sink.flush() == 1
    assert stored(catalog) == [event(1)]


async def test_stop_ships_every_event_across_rotated_files(
    catalog: Catalog, tmp_path: Path
) -> None:
    sink = sink_of(catalog, tmp_path / "spool", max_file_bytes=20_000)
    sink.start()

    for number in range(2000):
        sink.emit(event(number))
    assert len(list((tmp_path / "spool").glob("*.log"))) > 5
    await sink.stop()

    assert stored(catalog) == [event(number) for number in range(2000)]
    assert list((tmp_path / "spool").iterdir()) == []  # sealed and shipped: deleted
    assert (sink.written, sink.pending, sink.dropped) == (2000, 0, 0)


async def test_events_emitted_from_other_threads_are_kept(
    catalog: Catalog, tmp_path: Path
) -> None:
    sink = sink_of(catalog, tmp_path, max_file_bytes=50_000)
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

    assert sorted(event.trace_id for event in stored(catalog)) == sorted(
        f"trace-{1000 * n + number}" for n in range(4) for number in range(500))


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


async def test_poisonous_values_are_stored_bounded_and_hold_back_nothing(
    catalog: Catalog, tmp_path: Path
) -> None:
    sink = sink_of(catalog, tmp_path)
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
    catalog: Catalog, tmp_path: Path
) -> None:
    naive = dataclasses.replace(event(3), ts=event(3).ts.replace(tzinfo=None))
    unknown_type = dataclasses.replace(event(6), object_type="bogus")  # type: ignore[arg-type]
    sink = sink_of(catalog, tmp_path)
    for number in range(12):
        sink.emit({3: naive, 6: unknown_type}.get(number, event(number)))
    assert await sink.flush() == 12
    for number in range(20, 25):
        sink.emit(event(number))
    assert await sink.flush() == 5

    reduced = {"principal": None, "object_type": ObjectType.ENDPOINT,
               "object_name": "unrecordable", "reason": "InvalidInput", "trace_id": ""}
    assert stored(catalog) == [
        *(event(number) for number in range(3)),
        dataclasses.replace(event(3), **reduced),
        *(event(number) for number in range(4, 6)),
        dataclasses.replace(event(6), **reduced),
        *(event(number) for number in [*range(7, 12), *range(20, 25)]),
    ]


async def test_an_event_no_json_holds_is_spooled_reduced(catalog: Catalog, tmp_path: Path) -> None:
    sink = sink_of(catalog, tmp_path, now=lambda: LATER)
    sink.emit(dataclasses.replace(event(1), ts=object()))  # type: ignore[arg-type]
    sink.emit(event(2))
    await sink.stop()

    odd, normal = stored(catalog)
    assert (odd.object_name, odd.reason, odd.trace_id) == ("unrecordable", "TypeError", "")
    assert normal == event(2)
    assert sink.health() == AuditHealth(pending=0, written=1, reduced=1, dropped_unwritable=0,
                                        dropped_overflow=0, last_error_at=None, last_error=None)


async def test_a_spool_that_cannot_be_written_drops_and_counts_then_recovers(
    catalog: Catalog, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.write_text("a file where the directory should be")
    sink = sink_of(catalog, spool, now=lambda: LATER)

    for number in range(3):
        sink.emit(event(number))  # never raises
    assert sink.health() == AuditHealth(pending=0, written=0, reduced=0, dropped_unwritable=3,
                                        dropped_overflow=0, last_error_at=LATER,
                                        last_error="FileExistsError")
    spool.unlink()
    sink.emit(event(3))
    await sink.stop()

    assert stored(catalog) == [event(3)]
    assert (sink.written, sink.dropped) == (1, 3)


async def test_an_unavailable_catalog_leaves_the_events_in_the_spool(
    catalog: Catalog, database_outage: Outage, tmp_path: Path
) -> None:
    sink = sink_of(catalog, tmp_path / "spool", now=lambda: LATER)
    sink.start()
    with database_outage():
        for number in range(5):
            sink.emit(event(number))
        await sink.stop()  # returns, nothing shipped
        assert sink.health().last_error_at == LATER

    assert list((tmp_path / "spool").glob("*.log"))
    assert await sink.flush() == 5
    assert stored(catalog) == [event(number) for number in range(5)]
