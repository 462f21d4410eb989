"""The composition root of the REST server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from dag.http_errors import install_error_handlers
from dag.routes import add_endpoint_routes, router
from dag.runtime import CompiledEndpoint
from dag.serving import ServingContext

ContextFactory = Callable[[], Any]
"""Async context manager factory yielding the :class:`ServingContext`."""


def create_app(endpoints: Mapping[str, CompiledEndpoint], context: ContextFactory) -> FastAPI:
    """Build the FastAPI app for compiled ``endpoints``.

    Args:
        endpoints: Endpoints validated and planned at start-up.
        context: Returns an async context manager that opens the stores, catalog
            and audit sink and yields the :class:`ServingContext`.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with context() as serving_context:
            assert isinstance(serving_context, ServingContext)
            app.state.serving = serving_context
            yield

    app = FastAPI(
        title="Groundwork", version="0.1.0", lifespan=lifespan,
        description="Features and functions served as governed endpoints for GenAI apps.",
    )
    install_error_handlers(app)
    app.include_router(router)
    add_endpoint_routes(app, dict(endpoints))
    app.openapi = _openapi_with_request_models(app, endpoints)  # type: ignore[method-assign]
    return app


def _openapi_with_request_models(
    app: FastAPI, endpoints: Mapping[str, CompiledEndpoint]
) -> Callable[[], dict[str, Any]]:
    """OpenAPI generator that also publishes each endpoint's request model."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for endpoint in endpoints.values():
                schema = endpoint.schemas.request.model_json_schema(
                    ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[endpoint.schemas.request.__name__] = schema
            app.openapi_schema = document
        return app.openapi_schema

    return openapi
