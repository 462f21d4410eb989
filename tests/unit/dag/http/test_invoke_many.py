"""Batch calls (``/invoke-many``): real app, real SQLite store and catalog, in process."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.dag.schemas import MAX_ITEMS
from groundwork.features.registry import load_view_specs
from groundwork.server import build_app
from groundwork.settings import Settings
from tests.support.demo_state import seed_store

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.date()
PROFILES = "/v1/endpoints/user_profile/invoke-many"
OFFERS = "/v1/endpoints/hotel_offers/invoke-many"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"))
    asyncio.run(seed_store(settings, NOW, TODAY))
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    for name in ("planner", "bound", "nobody"):
        catalog.create_principal(name, PrincipalKind.AGENT)
    for name in ("planner", "bound"):
        catalog.grant(name, Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    tokens = {name: catalog.issue_token(name).token for name in ("planner", "nobody")}
    tokens["bound"] = catalog.issue_token("bound", entity_filter={"user_id": 42}).token
    catalog.dispose()
    return settings, tokens


@pytest.fixture(scope="module")
def client(state: tuple[Settings, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(build_app(state[0]), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def planner(state: tuple[Settings, dict[str, str]]) -> dict[str, str]:
    return auth(state[1]["planner"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body["error"]


def fields(response: Any) -> list[str]:
    error = assert_error(response, 422, "invalid_input")
    return [field["field"] for field in error["details"]["fields"]]


def without_ages(freshness: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in entry.items() if key != "age_seconds"}
            for entry in freshness]


def stay(**changes: Any) -> dict[str, Any]:
    check_in = (TODAY + dt.timedelta(days=10)).isoformat()
    return {"user_id": 42, "city": "Lisbon", "check_in": check_in, "nights": 3, **changes}


def test_each_item_answers_what_its_own_call_answers(client: TestClient,
                                                     planner: dict[str, str]) -> None:
    inputs = [{"user_id": 42}, {"user_id": 43}, {"user_id": 999}, {"user_id": 42}]
    response = client.post(PROFILES, json={"inputs": inputs}, headers=planner)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["endpoint"] == "user_profile" and len(body["trace_id"]) == 32
    assert len(body["results"]) == len(inputs)
    for item, result in zip(inputs, body["results"], strict=True):
        alone = client.post("/v1/endpoints/user_profile/invoke", json=item,
                            headers=planner).json()
        assert (result["status"], result["error"]) == (200, None)
        assert result["outputs"] == alone["outputs"]
        assert result["errors"] == alone["errors"]
        assert without_ages(result["freshness"]) == without_ages(alone["freshness"])
    assert body["results"][2]["freshness"][0]["status"] == "MISSING"


def test_a_refused_item_gets_its_own_error_and_the_others_are_served(
    client: TestClient, planner: dict[str, str],
) -> None:
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    inputs = [stay(), stay(city="Atlantis"), stay(check_in=yesterday), stay(user_id=43)]
    response = client.post(OFFERS, json={"inputs": inputs}, headers=planner)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["status"] for result in results] == [200, 404, 422, 200]
    for item, result in zip(inputs, results, strict=True):
        alone = client.post("/v1/endpoints/hotel_offers/invoke", json=item, headers=planner)
        if result["error"] is None:
            assert result["outputs"] == alone.json()["outputs"]
        else:
            assert result["outputs"] is None and result["freshness"] == []
            assert result["error"] == alone.json()["error"]
            assert alone.status_code == result["status"]
    assert results[1]["error"]["code"] == "unknown_city"
    assert results[1]["error"]["details"]["suggestions"] == ["Lisbon"]
    assert results[2]["error"]["code"] == "check_in_in_past"


def test_an_entity_bound_token_is_refused_for_one_foreign_item(
    client: TestClient, state: tuple[Settings, dict[str, str]],
) -> None:
    bound = auth(state[1]["bound"])
    foreign = client.post(PROFILES, json={"inputs": [{"user_id": 42}, {"user_id": 43}]},
                          headers=bound)
    error = assert_error(foreign, 403, "access_denied")
    assert error["details"]["field"] == "inputs[1].user_id"
    assert "outputs" not in foreign.text
    own = client.post(PROFILES, json={"inputs": [{"user_id": 42}] * 3}, headers=bound)
    assert own.status_code == 200
    assert [result["outputs"]["home_city"] for result in own.json()["results"]] == ["Porto"] * 3


@pytest.mark.parametrize(("body", "field"), [
    ({}, "inputs"),
    ({"inputs": []}, "inputs"),
    ({"inputs": [{"user_id": 42}] * (MAX_ITEMS + 1)}, "inputs"),
    ({"inputs": {"user_id": 42}}, "inputs"),
    ({"inputs": [{"user_id": 42}], "extra": 1}, "extra"),
    ({"inputs": [{"user_id": 42}, {"user_id": "42"}]}, "inputs[1].user_id"),
    ({"inputs": [{"user_id": 42}, {"user_id": True}]}, "inputs[1].user_id"),
    ({"inputs": [{"user_id": 42}, 7]}, "inputs[1]"),
    ({"inputs": [{"user_id": 42, "tenant": "x"}]}, "inputs[0].tenant"),
    ({"inputs": [{"user_id": 2**70}]}, "inputs[0].user_id"),
    ({"inputs": [{"user_id": 0}]}, "inputs[0].user_id"),
    ({"inputs": [{}]}, "inputs[0].user_id"),
    ([{"user_id": 42}], "body"),
])
def test_an_invalid_body_or_item_is_422_naming_the_field(
    client: TestClient, planner: dict[str, str], body: Any, field: str,
) -> None:
    assert field in fields(client.post(PROFILES, json=body, headers=planner))


def test_an_input_outside_its_published_bounds_fails_the_whole_batch(
    client: TestClient, planner: dict[str, str],
) -> None:
    # A single call answers nights=99 with stay_too_long; in a batch, as in the
    # published schema, it is an invalid item like any other.
    inputs = [stay(), stay(nights=99), stay(check_in="someday")]
    response = client.post(OFFERS, json={"inputs": inputs}, headers=planner)
    assert fields(response) == ["inputs[1].nights", "inputs[2].check_in"]


@pytest.mark.parametrize("payload", [
    b"{not json", b"", b"null", b'{"inputs": [' + b"[" * 5_000 + b"]" * 5_000 + b"]}",
    b'{"inputs": [{"user_id": 1e400}]}', b'{"inputs": [{"user_id": NaN}]}',
])
def test_hostile_payloads_are_422(client: TestClient, planner: dict[str, str],
                                  payload: bytes) -> None:
    response = client.post(PROFILES, content=payload,
                           headers={**planner, "Content-Type": "application/json"})
    assert_error(response, 422, "invalid_input")


def test_a_thousand_invalid_items_name_ten_fields_and_count_the_rest(
    client: TestClient, planner: dict[str, str],
) -> None:
    response = client.post(PROFILES, json={"inputs": [{"user_id": "x" * 200}] * MAX_ITEMS},
                           headers=planner)
    error = assert_error(response, 422, "invalid_input")
    assert len(error["details"]["fields"]) == 10
    assert error["details"]["more_fields"] == MAX_ITEMS - 10
    assert len(response.content) < 4_000


def test_an_integral_float_is_an_integer_as_in_a_single_call(
    client: TestClient, planner: dict[str, str],
) -> None:
    response = client.post(PROFILES, content=b'{"inputs": [{"user_id": 42.0}, {"user_id": 43}]}',
                           headers={**planner, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert [result["freshness"][0]["key"] for result in response.json()["results"]] == [42, 43]


def test_the_caller_is_admitted_before_the_body_is_read(
    client: TestClient, state: tuple[Settings, dict[str, str]], planner: dict[str, str],
) -> None:
    assert_error(client.post(PROFILES, content=b"{not json"), 401, "not_authenticated")
    nobody = client.post(PROFILES, content=b"{not json", headers=auth(state[1]["nobody"]))
    assert_error(nobody, 403, "access_denied")
    unknown = client.post("/v1/endpoints/nope/invoke-many", json={"inputs": [{}]},
                          headers=planner)
    assert_error(unknown, 404, "endpoint_not_found")


def test_one_audit_event_names_the_items(state: tuple[Settings, dict[str, str]]) -> None:
    settings, tokens = state
    with TestClient(build_app(settings)) as fresh:
        inputs = [stay(), stay(city="Atlantis"), stay(user_id=43)]
        fresh.post(OFFERS, json={"inputs": inputs}, headers=auth(tokens["planner"]))
    catalog = Catalog(settings.resolved_catalog_url)
    (event,) = catalog.audit_events(limit=1)
    catalog.dispose()
    assert (event.principal, event.object_name, event.allowed, event.status_code) == (
        "planner", "hotel_offers", True, 200)
    assert event.reason.endswith("; 3 items, 1 failed")


def test_behind_middleware_the_typed_route_answers_the_same(
    state: tuple[Settings, dict[str, str]], client: TestClient, planner: dict[str, str],
) -> None:
    app = build_app(state[0])
    seen: list[str] = []

    @app.middleware("http")
    async def note(request: Any, call_next: Any) -> Any:
        seen.append(request.url.path)
        return await call_next(request)

    call = {"json": {"inputs": [{"user_id": 42}, {"user_id": 43}]}, "headers": planner}
    with TestClient(app, raise_server_exceptions=False) as wrapped:
        answer = wrapped.post(PROFILES, **call)
        unknown = wrapped.post("/v1/endpoints/nope/invoke-many", **call)
    direct = client.post(PROFILES, **call)
    assert seen == [PROFILES, "/v1/endpoints/nope/invoke-many"]
    assert [result["outputs"] for result in answer.json()["results"]] == [
        result["outputs"] for result in direct.json()["results"]]
    assert_error(unknown, 404, "endpoint_not_found")


def test_openapi_documents_the_batch_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"][PROFILES]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["inputs"]["maxItems"] == MAX_ITEMS
    assert body["properties"]["inputs"]["items"] == {
        "$ref": "#/components/schemas/UserProfileRequest"}
    assert "UserProfileRequest" in document["components"]["schemas"]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/UserProfileManyResponse"}
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"403", "422"} <= set(operation["responses"])
