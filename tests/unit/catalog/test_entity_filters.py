"""Entity-filtered grants: bound to the caller's claims or fixed, still deny by default."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from groundwork.catalog.access import AccessController
from groundwork.catalog.entity_filters import within
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
from groundwork.catalog.store import Catalog
from groundwork.errors import Conflict, InvalidInput

EXECUTE, ENDPOINT, GROUP = Privilege.EXECUTE, ObjectType.ENDPOINT, GranteeKind.GROUP
HOTEL_OFFERS = Securable(ENDPOINT, "hotel_offers")
OWN_USER = {"user_id": "$claims.user_id"}


def agent(claims: Mapping[str, int | str] | None = None) -> Principal:
    return Principal(1, "planner", PrincipalKind.AGENT, frozenset({"agents"}), claims)


def to_agents(pattern: str = "hotel_*", entity_filter: Mapping[str, int | str] | None = None,
              privilege: Privilege = EXECUTE, object_type: ObjectType = ENDPOINT) -> Grant:
    return Grant("agents", GROUP, privilege, object_type, pattern, entity_filter)


def test_a_claim_bound_filter_becomes_the_callers_constraint() -> None:
    decision = authorize(agent({"user_id": 42}), [to_agents(entity_filter=OWN_USER)],
                         HOTEL_OFFERS, EXECUTE)

    assert decision.allowed
    assert decision.entity_constraint == {"user_id": 42}
    assert decision.reason == (
        "granted EXECUTE on endpoint hotel_* to group agents where user_id=$claims.user_id "
        "(restricted to user_id=42)"
    )
    assert decision.violations({"user_id": 43, "city": "Lisbon"}) == {"user_id": 42}
    assert decision.violations({"user_id": 42}) == {}
    assert decision.violations({"city": "Lisbon"}) == {}


def test_a_fixed_filter_needs_no_claims() -> None:
    decision = authorize(agent(), [to_agents(entity_filter={"city": "Lisbon"})],
                         HOTEL_OFFERS, EXECUTE)

    assert decision.allowed and decision.entity_constraint == {"city": "Lisbon"}
    assert decision.reason.endswith("where city='Lisbon' (restricted to city='Lisbon')")


def test_a_filter_on_a_claim_the_token_lacks_denies() -> None:
    decision = authorize(agent(), [to_agents(entity_filter=OWN_USER)], HOTEL_OFFERS, EXECUTE)

    assert not decision.allowed and decision.grant is None
    assert decision.entity_constraint is None
    assert decision.reason == (
        "no grant of EXECUTE on endpoint hotel_offers for principal planner or its groups "
        "agents; EXECUTE on endpoint hotel_* to group agents where user_id=$claims.user_id "
        "needs token claim user_id, which the caller's token does not carry"
    )


def test_an_unfiltered_grant_lifts_the_constraint() -> None:
    grants = [
        Grant("planner", GranteeKind.PRINCIPAL, EXECUTE, ENDPOINT, "hotel_offers", OWN_USER),
        to_agents("*"),
    ]

    decision = authorize(agent({"user_id": 42}), grants, HOTEL_OFFERS, EXECUTE)

    assert decision.allowed and decision.grant == grants[1]
    assert decision.entity_constraint is None and decision.violations({"user_id": 7}) == {}


def test_among_filtered_grants_the_most_specific_decides() -> None:
    grants = [
        to_agents("*", {"city": "Porto"}),
        Grant("planner", GranteeKind.PRINCIPAL, EXECUTE, ENDPOINT, "hotel_offers", OWN_USER),
    ]

    decision = authorize(agent({"user_id": 42}), grants, HOTEL_OFFERS, EXECUTE)

    assert decision.grant == grants[1] and decision.entity_constraint == {"user_id": 42}


def test_an_unusable_filtered_grant_does_not_hide_a_usable_one() -> None:
    grants = [to_agents("hotel_offers", OWN_USER), to_agents("*", {"city": "Lisbon"})]

    decision = authorize(agent(), grants, HOTEL_OFFERS, EXECUTE)

    assert decision.allowed and decision.entity_constraint == {"city": "Lisbon"}


def test_catalog_management_with_a_filter_carries_it() -> None:
    admin = to_agents("*", OWN_USER, Privilege.MANAGE, ObjectType.CATALOG)

    decision = authorize(agent({"user_id": 7}), [admin], HOTEL_OFFERS, EXECUTE)

    assert decision.allowed and decision.entity_constraint == {"user_id": 7}
    assert "which implies EXECUTE on endpoint hotel_offers" in decision.reason


def test_unfiltered_catalog_management_lifts_a_filtered_grants_constraint() -> None:
    grants = [to_agents("hotel_*", OWN_USER),
              Grant("planner", GranteeKind.PRINCIPAL, Privilege.MANAGE, ObjectType.CATALOG, "*")]

    decision = authorize(agent({"user_id": 42}), grants, HOTEL_OFFERS, EXECUTE)

    assert decision.grant == grants[1] and decision.entity_constraint is None


def test_no_grant_still_means_no_access() -> None:
    decision = authorize(agent({"user_id": 42}), [], HOTEL_OFFERS, EXECUTE)

    assert not decision.allowed and decision.violations({"user_id": 1}) == {}


@pytest.mark.usefixtures("known_entities")
def test_grant_filters_round_trip_through_the_catalog(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    granted = catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP,
                            entity_filter=OWN_USER)
    catalog.grant("planner", Privilege.READ, ObjectType.FEATURE_VIEW, "*",
                  entity_filter={"user_id": 42, "city": "Lisbon"})

    assert granted.entity_filter == OWN_USER
    assert catalog.list_grants() == [
        granted,
        Grant("planner", GranteeKind.PRINCIPAL, Privilege.READ, ObjectType.FEATURE_VIEW, "*",
              {"user_id": 42, "city": "Lisbon"}),
    ]
    assert catalog.grants_for(agent())[0].entity_filter == OWN_USER
    with pytest.raises(Conflict):
        catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP)


@pytest.mark.parametrize(
    "entity_filter",
    [{}, {"": 1}, {"user id": 1}, {"user_id": True}, {"user_id": 1.5}, {"user_id": None},
     {"user_id": "$claim.user_id"}, {"user_id": "$claims."}, {"user_id": "$claims.a-b"}],
)
def test_invalid_filters_are_refused(catalog: Catalog, entity_filter: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="entity_filter"):
        catalog.grant("agents", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP,
                      entity_filter=entity_filter)  # type: ignore[arg-type]


@pytest.mark.usefixtures("known_entities")
def test_cached_decisions_are_kept_apart_per_claims(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP,
                  entity_filter=OWN_USER)
    for_42 = catalog.issue_token("planner", entity_filter={"user_id": 42}).token
    for_43 = catalog.issue_token("planner", entity_filter={"user_id": 43}).token
    unbound = catalog.issue_token("planner").token
    access = AccessController(catalog)

    constraints = [
        access.authorize(access.authenticate(token), HOTEL_OFFERS, EXECUTE).entity_constraint
        for token in (for_42, for_43, unbound, for_42)
    ]

    assert constraints == [{"user_id": 42}, {"user_id": 43}, None, {"user_id": 42}]
    assert not access.authorize(access.authenticate(unbound), HOTEL_OFFERS, EXECUTE).allowed


@pytest.mark.parametrize("key", ["userid", "User_Id", "user", "hotel"])
def test_a_binding_on_an_unknown_entity_key_is_refused(known_entities: Catalog, key: str) -> None:
    catalog = known_entities
    catalog.create_principal("planner", PrincipalKind.AGENT)

    with pytest.raises(InvalidInput) as token_error:
        catalog.issue_token("planner", entity_filter={key: 42})
    with pytest.raises(InvalidInput) as grant_error:
        catalog.grant("planner", EXECUTE, ENDPOINT, "*", entity_filter={key: 42})

    for error in (token_error.value, grant_error.value):
        assert error.details["field"] == "entity_filter"
        assert error.details["valid_keys"] == ["city", "hotel_id", "user_id"]
        assert error.details["unknown_keys"] == [key]
    assert catalog.list_tokens("planner") == [] and catalog.list_grants() == []


def test_no_binding_is_accepted_before_any_view_is_registered(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT)

    with pytest.raises(InvalidInput, match="register the feature views first"):
        catalog.issue_token("planner", entity_filter={"user_id": 42})


@pytest.mark.parametrize(("minted", "minter", "expected"), [
    (None, None, True),
    ({"user_id": 42}, None, True),
    (None, {"user_id": 42}, False),
    ({"user_id": 43}, {"user_id": 42}, False),
    ({"city": "Rome"}, {"user_id": 42}, False),
    ({"user_id": 42}, {"user_id": 42}, True),
    ({"user_id": 42, "city": "Rome"}, {"user_id": 42}, True),
    ({"user_id": 42}, {"user_id": 42, "city": "Rome"}, False),
])
def test_a_minted_token_is_never_wider_than_its_minter(minted, minter, expected) -> None:
    assert within(minted, minter) is expected
