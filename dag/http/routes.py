"""Thin routes: read the input, call one service function, return the response."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from groundwork.dag.http import tools
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import bearer_token
from groundwork.dag.http.invoke import (
    INVOKE_MANY_SUFFIX,
    INVOKE_PREFIX,
    INVOKE_SUFFIX,
    Service,
    invoke,
    invoke_many,
)
from groundwork.dag.http.readiness import Readiness
from groundwork.dag.http.render import error_responses
from groundwork.dag.runtime import CompiledEndpoint
from groundwork.dag.schemas import MAX_ITEMS
from groundwork.errors import StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineStore

_ERRORS = error_responses(401, 408, 413, 422, 503, **{
    "403": "No grant of EXECUTE on this endpoint, or input outside the token's entities.",
    "404": "No such endpoint."})
_LISTING_ERRORS = error_responses(401)


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def _context(request: Request) -> ServingContext:
    context: ServingContext = request.app.state.serving
    return context


async def _invoke(request: Request, name: str, service: Service = invoke) -> Response:
    body = await service(
        _context(request), name=name, token=bearer_token(request.headers.get("authorization")),
        body=request.body, trace_id=request.headers.get("x-request-id"),
    )
    return _json(body)


def endpoint_route(endpoint: CompiledEndpoint, service: Service = invoke) -> Any:
    """The route of one endpoint that calls ``service`` (:func:`invoke` or :func:`invoke_many`)."""
    name = endpoint.name

    async def invoke_endpoint(request: Request) -> Response:
        return await _invoke(request, name, service)

    invoke_endpoint.__name__ = f"{service.__name__}_{name}"
    return invoke_endpoint


def _many_body(endpoint: CompiledEndpoint) -> dict[str, Any]:
    """The OpenAPI request body of a batch call: ``inputs``, a list of the endpoint's requests."""
    request = endpoint.schemas.request.__name__
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False, "required": ["inputs"],
        "properties": {"inputs": {
            "type": "array", "items": {"$ref": f"#/components/schemas/{request}"},
            "minItems": 1, "maxItems": MAX_ITEMS,
            "description": f"The inputs of each call, 1 to {MAX_ITEMS} items.",
        }},
    }}}}


_MANY_DESCRIPTION = (
    f"Up to {MAX_ITEMS} calls of this endpoint in one request, answered in order: each item's "
    "outputs and freshness, or the error its own call would answer (`error`, with its "
    "`status`). The request fails as a whole only when it is not authorized, does not "
    "validate (422 naming `inputs[i].field`) or names an entity outside the token's (403)."
)


def add_endpoint_routes(app: FastAPI, endpoints: dict[str, CompiledEndpoint]) -> None:
    """Two typed POST routes per endpoint (invoke, invoke-many), then catch-alls that answer 404.

    They give each endpoint its typed operation in the OpenAPI document and
    answer calls once middleware is added; without middleware,
    :class:`~groundwork.dag.http.app.GroundworkApp` hands the calls to
    :func:`~groundwork.dag.http.invoke.invoke_asgi` before FastAPI's routing. Both
    call :func:`~groundwork.dag.http.invoke.invoke`.
    """
    for endpoint in endpoints.values():
        app.add_api_route(
            f"{INVOKE_PREFIX}{endpoint.name}{INVOKE_SUFFIX}", endpoint_route(endpoint),
            methods=["POST"], summary=endpoint.name, description=endpoint.description,
            tags=["endpoints"],
            response_model=endpoint.schemas.response, responses=_ERRORS,
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{endpoint.schemas.request.__name__}"}
            }}}},
        )
        app.add_api_route(
            f"{INVOKE_PREFIX}{endpoint.name}{INVOKE_MANY_SUFFIX}",
            endpoint_route(endpoint, invoke_many), methods=["POST"],
            summary=f"{endpoint.name}, many calls at once", description=_MANY_DESCRIPTION,
            tags=["endpoints"], response_model=endpoint.schemas.many_response,
            responses=_ERRORS, openapi_extra={"requestBody": _many_body(endpoint)},
        )

    async def invoke_unknown(name: str, request: Request) -> Response:
        return await _invoke(request, name)

    async def invoke_many_unknown(name: str, request: Request) -> Response:
        return await _invoke(request, name, invoke_many)

    for suffix, route in ((INVOKE_SUFFIX, invoke_unknown),
                          (INVOKE_MANY_SUFFIX, invoke_many_unknown)):
        app.add_api_route(f"{INVOKE_PREFIX}{{name}}{suffix}", route, methods=["POST"],
                          include_in_schema=False)


router = APIRouter()


@router.get("/v1/tools", tags=["tools"], responses=_LISTING_ERRORS)
async def list_tools(request: Request) -> Response:
    """Endpoints the caller may execute, each with the JSON Schema of its inputs and outputs."""
    listed = tools.list_tools(
        _context(request), token=bearer_token(request.headers.get("authorization")),
        trace_id=request.headers.get("x-request-id"))
    return _json(orjson.dumps({"tools": listed}))


@router.get("/healthz", tags=["operations"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["operations"], responses={503: _ERRORS[503]})
async def readyz(request: Request) -> dict[str, Any]:
    """The process can serve: endpoints compiled and every online store they read answers.

    Answers within half a second whatever the stores do; a store that fails or
    hangs answers 503 with the fixed `store_unavailable` message (the log says which).
    """
    context = _context(request)
    names = {id(store): name for name, store in context.stores.items()}
    probes: dict[str, tuple[OnlineStore, ViewSpec]] = {}
    for endpoint in context.endpoints.values():
        for node in endpoint.plan.graph.nodes.values():
            if node.view is not None:
                store = context.store_for(node.view)
                probes.setdefault(names.get(id(store), "?"), (store, node.view))
    state = request.app.state
    readiness: Readiness | None = getattr(state, "readiness", None)
    if readiness is None:
        readiness = state.readiness = Readiness()
    failing = await readiness.check(probes)
    if failing:
        raise StoreUnavailable(f"not ready: online stores {', '.join(failing)} do not answer",
                               stores=failing)
    return {"status": "ready", "endpoints": sorted(context.endpoints)}


@router.get("/metrics", tags=["operations"], include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(_context(request).metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
