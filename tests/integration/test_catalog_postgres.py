"""The catalog on a real PostgreSQL: migrations, every unit scenario, and concurrent use.

The scenario modules of ``tests/unit/catalog`` are imported whole, so each of
their tests runs here a second time, against PostgreSQL instead of SQLite: the
``catalog_url`` and ``catalog`` fixtures below replace the unit ones. The
database is migrated once per module and emptied before every test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, func, inspect, make_url, select, text

from groundwork.catalog.audit import AuditEvent, AuditSink
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.catalog.store.migrate import (
    INITIAL_REVISION,
    alembic_config,
    current_revision,
    head_revision,
)
from groundwork.catalog.store.models import AuditEventRow, Base
from groundwork.errors import Conflict, NotAuthenticated
from groundwork.net import free_port
from tests.support.postgres_server import PostgresServer
from tests.unit.catalog.conftest import known_entities  # noqa: F401
from tests.unit.catalog.store.test_administration import *  # noqa: F403
from tests.unit.catalog.store.test_definitions import *  # noqa: F403
from tests.unit.catalog.store.test_lineage import *  # noqa: F403
from tests.unit.catalog.store.test_principals_and_grants import *  # noqa: F403
from tests.unit.catalog.store.test_sync_runs import *  # noqa: F403

# The unit scenarios, collected again in this module (see the module docstring).
from tests.unit.catalog.test_access import *  # noqa: F403
from tests.unit.catalog.test_audit import *  # noqa: F403
from tests.unit.catalog.test_changes import *  # noqa: F403
from tests.unit.catalog.test_entity_filters import *  # noqa: F403
from tests.unit.catalog.test_tokens import *  # noqa: F403

SCHEMA_BEFORE_MIGRATIONS = (
    Path(__file__).parents[1] / "unit" / "catalog" / "store" / "data"
    / "schema_before_migrations.postgresql.sql"
)


@pytest.fixture(scope="module")
def migrated_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on the session's database, migrated to head once for this module."""
    catalog = Catalog(postgres_url)
    catalog.create_schema()
    catalog.dispose()
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def catalog_url(migrated_engine: Engine) -> str:
    """The migrated database, emptied, its ids restarting at 1.

    ``DELETE`` and ``setval`` take a few milliseconds on these small tables,
    ``TRUNCATE`` ten times as long.
    """
    with migrated_engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
            if "id" in table.c and table.c.id.autoincrement is not False:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, 'id'), 1, false)"),
                    {"table": table.name},
                )
    return migrated_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def catalog(catalog_url: str) -> Iterator[Catalog]:
    """A catalog on the emptied PostgreSQL database, disposed after the test."""
    catalog = Catalog(catalog_url)
    catalog.create_schema()
    yield catalog
    catalog.dispose()


@pytest.fixture
def database_outage(
    catalog: Catalog, catalog_url: str, postgres_server: PostgresServer
) -> Callable[[], AbstractContextManager[None]]:
    """``with database_outage():`` the catalog's database refuses connections, then is back.

    The catalog's pooled connections are closed and the database stops accepting
    new ones (``ALLOW_CONNECTIONS false``), as a stopped server would; other
    engines keep the connections they hold.
    """
    database = make_url(catalog_url).database
    admin = create_engine(postgres_server.url(postgres_server.admin_database),
                          isolation_level="AUTOCOMMIT")

    def allow_connections(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" '
                                    f"WITH ALLOW_CONNECTIONS {str(allowed).lower()}"))

    @contextmanager
    def outage() -> Iterator[None]:
        catalog.dispose()
        allow_connections(False)
        try:
            yield
        finally:
            allow_connections(True)
            admin.dispose()

    return outage


@contextmanager
def empty_schema(postgres_url: str) -> Iterator[Engine]:
    """An engine whose connections see only a new, empty schema, dropped afterwards.

    The schema is first on the ``search_path`` given in the URL, so catalogs
    made from ``engine.url`` work in it too. Schemas are used rather than
    databases because dropping a database waits for a checkpoint (seconds).
    """
    schema = f"empty_{secrets.token_hex(4)}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(
        make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def fresh_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on an empty schema of its own (see :func:`empty_schema`)."""
    with empty_schema(postgres_url) as engine:
        yield engine


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def described(engine: Engine) -> dict[str, Any]:
    """Columns, keys, constraints and indexes of every catalog table, for comparison."""
    inspector = inspect(engine)
    tables = sorted(set(inspector.get_table_names()) - {"alembic_version"})
    return {
        table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                        for c in inspector.get_columns(table)],
            "primary_key": inspector.get_pk_constraint(table),
            "unique": sorted(inspector.get_unique_constraints(table), key=str),
            "foreign_keys": inspector.get_foreign_keys(table),
            "checks": sorted(inspector.get_check_constraints(table), key=str),
            "indexes": sorted(inspector.get_indexes(table), key=str),
        }
        for table in tables
    }


def test_a_fresh_database_is_migrated_to_the_models_schema(fresh_engine: Engine) -> None:
    Catalog(url_of(fresh_engine)).create_schema()

    with fresh_engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert differences(fresh_engine) == []


def test_a_pre_migration_database_is_stamped_upgraded_and_kept(fresh_engine: Engine) -> None:
    with fresh_engine.begin() as connection:
        connection.exec_driver_sql(SCHEMA_BEFORE_MIGRATIONS.read_text())
        connection.execute(text("INSERT INTO principals (name, kind, created_at, disabled) "
                                "VALUES ('planner', 'agent', now(), false)"))
    catalog = Catalog(url_of(fresh_engine))

    catalog.create_schema()

    assert differences(fresh_engine) == []
    assert catalog.get_principal("planner").kind is PrincipalKind.AGENT
    catalog.dispose()


def test_the_initial_revision_is_the_pre_migration_schema(
    fresh_engine: Engine, postgres_url: str
) -> None:
    with fresh_engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), INITIAL_REVISION)
    with empty_schema(postgres_url) as before:
        with before.begin() as connection:
            connection.exec_driver_sql(SCHEMA_BEFORE_MIGRATIONS.read_text())

        assert described(fresh_engine) == described(before)


def test_every_revision_downgrades_and_upgrades_again(fresh_engine: Engine) -> None:
    catalog = Catalog(url_of(fresh_engine))
    catalog.create_schema()
    with fresh_engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert described(fresh_engine) == {}

    catalog.create_schema()

    assert differences(fresh_engine) == []
    catalog.dispose()


def run_concurrently(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call on its own thread at once; return results or raised exceptions."""
    results: list[object] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_starts_migrate_once(fresh_engine: Engine) -> None:
    catalogs = [Catalog(url_of(fresh_engine)) for _ in range(4)]

    results = run_concurrently([catalog.create_schema for catalog in catalogs])

    assert results == [None] * 4
    assert differences(fresh_engine) == []
    for catalog in catalogs:
        catalog.dispose()


@pytest.mark.usefixtures("known_entities")
def test_one_token_used_from_many_threads_then_revoked(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    issued = catalog.issue_token("planner", entity_filter={"user_id": 42})

    def authenticate_many() -> set[str]:
        return {catalog.authenticate(issued.token).name for _ in range(25)}

    assert run_concurrently([authenticate_many] * 8) == [{"planner"}] * 8
    assert catalog.list_tokens("planner")[0].last_used_at is not None

    catalog.revoke_token(issued.token_id)
    outcomes = run_concurrently([lambda: catalog.authenticate(issued.token)] * 8)
    assert all(isinstance(outcome, NotAuthenticated) for outcome in outcomes)


def test_the_same_grant_made_concurrently_exists_once(catalog: Catalog) -> None:
    def grant() -> object:
        return catalog.grant("agents", Privilege.EXECUTE, ObjectType.ENDPOINT, "hotel_*",
                             grantee_kind=GranteeKind.GROUP)

    outcomes = run_concurrently([grant] * 6)

    assert sum(not isinstance(outcome, Exception) for outcome in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, Exception))
    assert len(catalog.list_grants()) == 1


def test_bulk_audit_through_the_sink_is_queryable_page_by_page(
    catalog: Catalog, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    events = [
        AuditEvent(ts=dt.datetime.now(dt.UTC), principal=f"agent-{n % 7}",
                   object_type=ObjectType.ENDPOINT,
                   object_name="hotel_offers" if n % 3 else "user_profile",
                   privilege=Privilege.EXECUTE, allowed=n % 10 != 0, reason="granted",
                   status_code=200, latency_ms=1.0, trace_id=f"trace-{n}")
        for n in range(5_000)
    ]

    async def emit_all() -> None:
        sink = AuditSink(catalog.spool_files, spool_dir=spool_dir, max_file_bytes=200_000)
        sink.start()
        for event in events:
            sink.emit(event)
        await sink.stop()

    asyncio.run(emit_all())

    with catalog.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AuditEventRow)).scalar() == 5_000
    denied, cursor, pages = 0, None, 0
    while True:
        page = catalog.query_audit(allowed=False, limit=120, cursor=cursor)
        denied, pages = denied + len(page.events), pages + 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert (denied, pages) == (500, 5)
    agent_0 = catalog.query_audit(principal="agent-0", object_name="user_profile", limit=1_000)
    assert len(agent_0.events) == len([n for n in range(5_000) if n % 7 == 0 and n % 3 == 0])


FAILED_AT = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)


async def test_a_catalog_on_a_port_nothing_listens_on_keeps_events_spooled(
    tmp_path: Path,
) -> None:
    unreachable = Catalog(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/groundwork")
    sink = AuditSink(unreachable.spool_files, spool_dir=tmp_path, now=lambda: FAILED_AT)
    events = [AuditEvent(ts=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), principal=None,
                         object_type=ObjectType.ENDPOINT, object_name="a\x00b",
                         privilege=Privilege.EXECUTE, allowed=False, reason="no token",
                         status_code=401, latency_ms=0.1, trace_id="t" * 100)] * 25

    for event in events:
        sink.emit(event)
    assert await sink.flush() == 0

    health = sink.health()
    assert (health.last_error_at, health.last_error) == (FAILED_AT, "OperationalError")
    assert (health.written, health.reduced, health.dropped) == (25, 0, 0)
    assert sum(1 for line in b"".join(path.read_bytes() for path in tmp_path.glob("*.log"))
               .splitlines()) == 25  # every event waits in the spool
    unreachable.dispose()
