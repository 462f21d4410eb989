"""Access policy: who may do what, decided by one pure function.

Nothing here performs I/O. :func:`authorize` takes a principal, the grants that
may apply to it, an object and a privilege, and returns a :class:`Decision`
whose ``reason`` explains itself. No matching grant means no access.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase


class Privilege(StrEnum):
    """What a grant allows."""

    EXECUTE = "EXECUTE"
    READ = "READ"
    MANAGE = "MANAGE"


class ObjectType(StrEnum):
    """Kinds of objects that grants protect."""

    ENDPOINT = "endpoint"
    FUNCTION = "function"
    FEATURE_VIEW = "feature_view"
    CATALOG = "catalog"


class PrincipalKind(StrEnum):
    """Kinds of principals that hold tokens."""

    USER = "user"
    SERVICE = "service"
    AGENT = "agent"


class GranteeKind(StrEnum):
    """Whether a grant names a principal or a group."""

    PRINCIPAL = "principal"
    GROUP = "group"


WILDCARD = "*"
"""The pattern that matches every object name."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    Attributes:
        id: Catalog id of the principal.
        name: Unique principal name.
        kind: User, service account or agent.
        groups: Names of the groups the principal belongs to.
        entity_filter: Entity keys the caller is bound to, from the token it
            used (an agent acting for user 42 carries ``{"user_id": 42}``);
            ``None`` when unrestricted.
    """

    id: int
    name: str
    kind: PrincipalKind
    groups: frozenset[str] = frozenset()
    entity_filter: Mapping[str, int | str] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class Grant:
    """A privilege on every object of one type whose name matches ``pattern``.

    Attributes:
        grantee: Principal name or group name.
        grantee_kind: Whether ``grantee`` names a principal or a group.
        privilege: The privilege granted.
        object_type: The type of objects it applies to.
        pattern: An exact name, an ``fnmatch`` pattern (``hotel_*``) or ``*``.
    """

    grantee: str
    grantee_kind: GranteeKind
    privilege: Privilege
    object_type: ObjectType
    pattern: str

    def __str__(self) -> str:
        return (
            f"{self.privilege} on {self.object_type} {self.pattern} "
            f"to {self.grantee_kind} {self.grantee}"
        )

    def applies_to(self, principal: Principal) -> bool:
        """Whether this grant names ``principal`` or one of its groups."""
        if self.grantee_kind == GranteeKind.GROUP:
            return self.grantee in principal.groups
        return self.grantee == principal.name

    def covers(self, securable: Securable, privilege: Privilege) -> bool:
        """Whether this grant gives ``privilege`` on ``securable`` by itself."""
        return (
            self.privilege == privilege
            and self.object_type == securable.object_type
            and fnmatchcase(securable.name, self.pattern)
        )

    @property
    def is_catalog_admin(self) -> bool:
        """Whether this is ``MANAGE`` on catalog ``*``, which implies every privilege."""
        return (
            self.privilege == Privilege.MANAGE
            and self.object_type == ObjectType.CATALOG
            and self.pattern == WILDCARD
        )


@dataclass(frozen=True, slots=True)
class Securable:
    """An object that access is checked against.

    Attributes:
        object_type: Type of the object.
        name: Name of the object.
    """

    object_type: ObjectType
    name: str

    def __str__(self) -> str:
        return f"{self.object_type} {self.name}"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of :func:`authorize`.

    Attributes:
        allowed: Whether the call may proceed.
        reason: A sentence explaining the outcome, fit for logs and 403 bodies.
        grant: The grant that allowed the call; ``None`` when denied.
    """

    allowed: bool
    reason: str
    grant: Grant | None = None


def authorize(
    principal: Principal,
    grants: Iterable[Grant],
    securable: Securable,
    privilege: Privilege,
) -> Decision:
    """Decide whether ``principal`` holds ``privilege`` on ``securable``.

    Deny by default: access is allowed only by a grant to the principal or one
    of its groups that covers the object, or by ``MANAGE`` on catalog ``*``.
    When several grants cover it, the reason names the most specific one
    (direct before group, exact name before pattern).
    Grants to other principals or groups are ignored, so callers may pass more
    grants than apply.

    Args:
        principal: The authenticated caller.
        grants: Candidate grants (typically the principal's and its groups').
        securable: The object being accessed.
        privilege: The privilege the call needs.

    Returns:
        The decision, with the grant that allowed it and a self-explaining reason.
    """
    applicable = [grant for grant in grants if grant.applies_to(principal)]
    covering = [grant for grant in applicable if grant.covers(securable, privilege)]
    if covering:
        grant = min(covering, key=_specificity)
        return Decision(True, f"granted {grant}", grant)
    for grant in applicable:
        if grant.is_catalog_admin:
            reason = f"granted {grant}, which implies {privilege} on {securable}"
            return Decision(True, reason, grant)
    return Decision(False, _denial_reason(principal, securable, privilege))


def _specificity(grant: Grant) -> tuple[bool, bool]:
    """Sort key that puts direct grants before group grants, exact names before patterns."""
    is_pattern = any(character in grant.pattern for character in "*?[")
    return (grant.grantee_kind == GranteeKind.GROUP, is_pattern)


def _denial_reason(principal: Principal, securable: Securable, privilege: Privilege) -> str:
    """Explain a denial, naming the groups that were considered."""
    reason = f"no grant of {privilege} on {securable} for principal {principal.name}"
    if principal.groups:
        reason += f" or its groups {', '.join(sorted(principal.groups))}"
    return reason
