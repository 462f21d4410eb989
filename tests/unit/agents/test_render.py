"""The grounded answer: figures copied from tool results, gaps said plainly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from groundwork.agents.question import TravelQuestion
from groundwork.agents.render import count_in_words, humanised_age, money, render_answer
from groundwork.agents.rest import error_data
from groundwork.agents.travel_planner import ToolCallRecord
from tests.unit.agents.fake_platform import OFFERS_LISBON, PRICES_FRESH, PROFILE_42, PROFILE_FRESH
from tests.unit.agents.grounding import ungrounded_figures

QUESTION = TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 3)


def body(outputs: dict[str, Any], freshness: list[dict[str, Any]], **errors: Any) -> dict:
    return {"endpoint": "test", "outputs": outputs, "freshness": freshness, "errors": errors,
            "trace_id": "trace"}


def offers_body(offers: list[dict[str, Any]], budget_total: float | None = 512.4) -> dict:
    outputs = {"check_out": "2026-12-07", "budget_per_night": 170.8,
               "budget_total": budget_total, "ranked_offers": offers}
    return body(outputs, [PROFILE_FRESH, *PRICES_FRESH])


PROFILE = body(PROFILE_42, [PROFILE_FRESH])
OFFERS = offers_body(OFFERS_LISBON)


def render(profile: dict = PROFILE, offers: dict = OFFERS) -> str:
    return render_answer(QUESTION, profile, offers)


def test_the_answer_states_budget_dates_offers_and_freshness() -> None:
    answer = render()

    assert answer.splitlines() == [
        "Stay in Lisbon for user 42: 3 nights, 2026-12-04 to 2026-12-07.",
        "Budget: €170.80 per night, €512.40 for the stay.",
        "Prefers 4-star hotels with spa, pool.",
        "Top offers:",
        "- Casa do Rio (4-star, rated 4.6): €498.30 for the stay (€166.10 per night), "
        "within budget, 3 rooms left.",
        "- Alfama Palace (5-star, rated 4.8): €620.25 for the stay (€206.75 per night), "
        "over the €512.40 budget, 1 room left.",
        "Prices as of two hours ago; profile as of thirty-five minutes ago.",
    ]


def test_every_figure_comes_from_the_tool_calls() -> None:
    calls = [
        ToolCallRecord("user_profile", QUESTION.profile_arguments(), PROFILE),
        ToolCallRecord("hotel_offers", QUESTION.offers_arguments(), OFFERS),
    ]

    assert ungrounded_figures(render(), calls) == []
    assert ungrounded_figures(render() + " Only €99.99 tonight!", calls) == ["99.99"]


@pytest.mark.parametrize("status", ["MISSING", "EXPIRED"])
def test_a_missing_or_expired_profile_is_said_plainly(status: str) -> None:
    age = 4 * 86_400.0 if status == "EXPIRED" else None
    entry = {**PROFILE_FRESH, "status": status, "age_seconds": age}
    profile = body(dict.fromkeys(PROFILE_42), [entry])
    offers = offers_body([{**offer, "within_budget": True} for offer in OFFERS_LISBON], None)

    answer = render(profile, offers)

    expected = ("There is no profile for user 42" if status == "MISSING"
                else "The profile of user 42 has expired (last updated four days ago)")
    assert expected in answer
    assert "Budget:" not in answer and "within budget" not in answer
    assert "profile as of" not in answer


def test_no_hotel_for_the_stay_is_said_plainly() -> None:
    answer = render(offers=offers_body([]))

    assert "No hotel in Lisbon can host the whole stay." in answer
    assert "Top offers" not in answer


def test_no_hotel_within_budget_is_said_plainly() -> None:
    over = [{**offer, "within_budget": False} for offer in OFFERS_LISBON]

    answer = render(offers=offers_body(over))

    assert "No hotel fits the budget of €512.40 for the stay; the closest:" in answer
    assert answer.count("over the €512.40 budget") == 2


def test_a_profile_without_budget_is_said_plainly() -> None:
    profile = body({**PROFILE_42, "budget_per_night": None, "preferred_stars": None,
                    "preferred_amenities": None}, [PROFILE_FRESH])

    answer = render(profile, offers_body(OFFERS_LISBON, None))

    assert "No budget is on file for user 42." in answer
    assert "Prefers" not in answer


def test_tool_failures_are_reported_with_their_code() -> None:
    down = error_data("store_unavailable", "The online store did not answer.", status=503)

    answer = render(down, down)

    assert "I could not read the profile of user 42: The online store did not answer " \
           "(store_unavailable)." in answer
    assert "I could not get hotel offers: The online store did not answer " \
           "(store_unavailable)." in answer
    assert "2026-12-04." in answer.splitlines()[0]


def test_failed_steps_and_missing_hotel_data_are_mentioned() -> None:
    stale = {**PRICES_FRESH[0], "status": "EXPIRED"}
    offers = body(OFFERS["outputs"], [PROFILE_FRESH, stale, PRICES_FRESH[1]],
                  ranked_offers={"code": "timeout", "message": "too slow"})

    answer = render(offers=offers)

    assert "Part of the data could not be computed: ranked_offers (timeout)." in answer
    assert "Some hotel data is missing or expired; those hotels are left out." in answer
    assert "Prices as of two hours ago" in answer


def test_an_unrated_hotel() -> None:
    answer = render(offers=offers_body([{**OFFERS_LISBON[0], "rating": None}]))

    assert "(4-star, not rated yet)" in answer


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
