"""Migrations: a fresh or pre-migration database ends at head, equal to the models' schema."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from groundwork.catalog.policy import PrincipalKind
from groundwork.catalog.store import Catalog
from groundwork.catalog.store.migrate import (
    INITIAL_REVISION,
    MIGRATIONS_DIR,
    CatalogSchemaError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from groundwork.catalog.store.models import Base

DATA = Path(__file__).parent / "data"
SCHEMA_BEFORE_MIGRATIONS = DATA / "schema_before_migrations.sqlite.sql"


def schema_differences(engine: Engine) -> list[object]:
    """What autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def sqlite_ddl(engine: Engine) -> dict[str, str]:
    """Every table's and index's CREATE statement, whitespace-normalised, by name."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                 "'%alembic%'")
        )
        return {name: " ".join(sql.split()) for name, sql in rows}


def run_statements(engine: Engine, script: str) -> None:
    with engine.begin() as connection:
        for statement in script.split(";"):
            if statement.strip():
                connection.exec_driver_sql(statement)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return create_engine(f"sqlite:///{tmp_path / 'catalog.db'}")


def test_the_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert sorted(path.name for path in (MIGRATIONS_DIR / "versions").glob("v*.py"))[0] == (
        "v0001_initial_schema.py"
    )


def test_a_fresh_database_is_migrated_to_the_models_schema(engine: Engine) -> None:
    upgrade(engine)

    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    assert schema_differences(engine) == []
    reference = create_engine("sqlite://")
    Base.metadata.create_all(reference)
    assert sqlite_ddl(engine) == sqlite_ddl(reference)


def test_upgrading_twice_changes_nothing(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    catalog.create_schema()
    catalog.create_principal("planner", PrincipalKind.AGENT)

    catalog.create_schema()

    assert [principal.name for principal in catalog.list_principals()] == ["planner"]
    catalog.dispose()


def test_a_database_made_before_migrations_is_stamped_and_upgraded(engine: Engine) -> None:
    run_statements(engine, SCHEMA_BEFORE_MIGRATIONS.read_text())
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO principals (name, kind, created_at, disabled) "
            "VALUES ('planner', 'agent', '2030-01-01 00:00:00.000000', 0)"
        ))

    upgrade(engine)

    assert schema_differences(engine) == []
    catalog = Catalog(str(engine.url))
    assert catalog.get_principal("planner").created_at == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    catalog.dispose()


def test_the_initial_revision_is_the_schema_made_before_migrations(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), INITIAL_REVISION)
    before = create_engine("sqlite://")
    run_statements(before, SCHEMA_BEFORE_MIGRATIONS.read_text())

    assert sqlite_ddl(engine) == sqlite_ddl(before)


def test_every_revision_downgrades_and_upgrades_again(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "base")
    assert set(sqlite_ddl(engine)) == set()

    upgrade(engine)

    assert schema_differences(engine) == []


def test_part_of_the_old_schema_is_refused(engine: Engine) -> None:
    script = SCHEMA_BEFORE_MIGRATIONS.read_text()
    run_statements(engine, re.split(r";\s*CREATE TABLE grants", script)[0])

    with pytest.raises(CatalogSchemaError, match="grants"):
        upgrade(engine)


def test_a_revision_from_a_newer_groundwork_is_refused(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(CatalogSchemaError, match="9999"):
        upgrade(engine)


def test_concurrent_starts_migrate_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    catalogs = [Catalog(url) for _ in range(4)]
    errors: list[Exception] = []

    def start(catalog: Catalog) -> None:
        try:
            catalog.create_schema()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=start, args=(catalog,)) for catalog in catalogs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert schema_differences(catalogs[0].engine) == []
    for catalog in catalogs:
        catalog.dispose()
