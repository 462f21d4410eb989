"""The deterministic planner against a real ``groundwork serve`` over the seeded demo state.

The planner's token is minted as ``groundwork ask`` mints it: a short-lived
token of the demo agent bound to one user. Lisbon's demo hotels: Alfama Garden
(4 stars, 3 rooms), Baixa Palace (5 stars, 1 room) and Belem Inn (no room left).
"""

from __future__ import annotations

import datetime as dt

import pytest

from groundwork.agent_tokens import mint_bound_token
from groundwork.agents.question import TravelQuestion
from groundwork.agents.travel_planner import PlanResult, plan_trip
from groundwork.client import AsyncClient
from groundwork.settings import Settings
from tests.support.demo_state import PRICES_FROM, DemoState
from tests.unit.agents.grounding import ungrounded_figures

CHECK_IN = max(PRICES_FROM, dt.date.today()) + dt.timedelta(days=3)
"""Inside the demo prices (90 nights from ``PRICES_FROM``) and not in the past."""


async def plan(demo_server: str, demo_state: DemoState, question: str, *,
               bound_to: int = 42) -> PlanResult:
    """Plan ``question`` with a token of the demo agent bound to user ``bound_to``."""
    token = mint_bound_token(Settings(state_dir=demo_state.state_dir),
                             {"user_id": bound_to}).token
    async with AsyncClient(demo_server, token) as client:
        return await plan_trip(question, client=client)


async def test_a_token_bound_to_42_cannot_read_the_profile_of_43(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = await plan(demo_server, demo_state,
                        f"Plan 2 nights in Lisbon from {CHECK_IN} for user 43")

    profile = result.tool_calls[0]
    assert (profile.name, profile.arguments) == ("user_profile", {"user_id": 43})
    assert profile.result["error"]["code"] == "access_denied"
    assert profile.result["error"]["details"] == {"field": "user_id"}
    assert "I may not read the profile of user 43: this agent's token does not allow acting " \
           "for user 43 (access_denied)." in result.answer
    assert "80.00" not in result.answer  # user 43's budget stays unread


async def test_a_token_bound_to_42_cannot_search_for_43(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = await plan(demo_server, demo_state,
                        f"Plan 2 nights in Lisbon from {CHECK_IN} for user 43")

    search = result.tool_calls[1]
    assert search.name == "hotel_search"
    assert search.result["error"]["code"] == "access_denied"
    assert "I may not search hotels: this agent's token does not allow acting for user 43 " \
           "(access_denied)." in result.answer


async def test_the_planner_answers_from_hotel_search(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = await plan(demo_server, demo_state,
                        f"Plan 2 nights in lisbon from {CHECK_IN} for user 42")

    assert [call.name for call in result.tool_calls] == ["user_profile", "hotel_search"]
    outputs = result.tool_calls[1].result["outputs"]
    assert outputs["city_name"] == "Lisbon"
    assert [hotel["name"] for hotel in outputs["hotels"]] == ["Alfama Garden", "Baixa Palace"]
    assert outputs["excluded"]["no_rooms"] == 1
    assert "Stay in Lisbon for user 42" in result.answer
    assert "Budget: €150.00 per night" in result.answer
    assert "Alfama Garden" in result.answer and "Belem Inn" not in result.answer
    assert "prices as of" in result.answer.lower()
    assert ungrounded_figures(result.answer, result.tool_calls) == []


async def test_the_constraints_reach_the_real_search(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = await plan(demo_server, demo_state,
                        f"2 nights in Lisbon from {CHECK_IN} for user 42, 5-star, cheapest")

    assert result.tool_calls[1].arguments == {
        "user_id": 42, "city": "Lisbon", "check_in": CHECK_IN.isoformat(), "nights": 2,
        "min_stars": 5, "sort": "price"}
    outputs = result.tool_calls[1].result["outputs"]
    assert [hotel["name"] for hotel in outputs["hotels"]] == ["Baixa Palace"]
    assert "The cheapest:" in result.answer
    assert "No hotel in Lisbon fits the budget of €150.00 a night" in result.answer
    assert ungrounded_figures(result.answer, result.tool_calls) == []


async def test_an_unknown_city_is_answered_with_the_closest_names(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = await plan(demo_server, demo_state,
                        f"Plan 2 nights in Lisbonne from {CHECK_IN} for user 42")

    error = result.tool_calls[1].result["error"]
    assert error["code"] == "unknown_city"
    assert "Lisbon" in error["details"]["suggestions"]
    assert "No city named 'Lisbonne' is known. Closest known names: " in result.answer


@pytest.mark.parametrize("nights", [31, 45])
async def test_a_stay_too_long_is_answered_with_the_limit(
    demo_server: str, demo_state: DemoState, nights: int,
) -> None:
    stay = TravelQuestion(42, "Lisbon", CHECK_IN, nights)
    token = mint_bound_token(Settings(state_dir=demo_state.state_dir), {"user_id": 42}).token
    async with AsyncClient(demo_server, token) as client:
        result = await plan_trip(stay, client=client)

    assert f"A stay can last at most 30 nights; {nights} were asked for." in result.answer
