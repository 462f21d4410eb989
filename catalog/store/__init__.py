"""The SQL side of the catalog: one :class:`Catalog` facade over small repositories.

``with open_catalog(url) as catalog:`` opens the database, migrates it to the
newest schema and disposes of its connections afterwards. Repositories, one a
module, each own a group of tables (:mod:`~groundwork.catalog.store.principals`,
:mod:`~groundwork.catalog.store.grants`, :mod:`~groundwork.catalog.store.tokens`,
:mod:`~groundwork.catalog.store.audit`, :mod:`~groundwork.catalog.store.sync_runs`,
:mod:`~groundwork.catalog.store.definitions`, :mod:`~groundwork.catalog.store.lineage`)
over the shared :mod:`~groundwork.catalog.store.database`; the tables are
:mod:`~groundwork.catalog.store.models`, migrated by :mod:`~groundwork.catalog.store.migrate`.
"""

from groundwork.catalog.store.catalog import Catalog, open_catalog

__all__ = ["Catalog", "open_catalog"]
