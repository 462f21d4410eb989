"""One renderer for every error: ``{"error": {"code", "message", "details"}}``.

:func:`render_error` turns any exception into the response a client gets. The
app's exception handlers and the invoke fast path both call it, so an error
reads the same whichever way a call came in. :func:`status_of` gives the status
alone, for the guard's audit event and the metrics.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from groundwork.errors import GroundworkError, InvalidInput

logger = logging.getLogger(__name__)

_HTTP_CODES = {401: "not_authenticated", 403: "access_denied", 404: "not_found",
               405: "method_not_allowed", 429: "too_many_requests"}


class ErrorBody(BaseModel):
    """The error object of every failed call."""

    code: str = Field(description="Stable machine-readable code.")
    message: str = Field(description="Human-readable explanation.")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    """Shape of every error response."""

    error: ErrorBody


def error_response(status: int, code: str, message: str, details: dict[str, Any]) -> Response:
    """Render the error shape with ``status``."""
    body = {"error": {"code": code, "message": message, "details": details}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(orjson.dumps(body, default=str), status_code=status,
                    media_type="application/json", headers=headers)


def invalid_input(error: ValidationError | RequestValidationError) -> InvalidInput:
    """An InvalidInput naming each offending field."""
    fields = [
        {"field": ".".join(str(part) for part in item["loc"] if part != "body") or "body",
         "message": item["msg"], "type": item["type"]}
        for item in error.errors()
    ]
    names = ", ".join(field["field"] for field in fields)
    return InvalidInput(f"invalid input: {names}", fields=fields)


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
    reaches the client.
    """
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
    return error_response(*error_parts(error))


def install_error_handlers(app: FastAPI) -> None:
    """Have the app answer domain errors, validation errors, HTTP errors and crashes alike."""

    async def on_error(_: Request, error: Exception) -> Response:
        return render_error(error)

    for kind in (GroundworkError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, on_error)
