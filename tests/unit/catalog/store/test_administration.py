"""Service functions of the admin API: principals, groups, tokens, grants and audit queries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from groundwork.catalog.audit import AuditEvent
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege
from groundwork.catalog.principals import GroupRecord
from groundwork.catalog.store import Catalog
from groundwork.catalog.tokens import token_hash
from groundwork.errors import InvalidInput, NotAuthenticated, NotFound

EXECUTE, ENDPOINT, GROUP = Privilege.EXECUTE, ObjectType.ENDPOINT, GranteeKind.GROUP
T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def event(minute: int, principal: str | None = "planner", name: str = "hotel_offers",
          allowed: bool = True) -> AuditEvent:
    return AuditEvent(
        ts=T0 + dt.timedelta(minutes=minute), principal=principal, object_type=ENDPOINT,
        object_name=name, privilege=EXECUTE, allowed=allowed, reason=f"call {minute}",
        status_code=200 if allowed else 403, latency_ms=2.0, trace_id=f"t{minute}",
    )


def test_deleting_a_principal_removes_its_tokens_memberships_and_grants(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    token = catalog.issue_token("planner").token
    catalog.grant("planner", EXECUTE, ENDPOINT, "*")
    catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP)

    catalog.delete_principal("planner")

    with pytest.raises(NotAuthenticated):
        catalog.authenticate(token)
    assert catalog.list_tokens() == []
    assert catalog.list_principals() == []
    assert [grant.grantee for grant in catalog.list_grants()] == ["agents"]
    catalog.create_principal("planner", PrincipalKind.USER)
    assert catalog.get_principal("planner").groups == frozenset()
    with pytest.raises(NotFound):
        catalog.delete_principal("nobody")


def test_groups_are_listed_with_members_and_grant_counts(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT, groups=["agents"])
    catalog.create_principal("alice", PrincipalKind.USER, groups=["agents", "analysts"])
    catalog.grant("agents", EXECUTE, ENDPOINT, "*", grantee_kind=GROUP)
    catalog.grant("auditors", Privilege.READ, ObjectType.FEATURE_VIEW, "*", grantee_kind=GROUP)

    assert catalog.list_groups() == [
        GroupRecord("agents", ("alice", "planner"), 1),
        GroupRecord("analysts", ("alice",), 0),
        GroupRecord("auditors", (), 1),
    ]
    assert catalog.group_members("agents") == ["alice", "planner"]
    assert catalog.group_members("nobody") == []


@pytest.mark.usefixtures("known_entities")
def test_tokens_are_listed_without_secrets(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT)
    catalog.create_principal("alice", PrincipalKind.USER)
    bound = catalog.issue_token("planner", description="for 42", entity_filter={"user_id": 42},
                                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    revoked = catalog.issue_token("planner")
    catalog.revoke_token(revoked.token_id)
    catalog.issue_token("alice")

    listed = catalog.list_tokens("planner")

    assert {record.token_id for record in listed} == {bound.token_id, revoked.token_id}
    record = next(record for record in listed if record.token_id == bound.token_id)
    assert (record.principal, record.description, record.entity_filter) == (
        "planner", "for 42", {"user_id": 42}
    )
    text = repr(listed)
    assert bound.token not in text and token_hash(bound.token) not in text
    assert [r.token_id for r in catalog.list_tokens("planner", include_inactive=False)] == [
        bound.token_id
    ]
    assert len(catalog.list_tokens()) == 3
    with pytest.raises(NotFound):
        catalog.list_tokens("nobody")


def test_grants_are_filtered_by_grantee_and_object(catalog: Catalog) -> None:
    catalog.create_principal("planner", PrincipalKind.AGENT)
    exact = catalog.grant("planner", EXECUTE, ENDPOINT, "hotel_offers")
    pattern = catalog.grant("agents", EXECUTE, ENDPOINT, "hotel_*", grantee_kind=GROUP)
    everything = catalog.grant("admins", Privilege.MANAGE, ObjectType.CATALOG, "*",
                               grantee_kind=GROUP)
    view = catalog.grant("agents", Privilege.READ, ObjectType.FEATURE_VIEW, "user_profile",
                         grantee_kind=GROUP)

    assert catalog.list_grants(grantee="agents") == [pattern, view]
    assert catalog.list_grants(grantee="agents", grantee_kind=GranteeKind.PRINCIPAL) == []
    assert catalog.list_grants(object_type=ENDPOINT, object_name="hotel_offers") == [
        exact, pattern
    ]
    assert catalog.list_grants(object_name="user_profile") == [everything, view]
    assert catalog.list_grants(privilege=Privilege.MANAGE) == [everything]
    with pytest.raises(InvalidInput):
        catalog.list_grants(object_type="table")  # type: ignore[arg-type]


def test_audit_queries_filter_and_page(catalog: Catalog) -> None:
    catalog.record_audit([
        event(0), event(1, name="user_profile"), event(2, allowed=False),
        event(3, principal=None, allowed=False), event(4, principal="alice"), event(5),
    ])

    denied = catalog.query_audit(allowed=False)
    assert [e.reason for e in denied.events] == ["call 3", "call 2"]
    assert denied.next_cursor is None
    planner_offers = catalog.query_audit(principal="planner", object_type=ENDPOINT,
                                         object_name="hotel_offers")
    assert [e.reason for e in planner_offers.events] == ["call 5", "call 2", "call 0"]
    window = catalog.query_audit(since=T0 + dt.timedelta(minutes=1),
                                 until=T0 + dt.timedelta(minutes=4))
    assert [e.reason for e in window.events] == ["call 3", "call 2", "call 1"]

    pages, cursor = [], None
    while True:
        page = catalog.query_audit(limit=4, cursor=cursor)
        pages.append([e.reason for e in page.events])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == [["call 5", "call 4", "call 3", "call 2"], ["call 1", "call 0"]]


def test_pages_do_not_skip_events_with_equal_timestamps(catalog: Catalog) -> None:
    same_moment = [dataclasses.replace(event(0), reason=f"twin {n}") for n in range(5)]
    catalog.record_audit(same_moment)

    first = catalog.query_audit(limit=2)
    second = catalog.query_audit(limit=2, cursor=first.next_cursor)
    third = catalog.query_audit(limit=2, cursor=second.next_cursor)

    seen = [e.reason for page in (first, second, third) for e in page.events]
    assert seen == ["twin 4", "twin 3", "twin 2", "twin 1", "twin 0"]
    assert third.next_cursor is None


@pytest.mark.parametrize(
    "arguments",
    [{"limit": 0}, {"cursor": "not a cursor"}, {"cursor": "bm9waXBl"},
     {"since": dt.datetime(2030, 1, 1)}, {"object_type": "table"}],
)
def test_bad_audit_queries_are_refused(catalog: Catalog, arguments: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        catalog.query_audit(**arguments)  # type: ignore[arg-type]
