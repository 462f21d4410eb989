"""Wire settings, stores, catalog and endpoints into a servable app, and serve it.

:func:`serve` runs ``settings.workers`` shared-nothing worker processes on one port
(the HTTP server's own workers: the kernel spreads connections over them). Each
worker builds its app from the same ``GROUNDWORK_*`` environment
(:func:`worker_app_factory`), so each has its own store connections, catalog
engine, access cache and audit sink; access changes reach every worker through
the catalog, as they reach any other server process. The workers spool audit
events; the serving parent supervises the one shipper that moves them into the
catalog (:class:`~groundwork.audit_shipping.ShipperSupervisor`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager

from fastapi import FastAPI

from groundwork.audit_shipping import ShipperSupervisor
from groundwork.catalog.access import AccessController
from groundwork.catalog.audit import AuditSink
from groundwork.catalog.changes import ACCESS_CHANGE_BOUND, AccessChangeWatcher
from groundwork.catalog.store import Catalog, open_catalog
from groundwork.dag.http.app import create_app
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.limits import EdgeLimits
from groundwork.dag.http.metrics import Metrics
from groundwork.dag.runtime import compile_endpoints
from groundwork.dag.spec import EndpointSpec
from groundwork.features.services import FEATURE_SERVICES
from groundwork.features.spec import ViewSpec
from groundwork.settings import PRIMARY, Settings
from groundwork.sync.factory import open_store
from groundwork.travel import TRAVEL_ENDPOINTS


def served_views(settings: Settings, catalog: Catalog) -> dict[str, ViewSpec]:
    """The feature views to serve: those registered in ``catalog`` (its schema current).

    The catalog is where ``groundwork register`` publishes the views, so the
    server serves what was registered, and starts without importing Feast (whose
    import alone takes seconds). A catalog with no views yet (a state directory
    that was never registered) falls back to the definitions in ``features/``.
    """
    registered = {view.name: view for view in catalog.list_feature_views()}
    if registered:
        return registered
    from groundwork.features.registry import (
        load_view_specs,  # Feast: only for an unregistered state
    )

    return load_view_specs(settings.feature_tables_location)


def build_app(
    settings: Settings,
    endpoints: Sequence[EndpointSpec] = TRAVEL_ENDPOINTS,
    views: Mapping[str, ViewSpec] | None = None,
    *,
    ship_audit: bool = False,
) -> FastAPI:
    """The REST app for ``settings``; endpoints are validated and planned here, at start-up.

    Audit events are spooled under the state directory; stopping the app ships
    what is left of them into the catalog.

    Args:
        settings: Where the state, stores and catalog are.
        endpoints: Endpoint definitions to serve.
        views: Feature views by name (default: :func:`served_views`).
        ship_audit: Supervise an audit shipper process while serving (what
            ``groundwork serve`` with one worker does), so that events reach the
            catalog as they come; without it they reach it when the app stops,
            or through the shipper of a parent process.
    """
    opened = ExitStack()  # one engine for start-up and serving, disposed when serving ends
    catalog = opened.enter_context(open_catalog(settings.resolved_catalog_url))
    try:
        views = served_views(settings, catalog) if views is None else views
        compiled = compile_endpoints(endpoints, views)
    except BaseException:
        opened.close()
        raise

    @asynccontextmanager
    async def serving_context() -> AsyncIterator[ServingContext]:
        configs = settings.store_configs()
        serving = {PRIMARY, *settings.view_stores.values()}
        stores = {name: open_store(configs[name], default_path=settings.online_db_path)
                  for name in serving}
        audit = AuditSink(catalog.spool_files, spool_dir=settings.audit_spool_dir)
        audit.start()
        shipper = ShipperSupervisor(settings) if ship_audit else None
        if shipper is not None:
            shipper.start()
        access = AccessController(catalog, max_age=ACCESS_CHANGE_BOUND)
        watcher = AccessChangeWatcher(catalog, access)  # changes made by other processes
        watcher.start()
        try:
            yield ServingContext(endpoints=compiled, stores=stores,
                                 view_stores=dict(settings.view_stores), primary_store=PRIMARY,
                                 catalog=catalog, access=access, audit=audit, metrics=Metrics(),
                                 views=views, feature_services=FEATURE_SERVICES)
        finally:
            await watcher.stop()
            await audit.stop()
            if shipper is not None:
                await asyncio.to_thread(shipper.stop)
            for store in stores.values():
                await store.close()
            opened.close()

    limits = EdgeLimits(max_body_bytes=settings.max_body_bytes,
                        body_timeout_seconds=settings.body_timeout_seconds)
    return create_app(compiled, serving_context, limits)


def app_factory() -> FastAPI:
    """Uvicorn or Granian factory: settings from the environment (``GROUNDWORK_*``).

    The app supervises its own audit shipper. Started by hand with several
    workers, each worker has one, and all but one stand by (they share the
    spool directory's lock); ``groundwork serve`` runs one for all instead.
    """
    return build_app(Settings(), ship_audit=True)


def worker_app_factory() -> FastAPI:
    """The factory of ``groundwork serve``'s workers: the serving parent ships their audit."""
    return build_app(Settings())


APP_FACTORY = "groundwork.server:app_factory"
"""Import path of :func:`app_factory`, for an HTTP server started by hand."""

WORKER_APP_FACTORY = "groundwork.server:worker_app_factory"
"""Import path of :func:`worker_app_factory`, which each worker process of :func:`serve` calls."""


@contextmanager
def supervised_shipper(settings: Settings) -> Iterator[ShipperSupervisor]:
    """An audit shipper supervised by this process until the block ends."""
    supervisor = ShipperSupervisor(settings)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve the app with ``settings.http_server`` in ``settings.workers`` processes.

    One uvicorn worker serves, in this process, the app built here, which
    supervises its audit shipper. Otherwise each worker process builds its app
    from the environment (where ``settings`` came from) and this process, the
    workers' parent, supervises the one audit shipper while they serve.
    """
    workers = settings.workers
    if settings.http_server == "granian":
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels

        with supervised_shipper(settings):
            Granian(WORKER_APP_FACTORY, factory=True, interface=Interfaces.ASGI, address=host,
                    port=port, workers=workers, websockets=False, log_level=LogLevels.warning,
                    log_access=False).serve()
        return
    import uvicorn

    from groundwork.dag.http.wire import CoalescingProtocol

    if workers == 1:
        uvicorn.run(build_app(settings, ship_audit=True), host=host, port=port,
                    http=CoalescingProtocol, log_level="warning", access_log=False)
        return
    with supervised_shipper(settings):
        uvicorn.run(WORKER_APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                    http=CoalescingProtocol, log_level="warning", access_log=False)
