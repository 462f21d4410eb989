"""Every unauthorised call is refused with 401/403, leaks no data, and is audited.

Generates well over 200 unauthorised attempts across every endpoint, the tools
listing and every admin route — no token, malformed, unknown, expired and
revoked tokens, a disabled principal, no grant, a grant on another object, a
grant to another group, and a foreign entity under a token's or a grant's
entity filter — and checks the matching authorised calls succeed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundwork import pipeline
from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog, open_catalog
from groundwork.server import build_app
from groundwork.settings import Settings
from tests.support.demo_state import seed_store

CHECK_IN = (dt.date.today() + dt.timedelta(days=5)).isoformat()
ENDPOINT_BODIES: dict[str, dict[str, Any]] = {
    "user_profile": {"user_id": 42},
    "hotel_details": {"hotel_id": 1},
    "hotel_offers": {"user_id": 42, "city": "Lisbon", "check_in": CHECK_IN, "nights": 2},
}
ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/admin/principals", None),
    ("POST", "/v1/admin/principals", {"name": "intruder", "kind": "user"}),
    ("POST", "/v1/admin/principals/planner/disable", None),
    ("DELETE", "/v1/admin/principals/planner", None),
    ("GET", "/v1/admin/groups", None),
    ("PUT", "/v1/admin/groups/admins/members/planner", None),
    ("DELETE", "/v1/admin/groups/agents/members/planner", None),
    ("GET", "/v1/admin/tokens", None),
    ("POST", "/v1/admin/tokens", {"principal": "planner"}),
    ("DELETE", "/v1/admin/tokens/0123456789abcdef", None),
    ("GET", "/v1/admin/grants", None),
    ("POST", "/v1/admin/grants", {"grantee": "nobody", "privilege": "MANAGE",
                                   "object_type": "catalog", "pattern": "*"}),
    ("POST", "/v1/admin/grants/revoke", {"grantee": "planner", "privilege": "EXECUTE",
                                          "object_type": "endpoint", "pattern": "*"}),
    ("GET", "/v1/admin/audit", None),
    ("GET", "/v1/admin/lineage/hotel_offers", None),
    ("GET", "/v1/admin/sync-runs", None),
]


@dataclass(frozen=True, slots=True)
class World:
    """The served state and the tokens of each kind of caller."""

    settings: Settings
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    settings = Settings(state_dir=tmp_path_factory.mktemp("security"))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    asyncio.run(seed_store(settings, now, now.date()))
    pipeline.register(settings, demo_principal=False)  # views, functions, endpoints, lineage
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for name, groups in [("planner", ["agents"]), ("admin", []), ("nobody", []),
                         ("hotelier", ["hoteliers"]), ("other_group", ["travellers"]),
                         ("disabled", ["agents"]), ("for_user", []), ("bound", []),
                         ("bound_admin", [])]:
        catalog.create_principal(name, PrincipalKind.AGENT, groups)
    catalog.grant("agents", Privilege.EXECUTE, ObjectType.ENDPOINT, "*",
                  grantee_kind=GranteeKind.GROUP)
    catalog.grant("hoteliers", Privilege.EXECUTE, ObjectType.ENDPOINT, "hotel_details",
                  grantee_kind=GranteeKind.GROUP)
    catalog.grant("admins", Privilege.EXECUTE, ObjectType.ENDPOINT, "*",
                  grantee_kind=GranteeKind.GROUP)
    catalog.grant("admin", Privilege.MANAGE, ObjectType.CATALOG, "*")
    catalog.grant("for_user", Privilege.EXECUTE, ObjectType.ENDPOINT, "user_profile",
                  entity_filter={"user_id": "$claims.user_id"})
    catalog.grant("bound", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    catalog.grant("bound_admin", Privilege.MANAGE, ObjectType.CATALOG, "*")
    tokens = {name: catalog.issue_token(name).token
              for name in ("planner", "admin", "nobody", "hotelier", "other_group", "disabled")}
    tokens["bound"] = catalog.issue_token("bound", entity_filter={"user_id": 7}).token
    tokens["for_user"] = catalog.issue_token("for_user", entity_filter={"user_id": 7}).token
    tokens["bound_admin"] = catalog.issue_token("bound_admin",
                                                entity_filter={"user_id": 7}).token
    revoked = catalog.issue_token("planner")
    catalog.revoke_token(revoked.token_id)
    tokens["revoked"] = revoked.token
    catalog.set_principal_disabled("disabled")
    catalog.dispose()
    an_hour_ago = now - dt.timedelta(hours=1)
    with open_catalog(settings.resolved_catalog_url, now=lambda: an_hour_ago) as earlier:
        tokens["expired"] = earlier.issue_token(
            "planner", expires_at=an_hour_ago + dt.timedelta(minutes=1)).token
    return World(settings, tokens)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One unauthorised call and the status it must get."""

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]
    status: int
    why: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unauthenticated(tokens: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        "no token": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "malformed": bearer("not-a-token"),
        "unknown": bearer("gw_0123456789abcdef_" + "x" * 43),
        "tampered": bearer(tokens["planner"][:-2] + "zz"),
        "expired": bearer(tokens["expired"]),
        "revoked": bearer(tokens["revoked"]),
        "disabled principal": bearer(tokens["disabled"]),
    }


def attempts(tokens: dict[str, str]) -> list[Attempt]:
    calls = [("POST", f"/v1/endpoints/{name}/invoke", body)
             for name, body in ENDPOINT_BODIES.items()]
    calls += [("GET", "/v1/tools", None), *ADMIN_ROUTES]
    result = [Attempt(method, path, body, headers, 401, why)
              for method, path, body in calls
              for why, headers in unauthenticated(tokens).items()]
    for name, body in ENDPOINT_BODIES.items():
        path = f"/v1/endpoints/{name}/invoke"
        result.append(Attempt("POST", path, body, bearer(tokens["nobody"]), 403, "no grant"))
        if name != "hotel_details":
            result.append(Attempt("POST", path, body, bearer(tokens["hotelier"]), 403,
                                  "grant on another object"))
        result.append(Attempt("POST", path, body, bearer(tokens["other_group"]), 403,
                              "grant to another group"))
    for user_id in (42, 43, 1):
        for holder in ("bound", "for_user"):
            result.append(Attempt("POST", "/v1/endpoints/user_profile/invoke",
                                  {"user_id": user_id}, bearer(tokens[holder]), 403,
                                  f"foreign entity ({holder})"))
    result.append(Attempt("POST", "/v1/endpoints/hotel_offers/invoke",
                          ENDPOINT_BODIES["hotel_offers"], bearer(tokens["bound"]), 403,
                          "foreign entity in a larger endpoint"))
    for method, path, body in ADMIN_ROUTES:
        for holder in ("planner", "nobody", "hotelier", "bound"):
            result.append(Attempt(method, path, body, bearer(tokens[holder]), 403,
                                  "no MANAGE grant"))
    return result


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(build_app(world.settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_unauthorised_attempts_are_refused_leak_nothing_and_are_audited(
    world: World,
) -> None:
    cases = attempts(world.tokens)
    assert len(cases) >= 200
    traces: dict[str, Attempt] = {}
    with TestClient(build_app(world.settings), raise_server_exceptions=False) as client:
        for case in cases:
            trace = uuid.uuid4().hex
            traces[trace] = case
            response = client.request(case.method, case.path, json=case.body,
                                      headers={**case.headers, "X-Request-Id": trace})
            label = f"{case.method} {case.path} [{case.why}]"
            assert response.status_code == case.status, (label, response.text)
            body = response.json()
            assert set(body) == {"error"}, label
            assert set(body["error"]) == {"code", "message", "details"}, label
            assert body["error"]["code"] == (
                "not_authenticated" if case.status == 401 else "access_denied"), label
            for secret in ("budget_per_night", "Alfama", "token_hash", *world.tokens.values()):
                assert secret not in response.text, (label, secret)
    catalog = Catalog(world.settings.resolved_catalog_url)
    events = {event.trace_id: event for event in catalog.query_audit(limit=1000).events}
    catalog.dispose()
    for trace, case in traces.items():
        event = events.get(trace)
        assert event is not None, f"not audited: {case}"
        assert not event.allowed and event.status_code == case.status, case


def test_matching_authorised_calls_succeed(client: TestClient, world: World) -> None:
    tokens = world.tokens
    for name, body in ENDPOINT_BODIES.items():
        response = client.post(f"/v1/endpoints/{name}/invoke", json=body,
                               headers=bearer(tokens["planner"]))
        assert response.status_code == 200, response.text
    assert client.post("/v1/endpoints/hotel_details/invoke", json={"hotel_id": 1},
                       headers=bearer(tokens["hotelier"])).status_code == 200
    for holder in ("bound", "for_user"):
        own = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 7},
                          headers=bearer(tokens[holder]))
        assert own.status_code == 200, own.text
    tools = client.get("/v1/tools", headers=bearer(tokens["hotelier"])).json()["tools"]
    assert [tool["name"] for tool in tools] == ["hotel_details"]
    admin = bearer(tokens["admin"])
    for method, path, _ in ADMIN_ROUTES:
        if method == "GET":
            response = client.get(path, headers=admin)
            assert response.status_code == 200, (path, response.text)
    created = client.post("/v1/admin/principals", json={"name": "newcomer", "kind": "user"},
                          headers=admin)
    assert created.status_code == 201, created.text
    issued = client.post("/v1/admin/tokens", json={"principal": "newcomer"}, headers=admin)
    assert issued.status_code == 201
    newcomer = bearer(issued.json()["token"])
    assert client.get("/v1/tools", headers=newcomer).json() == {"tools": []}  # deny by default
    granted = client.post("/v1/admin/grants", headers=admin, json={
        "grantee": "newcomer", "privilege": "EXECUTE", "object_type": "endpoint",
        "pattern": "hotel_*"})
    assert granted.status_code == 201, granted.text
    names = [tool["name"] for tool in client.get("/v1/tools", headers=newcomer).json()["tools"]]
    assert names == ["hotel_details", "hotel_offers", "hotel_search"]  # applies at once
    revoked = client.delete(f"/v1/admin/tokens/{issued.json()['token_id']}", headers=admin)
    assert revoked.status_code == 204
    assert client.get("/v1/tools", headers=newcomer).status_code == 401


MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def mcp_message(case: Attempt) -> dict[str, Any] | None:
    """The MCP request standing for an attempt on REST, if the MCP door offers one."""
    if case.path == "/v1/tools":
        return {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    if case.path.startswith("/v1/endpoints/"):
        name = case.path.split("/")[3]
        return {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": name, "arguments": case.body}}
    return None


def test_every_refusal_holds_over_mcp_too(world: World) -> None:
    cases = [(case, message) for case in attempts(world.tokens)
             if (message := mcp_message(case)) is not None]
    assert len(cases) >= 50
    traces: dict[str, Attempt] = {}
    with TestClient(build_app(world.settings), raise_server_exceptions=False) as client:
        for case, message in cases:
            trace = uuid.uuid4().hex
            traces[trace] = case
            response = client.post("/mcp", json=message, headers={
                **case.headers, **MCP_HEADERS, "X-Request-Id": trace})
            label = f"MCP {message['method']} {case.path} [{case.why}]"
            if case.status == 401:
                assert response.status_code == 401, (label, response.text)
                assert response.json()["error"]["code"] == "not_authenticated", label
            else:
                assert response.status_code == 200, (label, response.text)
                result = response.json()["result"]
                assert result["isError"] is True, label
                assert result["structuredContent"]["error"]["code"] == "access_denied", label
                assert result["structuredContent"]["error"]["status"] == case.status, label
            for secret in ("budget_per_night", "Alfama", "token_hash", *world.tokens.values()):
                assert secret not in response.text, (label, secret)
    catalog = Catalog(world.settings.resolved_catalog_url)
    events = {event.trace_id: event for event in catalog.query_audit(limit=2000).events}
    catalog.dispose()
    for trace, case in traces.items():
        event = events.get(trace)
        assert event is not None, f"not audited: {case}"
        assert not event.allowed and event.status_code == case.status, case
        assert event.channel == "mcp", case


def test_a_bound_token_cannot_mint_a_wider_one(client: TestClient, world: World) -> None:
    bound_admin = bearer(world.tokens["bound_admin"])
    for body in ({"principal": "bound_admin"},
                 {"principal": "nobody"},
                 {"principal": "nobody", "entity_filter": {"user_id": 43}},
                 {"principal": "nobody", "entity_filter": {"city": "Lisbon"}}):
        response = client.post("/v1/admin/tokens", json=body, headers=bound_admin)
        assert response.status_code == 403, (body, response.text)
        assert response.json()["error"]["details"]["field"] == "entity_filter"
    narrower = client.post("/v1/admin/tokens", headers=bound_admin, json={
        "principal": "nobody", "entity_filter": {"user_id": 7, "city": "Lisbon"}})
    assert narrower.status_code == 201, narrower.text
    same = client.post("/v1/admin/tokens", headers=bound_admin, json={
        "principal": "planner", "entity_filter": {"user_id": 7}})
    assert same.status_code == 201, same.text
    minted = bearer(same.json()["token"])
    foreign = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 43},
                          headers=minted)
    assert foreign.status_code == 403


@pytest.mark.parametrize("entity_filter", [{"userid": 42}, {"User_Id": 42}, {"user_id": True}])
def test_a_binding_the_catalog_cannot_enforce_is_refused(
    client: TestClient, world: World, entity_filter: dict[str, Any]
) -> None:
    admin = bearer(world.tokens["admin"])
    token = client.post("/v1/admin/tokens", headers=admin,
                        json={"principal": "planner", "entity_filter": entity_filter})
    grant = client.post("/v1/admin/grants", headers=admin, json={
        "grantee": "planner", "privilege": "EXECUTE", "object_type": "endpoint",
        "pattern": "user_*", "entity_filter": entity_filter})

    for response in (token, grant):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert "entity_filter" in response.text
    if "user_id" not in entity_filter:
        assert token.json()["error"]["details"]["valid_keys"] == ["city", "directory", "hotel_id",
                                                                  "user_id"]


def test_json_true_is_not_the_integer_one(client: TestClient, world: World) -> None:
    response = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": True},
                           headers=bearer(world.tokens["planner"]))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "user_id"
