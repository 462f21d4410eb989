"""The MCP door: every endpoint a token may execute, as a Model Context Protocol tool.

One schema, three doors: a tool's ``inputSchema`` and ``outputSchema`` are the
JSON Schemas the endpoint was compiled with, the same ones ``/v1/tools`` and
the OpenAPI document publish. Listing and calling go through the one guard
(:mod:`groundwork.dag.http.guard`, channel ``mcp``) and the one invoke
(:func:`groundwork.dag.http.invoke.invoke`), so grants, entity bindings, audit
and metrics are those of REST.

The protocol is the official ``mcp`` SDK's: a low-level :class:`Server` whose
``tools/list`` and ``tools/call`` handlers are below, served over stateless
streamable HTTP (JSON responses, no session: any number of replicas behind a
load balancer) by :class:`McpDoor`, and over stdio by ``groundwork mcp``.
Because a stateless SDK request costs several times an endpoint call, the door
answers the two hot requests, a single JSON-RPC ``tools/list`` or ``tools/call``
POST, itself with the same handlers' results in the same wire format; every
other request (``initialize``, notifications, batches, GET, DELETE, anything
malformed) goes to the SDK.

A tool failure (403, 404, 422, 503, a crash) is a result with ``isError`` true
whose text and ``structuredContent`` are the REST error object: data the model
can read, never a protocol error. A missing or unknown token is refused at the
HTTP door with 401, as the MCP authorization rules ask, before the body is
read; the body is then read within the edge's limits (413, 408) like REST's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import mcp.types as types
import orjson
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.version import SUPPORTED_PROTOCOL_VERSIONS
from starlette.types import Message, Receive, Scope, Send

from groundwork.catalog.policy import ObjectType, Privilege, Securable
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import Channel, bearer_token
from groundwork.dag.http.invoke import invoke
from groundwork.dag.http.limits import Edge
from groundwork.dag.http.render import error_parts, render_error
from groundwork.dag.http.tools import list_tools
from groundwork.errors import (
    ClientDisconnected,
    GroundworkError,
    InvalidInput,
    NotAuthenticated,
)

logger = logging.getLogger(__name__)

CHANNEL: Channel = "mcp"
SERVER_NAME = "groundwork"
DOOR = Securable(ObjectType.CATALOG, "POST /mcp")
"""What the audit event of a call refused at the HTTP door names."""

_HOT_METHODS = frozenset({"tools/list", "tools/call"})
_SUPPORTED_VERSIONS = frozenset(SUPPORTED_PROTOCOL_VERSIONS)
_JSON_HEADERS = [(b"content-type", b"application/json")]

ContextOf = Callable[[], ServingContext]
TokenOf = Callable[[], "str | None"]


def mcp_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``/v1/tools`` listing in MCP's shape (same schemas, MCP's key names)."""
    return [{"name": tool["name"], "description": tool["description"],
             "inputSchema": tool["input_schema"], "outputSchema": tool["output_schema"]}
            for tool in tools]


def error_content(error: BaseException) -> bytes:
    """The error object of ``error`` as JSON: the REST error body, with the HTTP status it has.

    ``{"error": {"code", "message", "details", "status"}}``, as the REST tools
    return it to a model.
    """
    status, code, message, details = error_parts(error)
    return orjson.dumps(
        {"error": {"code": code, "message": message, "details": details, "status": status}},
        default=str)


def tool_result(payload: bytes, *, is_error: bool) -> bytes:
    """A ``CallToolResult`` around a JSON object: its text rendering and its structured content."""
    text = orjson.dumps(payload.decode())
    flag = b"true" if is_error else b"false"
    return (b'{"content":[{"type":"text","text":' + text + b'}],"structuredContent":'
            + payload + b',"isError":' + flag + b"}")


async def call_tool(context: ServingContext, name: str, arguments: Any, token: str | None,
                    trace_id: str | None = None) -> bytes:
    """Call endpoint ``name`` through the one invoke; a failure is a result, never raised."""
    async def body() -> bytes:
        try:
            return orjson.dumps(arguments if arguments is not None else {})
        except TypeError:  # an integer beyond 64 bits, which no input can hold
            raise InvalidInput("arguments hold a value no input can hold",
                               field="arguments") from None

    try:
        payload = await invoke(context, name=name, token=token, body=body, trace_id=trace_id,
                               channel=CHANNEL)
    except Exception as error:  # noqa: BLE001 - a tool failure is data for the model
        return tool_result(error_content(error), is_error=True)
    return tool_result(payload, is_error=False)


def build_server(context_of: ContextOf, token_of: TokenOf) -> Server[Any, Any]:
    """The SDK server with Groundwork's ``tools/list`` and ``tools/call`` handlers.

    Args:
        context_of: Returns the serving context of the running process.
        token_of: Returns the bearer token of the request being handled.
    """
    server: Server[Any, Any] = Server(SERVER_NAME, instructions=(
        "Governed features and functions: each tool is an endpoint you may execute; "
        "every result says how fresh its data is."))

    async def tools_list(_: types.ListToolsRequest) -> types.ServerResult:
        tools = list_tools(context_of(), token=token_of(), trace_id=None, channel=CHANNEL)
        return types.ServerResult(types.ListToolsResult.model_validate(
            {"tools": mcp_tools(tools)}))

    async def tools_call(request: types.CallToolRequest) -> types.ServerResult:
        result = await call_tool(context_of(), request.params.name, request.params.arguments,
                                 token_of())
        return types.ServerResult(types.CallToolResult.model_validate_json(result))

    server.request_handlers[types.ListToolsRequest] = tools_list
    server.request_handlers[types.CallToolRequest] = tools_call
    return server


class McpDoor:
    """The ASGI app at ``/mcp``: stateless streamable HTTP, JSON responses.

    Args:
        context_of: Returns the serving context of the running process.
        edge: The limits a request body is read within.
    """

    def __init__(self, context_of: ContextOf, edge: Edge) -> None:
        self._context_of = context_of
        self._edge = edge
        self.server = build_server(context_of, self._request_token)
        self.manager = StreamableHTTPSessionManager(app=self.server, stateless=True,
                                                    json_response=True)

    def _request_token(self) -> str | None:
        request = self.server.request_context.request
        headers = getattr(request, "headers", None)
        return None if headers is None else bearer_token(headers.get("authorization"))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the SDK's request manager for the life of the server."""
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request to ``/mcp``: token first, then the body, within the limits."""
        context = self._context_of()
        headers = _headers(scope)
        token = bearer_token(headers.get(b"authorization"))
        trace_id = headers.get(b"x-request-id")
        body = self._edge.body(scope, receive)
        try:
            context.access.authenticate(token)
            payload = await body.read()
        except ClientDisconnected:
            return
        except GroundworkError as error:
            refusal = None if isinstance(error, NotAuthenticated) else error
            await self._refuse(context, token, trace_id, refusal, scope, receive,
                               body.send_through(send))
            return
        if scope["method"] != "POST" or not _hot_headers(headers):
            await self.manager.handle_request(scope, _replay(payload, receive), send)
            return
        answer = await self._answer_hot(context, payload, token, trace_id)
        if answer is None:
            await self.manager.handle_request(scope, _replay(payload, receive), send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"%d" % len(answer)), *_JSON_HEADERS]})
        await send({"type": "http.response.body", "body": answer})

    async def _answer_hot(self, context: ServingContext, body: bytes, token: str | None,
                          trace_id: str | None) -> bytes | None:
        """The response to a single ``tools/list`` or ``tools/call`` request, else ``None``."""
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if (not isinstance(message, dict) or message.get("jsonrpc") != "2.0"
                or message.get("method") not in _HOT_METHODS):
            return None
        request_id = message.get("id")
        params = message.get("params")
        if (isinstance(request_id, bool) or not isinstance(request_id, int | str)
                or not isinstance(params, dict | None)):
            return None
        if message["method"] == "tools/list":
            tools = list_tools(context, token=token, trace_id=trace_id, channel=CHANNEL)
            result = orjson.dumps({"tools": mcp_tools(tools)})
        else:
            name = (params or {}).get("name")
            arguments = (params or {}).get("arguments")
            if not isinstance(name, str) or not isinstance(arguments, dict | None):
                return None
            result = await call_tool(context, name, arguments, token, trace_id)
        return (b'{"jsonrpc":"2.0","id":' + orjson.dumps(request_id) + b',"result":' + result
                + b"}")

    async def _refuse(self, context: ServingContext, token: str | None, trace_id: str | None,
                      refusal: GroundworkError | None, scope: Scope, receive: Receive,
                      send: Send) -> None:
        """Answer a refusal through the guard, so it is audited like every other.

        ``refusal`` is the error to answer (a body too large or too slow);
        ``None`` answers the guard's own (401).
        """
        try:
            with context.guard.admit(channel=CHANNEL, token=token, privilege=Privilege.EXECUTE,
                                     securable=None, audit_as=DOOR, trace_id=trace_id):
                if refusal is not None:
                    raise refusal
        except GroundworkError as error:
            await render_error(error)(scope, receive, send)


def _headers(scope: Scope) -> dict[bytes, str]:
    """The first value of each request header, decoded."""
    found: dict[bytes, str] = {}
    for key, value in scope["headers"]:
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


def _hot_headers(headers: dict[bytes, str]) -> bool:
    """Whether the SDK would accept these headers for a JSON POST without a session."""
    accept = headers.get(b"accept", "")
    content_type = headers.get(b"content-type", "").split(";")[0].strip()
    version = headers.get(b"mcp-protocol-version")
    return ("application/json" in accept and content_type == "application/json"
            and b"mcp-session-id" not in headers
            and (version is None or version in _SUPPORTED_VERSIONS))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the already-read body first."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
