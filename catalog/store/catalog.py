"""The catalog: one facade over one database, composed of one repository per table group.

Each repository is a small class over the shared :class:`Database`:

- :attr:`Catalog.definitions`: feature views, functions, endpoints;
- :attr:`Catalog.principals`: principals and groups;
- :attr:`Catalog.tokens`: bearer tokens and authentication;
- :attr:`Catalog.grants`: grants;
- :attr:`Catalog.audit`: audit events;
- :attr:`Catalog.spool_files`: how far each audit spool file is shipped;
- :attr:`Catalog.sync_history`: sync runs and their watermarks;
- :attr:`Catalog.declared_lineage`: lineage edges declared at registration.

The facade keeps one method per operation (``catalog.grant(...)`` is
``catalog.grants.grant(...)``), so callers may use either. The schema is
managed by Alembic migrations (:mod:`groundwork.catalog.store.migrate`);
:meth:`Catalog.create_schema` upgrades to the newest one.

Every method is synchronous and opens its own short transaction. Async
callers on the hot path go through :class:`groundwork.catalog.access.AccessController`
(cached) and :class:`groundwork.catalog.audit.AuditSink` (a local append; a separate
process ships the events here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine

from groundwork.catalog.definitions import EndpointRecord, FunctionRecord
from groundwork.catalog.entity_filters import EntityValue
from groundwork.catalog.events import AuditEvent, AuditPage
from groundwork.catalog.lineage import Lineage, LineageEdge, Node, Upstream, build_lineage
from groundwork.catalog.policy import (
    Grant,
    GranteeKind,
    ObjectType,
    Principal,
    PrincipalKind,
    Privilege,
)
from groundwork.catalog.principals import GroupRecord, PrincipalRecord
from groundwork.catalog.store.audit import AuditRepository
from groundwork.catalog.store.database import Database, catalog_reachable
from groundwork.catalog.store.definitions import DefinitionRepository
from groundwork.catalog.store.grants import GrantRepository
from groundwork.catalog.store.lineage import LineageRepository
from groundwork.catalog.store.models import utc_now
from groundwork.catalog.store.principals import PrincipalRepository
from groundwork.catalog.store.spool_files import SpoolFileRepository
from groundwork.catalog.store.sync_runs import SyncRunRepository
from groundwork.catalog.store.tokens import TokenRepository
from groundwork.catalog.tokens import AuthenticatedToken, IssuedToken, TokenRecord
from groundwork.features.spec import ViewSpec
from groundwork.sync.state import SyncRun, SyncStatus


class Catalog:
    """The persistent registry of Groundwork (SQLite by default, PostgreSQL in production).

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///state/catalog.db``.
        echo: Log every SQL statement (debugging only).
        now: Wall clock (UTC) for token expiry; tests pass their own to move time.

    Attributes:
        definitions: Feature views, functions and endpoints.
        principals: Principals and groups.
        tokens: Bearer tokens.
        grants: Grants.
        audit: Audit events.
        spool_files: How far each audit spool file is shipped into :attr:`audit`.
        sync_history: Sync runs (a :class:`groundwork.sync.state.SyncState`).
        declared_lineage: Lineage edges declared at registration.

    Example::

        with open_catalog("sqlite:///state/catalog.db") as catalog:
            catalog.principals.create("planner", PrincipalKind.AGENT, groups=["agents"])
            catalog.grants.grant("agents", Privilege.EXECUTE, ObjectType.ENDPOINT, "hotel_*",
                                 grantee_kind=GranteeKind.GROUP)
            issued = catalog.tokens.issue("planner", entity_filter={"user_id": 42})
    """

    def __init__(self, url: str, *, echo: bool = False,
                 now: Callable[[], dt.datetime] = utc_now) -> None:
        self._database = Database(url, echo=echo, now=now)
        self.definitions = DefinitionRepository(self._database)
        self.principals = PrincipalRepository(self._database)
        self.tokens = TokenRepository(self._database)
        self.grants = GrantRepository(self._database)
        self.audit = AuditRepository(self._database)
        self.spool_files = SpoolFileRepository(self._database)
        self.sync_history = SyncRunRepository(self._database)
        self.declared_lineage = LineageRepository(self._database)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for migrations and tests)."""
        return self._database.engine

    def create_schema(self) -> None:
        """Bring the database schema to the newest migration; safe at every start."""
        self._database.create_schema()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._database.dispose()

    def on_access_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed change to principals, tokens or grants."""
        self._database.on_access_change(listener)

    def access_version(self) -> int:
        """See :meth:`Database.access_version`: the count of committed access changes."""
        return self._database.access_version()

    def lineage(self, endpoint_name: str, upstream: Upstream) -> Lineage:
        """The lineage graph of an endpoint, with the last sync run of each view and store.

        Args:
            endpoint_name: The registered endpoint.
            upstream: Node name to the names of the nodes it reads, from the
                endpoint's compiled DAG (see :func:`groundwork.catalog.lineage.build_lineage`).

        Raises:
            EndpointNotFound: when no endpoint has this name.
        """
        endpoint = self.definitions.get_endpoint(endpoint_name)
        return build_lineage(
            endpoint,
            upstream,
            declared=self.declared_lineage.edges(),
            sync_runs=self.sync_history.latest(endpoint.feature_views),
        )

    # Definitions -------------------------------------------------------------------------

    def register_feature_view(self, spec: ViewSpec) -> None:
        """See :meth:`DefinitionRepository.register_feature_view`."""
        self.definitions.register_feature_view(spec)

    def get_feature_view(self, name: str) -> ViewSpec:
        """See :meth:`DefinitionRepository.get_feature_view`."""
        return self.definitions.get_feature_view(name)

    def list_feature_views(self) -> list[ViewSpec]:
        """See :meth:`DefinitionRepository.list_feature_views`."""
        return self.definitions.list_feature_views()

    def register_function(self, function: FunctionRecord) -> None:
        """See :meth:`DefinitionRepository.register_function`."""
        self.definitions.register_function(function)

    def get_function(self, name: str) -> FunctionRecord:
        """See :meth:`DefinitionRepository.get_function`."""
        return self.definitions.get_function(name)

    def list_functions(self) -> list[FunctionRecord]:
        """See :meth:`DefinitionRepository.list_functions`."""
        return self.definitions.list_functions()

    def register_endpoint(self, endpoint: EndpointRecord) -> None:
        """See :meth:`DefinitionRepository.register_endpoint`."""
        self.definitions.register_endpoint(endpoint)

    def get_endpoint(self, name: str) -> EndpointRecord:
        """See :meth:`DefinitionRepository.get_endpoint`."""
        return self.definitions.get_endpoint(name)

    def list_endpoints(self) -> list[EndpointRecord]:
        """See :meth:`DefinitionRepository.list_endpoints`."""
        return self.definitions.list_endpoints()

    # Principals and groups ---------------------------------------------------------------

    def create_principal(
        self, name: str, kind: PrincipalKind, groups: Iterable[str] = ()
    ) -> PrincipalRecord:
        """See :meth:`PrincipalRepository.create`."""
        return self.principals.create(name, kind, groups)

    def get_principal(self, name: str) -> PrincipalRecord:
        """See :meth:`PrincipalRepository.get`."""
        return self.principals.get(name)

    def list_principals(self) -> list[PrincipalRecord]:
        """See :meth:`PrincipalRepository.all`."""
        return self.principals.all()

    def delete_principal(self, name: str) -> None:
        """See :meth:`PrincipalRepository.delete`."""
        self.principals.delete(name)

    def set_principal_disabled(self, name: str, disabled: bool = True) -> None:
        """See :meth:`PrincipalRepository.set_disabled`."""
        self.principals.set_disabled(name, disabled)

    def list_groups(self) -> list[GroupRecord]:
        """See :meth:`PrincipalRepository.groups`."""
        return self.principals.groups()

    def group_members(self, group: str) -> list[str]:
        """See :meth:`PrincipalRepository.group_members`."""
        return self.principals.group_members(group)

    def add_to_group(self, principal_name: str, group: str) -> None:
        """See :meth:`PrincipalRepository.add_to_group`."""
        self.principals.add_to_group(principal_name, group)

    def remove_from_group(self, principal_name: str, group: str) -> None:
        """See :meth:`PrincipalRepository.remove_from_group`."""
        self.principals.remove_from_group(principal_name, group)

    # Tokens ------------------------------------------------------------------------------

    def issue_token(
        self,
        principal_name: str,
        *,
        expires_at: dt.datetime | None = None,
        description: str = "",
        entity_filter: Mapping[str, int | str] | None = None,
    ) -> IssuedToken:
        """See :meth:`TokenRepository.issue`."""
        return self.tokens.issue(principal_name, expires_at=expires_at, description=description,
                                 entity_filter=entity_filter)

    def revoke_token(self, token_id: str) -> None:
        """See :meth:`TokenRepository.revoke`."""
        self.tokens.revoke(token_id)

    def list_tokens(
        self, principal_name: str | None = None, *, include_inactive: bool = True
    ) -> list[TokenRecord]:
        """See :meth:`TokenRepository.all`."""
        return self.tokens.all(principal_name, include_inactive=include_inactive)

    def authenticate(self, token: str | None) -> Principal:
        """See :meth:`TokenRepository.authenticate`."""
        return self.tokens.authenticate(token)

    def verify_token(self, token: str | None) -> AuthenticatedToken:
        """See :meth:`TokenRepository.verify`."""
        return self.tokens.verify(token)

    # Grants ------------------------------------------------------------------------------

    def grant(
        self,
        grantee: str,
        privilege: Privilege,
        object_type: ObjectType,
        pattern: str,
        *,
        grantee_kind: GranteeKind = GranteeKind.PRINCIPAL,
        entity_filter: Mapping[str, EntityValue] | None = None,
    ) -> Grant:
        """See :meth:`GrantRepository.grant`."""
        return self.grants.grant(grantee, privilege, object_type, pattern,
                                 grantee_kind=grantee_kind, entity_filter=entity_filter)

    def revoke_grant(
        self,
        grantee: str,
        privilege: Privilege,
        object_type: ObjectType,
        pattern: str,
        *,
        grantee_kind: GranteeKind = GranteeKind.PRINCIPAL,
    ) -> None:
        """See :meth:`GrantRepository.revoke`."""
        self.grants.revoke(grantee, privilege, object_type, pattern, grantee_kind=grantee_kind)

    def list_grants(
        self,
        *,
        grantee: str | None = None,
        grantee_kind: GranteeKind | None = None,
        object_type: ObjectType | None = None,
        object_name: str | None = None,
        privilege: Privilege | None = None,
    ) -> list[Grant]:
        """See :meth:`GrantRepository.all`."""
        return self.grants.all(grantee=grantee, grantee_kind=grantee_kind,
                               object_type=object_type, object_name=object_name,
                               privilege=privilege)

    def grants_for(self, principal: Principal) -> list[Grant]:
        """See :meth:`GrantRepository.for_principal`."""
        return self.grants.for_principal(principal)

    # Audit -------------------------------------------------------------------------------

    def record_audit(self, events: Sequence[AuditEvent]) -> None:
        """See :meth:`AuditRepository.record`."""
        self.audit.record(events)

    def audit_events(self, limit: int = 100, principal: str | None = None) -> list[AuditEvent]:
        """See :meth:`AuditRepository.latest`."""
        return self.audit.latest(limit, principal)

    def query_audit(
        self,
        *,
        principal: str | None = None,
        object_type: ObjectType | None = None,
        object_name: str | None = None,
        allowed: bool | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> AuditPage:
        """See :meth:`AuditRepository.query`."""
        return self.audit.query(principal=principal, object_type=object_type,
                                object_name=object_name, allowed=allowed, since=since,
                                until=until, limit=limit, cursor=cursor)

    # Sync runs ---------------------------------------------------------------------------

    def record_sync_run(
        self,
        *,
        view: str,
        store: str,
        started_at: dt.datetime,
        finished_at: dt.datetime | None,
        watermark: dt.datetime | None,
        status: SyncStatus = SyncStatus.SUCCEEDED,
        rows_read: int = 0,
        rows_written: int = 0,
        rows_skipped: int = 0,
        rows_failed: int = 0,
        error: str | None = None,
    ) -> SyncRun:
        """See :meth:`SyncRunRepository.record`."""
        return self.sync_history.record(
            view=view, store=store, started_at=started_at, finished_at=finished_at,
            watermark=watermark, status=status, rows_read=rows_read,
            rows_written=rows_written, rows_skipped=rows_skipped, rows_failed=rows_failed,
            error=error)

    def sync_runs(
        self, view: str | None = None, *, store: str | None = None, limit: int = 100
    ) -> list[SyncRun]:
        """See :meth:`SyncRunRepository.recent`."""
        return self.sync_history.recent(view, store=store, limit=limit)

    def latest_sync_runs(self, views: Iterable[str] | None = None) -> list[SyncRun]:
        """See :meth:`SyncRunRepository.latest`."""
        return self.sync_history.latest(views)

    def last_watermark(self, view: str, store: str) -> dt.datetime | None:
        """See :meth:`SyncRunRepository.last_watermark`."""
        return self.sync_history.last_watermark(view, store)

    # Lineage -----------------------------------------------------------------------------

    def record_lineage(self, edges: Iterable[LineageEdge]) -> int:
        """See :meth:`LineageRepository.record`."""
        return self.declared_lineage.record(edges)

    def lineage_edges(self, source: Node | None = None) -> list[LineageEdge]:
        """See :meth:`LineageRepository.edges`."""
        return self.declared_lineage.edges(source)


@contextmanager
def open_catalog(url: str, *, migrate: bool = True, echo: bool = False,
                 now: Callable[[], dt.datetime] = utc_now) -> Iterator[Catalog]:
    """Open the catalog at ``url``, bring its schema up to date, and dispose of it afterwards.

    The one place the open → migrate → dispose sequence is written; the server,
    the pipeline and the CLI all open their catalog here.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///state/catalog.db``.
        migrate: Upgrade the schema to the newest migration first (one read when current).
        echo: Log every SQL statement (debugging only).
        now: Wall clock (UTC) for token expiry; tests pass their own to move time.

    A database out of reach, when opening or within the block, raises
    :class:`~groundwork.errors.CatalogUnavailable` rather than the driver's error.

    Raises:
        CatalogSchemaError: when ``migrate`` and the database was migrated by a newer Groundwork.
        CatalogUnavailable: when the database cannot be reached.
    """
    catalog = Catalog(url, echo=echo, now=now)
    try:
        with catalog_reachable():
            if migrate:
                catalog.create_schema()
            yield catalog
    finally:
        catalog.dispose()
