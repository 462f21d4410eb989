"""The REST app, composed: routers, error handlers, the invoke and Feast fast doors, OpenAPI.

The process's composition root (``groundwork/server.py``) builds the serving
context and calls :func:`create_app`.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.routing import Route, get_route_path
from starlette.types import Receive, Scope, Send

from groundwork.dag.http.admin import BODY_MODELS
from groundwork.dag.http.admin import router as admin_router
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.feast import FEAST_PATH, OnlineFeaturesRequest, feast_asgi
from groundwork.dag.http.feast import router as feast_router
from groundwork.dag.http.invoke import invoke_asgi, invoke_target
from groundwork.dag.http.limits import Edge, EdgeLimits
from groundwork.dag.http.mcp import McpDoor
from groundwork.dag.http.render import install_error_handlers
from groundwork.dag.http.routes import add_endpoint_routes, router
from groundwork.dag.runtime import CompiledEndpoint

MCP_PATH = "/mcp"
"""Where MCP clients connect (streamable HTTP)."""

ContextFactory = Callable[[], Any]
"""Async context manager factory yielding the :class:`ServingContext`."""


class GroundworkApp(FastAPI):
    """The FastAPI app, with endpoint calls dispatched before FastAPI's own stack.

    ``POST /v1/endpoints/{name}/invoke`` (and ``/invoke-many``) goes straight to
    :func:`~groundwork.dag.http.invoke.invoke_asgi`, and Feast's
    ``POST /get-online-features`` to :func:`~groundwork.dag.http.feast.feast_asgi`;
    everything else (and the OpenAPI document, built from the typed invoke routes
    that stay registered) is FastAPI's as usual. Once middleware is added
    (``app.add_middleware``: CORS, tracing, ...), every call goes through FastAPI's
    stack instead, so the middleware sees endpoint calls too; the registered
    invoke routes give the same answers. Every other call's body is read through
    the edge's limits (:mod:`groundwork.dag.http.limits`) whoever reads it.
    """

    mcp_door: McpDoor
    edge: Edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if not self.user_middleware:
            path = get_route_path(scope) if scope.get("root_path") else scope["path"]
            if path == MCP_PATH:
                await self.mcp_door(scope, receive, send)
                return
            if path == FEAST_PATH and scope["method"] == "POST":
                await feast_asgi(self.state.serving, self.edge, scope, receive, send)
                return
            target = invoke_target(path) if scope["method"] == "POST" else None
            if target is not None:
                await invoke_asgi(self.state.serving, self.edge, target, scope, receive, send)
                return
        body = self.edge.body(scope, receive)
        await super().__call__(scope, body.receive, body.send_through(send))


def create_app(
    endpoints: Mapping[str, CompiledEndpoint], context: ContextFactory,
    limits: EdgeLimits | None = None,
) -> GroundworkApp:
    """Build the FastAPI app for compiled ``endpoints``.

    Args:
        endpoints: Endpoints validated and planned at start-up.
        context: Returns an async context manager that opens the stores, catalog
            and audit sink and yields the :class:`ServingContext`.
        limits: How large and how slow a request body may be (default: :class:`EdgeLimits`).
    """
    edge = Edge(limits or EdgeLimits())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with context() as serving_context, door.running(), edge.deadlines.running():
            assert isinstance(serving_context, ServingContext)
            app.state.serving = serving_context
            # What exists now lives as long as the server: keep it out of every
            # collection, or each full collection walks it (~100 ms pauses).
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()

    app = GroundworkApp(
        title="Groundwork", version="0.1.0", lifespan=lifespan,
        description="Features and functions served as governed endpoints for GenAI apps.",
    )
    app.edge = edge
    door = app.mcp_door = McpDoor(lambda: app.state.serving, edge)
    install_error_handlers(app)
    app.router.routes.append(Route(MCP_PATH, door, methods=["GET", "POST", "DELETE"],
                                   include_in_schema=False))
    app.include_router(router)
    app.include_router(admin_router)
    app.include_router(feast_router)
    add_endpoint_routes(app, dict(endpoints))
    app.openapi = _openapi_with_request_models(app, endpoints)  # type: ignore[method-assign]
    return app


OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Routes that answer without a token; every other route needs one."""
BEARER = "bearerAuth"


def declare_bearer_security(document: dict[str, Any]) -> None:
    """Declare the bearer scheme and require it on every operation that needs a token."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http", "scheme": "bearer",
        "description": "A Groundwork token, `gw_<token_id>_<secret>` (see /v1/admin/tokens).",
    }
    for path, operations in document.get("paths", {}).items():
        if path in OPEN_PATHS:
            continue
        for operation in operations.values():
            if isinstance(operation, dict):
                operation["security"] = [{BEARER: []}]


def name_entity_keys(schema: dict[str, Any], keys: list[str]) -> None:
    """Allow in an ``entity_filter`` property only the entity keys the catalog knows.

    The catalog refuses a filter on any other key, so the document names them.
    """
    entity_filter = schema.get("properties", {}).get("entity_filter", {})
    for option in entity_filter.get("anyOf", [entity_filter]):
        by_pattern = option.get("patternProperties")
        if by_pattern:
            (values,) = by_pattern.values()
            option["patternProperties"] = {
                f"^({'|'.join(keys)})$" if keys else "^$": values}


def _openapi_with_request_models(
    app: FastAPI, endpoints: Mapping[str, CompiledEndpoint]
) -> Callable[[], dict[str, Any]]:
    """OpenAPI generator that also publishes each endpoint's request model."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            # FastAPI writes bounds as floats, and 2**63 - 1 is no float: publish the
            # request bodies as pydantic writes them, with exact integer bounds.
            models = [endpoint.schemas.request for endpoint in endpoints.values()]
            published: list[type[BaseModel]] = [*models, *BODY_MODELS, OnlineFeaturesRequest]
            for model in published:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            serving = getattr(app.state, "serving", None)
            if serving is not None:
                keys = {view.entity for view in serving.catalog.list_feature_views()}
                for model in BODY_MODELS:
                    name_entity_keys(schemas[model.__name__], sorted(keys))
            declare_bearer_security(document)
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
