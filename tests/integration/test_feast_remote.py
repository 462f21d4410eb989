"""Feast's own client reads a running ``groundwork serve`` as its remote online store.

A Feast ``FeatureStore`` in a temporary repository (``online_store: {type: remote}``,
``auth: {type: kubernetes}``, the token in ``LOCAL_K8S_TOKEN`` as Feast's client
reads it outside a cluster) calls ``POST /get-online-features`` of a real server
subprocess over the demo state, and gets the values Groundwork's own endpoints serve.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.settings import Settings
from tests.support.demo_state import DemoState

PROFILE = ("budget_per_night", "preferred_stars", "home_city", "preferred_amenities",
           "trips_last_year", "avg_rating_given", "last_booking_at")
HOTEL = ("hotel_name", "hotel_city", "hotel_stars", "hotel_rating", "hotel_review_count",
         "hotel_amenities", "hotel_latitude", "hotel_longitude", "bookings_90d")
UNKNOWN_USER = 999


@pytest.fixture(scope="module")
def reader_token(demo_state: DemoState) -> str:
    """A token holding READ on every feature view of the demo state."""
    catalog = Catalog(Settings(state_dir=demo_state.state_dir).resolved_catalog_url)
    try:
        catalog.create_principal("feast_client", PrincipalKind.SERVICE)
        catalog.grant("feast_client", Privilege.READ, ObjectType.FEATURE_VIEW, "*")
        return catalog.issue_token("feast_client").token
    finally:
        catalog.dispose()


@pytest.fixture(scope="module")
def feature_store(demo_server: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A Feast repository whose online store is the Groundwork server, definitions applied."""
    from feast import FeatureStore

    from groundwork.features import definitions

    repo = tmp_path_factory.mktemp("feast-repo")
    (repo / "feature_store.yaml").write_text(
        "project: groundwork\n"
        "provider: local\n"
        f"registry: {repo / 'registry.db'}\n"
        f"online_store:\n  type: remote\n  path: {demo_server}\n"
        "offline_store:\n  type: file\n"
        "auth:\n  type: kubernetes\n"
        "entity_key_serialization_version: 3\n"
    )
    store = FeatureStore(repo_path=str(repo))
    store.apply([definitions.user, definitions.hotel, definitions.city, definitions.directory,
                 *definitions.FEATURE_VIEWS, definitions.travel_planner])
    return store


@pytest.fixture
def token_as(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets the token Feast's kubernetes auth client sends (``LOCAL_K8S_TOKEN``)."""
    yield lambda token: monkeypatch.setenv("LOCAL_K8S_TOKEN", token)


def endpoint(url: str, token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/v1/endpoints/{name}/invoke", json=inputs,
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    outputs: dict[str, Any] = response.json()["outputs"]
    return outputs


def as_feast_serves(name: str, value: Any) -> Any:
    """An endpoint's output as Feast's client returns it: timestamps as seconds since the epoch."""
    if name == "last_booking_at" and value is not None:
        return int(dt.datetime.fromisoformat(value).timestamp())
    return value


def test_feast_reads_what_the_endpoints_serve(
    feature_store: Any, demo_server: str, demo_state: DemoState, reader_token: str,
    token_as: Any,
) -> None:
    token_as(reader_token)
    users = [42, 43, UNKNOWN_USER]
    # Feast's remote client infers each value's type from its JSON and cannot for an
    # empty list: the lists are read for the entities whose lists are not empty.
    scalars = [name for name in PROFILE if name != "preferred_amenities"]
    served = feature_store.get_online_features(
        features=[f"user_profile:{name}" for name in scalars],
        entity_rows=[{"user_id": user} for user in users],
    ).to_dict()
    assert served["user_id"] == users
    for row, user in enumerate(users):
        expected = endpoint(demo_server, demo_state.token, "user_profile", {"user_id": user})
        assert {name: served[name][row] for name in scalars} == {
            name: as_feast_serves(name, expected[name]) for name in scalars}, user
    assert [served[name][2] for name in scalars] == [None] * len(scalars)
    amenities = feature_store.get_online_features(
        features=["user_profile:preferred_amenities"], entity_rows=[{"user_id": 42}]).to_dict()
    assert amenities["preferred_amenities"] == [["wifi", "spa"]]

    hotels = feature_store.get_online_features(
        features=[f"hotel_stats:{name}" for name in HOTEL],
        entity_rows=[{"hotel_id": hotel} for hotel in (1, 2)],
    ).to_dict()
    for row, hotel in enumerate((1, 2)):
        expected = endpoint(demo_server, demo_state.token, "hotel_details", {"hotel_id": hotel})
        assert {name: hotels[name][row] for name in HOTEL} == {
            name: expected[name] for name in HOTEL}, hotel


def test_feast_reads_a_feature_service(
    feature_store: Any, reader_token: str, token_as: Any
) -> None:
    token_as(reader_token)
    served = feature_store.get_online_features(
        features=feature_store.get_feature_service("travel_planner"),
        entity_rows=[{"user_id": 42, "hotel_id": 1, "city": "Lisbon", "directory": "cities"}],
    ).to_dict()
    assert served["home_city"] == ["Porto"]
    assert served["hotel_name"] == ["Alfama Garden"]
    assert served["city_names"] == [["Lisbon"]]


def test_an_unknown_entity_is_not_found_with_nulls(
    demo_server: str, reader_token: str
) -> None:
    response = httpx.post(f"{demo_server}/get-online-features", timeout=30,
                          headers={"Authorization": f"Bearer {reader_token}"},
                          json={"features": ["user_profile:preferred_stars"],
                                "entities": {"user_id": [42, UNKNOWN_USER]}})
    assert response.status_code == 200, response.text
    stars = response.json()["results"][1]
    assert stars["values"] == [4, None]
    assert stars["statuses"] == ["PRESENT", "NOT_FOUND"]


def test_an_empty_list_is_served_as_one(demo_server: str, reader_token: str) -> None:
    response = httpx.post(f"{demo_server}/get-online-features", timeout=30,
                          headers={"Authorization": f"Bearer {reader_token}"},
                          json={"features": ["user_profile:preferred_amenities"],
                                "entities": {"user_id": [42, 43]}})
    assert response.json()["results"][1]["values"] == [["wifi", "spa"], []]


def test_a_token_without_read_is_refused(
    feature_store: Any, demo_state: DemoState, token_as: Any
) -> None:
    token_as(demo_state.token)  # EXECUTE on every endpoint, no READ on feature views
    with pytest.raises(RuntimeError, match="403") as refused:
        feature_store.get_online_features(features=["user_profile:home_city"],
                                          entity_rows=[{"user_id": 42}])
    assert "access_denied" in str(refused.value)
    token_as("gw_not_a_token")
    with pytest.raises(RuntimeError, match="401"):
        feature_store.get_online_features(features=["user_profile:home_city"],
                                          entity_rows=[{"user_id": 42}])
