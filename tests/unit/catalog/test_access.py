"""The cached guard: answers from memory, drops answers on change and after max_age."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from groundwork.catalog.access import AccessController
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege, Securable
from groundwork.catalog.store import Catalog
from groundwork.catalog.tokens import IssuedToken
from groundwork.errors import AccessDenied, NotAuthenticated

HOTEL_OFFERS = Securable(ObjectType.ENDPOINT, "hotel_offers")
EXECUTE = Privilege.EXECUTE


class ManualClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def issued(known_entities: Catalog) -> IssuedToken:
    catalog = known_entities
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    catalog.grant("agents", EXECUTE, ObjectType.ENDPOINT, "hotel_*", grantee_kind=GranteeKind.GROUP)
    return catalog.issue_token("planner", entity_filter={"user_id": 42})


@pytest.fixture
def wall_clock() -> ManualClock:
    clock = ManualClock()
    clock.now = time.time()
    return clock


@pytest.fixture
def access(catalog: Catalog, clock: ManualClock, wall_clock: ManualClock) -> AccessController:
    return AccessController(catalog, max_age=5.0, clock=clock, wall_clock=wall_clock)


@pytest.fixture
def other_process(catalog_url: str) -> Iterator[Catalog]:
    """A second catalog object on the same file, standing for another process."""
    other = Catalog(catalog_url)
    yield other
    other.dispose()


def allowed(access: AccessController, token: str, securable: Securable = HOTEL_OFFERS) -> bool:
    return access.authorize(access.authenticate(token), securable, EXECUTE).allowed


def test_answers_come_from_the_catalog(access: AccessController, issued: IssuedToken) -> None:
    principal = access.authenticate(issued.token)

    assert principal.name == "planner"
    assert principal.entity_filter == {"user_id": 42}
    assert access.authorize(principal, HOTEL_OFFERS, EXECUTE).grant is not None
    assert not allowed(access, issued.token, Securable(ObjectType.ENDPOINT, "user_profile"))


@pytest.mark.parametrize("token", [None, "", "garbage", "gw_0123456789abcdef_" + "a" * 43])
def test_bad_tokens_are_refused(access: AccessController, token: str | None) -> None:
    with pytest.raises(NotAuthenticated):
        access.authenticate(token)


def test_require_raises_access_denied_with_the_reason(
    access: AccessController, issued: IssuedToken
) -> None:
    principal = access.authenticate(issued.token)

    with pytest.raises(AccessDenied, match="no grant of EXECUTE on endpoint user_profile"):
        access.require(principal, Securable(ObjectType.ENDPOINT, "user_profile"), EXECUTE)
    assert access.require(principal, HOTEL_OFFERS, EXECUTE).allowed


def test_changes_through_the_catalog_apply_at_once(
    catalog: Catalog, access: AccessController, issued: IssuedToken
) -> None:
    user_profile = Securable(ObjectType.ENDPOINT, "user_profile")
    assert not allowed(access, issued.token, user_profile)

    catalog.grant("planner", EXECUTE, ObjectType.ENDPOINT, "user_profile")
    assert allowed(access, issued.token, user_profile)

    catalog.revoke_grant("agents", EXECUTE, ObjectType.ENDPOINT, "hotel_*", grantee_kind="group")
    assert not allowed(access, issued.token)

    catalog.add_to_group("planner", "admins")
    assert access.authenticate(issued.token).groups == {"agents", "admins"}

    catalog.revoke_token(issued.token_id)
    with pytest.raises(NotAuthenticated):
        access.authenticate(issued.token)


def test_disabling_a_principal_applies_at_once(
    catalog: Catalog, access: AccessController, issued: IssuedToken
) -> None:
    access.authenticate(issued.token)

    catalog.set_principal_disabled("planner")

    with pytest.raises(NotAuthenticated):
        access.authenticate(issued.token)


def test_changes_by_another_process_apply_after_max_age(
    other_process: Catalog, access: AccessController, clock: ManualClock, issued: IssuedToken
) -> None:
    assert allowed(access, issued.token)

    other_process.revoke_grant(
        "agents", EXECUTE, ObjectType.ENDPOINT, "hotel_*", grantee_kind=GranteeKind.GROUP
    )
    other_process.revoke_token(issued.token_id)
    clock.now += 4.9
    assert allowed(access, issued.token), "served from the cache until max_age"

    clock.now += 0.1
    with pytest.raises(NotAuthenticated):
        access.authenticate(issued.token)


def test_a_cached_token_stops_working_when_it_expires(
    catalog: Catalog, access: AccessController, wall_clock: ManualClock
) -> None:
    catalog.create_principal("shortlived", PrincipalKind.SERVICE)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    issued = catalog.issue_token("shortlived", expires_at=expires_at)
    assert access.authenticate(issued.token).name == "shortlived"

    wall_clock.now = expires_at.timestamp() - 0.001
    assert access.authenticate(issued.token).name == "shortlived", "served from the cache"
    wall_clock.now = expires_at.timestamp()

    with pytest.raises(NotAuthenticated, match="expired"):
        access.authenticate(issued.token)


def test_cache_hits_do_not_touch_the_database(
    catalog: Catalog, access: AccessController, issued: IssuedToken
) -> None:
    principal = access.authenticate(issued.token)
    access.authorize(principal, HOTEL_OFFERS, EXECUTE)
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(arguments[2])

    event.listen(catalog.engine, "before_cursor_execute", record)
    try:
        for _ in range(100):
            assert access.authenticate(issued.token) == principal
            assert access.authorize(principal, HOTEL_OFFERS, EXECUTE).allowed
    finally:
        event.remove(catalog.engine, "before_cursor_execute", record)

    assert statements == []
