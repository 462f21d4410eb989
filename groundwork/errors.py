"""The one error hierarchy of Groundwork.

Every package raises subclasses of :class:`GroundworkError`. Each knows the HTTP
status and the machine-readable code it maps to, so the REST layer renders them
all with one handler as ``{"error": {"code", "message", "details"}}``.
The public client (:mod:`groundwork.client`) raises the same classes, rebuilt
from that shape and the response status, so code that calls a server catches
what the server raised. This module imports nothing from the platform, so every
package may use it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

TRACE_ID: ContextVar[str | None] = ContextVar("groundwork_trace_id", default=None)
"""Trace id of the call this task serves (``None`` outside a call).

The guard sets it when it admits a call and resets it when the call ends, so
code below the edge (the executor, the stores) logs an error's details under
the trace id the client and the audit log see.
"""


class GroundworkError(Exception):
    """Root of all Groundwork errors.

    Attributes:
        status_code: HTTP status the REST layer answers with.
        code: Stable machine-readable error code.
        details: JSON-serialisable context (field names, object names).
        http_status: On the client side, the status the server answered with;
            ``None`` when no answer came (connection refused, timeout).
    """

    status_code: int = 500
    code: str = "internal_error"
    http_status: int | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(GroundworkError):
    """The caller sent input that does not validate; ``details`` names the field."""

    status_code = 422
    code = "invalid_input"


class PayloadTooLarge(GroundworkError):
    """The request body is larger than the server accepts; ``details`` gives the limit."""

    status_code = 413
    code = "payload_too_large"


class RequestTimeout(GroundworkError):
    """The request body did not arrive in time; the connection is closed."""

    status_code = 408
    code = "request_timeout"


class ClientDisconnected(GroundworkError):
    """The client closed the connection before its request was read; nobody reads the answer."""

    status_code = 499
    code = "client_disconnected"


class NotAuthenticated(GroundworkError):
    """No bearer token, or a token that is malformed, unknown, expired or revoked."""

    status_code = 401
    code = "not_authenticated"


class AccessDenied(GroundworkError):
    """The caller is known but holds no grant for this object and privilege."""

    status_code = 403
    code = "access_denied"


class NotFound(GroundworkError):
    """A named object does not exist."""

    status_code = 404
    code = "not_found"


class EndpointNotFound(NotFound):
    """No endpoint has this name."""

    code = "endpoint_not_found"


class FunctionNotFound(NotFound):
    """No registered function has this name."""

    code = "function_not_found"


class FeatureViewNotFound(NotFound):
    """No feature view has this name."""

    code = "feature_view_not_found"


class FeatureServiceNotFound(NotFound):
    """No feature service has this name."""

    code = "feature_service_not_found"


class Conflict(GroundworkError):
    """The object already exists or the change conflicts with its current state."""

    status_code = 409
    code = "conflict"


class RateLimited(GroundworkError):
    """Too many calls: the caller should wait before trying again."""

    status_code = 429
    code = "too_many_requests"


class Unavailable(GroundworkError):
    """The service, or something it depends on, cannot answer now; trying later may work."""

    status_code = 503
    code = "unavailable"


class CatalogUnavailable(Unavailable):
    """The catalog's database cannot be reached or written now (a server down, a wrong URL)."""

    code = "catalog_unavailable"


class StoreUnavailable(Unavailable):
    """An online store did not answer in time or refused the call.

    Clients only ever see the fixed :attr:`PUBLIC_MESSAGE` and no details: what
    failed and why (driver text, host, port, table, path) is for the log. The
    reason is :attr:`reason` (also ``str(error)``), its context :attr:`context`.

    Args:
        reason: What failed, for the log (e.g. ``"redis read failed: TimeoutError"``).
        **context: Log-only context: store type, views, operation, status.
    """

    code = "store_unavailable"
    PUBLIC_MESSAGE = "an online store is unavailable"

    def __init__(self, reason: str = "", **context: Any) -> None:
        super().__init__(self.PUBLIC_MESSAGE)
        self.reason = reason or self.PUBLIC_MESSAGE
        self.args = (self.reason,)
        self.context = context


class ServerUnreachable(Unavailable):
    """The client could not connect to the server, or the connection broke."""

    code = "connection_error"


class ServerTimeout(Unavailable):
    """The server did not answer within the client's timeout."""

    code = "timeout"


class InvalidResponse(GroundworkError):
    """The server answered outside its contract (not JSON, or not the documented shape)."""

    status_code = 502
    code = "invalid_response"


class MissingExtra(GroundworkError, ImportError):
    """A command or API needs an optional dependency group (an extra) that is not installed.

    Also an :class:`ImportError`, since that is what it replaces.
    """

    code = "missing_extra"


class DefinitionError(GroundworkError):
    """A feature view, function or endpoint definition is invalid.

    Raised when definitions are loaded or an endpoint DAG is built, never at
    request time.
    """

    code = "definition_error"
