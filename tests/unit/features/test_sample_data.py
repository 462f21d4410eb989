"""The travel sample-data generator: deterministic, scalable, demo-ready."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from groundwork.features.sample_data import STALLED_CITIES, generate

AS_OF = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
DATASETS = ("cities", "hotels", "hotel_descriptions", "users", "prices", "bookings")
MICROS_UTC = pa.timestamp("us", tz="UTC")


def read(raw_dir: Path, dataset: str) -> pa.Table:
    return pq.read_table(raw_dir / f"{dataset}.parquet")


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample data at the smallest supported scale."""
    directory = tmp_path_factory.mktemp("raw")
    generate(directory, as_of=AS_OF, scale=0.01)
    return directory


def test_same_inputs_give_identical_files(raw_dir: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    generate(tmp_path, as_of=AS_OF, scale=0.01, progress=messages.append)
    for dataset in DATASETS:
        assert read(tmp_path, dataset).equals(read(raw_dir, dataset)), dataset
        assert (tmp_path / f"{dataset}.parquet").read_bytes() == (
            raw_dir / f"{dataset}.parquet"
        ).read_bytes(), dataset
    assert len(messages) == len(DATASETS)


def test_another_seed_gives_other_data(raw_dir: Path, tmp_path: Path) -> None:
    generate(tmp_path, as_of=AS_OF, scale=0.01, seed=7)
    assert not read(tmp_path, "bookings").equals(read(raw_dir, "bookings"))


def test_row_counts_scale(tmp_path: Path) -> None:
    small = generate(tmp_path / "small", as_of=AS_OF, scale=0.01)
    double = generate(tmp_path / "double", as_of=AS_OF, scale=0.02)
    assert small == {
        "cities": 40, "hotels": 50, "hotel_descriptions": 50, "users": 200, "prices": 50 * 90,
        "bookings": 10_000,
    }
    assert double == {
        "cities": 40, "hotels": 100, "hotel_descriptions": 100, "users": 400,
        "prices": 100 * 90, "bookings": 20_000,
    }
    for dataset, rows in double.items():
        assert read(tmp_path / "double", dataset).num_rows == rows


def test_user_42_is_the_demo_traveller(raw_dir: Path) -> None:
    users = read(raw_dir, "users").to_pandas().set_index("user_id")
    demo = users.loc[42]
    assert demo.home_city == "Berlin"
    assert demo.budget_per_night == 150.0
    assert demo.preferred_stars == 4
    assert list(demo.preferred_amenities) == ["wifi", "breakfast", "spa"]
    assert list(users.index) == list(range(1, len(users) + 1))


def test_lisbon_has_hotels_within_and_over_the_demo_budget(raw_dir: Path) -> None:
    hotels = read(raw_dir, "hotels").to_pandas()
    lisbon = hotels[hotels.city == "Lisbon"]
    assert len(lisbon) >= 12
    assert (lisbon.base_price <= 150).sum() >= 2
    assert (lisbon.base_price > 150).sum() >= 1
    assert set(lisbon.stars) >= {2, 3, 4, 5}


def test_hotels_are_plausible(raw_dir: Path) -> None:
    hotels = read(raw_dir, "hotels").to_pandas()
    cities = read(raw_dir, "cities").to_pandas().set_index("city")
    assert hotels.stars.between(1, 5).all()
    assert set(hotels.city) <= set(cities.index)
    distance = (hotels.latitude - cities.latitude[hotels.city].to_numpy()).abs()
    assert (distance < 0.2).all()
    vocabulary = {
        "wifi", "breakfast", "pool", "spa", "gym", "parking", "pet_friendly",
        "airport_shuttle", "restaurant", "bar", "air_conditioning", "family_rooms",
    }
    assert {item for amenities in hotels.amenities for item in amenities} <= vocabulary
    assert hotels.name.str.split().str.len().ge(3).all()
    mean_price = hotels.groupby("stars").base_price.mean()
    assert mean_price.is_monotonic_increasing


def test_prices_cover_90_days_from_as_of(raw_dir: Path) -> None:
    prices = read(raw_dir, "prices").to_pandas()
    expected = [AS_OF.date() + dt.timedelta(days=day) for day in range(90)]
    for _, days in prices.groupby("hotel_id").date:
        assert sorted(days) == expected
    assert (prices.price > 0).all()
    assert (prices.price.round(2) == prices.price).all()
    assert (prices.rooms_available >= 0).all()
    assert (prices.rooms_available == 0).any()


def test_timestamps_are_utc_microseconds(raw_dir: Path) -> None:
    assert read(raw_dir, "users").schema.field("signup_at").type == MICROS_UTC
    bookings = read(raw_dir, "bookings")
    assert bookings.schema.field("booked_at").type == MICROS_UTC
    assert bookings.schema.field("check_in").type == pa.date32()
    assert read(raw_dir, "prices").schema.field("date").type == pa.date32()
    assert read(raw_dir, "prices").schema.field("published_at").type == MICROS_UTC


def test_bookings_cover_two_years_before_as_of(raw_dir: Path) -> None:
    bookings = read(raw_dir, "bookings").to_pandas()
    assert bookings.booked_at.max() < AS_OF
    assert bookings.booked_at.min() >= AS_OF - dt.timedelta(days=730)
    assert bookings.booked_at.is_monotonic_increasing
    assert list(bookings.booking_id) == list(range(1, len(bookings) + 1))
    assert (bookings.nights >= 1).all()
    assert (bookings.total_price > 0).all()


def test_only_finished_stays_are_rated(raw_dir: Path) -> None:
    bookings = read(raw_dir, "bookings")
    rated = bookings.filter(pc.is_valid(bookings["rating"])).to_pandas()
    check_out = pd.to_datetime(rated.check_in) + pd.to_timedelta(rated.nights, unit="D")
    assert (check_out <= pd.Timestamp(AS_OF.date())).all()
    assert rated.rating.between(1.0, 5.0).all()
    assert 0.3 < len(rated) / bookings.num_rows < 0.9


def test_travellers_favour_their_budget_and_stars(raw_dir: Path) -> None:
    bookings = read(raw_dir, "bookings").to_pandas()
    hotels = read(raw_dir, "hotels").to_pandas()
    users = read(raw_dir, "users").to_pandas()
    stays = bookings.merge(hotels, on="hotel_id").merge(users, on="user_id")
    assert (stays.stars == stays.preferred_stars).mean() > 0.3
    assert (stays.base_price <= stays.budget_per_night).mean() > 0.5
    assert (stays.user_id == 42).sum() > 0


def published_by_hotel(raw_dir: Path) -> pd.Series:
    """Each hotel's price-list publication; every row of a hotel must carry the same."""
    published = read(raw_dir, "prices").to_pandas().groupby("hotel_id").published_at
    assert (published.nunique() == 1).all()
    return published.first()


def test_a_few_hotels_have_a_stalled_price_feed(tmp_path: Path) -> None:
    generate(tmp_path, as_of=AS_OF, scale=0.15)
    hotels = read(tmp_path, "hotels").to_pandas().set_index("hotel_id")
    published = published_by_hotel(tmp_path)
    stalled = published[published == pd.Timestamp(AS_OF - dt.timedelta(days=3))].index
    assert set(published) == {pd.Timestamp(AS_OF), pd.Timestamp(AS_OF - dt.timedelta(days=3))}
    assert len(stalled) == round(0.02 * len(hotels)) == 15
    stalled_cities = set(hotels.city[stalled])
    assert set(STALLED_CITIES) <= stalled_cities and "Lisbon" not in stalled_cities
    fresh = hotels.drop(index=stalled)
    assert set(fresh.city) == set(hotels.city)  # every city keeps a fresh price list


def test_no_city_loses_its_only_fresh_price_list(raw_dir: Path) -> None:
    """At the smallest scale the popular cities hold one hotel each: none stalls."""
    hotels = read(raw_dir, "hotels").to_pandas()
    assert (published_by_hotel(raw_dir) == pd.Timestamp(AS_OF)).all()
    assert hotels[hotels.city.isin(STALLED_CITIES)].groupby("city").size().max() == 1
