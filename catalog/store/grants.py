"""The grants table: what principals and groups may do.

Deciding is :func:`groundwork.catalog.policy.authorize`; the arguments of a
grant are checked by :func:`groundwork.catalog.policy.checked_grant`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from sqlalchemy import and_, delete, or_, select

from groundwork.catalog.entity_filters import EntityValue, frozen_filter, require_known_keys
from groundwork.catalog.policy import (
    Grant,
    GranteeKind,
    ObjectType,
    Principal,
    Privilege,
    checked_grant,
)
from groundwork.catalog.store.database import Database, flush_or_conflict
from groundwork.catalog.store.definitions import entity_keys
from groundwork.catalog.store.models import GrantRow
from groundwork.catalog.store.principals import principal_row
from groundwork.catalog.validation import require_member
from groundwork.errors import NotFound


class GrantRepository:
    """The ``grants`` table.

    Every change bumps the access version in its own transaction and tells the
    database's access listeners once it is committed.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

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
        """Give ``privilege`` on every ``object_type`` whose name matches ``pattern``.

        Args:
            grantee: Principal name, or group name when ``grantee_kind`` is ``GROUP``.
            privilege: The privilege to give.
            object_type: The type of objects it applies to.
            pattern: An exact name, an ``fnmatch`` pattern such as ``hotel_*``, or ``*``.
            grantee_kind: Whether ``grantee`` names a principal or a group.
            entity_filter: Entities callers may ask about through this grant:
                entity key to a fixed value or to ``"$claims.<key>"``, e.g.
                ``{"user_id": "$claims.user_id"}``.

        Raises:
            NotFound: when the grantee is a principal that does not exist.
            Conflict: when a grant of the same privilege on the same pattern to
                the same grantee exists (with or without an entity filter).
            InvalidInput: when an argument is invalid, or the entity filter names a key
                that is no registered feature view's entity key.
        """
        new = checked_grant(grantee, privilege, object_type, pattern, grantee_kind, entity_filter)
        with self._database.access_transaction() as session:
            require_known_keys(new.entity_filter, entity_keys(session))
            if new.grantee_kind == GranteeKind.PRINCIPAL:
                principal_row(session, new.grantee)
            session.add(
                GrantRow(
                    grantee=new.grantee,
                    grantee_kind=new.grantee_kind,
                    privilege=new.privilege,
                    object_type=new.object_type,
                    pattern=new.pattern,
                    created_at=self._database.now(),
                    entity_filter=None if new.entity_filter is None else dict(new.entity_filter),
                )
            )
            flush_or_conflict(session, f"{new} is already granted", grant=str(new))
        return new

    def revoke(
        self,
        grantee: str,
        privilege: Privilege,
        object_type: ObjectType,
        pattern: str,
        *,
        grantee_kind: GranteeKind = GranteeKind.PRINCIPAL,
    ) -> None:
        """Remove a grant made by :meth:`grant` with the same arguments.

        Raises:
            NotFound: when no such grant exists.
            InvalidInput: when an argument is invalid.
        """
        old = checked_grant(grantee, privilege, object_type, pattern, grantee_kind)
        with self._database.access_transaction() as session:
            result = session.execute(
                delete(GrantRow).where(
                    GrantRow.grantee == old.grantee,
                    GrantRow.grantee_kind == old.grantee_kind,
                    GrantRow.privilege == old.privilege,
                    GrantRow.object_type == old.object_type,
                    GrantRow.pattern == old.pattern,
                )
            )
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"no grant of {old}", grant=str(old))

    def all(
        self,
        *,
        grantee: str | None = None,
        grantee_kind: GranteeKind | None = None,
        object_type: ObjectType | None = None,
        object_name: str | None = None,
        privilege: Privilege | None = None,
    ) -> list[Grant]:
        """Grants, oldest first, optionally filtered.

        Args:
            grantee: Only grants to this principal or group name.
            grantee_kind: Only grants to principals, or only to groups.
            object_type: Only grants on this type of object.
            object_name: Only grants whose pattern matches this object name
                (``hotel_offers`` finds ``hotel_offers``, ``hotel_*`` and ``*``).
            privilege: Only grants of this privilege.

        Raises:
            InvalidInput: when an enum argument is not one of its values.
        """
        query = select(GrantRow).order_by(GrantRow.id)
        if grantee is not None:
            query = query.where(GrantRow.grantee == grantee)
        if grantee_kind is not None:
            kind = require_member(GranteeKind, grantee_kind, "grantee_kind")
            query = query.where(GrantRow.grantee_kind == kind)
        if object_type is not None:
            query = query.where(
                GrantRow.object_type == require_member(ObjectType, object_type, "object_type")
            )
        if privilege is not None:
            query = query.where(
                GrantRow.privilege == require_member(Privilege, privilege, "privilege")
            )
        with self._database.transaction() as session:
            grants = [_to_grant(row) for row in session.scalars(query)]
        if object_name is None:
            return grants
        return [grant for grant in grants if fnmatchcase(object_name, grant.pattern)]

    def for_principal(self, principal: Principal) -> list[Grant]:
        """The grants that apply to ``principal``: its own and its groups', oldest first."""
        direct = and_(
            GrantRow.grantee_kind == GranteeKind.PRINCIPAL, GrantRow.grantee == principal.name
        )
        via_group = and_(
            GrantRow.grantee_kind == GranteeKind.GROUP, GrantRow.grantee.in_(principal.groups)
        )
        query = select(GrantRow).where(or_(direct, via_group)).order_by(GrantRow.id)
        with self._database.transaction() as session:
            return [_to_grant(row) for row in session.scalars(query)]


def _to_grant(row: GrantRow) -> Grant:
    """The policy view of a grant row."""
    return Grant(
        grantee=row.grantee,
        grantee_kind=row.grantee_kind,
        privilege=row.privilege,
        object_type=row.object_type,
        pattern=row.pattern,
        entity_filter=frozen_filter(row.entity_filter),
    )
