"""The audit shipper: every spooled event reaches the catalog once, whatever stops midway.

Spool files are written by a real :class:`AuditSink` and shipped into a SQLite
catalog (PostgreSQL, with COPY: ``tests/integration/test_audit_kill.py``).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from groundwork.catalog.audit import AuditSink
from groundwork.catalog.shipper import AuditShipper
from groundwork.catalog.spool import MAX_LINE_BYTES, SpoolWriter
from groundwork.catalog.store import Catalog
from tests.unit.catalog.test_audit import event, stored

Outage = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    """The spool directory (beside the catalog's file)."""
    directory = tmp_path / "spool"
    directory.mkdir()
    return directory


def spool_events(catalog: Catalog, spool: Path, numbers: range, **options: int) -> AuditSink:
    sink = AuditSink(catalog.spool_files, spool_dir=spool, **options)
    for number in numbers:
        sink.emit(event(number))
    return sink


def test_concurrent_shippers_store_each_event_once(catalog: Catalog, spool: Path) -> None:
    spool_events(catalog, spool, range(3000), max_file_bytes=40_000).seal()
    shippers = [AuditShipper(catalog.spool_files, spool, chunk_bytes=MAX_LINE_BYTES)
                for _ in range(3)]

    threads = [threading.Thread(target=shipper.ship) for shipper in shippers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for shipper in shippers:
        shipper.ship()  # whatever a pass stopped short of

    assert Counter(event.trace_id for event in stored(catalog)) == Counter(
        f"trace-{number}" for number in range(3000))
    assert list(spool.iterdir()) == []


def test_a_live_writers_file_is_shipped_as_it_grows_and_deleted_once_sealed(
    catalog: Catalog, spool: Path
) -> None:
    sink = spool_events(catalog, spool, range(3))
    shipper = AuditShipper(catalog.spool_files, spool)

    assert shipper.ship().written == 3
    spool_events_into(sink, range(3, 5))
    report = shipper.ship()
    assert (report.written, report.deleted) == (2, 0)  # still held by its writer
    sink.seal()
    report = shipper.ship()
    assert (report.written, report.deleted) == (0, 1)

    assert stored(catalog) == [event(number) for number in range(5)]


def spool_events_into(sink: AuditSink, numbers: range) -> None:
    for number in numbers:
        sink.emit(event(number))


def test_a_torn_line_of_a_dead_writer_is_dropped_and_the_rest_shipped(
    catalog: Catalog, spool: Path
) -> None:
    sink = spool_events(catalog, spool, range(2))
    (spooled,) = spool.glob("*.log")
    with spooled.open("ab") as file:
        file.write(b'["2030-01-01T00:00:00+00:00", "torn')  # no newline: the disk filled up
    sink.seal()

    report = AuditShipper(catalog.spool_files, spool).ship()

    assert (report.written, report.dropped, report.deleted) == (2, 1, 1)
    assert stored(catalog) == [event(0), event(1)]


def test_an_unavailable_catalog_takes_nothing_then_everything_once(
    catalog: Catalog, database_outage: Outage, spool: Path
) -> None:
    spool_events(catalog, spool, range(100)).seal()
    shipper = AuditShipper(catalog.spool_files, spool)
    with database_outage():
        report = shipper.ship()
    assert (report.stored, report.error) == (0, "OperationalError")

    assert shipper.ship().written == 100
    assert shipper.ship().written == 0
    assert stored(catalog) == [event(number) for number in range(100)]


def test_a_draft_left_by_a_writer_killed_before_publishing_it_is_removed(
    catalog: Catalog, spool: Path
) -> None:
    (spool / "1-2-000000.tmp").write_bytes(b"")
    live = SpoolWriter(spool)
    live.append(b"[]\n")  # a live writer's published file is left alone

    AuditShipper(catalog.spool_files, spool).ship()

    assert live.current is not None and os.listdir(spool) == [live.current.name]
    live.close()


def test_events_after_a_seal_go_to_a_new_file(catalog: Catalog, spool: Path) -> None:
    sink = spool_events(catalog, spool, range(2))
    sink.seal()
    spool_events_into(sink, range(2, 4))
    sink.seal()

    assert len(os.listdir(spool)) == 2
    assert AuditShipper(catalog.spool_files, spool).ship().written == 4
    assert stored(catalog) == [event(number) for number in range(4)]
