"""The catalog: one object over one database, for every part of the registry.

:class:`Catalog` is assembled from one class per concern, each in its own
module and each a thin layer over the shared engine in :mod:`groundwork.catalog.database`:

- :class:`~groundwork.catalog.definitions.DefinitionCatalog`: feature views, functions, endpoints;
- :class:`~groundwork.catalog.principals.PrincipalCatalog`: principals and groups;
- :class:`~groundwork.catalog.credentials.TokenCatalog`: bearer tokens and authentication;
- :class:`~groundwork.catalog.permissions.GrantCatalog`: grants;
- :class:`~groundwork.catalog.audit_log.AuditLogCatalog`: audit events;
- :class:`~groundwork.catalog.operations.OperationsCatalog`: sync runs;
- :class:`~groundwork.catalog.lineage_catalog.LineageCatalog`: declared lineage edges and
  the lineage graph of an endpoint.

The schema is managed by Alembic migrations (:mod:`groundwork.catalog.migrate`);
:meth:`Catalog.create_schema` upgrades to the newest one.

Every method is synchronous and opens its own short transaction. Async
callers on the hot path go through :class:`groundwork.catalog.access.AccessController`
(cached) and :class:`groundwork.catalog.audit.AuditSink` (batched, off the event loop).
"""

from __future__ import annotations

from groundwork.catalog.audit_log import AuditLogCatalog
from groundwork.catalog.credentials import TokenCatalog
from groundwork.catalog.lineage_catalog import LineageCatalog
from groundwork.catalog.permissions import GrantCatalog
from groundwork.catalog.principals import PrincipalCatalog


class Catalog(LineageCatalog, PrincipalCatalog, TokenCatalog, GrantCatalog, AuditLogCatalog):
    """The persistent registry of Groundwork (SQLite by default, PostgreSQL in production).

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///state/catalog.db``.
        echo: Log every SQL statement (debugging only).

    Example::

        catalog = Catalog("sqlite:///state/catalog.db")
        catalog.create_schema()
        catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
        catalog.grant("agents", Privilege.EXECUTE, ObjectType.ENDPOINT, "hotel_*",
                      grantee_kind=GranteeKind.GROUP)
        issued = catalog.issue_token("planner", entity_filter={"user_id": 42})
    """
