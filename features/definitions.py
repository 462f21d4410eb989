"""Entities, feature views and the feature service of the travel planner (Feast objects).

This folder is also a Feast repository (``feature_store.yaml`` beside this file),
so ``feast apply`` run here registers these objects. Each view reads the
Parquet directory its Spark job writes (``features/jobs``); the rest of the
platform sees the views as :class:`groundwork.features.spec.ViewSpec` via
:func:`groundwork.features.registry.view_spec`.

Source paths are relative: Feast joins a relative ``FileSource`` path to the
repository path (this folder), so ``../.state/feature_tables/<view>`` is the
default state directory ``.state`` at the project root. Importing this module
reads no environment variable and touches no file.
"""

from __future__ import annotations

from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Array, Float64, Int64, String, UnixTimestamp

from groundwork.features.services import FEATURE_SERVICES
from groundwork.features.spec import CITY_DIRECTORY_KEY

FEATURE_TABLES_PATH = "../.state/feature_tables"
EVENT_TIMESTAMP = "event_ts"
VALUE_TYPE_TAG = "groundwork.value_type"
"""Field tag that overrides the platform value type derived from the Feast dtype."""


def feature_table_source(view: str) -> FileSource:
    """The Parquet directory the Spark job of ``view`` writes, as a Feast source."""
    return FileSource(
        name=f"{view}_source",
        path=f"{FEATURE_TABLES_PATH}/{view}",
        timestamp_field=EVENT_TIMESTAMP,
        description=f"Feature table of the {view} view, written by features/jobs/{view}.py.",
    )


user = Entity(
    name="user",
    join_keys=["user_id"],
    value_type=ValueType.INT64,
    description="A traveller using the travel planner.",
)
hotel = Entity(
    name="hotel",
    join_keys=["hotel_id"],
    value_type=ValueType.INT64,
    description="A bookable hotel.",
)
city = Entity(
    name="city",
    join_keys=["city"],
    value_type=ValueType.STRING,
    description="A destination city, by name (e.g. Lisbon).",
)
directory = Entity(
    name="directory",
    join_keys=["directory"],
    value_type=ValueType.STRING,
    description="A directory of known entities, by kind.",
)

user_profile = FeatureView(
    name="user_profile",
    entities=[user],
    ttl=timedelta(days=30),
    schema=[
        Field(name="user_id", dtype=Int64),
        Field(name="budget_per_night", dtype=Float64,
              description="The user's budget per night, in EUR."),
        Field(name="preferred_stars", dtype=Int64,
              description="Hotel star rating the user prefers (1-5)."),
        Field(name="home_city", dtype=String, description="City the user lives in."),
        Field(name="preferred_amenities", dtype=Array(String),
              description="Amenities the user asks for, e.g. wifi, breakfast."),
        Field(name="trips_last_year", dtype=Int64,
              description="Bookings the user made in the last 365 days."),
        Field(name="avg_rating_given", dtype=Float64,
              description="Mean rating (1-5) the user gave after stays; null when none."),
        Field(name="last_booking_at", dtype=UnixTimestamp,
              description="When the user last booked a hotel; null when never."),
    ],
    source=feature_table_source("user_profile"),
    description="A traveller's preferences, budget and booking history.",
)

hotel_stats = FeatureView(
    name="hotel_stats",
    entities=[hotel],
    ttl=timedelta(days=7),
    schema=[
        Field(name="hotel_id", dtype=Int64),
        Field(name="hotel_name", dtype=String, description="The hotel's name."),
        Field(name="hotel_city", dtype=String, description="City the hotel is in."),
        Field(name="hotel_stars", dtype=Int64, description="Star rating (1-5)."),
        Field(name="hotel_rating", dtype=Float64,
              description="Mean guest rating (1-5); null when not yet rated."),
        Field(name="hotel_review_count", dtype=Int64,
              description="Number of guest ratings behind hotel_rating."),
        Field(name="hotel_amenities", dtype=Array(String),
              description="Amenities the hotel offers, e.g. wifi, pool."),
        Field(name="hotel_latitude", dtype=Float64, description="Latitude, in degrees."),
        Field(name="hotel_longitude", dtype=Float64, description="Longitude, in degrees."),
        Field(name="bookings_90d", dtype=Int64,
              description="Bookings made at the hotel in the last 90 days."),
    ],
    source=feature_table_source("hotel_stats"),
    description="A hotel's description, guest rating and recent demand.",
)

hotel_prices = FeatureView(
    name="hotel_prices",
    entities=[hotel],
    ttl=timedelta(days=1),
    schema=[
        Field(name="hotel_id", dtype=Int64),
        # Feast has no date type. The feature table holds a date column; Feast
        # declares it as a timestamp (midnight UTC of that date) and the platform
        # serves it as a date (ValueType.DATE) through the tag below.
        Field(name="prices_from", dtype=UnixTimestamp, tags={VALUE_TYPE_TAG: "date"},
              description="Date of the first night of nightly_prices and rooms_available."),
        Field(name="nightly_prices", dtype=Array(Float64),
              description="Price per night in EUR for 90 nights from prices_from."),
        Field(name="rooms_available", dtype=Array(Int64),
              description="Free rooms for 90 nights from prices_from; 0 means sold out."),
    ],
    source=feature_table_source("hotel_prices"),
    description="A hotel's nightly prices and availability for the next 90 nights.",
)

city_top_hotels = FeatureView(
    name="city_top_hotels",
    entities=[city],
    ttl=timedelta(days=7),
    schema=[
        Field(name="city", dtype=String),
        Field(name="top_hotel_ids", dtype=Array(Int64),
              description="The city's 25 best hotels (rating and popularity), best first."),
        Field(name="city_hotel_ids", dtype=Array(Int64),
              description="Every hotel of the city, ascending hotel_id."),
        Field(name="city_hotel_count", dtype=Int64, description="Hotels in the city."),
        Field(name="city_median_price", dtype=Float64,
              description="Median typical nightly price of the city's hotels, in EUR."),
    ],
    source=feature_table_source("city_top_hotels"),
    description="A city's hotels, best hotels and price level.",
)

city_directory = FeatureView(
    name="city_directory",
    entities=[directory],
    ttl=timedelta(days=7),
    schema=[
        Field(name="directory", dtype=String),
        Field(name="city_names", dtype=Array(String),
              description="Every destination city's display name, sorted."),
        Field(name="city_count", dtype=Int64, description="Destination cities known."),
    ],
    source=feature_table_source("city_directory"),
    description=f"Every destination city, under the single key {CITY_DIRECTORY_KEY!r}.",
)

FEATURE_VIEWS: tuple[FeatureView, ...] = (
    user_profile, hotel_stats, hotel_prices, city_top_hotels, city_directory
)
"""The views in the order the platform lists them."""

_BY_NAME = {view.name: view for view in FEATURE_VIEWS}

travel_planner = FeatureService(
    name="travel_planner",
    features=[_BY_NAME[name] for name in FEATURE_SERVICES["travel_planner"]],
    description="Every feature the travel-planner agent reads.",
)
