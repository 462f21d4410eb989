"""Access policy: who may do what, decided by one pure function.

Nothing here performs I/O. :func:`authorize` takes a principal, the grants that
may apply to it, an object and a privilege, and returns a :class:`Decision`
whose ``reason`` explains itself. No matching grant means no access.

A grant may carry an entity filter: the entities a caller may ask about
through it. A value is either fixed (``{"city": "Lisbon"}``) or bound to the
caller's claims, the entity keys of the token it presented
(``{"user_id": "$claims.user_id"}``: an agent acting for user 42 may ask only
about user 42). An allowing :class:`Decision` carries the resolved constraint;
the REST layer enforces it on the request inputs (:meth:`Decision.violations`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase

from groundwork.catalog.entity_filters import (
    EntityValue,
    bind_entity_filter,
    format_entity_filter,
    grant_filter,
)
from groundwork.catalog.validation import require_member, require_name
from groundwork.errors import AccessDenied, InvalidInput


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

GRANT_PATTERN = r"[A-Za-z0-9_.@:*?\[\]!-]{1,200}"
"""What a grant's object pattern looks like: a name, an fnmatch pattern or ``*``."""

_PATTERN = re.compile(GRANT_PATTERN)

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
        entity_filter: Entities a caller may ask about through this grant:
            entity key to a fixed value or to ``$claims.<key>`` (the value of
            the caller's token claim); ``None`` for no restriction.
    """

    grantee: str
    grantee_kind: GranteeKind
    privilege: Privilege
    object_type: ObjectType
    pattern: str
    entity_filter: Mapping[str, EntityValue] | None = field(default=None, hash=False)

    def __str__(self) -> str:
        text = (
            f"{self.privilege} on {self.object_type} {self.pattern} "
            f"to {self.grantee_kind} {self.grantee}"
        )
        if self.entity_filter:
            text += f" where {format_entity_filter(self.entity_filter)}"
        return text

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
        entity_constraint: Entity key to the only value the call may ask
            about (the allowing grant's filter, bound to the caller's claims);
            ``None`` when the call is not restricted to particular entities.
    """

    allowed: bool
    reason: str
    grant: Grant | None = None
    entity_constraint: Mapping[str, EntityValue] | None = field(default=None, hash=False)

    def violations(self, inputs: Mapping[str, object]) -> dict[str, EntityValue]:
        """The constrained inputs whose value differs from the allowed one.

        Inputs the constraint names but the request lacks are not violations:
        the REST layer decides whether to fill them in or refuse the call.

        Returns:
            Input name to the value it must have; empty when the inputs comply.
        """
        if not self.entity_constraint:
            return {}
        return {
            name: allowed
            for name, allowed in self.entity_constraint.items()
            if name in inputs and inputs[name] != allowed
        }


def check_entities(principal: Principal, decision: Decision | None,
                   inputs: Mapping[str, object], object_name: str) -> None:
    """Refuse inputs outside the entities the caller's token and grant allow.

    The one place both bounds are decided: the token's binding (its claims,
    ``{"user_id": 42}``) and the constraint of the grant that allowed the call.

    Args:
        principal: The authenticated caller, with its token's entity filter.
        decision: The decision that allowed the call; ``None`` when there is none.
        inputs: The validated request inputs.
        object_name: What was called, for the message.

    Raises:
        AccessDenied: naming the first input out of bounds.
    """
    if principal.entity_filter:
        for name, allowed in principal.entity_filter.items():
            if name in inputs and inputs[name] != allowed:
                raise AccessDenied(f"token of {principal.name!r} is bound to {name}={allowed!r}",
                                   field=name)
    violations = {} if decision is None else decision.violations(inputs)
    if violations:
        name, value = next(iter(violations.items()))
        raise AccessDenied(f"the grant allows {object_name} only for {name}={value!r}",
                           field=name)


def authorize(
    principal: Principal,
    grants: Iterable[Grant],
    securable: Securable,
    privilege: Privilege,
) -> Decision:
    """Decide whether ``principal`` holds ``privilege`` on ``securable``.

    Deny by default: access is allowed only by a grant to the principal or one
    of its groups that covers the object, or by ``MANAGE`` on catalog ``*``.
    A grant whose entity filter refers to a claim the caller's token does not
    carry does not apply. Among the grants that allow the call, one without
    an entity filter wins (grants add up, so the caller is unrestricted), then
    one covering the object before ``MANAGE`` implying it, a direct grant
    before a group's, an exact name before a pattern. Constraints of several
    filtered grants are not merged: the chosen one applies, which can only
    restrict more. Grants to other principals or groups are ignored, so
    callers may pass more grants than apply.

    Args:
        principal: The authenticated caller; its ``entity_filter`` holds the claims.
        grants: Candidate grants (typically the principal's and its groups').
        securable: The object being accessed.
        privilege: The privilege the call needs.

    Returns:
        The decision, with the allowing grant, its entity constraint and a
        self-explaining reason.
    """
    claims = principal.entity_filter or {}
    allowing: list[tuple[Grant, Mapping[str, EntityValue] | None, bool]] = []
    unbound: list[tuple[Grant, list[str]]] = []
    for grant in grants:
        covers = grant.covers(securable, privilege)
        if not grant.applies_to(principal) or not (covers or grant.is_catalog_admin):
            continue
        constraint, missing = bind_entity_filter(grant.entity_filter, claims)
        if missing:
            unbound.append((grant, missing))
        else:
            allowing.append((grant, constraint, not covers))
    if not allowing:
        return Decision(False, _denial_reason(principal, securable, privilege, unbound))
    grant, constraint, implied = min(allowing, key=_specificity)
    reason = f"granted {grant}"
    if implied:
        reason += f", which implies {privilege} on {securable}"
    if constraint:
        reason += f" (restricted to {format_entity_filter(constraint)})"
    return Decision(True, reason, grant, constraint)


def checked_grant(
    grantee: str,
    privilege: Privilege | str,
    object_type: ObjectType | str,
    pattern: str,
    grantee_kind: GranteeKind | str,
    entity_filter: Mapping[str, EntityValue] | None = None,
) -> Grant:
    """A :class:`Grant` from raw arguments (enums may be given as their text values).

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
        entity_filter=grant_filter(entity_filter),
    )


def _specificity(
    candidate: tuple[Grant, Mapping[str, EntityValue] | None, bool],
) -> tuple[bool, bool, bool, bool]:
    """Sort key of allowing grants: unconstrained, covering (not implied), direct, exact first."""
    grant, constraint, implied = candidate
    is_pattern = any(character in grant.pattern for character in "*?[")
    return (bool(constraint), implied, grant.grantee_kind == GranteeKind.GROUP, is_pattern)


def _denial_reason(
    principal: Principal,
    securable: Securable,
    privilege: Privilege,
    unbound: list[tuple[Grant, list[str]]],
) -> str:
    """Explain a denial, naming the groups considered and grants lacking claims."""
    reason = f"no grant of {privilege} on {securable} for principal {principal.name}"
    if principal.groups:
        reason += f" or its groups {', '.join(sorted(principal.groups))}"
    if unbound:
        grant, missing = unbound[0]
        reason += (
            f"; {grant} needs token claim {', '.join(missing)}, which the caller's token "
            "does not carry"
        )
    return reason
