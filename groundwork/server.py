"""Wire settings, stores, catalog and endpoints into a servable app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from catalog.access import AccessController
from catalog.audit import AuditSink
from catalog.store import Catalog
from dag.app import create_app
from dag.metrics import Metrics
from dag.runtime import compile_endpoints
from dag.serving import ServingContext
from dag.spec import EndpointSpec
from features.registry import load_view_specs
from groundwork.settings import PRIMARY, Settings
from groundwork.travel import TRAVEL_ENDPOINTS
from sync.factory import open_store


def build_app(settings: Settings, endpoints: Sequence[EndpointSpec] = TRAVEL_ENDPOINTS) -> FastAPI:
    """The REST app for ``settings``; endpoints are validated and planned here, at start-up."""
    views = load_view_specs(settings.feature_tables_dir)
    compiled = compile_endpoints(endpoints, views)

    @asynccontextmanager
    async def serving_context() -> AsyncIterator[ServingContext]:
        configs = settings.store_configs()
        serving = {PRIMARY, *settings.view_stores.values()}
        stores = {name: open_store(configs[name], default_path=settings.online_db_path)
                  for name in serving}
        catalog = Catalog(settings.resolved_catalog_url)
        catalog.create_schema()
        audit = AuditSink(catalog)
        audit.start()
        try:
            yield ServingContext(endpoints=compiled, stores=stores,
                                 view_stores=dict(settings.view_stores), catalog=catalog,
                                 access=AccessController(catalog), audit=audit, metrics=Metrics())
        finally:
            await audit.stop()
            for store in stores.values():
                await store.close()
            catalog.dispose()

    return create_app(compiled, serving_context)


def app_factory() -> FastAPI:
    """Uvicorn factory: settings from the environment (``GROUNDWORK_*``)."""
    return build_app(Settings())
