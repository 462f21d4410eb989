"""Time-varying travel sample data: daily hotel prices and past bookings.

Vectorised with numpy so a million bookings take a few seconds. Used by
:func:`groundwork.features.sample_data.generate`, which draws the hotels and users first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND
PRICE_DAYS = 90
STALLED_FOR_DAYS = 3
"""How long before ``as_of`` a stalled price feed last published, in days."""
HISTORY_DAYS = 730
CANDIDATES_PER_BOOKING = 4
RATED_SHARE = 0.65
WEEKEND_DAYS = (4, 5)  # Friday and Saturday nights, Monday being 0
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class HotelArrays:
    """Numeric attributes of the hotels, indexed by ``hotel_id - 1``.

    Attributes:
        city: Index of the hotel's city in ``sample_places.CITIES``.
        stars: Star rating, 1 to 5.
        base_price: Typical nightly price in EUR.
        quality: Latent quality (standard normal); drives ratings and popularity.
        popularity: Relative chance of being considered by a traveller in its city.
        capacity: Number of rooms.
    """

    city: np.ndarray
    stars: np.ndarray
    base_price: np.ndarray
    quality: np.ndarray
    popularity: np.ndarray
    capacity: np.ndarray


@dataclass(frozen=True, slots=True)
class UserArrays:
    """Numeric attributes of the users, indexed by ``user_id - 1``.

    Attributes:
        home_city: Index of the user's home city.
        stars: Preferred star rating.
        budget: Budget per night in EUR.
        activity: Relative number of trips the user books.
    """

    home_city: np.ndarray
    stars: np.ndarray
    budget: np.ndarray
    activity: np.ndarray


def prices_table(rng: np.random.Generator, hotels: HotelArrays, as_of_micros: int, *,
                 stalled: np.ndarray | None = None) -> pa.Table:
    """Daily price and free rooms of every hotel for the 90 days from ``as_of``'s date.

    Prices rise on Friday and Saturday nights and in summer; rooms run out
    more often on busy days, and some days are sold out. ``published_at`` is
    when a hotel's list was published: ``as_of``, or :data:`STALLED_FOR_DAYS` days before
    it for the hotels ``stalled`` marks (a boolean mask by ``hotel_id - 1``).
    """
    hotel_count = len(hotels.city)
    first_day = as_of_micros // MICROS_PER_DAY
    days = np.tile(np.arange(first_day, first_day + PRICE_DAYS), hotel_count)
    hotel = np.repeat(np.arange(hotel_count), PRICE_DAYS)
    weekend = np.isin((days + 3) % 7, WEEKEND_DAYS)
    day_of_year = (days.astype("datetime64[D]") - days.astype("datetime64[D]").astype(
        "datetime64[Y]"
    )).astype(np.int64)
    season = 1.0 + 0.18 * np.cos(2 * np.pi * (day_of_year - 196) / 365.0)
    noise = 1.0 + rng.normal(0.0, 0.04, size=len(days))
    price = hotels.base_price[hotel] * np.where(weekend, 1.15, 1.0) * season * noise
    free_share = 0.35 - 0.15 * weekend - 0.5 * (season - 1.0) + rng.normal(0.0, 0.12, len(days))
    rooms = rng.binomial(hotels.capacity[hotel], np.clip(free_share, 0.0, 1.0))
    rooms[rng.random(len(days)) < 0.05] = 0
    late = np.zeros(hotel_count, dtype=bool) if stalled is None else stalled
    published = as_of_micros - np.where(late[hotel], STALLED_FOR_DAYS * MICROS_PER_DAY, 0)
    return pa.table(
        {
            "hotel_id": pa.array(hotel + 1, pa.int64()),
            "date": pa.array(days.astype(np.int32), pa.date32()),
            "price": pa.array(np.round(price, 2), pa.float64()),
            "rooms_available": pa.array(rooms, pa.int64()),
            "published_at": pa.array(published, TIMESTAMP_TYPE),
        }
    )


def bookings_table(
    rng: np.random.Generator,
    hotels: HotelArrays,
    users: UserArrays,
    *,
    count: int,
    as_of_micros: int,
) -> pa.Table:
    """``count`` bookings made during the two years before ``as_of``, oldest first.

    Active users book more; destinations follow city popularity; within a city
    a traveller weighs a few popular hotels and favours those near their
    preferred stars and within their budget. Only finished stays (check-out on
    or before ``as_of``'s date) can carry a rating.
    """
    user = rng.choice(len(users.stars), size=count, p=users.activity / users.activity.sum())
    hotel = _chosen_hotels(rng, hotels, users, user)
    booked_at = as_of_micros - rng.integers(1, HISTORY_DAYS * 86_400, size=count) * (
        MICROS_PER_SECOND
    )
    check_in = booked_at // MICROS_PER_DAY + np.minimum(rng.geometric(1 / 25, count) - 1, 330)
    nights = np.minimum(1 + rng.poisson(1.6, count), 14)
    over_budget = hotels.base_price[hotel] > users.budget[user]
    score = (
        3.6
        + 0.5 * hotels.quality[hotel]
        + 0.12 * (hotels.stars[hotel] - 3)
        - 0.3 * over_budget
        + rng.normal(0.0, 0.6, count)
    )
    finished = check_in + nights <= as_of_micros // MICROS_PER_DAY
    rated = finished & (rng.random(count) < RATED_SHARE)
    total_price = hotels.base_price[hotel] * nights * rng.lognormal(0.0, 0.08, count)
    order = np.argsort(booked_at, kind="stable")
    return pa.table(
        {
            "booking_id": pa.array(np.arange(1, count + 1), pa.int64()),
            "user_id": pa.array(user[order] + 1, pa.int64()),
            "hotel_id": pa.array(hotel[order] + 1, pa.int64()),
            "booked_at": pa.array(booked_at[order], TIMESTAMP_TYPE),
            "check_in": pa.array(check_in[order].astype(np.int32), pa.date32()),
            "nights": pa.array(nights[order], pa.int64()),
            "total_price": pa.array(np.round(total_price[order], 2), pa.float64()),
            "rating": pa.array(
                np.round(np.clip(score, 1.0, 5.0), 1)[order], pa.float64(), mask=~rated[order]
            ),
        }
    )


def _chosen_hotels(
    rng: np.random.Generator, hotels: HotelArrays, users: UserArrays, user: np.ndarray
) -> np.ndarray:
    """Index of the hotel each booking goes to."""
    count = len(user)
    city_count = int(hotels.city.max()) + 1
    hotels_per_city = np.bincount(hotels.city, minlength=city_count)
    city_weight = np.bincount(hotels.city, weights=hotels.popularity, minlength=city_count)
    destination = rng.choice(city_count, size=count, p=city_weight / city_weight.sum())
    candidates = _popular_hotels_in(rng, hotels, hotels_per_city, destination)
    star_gap = np.abs(hotels.stars[candidates] - users.stars[user][:, None])
    over_budget = np.maximum(hotels.base_price[candidates] / users.budget[user][:, None] - 1, 0)
    appeal = -0.8 * star_gap - 2.0 * over_budget + rng.gumbel(size=candidates.shape)
    return candidates[np.arange(count), np.argmax(appeal, axis=1)]


def _popular_hotels_in(
    rng: np.random.Generator,
    hotels: HotelArrays,
    hotels_per_city: np.ndarray,
    destination: np.ndarray,
) -> np.ndarray:
    """A few candidate hotels per booking, drawn in its destination by popularity.

    Hotels are sorted by city so each city is one run of a cumulative weight
    array; a uniform draw inside a city's run picks a hotel with
    probability proportional to its popularity.
    """
    order = np.argsort(hotels.city, kind="stable")
    cumulative = np.cumsum(hotels.popularity[order])
    ends = np.cumsum(hotels_per_city)
    starts = ends - hotels_per_city
    before = np.concatenate([[0.0], cumulative])[starts]
    totals = np.concatenate([[0.0], cumulative])[ends] - before
    draws = rng.random((len(destination), CANDIDATES_PER_BOOKING))
    targets = before[destination][:, None] + draws * totals[destination][:, None]
    positions = np.searchsorted(cumulative, targets, side="right")
    positions = np.clip(positions, starts[destination][:, None], ends[destination][:, None] - 1)
    return order[positions]
