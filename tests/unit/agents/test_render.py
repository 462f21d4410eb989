"""The grounded answer: figures copied from tool results, conclusions only when true."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from groundwork.agents.question import TravelQuestion
from groundwork.agents.render import count_in_words, humanised_age, money, render_answer
from groundwork.agents.rest import error_data
from groundwork.agents.travel_planner import ToolCallRecord
from tests.unit.agents.fake_platform import (
    HOTELS_LISBON,
    NO_EXCLUSION,
    PROFILE_42,
    PROFILE_FRESH,
    SEARCH_FRESHNESS,
)
from tests.unit.agents.grounding import ungrounded_figures

QUESTION = TravelQuestion(42, "lisbon", dt.date(2026, 12, 4), 3)


def body(outputs: dict[str, Any], freshness: list[dict[str, Any]], **errors: Any) -> dict:
    return {"endpoint": "test", "outputs": outputs, "freshness": freshness, "errors": errors,
            "trace_id": "trace"}


def search_body(hotels: list[dict[str, Any]] = HOTELS_LISBON, *,
                freshness: list[dict[str, Any]] | None = None, **outputs: Any) -> dict:
    """A ``hotel_search`` success body shaped per the endpoint's contract."""
    values = {
        "city_name": "Lisbon", "check_out": "2026-12-07",
        "price_window": {"first_night": "2026-11-20", "last_night": "2027-02-17"},
        "hotels": hotels, "matching": len(hotels), "within_budget": 1,
        "budget_per_night": 170.8, "budget_total": 512.4,
        "excluded": {**NO_EXCLUSION, "no_rooms": 1}, "hotels_in_city": 3,
        **outputs,
    }
    return body(values, [PROFILE_FRESH, *SEARCH_FRESHNESS] if freshness is None else freshness)


PROFILE = body(PROFILE_42, [PROFILE_FRESH])
SEARCH = search_body()


def render(profile: dict = PROFILE, search: dict = SEARCH,
           question: TravelQuestion = QUESTION) -> str:
    return render_answer(question, profile, search)


def calls(profile: dict, search: dict, question: TravelQuestion = QUESTION) -> list:
    return [ToolCallRecord("user_profile", question.profile_arguments(), profile),
            ToolCallRecord("hotel_search", question.search_arguments(), search)]


def test_the_answer_states_stay_budget_hotels_and_freshness() -> None:
    assert render().splitlines() == [
        "Stay in Lisbon for user 42: 3 nights, 2026-12-04 to 2026-12-07.",
        "Budget: €170.80 per night, €512.40 for the stay.",
        "Prefers 4-star hotels with spa, pool.",
        "Search: best fit for user 42 first.",
        "1 of 2 matching hotels fits the budget of €170.80 a night.",
        "The best fits for user 42:",
        "- Casa do Rio (4-star, rated 4.6; spa, wifi): €498.30 for the stay, €166.10 per night, "
        "within budget, 3 rooms left.",
        "- Alfama Palace (5-star, rated 4.8; pool, spa): €620.25 for the stay, €206.75 per "
        "night, over budget, 1 room left.",
        "Prices as of two hours ago at the oldest; hotel details as of thirty minutes ago at "
        "the oldest; profile as of thirty-five minutes ago.",
    ]


def test_every_figure_comes_from_the_tool_calls() -> None:
    question = dataclasses.replace(QUESTION, max_price_per_night=250.0, min_stars=4,
                                   amenities=("spa",), sort="price",
                                   not_applied=("the number of guests (the search does "
                                                "not take one)",))
    answer = render(question=question)

    assert ungrounded_figures(answer, calls(PROFILE, SEARCH, question)) == []
    assert ungrounded_figures(answer + " Only €99.99 tonight!",
                              calls(PROFILE, SEARCH, question)) == ["99.99"]


def test_the_constraints_searched_and_those_not_applied_are_said() -> None:
    question = dataclasses.replace(
        QUESTION, max_price_per_night=250.0, min_stars=4, amenities=("spa", "wifi"),
        sort="price", not_applied=("the number of guests (the search does not take one)",
                                   "a second user id (one traveller per question)"))

    answer = render(question=question)

    assert "Search: at least 4 stars; at most €250.00 a night; with spa, wifi; cheapest " \
           "first." in answer
    assert "Not applied: the number of guests (the search does not take one); a second user " \
           "id (one traveller per question)." in answer


def test_nothing_is_said_not_applied_when_everything_was() -> None:
    assert "Not applied" not in render()


@pytest.mark.parametrize(
    ("sort", "heading"),
    [("price", "The cheapest:"), ("rating", "The best rated:"),
     ("fit", "The best fits for user 42:")],
)
def test_the_cheapest_is_said_only_when_sorted_by_price(sort: str, heading: str) -> None:
    answer = render(question=dataclasses.replace(QUESTION, sort=sort))

    assert heading in answer.splitlines()
    assert ("cheapest" in answer) == (sort == "price")


def test_no_hotel_fits_the_budget_only_when_none_of_the_matching_does() -> None:
    over = [{**hotel, "within_budget": False} for hotel in HOTELS_LISBON]

    answer = render(search=search_body(over, within_budget=0))

    assert "No hotel in Lisbon fits the budget of €170.80 a night; 2 matching hotels are " \
           "over it." in answer
    assert answer.count("over budget") == 2
    assert "within budget" not in answer


def test_a_budget_verdict_counts_from_the_result() -> None:
    within = [{**hotel, "within_budget": True} for hotel in HOTELS_LISBON]

    answer = render(search=search_body(within, within_budget=2))

    assert "2 of 2 matching hotels fit the budget of €170.80 a night." in answer
    assert "No hotel" not in answer


def test_without_a_budget_there_is_no_verdict() -> None:
    unknown = [{**hotel, "within_budget": None} for hotel in HOTELS_LISBON]
    search = search_body(unknown, within_budget=None, budget_per_night=None, budget_total=None)
    profile = body({**PROFILE_42, "budget_per_night": None}, [PROFILE_FRESH])

    answer = render(profile, search)

    assert "2 hotels in Lisbon match the search." in answer
    assert "No budget is on file for user 42." in answer
    assert "budget" not in answer.replace("No budget is on file", "")


def test_no_room_for_the_stay_is_said_only_when_rooms_are_the_one_reason() -> None:
    search = search_body([], matching=0, within_budget=0,
                         excluded={**NO_EXCLUSION, "no_rooms": 3})

    answer = render(search=search)

    assert "No hotel in Lisbon has rooms for the whole stay." in answer
    assert "Of the 3 hotels in Lisbon: 3 have no room for the whole stay." in answer
    assert "fits the budget" not in answer and "The best fits" not in answer


def test_when_nothing_matches_every_reason_is_given() -> None:
    question = dataclasses.replace(QUESTION, max_price_per_night=90.0, min_stars=4,
                                   amenities=("pool",))
    excluded = {**NO_EXCLUSION, "no_rooms": 1, "no_price": 1, "over_max_price": 5,
                "below_min_stars": 2, "missing_amenities": 1, "data_missing": 1,
                "data_expired": 1}
    search = search_body([], matching=0, within_budget=0, hotels_in_city=12,
                         excluded=excluded)

    answer = render(search=search, question=question)

    assert "No hotel in Lisbon matches the search." in answer
    assert "No hotel in Lisbon has rooms" not in answer
    assert ("Of the 12 hotels in Lisbon: 1 has no room for the whole stay; 1 has no price for "
            "these nights; 5 cost more than €90.00 a night; 2 have fewer than 4 stars; "
            "1 lacks pool; 1 has missing data; 1 has expired data.") in answer
    assert "fits the budget" not in answer
    assert ungrounded_figures(answer, calls(PROFILE, search, question)) == []


def test_a_city_without_hotels_is_said_plainly() -> None:
    search = search_body([], matching=0, within_budget=None, hotels_in_city=0,
                         excluded=NO_EXCLUSION)

    assert "No hotel in Lisbon is known to the search." in render(search=search)


def test_hotels_left_out_for_their_data_are_counted() -> None:
    search = search_body(excluded={**NO_EXCLUSION, "data_missing": 2, "data_expired": 1})

    answer = render(search=search)

    assert "2 hotels were left out because their data is missing." in answer
    assert "1 hotel was left out because its data is expired." in answer


def test_the_resolved_city_name_and_check_out_are_the_searchs() -> None:
    first_line = render(question=dataclasses.replace(QUESTION, city="LISBOA ")).splitlines()[0]

    assert first_line == "Stay in Lisbon for user 42: 3 nights, 2026-12-04 to 2026-12-07."


def test_each_source_has_its_own_age() -> None:
    search_profile = {**PROFILE_FRESH, "age_seconds": 30.0}
    prices = {**SEARCH_FRESHNESS[2], "age_seconds": 3 * 86_400.0}
    details = {**SEARCH_FRESHNESS[1], "age_seconds": 7200.0}
    city = {**SEARCH_FRESHNESS[0], "age_seconds": 10.0}
    search = search_body(freshness=[search_profile, city, details, prices])

    answer = render(search=search)

    assert answer.splitlines()[-1] == (
        "Prices as of three days ago at the oldest; hotel details as of two hours ago at the "
        "oldest; profile as of thirty-five minutes ago.")


def test_prices_read_per_hotel_are_aged_by_their_oldest() -> None:
    prices = [{"view": "hotel_prices", "key": key, "status": "PRESENT",
               "event_ts": "2026-11-21T19:25:00Z", "age_seconds": age}
              for key, age in ((101, 600.0), (205, 7200.0))]

    answer = render(search=search_body(freshness=prices))

    assert "Prices as of two hours ago at the oldest; profile as of" in answer
    assert "hotel details" not in answer


@pytest.mark.parametrize("status", ["MISSING", "EXPIRED"])
def test_a_missing_or_expired_profile_is_said_plainly(status: str) -> None:
    age = 4 * 86_400.0 if status == "EXPIRED" else None
    entry = {**PROFILE_FRESH, "status": status, "age_seconds": age}
    profile = body(dict.fromkeys(PROFILE_42), [entry])
    unknown = [{**hotel, "within_budget": None} for hotel in HOTELS_LISBON]
    search = search_body(unknown, within_budget=None, budget_per_night=None, budget_total=None)

    answer = render(profile, search)

    expected = ("There is no profile for user 42" if status == "MISSING"
                else "The profile of user 42 has expired (last updated four days ago)")
    assert expected in answer
    assert "Budget:" not in answer and "within budget" not in answer
    assert "profile as of" not in answer


def test_an_unrated_hotel_without_amenities() -> None:
    hotel = {**HOTELS_LISBON[0], "rating": None, "amenities": []}

    assert "- Casa do Rio (4-star, not rated yet): " in render(search=search_body([hotel]))


def test_failed_steps_are_mentioned() -> None:
    search = body(SEARCH["outputs"], SEARCH_FRESHNESS,
                  hotels={"code": "timeout", "message": "too slow"})

    assert "Part of the data could not be computed: hotels (timeout)." in render(search=search)


def search_error(code: str, status: int, **details: Any) -> dict:
    return error_data(code, "Fixed message.", status=status, details=details)


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (search_error("unknown_city", 404, city="Atlantis", suggestions=["Athens", "Antwerp"]),
         "No city named 'Atlantis' is known. Closest known names: Athens, Antwerp."),
        (search_error("unknown_city", 404, city="Qqq", suggestions=[]),
         "No city named 'Qqq' is known."),
        (search_error("check_in_in_past", 422, check_in="2026-11-01", today="2026-11-18"),
         "The check-in date 2026-11-01 is in the past (today is 2026-11-18)."),
        (search_error("dates_outside_price_window", 422, check_in="2027-03-01",
                      check_out="2027-03-04", first_night="2026-11-20",
                      last_night="2027-02-17"),
         "Prices are known for the nights from 2026-11-20 to 2027-02-17; the stay from "
         "2027-03-01 to 2027-03-04 is not covered by them."),
        (search_error("stay_too_long", 422, field="nights", nights=45, limit=30),
         "A stay can last at most 30 nights; 45 were asked for."),
        (search_error("data_missing", 503, source="city_top_hotels", city="Lisbon"),
         "I could not search hotels: the city_top_hotels data for Lisbon is missing."),
        (search_error("data_expired", 503, source="city_directory"),
         "I could not search hotels: the city_directory data has expired."),
        (search_error("access_denied", 403, field="user_id"),
         "I may not search hotels: this agent's token does not allow acting for user 42 "
         "(access_denied)."),
        (search_error("access_denied", 403),
         "I may not search hotels: this agent holds no grant for it (access_denied)."),
        (error_data("store_unavailable", "The online store did not answer.", status=503),
         "I could not search hotels: The online store did not answer (store_unavailable)."),
    ],
)
def test_each_search_error_gets_its_sentence(error: dict, sentence: str) -> None:
    answer = render(search=error)

    assert sentence in answer.splitlines()
    assert answer.splitlines()[0] == "Stay in lisbon for user 42: 3 nights, 2026-12-04."
    assert ungrounded_figures(answer, calls(PROFILE, error)) == []
    assert "Prices as of" not in answer


def test_a_profile_refused_for_another_user_is_said_plainly() -> None:
    refused = search_error("access_denied", 403, field="user_id")
    question = dataclasses.replace(QUESTION, user_id=43)

    answer = render(refused, refused, question)

    assert "I may not read the profile of user 43: this agent's token does not allow acting " \
           "for user 43 (access_denied)." in answer
    assert "I may not search hotels: this agent's token does not allow acting for user 43 " \
           "(access_denied)." in answer


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (12.0, "just now"), (60.0, "one minute ago"), (2100.0, "thirty-five minutes ago"),
        (5000.0, "eighty-three minutes ago"), (7230.5, "two hours ago"),
        (3600.0 * 21, "twenty-one hours ago"), (86_400.0 * 3, "three days ago"),
        (86_400.0 * 400, "more than ninety-nine days ago"),
    ],
)
def test_humanised_age(seconds: float, text: str) -> None:
    assert humanised_age(seconds) == text


@pytest.mark.parametrize(("count", "text"), [(0, "zero"), (13, "thirteen"), (40, "forty"),
                                              (42, "forty-two"), (99, "ninety-nine")])
def test_count_in_words(count: int, text: str) -> None:
    assert count_in_words(count) == text


@pytest.mark.parametrize(("amount", "text"), [(512.4, "€512.40"), (498.3, "€498.30"),
                                               (1200, "€1200.00"), (166.1, "€166.10")])
def test_money(amount: float, text: str) -> None:
    assert money(amount) == text


def test_a_budget_read_by_the_search_alone_is_said_with_the_profiles_age() -> None:
    refused = error_data("tool_not_available", "The tool user_profile is not available.")

    answer = render(profile=refused)

    assert "Budget: €170.80 per night, €512.40 for the stay." in answer
    assert answer.endswith("hotel details as of thirty minutes ago at the oldest; profile as of "
                           "thirty-five minutes ago.")
