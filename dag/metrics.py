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
        self._children: dict[tuple[str, int], tuple[Histogram, Counter]] = {}
        """Label-bound children per (endpoint, status): ``labels()`` costs more than a dict."""

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        """Record one call."""
        children = self._children.get((endpoint, status))
        if children is None:
            children = (self.latency.labels(endpoint), self.calls.labels(endpoint, str(status)))
            self._children[(endpoint, status)] = children
        latency, calls = children
        latency.observe(seconds)
        calls.inc()
