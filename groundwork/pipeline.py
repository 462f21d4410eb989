"""The offline half of the travel planner: data → Spark features → online store → catalog.

Each step is one function of the settings, usable from the CLI one by one or
all together by the demo. Long steps report progress through a callback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from groundwork.catalog.store import Catalog, open_catalog
from groundwork.errors import Conflict, FeatureViewNotFound, NotFound
from groundwork.features.spec import ViewSpec, table_location
from groundwork.settings import PRIMARY, Settings
from groundwork.sync.writer import SyncReport

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from groundwork.dag.spec import EndpointSpec

# Each step imports what only it needs (Spark, Feast, the DAG compiler, the sample-data
# generator) when it runs: `groundwork sync` starts without the others' import time.

Progress = Callable[[str], None]
AS_OF_FILE = "as-of"


def _quiet(_: str) -> None:
    return None


def default_as_of() -> dt.datetime:
    """The current hour in UTC: the default moment the sample data describes."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def generate_data(
    settings: Settings, as_of: dt.datetime, progress: Progress = _quiet
) -> dict[str, int]:
    """Write the deterministic travel sample data; return row counts per dataset."""
    from groundwork.features.sample_data import generate

    counts = generate(settings.raw_dir, as_of=as_of, scale=settings.sample_scale,
                      progress=progress)
    (settings.state_dir / AS_OF_FILE).write_text(as_of.isoformat() + "\n")
    return counts


def recorded_as_of(settings: Settings) -> dt.datetime:
    """The moment the generated sample data describes (written by :func:`generate_data`)."""
    path = settings.state_dir / AS_OF_FILE
    if not path.exists():
        raise NotFound(f"no sample data in {settings.state_dir}; run `groundwork generate`",
                       path=str(path))
    return dt.datetime.fromisoformat(path.read_text().strip())


@contextmanager
def spark_for(settings: Settings) -> Iterator[SparkSession]:
    """A Spark session on the configured master, stopped afterwards."""
    from groundwork.features.spark import spark_session

    spark = spark_session(settings.spark_master)
    try:
        yield spark
    finally:
        spark.stop()


def compute_features(
    settings: Settings, as_of: dt.datetime, views: Sequence[str] | None = None,
    progress: Progress = _quiet, *, spark: SparkSession | None = None,
) -> dict[str, int]:
    """Run one Spark job per feature view; return row counts per feature table."""
    from groundwork.features.jobs.runner import run_jobs

    with nullcontext(spark) if spark is not None else spark_for(settings) as session:
        return run_jobs(session, raw_dir=settings.raw_location,
                        feature_tables_dir=settings.feature_tables_location, as_of=as_of,
                        views=views, progress=progress)


def sync_views(
    settings: Settings,
    views: Sequence[str] | None = None,
    *,
    store: str = PRIMARY,
    full: bool = False,
    spark: SparkSession | None = None,
    partitions: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    engine: str | None = None,
) -> list[SyncReport]:
    """Sync views into a store, incrementally from each one's last watermark.

    Args:
        settings: Process settings.
        views: View names; all when ``None``.
        store: Name of the target store (``primary`` or a key of ``settings.stores``).
        full: Ignore watermarks and re-sync everything.
        spark: A running session to reuse (and the Spark engine); a new one when needed.
        partitions: Parallel writers (Spark partitions, or the Arrow engine's concurrent
            writers); each engine's default when ``None``.
        batch_size: Rows per write call; the store's maximum by default.
        progress: Called with (views, partitions done, partitions in all): the view's
            name, or how many views the one job syncs.
        engine: ``auto``, ``spark`` or ``arrow`` (``groundwork.sync.engines``); the
            setting ``sync_engine`` when ``None``, but Spark when a session is given.
    """
    from groundwork.sync.engines import SyncEngine, chosen_engine
    from groundwork.sync.run import sync_with_arrow, sync_with_spark

    configs = settings.store_configs()
    if store not in configs:
        raise NotFound(f"no store named {store!r}", store=store, known=sorted(configs))
    config = configs[store]
    key = settings.store_key(store)
    with open_catalog(settings.resolved_catalog_url) as catalog:
        specs = _sync_specs(settings, catalog, views)
        unknown = [name for name in views or [] if name not in specs]
        if unknown:
            raise FeatureViewNotFound(f"unknown view(s) {', '.join(unknown)}", views=unknown)
        selected = [specs[name] for name in dict.fromkeys(views or specs)]
        label = selected[0].name if len(selected) == 1 else f"{len(selected)} views"
        requested = engine or (SyncEngine.SPARK if spark is not None else settings.sync_engine)
        if chosen_engine(requested, selected) is SyncEngine.ARROW:
            return sync_with_arrow(selected, config, catalog.sync_history, store=key,
                                   default_path=settings.online_db_path, full=full,
                                   writers=partitions, batch_size=batch_size)
        with nullcontext(spark) if spark is not None else spark_for(settings) as session:
            return sync_with_spark(
                session, selected, config, catalog.sync_history, store=key,
                default_path=settings.online_db_path, full=full, partitions=partitions,
                batch_size=batch_size,
                progress=None if progress is None else partial(progress, label),
            )


def _sync_specs(settings: Settings, catalog: Catalog,
                views: Sequence[str] | None) -> dict[str, ViewSpec]:
    """The views to sync: those registered in the catalog, else the definitions in ``features/``.

    Registered views spare the sync Feast's import (seconds), as they spare the server's
    start; the definitions count when nothing is registered yet or a view asked for is not.
    Each view's table is read from the configured feature-tables location.
    """
    registered = {view.name: view for view in catalog.list_feature_views()}
    if not registered or any(name not in registered for name in views or []):
        from groundwork.features.registry import load_view_specs  # Feast

        return load_view_specs(settings.feature_tables_location)
    location = settings.feature_tables_location
    return {name: replace(view, source_path=table_location(location, name))
            for name, view in registered.items()}


@dataclass(frozen=True, slots=True)
class Registration:
    """What ``register`` did.

    Attributes:
        views: Feature views registered.
        functions: Functions registered.
        endpoints: Endpoints registered.
        token_file: Where the demo agent's token was written, if one was issued.
    """

    views: int
    functions: int
    endpoints: int
    token_file: Path | None


def register(
    settings: Settings, endpoints: Sequence[EndpointSpec] | None = None,
    *, demo_principal: bool = True,
) -> Registration:
    """Register views, functions and endpoints; create the demo agent and its token."""
    from groundwork.catalog.definitions import EndpointRecord, FunctionRecord
    from groundwork.catalog.lineage import job_edges
    from groundwork.dag.runtime import compile_endpoints
    from groundwork.features.jobs.runner import JOBS, SOURCES
    from groundwork.features.registry import load_view_specs
    from groundwork.functions.travel import TRAVEL_FUNCTIONS

    if endpoints is None:
        from groundwork.travel import TRAVEL_ENDPOINTS

        endpoints = TRAVEL_ENDPOINTS
    specs = load_view_specs(settings.feature_tables_location)
    compiled = compile_endpoints(endpoints, specs)
    with open_catalog(settings.resolved_catalog_url) as catalog:
        for view in specs.values():
            catalog.definitions.register_feature_view(view)
        for function in TRAVEL_FUNCTIONS:
            catalog.definitions.register_function(FunctionRecord.from_callable(function))
        for endpoint in compiled.values():
            catalog.definitions.register_endpoint(EndpointRecord(
                name=endpoint.name, description=endpoint.description,
                input_schema=endpoint.input_schema, output_schema=endpoint.output_schema,
                feature_views=endpoint.views, functions=endpoint.functions,
            ))
        catalog.declared_lineage.record(job_edges(JOBS, SOURCES))
        token_file = _demo_token(settings, catalog) if demo_principal else None
    return Registration(len(specs), len(TRAVEL_FUNCTIONS), len(compiled), token_file)


def _demo_token(settings: Settings, catalog: Catalog) -> Path:
    from groundwork.agent_tokens import DEMO_PRINCIPAL
    from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege

    try:
        catalog.principals.create(DEMO_PRINCIPAL, PrincipalKind.AGENT)
        catalog.grants.grant(DEMO_PRINCIPAL, Privilege.EXECUTE, ObjectType.ENDPOINT, "*",
                             grantee_kind=GranteeKind.PRINCIPAL)
    except Conflict:
        pass
    issued = catalog.tokens.issue(DEMO_PRINCIPAL, description="travel planner demo",
                                  expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    path = settings.demo_token_path
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(issued.token + "\n")
    return path
