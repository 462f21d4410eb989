"""Every figure and conclusion of ``hotel_search`` and ``hotel_offers``, checked from raw data.

The oracle here reads the raw sample datasets with pandas (hotels, daily prices,
users, bookings) and applies the documented rules with exact decimals: it
shares no code with the Spark jobs or the travel functions. Over 240 random
requests (user, city spelled in any case, check-in, nights, filters, sort,
limit) the served answer must match it exactly: the hotels and their order,
every price, the counts, and the budget verdict ("no hotel fits" only when no
hotel of the whole city fits). A hotel whose price list was published more than
the prices' TTL (1 day) before now serves as expired: it is counted in
``excluded.data_expired`` and never offered.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.e2e.conftest import LiveServer
from tests.support.travel_data import TravelData

pytestmark = [pytest.mark.e2e, pytest.mark.spark]
REQUESTS = 240
SEED = 7_310_417  # used by no other test
CENT = Decimal("0.01")
SORTS = ("price", "rating", "fit")
PRICES_TTL = dt.timedelta(days=1)


def exact(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RawWorld:
    """The raw datasets, indexed for the oracle."""

    hotels: pd.DataFrame          # by hotel_id: name, city, stars, amenities
    prices: dict[int, dict[dt.date, tuple[float, int]]]
    users: pd.DataFrame           # by user_id: budget_per_night, preferred_*
    ratings: dict[int, Decimal]   # mean rating known at as_of, half up to the cent
    cities: list[str]
    amenities: list[str]
    first_day: dt.date
    expired: frozenset[int]       # hotels whose price list is older than PRICES_TTL


@pytest.fixture(scope="module")
def world(travel_data: TravelData) -> RawWorld:
    raw = travel_data.raw_dir
    hotels = pd.read_parquet(raw / "hotels.parquet").set_index("hotel_id")
    prices_frame = pd.read_parquet(raw / "prices.parquet")
    prices: dict[int, dict[dt.date, tuple[float, int]]] = {}
    for hotel_id, day, price, rooms in prices_frame[
            ["hotel_id", "date", "price", "rooms_available"]].itertuples(index=False):
        prices.setdefault(int(hotel_id), {})[day] = (float(price), int(rooms))
    bookings = pd.read_parquet(raw / "bookings.parquet")
    as_of = pd.Timestamp(travel_data.as_of)
    check_out = (pd.to_datetime(bookings.check_in).dt.tz_localize("UTC")
                 + pd.to_timedelta(bookings.nights, unit="D"))
    known = bookings[bookings.rating.notna() & (check_out <= as_of) & (bookings.booked_at < as_of)]
    ratings = {
        int(hotel_id): cents(sum(map(exact, group), Decimal(0)) / len(group))
        for hotel_id, group in known.groupby("hotel_id").rating
    }
    cities = sorted(pd.read_parquet(raw / "cities.parquet").city)
    amenities = sorted({name for names in hotels.amenities for name in names})
    users = pd.read_parquet(raw / "users.parquet").set_index("user_id")
    first_day = min(day for days in prices.values() for day in days)
    published = prices_frame.groupby("hotel_id").published_at.max()
    now = pd.Timestamp(dt.datetime.now(dt.UTC))
    expired = frozenset(int(hotel_id) for hotel_id in published[published < now - PRICES_TTL]
                        .index)
    return RawWorld(hotels, prices, users, ratings, cities, amenities, first_day, expired)


@dataclass(frozen=True)
class Request:
    user_id: int | None
    city: str
    check_in: dt.date
    nights: int
    max_price_per_night: float | None
    min_stars: int | None
    amenities: list[str] | None
    sort: str
    limit: int

    def search_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"city": self.city, "check_in": self.check_in.isoformat(),
                                "nights": self.nights, "sort": self.sort, "limit": self.limit}
        optional = {"user_id": self.user_id, "max_price_per_night": self.max_price_per_night,
                    "min_stars": self.min_stars, "amenities": self.amenities}
        body.update({name: value for name, value in optional.items() if value is not None})
        return body


def spelled(rng: random.Random, city: str) -> str:
    """The city as a traveller might type it: any case, stray spaces."""
    return rng.choice([city, city.lower(), city.upper(), f"  {city.lower()} ", city.title()])


def random_requests(world: RawWorld, today: dt.date) -> list[Request]:
    rng = random.Random(SEED)
    users = world.users.index.tolist()
    last_day = max(day for days in world.prices.values() for day in days)
    requests = []
    for _ in range(REQUESTS):
        nights = rng.randint(1, 10)
        first = max(today + dt.timedelta(days=1), world.first_day)
        check_in = first + dt.timedelta(days=rng.randint(0, (last_day - first).days - nights + 1))
        requests.append(Request(
            user_id=None if rng.random() < 0.1 else rng.choice(users),
            city=spelled(rng, rng.choice(world.cities)), check_in=check_in, nights=nights,
            max_price_per_night=(None if rng.random() < 0.5
                                 else float(rng.choice([60, 90, 120, 150.5, 200, 350]))),
            min_stars=None if rng.random() < 0.6 else rng.randint(1, 5),
            amenities=(None if rng.random() < 0.6
                       else rng.sample(world.amenities, rng.randint(1, 2))),
            sort=rng.choice(SORTS), limit=rng.randint(1, 20),
        ))
    return requests


@dataclass
class Stay:
    hotel_id: int
    nightly: list[Decimal]
    total: Decimal
    rooms: int
    stars: int
    rating: Decimal | None
    amenities: set[str]


def city_stays(world: RawWorld, city: str, check_in: dt.date,
               nights: int) -> tuple[list[Stay], int, int, int]:
    """The city's hotels that can host the stay; the counts without rooms, with expired
    prices; the hotel count."""
    in_city = world.hotels[world.hotels.city == city]
    stays, sold_out, expired = [], 0, 0
    for hotel_id, row in in_city.iterrows():
        if int(hotel_id) in world.expired:
            expired += 1
            continue
        days = [check_in + dt.timedelta(days=offset) for offset in range(nights)]
        nights_known = [world.prices[int(hotel_id)][day] for day in days]
        if min(rooms for _, rooms in nights_known) <= 0:
            sold_out += 1
            continue
        nightly = [exact(price) for price, _ in nights_known]
        stays.append(Stay(int(hotel_id), nightly, sum(nightly, Decimal(0)),
                          min(rooms for _, rooms in nights_known), int(row.stars),
                          world.ratings.get(int(hotel_id)), {a.lower() for a in row.amenities}))
    return stays, sold_out, expired, len(in_city)


def fit_score(stay: Stay, profile: pd.Series | None) -> Decimal:
    rating = stay.rating if stay.rating is not None else Decimal(0)
    if profile is None:
        return rating
    matched = len(stay.amenities & {a.lower() for a in profile.preferred_amenities})
    gap = abs(stay.stars - int(profile.preferred_stars))
    return rating + Decimal("0.3") * matched - Decimal("0.5") * gap


def unrated_last(stay: Stay) -> Decimal:
    return Decimal(1) if stay.rating is None else -stay.rating


def expected_search(world: RawWorld, request: Request) -> dict[str, Any]:
    city = next(name for name in world.cities if name.lower() == request.city.strip().lower())
    stays, sold_out, expired, in_city = city_stays(world, city, request.check_in,
                                                   request.nights)
    profile = None if request.user_id is None else world.users.loc[request.user_id]
    budget = None if profile is None else exact(profile.budget_per_night)
    wanted = {amenity.lower() for amenity in request.amenities or ()}
    excluded = {"data_expired": expired, "no_rooms": sold_out, "below_min_stars": 0,
                "missing_amenities": 0, "over_max_price": 0}
    matches = []
    for stay in stays:
        if request.min_stars is not None and stay.stars < request.min_stars:
            excluded["below_min_stars"] += 1
        elif not wanted <= stay.amenities:
            excluded["missing_amenities"] += 1
        elif (request.max_price_per_night is not None
              and stay.total > exact(request.max_price_per_night) * request.nights):
            excluded["over_max_price"] += 1
        else:
            matches.append(stay)

    def within(stay: Stay) -> bool | None:
        return None if budget is None else stay.total <= budget * request.nights

    orders = {
        "price": lambda stay: (stay.total, unrated_last(stay), stay.hotel_id),
        "rating": lambda stay: (unrated_last(stay), stay.total, stay.hotel_id),
        "fit": lambda stay: (within(stay) is False, -fit_score(stay, profile), stay.total,
                             stay.hotel_id),
    }
    ordered = sorted(matches, key=orders[request.sort])
    return {
        "city": city, "in_city": in_city, "excluded": excluded, "matching": len(matches),
        "within_budget": None if budget is None else sum(1 for s in matches if within(s)),
        "hotels": [(stay, within(stay), cents(fit_score(stay, profile)))
                   for stay in ordered[:request.limit]],
        "budget": budget,
    }


def expected_offers(world: RawWorld, request: Request) -> dict[str, Any]:
    city = next(name for name in world.cities if name.lower() == request.city.strip().lower())
    stays, _, _, _ = city_stays(world, city, request.check_in, request.nights)
    assert request.user_id is not None
    profile = world.users.loc[request.user_id]
    budget = exact(profile.budget_per_night) * request.nights
    fitting = [stay for stay in stays if stay.total <= budget]
    if fitting:
        chosen = sorted(fitting, key=lambda s: (-fit_score(s, profile), s.total, s.hotel_id))
    else:
        chosen = sorted(stays, key=lambda s: (s.total, unrated_last(s), s.hotel_id))
    return {"available": len(stays), "fitting": len(fitting),
            "offers": [stay.hotel_id for stay in chosen[:5]]}


def money_of(value: float) -> Decimal:
    return exact(value)


def compare_search(world: RawWorld, request: Request, served: dict[str, Any],
                   expected: dict[str, Any]) -> list[str]:
    problems = []
    outputs = served["outputs"]
    if outputs["city_name"] != expected["city"]:
        problems.append(f"city {outputs['city_name']} != {expected['city']}")
    for name in ("matching", "within_budget"):
        if outputs[name] != expected[name]:
            problems.append(f"{name} {outputs[name]} != {expected[name]}")
    if outputs["hotels_in_city"] != expected["in_city"]:
        problems.append("hotels_in_city")
    for reason, count in expected["excluded"].items():
        if outputs["excluded"][reason] != count:
            problems.append(f"excluded.{reason} {outputs['excluded'][reason]} != {count}")
    got = [hotel["hotel_id"] for hotel in outputs["hotels"]]
    want = [stay.hotel_id for stay, _, _ in expected["hotels"]]
    if got != want:
        return [*problems, f"hotels {got} != {want}"]
    for hotel, (stay, within, fit) in zip(outputs["hotels"], expected["hotels"], strict=True):
        row = world.hotels.loc[stay.hotel_id]
        figures = {
            "name": (hotel["name"], row["name"]),
            "stars": (hotel["stars"], stay.stars),
            "nightly_prices": ([money_of(p) for p in hotel["nightly_prices"]], stay.nightly),
            "total_price": (money_of(hotel["total_price"]), stay.total),
            "price_per_night": (money_of(hotel["price_per_night"]),
                                cents(stay.total / request.nights)),
            "rooms_left": (hotel["rooms_left"], stay.rooms),
            "within_budget": (hotel["within_budget"], within),
            "fit_score": (money_of(hotel["fit_score"]), fit),
            "amenities": ({a.lower() for a in hotel["amenities"]}, stay.amenities),
        }
        problems += [f"hotel {stay.hotel_id} {name}: {got!r} != {want!r}"
                     for name, (got, want) in figures.items() if got != want]
        served_rating = None if hotel["rating"] is None else money_of(hotel["rating"])
        if (served_rating is None) != (stay.rating is None) or (
                served_rating is not None and stay.rating is not None
                and abs(served_rating - stay.rating) > CENT):
            problems.append(f"hotel {stay.hotel_id} rating {served_rating} != {stay.rating}")
    return problems


def test_every_figure_and_conclusion_matches_the_raw_data(
    live_server: LiveServer, travel_data: TravelData, world: RawWorld,
) -> None:
    requests = random_requests(world, dt.datetime.now(dt.UTC).date())
    headers = {"Authorization": f"Bearer {live_server.token}"}
    mismatches: list[str] = []
    verdicts = {"fits": 0, "none_fit": 0}
    left_out_as_expired = 0
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
        for number, request in enumerate(requests):
            served = http.post("/v1/endpoints/hotel_search/invoke", json=request.search_body())
            assert served.status_code == 200, (request, served.text)
            expected = expected_search(world, request)
            left_out_as_expired += expected["excluded"]["data_expired"] > 0
            mismatches += [f"request {number} {request}: {problem}"
                           for problem in compare_search(world, request, served.json(), expected)]
            if request.user_id is None:
                continue
            offers = http.post("/v1/endpoints/hotel_offers/invoke", json={
                "user_id": request.user_id, "city": request.city,
                "check_in": request.check_in.isoformat(), "nights": request.nights})
            assert offers.status_code == 200, offers.text
            outputs, oracle = offers.json()["outputs"], expected_offers(world, request)
            served_ids = [offer["hotel_id"] for offer in outputs["ranked_offers"]]
            if (outputs["hotels_available"], outputs["hotels_within_budget"], served_ids) != (
                    oracle["available"], oracle["fitting"], oracle["offers"]):
                mismatches.append(f"offers {number} {request}: {outputs} != {oracle}")
            no_hotel_fits = outputs["hotels_within_budget"] == 0 and outputs["hotels_available"]
            assert bool(no_hotel_fits) == (oracle["fitting"] == 0 and oracle["available"] > 0)
            verdicts["none_fit" if no_hotel_fits else "fits"] += 1
    assert mismatches == [], "\n".join(mismatches[:20])
    assert verdicts["fits"] > 20 and verdicts["none_fit"] > 5, verdicts  # both verdicts tested
    assert world.expired and left_out_as_expired > 10, left_out_as_expired  # stale data tested
