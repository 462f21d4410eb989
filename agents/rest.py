"""Framework-neutral core of the agent integrations: tool specs and tool calls over REST.

Groundwork serves every endpoint a caller may execute as a tool: ``GET /v1/tools``
lists them with their JSON Schemas and ``POST /v1/endpoints/{name}/invoke`` runs
one. The public client (:mod:`groundwork.client`) speaks that contract; this module
adds what tools need on top of it and nothing about LangChain or MCP, so the
adapters (``groundwork.agents.langchain_toolkit``, the MCP server) stay thin.

A tool call never raises to the model: :func:`invoke_tool` turns every client
error (HTTP errors, timeouts, connection failures) into data shaped like the
platform's own errors, ``{"error": {"code", "message", "details", "status"}}``.
Both functions are written once, for :class:`~groundwork.client.AsyncClient`;
a blocking :class:`~groundwork.client.Client` runs them with ``client.run``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from groundwork.client import AsyncClient, ToolSpec
from groundwork.client.results import JsonObject, default_invoke_path
from groundwork.errors import GroundworkError

__all__ = [
    "TOOL_NAME_LIMIT",
    "JsonObject",
    "ToolListingFailed",
    "ToolSpec",
    "default_invoke_path",
    "error_data",
    "exception_data",
    "invoke_tool",
    "is_error",
    "list_tool_specs",
    "sanitize_tool_name",
]

TOOL_NAME_LIMIT = 64
"""Longest tool name that chat model APIs accept."""

_INVALID_TOOL_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]")


class ToolListingFailed(GroundworkError):
    """``GET /v1/tools`` failed; the platform's error code and status are kept."""

    code = "tool_listing_failed"
    status_code = 502

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"Listing Groundwork tools failed: {error.get('message', '')}")
        self.details = dict(error.get("details") or {})
        self.code = str(error.get("code", self.code))
        self.status_code = int(error.get("status") or self.status_code)


def sanitize_tool_name(name: str) -> str:
    """Return ``name`` as a tool name every chat model API accepts.

    Characters outside ``[A-Za-z0-9_-]`` become ``_`` and the result is cut to
    :data:`TOOL_NAME_LIMIT` characters (``hotels.v2`` becomes ``hotels_v2``).

    Raises:
        ValueError: when ``name`` is empty.
    """
    if not name:
        raise ValueError("A tool name cannot be empty.")
    return _INVALID_TOOL_NAME_CHARACTERS.sub("_", name)[:TOOL_NAME_LIMIT]


def error_data(
    code: str,
    message: str,
    *,
    status: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> JsonObject:
    """Build a failure as data, in the platform's error shape plus the HTTP status."""
    error = {"code": code, "message": message, "details": dict(details or {}), "status": status}
    return {"error": error}


def exception_data(error: GroundworkError) -> JsonObject:
    """A client exception as error data (``status`` is ``None`` when no answer came)."""
    return error_data(error.code, error.message, status=error.http_status, details=error.details)


def is_error(result: Mapping[str, Any]) -> bool:
    """Tell whether a tool result is a failure returned as data."""
    return isinstance(result.get("error"), Mapping)


async def list_tool_specs(client: AsyncClient) -> list[ToolSpec]:
    """The tools ``client``'s principal may execute.

    Raises:
        ToolListingFailed: when the platform cannot be reached or refuses.
    """
    try:
        return await client.list_tools()
    except GroundworkError as error:
        raise ToolListingFailed(exception_data(error)["error"]) from error


async def invoke_tool(
    client: AsyncClient, name: str, arguments: Mapping[str, Any], *,
    invoke_path: str | None = None,
) -> JsonObject:
    """Invoke endpoint ``name`` with ``arguments``; never raise for a client error.

    Returns:
        The success body (``endpoint``, ``outputs``, ``freshness``, ``errors``,
        ``trace_id``) or, on any failure, ``{"error": {...}}``.
    """
    try:
        return (await client.invoke(name, arguments, invoke_path=invoke_path)).body
    except GroundworkError as error:
        return exception_data(error)
