"""Feast's ``POST /get-online-features``: real app, real SQLite store and catalog, in process."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.dag.http.feast import MAX_ENTITIES, MAX_FEATURES, epoch_seconds, feast_timestamp
from groundwork.features.registry import load_view_specs
from groundwork.server import build_app
from groundwork.settings import Settings
from groundwork.sync.base import OnlineRow
from groundwork.sync.sqlite import SQLiteStore
from tests.support.demo_state import seed_store

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PATH = "/get-online-features"
PROFILE = ["user_profile:budget_per_night", "user_profile:preferred_stars",
           "user_profile:avg_rating_given", "user_profile:last_booking_at"]


async def seed_expired_user(settings: Settings) -> None:
    """User 44, synced 31 days ago: past user_profile's 30-day TTL."""
    view = load_view_specs(settings.feature_tables_dir)["user_profile"]
    store = SQLiteStore(settings.online_db_path)
    synced = NOW - dt.timedelta(days=31)
    await store.write(view, [OnlineRow(44, {"budget_per_night": 10.0}, synced,
                                       synced + dt.timedelta(days=30))], synced)
    await store.close()


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"))
    asyncio.run(seed_store(settings, NOW, NOW.date()))
    asyncio.run(seed_expired_user(settings))
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    for name in ("reader", "profiles", "executor", "bound"):
        catalog.create_principal(name, PrincipalKind.AGENT)
    catalog.grant("reader", Privilege.READ, ObjectType.FEATURE_VIEW, "*")
    catalog.grant("profiles", Privilege.READ, ObjectType.FEATURE_VIEW, "user_profile")
    catalog.grant("bound", Privilege.READ, ObjectType.FEATURE_VIEW, "*")
    catalog.grant("executor", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    issued = {name: catalog.issue_token(name).token for name in ("reader", "profiles", "executor")}
    issued["bound"] = catalog.issue_token("bound", entity_filter={"user_id": 42}).token
    catalog.dispose()
    return settings, issued


@pytest.fixture(scope="module")
def client(state: tuple[Settings, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(build_app(state[0]), raise_server_exceptions=False) as test_client:
        yield test_client


def read(client: TestClient, token: str, body: Any, **kwargs: Any) -> Any:
    return client.post(PATH, json=body, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def test_answers_in_feasts_shape_entity_column_first(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    response = read(client, state[1]["reader"],
                    {"features": PROFILE, "entities": {"user_id": [42, 43, 999, 44]}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"]["feature_names"] == [
        "user_id", "budget_per_night", "preferred_stars", "avg_rating_given", "last_booking_at"]
    entity, budget, stars, rating, booked = body["results"]
    assert entity == {"values": [42, 43, 999, 44], "statuses": ["PRESENT"] * 4,
                      "event_timestamps": ["1970-01-01T00:00:00Z"] * 4}
    synced = feast_timestamp(NOW - dt.timedelta(hours=2))
    assert budget["values"] == [150.0, 80.0, None, None]
    assert budget["statuses"] == ["PRESENT", "PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"]
    assert budget["event_timestamps"] == [
        synced, synced, "1970-01-01T00:00:00Z", feast_timestamp(NOW - dt.timedelta(days=31))]
    assert stars["values"] == [4, 3, None, None]  # never -9223372036854775808
    assert rating["values"] == [4.2, None, None, None]
    assert booked["values"] == [epoch_seconds(NOW - dt.timedelta(days=40)), None, None, None]


def test_views_of_two_entities_and_full_feature_names(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    body = read(client, state[1]["reader"], {
        "features": ["hotel_stats:hotel_name", "user_profile:home_city",
                     "hotel_prices:prices_from"],
        "entities": {"hotel_id": [1, 2], "user_id": [42, 43]}, "full_feature_names": True,
    }).json()
    assert body["metadata"]["feature_names"] == [
        "hotel_id", "user_id", "hotel_stats__hotel_name", "user_profile__home_city",
        "hotel_prices__prices_from"]
    values = [result["values"] for result in body["results"]]
    midnight = epoch_seconds(NOW.date())
    assert values == [[1, 2], [42, 43], ["Alfama Garden", "Baixa Palace"], ["Porto", "Rome"],
                      [midnight, midnight]]


def test_feature_service_reads_every_feature_of_its_views(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    entities = {"user_id": [42], "hotel_id": [1], "city": ["Lisbon"], "directory": ["cities"]}
    body = read(client, state[1]["reader"],
                {"feature_service": "travel_planner", "entities": entities}).json()
    names = body["metadata"]["feature_names"]
    assert names[:5] == ["user_id", "hotel_id", "city", "directory", "budget_per_night"]
    assert "city_names" in names and "hotel_id" not in names[4:]
    assert all(result["statuses"] == ["PRESENT"] for result in body["results"])
    error_of(read(client, state[1]["reader"], {"feature_service": "nope", "entities": entities}),
             404, "feature_service_not_found")


def test_needs_a_token_and_read_on_every_view(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    tokens = state[1]
    body = {"features": ["user_profile:home_city", "hotel_stats:hotel_name"],
            "entities": {"user_id": [42], "hotel_id": [1]}}
    error_of(client.post(PATH, json=body), 401, "not_authenticated")
    denied = error_of(read(client, tokens["profiles"], body), 403, "access_denied")
    assert denied["details"]["feature_view"] == "hotel_stats"
    error_of(read(client, tokens["executor"], body), 403, "access_denied")
    assert read(client, tokens["profiles"], {"features": ["user_profile:home_city"],
                                             "entities": {"user_id": [42]}}).status_code == 200
    # An unknown view: 403 without a grant that could cover it, 404 with one.
    unknown = {"features": ["secret_view:x"], "entities": {"user_id": [42]}}
    error_of(read(client, tokens["profiles"], unknown), 403, "access_denied")
    error_of(read(client, tokens["reader"], unknown), 404, "feature_view_not_found")


def test_an_entity_bound_token_reads_only_its_entity(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    token = state[1]["bound"]
    own = {"features": ["user_profile:home_city"], "entities": {"user_id": [42, 42]}}
    assert read(client, token, own).json()["results"][1]["values"] == ["Porto", "Porto"]
    other = {"features": ["user_profile:home_city"], "entities": {"user_id": [42, 43]}}
    assert error_of(read(client, token, other), 403, "access_denied")["details"] == {
        "field": "user_id"}


def ids(count: int) -> list[int]:
    return list(range(count))


@pytest.mark.parametrize(("body", "field"), [
    ({"features": PROFILE, "entities": {"user_id": ids(MAX_ENTITIES + 1)}}, "entities.user_id"),
    ({"features": PROFILE, "entities": {"user_id": []}}, "entities.user_id"),
    ({"features": PROFILE, "entities": {}}, "entities"),
    ({"features": PROFILE}, "entities"),
    ({"features": PROFILE, "entities": {"user_id": [True]}}, "entities.user_id.0.int"),
    ({"features": PROFILE, "entities": {"user_id": [2**63]}}, "entities.user_id.0.int"),
    ({"features": PROFILE, "entities": {"user_id": [1, "42"]}}, "entities.user_id.1"),
    ({"features": PROFILE, "entities": {"user_id": ["x" * 201]}}, "entities.user_id.0.str"),
    ({"features": PROFILE, "entities": {"user_id": [1.5]}}, "entities.user_id.0.int"),
    ({"features": PROFILE, "entities": {"user_id": [1], "hotel_id": [1]}}, "entities.hotel_id"),
    ({"features": PROFILE, "entities": {"hotel_id": [1]}}, "entities.hotel_id"),
    ({"features": ["user_profile:home_city", "hotel_stats:hotel_name"],
      "entities": {"user_id": [1, 2], "hotel_id": [1]}}, "entities.hotel_id"),
    ({"features": ["city_top_hotels:city_hotel_count"], "entities": {"city": [1]}},
     "entities.city.0"),
    ({"features": ["user_profile"], "entities": {"user_id": [1]}}, "features.0"),
    ({"features": ["user_profile:nope"], "entities": {"user_id": [1]}}, "features.0"),
    ({"features": ["user_profile:user_id"], "entities": {"user_id": [1]}}, "features.0"),
    ({"features": [PROFILE[0], PROFILE[0]], "entities": {"user_id": [1]}}, "features.1"),
    ({"features": [PROFILE[0]] * (MAX_FEATURES + 1), "entities": {"user_id": [1]}}, "features"),
    ({"features": PROFILE, "feature_service": "travel_planner", "entities": {"user_id": [1]}},
     "features"),
    ({"entities": {"user_id": [1]}}, "features"),
    ({"features": PROFILE, "entities": {"user_id": [1]}, "extra": 1}, "extra"),
    ({"features": PROFILE, "entities": {"user_id": [1]}, "full_feature_names": "yes"},
     "full_feature_names"),
    ({"features": PROFILE, "entities": {"bad key!": [1]}}, "entities.bad key!.[key]"),
    ([1, 2], "body"),
])
def test_hostile_input_is_422_naming_the_field(
    client: TestClient, state: tuple[Settings, dict[str, str]], body: Any, field: str
) -> None:
    error = error_of(read(client, state[1]["reader"], body), 422, "invalid_input")
    assert field in [item["field"] for item in error["details"]["fields"]], error


def test_a_body_that_is_no_json_is_422(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    response = client.post(PATH, content=b"{nope", headers={
        "Authorization": f"Bearer {state[1]['reader']}", "Content-Type": "application/json"})
    error_of(response, 422, "invalid_input")


def test_the_openapi_document_has_the_typed_operation(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"][PATH]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    schema = document["components"]["schemas"]["OnlineFeaturesRequest"]
    (column,) = schema["properties"]["entities"]["patternProperties"].values()
    assert column["maxItems"] == MAX_ENTITIES


def test_feast_timestamps_use_feasts_precision() -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert feast_timestamp(moment) == "2026-01-02T03:04:05Z"
    assert feast_timestamp(moment.replace(microsecond=120000)) == "2026-01-02T03:04:05.120Z"
    assert feast_timestamp(moment.replace(microsecond=120001)) == "2026-01-02T03:04:05.120001Z"
    assert epoch_seconds(dt.date(1970, 1, 2)) == 86400


def test_the_typed_route_answers_as_the_fast_door_once_middleware_is_added(
    client: TestClient, state: tuple[Settings, dict[str, str]]
) -> None:
    settings, tokens = state
    app = build_app(settings)
    seen: list[str] = []

    @app.middleware("http")
    async def note(request: Any, call_next: Any) -> Any:
        seen.append(request.url.path)
        return await call_next(request)

    body = {"features": PROFILE, "entities": {"user_id": [42, 999]}}
    with TestClient(app, raise_server_exceptions=False) as wrapped:
        answer = read(wrapped, tokens["reader"], body)
        invalid = read(wrapped, tokens["reader"], {"features": PROFILE})
    assert seen == [PATH, PATH]
    assert answer.json() == read(client, tokens["reader"], body).json()
    error_of(invalid, 422, "invalid_input")


def test_every_call_is_audited_naming_the_views_read(
    state: tuple[Settings, dict[str, str]]
) -> None:
    settings, tokens = state
    body = {"features": ["user_profile:home_city", "hotel_stats:hotel_name"],
            "entities": {"user_id": [42], "hotel_id": [1]}}
    with TestClient(build_app(settings)) as fresh:
        read(fresh, tokens["reader"], body)
        read(fresh, tokens["profiles"], body)
        fresh.post(PATH, json=body)
        metrics = fresh.get("/metrics").text
    catalog = Catalog(settings.resolved_catalog_url)
    events = catalog.audit_events(limit=3)
    catalog.dispose()
    assert [(event.principal, event.allowed, event.status_code) for event in events] == [
        (None, False, 401), ("profiles", False, 403), ("reader", True, 200)]
    assert [event.object_name for event in events[:2]] == [
        "/get-online-features", "user_profile,hotel_stats"]
    assert events[2].object_name == "user_profile,hotel_stats"
    assert 'endpoint="feast:get_online_features"' in metrics
