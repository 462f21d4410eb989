"""The REST API of the travel endpoints: real app, real SQLite store and catalog, in process."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import pytest
from fastapi.testclient import TestClient

from groundwork.catalog.policy import GranteeKind, ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.features.registry import load_view_specs
from groundwork.server import build_app
from groundwork.settings import Settings
from groundwork.sync.state import SyncStatus
from tests.support.demo_state import prices, seed_store

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.date()
HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"))
    asyncio.run(seed_store(settings, NOW, TODAY))
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    tokens = {}
    for name in ("planner", "bound", "nobody", "hotels_only", "admin"):
        catalog.create_principal(name, PrincipalKind.AGENT)
    catalog.grant("planner", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    catalog.grant("bound", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    catalog.grant("hotels_only", Privilege.EXECUTE, ObjectType.ENDPOINT, "hotel_*",
                  grantee_kind=GranteeKind.PRINCIPAL)
    for name in ("planner", "nobody", "hotels_only"):
        tokens[name] = catalog.issue_token(name).token
    tokens["bound"] = catalog.issue_token("bound", entity_filter={"user_id": 42}).token
    catalog.dispose()
    return settings, tokens


@pytest.fixture(scope="module")
def client(state: tuple[Settings, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(build_app(state[0]), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def tokens(state: tuple[Settings, dict[str, str]]) -> dict[str, str]:
    return state[1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body["error"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["endpoints"] == ["hotel_details", "hotel_offers", "hotel_search", "user_profile"]


def test_one_entity_lookup_serves_values_with_status_and_freshness(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                           headers=auth(tokens["planner"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outputs"]["budget_per_night"] == 150.0
    assert body["outputs"]["preferred_amenities"] == ["wifi", "spa"]
    assert body["outputs"]["last_booking_at"] == (NOW - dt.timedelta(days=40)).isoformat().replace(
        "+00:00", "Z")
    (freshness,) = body["freshness"]
    assert freshness["status"] == "PRESENT" and freshness["key"] == 42
    since_seeding = (dt.datetime.now(dt.UTC) - NOW).total_seconds()
    assert 7200 <= freshness["age_seconds"] <= 7200 + since_seeding
    assert len(body["trace_id"]) == 32


def test_a_body_sent_in_chunks_is_read_whole(client: TestClient,
                                             tokens: dict[str, str]) -> None:
    response = client.post("/v1/endpoints/user_profile/invoke",
                           content=iter([b'{"user_id"', b": 42", b"}"]),
                           headers=auth(tokens["planner"]))
    assert response.status_code == 200, response.text
    assert response.json()["outputs"]["budget_per_night"] == 150.0


def test_missing_entity_reads_missing(client: TestClient, tokens: dict[str, str]) -> None:
    body = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 999},
                       headers=auth(tokens["planner"])).json()
    assert body["freshness"][0]["status"] == "MISSING"
    assert set(body["outputs"].values()) == {None}


def test_hotel_offers_computes_from_served_prices(client: TestClient,
                                                  tokens: dict[str, str]) -> None:
    check_in = TODAY + dt.timedelta(days=10)
    start = (check_in - TODAY).days
    response = client.post(
        "/v1/endpoints/hotel_offers/invoke", headers=auth(tokens["planner"]),
        json={"user_id": 42, "city": "Lisbon", "check_in": check_in.isoformat(), "nights": 3},
    )
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert outputs["budget_total"] == 450.0
    assert outputs["check_out"] == (check_in + dt.timedelta(days=3)).isoformat()
    offers = {offer["hotel_id"]: offer for offer in outputs["ranked_offers"]}
    assert set(offers) == {1}  # hotel 2 is over budget, hotel 3 sold out
    assert offers[1]["total_price"] == round(sum(prices(100.0)[start:start + 3]), 2)
    assert offers[1]["within_budget"]
    assert (outputs["hotels_available"], outputs["hotels_within_budget"]) == (2, 1)
    views = {entry["view"] for entry in response.json()["freshness"]}
    assert views == {"user_profile", "city_directory", "city_top_hotels", "hotel_stats",
                     "hotel_prices"}


@pytest.mark.parametrize(("body", "field"), [
    ({"city": "Lisbon", "check_in": "2026-12-04", "nights": 3}, "user_id"),
    ({"user_id": "x", "city": "Lisbon", "check_in": "2026-12-04", "nights": 3}, "user_id"),
    ({"user_id": 42, "city": "Lisbon", "check_in": "someday", "nights": 3}, "check_in"),
    ({"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 0}, "nights"),
    ({"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3, "x": 1}, "x"),
])
def test_invalid_input_is_422_naming_the_field(client: TestClient, tokens: dict[str, str],
                                               body: dict[str, Any], field: str) -> None:
    response = client.post("/v1/endpoints/hotel_offers/invoke", json=body,
                           headers=auth(tokens["planner"]))
    error = assert_error(response, 422, "invalid_input")
    assert field in [item["field"] for item in error["details"]["fields"]]


def test_malformed_json_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/v1/endpoints/user_profile/invoke", content=b"{not json",
                           headers=auth(tokens["planner"]))
    assert_error(response, 422, "invalid_input")


def test_authentication_failures_are_401(client: TestClient) -> None:
    for headers in ({}, auth("nonsense"), auth("gw_0123456789abcdef_secret"),
                    {"Authorization": "Basic abc"}):
        response = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                               headers=headers)
        assert_error(response, 401, "not_authenticated")
        assert "outputs" not in response.text
    assert_error(client.get("/v1/tools"), 401, "not_authenticated")


def test_authorization_failures_are_403(client: TestClient, tokens: dict[str, str]) -> None:
    nobody = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                         headers=auth(tokens["nobody"]))
    assert_error(nobody, 403, "access_denied")
    other = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                        headers=auth(tokens["hotels_only"]))
    assert_error(other, 403, "access_denied")
    foreign = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 43},
                          headers=auth(tokens["bound"]))
    assert_error(foreign, 403, "access_denied")
    own = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                      headers=auth(tokens["bound"]))
    assert own.status_code == 200


def test_unknown_endpoint_is_404_for_a_caller_allowed_everything(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = client.post("/v1/endpoints/nope/invoke", json={}, headers=auth(tokens["planner"]))
    assert_error(response, 404, "endpoint_not_found")
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")


def test_tools_list_only_what_the_caller_may_execute(client: TestClient,
                                                     tokens: dict[str, str]) -> None:
    tools = client.get("/v1/tools", headers=auth(tokens["hotels_only"])).json()["tools"]
    assert [tool["name"] for tool in tools] == ["hotel_details", "hotel_offers", "hotel_search"]
    offers = tools[1]
    searching = tools[2]["input_schema"]
    assert searching["required"] == ["city", "check_in", "nights"]
    assert searching["properties"]["sort"]["enum"] == ["price", "rating", "fit"]
    assert searching["properties"]["nights"]["maximum"] == 30
    assert offers["input_schema"]["required"] == ["user_id", "city", "check_in", "nights"]
    assert offers["input_schema"]["properties"]["nights"]["minimum"] == 1
    assert offers["invoke_path"] == "/v1/endpoints/hotel_offers/invoke"
    assert client.get("/v1/tools", headers=auth(tokens["nobody"])).json() == {"tools": []}


def test_openapi_has_a_typed_schema_per_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/endpoints/hotel_offers/invoke"]["post"]
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = document["components"]["schemas"]
    assert request_ref == "#/components/schemas/HotelOffersRequest"
    assert schemas["HotelOffersRequest"]["properties"]["check_in"]["format"] == "date"
    response_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    outputs = schemas[response_ref.rsplit("/", 1)[1]]["properties"]["outputs"]["$ref"]
    assert "ranked_offers" in schemas[outputs.rsplit("/", 1)[1]]["properties"]
    assert "HotelOffer" in schemas
    assert "422" in operation["responses"] and "403" in operation["responses"]


def test_metrics_count_calls(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                headers=auth(tokens["planner"]))
    text = client.get("/metrics").text
    assert 'groundwork_endpoint_calls_total{endpoint="user_profile",status="200"}' in text


def test_added_middleware_sees_endpoint_calls_and_answers_stay_the_same(
    state: tuple[Settings, dict[str, str]], client: TestClient
) -> None:
    settings, tokens = state
    app = build_app(settings)
    seen: list[str] = []

    @app.middleware("http")
    async def stamp(request: Any, call_next: Any) -> Any:
        seen.append(request.url.path)
        response = await call_next(request)
        response.headers["x-stamped"] = "yes"
        return response

    call = {"json": {"user_id": 42}, "headers": auth(tokens["planner"])}
    with TestClient(app, raise_server_exceptions=False) as wrapped:
        answer = wrapped.post("/v1/endpoints/user_profile/invoke", **call)
        invalid = wrapped.post("/v1/endpoints/user_profile/invoke", json={"user_id": "x"},
                               headers=auth(tokens["planner"]))
    direct = client.post("/v1/endpoints/user_profile/invoke", **call)

    assert seen == ["/v1/endpoints/user_profile/invoke"] * 2
    assert answer.status_code == 200 and answer.headers["x-stamped"] == "yes"
    assert "x-stamped" not in direct.headers
    assert answer.json()["outputs"] == direct.json()["outputs"]
    assert invalid.headers["x-stamped"] == "yes"
    assert assert_error(invalid, 422, "invalid_input")["details"]["fields"]


def test_every_call_is_audited(state: tuple[Settings, dict[str, str]]) -> None:
    settings, tokens = state
    with TestClient(build_app(settings)) as fresh:
        fresh.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                   headers=auth(tokens["planner"]))
        fresh.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                   headers=auth(tokens["nobody"]))
        fresh.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42})
    catalog = Catalog(settings.resolved_catalog_url)
    events = catalog.audit_events(limit=3)
    catalog.dispose()
    assert [(event.principal, event.allowed, event.status_code) for event in events] == [
        (None, False, 401), ("nobody", False, 403), ("planner", True, 200)]
    assert all(event.object_name == "user_profile" for event in events)
    assert "no grant" in events[1].reason


def test_openapi_declares_the_bearer_scheme_on_every_guarded_route(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": ANY}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = None if path in {"/healthz", "/readyz"} else [{"bearerAuth": []}]
            assert operation.get("security") == expected, (method, path)
    assert any(path.startswith("/v1/admin/") for path in document["paths"])


def search(client: TestClient, token: str, **body: Any) -> Any:
    stay = {"city": "Lisbon", "check_in": (TODAY + dt.timedelta(days=5)).isoformat(),
            "nights": 2}
    return client.post("/v1/endpoints/hotel_search/invoke", headers=auth(token),
                       json={**stay, **body})


@pytest.mark.parametrize("city", ["lisbon", "LISBON", "  Lisbón "])
def test_hotel_search_finds_the_city_in_any_case_and_prices_every_night(
    client: TestClient, tokens: dict[str, str], city: str,
) -> None:
    response = search(client, tokens["planner"], city=city, user_id=42)
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert outputs["city_name"] == "Lisbon"
    assert [hotel["hotel_id"] for hotel in outputs["hotels"]] == [1, 2]  # cheapest first
    first = outputs["hotels"][0]
    assert first["nightly_prices"] == prices(100.0)[5:7]
    assert first["total_price"] == round(sum(prices(100.0)[5:7]), 2)
    assert (outputs["matching"], outputs["within_budget"]) == (2, 1)
    assert outputs["excluded"]["no_rooms"] == 1  # hotel 3 is sold out
    summary = {entry["view"]: entry for entry in response.json()["freshness"]}
    assert summary["hotel_prices"]["key"] is None
    assert summary["hotel_prices"]["counts"] == {"PRESENT": 3, "MISSING": 0, "EXPIRED": 0}


@pytest.mark.parametrize(("body", "status", "code", "detail"), [
    ({"city": "Atlantis"}, 404, "unknown_city", ("suggestions", ["Lisbon"])),
    ({"check_in": (TODAY - dt.timedelta(days=1)).isoformat()}, 422, "check_in_in_past",
     ("today", TODAY.isoformat())),
    ({"check_in": (TODAY + dt.timedelta(days=89)).isoformat()}, 422,
     "dates_outside_price_window", ("last_night", (TODAY + dt.timedelta(days=89)).isoformat())),
    ({"nights": 31}, 422, "stay_too_long", ("limit", 30)),
    ({"nights": 400}, 422, "stay_too_long", ("limit", 30)),
    ({"sort": "cheapest"}, 422, "invalid_input", ("fields", [{
        "field": "sort", "message": "Input should be 'price', 'rating' or 'fit'",
        "type": "literal_error"}])),
])
def test_hotel_search_refuses_with_a_code_a_model_can_act_on(
    client: TestClient, tokens: dict[str, str], body: dict[str, Any], status: int, code: str,
    detail: tuple[str, Any],
) -> None:
    error = assert_error(search(client, tokens["planner"], **body), status, code)
    name, value = detail
    assert error["details"][name] == value


def test_offers_answer_for_the_caller_only_with_a_bound_token(client: TestClient,
                                                              tokens: dict[str, str]) -> None:
    assert search(client, tokens["bound"], user_id=42).status_code == 200
    assert_error(search(client, tokens["bound"], user_id=43), 403, "access_denied")


def test_sync_runs_say_a_run_failed_but_not_the_paths_of_why(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    catalog = Catalog(state[0].resolved_catalog_url)
    try:
        catalog.grant("admin", Privilege.MANAGE, ObjectType.CATALOG, "*")
        token = catalog.issue_token("admin").token
        catalog.record_sync_run(
            view="user_profile", store="primary:sqlite", started_at=NOW, finished_at=NOW,
            watermark=None, status=SyncStatus.FAILED,
            error="feature table of view 'user_profile' not found at /srv/secret/tables")
    finally:
        catalog.dispose()
    response = client.get("/v1/admin/sync-runs", headers=auth(token))
    assert response.status_code == 200
    failed = [run for run in response.json() if run["status"] == "failed"]
    assert failed and all(run["error"] is None for run in failed)
    assert "/srv/secret" not in response.text
