"""Principals, groups and grants: duplicates conflict, unknown names are not found."""

from __future__ import annotations

import pytest

from groundwork.catalog.policy import (
    Grant,
    GranteeKind,
    ObjectType,
    Principal,
    PrincipalKind,
    Privilege,
)
from groundwork.catalog.store import Catalog
from groundwork.errors import Conflict, InvalidInput, NotFound

EXECUTE, ENDPOINT, GROUP = Privilege.EXECUTE, ObjectType.ENDPOINT, GranteeKind.GROUP


def test_principals_are_listed_with_their_groups(catalog: Catalog) -> None:
    created = catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    catalog.create_principal("alice", PrincipalKind.USER)
    catalog.add_to_group("alice", "analysts")
    catalog.add_to_group("alice", "agents")

    listed = catalog.list_principals()

    assert [(p.name, p.kind, p.groups) for p in listed] == [
        ("alice", PrincipalKind.USER, {"agents", "analysts"}),
        ("planner", PrincipalKind.AGENT, {"agents"}),
    ]
    assert listed[1] == created
    assert created.created_at.tzinfo is not None
    assert catalog.get_principal("planner") == created


def test_duplicates_conflict(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])

    with pytest.raises(Conflict):
        catalog.create_principal("planner", PrincipalKind.USER)
    with pytest.raises(Conflict):
        catalog.add_to_group("planner", "agents")
    catalog.grant("agents", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP)
    with pytest.raises(Conflict):
        catalog.grant("agents", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP)


def test_unknown_names_are_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFound):
        catalog.get_principal("nobody")
    with pytest.raises(NotFound):
        catalog.add_to_group("nobody", "agents")
    with pytest.raises(NotFound):
        catalog.grant("nobody", EXECUTE, ENDPOINT, "*")
    with pytest.raises(NotFound):
        catalog.revoke_grant("agents", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP)
    catalog.create_principal("planner", PrincipalKind.AGENT)
    with pytest.raises(NotFound):
        catalog.remove_from_group("planner", "agents")


@pytest.mark.parametrize(
    "call",
    [
        lambda catalog: catalog.create_principal("", PrincipalKind.USER),
        lambda catalog: catalog.create_principal("planner", "robot"),
        lambda catalog: catalog.create_principal("planner", PrincipalKind.USER, groups=["a b"]),
        lambda catalog: catalog.grant("agents", "WRITE", ENDPOINT, "*", grantee_kind=GROUP),
        lambda catalog: catalog.grant("agents", EXECUTE, "table", "*", grantee_kind=GROUP),
        lambda catalog: catalog.grant("agents", EXECUTE, ENDPOINT, "", grantee_kind=GROUP),
        lambda catalog: catalog.grant("agents", EXECUTE, ENDPOINT, "a b", grantee_kind=GROUP),
        lambda catalog: catalog.grant("agents", EXECUTE, ENDPOINT, "*", grantee_kind="team"),
    ],
)
def test_invalid_input_is_refused(catalog: Catalog, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        call(catalog)


def test_grants_for_a_principal_are_its_own_and_its_groups(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    catalog.create_principal("alice", PrincipalKind.USER)
    own = catalog.grant("planner", Privilege.READ, ObjectType.FEATURE_VIEW, "user_*")
    via_group = catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP)
    catalog.grant("alice", EXECUTE, ENDPOINT, "*")
    catalog.grant("analysts", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP)
    catalog.grant("planner", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP)

    planner = Principal(1, "planner", PrincipalKind.AGENT, groups=frozenset({"agents"}))

    assert catalog.grants_for(planner) == [own, via_group]
    assert len(catalog.list_grants()) == 5


def test_a_revoked_grant_is_gone(catalog: Catalog) -> None:
    catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP)

    catalog.revoke_grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP)

    assert catalog.list_grants() == []


def test_enum_values_may_be_given_as_text(catalog: Catalog) -> None:
    granted = catalog.grant(
        "agents", "EXECUTE", "endpoint", "*", grantee_kind="group"  # type: ignore[arg-type]
    )

    assert granted == Grant("agents", GROUP, EXECUTE, ENDPOINT, "*")
