"""Functions of the travel domain.

Pure, typed functions; each one's name is its node name and its parameter
names are the nodes it depends on (request inputs, features, or other
functions). Lists named after hotel features are aligned with
``top_hotel_ids``: element ``i`` describes hotel ``top_hotel_ids[i]`` and is
``None`` when that hotel's features are missing or expired.
"""

from __future__ import annotations

import datetime as dt

from typing_extensions import TypedDict  # pydantic reads TypedDict schemas from it on 3.11


class HotelOffer(TypedDict):
    """One bookable hotel for the requested stay."""

    hotel_id: int
    name: str
    stars: int
    rating: float | None
    total_price: float
    price_per_night: float
    rooms_left: int
    within_budget: bool
    amenities: list[str]


def check_out(check_in: dt.date, nights: int) -> dt.date:
    """Departure date of the stay.

    Args:
        check_in: Arrival date.
        nights: Number of nights.
    """
    return check_in + dt.timedelta(days=nights)


def budget_total(budget_per_night: float | None, nights: int) -> float | None:
    """The traveller's budget for the whole stay, in EUR.

    Args:
        budget_per_night: The traveller's nightly budget in EUR, if known.
        nights: Number of nights.
    """
    if budget_per_night is None:
        return None
    return round(budget_per_night * nights, 2)


def _stay_slice(prices_from: dt.date, check_in: dt.date, nights: int) -> slice | None:
    start = (check_in - prices_from).days
    if start < 0:
        return None
    return slice(start, start + nights)


def stay_totals(
    nightly_prices: list[list[float] | None],
    rooms_available: list[list[int] | None],
    prices_from: list[dt.date | None],
    check_in: dt.date,
    nights: int,
) -> list[float | None]:
    """Total price of the stay per hotel, ``None`` where any night is unknown or sold out.

    Args:
        nightly_prices: Per hotel, daily prices in EUR starting at ``prices_from``.
        rooms_available: Per hotel, rooms left per day starting at ``prices_from``.
        prices_from: Per hotel, the date of the first price.
        check_in: Arrival date.
        nights: Number of nights.
    """
    totals: list[float | None] = []
    for prices, rooms, first_day in zip(nightly_prices, rooms_available, prices_from, strict=True):
        window = None if first_day is None else _stay_slice(first_day, check_in, nights)
        if prices is None or rooms is None or window is None:
            totals.append(None)
            continue
        stay_prices, stay_rooms = prices[window], rooms[window]
        if len(stay_prices) < nights or min(stay_rooms, default=0) <= 0:
            totals.append(None)
        else:
            totals.append(round(sum(stay_prices), 2))
    return totals


def rooms_left(
    rooms_available: list[list[int] | None],
    prices_from: list[dt.date | None],
    check_in: dt.date,
    nights: int,
) -> list[int]:
    """Rooms bookable for every night of the stay, per hotel (0 when unknown).

    Args:
        rooms_available: Per hotel, rooms left per day starting at ``prices_from``.
        prices_from: Per hotel, the date of the first availability figure.
        check_in: Arrival date.
        nights: Number of nights.
    """
    result: list[int] = []
    for rooms, first_day in zip(rooms_available, prices_from, strict=True):
        window = None if first_day is None else _stay_slice(first_day, check_in, nights)
        stay_rooms = [] if rooms is None or window is None else rooms[window]
        result.append(min(stay_rooms) if len(stay_rooms) == nights else 0)
    return result


def hotel_offers(
    top_hotel_ids: list[int] | None,
    hotel_name: list[str | None],
    hotel_stars: list[int | None],
    hotel_rating: list[float | None],
    hotel_amenities: list[list[str] | None],
    stay_totals: list[float | None],
    rooms_left: list[int],
    budget_total: float | None,
    nights: int,
) -> list[HotelOffer]:
    """Hotels of the city that can host the whole stay, with their price and budget fit.

    Args:
        top_hotel_ids: The city's best hotels, best first.
        hotel_name: Per hotel, its name.
        hotel_stars: Per hotel, its star rating.
        hotel_rating: Per hotel, its mean guest rating (1-5).
        hotel_amenities: Per hotel, its amenities.
        stay_totals: Per hotel, the stay's total price in EUR, or ``None``.
        rooms_left: Per hotel, rooms free on every night of the stay.
        budget_total: The traveller's budget for the stay in EUR, if known.
        nights: Number of nights.
    """
    offers: list[HotelOffer] = []
    rows = zip(
        top_hotel_ids or [], hotel_name, hotel_stars, hotel_rating, hotel_amenities,
        stay_totals, rooms_left, strict=True,
    )
    for hotel_id, name, stars, rating, amenities, total, rooms in rows:
        if name is None or stars is None or total is None:
            continue
        offers.append(
            HotelOffer(
                hotel_id=hotel_id, name=name, stars=stars, rating=rating,
                total_price=total, price_per_night=round(total / nights, 2), rooms_left=rooms,
                within_budget=budget_total is None or total <= budget_total,
                amenities=amenities or [],
            )
        )
    return offers


def ranked_offers(
    hotel_offers: list[HotelOffer],
    preferred_stars: int | None,
    preferred_amenities: list[str] | None,
    limit: int = 5,
) -> list[HotelOffer]:
    """The best offers for this traveller: within budget first, then by fit and rating.

    Args:
        hotel_offers: Candidate offers.
        preferred_stars: The traveller's preferred star rating, if known.
        preferred_amenities: Amenities the traveller cares about.
        limit: How many offers to keep.
    """
    wanted = set(preferred_amenities or [])

    def score(offer: HotelOffer) -> tuple[bool, float]:
        star_gap = abs(offer["stars"] - preferred_stars) if preferred_stars is not None else 0
        matched = len(wanted.intersection(offer["amenities"]))
        fit = (offer["rating"] or 0.0) + 0.3 * matched - 0.5 * star_gap
        return (not offer["within_budget"], -fit)

    return sorted(hotel_offers, key=score)[:limit]


TRAVEL_FUNCTIONS = (check_out, budget_total, stay_totals, rooms_left, hotel_offers, ranked_offers)
"""Every function of the travel domain, in registration order."""
