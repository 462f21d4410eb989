"""The serving context and the one service function every invoke route calls."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from random import getrandbits
from typing import Any

import orjson
from pydantic import ValidationError

from groundwork.catalog.access import AccessController
from groundwork.catalog.audit import AuditSink
from groundwork.catalog.policy import ObjectType, Principal, Privilege, Securable
from groundwork.catalog.store import Catalog
from groundwork.dag.executor import Executor
from groundwork.dag.http_errors import invalid_input
from groundwork.dag.metrics import Metrics
from groundwork.dag.runtime import CompiledEndpoint
from groundwork.errors import AccessDenied, EndpointNotFound, GroundworkError
from groundwork.features.spec import ViewSpec
from groundwork.settings import PRIMARY as PRIMARY_STORE
from groundwork.sync.base import OnlineStore

_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


@dataclass(slots=True)
class ServingContext:
    """Everything a request needs, built once at start-up.

    Attributes:
        endpoints: Compiled endpoints by name.
        stores: Open online stores by name; ``primary`` is always there.
        view_stores: View name to the name of the store serving it.
        catalog: The catalog (for the admin API).
        access: Authentication and authorization with a decision cache.
        audit: Non-blocking audit sink.
        metrics: Prometheus metrics of this process.
    """

    endpoints: Mapping[str, CompiledEndpoint]
    stores: Mapping[str, OnlineStore]
    view_stores: Mapping[str, str]
    catalog: Catalog
    access: AccessController
    audit: AuditSink
    metrics: Metrics
    securables: dict[str, Securable] = field(default_factory=dict)
    """Endpoint name to its :class:`Securable`, built once per name."""
    executors: dict[str, Executor] = field(default_factory=dict)
    """Endpoint name to its plan bound to the stores, built on the first call."""

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
        return self.stores[PRIMARY_STORE]

    def store_for(self, view: ViewSpec) -> OnlineStore:
        """The store that serves ``view``: its configured one, else the primary."""
        return self.stores[self.view_stores.get(view.name, PRIMARY_STORE)]


def new_trace_id() -> str:
    """A random 128-bit trace id as 32 hex digits (the W3C trace-context format).

    Trace ids correlate events; they guard nothing, so the fast PRNG serves.
    """
    return f"{getrandbits(128):032x}"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def check_entity_filter(principal: Principal, inputs: Mapping[str, Any]) -> None:
    """Refuse inputs outside the entities the caller's token is bound to."""
    if not principal.entity_filter:
        return
    for name, allowed in principal.entity_filter.items():
        if name in inputs and inputs[name] != allowed:
            raise AccessDenied(
                f"token of {principal.name!r} is bound to {name}={allowed!r}",
                field=name,
            )


async def invoke(
    context: ServingContext, *, name: str, token: str | None, body: bytes, trace_id: str | None
) -> bytes:
    """Authorize, validate, execute and audit one endpoint call; return the JSON body.

    Raises:
        GroundworkError: a subclass with the HTTP status of the failure.
    """
    started = time.perf_counter()
    trace = trace_id or new_trace_id()
    principal: Principal | None = None
    status = 200
    allowed = False
    reason = ""
    try:
        principal = context.access.authenticate(token)
        decision = context.access.authorize(principal, context.securable(name),
                                            Privilege.EXECUTE)
        reason, allowed = decision.reason, decision.allowed
        endpoint = context.endpoints.get(name)
        if not decision.allowed:
            raise AccessDenied(decision.reason, endpoint=name)
        if endpoint is None:
            raise EndpointNotFound(f"no endpoint named {name!r}", endpoint=name)
        try:
            inputs = endpoint.schemas.request.model_validate_json(body or b"{}").__dict__
        except ValidationError as error:
            raise invalid_input(error) from None
        check_entity_filter(principal, inputs)
        violations = decision.violations(inputs)
        if violations:
            field, value = next(iter(violations.items()))
            raise AccessDenied(f"the grant allows {name} only for {field}={value!r}",
                               field=field)
        execution = await context.executor(endpoint)(inputs)
        return orjson.dumps(
            {"endpoint": name, "outputs": execution.outputs, "freshness": execution.freshness,
             "errors": execution.errors, "trace_id": trace},
            option=_JSON_OPTIONS,
        )
    except GroundworkError as error:
        status = error.status_code
        if isinstance(error, AccessDenied):
            allowed, reason = False, error.message
        reason = reason or error.message
        raise
    finally:
        elapsed = time.perf_counter() - started
        context.metrics.observe(name if name in context.endpoints else "unknown", status, elapsed)
        context.audit.record(None if principal is None else principal.name,
                             ObjectType.ENDPOINT, name, Privilege.EXECUTE, allowed, reason, status,
                             elapsed * 1000, trace)
