"""The Spark feature jobs agree with an independent pandas computation from the raw data."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from groundwork.features.jobs import city_directory, city_top_hotels, hotel_stats, user_profile
from groundwork.features.jobs.city_top_hotels import POPULARITY_WEIGHT, PRIOR_WEIGHT, TOP_HOTELS
from groundwork.features.spec import CITY_DIRECTORY_KEY
from tests.support.travel_data import TravelData

pytestmark = pytest.mark.spark

WEEK = dt.timedelta(days=7)
MICROS_UTC = pa.timestamp("us", tz="UTC")


def feature_table(data: TravelData, view: str) -> pd.DataFrame:
    return pq.read_table(data.feature_tables_dir / view).to_pandas()


def raw(data: TravelData, dataset: str) -> pd.DataFrame:
    return pq.read_table(data.raw_dir / f"{dataset}.parquet").to_pandas()


def snapshot(table: pd.DataFrame, at: dt.datetime, key: str) -> pd.DataFrame:
    return table[table.event_ts == pd.Timestamp(at)].set_index(key).sort_index()


def ratings_known(bookings: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    """Ratings given by ``at``: a guest rates at check-out (midnight UTC)."""
    check_out = pd.to_datetime(bookings.check_in).dt.tz_localize("UTC") + pd.to_timedelta(
        bookings.nights, unit="D"
    )
    return bookings[bookings.rating.notna() & (check_out <= pd.Timestamp(at))]


def mean_half_up(ratings: pd.Series) -> float:
    """The exact mean of one-decimal ratings, rounded half up to the cent."""
    total = sum((Decimal(repr(float(value))) for value in ratings), Decimal(0))
    return float((total / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def stalled_hotels(data: TravelData) -> pd.Series:
    """Publication of each hotel whose price list was published before both snapshots."""
    published = raw(data, "prices").groupby("hotel_id").published_at.max()
    return published[published < pd.Timestamp(data.as_of - dt.timedelta(days=1))]


def test_row_counts_and_two_snapshots(travel_data: TravelData) -> None:
    hotels, users = len(raw(travel_data, "hotels")), len(raw(travel_data, "users"))
    stalled = len(stalled_hotels(travel_data))
    assert stalled == round(0.02 * hotels) > 0
    assert travel_data.row_counts == {
        "user_profile": 2 * users,
        "hotel_stats": 2 * hotels,
        "hotel_prices": 2 * hotels - stalled,
        "city_top_hotels": 2 * 40,
        "city_directory": 2,
    }
    as_of = travel_data.as_of
    expected = {
        "user_profile": {as_of - WEEK, as_of},
        "hotel_stats": {as_of - WEEK, as_of},
        "hotel_prices": {as_of - dt.timedelta(days=1), as_of, as_of - dt.timedelta(days=3)},
        "city_top_hotels": {as_of - WEEK, as_of},
        "city_directory": {as_of - WEEK, as_of},
    }
    for view, instants in expected.items():
        table = feature_table(travel_data, view)
        assert set(table.event_ts) == {pd.Timestamp(moment) for moment in instants}, view


def test_schemas(travel_data: TravelData) -> None:
    expected = {
        "user_profile": [
            ("user_id", pa.int64()), ("budget_per_night", pa.float64()),
            ("preferred_stars", pa.int64()), ("home_city", pa.string()),
            ("preferred_amenities", pa.list_(pa.string())), ("trips_last_year", pa.int64()),
            ("avg_rating_given", pa.float64()), ("last_booking_at", MICROS_UTC),
        ],
        "hotel_prices": [
            ("hotel_id", pa.int64()), ("prices_from", pa.date32()),
            ("nightly_prices", pa.list_(pa.float64())), ("rooms_available", pa.list_(pa.int64())),
        ],
        "city_top_hotels": [
            ("city", pa.string()), ("top_hotel_ids", pa.list_(pa.int64())),
            ("city_hotel_ids", pa.list_(pa.int64())), ("city_hotel_count", pa.int64()),
            ("city_median_price", pa.float64()),
        ],
        "city_directory": [
            ("directory", pa.string()), ("city_names", pa.list_(pa.string())),
            ("city_count", pa.int64()),
        ],
    }
    for view, columns in expected.items():
        schema = pq.read_table(travel_data.feature_tables_dir / view).schema
        actual = [(field.name, field.type) for field in schema]
        assert [(name, kind) for name, kind in actual] == [*columns, ("event_ts", MICROS_UTC)]


def test_user_profile_matches_pandas(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "user_profile")
    users = raw(travel_data, "users").set_index("user_id")
    bookings = raw(travel_data, "bookings")
    sample = [42, *np.random.default_rng(1).choice(users.index, 40, replace=False)]
    for at in (travel_data.as_of - WEEK, travel_data.as_of):
        computed = snapshot(table, at, "user_id")
        for user_id in sample:
            row = computed.loc[user_id]
            mine = bookings[(bookings.user_id == user_id) & (bookings.booked_at < at)]
            recent = mine.booked_at >= pd.Timestamp(at - dt.timedelta(days=365))
            assert row.trips_last_year == recent.sum()
            assert row.last_booking_at == mine.booked_at.max()
            expected_rating = ratings_known(mine, at).rating.mean()
            # Spark rounds half up, Python half to even: allow one unit in the last place.
            assert row.avg_rating_given == pytest.approx(expected_rating, abs=0.0051,
                                                         nan_ok=True)
            assert row.budget_per_night == users.budget_per_night[user_id]
            assert row.home_city == users.home_city[user_id]
            assert list(row.preferred_amenities) == list(users.preferred_amenities[user_id])


def test_hotel_stats_match_pandas(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "hotel_stats")
    hotels = raw(travel_data, "hotels").set_index("hotel_id")
    bookings = raw(travel_data, "bookings")
    for at in (travel_data.as_of - WEEK, travel_data.as_of):
        computed = snapshot(table, at, "hotel_id")
        before = bookings[bookings.booked_at < at]
        ratings = ratings_known(before, at).groupby("hotel_id").rating
        recent = before[before.booked_at >= pd.Timestamp(at - dt.timedelta(days=90))]
        assert list(computed.index) == list(hotels.index)
        expected_rating = ratings.apply(mean_half_up).reindex(hotels.index)
        assert computed.hotel_rating.tolist() == pytest.approx(
            expected_rating.tolist(), abs=1e-12, nan_ok=True)  # exact to the cent
        assert computed.hotel_review_count.tolist() == (
            ratings.count().reindex(hotels.index, fill_value=0).tolist()
        )
        assert computed.bookings_90d.tolist() == (
            recent.groupby("hotel_id").size().reindex(hotels.index, fill_value=0).tolist()
        )
        assert computed.hotel_name.tolist() == hotels.name.tolist()
        assert computed.hotel_stars.tolist() == hotels.stars.tolist()


def test_hotel_prices_match_raw_prices(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "hotel_prices")
    prices = raw(travel_data, "prices").sort_values(["hotel_id", "date"])
    for at in (travel_data.as_of - dt.timedelta(days=1), travel_data.as_of):
        for hotel_id, days in prices.groupby("hotel_id"):
            # a list is true from its publication: never from later than it
            event_ts = min(pd.Timestamp(at), days.published_at.max())
            rows = table[(table.hotel_id == hotel_id) & (table.event_ts == event_ts)]
            assert len(rows) == 1, hotel_id
            row = rows.iloc[0]
            assert row.prices_from == travel_data.as_of.date()
            assert list(row.nightly_prices) == days.price.tolist()
            assert list(row.rooms_available) == days.rooms_available.tolist()
            assert len(row.nightly_prices) == 90


def test_a_stalled_hotel_has_one_row_at_its_publication(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "hotel_prices")
    hotels = raw(travel_data, "hotels").set_index("hotel_id")
    stalled = stalled_hotels(travel_data)
    assert "Lisbon" not in set(hotels.city[stalled.index])
    assert {"Paris", "London", "Rome"} <= set(hotels.city[stalled.index])
    rows = table[table.hotel_id.isin(stalled.index)].set_index("hotel_id")
    assert sorted(rows.index) == sorted(stalled.index)  # one row each, not two
    assert (rows.event_ts == stalled.reindex(rows.index)).all()
    assert (rows.event_ts == pd.Timestamp(travel_data.as_of - dt.timedelta(days=3))).all()
    fresh = table[~table.hotel_id.isin(stalled.index)]
    assert fresh.groupby("hotel_id").size().eq(2).all()
    assert set(fresh.event_ts) == {pd.Timestamp(travel_data.as_of - dt.timedelta(days=1)),
                                   pd.Timestamp(travel_data.as_of)}


def expected_rankings(data: TravelData, at: dt.datetime) -> pd.DataFrame:
    """Per city: top hotel ids by Bayesian-average rating plus demand, count, median price."""
    hotels = raw(data, "hotels").set_index("hotel_id")
    bookings = raw(data, "bookings")
    before = bookings[bookings.booked_at < at]
    ratings = ratings_known(before, at)
    recent = before[before.booked_at >= pd.Timestamp(at - dt.timedelta(days=90))]
    per_hotel = hotels.assign(
        count=ratings.groupby("hotel_id").rating.count().reindex(hotels.index, fill_value=0),
        total=ratings.groupby("hotel_id").rating.sum().reindex(hotels.index, fill_value=0.0),
        demand=recent.groupby("hotel_id").size().reindex(hotels.index, fill_value=0),
    )
    per_hotel["score"] = (PRIOR_WEIGHT * ratings.rating.mean() + per_hotel.total) / (
        PRIOR_WEIGHT + per_hotel["count"]
    ) + POPULARITY_WEIGHT * np.log1p(per_hotel.demand)
    ranked = per_hotel.reset_index().sort_values(["score", "hotel_id"], ascending=[False, True])
    return ranked.groupby("city").agg(
        top_hotel_ids=("hotel_id", lambda ids: list(ids)[:TOP_HOTELS]),
        city_hotel_ids=("hotel_id", sorted),
        city_hotel_count=("hotel_id", "size"),
        city_median_price=("base_price", "median"),
    )


def test_city_top_hotels_match_pandas(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "city_top_hotels")
    for at in (travel_data.as_of - WEEK, travel_data.as_of):
        computed = snapshot(table, at, "city")
        expected = expected_rankings(travel_data, at)
        assert len(computed) == 40
        assert computed.city_hotel_count.max() > TOP_HOTELS
        for city, row in computed.iterrows():
            if city not in expected.index:
                assert (list(row.top_hotel_ids), list(row.city_hotel_ids)) == ([], [])
                assert row.city_hotel_count == 0
                continue
            assert list(row.top_hotel_ids) == expected.top_hotel_ids[city], city
            assert row.city_hotel_count == expected.city_hotel_count[city]
            assert list(row.city_hotel_ids) == expected.city_hotel_ids[city], city
            # rounded to cents by Spark (half up), so within half a cent of the exact median
            assert row.city_median_price == pytest.approx(
                expected.city_median_price[city], abs=0.0051
            )


def test_city_hotel_ids_list_every_raw_hotel_of_the_city(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "city_top_hotels")
    hotels = raw(travel_data, "hotels")
    cities = raw(travel_data, "cities").city
    per_city = {name: sorted(group.hotel_id) for name, group in hotels.groupby("city")}
    assert any(len(ids) > TOP_HOTELS for ids in per_city.values())
    for at in (travel_data.as_of - WEEK, travel_data.as_of):
        computed = snapshot(table, at, "city")
        assert sorted(computed.index) == sorted(cities)
        listed = {city: list(row.city_hotel_ids) for city, row in computed.iterrows()}
        assert listed == {city: per_city.get(city, []) for city in cities}
        assert sum(len(ids) for ids in listed.values()) == len(hotels)
        for city, row in computed.iterrows():
            assert set(row.top_hotel_ids) <= set(row.city_hotel_ids), city
            assert row.city_hotel_count == len(row.city_hotel_ids), city


def test_city_directory_lists_every_raw_city(travel_data: TravelData) -> None:
    table = feature_table(travel_data, "city_directory")
    names = sorted(raw(travel_data, "cities").city)
    assert len(names) == 40 and "Lisbon" in names
    for at in (travel_data.as_of - WEEK, travel_data.as_of):
        computed = snapshot(table, at, "directory")
        assert list(computed.index) == [CITY_DIRECTORY_KEY]
        row = computed.loc[CITY_DIRECTORY_KEY]
        assert list(row.city_names) == names
        assert row.city_count == len(names)


def test_city_directory_sorts_and_deduplicates_names(
    spark: SparkSession, tmp_path: Path
) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    given = ["Zürich", "Athens", "Zurich", "Århus", "Athens", "Bern", None]
    pq.write_table(pa.table({"city": pa.array(given, pa.string())}), raw_dir / "cities.parquet")
    as_of = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rows = city_directory.build(spark, str(raw_dir), as_of).toArrow().to_pandas()
    assert sorted(rows.event_ts) == [pd.Timestamp(as_of - WEEK), pd.Timestamp(as_of)]
    expected = sorted({name for name in given if name is not None})
    for _, row in rows.iterrows():
        assert row.directory == CITY_DIRECTORY_KEY
        assert list(row.city_names) == expected == ["Athens", "Bern", "Zurich", "Zürich", "Århus"]
        assert row.city_count == 5


def truncated_copy(data: TravelData, target: Path, before: dt.datetime) -> Path:
    """The raw data as it stood at ``before``: bookings made later removed."""
    shutil.copytree(data.raw_dir, target)
    bookings = pq.read_table(data.raw_dir / "bookings.parquet")
    keep = pc.less(bookings["booked_at"], pa.scalar(before, MICROS_UTC))
    pq.write_table(bookings.filter(keep), target / "bookings.parquet")
    return target


def comparable(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows sorted by ``key`` with list cells as tuples, so frames compare with ``==``."""
    return frame.sort_values(key, ignore_index=True).map(
        lambda cell: tuple(cell) if isinstance(cell, np.ndarray | list) else cell
    )


def test_older_snapshot_uses_only_older_data(
    spark: SparkSession, travel_data: TravelData, tmp_path: Path
) -> None:
    older = travel_data.as_of - WEEK
    past_raw = truncated_copy(travel_data, tmp_path / "raw", older)
    jobs = {
        "user_profile": (user_profile.build, "user_id"),
        "hotel_stats": (hotel_stats.build, "hotel_id"),
        "city_top_hotels": (city_top_hotels.build, "city"),
    }
    for view, (build, key) in jobs.items():
        full = feature_table(travel_data, view)
        from_past = build(spark, str(past_raw), travel_data.as_of).toArrow().to_pandas()
        older_rows = full[full.event_ts == pd.Timestamp(older)]
        past_rows = from_past[from_past.event_ts == pd.Timestamp(older)]
        pd.testing.assert_frame_equal(
            comparable(past_rows, key), comparable(older_rows, key), check_exact=False, rtol=1e-12
        )
        newest_rows = full[full.event_ts == pd.Timestamp(travel_data.as_of)]
        assert not comparable(newest_rows, key).drop(columns="event_ts").equals(
            comparable(older_rows, key).drop(columns="event_ts")
        ), f"{view}: the two snapshots should differ"
