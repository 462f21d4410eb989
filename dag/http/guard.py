"""The one guard every door passes: authenticate, authorize, time, audit.

Endpoint calls, the tool listing and the admin API (and any other door, such
as MCP tool listing and tool calls, which are the same two operations) do
their work inside one :class:`Admission`::

    with guard.admit(channel="rest", token=token, privilege=Privilege.EXECUTE,
                     securable=Securable(ObjectType.ENDPOINT, name)) as admission:
        ...  # admission.principal, admission.check_entities(inputs), admission.trace_id

Entering authenticates the bearer token and, when the door names a securable,
authorizes the privilege on it through the catalog's
:class:`~groundwork.catalog.access.AccessController`, raising
:class:`~groundwork.errors.NotAuthenticated` or
:class:`~groundwork.errors.AccessDenied`. Leaving, with or without an error,
records the call's status and latency in the metrics (when the door names a
metric) and queues its audit event. On a warm cache nothing here does I/O, and
the audit sink never blocks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from random import getrandbits
from types import TracebackType
from typing import Any, Literal

from groundwork.catalog.access import AccessController
from groundwork.catalog.audit import AuditSink
from groundwork.catalog.policy import Decision, Principal, Privilege, Securable, check_entities
from groundwork.dag.http.limits import valid_trace_id
from groundwork.dag.http.metrics import Metrics
from groundwork.dag.http.render import status_of
from groundwork.errors import TRACE_ID, AccessDenied, GroundworkError

Channel = Literal["rest", "mcp", "admin"]
"""The door a call came through."""


def new_trace_id() -> str:
    """A random 128-bit trace id as 32 hex digits (the W3C trace-context format).

    Trace ids correlate events; they guard nothing, so the fast PRNG serves
    (and ``bytes.hex`` formats it in half the time of a format string).
    """
    return getrandbits(128).to_bytes(16, "big").hex()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class Guard:
    """Admits calls for every door: one authentication, authorization and audit path.

    Args:
        access: Authentication and authorization with a decision cache.
        audit: Non-blocking audit sink.
        metrics: Latency and status per endpoint.
        clock: Seconds on a monotonic clock, for latencies (tests may pass their own).
    """

    __slots__ = ("access", "audit", "metrics", "clock")

    def __init__(self, access: AccessController, audit: AuditSink, metrics: Metrics, *,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.access = access
        self.audit = audit
        self.metrics = metrics
        self.clock = clock

    def admit(
        self,
        *,
        channel: Channel,
        token: str | None,
        privilege: Privilege,
        securable: Securable | None,
        audit_as: Securable | None = None,
        trace_id: str | None = None,
        metric: str | None = None,
        missing: GroundworkError | None = None,
    ) -> Admission:
        """The admission of one call, to enter with ``with``.

        Args:
            channel: The door: ``rest``, ``mcp`` or ``admin``.
            token: The bearer token presented, ``None`` when absent.
            privilege: The privilege the call needs.
            securable: What ``privilege`` is checked on when entering; ``None``
                when the door checks each item it returns instead
                (:meth:`Admission.allows`), as a listing does.
            audit_as: The object the audit event names (default: ``securable``).
            trace_id: The caller's request id (``X-Request-ID``); a new one when
                ``None`` or not a valid trace id (:data:`~groundwork.dag.http.limits.TRACE_ID`).
            metric: Label the call's latency and status are observed under;
                ``None`` records no metric.
            missing: The error to raise once the caller is authorized, when the
                object the call names does not exist (``EndpointNotFound``).
                Authorization comes first, so a caller without a grant on the
                name learns nothing of which names exist.

        Raises:
            TypeError: when neither ``securable`` nor ``audit_as`` is given.
        """
        audited = audit_as or securable
        if audited is None:
            raise TypeError("an admission needs a securable or an object to audit it as")
        return Admission(self, channel, token, privilege, securable, audited,
                         valid_trace_id(trace_id) or new_trace_id(), metric, missing)


class Admission:
    """One call inside the guard, from authentication to its audit event.

    Attributes:
        channel: The door the call came through.
        trace_id: Identifier of the call in the audit log.
        principal: The authenticated caller (set on entering).
        decision: The authorization decision on the door's securable; ``None``
            when the door checks each item itself.
        status: HTTP status of the outcome; a door sets it when it succeeds with
            another status than 200, errors set it themselves.
        reason: Why the call was allowed or refused, for the audit event; a
            listing door says what it listed.
    """

    # Defaults at class level: a call sets only what its outcome changes.
    principal: Principal | None = None
    decision: Decision | None = None
    allowed: bool = False
    reason: str = ""
    status: int = 200

    def __init__(self, guard: Guard, channel: Channel, token: str | None, privilege: Privilege,
                 securable: Securable | None, audited: Securable, trace_id: str,
                 metric: str | None, missing: GroundworkError | None = None) -> None:
        self._guard = guard
        self.channel = channel
        self._token = token
        self._privilege = privilege
        self._securable = securable
        self._audited = audited
        self.trace_id = trace_id
        self._metric = metric
        self._missing = missing
        self._started = guard.clock()

    def __enter__(self) -> Admission:
        """Authenticate, authorize on the securable, refuse a missing object (refusals are audited).

        Until the call ends, :data:`~groundwork.errors.TRACE_ID` holds its trace id,
        so what the executor and the stores log carries it.
        """
        self._trace = TRACE_ID.set(self.trace_id)
        access = self._guard.access
        try:
            principal = self.principal = access.authenticate(self._token)
            securable = self._securable
            if securable is None:
                self.allowed = True
                return self
            decision = self.decision = access.authorize(principal, securable, self._privilege)
            self.allowed, self.reason = decision.allowed, decision.reason
            if not decision.allowed:
                raise AccessDenied(decision.reason, privilege=self._privilege.value,
                                   **{securable.object_type.value: securable.name})
            if self._missing is not None:
                raise self._missing
        except BaseException as error:
            self.__exit__(type(error), error, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        """Observe and audit the call's outcome; errors propagate."""
        TRACE_ID.reset(self._trace)
        guard = self._guard
        elapsed = guard.clock() - self._started
        status, allowed, reason = self.status, self.allowed, self.reason
        if error is not None:
            status = status_of(error)
            if isinstance(error, AccessDenied):
                allowed, reason = False, error.message
            elif isinstance(error, GroundworkError):
                reason = reason or error.message
        if self._metric is not None:
            guard.metrics.observe(self._metric, status, elapsed)
        principal, audited = self.principal, self._audited
        guard.audit.record(None if principal is None else principal.name, audited.object_type,
                           audited.name, self._privilege, allowed, reason, status,
                           elapsed * 1000, self.trace_id, self.channel)

    def allows(self, securable: Securable) -> bool:
        """Whether the caller holds the admission's privilege on ``securable`` (for listings)."""
        assert self.principal is not None, "enter the admission first"
        return self._guard.access.authorize(self.principal, securable, self._privilege).allowed

    def authorize(self, securable: Securable) -> Decision:
        """Authorize the admission's privilege on one of the objects a call reads.

        For a door whose call names its objects in the body (read after
        authentication), so it is admitted without a securable and checks each
        object here; a refusal raised from here is audited as the call's outcome.

        Raises:
            AccessDenied: when the caller holds no grant covering ``securable``.
        """
        assert self.principal is not None, "enter the admission first"
        decision = self._guard.access.authorize(self.principal, securable, self._privilege)
        if not decision.allowed:
            raise AccessDenied(decision.reason, privilege=self._privilege.value,
                               **{securable.object_type.value: securable.name})
        return decision

    def audit_as(self, securable: Securable) -> None:
        """Name ``securable`` in the call's audit event (once the body said what it reads)."""
        self._audited = securable

    def check_entities(self, inputs: Mapping[str, Any], decision: Decision | None = None) -> None:
        """Refuse inputs outside the entities the caller's token and grant allow.

        Args:
            inputs: Input name to value.
            decision: The grant decision bounding the inputs (default: the
                admission's own, on its securable).

        Raises:
            AccessDenied: naming the first input out of bounds.
        """
        principal = self.principal
        assert principal is not None, "enter the admission first"
        check_entities(principal, decision or self.decision, inputs, self._audited.name)
