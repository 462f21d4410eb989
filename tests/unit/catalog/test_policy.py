"""The access policy as a table: deny by default, exact, wildcard, group and MANAGE grants."""

from __future__ import annotations

import pytest

from groundwork.catalog.policy import (
    Grant,
    GranteeKind,
    ObjectType,
    Principal,
    PrincipalKind,
    Privilege,
    Securable,
    authorize,
)

PLANNER = Principal(id=1, name="planner", kind=PrincipalKind.AGENT, groups=frozenset({"agents"}))
ENDPOINT = ObjectType.ENDPOINT
EXECUTE = Privilege.EXECUTE


def to_planner(privilege: Privilege, object_type: ObjectType, pattern: str) -> Grant:
    return Grant("planner", GranteeKind.PRINCIPAL, privilege, object_type, pattern)


def to_group(group: str, privilege: Privilege, object_type: ObjectType, pattern: str) -> Grant:
    return Grant(group, GranteeKind.GROUP, privilege, object_type, pattern)


CASES = [
    pytest.param(
        [], Securable(ENDPOINT, "hotel_offers"), EXECUTE, False,
        "no grant of EXECUTE on endpoint hotel_offers for principal planner or its groups agents",
        id="deny-by-default",
    ),
    pytest.param(
        [to_planner(EXECUTE, ENDPOINT, "hotel_offers")],
        Securable(ENDPOINT, "hotel_offers"), EXECUTE, True,
        "granted EXECUTE on endpoint hotel_offers to principal planner",
        id="exact",
    ),
    pytest.param(
        [to_planner(EXECUTE, ENDPOINT, "hotel_offers")],
        Securable(ENDPOINT, "hotel_offers_v2"), EXECUTE, False, "no grant", id="exact-is-exact",
    ),
    pytest.param(
        [to_group("agents", EXECUTE, ENDPOINT, "hotel_*")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, True,
        "granted EXECUTE on endpoint hotel_* to group agents",
        id="group-wildcard",
    ),
    pytest.param(
        [to_group("agents", EXECUTE, ENDPOINT, "hotel_*")],
        Securable(ENDPOINT, "user_profile"), EXECUTE, False, "no grant", id="wildcard-miss",
    ),
    pytest.param(
        [to_planner(EXECUTE, ENDPOINT, "HOTEL_*")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, False, "no grant", id="case-sensitive",
    ),
    pytest.param(
        [to_group("analysts", EXECUTE, ENDPOINT, "*")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, False, "no grant", id="other-group",
    ),
    pytest.param(
        [Grant("someone_else", GranteeKind.PRINCIPAL, EXECUTE, ENDPOINT, "*")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, False, "no grant", id="other-principal",
    ),
    pytest.param(
        [Grant("agents", GranteeKind.PRINCIPAL, EXECUTE, ENDPOINT, "*")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, False, "no grant",
        id="group-name-as-principal",
    ),
    pytest.param(
        [to_planner(EXECUTE, ENDPOINT, "*")],
        Securable(ObjectType.FUNCTION, "total_price"), EXECUTE, False,
        "no grant of EXECUTE on function total_price", id="other-object-type",
    ),
    pytest.param(
        [to_planner(Privilege.READ, ObjectType.FEATURE_VIEW, "*")],
        Securable(ObjectType.FEATURE_VIEW, "hotel_prices"), EXECUTE, False, "no grant",
        id="other-privilege",
    ),
    pytest.param(
        [to_planner(Privilege.READ, ObjectType.FEATURE_VIEW, "*")],
        Securable(ObjectType.FEATURE_VIEW, "hotel_prices"), Privilege.READ, True,
        "granted READ on feature_view * to principal planner", id="read-feature-view",
    ),
    pytest.param(
        [to_group("agents", Privilege.MANAGE, ObjectType.CATALOG, "*")],
        Securable(ObjectType.FEATURE_VIEW, "hotel_prices"), Privilege.READ, True,
        "granted MANAGE on catalog * to group agents, which implies READ on feature_view "
        "hotel_prices",
        id="manage-implies-all",
    ),
    pytest.param(
        [to_planner(Privilege.MANAGE, ObjectType.CATALOG, "staging")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, False, "no grant",
        id="manage-on-one-catalog-implies-nothing-else",
    ),
    pytest.param(
        [to_planner(Privilege.MANAGE, ENDPOINT, "*")],
        Securable(ENDPOINT, "hotel_details"), EXECUTE, False, "no grant",
        id="manage-on-endpoints-is-not-execute",
    ),
]


@pytest.mark.parametrize(("grants", "securable", "privilege", "allowed", "reason"), CASES)
def test_authorize(
    grants: list[Grant], securable: Securable, privilege: Privilege, allowed: bool, reason: str
) -> None:
    decision = authorize(PLANNER, grants, securable, privilege)

    assert decision.allowed is allowed
    assert decision.reason.startswith(reason)
    assert (decision.grant is not None) is allowed


def test_the_most_specific_grant_explains_the_decision() -> None:
    grants = [
        to_group("agents", EXECUTE, ENDPOINT, "*"),
        to_planner(EXECUTE, ENDPOINT, "hotel_*"),
        to_planner(EXECUTE, ENDPOINT, "hotel_offers"),
    ]

    decision = authorize(PLANNER, grants, Securable(ENDPOINT, "hotel_offers"), EXECUTE)

    assert decision.grant == grants[2]


def test_a_direct_grant_beats_catalog_management_in_the_reason() -> None:
    grants = [
        to_planner(Privilege.MANAGE, ObjectType.CATALOG, "*"),
        to_planner(EXECUTE, ENDPOINT, "hotel_offers"),
    ]

    decision = authorize(PLANNER, grants, Securable(ENDPOINT, "hotel_offers"), EXECUTE)

    assert decision.grant == grants[1]


def test_a_principal_without_groups_is_named_alone() -> None:
    loner = Principal(id=2, name="loner", kind=PrincipalKind.USER)

    decision = authorize(loner, [], Securable(ENDPOINT, "x"), EXECUTE)

    assert decision.reason == "no grant of EXECUTE on endpoint x for principal loner"


def test_principals_stay_hashable_with_an_entity_filter() -> None:
    bound = Principal(1, "planner", PrincipalKind.AGENT, entity_filter={"user_id": 42})

    assert hash(bound) == hash(Principal(1, "planner", PrincipalKind.AGENT))
