"""The right outcome of a stay question, from the raw sample data alone.

:func:`read_sample_data` reads the datasets :func:`groundwork.features.sample_data.generate`
writes (``hotels``, ``prices``, ``users``, ``bookings``, ``cities``) and
:func:`expected_outcome` applies the documented rules of ``hotel_search`` (README,
"Travel tools") with exact decimals: which hotels come first and the first one's
total, or the refusal the tools must give. It shares no code with the Spark jobs
or the travel functions, so it checks them.

A hotel whose price list was published more than :data:`PRICES_TTL` before the
newest one (a stalled feed) serves as expired: ``hotel_search`` leaves it out
and counts it in ``excluded.data_expired``, so it is never expected among the
first hotels.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from groundwork.agents.question import Sort, TravelQuestion
from groundwork.errors import NotFound
from groundwork.functions.travel_errors import MAX_NIGHTS

Stay = TravelQuestion
"""What a golden question asks: the planner's own reading of a question (its
``not_applied`` stays empty: a golden question asks only what the search applies)."""
Kind = Literal["answer", "unknown_city", "check_in_in_past", "dates_outside_price_window",
               "stay_too_long", "unknown_user", "no_availability", "data_missing",
               "data_expired"]
"""``answer``, or a refusal: an error code of ``hotel_search``, ``unknown_user`` (the
profile is MISSING) or ``no_availability`` (no hotel matches)."""
KINDS: tuple[Kind, ...] = get_args(Kind)
TOP = 3
"""How many of the first hotels a search must get right."""
DATASETS = ("cities", "hotels", "users", "prices", "bookings")
CENT = Decimal("0.01")
PRICES_TTL = dt.timedelta(days=1)
"""The time to live of the ``hotel_prices`` view."""


@dataclass(frozen=True, slots=True)
class Expected:
    """The right outcome of a question.

    Attributes:
        kind: ``answer``, or the refusal: a ``hotel_search`` error code,
            ``unknown_user`` (the profile is MISSING) or ``no_availability``
            (no hotel matches).
        top_hotel_ids: The first hotels of the search, in order (at most :data:`TOP`).
        top_hotel_name: The first hotel's name.
        top_total: The first hotel's total for the stay, in EUR.
        matching: How many hotels pass every filter.
        within_budget: How many of them fit the traveller's budget (``None``: no budget).
        expired: How many hotels of the city were left out because their prices
            expired (``None``: not known).
    """

    kind: Kind
    top_hotel_ids: tuple[int, ...] = ()
    top_hotel_name: str | None = None
    top_total: Decimal | None = None
    matching: int | None = None
    within_budget: int | None = None
    expired: int | None = None


@dataclass(frozen=True, slots=True)
class Hotel:
    """A hotel of the sample data; its rating is ``None`` until a guest rated it."""

    hotel_id: int
    name: str
    stars: int
    amenities: frozenset[str]
    rating: Decimal | None


@dataclass(frozen=True, slots=True)
class Traveller:
    """A traveller's nightly budget (EUR) and preferences."""

    budget: Decimal
    stars: int
    amenities: frozenset[str]


@dataclass(frozen=True, slots=True)
class Option:
    """A hotel with a free room and a price every night of a stay."""

    hotel: Hotel
    total: Decimal


@dataclass(frozen=True, slots=True)
class SampleData:
    """The raw datasets, indexed for the expected facts.

    Attributes:
        cities: Every destination, as the data spells it.
        hotels: The hotels of each city, by city name.
        nights: Per hotel, per night: the price (as stored) and the rooms free.
        travellers: Budget and preferences by user id.
        windows: Per city, the first and last nights priced at some of its hotels.
        stalled: The hotels whose price list was published more than
            :data:`PRICES_TTL` before the newest one; their prices serve as expired.
    """

    cities: tuple[str, ...]
    hotels: Mapping[str, tuple[Hotel, ...]]
    nights: Mapping[int, Mapping[dt.date, tuple[float, int]]]
    travellers: Mapping[int, Traveller]
    windows: Mapping[str, tuple[dt.date, dt.date] | None]
    stalled: frozenset[int] = frozenset()

    def city_named(self, name: str) -> str | None:
        """The destination ``name`` means, without case or accents; ``None`` when unknown."""
        wanted = normalised(name)
        return next((city for city in self.cities if normalised(city) == wanted), None)


def _window(hotels: tuple[Hotel, ...], nights: Mapping[int, Mapping[dt.date, Any]],
            stalled: frozenset[int]) -> tuple[dt.date, dt.date] | None:
    days = [day for hotel in hotels if hotel.hotel_id not in stalled
            for day in nights.get(hotel.hotel_id, {})]
    return (min(days), max(days)) if days else None


def exact(value: float) -> Decimal:
    """A stored float as the decimal it was written as (``96.67`` is 96.67)."""
    return Decimal(repr(float(value)))


def normalised(name: str) -> str:
    """``name`` without case, accents or extra spaces."""
    bare = "".join(char for char in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def read_sample_data(raw_dir: Path) -> SampleData:
    """Read the raw datasets of :func:`groundwork.features.sample_data.generate`.

    A hotel's rating is the mean of its ratings, half up to the cent: the
    generator rates only stays over by its ``as_of``, so every rating is known.
    Prices without ``published_at`` count as published together (none stalled).

    Raises:
        NotFound: when a dataset is missing.
    """
    missing = [name for name in DATASETS if not (raw_dir / f"{name}.parquet").is_file()]
    if missing:
        raise NotFound(f"no sample data in {raw_dir} ({', '.join(missing)} missing): run "
                       "`groundwork generate`", path=str(raw_dir), missing=missing)
    read = {name: pd.read_parquet(raw_dir / f"{name}.parquet") for name in DATASETS}
    rated = read["bookings"].dropna(subset=["rating"])
    ratings = {int(hotel_id): (sum(map(exact, group), Decimal(0)) / len(group)).quantize(
        CENT, rounding=ROUND_HALF_UP) for hotel_id, group in rated.groupby("hotel_id").rating}
    hotels: dict[str, list[Hotel]] = {}
    for hotel_id, name, city, stars, amenities in read["hotels"][
            ["hotel_id", "name", "city", "stars", "amenities"]].itertuples(index=False):
        hotels.setdefault(city, []).append(Hotel(
            int(hotel_id), name, int(stars), frozenset(a.casefold() for a in amenities),
            ratings.get(int(hotel_id))))
    nights: dict[int, dict[dt.date, tuple[float, int]]] = {}
    for hotel_id, day, price, rooms in read["prices"][
            ["hotel_id", "date", "price", "rooms_available"]].itertuples(index=False):
        nights.setdefault(int(hotel_id), {})[day] = (float(price), int(rooms))
    travellers = {int(user_id): Traveller(exact(budget), int(stars),
                                           frozenset(a.casefold() for a in amenities))
                  for user_id, budget, stars, amenities in read["users"][
                      ["user_id", "budget_per_night", "preferred_stars",
                       "preferred_amenities"]].itertuples(index=False)}
    cities = tuple(sorted(read["cities"].city))
    by_city = {city: tuple(hotels.get(city, ())) for city in cities}
    stalled = _stalled(read["prices"])
    return SampleData(cities, by_city, nights, travellers,
                      {city: _window(by_city[city], nights, stalled) for city in cities},
                      stalled)


def _stalled(prices: pd.DataFrame) -> frozenset[int]:
    """Hotels whose price list was published more than :data:`PRICES_TTL` before the newest."""
    if "published_at" not in prices or prices.empty:
        return frozenset()
    published = prices.groupby("hotel_id").published_at.max()
    late = published[published < published.max() - PRICES_TTL]
    return frozenset(int(hotel_id) for hotel_id in late.index)


def expected_outcome(data: SampleData, stay: Stay, today: dt.date) -> Expected:
    """The outcome ``hotel_search`` and ``user_profile`` must give for ``stay`` on ``today``.

    Refusals are checked in this order (a drawn question has at most one): the
    nights, the check-in, the city, the price window; then a MISSING profile,
    then no hotel matching. Hotels with stalled prices are left out (and counted
    in ``expired``), as their prices serve as expired.
    """
    if stay.nights > MAX_NIGHTS:
        return Expected("stay_too_long")
    if stay.check_in < today:
        return Expected("check_in_in_past")
    city = data.city_named(stay.city)
    if city is None:
        return Expected("unknown_city")
    window = data.windows[city]
    last_night = stay.check_in + dt.timedelta(days=stay.nights - 1)
    if window is not None and (stay.check_in < window[0] or last_night > window[1]):
        return Expected("dates_outside_price_window")
    traveller = data.travellers.get(stay.user_id)
    matches = [option for option in bookable(data, city, stay.check_in, stay.nights)
               if _passes(option, stay)]
    budget = None if traveller is None else traveller.budget * stay.nights
    ordered = sorted(matches, key=_order(stay.sort, traveller, budget))
    kind: Kind = ("unknown_user" if traveller is None
                  else "no_availability" if not matches else "answer")
    first = ordered[0] if ordered else None
    return Expected(
        kind, tuple(option.hotel.hotel_id for option in ordered[:TOP]),
        None if first is None else first.hotel.name, None if first is None else first.total,
        len(matches), None if budget is None else sum(option.total <= budget
                                                      for option in matches),
        sum(hotel.hotel_id in data.stalled for hotel in data.hotels[city]))


def bookable(data: SampleData, city: str, check_in: dt.date, nights: int) -> list[Option]:
    """The hotels of ``city`` with a free room and a price every night of the stay.

    Hotels with stalled prices are not bookable: their prices serve as expired.
    """
    days = [check_in + dt.timedelta(days=offset) for offset in range(nights)]
    options = []
    for hotel in data.hotels[city]:
        if hotel.hotel_id in data.stalled:
            continue
        known = data.nights.get(hotel.hotel_id, {})
        stay = [known.get(day) for day in days]
        if any(night is None or night[1] <= 0 for night in stay):
            continue
        options.append(Option(hotel, sum((exact(night[0]) for night in stay if night),
                                          Decimal(0))))
    return options


def _passes(option: Option, stay: Stay) -> bool:
    wanted = {" ".join(amenity.casefold().split()) for amenity in stay.amenities}
    if stay.min_stars is not None and option.hotel.stars < stay.min_stars:
        return False
    if not wanted <= option.hotel.amenities:
        return False
    cap = None if stay.max_price_per_night is None else exact(stay.max_price_per_night)
    return cap is None or option.total <= cap * stay.nights


def _order(sort: Sort, traveller: Traveller | None,
           budget: Decimal | None) -> Callable[[Option], tuple[Any, ...]]:
    def unrated_last(option: Option) -> Decimal:
        return Decimal(1) if option.hotel.rating is None else -option.hotel.rating

    def fit(option: Option) -> Decimal:
        score = option.hotel.rating or Decimal(0)
        if traveller is None:
            return score
        matched = len(option.hotel.amenities & traveller.amenities)
        return (score + Decimal("0.3") * matched
                - Decimal("0.5") * abs(option.hotel.stars - traveller.stars))

    if sort == "price":
        return lambda option: (option.total, unrated_last(option), option.hotel.hotel_id)
    if sort == "rating":
        return lambda option: (unrated_last(option), option.total, option.hotel.hotel_id)
    return lambda option: (budget is not None and option.total > budget, -fit(option),
                           option.total, option.hotel.hotel_id)


