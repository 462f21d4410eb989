"""Functions of the travel domain.

Pure, typed functions; each one's name is its node name and its parameter
names are the nodes it depends on (request inputs, features, other functions,
or ``now``, the moment the call is served). Lists named after hotel features
are aligned with ``city_hotels``: element ``i`` describes hotel
``city_hotels[i]`` and is ``None`` when that hotel's record is missing or
expired (its ``*_as_of`` entry tells which: ``None`` when missing).

Money is :class:`~decimal.Decimal` throughout (:mod:`groundwork.functions.money`):
a stay's total is the exact sum of its nights, a price per night is the total
divided by the nights, rounded half up to the cent.

Every search is deterministic. Orders, each ending in ``hotel_id`` so no two
hotels ever tie:

- ``price``: total price ascending, then rating descending (unrated last);
- ``rating``: rating descending (unrated last), then total price ascending;
- ``fit``: within the traveller's budget first (when known), then fit score
  descending, then total price ascending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from typing_extensions import TypedDict  # pydantic reads TypedDict schemas from it on 3.11

from groundwork.functions import destinations
from groundwork.functions.money import Money, money, to_cents
from groundwork.functions.travel_errors import (
    CheckInInPast,
    DataExpired,
    DataMissing,
    DatesOutsidePriceWindow,
)

AMENITY_WEIGHT = Decimal("0.3")
STAR_GAP_WEIGHT = Decimal("0.5")

Sort = Literal["price", "rating", "fit"]
EXCLUSION_REASONS = ("data_missing", "data_expired", "no_price", "no_rooms", "below_min_stars",
                     "missing_amenities", "over_max_price")
"""Why a hotel of the city is left out, in the order the reasons are checked."""


class PriceWindow(TypedDict):
    """The nights that have prices at the city's hotels."""

    first_night: dt.date
    last_night: dt.date


class HotelStay(TypedDict):
    """One hotel that can host the whole stay, with its prices for those nights."""

    hotel_id: int
    name: str
    stars: int
    rating: float | None
    amenities: list[str]
    nightly_prices: list[Money]
    total_price: Money
    price_per_night: Money
    rooms_left: int
    prices_as_of: dt.datetime
    details_as_of: dt.datetime


class StayOptions(TypedDict):
    """Every hotel of the city that can host the stay, and why the others cannot."""

    hotels: list[HotelStay]
    excluded: dict[str, int]
    hotels_in_city: int
    price_window: PriceWindow | None


class HotelMatch(HotelStay):
    """A hotel of the search result."""

    within_budget: bool | None
    fit_score: Money


class HotelSearch(TypedDict):
    """The result of a hotel search."""

    hotels: list[HotelMatch]
    matching: int
    within_budget: int | None
    excluded: dict[str, int]


class HotelOffer(TypedDict):
    """One bookable hotel for the requested stay."""

    hotel_id: int
    name: str
    stars: int
    rating: float | None
    total_price: Money
    price_per_night: Money
    rooms_left: int
    within_budget: bool | None
    amenities: list[str]


def check_out(check_in: dt.date, nights: int) -> dt.date:
    """Departure date of the stay.

    Args:
        check_in: Arrival date.
        nights: Number of nights.
    """
    return check_in + dt.timedelta(days=nights)


def stay_dates(check_in: dt.date, nights: int, now: dt.datetime) -> dt.date:
    """The check-in date, refused when it is before today (UTC).

    Args:
        check_in: Arrival date.
        nights: Number of nights.
        now: The moment the call is served.
    """
    today = now.astimezone(dt.UTC).date()
    if check_in < today:
        raise CheckInInPast(check_in, today)
    return check_in


def budget_total(budget_per_night: float | None, nights: int) -> Money | None:
    """The traveller's budget for the whole stay, in EUR.

    Args:
        budget_per_night: The traveller's nightly budget in EUR, if known.
        nights: Number of nights.
    """
    if budget_per_night is None:
        return None
    return to_cents(money(budget_per_night) * nights)


def _night_range(prices_from: dt.date, count: int, check_in: dt.date,
                 nights: int) -> slice | None:
    start = (check_in - prices_from).days
    if start < 0 or start + nights > count:
        return None
    return slice(start, start + nights)


def _window(prices_from: list[dt.date | None], nightly_prices: list[list[float] | None],
            ) -> PriceWindow | None:
    spans = [(first, first + dt.timedelta(days=len(prices) - 1))
             for first, prices in zip(prices_from, nightly_prices, strict=True)
             if first is not None and prices]
    if not spans:
        return None
    return PriceWindow(first_night=min(first for first, _ in spans),
                       last_night=max(last for _, last in spans))


def _unusable(source: str, what: str, as_of: list[dt.datetime | None], city: str) -> None:
    """Refuse a search none of whose hotels has a usable record of ``source``."""
    expired = [moment for moment in as_of if moment is not None]
    if expired:
        raise DataExpired(source, what, min(expired), city=city)
    raise DataMissing(source, what, city=city)


def stay_options(
    city_name: str,
    city_hotels: list[int],
    hotel_name: list[str | None],
    hotel_stars: list[int | None],
    hotel_rating: list[float | None],
    hotel_amenities: list[list[str] | None],
    hotel_stats_as_of: list[dt.datetime | None],
    prices_from: list[dt.date | None],
    nightly_prices: list[list[float] | None],
    rooms_available: list[list[int] | None],
    hotel_prices_as_of: list[dt.datetime | None],
    stay_dates: dt.date,
    nights: int,
) -> StayOptions:
    """Every hotel of the city with rooms and a price for every night of the stay.

    Args:
        city_name: The destination.
        city_hotels: Every hotel of the city.
        hotel_name: Per hotel, its name.
        hotel_stars: Per hotel, its star rating.
        hotel_rating: Per hotel, its mean guest rating (1-5).
        hotel_amenities: Per hotel, its amenities.
        hotel_stats_as_of: Per hotel, when its facts were true.
        prices_from: Per hotel, the date of the first night priced.
        nightly_prices: Per hotel, the price of each night in EUR from ``prices_from``.
        rooms_available: Per hotel, the rooms free each night from ``prices_from``.
        hotel_prices_as_of: Per hotel, when its prices were true.
        stay_dates: The check-in date (not in the past).
        nights: Number of nights.

    Raises:
        DataMissing: no hotel of the city has facts or prices in the store.
        DataExpired: the facts or prices of every hotel of the city have expired.
        DatesOutsidePriceWindow: some night of the stay has no price at any hotel.
    """
    check_in = stay_dates
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    if city_hotels and all(name is None for name in hotel_name):
        _unusable("hotel_stats", f"The facts of {city_name}'s hotels", hotel_stats_as_of,
                  city_name)
    if city_hotels and all(prices is None for prices in nightly_prices):
        _unusable("hotel_prices", f"The prices of {city_name}'s hotels", hotel_prices_as_of,
                  city_name)
    window = _window(prices_from, nightly_prices)
    last_night = check_in + dt.timedelta(days=nights - 1)
    if window is not None and (check_in < window["first_night"]
                               or last_night > window["last_night"]):
        raise DatesOutsidePriceWindow(check_in, check_out(check_in, nights),
                                      window["first_night"], window["last_night"])
    hotels: list[HotelStay] = []
    rows = zip(city_hotels, hotel_name, hotel_stars, hotel_rating, hotel_amenities,
               hotel_stats_as_of, prices_from, nightly_prices, rooms_available,
               hotel_prices_as_of, strict=True)
    for (hotel_id, name, stars, rating, amenities, details_as_of, first, prices, rooms,
         prices_as_of) in rows:
        if details_as_of is None or prices_as_of is None:
            excluded["data_missing"] += 1
            continue
        if name is None or stars is None or prices is None or rooms is None or first is None:
            excluded["data_expired"] += 1
            continue
        span = _night_range(first, min(len(prices), len(rooms)), check_in, nights)
        stay_prices = None if span is None else prices[span]
        if stay_prices is None or any(price is None for price in stay_prices):
            excluded["no_price"] += 1
            continue
        stay_rooms = rooms[span]
        if min(stay_rooms) <= 0:
            excluded["no_rooms"] += 1
            continue
        night_prices = [money(price) for price in stay_prices]
        total = sum(night_prices, Decimal(0))
        hotels.append(HotelStay(
            hotel_id=hotel_id, name=name, stars=stars, rating=rating,
            amenities=list(amenities or []), nightly_prices=night_prices, total_price=total,
            price_per_night=to_cents(total / nights), rooms_left=min(stay_rooms),
            prices_as_of=prices_as_of, details_as_of=details_as_of,
        ))
    return StayOptions(hotels=hotels, excluded=excluded, hotels_in_city=len(city_hotels),
                       price_window=window)


def _fit_score(hotel: HotelStay, preferred_stars: int | None,
               preferred_amenities: Sequence[str]) -> Decimal:
    rating = Decimal(0) if hotel["rating"] is None else money(hotel["rating"])
    offered = {amenity.casefold() for amenity in hotel["amenities"]}
    matched = sum(1 for amenity in preferred_amenities if amenity in offered)
    gap = 0 if preferred_stars is None else abs(hotel["stars"] - preferred_stars)
    return rating + AMENITY_WEIGHT * matched - STAR_GAP_WEIGHT * gap


def _within(hotel: HotelStay, budget: Decimal | None, nights: int) -> bool | None:
    """Whether the stay's exact total is at most the nightly budget times the nights."""
    return None if budget is None else hotel["total_price"] <= budget * nights


def _unrated_last(rating: float | None) -> Decimal:
    return Decimal(1) if rating is None else -money(rating)


def _order_key(sort: Sort, match: HotelMatch) -> tuple[object, ...]:
    rating = _unrated_last(match["rating"])
    if sort == "price":
        return (match["total_price"], rating, match["hotel_id"])
    if sort == "rating":
        return (rating, match["total_price"], match["hotel_id"])
    outside_budget = match["within_budget"] is False
    return (outside_budget, -match["fit_score"], match["total_price"], match["hotel_id"])


def _wanted(amenities: Sequence[str] | None) -> list[str]:
    return sorted({" ".join(amenity.casefold().split()) for amenity in amenities or ()})


def search(
    stay_options: StayOptions,
    nights: int,
    max_price_per_night: float | None,
    min_stars: int | None,
    amenities: list[str] | None,
    budget_per_night: float | None,
    preferred_stars: int | None,
    preferred_amenities: list[str] | None,
    sort: Sort,
    limit: int,
) -> HotelSearch:
    """The hotels that pass every filter, in the requested order, and why others did not.

    Args:
        stay_options: Every hotel of the city that can host the stay.
        nights: Number of nights.
        max_price_per_night: Most the stay may cost per night (total over nights), in EUR.
        min_stars: Fewest stars a hotel may have.
        amenities: Amenities a hotel must all offer (case does not matter).
        budget_per_night: The traveller's nightly budget in EUR, if known.
        preferred_stars: The traveller's preferred star rating, if known.
        preferred_amenities: Amenities the traveller cares about.
        sort: ``price``, ``rating`` or ``fit``.
        limit: Most hotels returned.
    """
    excluded = dict(stay_options["excluded"])
    required = _wanted(amenities)
    preferred = _wanted(preferred_amenities)
    cap = None if max_price_per_night is None else money(max_price_per_night) * nights
    budget = None if budget_per_night is None else money(budget_per_night)
    matches: list[HotelMatch] = []
    for hotel in stay_options["hotels"]:
        offered = {amenity.casefold() for amenity in hotel["amenities"]}
        if min_stars is not None and hotel["stars"] < min_stars:
            excluded["below_min_stars"] += 1
        elif not offered.issuperset(required):
            excluded["missing_amenities"] += 1
        elif cap is not None and hotel["total_price"] > cap:
            excluded["over_max_price"] += 1
        else:
            matches.append(HotelMatch(
                **hotel, within_budget=_within(hotel, budget, nights),
                fit_score=_fit_score(hotel, preferred_stars, preferred),
            ))
    matches.sort(key=lambda match: _order_key(sort, match))
    for match in matches:
        match["fit_score"] = to_cents(match["fit_score"])
    fitting = None if budget is None else sum(1 for match in matches if match["within_budget"])
    return HotelSearch(hotels=matches[:limit], matching=len(matches), within_budget=fitting,
                       excluded=excluded)


def hotels(search: HotelSearch) -> list[HotelMatch]:
    """The hotels found, in the requested order (at most ``limit``).

    Args:
        search: The search result.
    """
    return search["hotels"]


def matching(search: HotelSearch) -> int:
    """How many hotels of the city pass every filter (before ``limit``).

    Args:
        search: The search result.
    """
    return search["matching"]


def within_budget(search: HotelSearch) -> int | None:
    """How many of the matching hotels fit the traveller's budget; null without a budget.

    Args:
        search: The search result.
    """
    return search["within_budget"]


def excluded(search: HotelSearch) -> dict[str, int]:
    """How many hotels of the city were left out, per reason.

    Args:
        search: The search result.
    """
    return search["excluded"]


def hotels_in_city(stay_options: StayOptions) -> int:
    """How many hotels the city has.

    Args:
        stay_options: Every hotel of the city that can host the stay.
    """
    return stay_options["hotels_in_city"]


def price_window(stay_options: StayOptions) -> PriceWindow | None:
    """The nights that have prices at the city's hotels; null when none has prices.

    Args:
        stay_options: Every hotel of the city that can host the stay.
    """
    return stay_options["price_window"]


def hotels_available(stay_options: StayOptions) -> int:
    """How many hotels of the city can host the whole stay.

    Args:
        stay_options: Every hotel of the city that can host the stay.
    """
    return len(stay_options["hotels"])


def hotels_within_budget(stay_options: StayOptions, budget_per_night: float | None,
                         nights: int) -> int | None:
    """How many hotels of the city can host the stay within the budget; null without one.

    Args:
        stay_options: Every hotel of the city that can host the stay.
        budget_per_night: The traveller's nightly budget in EUR, if known.
        nights: Number of nights.
    """
    if budget_per_night is None:
        return None
    budget = money(budget_per_night)
    return sum(1 for hotel in stay_options["hotels"] if _within(hotel, budget, nights))


def ranked_offers(
    stay_options: StayOptions,
    budget_per_night: float | None,
    preferred_stars: int | None,
    preferred_amenities: list[str] | None,
    nights: int,
    limit: int = 5,
) -> list[HotelOffer]:
    """The best offers: those within budget by fit; when none fits, the cheapest over it.

    Without a budget every hotel counts as fitting. Fit ties go to the cheaper
    stay, then the lower ``hotel_id``; price ties to the better rating, then the
    lower ``hotel_id``.

    Args:
        stay_options: Every hotel of the city that can host the stay.
        budget_per_night: The traveller's nightly budget in EUR, if known.
        preferred_stars: The traveller's preferred star rating, if known.
        preferred_amenities: Amenities the traveller cares about.
        nights: Number of nights.
        limit: How many offers to keep.
    """
    budget = None if budget_per_night is None else money(budget_per_night)
    preferred = _wanted(preferred_amenities)
    candidates = stay_options["hotels"]
    fitting = [hotel for hotel in candidates if _within(hotel, budget, nights) is not False]
    if fitting:
        chosen = sorted(fitting, key=lambda hotel: (
            -_fit_score(hotel, preferred_stars, preferred), hotel["total_price"],
            hotel["hotel_id"]))
    else:
        chosen = sorted(candidates, key=lambda hotel: (
            hotel["total_price"], _unrated_last(hotel["rating"]), hotel["hotel_id"]))
    return [
        HotelOffer(hotel_id=hotel["hotel_id"], name=hotel["name"], stars=hotel["stars"],
                   rating=hotel["rating"], total_price=hotel["total_price"],
                   price_per_night=hotel["price_per_night"], rooms_left=hotel["rooms_left"],
                   within_budget=_within(hotel, budget, nights), amenities=hotel["amenities"])
        for hotel in chosen[:limit]
    ]


TRAVEL_FUNCTIONS = (
    check_out, stay_dates, budget_total, destinations.directory_key, destinations.city_name,
    destinations.city_hotels, stay_options,
    search, hotels, matching, within_budget, excluded, hotels_in_city, price_window,
    hotels_available, hotels_within_budget, ranked_offers,
)
"""Every function of the travel domain, in registration order."""
