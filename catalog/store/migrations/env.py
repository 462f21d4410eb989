"""Alembic environment of the catalog.

Groundwork runs migrations through :mod:`groundwork.catalog.store.migrate`, which hands over an
open connection (already holding the migration lock) in
``config.attributes["connection"]``. Given only ``sqlalchemy.url`` instead,
this environment opens its own connection. Offline (SQL script) mode is not
supported: the catalog always migrates a live database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from groundwork.catalog.store.models import Base


def _configure_and_run(connection: Connection) -> None:
    """Run the pending migrations on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Migrate the connection handed over by :mod:`~groundwork.catalog.store.migrate` or the URL."""
    if context.is_offline_mode():
        raise RuntimeError("the catalog does not support offline migrations")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as own_connection:
            _configure_and_run(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()


run_migrations()
