"""The travel functions are pure: plain values in, plain values out."""

from __future__ import annotations

import datetime as dt

from groundwork.functions.travel import (
    HotelOffer,
    budget_total,
    check_out,
    hotel_offers,
    ranked_offers,
    rooms_left,
    stay_totals,
)

D0 = dt.date(2026, 12, 1)


def test_check_out_and_budget() -> None:
    assert check_out(D0, 3) == dt.date(2026, 12, 4)
    assert budget_total(120.5, 3) == 361.5
    assert budget_total(None, 3) is None


def test_stay_totals_use_the_right_nights_and_refuse_sold_out() -> None:
    prices = [[100.0, 110.0, 120.0, 130.0], [50.0, 60.0, 70.0, 80.0], None, [1.0, 2.0]]
    rooms = [[5, 4, 3, 2], [1, 0, 1, 1], [1, 1], [3, 3]]
    starts = [D0, D0, D0, D0]
    assert stay_totals(prices, rooms, starts, D0 + dt.timedelta(days=1), 2) == [
        230.0, None, None, None]
    assert rooms_left(rooms, starts, D0 + dt.timedelta(days=1), 2) == [3, 0, 0, 0]
    assert stay_totals(prices, rooms, starts, D0 - dt.timedelta(days=1), 1) == [
        None, None, None, None]


def test_offers_skip_unknown_hotels_and_rank_budget_first() -> None:
    offers = hotel_offers(
        top_hotel_ids=[1, 2, 3, 4], hotel_name=["A", "B", None, "D"],
        hotel_stars=[5, 3, 4, 4], hotel_rating=[4.9, 4.0, 4.5, None],
        hotel_amenities=[["spa"], ["wifi", "pool"], None, None],
        stay_totals=[900.0, 300.0, 200.0, 330.0], rooms_left=[2, 5, 1, 1],
        budget_total=400.0, nights=3,
    )
    assert [offer["hotel_id"] for offer in offers] == [1, 2, 4]
    assert offers[1]["price_per_night"] == 100.0
    assert [offer["within_budget"] for offer in offers] == [False, True, True]
    ranked: list[HotelOffer] = ranked_offers(offers, preferred_stars=3,
                                             preferred_amenities=["pool"], limit=2)
    assert [offer["hotel_id"] for offer in ranked] == [2, 4]
