"""Principals and groups as the catalog administers them (plain records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from groundwork.catalog.policy import PrincipalKind


@dataclass(frozen=True, slots=True)
class PrincipalRecord:
    """A principal as the catalog administers it.

    Attributes:
        id: Catalog id.
        name: Unique name.
        kind: User, service account or agent.
        groups: Names of the groups it belongs to.
        created_at: When it was created.
        disabled: Whether its tokens are refused.
    """

    id: int
    name: str
    kind: PrincipalKind
    groups: frozenset[str]
    created_at: dt.datetime
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group: it exists while it has members or grants.

    Attributes:
        name: Group name.
        members: Names of its member principals, sorted.
        grants: How many grants name the group.
    """

    name: str
    members: tuple[str, ...]
    grants: int = 0
