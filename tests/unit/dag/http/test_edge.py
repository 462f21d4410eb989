"""Hostile input at every door: refused with 4xx naming the field, bodies read only once admitted.

A real app in process over a registered state with an administrator. The calls
that must not read a body are made as raw ASGI, so the test sees whether the
app ever asked for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from groundwork.catalog.store import Catalog
from groundwork.errors import InvalidInput
from groundwork.server import build_app
from groundwork.settings import Settings
from tests.support.admin_state import AdminState, admin_state

CHECK_IN = (dt.date.today() + dt.timedelta(days=5)).isoformat()
OFFERS = {"user_id": 42, "city": "Lisbon", "check_in": CHECK_IN, "nights": 2}
MCP_HEADERS = {"Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> AdminState:
    return admin_state(tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="module")
def client(state: AdminState) -> Iterator[TestClient]:
    with TestClient(build_app(state.settings), raise_server_exceptions=False) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def fields_of(response: Any) -> list[str]:
    error = error_of(response, 422)
    assert error["code"] == "invalid_input"
    if "fields" in error["details"]:
        return [item["field"] for item in error["details"]["fields"]]
    return [error["details"]["field"]]


async def asgi_call(app: Any, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str],
                                                                          bytes, int]:
    """POST ``path`` as raw ASGI with a 200 MB body on offer; status, headers, body, reads."""
    reads = [0]

    async def receive() -> dict[str, Any]:
        reads[0] += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {key.decode(): value.decode()
                                 for key, value in message.get("headers", [])}
        else:
            answer["body"] += message.get("body", b"")

    raw_headers = [(key.lower().encode(), value.encode()) for key, value in headers.items()]
    raw_headers.append((b"content-length", b"209715200"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "headers": raw_headers,
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000)}
    await app(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"], reads[0]


DOORS = ["/v1/endpoints/user_profile/invoke", "/mcp", "/v1/admin/principals"]


@pytest.mark.parametrize("path", DOORS)
async def test_a_call_without_a_valid_token_is_refused_before_its_body_is_read(
    state: AdminState, path: str
) -> None:
    app = build_app(state.settings)
    async with app.router.lifespan_context(app):
        for headers in ({}, auth("gw_0123456789abcdef_" + "x" * 43)):
            status, response_headers, body, reads = await asgi_call(
                app, path, {**headers, **MCP_HEADERS})
            assert (status, reads) == (401, 0), body
            assert response_headers["connection"] == "close"
            assert orjson.loads(body)["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("path", DOORS)
async def test_a_body_declared_too_large_is_refused_before_it_is_read(
    state: AdminState, path: str
) -> None:
    app = build_app(state.settings)
    async with app.router.lifespan_context(app):
        status, headers, body, reads = await asgi_call(
            app, path, {**auth(state.admin_token), **MCP_HEADERS})
    assert (status, reads) == (413, 0), body
    assert headers["connection"] == "close"
    assert orjson.loads(body)["error"] == {
        "code": "payload_too_large", "message": "the request body exceeds 1048576 bytes",
        "details": {"limit_bytes": 1048576}}


@pytest.mark.parametrize(("endpoint", "body", "field"), [
    ("user_profile", {"user_id": 2**64}, "user_id"),
    ("user_profile", {"user_id": -(2**63) - 1}, "user_id"),
    ("hotel_details", {"hotel_id": 2**64}, "hotel_id"),
    ("hotel_offers", {**OFFERS, "user_id": 10**30}, "user_id"),
    ("hotel_offers", {**OFFERS, "check_in": "9999-12-31"}, "check_in"),
    ("hotel_offers", {**OFFERS, "check_in": "1899-12-31"}, "check_in"),
    ("hotel_offers", {**OFFERS, "check_in": 0}, "check_in"),
    ("hotel_offers", {**OFFERS, "city": "x" * 201}, "city"),
    ("hotel_offers", {**OFFERS, "nights": 2.5}, "nights"),
    ("hotel_offers", {**OFFERS, "nights": "2"}, "nights"),
])
def test_inputs_beyond_what_storage_and_functions_hold_are_422_naming_the_field(
    client: TestClient, state: AdminState, endpoint: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"/v1/endpoints/{endpoint}/invoke",
                           content=json.dumps(body),  # orjson writes no integer beyond 64 bits
                           headers={**auth(state.token), "Content-Type": "application/json"})
    assert fields_of(response) == [field]


def test_the_largest_values_storage_holds_are_served(client: TestClient,
                                                      state: AdminState) -> None:
    latest = {**OFFERS, "check_in": "2999-12-31", "nights": 30, "user_id": 2**63 - 1}
    response = client.post("/v1/endpoints/hotel_offers/invoke", json=latest,
                           headers=auth(state.token))
    # served to the end: refused by the travel rules, not by a crash
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["check_out"] == "3000-01-30"
    integral = client.post("/v1/endpoints/user_profile/invoke", content=b'{"user_id": 42.0}',
                           headers={**auth(state.token), "Content-Type": "application/json"})
    assert integral.json()["outputs"]["budget_per_night"] == 150.0


def test_an_mcp_tool_call_beyond_64_bits_is_an_invalid_input_result(
    client: TestClient, state: AdminState
) -> None:
    call = (b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": '
            b'"user_profile", "arguments": {"user_id": 1000000000000000000000000000000}}}')
    response = client.post("/mcp", content=call, headers={**auth(state.token), **MCP_HEADERS})
    result = response.json()["result"]
    assert result["isError"] is True
    assert result["structuredContent"]["error"]["code"] == "invalid_input"


def test_admin_values_beyond_their_range_are_422_and_nothing_is_saved(
    client: TestClient, state: AdminState
) -> None:
    admin = auth(state.admin_token)
    far = client.post("/v1/admin/tokens", headers=admin,
                      json={"principal": "demo-agent", "expires_in_seconds": 10**12})
    assert fields_of(far) == ["expires_in_seconds"]
    huge = b'{"user_id": 1000000000000000000000000000000}'
    for path, body in [
        ("/v1/admin/tokens", b'{"principal": "demo-agent", "entity_filter": ' + huge + b"}"),
        ("/v1/admin/grants", b'{"grantee": "demo-agent", "privilege": "EXECUTE", '
                             b'"object_type": "endpoint", "pattern": "user_profile", '
                             b'"entity_filter": ' + huge + b"}"),
    ]:
        response = client.post(path, content=body,
                               headers={**admin, "Content-Type": "application/json"})
        assert fields_of(response) == ["entity_filter.user_id"], path
    cursor = base64.urlsafe_b64encode(f"2026-01-01T00:00:00+00:00|{10**30}".encode()).decode()
    assert fields_of(client.get("/v1/admin/audit", params={"cursor": cursor},
                                headers=admin)) == ["cursor"]
    early = client.get("/v1/admin/audit", params={"since": "0001-01-01T00:00:00+14:00"},
                       headers=admin)
    assert fields_of(early) == ["since"]
    grants = client.get("/v1/admin/grants", headers=admin)
    tokens = client.get("/v1/admin/tokens", headers=admin)
    assert grants.status_code == tokens.status_code == 200
    assert all(grant["entity_filter"] is None for grant in grants.json())


def test_the_catalog_refuses_what_it_cannot_list_whichever_way_it_is_called(
    state: AdminState,
) -> None:
    catalog = Catalog(state.settings.resolved_catalog_url)
    try:
        with pytest.raises(InvalidInput, match="64-bit"):
            catalog.issue_token("demo-agent", entity_filter={"user_id": 10**30})
        with pytest.raises(InvalidInput, match="64-bit"):
            catalog.grant("demo-agent", "EXECUTE", "endpoint", "hotel_*",  # type: ignore[arg-type]
                          entity_filter={"user_id": -(10**30)})
        with pytest.raises(InvalidInput, match="3650 days"):
            catalog.issue_token("demo-agent", expires_at=dt.datetime.now(dt.UTC)
                                + dt.timedelta(days=3651))
        with pytest.raises(InvalidInput, match="description"):
            catalog.issue_token("demo-agent", description="x" * 501)
    finally:
        catalog.dispose()


def test_lineage_answers_json_by_default(client: TestClient, state: AdminState) -> None:
    response = client.get("/v1/admin/lineage/hotel_offers", headers=auth(state.admin_token))
    assert response.status_code == 200, response.text
    graph = response.json()
    assert graph["root"] == {"kind": "endpoint", "name": "hotel_offers"}
    assert {"source": {"kind": "endpoint", "name": "hotel_offers"},
            "target": {"kind": "function", "name": "ranked_offers"},
            "relation": "runs", "sync_run": None} in graph["edges"]


def test_a_body_of_100000_unknown_fields_gets_a_small_422(state: AdminState) -> None:
    body = orjson.dumps({f"f{index:06d}x": 1 for index in range(100_000)})
    assert 1_200_000 < len(body) < 1_400_000
    settings = Settings(state_dir=state.settings.state_dir, max_body_bytes=2 << 20)
    with TestClient(build_app(settings)) as roomy:
        response = roomy.post("/v1/endpoints/user_profile/invoke", content=body,
                              headers={**auth(state.token), "Content-Type": "application/json"})
    error = error_of(response, 422)
    assert len(response.content) < 4096
    assert len(error["details"]["fields"]) == 10
    assert error["details"]["more_fields"] == 100_001 - 10  # and user_id is missing
    with TestClient(build_app(state.settings)) as default:
        too_large = default.post("/v1/endpoints/user_profile/invoke", content=body,
                                 headers=auth(state.token))
    assert error_of(too_large, 413)["code"] == "payload_too_large"


def test_an_unknown_field_with_a_long_name_is_named_short(client: TestClient,
                                                           state: AdminState) -> None:
    response = client.post("/v1/endpoints/user_profile/invoke",
                           json={"user_id": 42, "x" * 100_000: 1}, headers=auth(state.token))
    (field,) = fields_of(response)
    assert field.startswith("xxx") and len(field) == 100


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/v1/admin/principals", "GET, POST"),
    ("GET", "/v1/endpoints/user_profile/invoke", "POST"),
    ("POST", "/v1/tools", "GET"),
    ("POST", "/v1/admin/groups/a/members/b", "PUT, DELETE"),
])
def test_405_names_every_method_the_path_serves(client: TestClient, state: AdminState,
                                                method: str, path: str, allowed: str) -> None:
    response = client.request(method, path, headers=auth(state.admin_token))
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(("sent", "kept"), [
    ("req-2026.11:a_b", True), ("x" * 65, False), ("two words", False), ("<b>", False)])
def test_a_trace_id_is_kept_only_when_it_is_short_and_plain(
    client: TestClient, state: AdminState, sent: str, kept: bool
) -> None:
    response = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                           headers={**auth(state.token), "X-Request-ID": sent})
    trace_id = response.json()["trace_id"]
    assert (trace_id == sent) is kept
    if not kept:
        assert len(trace_id) == 32 and int(trace_id, 16) >= 0


def test_openapi_documents_every_status_and_the_exact_bounds(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    invoke = paths["/v1/endpoints/hotel_offers/invoke"]["post"]["responses"]
    assert {"200", "401", "403", "404", "408", "413", "422", "503"} <= set(invoke)
    assert {"401", "403", "408", "409", "413", "422"} <= set(
        paths["/v1/admin/principals"]["post"]["responses"])
    assert {"404", "409"} <= set(paths["/v1/admin/tokens"]["post"]["responses"])
    assert "404" in paths["/v1/admin/principals/{name}"]["delete"]["responses"]
    offers = schemas["HotelOffersRequest"]["properties"]
    assert offers["user_id"]["maximum"] == 2**63 - 1
    assert isinstance(offers["user_id"]["maximum"], int)
    assert offers["check_in"]["formatMaximum"] == "2999-12-31"
    assert offers["city"]["maxLength"] == 100
    token = schemas["TokenIn"]["properties"]
    assert token["expires_in_seconds"]["anyOf"][0]["maximum"] == 3650 * 86400
    (by_key,) = token["entity_filter"]["anyOf"][0]["patternProperties"]
    assert by_key == "^(city|directory|hotel_id|user_id)$"
    assert schemas["PrincipalIn"]["properties"]["name"]["pattern"].startswith("^[A-Za-z0-9]")
