"""The one error hierarchy of Groundwork.

Every package raises subclasses of :class:`GroundworkError`. Each knows the HTTP
status and the machine-readable code it maps to, so the REST layer renders them
all with one handler as ``{"error": {"code", "message", "details"}}``.
This module imports nothing from the platform, so every package may use it.
"""

from __future__ import annotations

from typing import Any


class GroundworkError(Exception):
    """Root of all Groundwork errors.

    Attributes:
        status_code: HTTP status the REST layer answers with.
        code: Stable machine-readable error code.
        details: JSON-serialisable context (field names, object names).
    """

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(GroundworkError):
    """The caller sent input that does not validate; ``details`` names the field."""

    status_code = 422
    code = "invalid_input"


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


class Conflict(GroundworkError):
    """The object already exists or the change conflicts with its current state."""

    status_code = 409
    code = "conflict"


class StoreUnavailable(GroundworkError):
    """An online store did not answer in time or refused the call."""

    status_code = 503
    code = "store_unavailable"


class DefinitionError(GroundworkError):
    """A feature view, function or endpoint definition is invalid.

    Raised when definitions are loaded or an endpoint DAG is built, never at
    request time.
    """

    code = "definition_error"
