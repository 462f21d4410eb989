"""The catalog: one object over one database, for every part of the registry.

:class:`Catalog` is assembled from one class per concern, each in its own
module and each a thin layer over the shared engine in :mod:`catalog.database`:

- :class:`~catalog.definitions.DefinitionCatalog`: feature views, functions, endpoints;
- :class:`~catalog.principals.PrincipalCatalog`: principals and groups;
- :class:`~catalog.credentials.TokenCatalog`: bearer tokens and authentication;
- :class:`~catalog.permissions.GrantCatalog`: grants;
- :class:`~catalog.operations.OperationsCatalog`: audit events and sync runs.

Every method is synchronous and opens its own short transaction. Async
callers on the hot path go through :class:`catalog.access.AccessController`
(cached) and :class:`catalog.audit.AuditSink` (batched, off the event loop).
"""

from __future__ import annotations

from catalog.credentials import TokenCatalog
from catalog.definitions import DefinitionCatalog
from catalog.operations import OperationsCatalog
from catalog.permissions import GrantCatalog
from catalog.principals import PrincipalCatalog


class Catalog(DefinitionCatalog, PrincipalCatalog, TokenCatalog, GrantCatalog, OperationsCatalog):
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
