"""The principal and group tables: who may hold tokens and grants."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from groundwork.catalog.policy import GranteeKind, PrincipalKind
from groundwork.catalog.principals import GroupRecord, PrincipalRecord
from groundwork.catalog.store.database import Database, flush_or_conflict
from groundwork.catalog.store.models import GrantRow, GroupMembershipRow, PrincipalRow
from groundwork.catalog.validation import require_member, require_name
from groundwork.errors import NotFound


class PrincipalRepository:
    """The ``principals`` and ``group_memberships`` tables.

    Every change bumps the access version in its own transaction and tells the
    database's access listeners once it is committed.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def create(
        self, name: str, kind: PrincipalKind, groups: Iterable[str] = ()
    ) -> PrincipalRecord:
        """Create a principal, optionally as a member of some groups.

        Raises:
            Conflict: when a principal with this name exists.
            InvalidInput: when the name, kind or a group name is invalid.
        """
        require_name(name, "principal")
        group_names = frozenset(require_name(group, "group") for group in groups)
        with self._database.access_transaction() as session:
            row = PrincipalRow(
                name=name, kind=require_member(PrincipalKind, kind, "kind"),
                created_at=self._database.now(),
            )
            session.add(row)
            flush_or_conflict(session, f"principal {name!r} already exists", principal=name)
            session.add_all(
                GroupMembershipRow(group_name=group, principal_id=row.id) for group in group_names
            )
            record = _principal_record(row, group_names)
        return record

    def get(self, name: str) -> PrincipalRecord:
        """Return the principal called ``name``.

        Raises:
            NotFound: when there is none.
        """
        with self._database.transaction() as session:
            row = principal_row(session, name)
            return _principal_record(row, groups_of(session, row.id))

    def all(self) -> list[PrincipalRecord]:
        """Every principal, by name."""
        with self._database.transaction() as session:
            rows = session.scalars(select(PrincipalRow).order_by(PrincipalRow.name)).all()
            members = session.execute(select(GroupMembershipRow)).scalars().all()
        groups: dict[int, set[str]] = {}
        for membership in members:
            groups.setdefault(membership.principal_id, set()).add(membership.group_name)
        return [_principal_record(row, frozenset(groups.get(row.id, ()))) for row in rows]

    def delete(self, name: str) -> None:
        """Delete a principal with its tokens, group memberships and direct grants.

        Its grants go too, so that a principal created later under the same
        name does not inherit them.

        Raises:
            NotFound: when there is none.
        """
        with self._database.access_transaction() as session:
            row = principal_row(session, name)
            session.execute(
                delete(GrantRow).where(
                    GrantRow.grantee_kind == GranteeKind.PRINCIPAL, GrantRow.grantee == name
                )
            )
            session.execute(delete(PrincipalRow).where(PrincipalRow.id == row.id))

    def groups(self) -> list[GroupRecord]:
        """Every group, by name: those with members and those only named by grants."""
        memberships = select(GroupMembershipRow.group_name, PrincipalRow.name).join(
            PrincipalRow, PrincipalRow.id == GroupMembershipRow.principal_id
        )
        grant_counts = (
            select(GrantRow.grantee, func.count())
            .where(GrantRow.grantee_kind == GranteeKind.GROUP)
            .group_by(GrantRow.grantee)
        )
        with self._database.transaction() as session:
            members: dict[str, list[str]] = {}
            for group, principal in session.execute(memberships):
                members.setdefault(group, []).append(principal)
            grants = {group: int(count) for group, count in session.execute(grant_counts)}
        return [
            GroupRecord(name, tuple(sorted(members.get(name, ()))), grants.get(name, 0))
            for name in sorted(members.keys() | grants.keys())
        ]

    def group_members(self, group: str) -> list[str]:
        """Names of the members of ``group``, sorted; empty for an unknown group."""
        query = (
            select(PrincipalRow.name)
            .join(GroupMembershipRow, GroupMembershipRow.principal_id == PrincipalRow.id)
            .where(GroupMembershipRow.group_name == group)
            .order_by(PrincipalRow.name)
        )
        with self._database.transaction() as session:
            return list(session.scalars(query))

    def add_to_group(self, principal_name: str, group: str) -> None:
        """Make a principal a member of ``group``.

        Raises:
            NotFound: when the principal does not exist.
            Conflict: when it already is a member.
        """
        require_name(group, "group")
        with self._database.access_transaction() as session:
            row = principal_row(session, principal_name)
            session.add(GroupMembershipRow(group_name=group, principal_id=row.id))
            flush_or_conflict(
                session,
                f"principal {principal_name!r} already is a member of group {group!r}",
                principal=principal_name,
                group=group,
            )

    def remove_from_group(self, principal_name: str, group: str) -> None:
        """End a principal's membership of ``group``.

        Raises:
            NotFound: when the principal does not exist or is not a member.
        """
        with self._database.access_transaction() as session:
            row = principal_row(session, principal_name)
            result = session.execute(
                delete(GroupMembershipRow).where(
                    GroupMembershipRow.principal_id == row.id,
                    GroupMembershipRow.group_name == group,
                )
            )
            if not getattr(result, "rowcount", 0):
                raise NotFound(
                    f"principal {principal_name!r} is not a member of group {group!r}",
                    principal=principal_name,
                    group=group,
                )

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        """Disable a principal (its tokens stop working) or enable it again.

        Raises:
            NotFound: when the principal does not exist.
        """
        with self._database.access_transaction() as session:
            principal_row(session, name).disabled = disabled


def principal_row(session: Session, name: str) -> PrincipalRow:
    """Load a principal by name.

    Raises:
        NotFound: when there is none.
    """
    row = session.scalars(select(PrincipalRow).where(PrincipalRow.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"no principal named {name!r}", principal=name)
    return row


def groups_of(session: Session, principal_id: int) -> frozenset[str]:
    """Names of the groups a principal belongs to."""
    query = select(GroupMembershipRow.group_name).where(
        GroupMembershipRow.principal_id == principal_id
    )
    return frozenset(session.scalars(query))


def _principal_record(row: PrincipalRow, groups: frozenset[str]) -> PrincipalRecord:
    """The public view of a principal row."""
    return PrincipalRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        groups=groups,
        created_at=row.created_at,
        disabled=row.disabled,
    )
