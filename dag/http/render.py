"""One renderer for every error: ``{"error": {"code", "message", "details"}}``.

:func:`render_error` turns any exception into the response a client gets. The
app's exception handlers and the invoke fast path both call it, so an error
reads the same whichever way a call came in. :func:`status_of` gives the status
alone, for the guard's audit event and the metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from groundwork.errors import GroundworkError, InvalidInput

logger = logging.getLogger(__name__)

_HTTP_CODES = {401: "not_authenticated", 403: "access_denied", 404: "not_found",
               405: "method_not_allowed", 429: "too_many_requests"}
MAX_FIELDS = 10
"""Most invalid fields a 422 names; ``details.more_fields`` counts the others."""
MAX_FIELD_NAME = 100
"""Longest field path a 422 repeats (a client chooses the names of unknown fields)."""


class ErrorBody(BaseModel):
    """The error object of every failed call."""

    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="Human-readable explanation.")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    """Shape of every error response."""

    error: ErrorBody


ERROR_DESCRIPTIONS = {
    401: "Missing, malformed, unknown, expired or revoked token.",
    403: "The caller holds no grant for this call.",
    404: "No such object.",
    408: "The request body did not arrive in time; the connection is closed.",
    409: "Conflicts with the current state (exists already, disabled, revoked already).",
    413: "The request body is larger than the server accepts.",
    422: "Invalid input; `details.fields` names the fields (at most 10, "
         "`details.more_fields` counts the others).",
    503: "An online store is unavailable.",
}
"""What each error status means, for the OpenAPI document."""


def error_responses(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of these error statuses, in the error shape.

    Args:
        statuses: Statuses with their usual description (:data:`ERROR_DESCRIPTIONS`).
        described: A description per status of this route, keyed ``"403"``, ``"404"``...
    """
    wanted = {status: ERROR_DESCRIPTIONS[status] for status in statuses}
    wanted.update({int(status): text for status, text in described.items()})
    return {status: {"model": ErrorResponse, "description": text}
            for status, text in sorted(wanted.items())}


def error_response(status: int, code: str, message: str, details: dict[str, Any],
                   headers: Mapping[str, str] | None = None) -> Response:
    """Render the error shape with ``status`` (and ``headers``, such as ``Allow``)."""
    body = {"error": {"code": code, "message": message, "details": details}}
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return Response(orjson.dumps(body, default=str), status_code=status,
                    media_type="application/json", headers=headers)


def invalid_input(error: ValidationError | RequestValidationError) -> InvalidInput:
    """An InvalidInput naming the offending fields: the first :data:`MAX_FIELDS` of them.

    However many fields a body gets wrong, the answer stays small: it names at
    most :data:`MAX_FIELDS`, each path cut to :data:`MAX_FIELD_NAME` characters,
    and ``details.more_fields`` says how many it leaves out.
    """
    items = (error.errors(include_url=False, include_context=False, include_input=False)
             if isinstance(error, ValidationError) else error.errors())
    return invalid_fields(items)


def invalid_fields(items: Sequence[Mapping[str, Any]]) -> InvalidInput:
    """An InvalidInput naming the fields of validation ``items`` (``loc``, ``msg``, ``type``).

    The bounds of :func:`invalid_input` apply.
    """
    fields = [
        {"field": _field_name(item["loc"]), "message": item["msg"], "type": item["type"]}
        for item in items[:MAX_FIELDS]
    ]
    names = ", ".join(field["field"] for field in fields)
    more = len(items) - len(fields)
    if more:
        return InvalidInput(f"invalid input: {names} and {more} more", fields=fields,
                            more_fields=more)
    return InvalidInput(f"invalid input: {names}", fields=fields)


def _field_name(location: Sequence[Any]) -> str:
    name = ".".join(str(part) for part in location if part != "body") or "body"
    return name if len(name) <= MAX_FIELD_NAME else name[: MAX_FIELD_NAME - 1] + "…"


def status_of(error: BaseException) -> int:
    """The HTTP status a call that raised ``error`` answers with."""
    if isinstance(error, GroundworkError):
        return error.status_code
    if isinstance(error, RequestValidationError):
        return 422
    if isinstance(error, HTTPException):
        return error.status_code
    return 500


def error_parts(error: BaseException) -> tuple[int, str, str, dict[str, Any]]:
    """Status, code, message and details of the answer to a call that raised ``error``.

    A crash answers a generic 500 and logs the details; its message never
    reaches the client. A domain error a framework wrapped in an HTTP error
    (a body limit hit while FastAPI read the body) answers as itself.
    """
    if isinstance(error, HTTPException) and isinstance(error.__cause__, GroundworkError):
        error = error.__cause__
    if isinstance(error, GroundworkError):
        if error.status_code >= 500:
            logger.error("%s: %s %s", error.code, error.message, error.details)
        return error.status_code, error.code, error.message, error.details
    if isinstance(error, RequestValidationError):
        domain = invalid_input(error)
        return 422, domain.code, domain.message, domain.details
    if isinstance(error, HTTPException):
        code = _HTTP_CODES.get(error.status_code, "http_error")
        return error.status_code, code, str(error.detail), {}
    logger.exception("unhandled error", exc_info=error)
    return 500, "internal_error", "internal server error", {}


def render_error(error: Exception) -> Response:
    """The response to a call that raised ``error``: domain, validation, HTTP error or crash."""
    headers = error.headers if isinstance(error, HTTPException) else None
    return error_response(*error_parts(error), headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route of ``app`` serves on the path of ``scope``."""
    return [method for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] == Match.FULL
                   for route in app.router.routes)]


def install_error_handlers(app: FastAPI) -> None:
    """Have the app answer domain errors, validation errors, HTTP errors and crashes alike.

    A 405 names in ``Allow`` every method the path serves (Starlette names
    only those of the first route on the path).
    """

    async def on_error(request: Request, error: Exception) -> Response:
        if isinstance(error, HTTPException) and error.status_code == 405:
            allow = ", ".join(allowed_methods(app, request.scope))
            error = HTTPException(405, error.detail, headers={"Allow": allow})
        return render_error(error)

    for kind in (GroundworkError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, on_error)
