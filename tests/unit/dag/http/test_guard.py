"""The guard, without HTTP: a real SQLite catalog, its access controller and audit sink."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from groundwork.catalog.access import AccessController
from groundwork.catalog.audit import AuditEvent, AuditSink
from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege, Securable
from groundwork.catalog.store import Catalog
from groundwork.dag.http.guard import Guard, bearer_token
from groundwork.dag.http.metrics import Metrics
from groundwork.errors import AccessDenied, InvalidInput, NotAuthenticated
from tests.support.entities import register_entity_views

PROFILE = Securable(ObjectType.ENDPOINT, "user_profile")
OFFERS = Securable(ObjectType.ENDPOINT, "hotel_offers")
LISTING = Securable(ObjectType.CATALOG, "GET /v1/tools")


class SteppingClock:
    """A clock that moves a quarter of a second each time it is read."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


@dataclass
class World:
    catalog: Catalog
    guard: Guard
    audit: AuditSink
    metrics: Metrics
    tokens: dict[str, str]

    async def events(self) -> list[AuditEvent]:
        """Every audit event the guard queued, oldest first."""
        await self.audit.flush()
        return list(reversed(self.catalog.audit_events(limit=100)))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    catalog.create_schema()
    register_entity_views(catalog)
    for name in ("planner", "nobody", "bound"):
        catalog.create_principal(name, PrincipalKind.AGENT)
    catalog.grant("planner", Privilege.EXECUTE, ObjectType.ENDPOINT, "user_*")
    catalog.grant("bound", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    tokens = {name: catalog.issue_token(name).token for name in ("planner", "nobody")}
    tokens["bound"] = catalog.issue_token("bound", entity_filter={"user_id": 7}).token
    audit, metrics = AuditSink(catalog.spool_files, spool_dir=tmp_path / "spool"), Metrics()
    guard = Guard(AccessController(catalog), audit, metrics, clock=SteppingClock())
    yield World(catalog, guard, audit, metrics, tokens)
    catalog.dispose()


def test_bearer_token_reads_only_the_bearer_scheme() -> None:
    assert bearer_token(None) is None
    assert bearer_token("Bearer  abc ") == "abc"
    assert bearer_token("Basic abc") == ""


async def test_an_admitted_call_is_timed_observed_and_audited(world: World) -> None:
    with world.guard.admit(channel="rest", token=world.tokens["planner"],
                           privilege=Privilege.EXECUTE, securable=PROFILE, trace_id="t1",
                           metric="user_profile") as admission:
        assert admission.principal is not None and admission.principal.name == "planner"
        assert admission.channel == "rest" and admission.trace_id == "t1"
    (event,) = await world.events()
    assert (event.principal, event.object_type, event.object_name, event.privilege) == (
        "planner", ObjectType.ENDPOINT, "user_profile", Privilege.EXECUTE)
    assert event.allowed and event.status_code == 200 and event.trace_id == "t1"
    assert event.latency_ms == pytest.approx(250.0)
    scraped = generate_latest(world.metrics.registry).decode()
    assert 'groundwork_endpoint_calls_total{endpoint="user_profile",status="200"} 1.0' in scraped


async def test_a_missing_or_unknown_token_is_refused_and_audited(world: World) -> None:
    for token in (None, "gw_0123456789abcdef_secret"):
        with pytest.raises(NotAuthenticated), world.guard.admit(
            channel="mcp", token=token, privilege=Privilege.EXECUTE, securable=PROFILE,
        ):
            raise AssertionError("a refused call never runs")
    events = await world.events()
    assert [(event.principal, event.allowed, event.status_code) for event in events] == [
        (None, False, 401), (None, False, 401)]
    assert all(len(event.trace_id) == 32 for event in events)


async def test_no_grant_is_refused_with_the_decision_as_reason(world: World) -> None:
    with pytest.raises(AccessDenied) as error, world.guard.admit(
        channel="rest", token=world.tokens["planner"], privilege=Privilege.EXECUTE,
        securable=OFFERS,
    ):
        raise AssertionError("a refused call never runs")
    assert error.value.details == {"endpoint": "hotel_offers", "privilege": "EXECUTE"}
    (event,) = await world.events()
    assert not event.allowed and event.status_code == 403
    assert event.reason == error.value.message


async def test_a_failure_inside_keeps_the_decision_and_takes_its_status(world: World) -> None:
    with pytest.raises(InvalidInput), world.guard.admit(
        channel="rest", token=world.tokens["planner"], privilege=Privilege.EXECUTE,
        securable=PROFILE,
    ):
        raise InvalidInput("invalid input: user_id")
    (event,) = await world.events()
    assert event.allowed and event.status_code == 422


async def test_a_door_sets_its_own_status_and_audits_as_its_action(world: World) -> None:
    world.catalog.grant("planner", Privilege.MANAGE, ObjectType.CATALOG, "*")
    action = Securable(ObjectType.CATALOG, "POST /v1/admin/principals")
    with world.guard.admit(channel="admin", token=world.tokens["planner"],
                           privilege=Privilege.MANAGE,
                           securable=Securable(ObjectType.CATALOG, "catalog"),
                           audit_as=action) as admission:
        admission.status = 201
    (event,) = await world.events()
    assert (event.object_name, event.status_code, event.allowed) == (
        "POST /v1/admin/principals", 201, True)


async def test_a_listing_checks_each_item_and_says_what_it_listed(world: World) -> None:
    with world.guard.admit(channel="rest", token=world.tokens["planner"],
                           privilege=Privilege.EXECUTE, securable=None,
                           audit_as=LISTING) as admission:
        assert [admission.allows(item) for item in (PROFILE, OFFERS)] == [True, False]
        admission.reason = "listed the endpoints the caller may execute"
    (event,) = await world.events()
    assert event.object_name == "GET /v1/tools" and event.allowed
    assert event.reason == "listed the endpoints the caller may execute"


async def test_inputs_outside_the_tokens_entities_are_refused(world: World) -> None:
    with world.guard.admit(channel="rest", token=world.tokens["bound"],
                           privilege=Privilege.EXECUTE, securable=PROFILE) as admission:
        admission.check_entities({"user_id": 7})
        with pytest.raises(AccessDenied) as error:
            admission.check_entities({"user_id": 8})
    assert error.value.details == {"field": "user_id"}


def test_an_admission_names_what_it_audits(world: World) -> None:
    with pytest.raises(TypeError):
        world.guard.admit(channel="rest", token=None, privilege=Privilege.EXECUTE,
                          securable=None)
