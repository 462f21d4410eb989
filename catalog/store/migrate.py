"""Schema migrations of the catalog, run from code with Alembic.

The revisions live in ``catalog/store/migrations/versions`` and ship with the
package, so an installed Groundwork migrates its database without any
``alembic.ini``. :func:`upgrade` (what :meth:`Catalog.create_schema` calls)
brings a database to the newest revision and is safe to call at every start:

- a database at the newest revision costs one read of ``alembic_version``;
- a fresh database gets every revision applied;
- a database created before migrations existed (by ``metadata.create_all``)
  is stamped with :data:`INITIAL_REVISION`, whose schema it holds, and then
  upgraded;
- concurrent callers serialise on a lock (``pg_advisory_xact_lock`` on
  PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so only one of them migrates.

To write a revision after changing :mod:`groundwork.catalog.store.models`, upgrade a scratch
database and autogenerate against it, then review the generated file::

    from groundwork.catalog.store.migrate import new_revision, upgrade
    upgrade(create_engine("sqlite:////tmp/scratch.db"))
    new_revision("sqlite:////tmp/scratch.db", "add grant comments")
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, inspect, text

from groundwork.errors import GroundworkError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
"""The Alembic script directory (``env.py``, ``script.py.mako``, ``versions/``)."""

INITIAL_REVISION = "0001"
"""The revision whose schema ``metadata.create_all`` produced before migrations existed."""

INITIAL_TABLES = frozenset({
    "feature_views", "functions", "endpoints", "principals", "group_memberships",
    "tokens", "grants", "audit_events", "sync_runs",
})
"""Tables of :data:`INITIAL_REVISION`; a database holding them but no version is stamped."""

_LOCK_KEY = 0x6777_6361_7461  # "gwcata": one advisory lock id for catalog migrations


class CatalogSchemaError(GroundworkError):
    """The catalog database holds a schema this version of Groundwork cannot migrate."""

    code = "catalog_schema_error"


def alembic_config(*, connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration over the packaged migrations.

    Args:
        connection: An open connection to migrate (preferred); the caller owns
            its transaction.
        url: A SQLAlchemy URL, used when no connection is given.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision shipped with this package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise CatalogSchemaError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; ``None`` when it was never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the catalog schema of ``engine``'s database to the newest revision.

    Raises:
        CatalogSchemaError: when the database is at a revision this package
            does not know (written by a newer Groundwork), or holds only part
            of the pre-migration schema.
    """
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    with engine.connect() as connection, connection.begin():
        _lock(connection)
        current = current_revision(connection)
        if current == head:
            return
        config = alembic_config(connection=connection)
        try:
            if current is None and _holds_initial_schema(connection):
                command.stamp(config, INITIAL_REVISION)
            command.upgrade(config, "head")
        except CommandError as error:
            raise CatalogSchemaError(
                f"cannot migrate the catalog from revision {current!r} to {head!r}: {error} "
                "(was it written by a newer Groundwork?)",
                revision=current,
                head=head,
            ) from error


def new_revision(url: str, message: str) -> Path:
    """Autogenerate the next revision from the difference between models and database.

    Args:
        url: A scratch database already at the newest revision.
        message: One line saying what the revision changes.

    Returns:
        The path of the generated file, to be reviewed before committing.
    """
    rev_id = f"{int(head_revision()) + 1:04d}"
    script = command.revision(
        alembic_config(url=url), message=message, autogenerate=True, rev_id=rev_id
    )
    head_revision.cache_clear()
    if not isinstance(script, Script):
        raise CatalogSchemaError(f"alembic generated no single revision: {script!r}")
    return Path(script.path)


def _lock(connection: Connection) -> None:
    """Take the database-wide migration lock for the current transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _holds_initial_schema(connection: Connection) -> bool:
    """Whether the database holds the pre-migration tables (and so needs a stamp).

    Raises:
        CatalogSchemaError: when it holds some of them but not all.
    """
    present = INITIAL_TABLES & set(inspect(connection).get_table_names())
    if present and present != INITIAL_TABLES:
        missing = sorted(INITIAL_TABLES - present)
        raise CatalogSchemaError(
            f"the catalog database holds some catalog tables but not {', '.join(missing)}; "
            "it was not created by Groundwork's create_schema",
            missing=missing,
        )
    return bool(present)

