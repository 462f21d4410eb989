"""Access changes made by another process reach a server's cache through the access version.

A second :class:`Catalog` on the same database stands for the other process
(the CLI, another server replica). The watcher's check is driven explicitly
and the controller's clock is a manual one, so nothing here waits on time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from groundwork.catalog.access import AccessController
from groundwork.catalog.changes import AccessChangeWatcher
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege, Securable
from groundwork.catalog.store import Catalog
from groundwork.catalog.tokens import IssuedToken
from groundwork.errors import Conflict, NotAuthenticated

HOTEL_OFFERS = Securable(ObjectType.ENDPOINT, "hotel_offers")
EXECUTE = Privilege.EXECUTE
BOUND = 1.0


class SteppedClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class UnreadableVersion:
    """An access-version source whose reads fail, as when the catalog is unreachable."""

    def access_version(self) -> int:
        raise ConnectionError("catalog unreachable")


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def served(known_entities: Catalog) -> IssuedToken:
    """A token of ``planner``, whose group may execute ``hotel_*`` endpoints."""
    catalog = known_entities
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    catalog.grant("agents", EXECUTE, ObjectType.ENDPOINT, "hotel_*", grantee_kind=GranteeKind.GROUP)
    return catalog.issue_token("planner")


@pytest.fixture
def server_access(catalog: Catalog, clock: SteppedClock) -> AccessController:
    """The server's controller, with the server's bound as ``max_age``."""
    return AccessController(catalog, max_age=BOUND, clock=clock)


@pytest.fixture
def watcher(catalog: Catalog, server_access: AccessController) -> AccessChangeWatcher:
    watcher = AccessChangeWatcher(catalog, server_access)
    watcher.check()
    return watcher


@pytest.fixture
def elsewhere(catalog_url: str) -> Iterator[Catalog]:
    """A second catalog object on the same database, standing for another process."""
    other = Catalog(catalog_url)
    yield other
    other.dispose()


def allowed(access: AccessController, token: str) -> bool:
    return access.authorize(access.authenticate(token), HOTEL_OFFERS, EXECUTE).allowed


def test_a_token_revoked_elsewhere_is_refused_after_the_next_check(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog,
) -> None:
    assert allowed(server_access, served.token)

    elsewhere.revoke_token(served.token_id)
    assert allowed(server_access, served.token), "cached until the watcher reads"

    assert watcher.check() is True
    with pytest.raises(NotAuthenticated, match="revoked"):
        server_access.authenticate(served.token)


def test_a_principal_disabled_elsewhere_is_refused_after_the_next_check(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog,
) -> None:
    assert allowed(server_access, served.token)

    elsewhere.set_principal_disabled("planner")
    assert watcher.check() is True

    with pytest.raises(NotAuthenticated, match="disabled"):
        server_access.authenticate(served.token)


def test_a_grant_revoked_elsewhere_is_denied_after_the_next_check(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog,
) -> None:
    assert allowed(server_access, served.token)

    elsewhere.revoke_grant("agents", EXECUTE, ObjectType.ENDPOINT, "hotel_*",
                           grantee_kind=GranteeKind.GROUP)
    assert watcher.check() is True

    assert not allowed(server_access, served.token)


def test_a_group_left_elsewhere_is_honoured_after_the_next_check(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog,
) -> None:
    assert allowed(server_access, served.token)

    elsewhere.remove_from_group("planner", "agents")
    watcher.check()

    assert server_access.authenticate(served.token).groups == frozenset()
    assert not allowed(server_access, served.token)


def test_checks_that_see_no_change_keep_the_cache_warm(
    catalog: Catalog, served: IssuedToken, server_access: AccessController,
    watcher: AccessChangeWatcher, clock: SteppedClock,
) -> None:
    principal = server_access.authenticate(served.token)
    server_access.authorize(principal, HOTEL_OFFERS, EXECUTE)
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(arguments[2])

    for _ in range(10):  # 2.5 s of checks every 0.25 s: well past max_age
        clock.now += 0.25
        assert watcher.check() is False
    event.listen(catalog.engine, "before_cursor_execute", record)
    try:
        assert server_access.authenticate(served.token) == principal
        assert server_access.authorize(principal, HOTEL_OFFERS, EXECUTE).allowed
    finally:
        event.remove(catalog.engine, "before_cursor_execute", record)

    assert statements == [], "answered from the cache: no database round trip"


def test_a_confirmed_cache_is_still_dropped_after_its_lifetime(
    catalog: Catalog, served: IssuedToken, clock: SteppedClock
) -> None:
    access = AccessController(catalog, max_age=BOUND, lifetime=3.0, clock=clock)
    watcher = AccessChangeWatcher(catalog, access)
    watcher.check()
    access.authenticate(served.token)
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(arguments[2])

    for _ in range(11):  # confirmed every 0.25 s, up to 2.75 s
        clock.now += 0.25
        watcher.check()
    event.listen(catalog.engine, "before_cursor_execute", record)
    try:
        access.authenticate(served.token)
        assert statements == [], "still within its lifetime"
        clock.now += 0.25
        watcher.check()
        statements.clear()
        access.authenticate(served.token)
    finally:
        event.remove(catalog.engine, "before_cursor_execute", record)

    assert statements, "asked the catalog again (recording the token's use) after 3 s"


def test_without_checks_the_cache_expires_within_the_bound(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog, clock: SteppedClock,
) -> None:
    assert allowed(server_access, served.token)
    elsewhere.revoke_token(served.token_id)

    clock.now += BOUND - 0.001
    assert allowed(server_access, served.token), "the last check confirmed the cache"
    clock.now += 0.001

    with pytest.raises(NotAuthenticated):
        server_access.authenticate(served.token)


def test_a_check_confirms_the_cache_as_of_when_its_read_began(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog, clock: SteppedClock,
) -> None:
    assert allowed(server_access, served.token)
    clock.now += 0.6
    as_of = clock.now
    clock.now += 0.3  # a slow read: the cache is confirmed as of its start, not its end
    assert watcher.observe(watcher.seen or 0, as_of) is False
    elsewhere.revoke_token(served.token_id)

    clock.now = as_of + BOUND - 0.001
    assert allowed(server_access, served.token)
    clock.now = as_of + BOUND
    with pytest.raises(NotAuthenticated):
        server_access.authenticate(served.token)


def test_a_failed_read_confirms_nothing(
    served: IssuedToken, server_access: AccessController, watcher: AccessChangeWatcher,
    elsewhere: Catalog, clock: SteppedClock,
) -> None:
    unreadable = AccessChangeWatcher(UnreadableVersion(), server_access)
    assert allowed(server_access, served.token)
    elsewhere.revoke_token(served.token_id)

    clock.now += 0.5
    with pytest.raises(ConnectionError):
        unreadable.check()
    clock.now += 0.5

    with pytest.raises(NotAuthenticated):
        server_access.authenticate(served.token)


def test_every_access_change_bumps_the_version_once(catalog: Catalog) -> None:
    versions = [catalog.access_version()]

    def bumped() -> int:
        versions.append(catalog.access_version())
        return versions[-1] - versions[-2]

    catalog.create_principal("planner", PrincipalKind.AGENT)
    assert bumped() == 1
    catalog.add_to_group("planner", "agents")
    assert bumped() == 1
    catalog.grant("agents", EXECUTE, ObjectType.ENDPOINT, "*", grantee_kind=GranteeKind.GROUP)
    assert bumped() == 1
    issued = catalog.issue_token("planner")
    assert bumped() == 0, "a new token is in no cache"
    catalog.revoke_token(issued.token_id)
    assert bumped() == 1
    catalog.revoke_grant("agents", EXECUTE, ObjectType.ENDPOINT, "*", grantee_kind="group")
    assert bumped() == 1
    catalog.remove_from_group("planner", "agents")
    assert bumped() == 1
    catalog.set_principal_disabled("planner")
    assert bumped() == 1
    catalog.delete_principal("planner")
    assert bumped() == 1


def test_a_refused_change_does_not_bump_the_version(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT)
    before = catalog.access_version()

    with pytest.raises(Conflict):
        catalog.create_principal("planner", PrincipalKind.AGENT)

    assert catalog.access_version() == before


def test_the_background_watcher_notices_a_change_made_elsewhere(
    catalog: Catalog, served: IssuedToken, elsewhere: Catalog
) -> None:
    access = AccessController(catalog, max_age=60.0)  # only the watcher can drop the cache
    watcher = AccessChangeWatcher(catalog, access, interval=0.001)

    async def scenario() -> None:
        watcher.start()
        try:
            await reads(watcher, 1)
            assert watcher.seen is not None
            assert allowed(access, served.token)
            seen = watcher.seen
            elsewhere.revoke_token(served.token_id)
            # The read under way may have begun before the revocation; the next began after.
            await reads(watcher, 2)
            assert watcher.seen != seen
            with pytest.raises(NotAuthenticated):
                access.authenticate(served.token)
        finally:
            await watcher.stop()

    asyncio.run(scenario())


async def reads(watcher: AccessChangeWatcher, count: int) -> None:
    """Wait for the watcher's next ``count`` background reads (the bound is a failure guard)."""
    for _ in range(count):
        await asyncio.wait_for(watcher.next_read(), timeout=30)
