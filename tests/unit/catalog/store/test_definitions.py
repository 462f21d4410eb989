"""Feature views, functions and endpoints: upserted by name, returned as registered."""

from __future__ import annotations

import datetime as dt

import pytest

from groundwork.catalog.definitions import EndpointRecord, FunctionRecord
from groundwork.catalog.store import Catalog
from groundwork.errors import (
    DefinitionError,
    EndpointNotFound,
    FeatureViewNotFound,
    FunctionNotFound,
    InvalidInput,
)
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec

HOTEL_PRICES = ViewSpec(
    name="hotel_prices",
    entity="hotel_id",
    entity_type=ValueType.INT,
    features=(
        FeatureSpec("price_per_night", ValueType.FLOAT, "Nightly price in EUR."),
        FeatureSpec("rooms_left", ValueType.INT),
        FeatureSpec("amenities", ValueType.STRING_LIST),
    ),
    ttl_seconds=3600,
    source_path="/data/hotel_prices",
    description="Live prices.",
)


def total_price(price_per_night: float, nights: int) -> float:
    """Price of the stay before taxes."""
    return price_per_night * nights


def check_out(check_in: dt.date, nights: int | None) -> dt.date:
    """Day of departure."""
    return check_in + dt.timedelta(days=nights or 1)


def untyped(nights):  # type: ignore[no-untyped-def]
    return nights


HOTEL_OFFERS = EndpointRecord(
    name="hotel_offers",
    description="Bookable hotels.",
    input_schema={"type": "object", "properties": {"nights": {"type": "integer"}}},
    output_schema={"type": "object"},
    feature_views=("hotel_prices",),
    functions=("total_price",),
)


def test_a_feature_view_round_trips(catalog: Catalog) -> None:
    catalog.register_feature_view(HOTEL_PRICES)

    assert catalog.get_feature_view("hotel_prices") == HOTEL_PRICES
    assert catalog.list_feature_views() == [HOTEL_PRICES]


def test_registering_again_replaces_the_definition(catalog: Catalog) -> None:
    catalog.register_feature_view(HOTEL_PRICES)
    changed = ViewSpec(
        name="hotel_prices",
        entity="hotel_id",
        entity_type=ValueType.INT,
        features=HOTEL_PRICES.features[:1],
        ttl_seconds=None,
    )

    catalog.register_feature_view(changed)

    assert catalog.list_feature_views() == [changed]


def test_unknown_definitions_are_not_found(catalog: Catalog) -> None:
    with pytest.raises(FeatureViewNotFound):
        catalog.get_feature_view("nope")
    with pytest.raises(FunctionNotFound):
        catalog.get_function("nope")
    with pytest.raises(EndpointNotFound):
        catalog.get_endpoint("nope")


def test_a_function_is_described_from_its_signature(catalog: Catalog) -> None:
    catalog.register_function(FunctionRecord.from_callable(total_price))
    catalog.register_function(FunctionRecord.from_callable(check_out))

    stored = catalog.get_function("total_price")

    assert stored.module == __name__
    assert dict(stored.parameters) == {"price_per_night": "float", "nights": "int"}
    assert stored.returns == "float"
    assert stored.description == "Price of the stay before taxes."
    assert dict(catalog.get_function("check_out").parameters) == {
        "check_in": "datetime.date",
        "nights": "int | None",
    }
    assert [function.name for function in catalog.list_functions()] == ["check_out", "total_price"]


def test_a_function_without_type_hints_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="nights"):
        FunctionRecord.from_callable(untyped)


def test_an_endpoint_round_trips(catalog: Catalog) -> None:
    catalog.register_feature_view(HOTEL_PRICES)
    catalog.register_function(FunctionRecord.from_callable(total_price))

    catalog.register_endpoint(HOTEL_OFFERS)
    catalog.register_endpoint(HOTEL_OFFERS)

    assert catalog.get_endpoint("hotel_offers") == HOTEL_OFFERS
    assert catalog.list_endpoints() == [HOTEL_OFFERS]


def test_an_endpoint_must_use_registered_views_and_functions(catalog: Catalog) -> None:
    with pytest.raises(FeatureViewNotFound, match="hotel_prices"):
        catalog.register_endpoint(HOTEL_OFFERS)
    catalog.register_feature_view(HOTEL_PRICES)
    with pytest.raises(FunctionNotFound, match="total_price"):
        catalog.register_endpoint(HOTEL_OFFERS)
    assert catalog.list_endpoints() == []


def test_names_are_checked(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput):
        catalog.register_feature_view(
            ViewSpec("bad name", "id", ValueType.INT, features=(), ttl_seconds=None)
        )
