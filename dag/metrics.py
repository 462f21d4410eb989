"""Prometheus metrics of the serving process, one registry per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    """Request latency and outcome per endpoint."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "groundwork_endpoint_latency_seconds", "Endpoint call latency.", ["endpoint"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.calls = Counter(
            "groundwork_endpoint_calls", "Endpoint calls by HTTP status.",
            ["endpoint", "status"], registry=self.registry,
        )

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        """Record one call."""
        self.latency.labels(endpoint).observe(seconds)
        self.calls.labels(endpoint, str(status)).inc()
