"""Prometheus metrics of the serving process, one registry per app.

Calls are counted in plain Python numbers and turned into Prometheus metric
families only when ``/metrics`` is scraped. ``prometheus_client``'s own metric
objects take a lock per update and, once ``PROMETHEUS_MULTIPROC_DIR`` is set
(Feast sets it on import, and the server imports Feast to read the feature
definitions), write every update to a memory-mapped file; both would cost more
than the rest of a one-entity call. Every update and every scrape runs on the
event loop's thread, so nothing here needs a lock.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from groundwork.catalog.audit import AuditHealth

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
"""Upper bounds of the latency histogram's buckets, in seconds (``+Inf`` follows)."""


class _Latency:
    """One endpoint's latency histogram: a count per bucket, and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0


class Metrics(Collector):
    """Request latency and outcome per endpoint, and the audit writer's health."""

    def __init__(self) -> None:
        self._latency: dict[str, _Latency] = {}
        self._calls: dict[tuple[str, int], int] = {}
        self._audit_health: Callable[[], AuditHealth] | None = None
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def watch_audit(self, health: Callable[[], AuditHealth]) -> None:
        """Report the audit writer's health, read from ``health`` on every scrape."""
        self._audit_health = health

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        """Record one call."""
        latency = self._latency.get(endpoint)
        if latency is None:
            latency = self._latency[endpoint] = _Latency()
        latency.counts[bisect_left(BUCKETS, seconds)] += 1
        latency.total += seconds
        key = (endpoint, status)
        self._calls[key] = self._calls.get(key, 0) + 1

    def collect(self) -> Iterator[Metric]:
        """The metric families, as of now (called by the registry on a scrape)."""
        latency = HistogramMetricFamily("groundwork_endpoint_latency_seconds",
                                        "Endpoint call latency.", labels=["endpoint"])
        for endpoint, histogram in sorted(self._latency.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*map(str, BUCKETS), "+Inf"), histogram.counts,
                                    strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([endpoint], buckets, histogram.total)
        yield latency
        calls = CounterMetricFamily("groundwork_endpoint_calls", "Endpoint calls by HTTP status.",
                                    labels=["endpoint", "status"])
        for (endpoint, status), count in sorted(self._calls.items()):
            calls.add_metric([endpoint, str(status)], count)
        yield calls
        if self._audit_health is not None:
            yield from _audit_metrics(self._audit_health())


def _audit_metrics(health: AuditHealth) -> Iterator[Metric]:
    """The audit writer's in-memory queue, outcome counters and last failure time."""
    yield GaugeMetricFamily("groundwork_audit_pending_events",
                            "Audit events held in memory (none: each is spooled when emitted).",
                            value=health.pending)
    yield CounterMetricFamily("groundwork_audit_events_written",
                              "Audit events spooled whole, for the shipper.", value=health.written)
    yield CounterMetricFamily("groundwork_audit_events_reduced",
                              "Audit events spooled in reduced form (no storable form otherwise).",
                              value=health.reduced)
    dropped = CounterMetricFamily("groundwork_audit_events_dropped",
                                  "Audit events lost: the spool could not take them "
                                  "(unwritable), or none waits in memory (overflow, always 0).",
                                  labels=["reason"])
    dropped.add_metric(["unwritable"], health.dropped_unwritable)
    dropped.add_metric(["overflow"], health.dropped_overflow)
    yield dropped
    if health.last_error_at is not None:
        yield GaugeMetricFamily("groundwork_audit_last_error_timestamp_seconds",
                                "When spooling or shipping audit events last failed "
                                "(Unix time).",
                                value=health.last_error_at.timestamp())
