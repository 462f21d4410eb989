"""One renderer for every error: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from groundwork.errors import GroundworkError, InvalidInput

logger = logging.getLogger(__name__)

_HTTP_CODES = {401: "not_authenticated", 403: "access_denied", 404: "not_found",
               405: "method_not_allowed", 429: "too_many_requests"}


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


def install_error_handlers(app: FastAPI) -> None:
    """Render domain errors, validation errors, HTTP errors and crashes alike."""

    async def on_domain_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, GroundworkError)
        if error.status_code >= 500:
            logger.error("%s: %s %s", error.code, error.message, error.details)
        return error_response(error.status_code, error.code, error.message, error.details)

    async def on_validation_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        domain = invalid_input(error)
        return error_response(422, domain.code, domain.message, domain.details)

    async def on_http_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        code = _HTTP_CODES.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail), {})

    async def on_crash(_: Request, error: Exception) -> Response:
        logger.exception("unhandled error", exc_info=error)
        return error_response(500, "internal_error", "internal server error", {})

    app.add_exception_handler(GroundworkError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_crash)
