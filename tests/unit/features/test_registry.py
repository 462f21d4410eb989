"""Feast definitions as the platform sees them: view specs, types, TTLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from feast import Entity, FeatureView, Field, FileSource
from feast import ValueType as FeastValueType
from feast.repo_config import load_repo_config
from feast.types import Array, Bool, Bytes, FeastType, Float64, Int64, String

from groundwork.errors import DefinitionError
from groundwork.features import definitions
from groundwork.features.registry import load_view_specs, view_spec
from groundwork.features.spec import ValueType

TABLES = Path("/state/feature_tables")
FEATURES_DIR = Path(definitions.__file__).parent

EXPECTED_TYPES = {
    "user_profile": {
        "budget_per_night": ValueType.FLOAT,
        "preferred_stars": ValueType.INT,
        "home_city": ValueType.STRING,
        "preferred_amenities": ValueType.STRING_LIST,
        "trips_last_year": ValueType.INT,
        "avg_rating_given": ValueType.FLOAT,
        "last_booking_at": ValueType.TIMESTAMP,
    },
    "hotel_stats": {
        "hotel_name": ValueType.STRING,
        "hotel_city": ValueType.STRING,
        "hotel_stars": ValueType.INT,
        "hotel_rating": ValueType.FLOAT,
        "hotel_review_count": ValueType.INT,
        "hotel_amenities": ValueType.STRING_LIST,
        "hotel_latitude": ValueType.FLOAT,
        "hotel_longitude": ValueType.FLOAT,
        "bookings_90d": ValueType.INT,
    },
    "hotel_prices": {
        "prices_from": ValueType.DATE,
        "nightly_prices": ValueType.FLOAT_LIST,
        "rooms_available": ValueType.INT_LIST,
    },
    "city_top_hotels": {
        "top_hotel_ids": ValueType.INT_LIST,
        "city_hotel_ids": ValueType.INT_LIST,
        "city_hotel_count": ValueType.INT,
        "city_median_price": ValueType.FLOAT,
    },
    "city_directory": {
        "city_names": ValueType.STRING_LIST,
        "city_count": ValueType.INT,
    },
}
EXPECTED_ENTITIES = {
    "user_profile": ("user_id", ValueType.INT, 30 * 86_400),
    "hotel_stats": ("hotel_id", ValueType.INT, 7 * 86_400),
    "hotel_prices": ("hotel_id", ValueType.INT, 86_400),
    "city_top_hotels": ("city", ValueType.STRING, 7 * 86_400),
    "city_directory": ("directory", ValueType.STRING, 7 * 86_400),
}


def a_view(*fields: Field, entity_type: FeastValueType = FeastValueType.INT64) -> FeatureView:
    """A one-entity feature view with the given extra fields."""
    key = Field(name="thing_id", dtype=Int64 if entity_type == FeastValueType.INT64 else Bytes)
    return FeatureView(
        name="things",
        entities=[Entity(name="thing", join_keys=["thing_id"], value_type=entity_type)],
        schema=[key, *fields],
        source=FileSource(path="things", timestamp_field="event_ts"),
    )


def test_all_views_in_declaration_order() -> None:
    assert list(load_view_specs(TABLES)) == list(EXPECTED_TYPES)


def test_feature_names_and_types() -> None:
    specs = load_view_specs(TABLES)
    for name, types in EXPECTED_TYPES.items():
        assert {feature.name: feature.dtype for feature in specs[name].features} == types
        assert specs[name].feature_names == tuple(types)


def test_entities_and_ttls() -> None:
    specs = load_view_specs(TABLES)
    for name, (entity, entity_type, ttl_seconds) in EXPECTED_ENTITIES.items():
        assert (specs[name].entity, specs[name].entity_type) == (entity, entity_type)
        assert specs[name].ttl_seconds == ttl_seconds


def test_feature_names_are_unique_across_views() -> None:
    names = [name for spec in load_view_specs(TABLES).values() for name in spec.feature_names]
    assert len(names) == len(set(names))


def test_source_path_and_descriptions() -> None:
    for name, spec in load_view_specs(TABLES).items():
        assert spec.source_path == str(TABLES / name)
        assert spec.description
        assert all(feature.description for feature in spec.features)


def test_feast_sources_point_at_the_default_state_dir() -> None:
    for feature_view in definitions.FEATURE_VIEWS:
        source = feature_view.batch_source
        assert isinstance(source, FileSource)
        assert source.path == f"../.state/feature_tables/{feature_view.name}"
        assert source.timestamp_field == "event_ts"


def test_feature_service_covers_every_view() -> None:
    projections = definitions.travel_planner.feature_view_projections
    assert [projection.name for projection in projections] == list(EXPECTED_TYPES)


def test_repository_config_is_valid() -> None:
    config = load_repo_config(FEATURES_DIR, FEATURES_DIR / "feature_store.yaml")
    assert config.project == "groundwork"
    assert config.provider == "local"
    assert config.online_store.type == "sqlite"
    assert config.entity_key_serialization_version == 3


def test_no_ttl_means_none() -> None:
    spec = view_spec(a_view(Field(name="size", dtype=Float64)), feature_tables_dir=TABLES)
    assert spec.ttl_seconds is None
    assert spec.features[0].dtype is ValueType.FLOAT


@pytest.mark.parametrize("dtype", [Bytes, Array(Bool)])
def test_unsupported_dtype_names_view_and_feature(dtype: FeastType) -> None:
    view = a_view(Field(name="blob", dtype=dtype), Field(name="label", dtype=String))
    with pytest.raises(DefinitionError) as raised:
        view_spec(view, feature_tables_dir=TABLES)
    assert raised.value.details["view"] == "things"
    assert raised.value.details["feature"] == "blob"
    assert "things" in raised.value.message and "blob" in raised.value.message


def test_unknown_value_type_tag_is_an_error() -> None:
    view = a_view(Field(name="day", dtype=Int64, tags={definitions.VALUE_TYPE_TAG: "weekday"}))
    with pytest.raises(DefinitionError, match="day"):
        view_spec(view, feature_tables_dir=TABLES)


def test_entity_key_must_be_int_or_string() -> None:
    view = a_view(Field(name="size", dtype=Float64), entity_type=FeastValueType.BYTES)
    with pytest.raises(DefinitionError, match="thing_id"):
        view_spec(view, feature_tables_dir=TABLES)
