"""The metrics of a serving process: the audit writer's health beside the endpoint calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from prometheus_client import generate_latest

from groundwork.catalog.audit import AuditEvent, AuditSink
from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.catalog.store import open_catalog
from groundwork.dag.http.metrics import Metrics

FAILED_AT = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
CALL = AuditEvent(ts=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), principal="planner",
                  object_type=ObjectType.ENDPOINT, object_name="user_profile",
                  privilege=Privilege.EXECUTE, allowed=True, reason="granted", status_code=200,
                  latency_ms=0.5, trace_id="t1")


def samples(metrics: Metrics) -> set[str]:
    return set(generate_latest(metrics.registry).decode().splitlines())


async def test_the_audit_writers_health_is_exported(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.write_text("a file where the spool directory should be")
    with open_catalog(f"sqlite:///{tmp_path / 'catalog.db'}") as catalog:
        sink = AuditSink(catalog.spool_files, spool_dir=spool, now=lambda: FAILED_AT)
        metrics = Metrics()
        metrics.watch_audit(sink.health)
        sink.emit(CALL)  # the spool cannot be written: dropped and counted
        assert 'groundwork_audit_events_dropped_total{reason="unwritable"} 1.0' in samples(
            metrics)
        spool.unlink()
        for event in (CALL, dataclasses.replace(CALL, ts=object())):
            sink.emit(event)  # no JSON holds the second one's time: it is spooled reduced

        await sink.flush()

    assert {
        "groundwork_audit_pending_events 0.0",
        "groundwork_audit_events_written_total 1.0",
        "groundwork_audit_events_reduced_total 1.0",
        'groundwork_audit_events_dropped_total{reason="unwritable"} 1.0',
        'groundwork_audit_events_dropped_total{reason="overflow"} 0.0',
    } <= samples(metrics)
    (failed_at,) = [line.split()[1] for line in samples(metrics)
                    if line.startswith("groundwork_audit_last_error_timestamp_seconds ")]
    assert float(failed_at) == FAILED_AT.timestamp()


def test_no_audit_metrics_until_a_sink_is_watched() -> None:
    assert not any(line.startswith("groundwork_audit") for line in samples(Metrics()))
