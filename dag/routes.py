"""Thin routes: read the input, call one service function, return the response."""

from __future__ import annotations

import inspect
import time
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from groundwork.catalog.policy import ObjectType, Privilege, Securable
from groundwork.dag import serving
from groundwork.dag.runtime import CompiledEndpoint
from groundwork.dag.schemas import ErrorResponse
from groundwork.errors import GroundworkError, StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineStore, ReadRequest

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "Missing, malformed, unknown, expired or revoked token.",
        403: "No grant of EXECUTE on this endpoint, or input outside the token's entities.",
        404: "No such endpoint.",
        422: "Invalid input; `details.fields` names each field.",
        503: "An online store is unavailable.",
    }.items()
}


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def _context(request: Request) -> serving.ServingContext:
    context: serving.ServingContext = request.app.state.serving
    return context


async def _invoke(request: Request, name: str) -> Response:
    body = await serving.invoke(
        _context(request), name=name,
        token=serving.bearer_token(request.headers.get("authorization")),
        body=await request.body(), trace_id=request.headers.get("x-request-id"),
    )
    return _json(body)


def endpoint_route(endpoint: CompiledEndpoint) -> Any:
    """The invoke route of one endpoint."""
    name = endpoint.name

    async def invoke_endpoint(request: Request) -> Response:
        return await _invoke(request, name)

    invoke_endpoint.__name__ = f"invoke_{name}"
    return invoke_endpoint


def add_endpoint_routes(app: FastAPI, endpoints: dict[str, CompiledEndpoint]) -> None:
    """One typed POST route per endpoint, then a catch-all that answers 404.

    They give each endpoint its typed operation in the OpenAPI document; the calls
    themselves are answered by :func:`invoke_asgi`, which :class:`groundwork.dag.app.GroundworkApp`
    dispatches to before FastAPI's routing (same answers, a fraction of the cost).
    """
    for endpoint in endpoints.values():
        app.add_api_route(
            f"/v1/endpoints/{endpoint.name}/invoke", endpoint_route(endpoint), methods=["POST"],
            summary=endpoint.name, description=endpoint.description, tags=["endpoints"],
            response_model=endpoint.schemas.response, responses=_ERRORS,
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{endpoint.schemas.request.__name__}"}
            }}}},
        )

    async def invoke_unknown(name: str, request: Request) -> Response:
        return await _invoke(request, name)

    app.add_api_route("/v1/endpoints/{name}/invoke", invoke_unknown, methods=["POST"],
                      include_in_schema=False)


INVOKE_PREFIX = "/v1/endpoints/"
INVOKE_SUFFIX = "/invoke"
_JSON_TYPE = (b"content-type", b"application/json")


def invoke_target(path: str) -> str | None:
    """The endpoint name of an ``/v1/endpoints/{name}/invoke`` path, else ``None``."""
    if path.startswith(INVOKE_PREFIX) and path.endswith(INVOKE_SUFFIX):
        name = path[len(INVOKE_PREFIX) : -len(INVOKE_SUFFIX)]
        if name and "/" not in name:
            return name
    return None


async def invoke_asgi(app: Starlette, name: str, scope: Scope, receive: Receive,
                      send: Send) -> None:
    """Serve one ``POST /v1/endpoints/{name}/invoke`` as plain ASGI.

    The same answer as the invoke routes above, errors rendered by the app's own
    exception handlers, without the middleware stack, routing and dependency
    solving that would cost more than the call itself.
    """
    authorization = trace_id = None
    for key, value in scope["headers"]:
        if key == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif key == b"x-request-id" and trace_id is None:
            trace_id = value.decode("latin-1")
    body = await _request_body(receive)
    if body is None:
        return
    try:
        payload = await serving.invoke(
            app.state.serving, name=name, token=serving.bearer_token(authorization), body=body,
            trace_id=trace_id,
        )
    except Exception as error:  # noqa: BLE001 - rendered by the app's handlers, as routed calls
        response = await _error_response(app, scope, error)
        await response(scope, receive, send)
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(payload)), _JSON_TYPE]})
    await send({"type": "http.response.body", "body": payload})


async def _request_body(receive: Receive) -> bytes | None:
    """The whole request body; ``None`` when the client disconnected first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _error_response(app: Starlette, scope: Scope, error: Exception) -> Response:
    """The response of the app's exception handler for ``error`` (re-raised when none)."""
    for kind in type(error).__mro__:
        handler = app.exception_handlers.get(kind)
        if handler is not None:
            response = handler(Request(scope), error)
            if inspect.isawaitable(response):
                response = await response
            assert isinstance(response, Response)
            return response
    raise error


router = APIRouter()


@router.get("/v1/tools", tags=["tools"], responses=_ERRORS)
async def list_tools(request: Request) -> Response:
    """Endpoints the caller may execute, each with the JSON Schema of its inputs and outputs."""
    context = _context(request)
    started, principal, status = time.perf_counter(), None, 500
    try:
        principal = context.access.authenticate(
            serving.bearer_token(request.headers.get("authorization")))
        tools = [
            {"name": endpoint.name, "description": endpoint.description,
             "input_schema": endpoint.input_schema, "output_schema": endpoint.output_schema,
             "invoke_path": f"/v1/endpoints/{endpoint.name}/invoke"}
            for endpoint in context.endpoints.values()
            if context.access.authorize(principal, Securable(ObjectType.ENDPOINT, endpoint.name),
                                        Privilege.EXECUTE).allowed
        ]
        status = 200
        return _json(orjson.dumps({"tools": tools}))
    except GroundworkError as error:
        status = error.status_code
        raise
    finally:
        context.audit.record(
            principal=None if principal is None else principal.name,
            object_type=ObjectType.CATALOG, object_name="GET /v1/tools",
            privilege=Privilege.EXECUTE, allowed=status == 200,
            reason="listed the endpoints the caller may execute" if status == 200
            else "not authenticated", status_code=status,
            latency_ms=(time.perf_counter() - started) * 1000,
            trace_id=request.headers.get("x-request-id") or serving.new_trace_id(),
        )


@router.get("/healthz", tags=["operations"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["operations"])
async def readyz(request: Request) -> dict[str, Any]:
    """The process can serve: endpoints compiled and the online store answers."""
    context = _context(request)
    probes: dict[int, tuple[OnlineStore, ViewSpec]] = {}
    for endpoint in context.endpoints.values():
        for node in endpoint.plan.graph.nodes.values():
            if node.view is not None:
                store = context.store_for(node.view)
                probes.setdefault(id(store), (store, node.view))
    try:
        for store, view in probes.values():  # one real round trip per store
            await store.read([ReadRequest(view, ["readiness-probe"], ())])
    except Exception as error:  # noqa: BLE001 - any store failure means not ready
        raise StoreUnavailable("online store is not answering") from error
    return {"status": "ready", "endpoints": sorted(context.endpoints)}


@router.get("/metrics", tags=["operations"], include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(_context(request).metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
