"""The travel functions are pure: plain values in, plain values out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from groundwork.errors import GroundworkError
from groundwork.functions.destinations import city_hotels, city_name, normalised
from groundwork.functions.money import money, to_cents
from groundwork.functions.travel import (
    StayOptions,
    budget_total,
    check_out,
    hotels_within_budget,
    ranked_offers,
    search,
    stay_dates,
    stay_options,
)

D0 = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
SYNCED = NOW - dt.timedelta(hours=2)
CITIES = ["Lisbon", "Paris", "Rome", "Florence", "Zurich", "São Paulo"]


def test_money_rounds_half_up_to_the_cent() -> None:
    assert to_cents(Decimal("96.675")) == Decimal("96.68")
    assert to_cents(Decimal("81.655")) == Decimal("81.66")
    assert to_cents(Decimal("81.654")) == Decimal("81.65")
    assert money(96.67) == Decimal("96.67")  # the float's shortest form, not its binary value
    assert money(0.1) + money(0.2) == Decimal("0.3")


def test_check_out_and_budget() -> None:
    assert check_out(D0, 3) == dt.date(2026, 12, 4)
    assert budget_total(150.5, 3) == Decimal("451.50")
    assert budget_total(None, 3) is None


def test_a_check_in_before_today_is_refused_with_today() -> None:
    assert stay_dates(D0, 2, NOW) == D0
    with pytest.raises(GroundworkError) as refused:
        stay_dates(D0 - dt.timedelta(days=1), 2, NOW)
    assert refused.value.code == "check_in_in_past"
    assert refused.value.details == {"check_in": "2026-11-30", "today": "2026-12-01"}


@pytest.mark.parametrize("asked", ["Lisbon", "lisbon", " LISBON ", "lisbón"])
def test_a_city_matches_without_case_or_accents(asked: str) -> None:
    assert city_name(asked, CITIES, SYNCED) == "Lisbon"


def test_accents_of_the_data_do_not_matter_either() -> None:
    assert city_name("sao paulo", CITIES, SYNCED) == "São Paulo"
    assert normalised("  Zürich ") == "zurich"


@pytest.mark.parametrize(("asked", "first"), [
    ("Atlantis", None), ("Pariss", "Paris"), ("Rome or Florence", "Rome"), ("Zürichh", "Zurich"),
])
def test_an_unknown_city_names_the_closest_known_ones(asked: str, first: str | None) -> None:
    with pytest.raises(GroundworkError) as refused:
        city_name(asked, CITIES, SYNCED)
    error = refused.value
    assert (error.code, error.status_code) == ("unknown_city", 404)
    suggestions = error.details["suggestions"]
    assert len(suggestions) == 3 and set(suggestions) <= set(CITIES)
    if first is not None:
        assert suggestions[0] == first
    if asked == "Rome or Florence":
        assert set(suggestions[:2]) == {"Rome", "Florence"}
    assert all(name in error.message for name in suggestions)


def test_a_missing_or_expired_directory_or_city_names_its_source() -> None:
    with pytest.raises(GroundworkError) as missing:
        city_name("Lisbon", None, None)
    assert (missing.value.code, missing.value.details["source"]) == ("data_missing",
                                                                     "city_directory")
    with pytest.raises(GroundworkError) as expired:
        city_hotels("Lisbon", None, SYNCED)
    assert (expired.value.code, expired.value.details["source"]) == ("data_expired",
                                                                     "city_top_hotels")
    assert city_hotels("Lisbon", [3, 1], SYNCED) == [3, 1]


def hotel_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The aligned per-hotel lists ``stay_options`` reads, from one dict per hotel."""
    columns = {
        "city_hotels": "id", "hotel_name": "name", "hotel_stars": "stars",
        "hotel_rating": "rating", "hotel_amenities": "amenities",
        "hotel_stats_as_of": "details_as_of", "prices_from": "first", "nightly_prices": "prices",
        "rooms_available": "rooms", "hotel_prices_as_of": "prices_as_of",
    }
    return {argument: [row[field] for row in rows] for argument, field in columns.items()}


def hotel(hotel_id: int, prices: list[float] | None, rooms: list[int] | None = None, *,
          stars: int = 3, rating: float | None = 4.0, amenities: tuple[str, ...] = ("wifi",),
          first: dt.date = D0, expired: bool = False, missing: bool = False) -> dict[str, Any]:
    synced = None if missing else SYNCED
    gone = expired or missing
    return {
        "id": hotel_id, "name": None if gone else f"Hotel {hotel_id}",
        "stars": None if gone else stars, "rating": None if gone else rating,
        "amenities": None if gone else list(amenities), "details_as_of": synced,
        "first": None if gone else first, "prices": None if gone else prices,
        "rooms": None if gone else (rooms or [2] * len(prices or [])), "prices_as_of": synced,
    }


def options(rows: list[dict[str, Any]], check_in: dt.date = D0, nights: int = 2) -> StayOptions:
    return stay_options("Lisbon", **hotel_rows(rows), stay_dates=check_in, nights=nights)


def test_stay_options_price_every_night_exactly_and_say_why_hotels_are_left_out() -> None:
    found = options([
        hotel(1, [96.67, 96.68, 50.0]),
        hotel(2, [80.0, 90.0, 70.0], [1, 0, 3]),       # sold out on the second night
        hotel(3, [10.0], first=D0),                     # no price for the second night
        hotel(4, None, expired=True),
        hotel(5, None, missing=True),
    ])
    (only,) = found["hotels"]
    assert only["nightly_prices"] == [Decimal("96.67"), Decimal("96.68")]
    assert only["total_price"] == Decimal("193.35")
    assert only["price_per_night"] == Decimal("96.68")  # 96.675 half up
    assert only["rooms_left"] == 2
    assert found["excluded"] == {"data_missing": 1, "data_expired": 1, "no_price": 1,
                                 "no_rooms": 1, "below_min_stars": 0, "missing_amenities": 0,
                                 "over_max_price": 0}
    assert found["hotels_in_city"] == 5
    assert found["price_window"] == {"first_night": D0, "last_night": D0 + dt.timedelta(days=2)}


def test_a_stay_outside_the_priced_nights_is_refused_with_the_window() -> None:
    with pytest.raises(GroundworkError) as refused:
        options([hotel(1, [50.0] * 5)], check_in=D0 + dt.timedelta(days=4), nights=2)
    assert refused.value.code == "dates_outside_price_window"
    assert refused.value.details["first_night"] == "2026-12-01"
    assert refused.value.details["last_night"] == "2026-12-05"


@pytest.mark.parametrize(("expired", "code"), [(True, "data_expired"), (False, "data_missing")])
def test_a_city_without_usable_hotel_data_is_refused_naming_the_source(expired: bool,
                                                                       code: str) -> None:
    with pytest.raises(GroundworkError) as refused:
        options([hotel(1, None, expired=expired, missing=not expired)])
    assert refused.value.code == code
    assert refused.value.details["source"] == "hotel_stats"


def test_a_city_without_hotels_has_no_options_and_no_error() -> None:
    assert options([])["hotels"] == []


def searched(found: StayOptions, **arguments: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "nights": 2, "max_price_per_night": None, "min_stars": None, "amenities": None,
        "budget_per_night": None, "preferred_stars": None, "preferred_amenities": None,
        "sort": "price", "limit": 10,
    }
    return dict(search(found, **{**defaults, **arguments}))


CITY = [
    hotel(1, [100.0, 100.0], stars=4, rating=4.5, amenities=("wifi", "pool")),
    hotel(2, [100.0, 100.0], stars=3, rating=4.5, amenities=("wifi",)),
    hotel(3, [100.0, 100.0], stars=5, rating=4.8, amenities=("spa", "Pool")),
    hotel(4, [60.0, 60.01], stars=2, rating=None, amenities=()),
    hotel(5, [150.0, 150.0], stars=5, rating=3.9, amenities=("pool", "spa", "wifi")),
]


def ids(result: dict[str, Any]) -> list[int]:
    return [match["hotel_id"] for match in result["hotels"]]


def test_price_order_breaks_ties_by_rating_then_hotel_id() -> None:
    result = searched(options(CITY))
    assert ids(result) == [4, 3, 1, 2, 5]
    assert result["matching"] == 5 and result["within_budget"] is None


def test_rating_order_puts_unrated_hotels_last() -> None:
    assert ids(searched(options(CITY), sort="rating")) == [3, 1, 2, 5, 4]


def test_filters_apply_together_and_count_what_they_leave_out() -> None:
    result = searched(options(CITY), min_stars=3, amenities=["POOL"], max_price_per_night=100)
    assert ids(result) == [3, 1]
    assert result["excluded"]["below_min_stars"] == 1
    assert result["excluded"]["missing_amenities"] == 1
    assert result["excluded"]["over_max_price"] == 1


def test_fit_puts_the_budget_first_and_counts_the_whole_city() -> None:
    result = searched(options(CITY), sort="fit", budget_per_night=100.0, preferred_stars=4,
                      preferred_amenities=["pool"], limit=2)
    assert ids(result) == [1, 3]  # 4.5 + 0.3 beats 4.8 + 0.3 - 0.5; hotel 5 is over budget
    assert result["within_budget"] == 4 and result["matching"] == 5
    assert result["hotels"][0]["fit_score"] == Decimal("4.80")
    assert [match["within_budget"] for match in result["hotels"]] == [True, True]


def test_the_offers_are_the_fitting_ones_or_else_the_cheapest_over_budget() -> None:
    found = options(CITY)
    fitting = ranked_offers(found, 100.0, 4, ["pool"], 2)
    assert [offer["hotel_id"] for offer in fitting] == [1, 3, 2, 4]
    assert hotels_within_budget(found, 100.0, 2) == 4
    over = ranked_offers(found, 50.0, 4, ["pool"], 2, limit=3)
    assert [offer["hotel_id"] for offer in over] == [4, 3, 1]  # cheapest, then better rated
    assert not any(offer["within_budget"] for offer in over)
    assert hotels_within_budget(found, 50.0, 2) == 0
