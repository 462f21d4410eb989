"""Grants: what principals and groups may do. Deciding is :func:`catalog.policy.authorize`."""

from __future__ import annotations

import re

from sqlalchemy import and_, delete, or_, select

from catalog.database import CatalogBase, flush_or_conflict, require_member, require_name
from catalog.models import GrantRow, utc_now
from catalog.policy import Grant, GranteeKind, ObjectType, Principal, Privilege
from catalog.principals import principal_row
from groundwork.errors import InvalidInput, NotFound

_PATTERN = re.compile(r"[A-Za-z0-9_.@:*?\[\]!-]{1,200}")


class GrantCatalog(CatalogBase):
    """The grant part of the catalog."""

    def grant(
        self,
        grantee: str,
        privilege: Privilege,
        object_type: ObjectType,
        pattern: str,
        *,
        grantee_kind: GranteeKind = GranteeKind.PRINCIPAL,
    ) -> Grant:
        """Give ``privilege`` on every ``object_type`` whose name matches ``pattern``.

        Args:
            grantee: Principal name, or group name when ``grantee_kind`` is ``GROUP``.
            privilege: The privilege to give.
            object_type: The type of objects it applies to.
            pattern: An exact name, an ``fnmatch`` pattern such as ``hotel_*``, or ``*``.
            grantee_kind: Whether ``grantee`` names a principal or a group.

        Raises:
            NotFound: when the grantee is a principal that does not exist.
            Conflict: when the same grant exists.
            InvalidInput: when an argument is invalid.
        """
        new = _grant(grantee, privilege, object_type, pattern, grantee_kind)
        with self._transaction() as session:
            if new.grantee_kind == GranteeKind.PRINCIPAL:
                principal_row(session, new.grantee)
            session.add(
                GrantRow(
                    grantee=new.grantee,
                    grantee_kind=new.grantee_kind,
                    privilege=new.privilege,
                    object_type=new.object_type,
                    pattern=new.pattern,
                    created_at=utc_now(),
                )
            )
            flush_or_conflict(session, f"{new} is already granted", grant=str(new))
        self._access_changed()
        return new

    def revoke_grant(
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
        old = _grant(grantee, privilege, object_type, pattern, grantee_kind)
        with self._transaction() as session:
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
        self._access_changed()

    def list_grants(self) -> list[Grant]:
        """Every grant, oldest first."""
        with self._transaction() as session:
            rows = session.scalars(select(GrantRow).order_by(GrantRow.id)).all()
            return [_to_grant(row) for row in rows]

    def grants_for(self, principal: Principal) -> list[Grant]:
        """The grants that apply to ``principal``: its own and its groups', oldest first."""
        direct = and_(
            GrantRow.grantee_kind == GranteeKind.PRINCIPAL, GrantRow.grantee == principal.name
        )
        via_group = and_(
            GrantRow.grantee_kind == GranteeKind.GROUP, GrantRow.grantee.in_(principal.groups)
        )
        query = select(GrantRow).where(or_(direct, via_group)).order_by(GrantRow.id)
        with self._transaction() as session:
            return [_to_grant(row) for row in session.scalars(query)]


def _grant(
    grantee: str,
    privilege: Privilege | str,
    object_type: ObjectType | str,
    pattern: str,
    grantee_kind: GranteeKind | str,
) -> Grant:
    """Validate grant arguments (enums may be given as their text values).

    Raises:
        InvalidInput: naming the first invalid argument.
    """
    if not _PATTERN.fullmatch(pattern):
        raise InvalidInput(
            f"invalid pattern {pattern!r}: an object name, an fnmatch pattern or *",
            field="pattern",
        )
    kind = require_member(GranteeKind, grantee_kind, "grantee_kind")
    require_name(grantee, str(kind))
    return Grant(
        grantee=grantee,
        grantee_kind=kind,
        privilege=require_member(Privilege, privilege, "privilege"),
        object_type=require_member(ObjectType, object_type, "object_type"),
        pattern=pattern,
    )


def _to_grant(row: GrantRow) -> Grant:
    """The policy view of a grant row."""
    return Grant(
        grantee=row.grantee,
        grantee_kind=row.grantee_kind,
        privilege=row.privilege,
        object_type=row.object_type,
        pattern=row.pattern,
    )
