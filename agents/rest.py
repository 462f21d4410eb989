"""Framework-neutral core of the agent integrations: tool specs and the REST client.

Groundwork serves every endpoint a caller may execute as a tool: ``GET /v1/tools``
lists them with their JSON Schemas and ``POST /v1/endpoints/{name}/invoke`` runs
one. This module knows that contract and nothing about LangChain or MCP; the
adapters (``groundwork.agents.langchain_toolkit``, the MCP server) stay thin on top of it.

A tool call never raises to the model: :meth:`GroundworkClient.invoke` turns
HTTP errors, timeouts and connection failures into data shaped like the
platform's own errors, ``{"error": {"code", "message", "details", "status"}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from groundwork.errors import GroundworkError

JsonObject = dict[str, Any]
"""A decoded JSON object."""

TOOLS_PATH = "/v1/tools"
"""Route listing the tools the caller may execute."""

TOOL_NAME_LIMIT = 64
"""Longest tool name that chat model APIs accept."""

_INVALID_TOOL_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]")
_EMPTY_SCHEMA: JsonObject = {"type": "object", "properties": {}}


class ToolListingFailed(GroundworkError):
    """``GET /v1/tools`` failed; the platform's error code and status are kept."""

    code = "tool_listing_failed"
    status_code = 502

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"Listing Groundwork tools failed: {error.get('message', '')}")
        self.details = dict(error.get("details") or {})
        self.code = str(error.get("code", self.code))
        self.status_code = int(error.get("status") or self.status_code)


@dataclass(frozen=True)
class ToolSpec:
    """One endpoint as a tool, exactly as ``GET /v1/tools`` describes it.

    Attributes:
        name: Endpoint name, e.g. ``hotel_offers``.
        description: What the endpoint answers; becomes the tool description.
        input_schema: JSON Schema of the request inputs (an object schema).
        output_schema: JSON Schema of the ``outputs`` object.
        invoke_path: Route that invokes the endpoint.
    """

    name: str
    description: str
    input_schema: JsonObject
    output_schema: JsonObject
    invoke_path: str

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> ToolSpec:
        """Build a spec from one entry of the ``tools`` list."""
        name = str(payload["name"])
        return cls(
            name=name,
            description=str(payload.get("description") or ""),
            input_schema=dict(payload.get("input_schema") or _EMPTY_SCHEMA),
            output_schema=dict(payload.get("output_schema") or _EMPTY_SCHEMA),
            invoke_path=str(payload.get("invoke_path") or default_invoke_path(name)),
        )

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs the endpoint returns, in schema order."""
        return list(self.output_schema.get("properties", {}))


def default_invoke_path(name: str) -> str:
    """Return the conventional invoke route of endpoint ``name``."""
    return f"/v1/endpoints/{quote(name, safe='')}/invoke"


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


def is_error(result: Mapping[str, Any]) -> bool:
    """Tell whether a tool result is a failure returned as data."""
    return isinstance(result.get("error"), Mapping)


class GroundworkClient:
    """Async client of the Groundwork tool API, sharing one keep-alive connection pool.

    Args:
        base_url: Root URL of the platform, e.g. ``http://127.0.0.1:8000``.
        token: Bearer token of the calling principal.
        timeout: Seconds to wait for connecting, reading or writing.
        transport: Transport to use instead of the network (tests pass
            ``httpx.ASGITransport`` over an app).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self._invoke_paths: dict[str, str] = {}

    async def list_tools(self) -> list[ToolSpec]:
        """Return the tools the caller may execute.

        Raises:
            ToolListingFailed: when the platform cannot be reached or refuses.
        """
        body = await self._request("GET", TOOLS_PATH)
        if is_error(body):
            raise ToolListingFailed(body["error"])
        specs = [ToolSpec.from_json(entry) for entry in body.get("tools", [])]
        self._invoke_paths.update((spec.name, spec.invoke_path) for spec in specs)
        return specs

    async def invoke(
        self, name: str, arguments: Mapping[str, Any], *, invoke_path: str | None = None
    ) -> JsonObject:
        """Invoke endpoint ``name`` with ``arguments`` as its inputs.

        Args:
            name: Endpoint name.
            arguments: The request inputs, sent as the JSON body.
            invoke_path: Route to post to; defaults to the one ``list_tools``
                published for ``name``, else the conventional route.

        Returns:
            The success body (``endpoint``, ``outputs``, ``freshness``, ``errors``,
            ``trace_id``) or, on any failure, ``{"error": {...}}``. Never raises
            for HTTP, timeout or connection errors.
        """
        path = invoke_path or self._invoke_paths.get(name) or default_invoke_path(name)
        return await self._request("POST", path, dict(arguments))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> GroundworkClient:
        return self

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _request(
        self, method: str, path: str, payload: JsonObject | None = None
    ) -> JsonObject:
        try:
            content = None if payload is None else orjson.dumps(payload)
        except TypeError as error:
            return error_data("invalid_arguments", f"Arguments are not JSON: {error}")
        headers = {} if content is None else {"Content-Type": "application/json"}
        try:
            response = await self._http.request(method, path, content=content, headers=headers)
        except httpx.TimeoutException:
            message = f"Groundwork did not answer {method} {path} within {self.timeout} s."
            return error_data("timeout", message)
        except httpx.RequestError as error:
            message = f"Could not reach Groundwork at {self.base_url}: {error!r}"
            return error_data("connection_error", message)
        return response_data(response)


def response_data(response: httpx.Response) -> JsonObject:
    """Decode a platform response into its body or into error data."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    status = response.status_code
    if response.is_success:
        if isinstance(body, dict):
            return body
        return error_data("invalid_response", "Groundwork answered with no JSON object.",
                          status=status)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "code" in error:
        details = error.get("details")
        return error_data(str(error["code"]), str(error.get("message", "")), status=status,
                          details=details if isinstance(details, dict) else None)
    message = f"Groundwork answered {status} {response.reason_phrase}."
    return error_data(f"http_{status}", message, status=status)
