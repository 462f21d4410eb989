"""Deterministic travel sample data: cities, hotels, users, prices and bookings.

:func:`generate` writes six Parquet datasets into a raw-data directory, the hotels'
generated descriptions (:mod:`groundwork.features.sample_descriptions`) among them. The same
``as_of``, ``scale`` and ``seed`` always give identical files. Timestamps are UTC
with microsecond precision (Spark rejects nanosecond timestamps in Parquet).

Two facts hold at every scale the demo relies on: user 42 exists (a 4-star
traveller from Berlin with a budget of 150 EUR a night), and Lisbon has at
least a dozen hotels, some within and some over that budget.

A few hotels (about 2%) have a stalled price feed: their price list was
published (``published_at`` in ``prices``) three days before ``as_of``, so it
serves as expired. At least one hotel of each of :data:`STALLED_CITIES` is
stalled, no hotel of Lisbon is, and every city keeps at least one hotel with a
fresh price list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from groundwork.features.sample_activity import (
    MICROS_PER_SECOND,
    HotelArrays,
    UserArrays,
    bookings_table,
    prices_table,
)
from groundwork.features.sample_descriptions import hotel_descriptions
from groundwork.features.sample_places import (
    AMENITIES,
    AMENITY_BASE_CHANCE,
    AMENITY_CHANCE_PER_STAR,
    AMENITY_DEMAND,
    CITIES,
    GENERIC_PLACES,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    NEIGHBOURHOODS,
    PRICE_BY_STARS,
)

DEFAULT_SEED = 20_240_601
BASE_ROWS: dict[str, int] = {"hotels": 5_000, "users": 20_000, "bookings": 1_000_000}
MINIMUM_ROWS: dict[str, int] = {"hotels": 50, "users": 100, "bookings": 1_000}
DEMO_USER_ID = 42
DEMO_CITY = "Lisbon"
DEMO_CITY_MINIMUM_HOTELS = 12
DEMO_CITY_FIRST_STARS = (2, 3, 4, 5, 5)
HOTEL_STAR_SHARE = (0.08, 0.2, 0.35, 0.27, 0.1)
USER_STAR_SHARE = (0.05, 0.15, 0.35, 0.33, 0.12)
ROW_GROUP_SIZE = 131_072
SECONDS_PER_YEAR = 365 * 86_400
STALLED_SHARE = 0.02
STALLED_CITIES = ("Paris", "London", "Rome")
"""Popular cities that always hold a hotel with a stalled price feed."""

CITY_NAMES = [city.name for city in CITIES]
CITY_POPULARITY = np.array([city.popularity for city in CITIES], dtype=np.float64)
CITY_PRICE_INDEX = np.array([city.price_index for city in CITIES], dtype=np.float64)
STAR_PRICES = np.array([0.0] + [PRICE_BY_STARS[stars] for stars in range(1, 6)])
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def generate(
    raw_dir: Path,
    *,
    as_of: dt.datetime,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
    seed: int = DEFAULT_SEED,
) -> dict[str, int]:
    """Write the travel sample datasets as Parquet files into ``raw_dir``.

    Args:
        raw_dir: Directory to write ``cities``, ``hotels``, ``hotel_descriptions``,
            ``users``, ``prices`` and ``bookings`` (``<name>.parquet``) into; created
            when missing.
        as_of: The present of the sample world: bookings cover the two years
            before it, prices the 90 days starting at its (UTC) date. A naive
            datetime is taken as UTC.
        scale: Multiplier on the row counts of hotels (5,000), users (20,000) and
            bookings (1,000,000); never below 50 hotels, 100 users, 1,000 bookings.
        progress: Called with one human-readable line per dataset written.
        seed: Seed of the random generator; the default gives the shipped sample.

    Returns:
        Row count per dataset name, in the order written.
    """
    report = progress or _ignore
    raw_dir.mkdir(parents=True, exist_ok=True)
    as_of_micros = _epoch_micros(as_of)
    hotel_rng, user_rng, price_rng, booking_rng = (
        np.random.default_rng(stream) for stream in np.random.SeedSequence(seed).spawn(4)
    )
    hotels = _hotel_arrays(hotel_rng, _row_count("hotels", scale))
    users = _user_arrays(user_rng, _row_count("users", scale))
    hotels_table = _hotels_table(hotel_rng, hotels)
    stalled = _stalled_hotels(hotel_rng, hotels.city)
    tables = {
        "cities": _cities_table(),
        "hotels": hotels_table,
        "hotel_descriptions": hotel_descriptions(hotels_table, seed),
        "users": _users_table(user_rng, users, as_of_micros),
        "prices": prices_table(price_rng, hotels, as_of_micros, stalled=stalled),
        "bookings": bookings_table(
            booking_rng,
            hotels,
            users,
            count=_row_count("bookings", scale),
            as_of_micros=as_of_micros,
        ),
    }
    counts: dict[str, int] = {}
    for name, table in tables.items():
        pq.write_table(table, raw_dir / f"{name}.parquet", row_group_size=ROW_GROUP_SIZE)
        counts[name] = table.num_rows
        report(f"{name}: {table.num_rows:,} rows")
    return counts


def hotels(*, scale: float = 1.0, seed: int = DEFAULT_SEED) -> pa.Table:
    """The ``hotels`` dataset alone, identical to the one :func:`generate` writes.

    Args:
        scale: As for :func:`generate`.
        seed: As for :func:`generate`.
    """
    hotel_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[0])
    return _hotels_table(hotel_rng, _hotel_arrays(hotel_rng, _row_count("hotels", scale)))


def _ignore(message: str) -> None:
    """Progress callback that drops the message."""


def _epoch_micros(moment: dt.datetime) -> int:
    """Microseconds since the Unix epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * MICROS_PER_SECOND + delta.microseconds


def _row_count(dataset: str, scale: float) -> int:
    """Rows of ``dataset`` at ``scale``, never below its minimum."""
    return max(round(BASE_ROWS[dataset] * scale), MINIMUM_ROWS[dataset])


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer shares proportional to ``weights`` (largest remainder)."""
    exact = total * weights / weights.sum()
    shares = np.floor(exact).astype(np.int64)
    leftover = total - int(shares.sum())
    shares[np.argsort(-(exact - shares), kind="stable")[:leftover]] += 1
    return shares


def _hotel_cities(rng: np.random.Generator, count: int) -> np.ndarray:
    """City index of each hotel: shares by popularity, the demo city topped up."""
    shares = _allocate(count, CITY_POPULARITY)
    demo_city = CITY_NAMES.index(DEMO_CITY)
    while shares[demo_city] < min(DEMO_CITY_MINIMUM_HOTELS, count):
        donors = shares.copy()
        donors[demo_city] = -1
        shares[int(np.argmax(donors))] -= 1
        shares[demo_city] += 1
    return rng.permutation(np.repeat(np.arange(len(CITIES)), shares))


def _hotel_arrays(rng: np.random.Generator, count: int) -> HotelArrays:
    """Draw the numeric attributes of ``count`` hotels."""
    city = _hotel_cities(rng, count)
    stars = rng.choice(np.arange(1, 6), size=count, p=HOTEL_STAR_SHARE)
    demo_hotels = np.flatnonzero(city == CITY_NAMES.index(DEMO_CITY))[: len(DEMO_CITY_FIRST_STARS)]
    stars[demo_hotels] = DEMO_CITY_FIRST_STARS[: len(demo_hotels)]
    price_noise = rng.lognormal(0.0, 0.12, size=count)
    quality = rng.normal(0.0, 1.0, size=count)
    return HotelArrays(
        city=city,
        stars=stars,
        base_price=np.round(STAR_PRICES[stars] * CITY_PRICE_INDEX[city] * price_noise, 2),
        quality=quality,
        popularity=np.exp(0.6 * quality + rng.normal(0.0, 0.5, size=count)),
        capacity=10 + stars * rng.integers(4, 30, size=count),
    )


def _stalled_hotels(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    """Which hotels have a stalled price feed (a boolean mask by ``hotel_id - 1``).

    One hotel of each of :data:`STALLED_CITIES` first, then hotels in a random
    order up to :data:`STALLED_SHARE` of all; never a hotel of the demo city,
    never the last hotel of a city with a fresh price list. Drawn after every
    other hotel attribute, so adding it changed none of them.
    """
    keys = rng.random(len(city))
    stalled = np.zeros(len(city), dtype=bool)
    fresh = np.bincount(city, minlength=len(CITIES))
    excluded = CITY_NAMES.index(DEMO_CITY)
    first = [np.flatnonzero(city == CITY_NAMES.index(name)) for name in STALLED_CITIES]
    order = [members[np.argmin(keys[members])] for members in first if len(members)]
    target = max(round(STALLED_SHARE * len(city)), len(order))
    for hotel in [*order, *np.argsort(keys, kind="stable")]:
        if int(stalled.sum()) >= target:
            break
        if stalled[hotel] or city[hotel] == excluded or fresh[city[hotel]] <= 1:
            continue
        stalled[hotel] = True
        fresh[city[hotel]] -= 1
    return stalled


def _user_arrays(rng: np.random.Generator, count: int) -> UserArrays:
    """Draw the numeric attributes of ``count`` users, user 42 fixed for the demo."""
    home_city = rng.choice(len(CITIES), size=count, p=CITY_POPULARITY / CITY_POPULARITY.sum())
    stars = rng.choice(np.arange(1, 6), size=count, p=USER_STAR_SHARE)
    budget = np.maximum(np.round(STAR_PRICES[stars] * rng.lognormal(0.15, 0.25, count)), 30.0)
    activity = rng.gamma(1.2, 1.0, size=count)
    demo = DEMO_USER_ID - 1
    home_city[demo], stars[demo], budget[demo] = CITY_NAMES.index("Berlin"), 4, 150.0
    activity[demo] = 1.0
    return UserArrays(home_city=home_city, stars=stars, budget=budget, activity=activity)


def _cities_table() -> pa.Table:
    """The fixed list of destinations."""
    return pa.table(
        {
            "city": pa.array(CITY_NAMES, pa.string()),
            "country": pa.array([city.country for city in CITIES], pa.string()),
            "latitude": pa.array([city.latitude for city in CITIES], pa.float64()),
            "longitude": pa.array([city.longitude for city in CITIES], pa.float64()),
        }
    )


def _hotels_table(rng: np.random.Generator, hotels: HotelArrays) -> pa.Table:
    """Hotels with names, coordinates near their city and amenities by stars."""
    count = len(hotels.city)
    latitude = np.array([city.latitude for city in CITIES])[hotels.city]
    longitude = np.array([city.longitude for city in CITIES])[hotels.city]
    latitude = latitude + rng.normal(0.0, 0.025, count)
    longitude = longitude + rng.normal(0.0, 0.025, count) / np.cos(np.radians(latitude))
    chance = np.array(AMENITY_BASE_CHANCE) + np.outer(hotels.stars, AMENITY_CHANCE_PER_STAR)
    amenities = rng.random((count, len(AMENITIES))) < chance
    return pa.table(
        {
            "hotel_id": pa.array(np.arange(1, count + 1), pa.int64()),
            "name": pa.array(_hotel_names(rng, hotels.city), pa.string()),
            "city": pa.array(np.asarray(CITY_NAMES, dtype=object)[hotels.city], pa.string()),
            "stars": pa.array(hotels.stars, pa.int64()),
            "latitude": pa.array(np.round(latitude, 5), pa.float64()),
            "longitude": pa.array(np.round(longitude, 5), pa.float64()),
            "amenities": _string_lists(amenities),
            "base_price": pa.array(hotels.base_price, pa.float64()),
        }
    )


def _hotel_names(rng: np.random.Generator, city: np.ndarray) -> list[str]:
    """Plausible names such as ``Hotel Alfama Garden``."""
    picks = rng.integers(0, 1_000_000, size=(len(city), 3))
    names = []
    for city_index, (prefix, place, suffix) in zip(city.tolist(), picks.tolist(), strict=True):
        places = NEIGHBOURHOODS.get(CITY_NAMES[city_index], GENERIC_PLACES)
        names.append(
            f"{NAME_PREFIXES[prefix % len(NAME_PREFIXES)]} {places[place % len(places)]} "
            f"{NAME_SUFFIXES[suffix % len(NAME_SUFFIXES)]}"
        )
    return names


def _users_table(rng: np.random.Generator, users: UserArrays, as_of_micros: int) -> pa.Table:
    """Users with preferences; everyone signed up two to five years before ``as_of``."""
    count = len(users.home_city)
    keys = np.log(np.array(AMENITY_DEMAND)) + rng.gumbel(size=(count, len(AMENITIES)))
    ranks = np.argsort(np.argsort(-keys, axis=1), axis=1)
    wanted = ranks < rng.integers(1, 5, size=count)[:, None]
    demo = DEMO_USER_ID - 1
    wanted[demo] = [name in ("wifi", "breakfast", "spa") for name in AMENITIES]
    seconds_ago = rng.integers(2 * SECONDS_PER_YEAR, 5 * SECONDS_PER_YEAR, size=count)
    return pa.table(
        {
            "user_id": pa.array(np.arange(1, count + 1), pa.int64()),
            "home_city": pa.array(
                np.asarray(CITY_NAMES, dtype=object)[users.home_city], pa.string()
            ),
            "budget_per_night": pa.array(users.budget, pa.float64()),
            "preferred_stars": pa.array(users.stars, pa.int64()),
            "preferred_amenities": _string_lists(wanted),
            "signup_at": pa.array(as_of_micros - seconds_ago * MICROS_PER_SECOND, TIMESTAMP_TYPE),
        }
    )


def _string_lists(mask: np.ndarray) -> pa.ListArray:
    """One list of amenity names per row of a boolean (rows × amenities) mask."""
    _, columns = np.nonzero(mask)
    values = pa.array(np.asarray(AMENITIES, dtype=object)[columns], pa.string())
    offsets = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
