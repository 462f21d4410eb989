"""The serving context: everything a request needs, built once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from groundwork.catalog.access import AccessController
from groundwork.catalog.audit import AuditSink
from groundwork.catalog.policy import ObjectType, Securable
from groundwork.catalog.store import Catalog
from groundwork.dag.executor import Executor
from groundwork.dag.http.guard import Guard
from groundwork.dag.http.metrics import Metrics
from groundwork.dag.runtime import CompiledEndpoint
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineStore


@dataclass(slots=True)
class ServingContext:
    """Everything a request needs, built once at start-up by the composition root.

    Attributes:
        endpoints: Compiled endpoints by name.
        stores: Open online stores by name; ``primary_store`` is always there.
        view_stores: View name to the name of the store serving it.
        primary_store: Name of the store serving every view not in ``view_stores``.
        catalog: The catalog (for the admin API).
        access: Authentication and authorization with a decision cache.
        audit: Non-blocking audit sink.
        metrics: Prometheus metrics of this process.
        views: The served feature views by name (for the Feast door).
        feature_services: Feature service name to the names of its views (each
            served whole), for the Feast door.
        guard: The guard every door admits calls through (built from the above).
    """

    endpoints: Mapping[str, CompiledEndpoint]
    stores: Mapping[str, OnlineStore]
    view_stores: Mapping[str, str]
    primary_store: str
    catalog: Catalog
    access: AccessController
    audit: AuditSink
    metrics: Metrics
    views: Mapping[str, ViewSpec] = field(default_factory=dict)
    feature_services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    guard: Guard = field(init=False)
    securables: dict[str, Securable] = field(default_factory=dict)
    """Endpoint name to its :class:`Securable`, built once per name."""
    executors: dict[str, Executor] = field(default_factory=dict)
    """Endpoint name to its plan bound to the stores, built on the first call."""

    def __post_init__(self) -> None:
        self.guard = Guard(self.access, self.audit, self.metrics)
        self.metrics.watch_audit(self.audit.health)

    def executor(self, endpoint: CompiledEndpoint) -> Executor:
        """The endpoint's plan bound to the stores serving its views."""
        executor = self.executors.get(endpoint.name)
        if executor is None:
            executor = self.executors[endpoint.name] = Executor(endpoint.plan, self.store_for)
        return executor

    def securable(self, name: str) -> Securable:
        """The securable of the endpoint called ``name`` (known or not)."""
        securable = self.securables.get(name)
        if securable is None:
            securable = Securable(ObjectType.ENDPOINT, name)
            if name in self.endpoints:  # unknown names are not kept: callers choose them
                self.securables[name] = securable
        return securable

    @property
    def store(self) -> OnlineStore:
        """The primary online store."""
        return self.stores[self.primary_store]

    def store_for(self, view: ViewSpec) -> OnlineStore:
        """The store that serves ``view``: its configured one, else the primary."""
        return self.stores[self.view_stores.get(view.name, self.primary_store)]
