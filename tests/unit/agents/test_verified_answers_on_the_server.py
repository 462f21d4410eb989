"""Verified answers over a real ``groundwork serve`` of the demo state.

A scripted chat model runs the real agent loop against the served tools and
writes its final answer from the results it received: correctly, with an
invented price, with two hotels' totals swapped, with prices stated as current
when they are old, or with a total it derived. Lisbon's demo stay for user 42:
Alfama Garden (within the budget) and Baixa Palace (over it); prices are thirty
minutes old when the state is seeded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
import pytest_asyncio
from langchain_core.messages import HumanMessage

from groundwork.agent_tokens import mint_bound_token
from groundwork.agents.question import TravelQuestion
from groundwork.agents.render import money, render_answer
from groundwork.agents.travel_planner import UNVERIFIED, PlanResult, plan_trip
from groundwork.agents.verify import verify
from groundwork.client import AsyncClient
from groundwork.settings import Settings
from tests.support.demo_state import PRICES_FROM, DemoState
from tests.unit.agents.scripted_model import (
    ScriptedChatModel,
    ToolResults,
    answer_from_tool_results,
    call_tools,
)

CHECK_IN = max(PRICES_FROM, dt.date.today()) + dt.timedelta(days=3)
"""Inside the demo prices (90 nights from ``PRICES_FROM``) and not in the past."""
QUESTION = f"Plan 2 nights in Lisbon from {CHECK_IN} for user 42"
STAY = TravelQuestion.parse(QUESTION)
LATER = dt.timedelta(hours=7)
"""Past the six hours after which a price is stale (the demo prices are 30 minutes old)."""

Writer = Callable[[ToolResults], str]


@pytest_asyncio.fixture(loop_scope="function")
async def served(demo_server: str, demo_state: DemoState) -> AsyncIterator[AsyncClient]:
    """A client of the demo server with the demo agent's token bound to user 42."""
    token = mint_bound_token(Settings(state_dir=demo_state.state_dir), {"user_id": 42}).token
    async with AsyncClient(demo_server, token) as client:
        yield client


def script(*answers: Writer) -> ScriptedChatModel:
    """Call ``user_profile`` then ``hotel_search`` for ``STAY``; then answer, turn by turn."""
    return ScriptedChatModel(turns=[
        call_tools(("user_profile", STAY.profile_arguments())),
        call_tools(("hotel_search", STAY.search_arguments())),
        *(answer_from_tool_results(answer) for answer in answers),
    ])


def hotels(results: ToolResults) -> list[dict[str, object]]:
    hotels: list[dict[str, object]] = results["hotel_search"]["outputs"]["hotels"]
    return hotels


def total(hotel: dict[str, object]) -> str:
    return money(float(str(hotel["total_price"])))


def rendered(results: ToolResults) -> str:
    """The grounded answer (the deterministic plan's wording)."""
    return render_answer(STAY, results["user_profile"], results["hotel_search"])


def with_invented_price(results: ToolResults) -> str:
    return rendered(results).replace(f"{total(hotels(results)[0])} for the stay",
                                     "€123.45 for the stay")


def with_swapped_totals(results: ToolResults) -> str:
    first, second = (total(hotel) for hotel in hotels(results)[:2])
    return rendered(results).replace(first, "\0").replace(second, first).replace("\0", second)


def prices_as_current(results: ToolResults) -> str:
    hotel = hotels(results)[0]
    return f"{hotel['name']}: {total(hotel)} for the stay."


def prices_with_their_age(results: ToolResults) -> str:
    return f"{prices_as_current(results)} Prices as of seven hours ago."


def with_room_to_spare(results: ToolResults) -> str:
    hotel = hotels(results)[0]
    budget = Decimal(str(results["hotel_search"]["outputs"]["budget_total"]))
    spare = budget - Decimal(str(hotel["total_price"]))
    return (f"{hotel['name']}: {total(hotel)} for the stay, €{spare:.2f} under your budget "
            f"of {money(float(budget))}.")


async def plan(client: AsyncClient, model: ScriptedChatModel, *,
               now: dt.datetime | None = None) -> PlanResult:
    return await plan_trip(QUESTION, client=client, chat_model=model, now=now)


def verdicts(result: PlanResult) -> dict[str, str]:
    return {judged.figure.text: judged.verdict for judged in result.verification.figures}


async def test_a_correct_answer_is_all_grounded(served: AsyncClient) -> None:
    result = await plan(served, script(rendered))

    assert result.verified and not result.repaired
    figures = result.verification.figures
    assert len(figures) >= 20
    assert result.verification.summary() == f"{len(figures)} figures, {len(figures)} grounded"
    assert not result.answer.startswith(UNVERIFIED)
    alfama = next(judged for judged in figures if judged.figure.text == "Alfama Garden")
    assert (alfama.sources[0].view, alfama.sources[0].entity) == ("hotel_stats", 1)
    assert alfama.sources[0].trace_id == result.tool_calls[1].result["trace_id"]


async def test_an_invented_price_is_ungrounded_and_repaired_when_the_model_complies(
    served: AsyncClient,
) -> None:
    model = script(with_invented_price, rendered)

    result = await plan(served, model)

    assert result.repaired and result.verified
    assert result.answer == rendered({call.name: call.result for call in result.tool_calls})
    repair = model.conversations[-1][-1]
    assert isinstance(repair, HumanMessage)
    assert repair.content == ("These figures are not in any tool result: €123.45.\n"
                              "Answer again using only the tool results.")
    assert [call.name for call in result.tool_calls] == ["user_profile", "hotel_search"]


async def test_an_answer_still_failing_after_the_repair_is_marked_unverified(
    served: AsyncClient,
) -> None:
    result = await plan(served, script(with_invented_price, with_invented_price))

    assert result.repaired and not result.verified
    assert result.answer.startswith(UNVERIFIED + "Stay in Lisbon for user 42")
    assert verdicts(result)["€123.45"] == "ungrounded"
    assert result.verification.count("ungrounded") == 1


async def test_swapped_totals_are_both_ungrounded(served: AsyncClient) -> None:
    model = script(rendered)
    result = await plan(served, model)
    first, second = hotels({call.name: call.result for call in result.tool_calls})[:2]

    verification = verify(with_swapped_totals(
        {call.name: call.result for call in result.tool_calls}), result.tool_calls)

    wrong = [(judged.figure.text, judged.note) for judged in verification.figures
             if judged.verdict != "grounded"]
    assert wrong == [
        (total(second), f"belongs to {second['name']}, not {first['name']}"),
        (total(first), f"belongs to {first['name']}, not {second['name']}"),
    ]


async def test_old_prices_stated_as_current_are_stale(served: AsyncClient) -> None:
    result = await plan(served, script(prices_as_current))
    prices_as_of = dt.datetime.fromisoformat(
        str(hotels({call.name: call.result for call in result.tool_calls})[0]["prices_as_of"]))

    verification = verify(result.answer, result.tool_calls, now=prices_as_of + LATER)

    assert result.verified
    [stale] = [judged for judged in verification.figures if judged.verdict == "stale"]
    assert stale.figure.kind == "money"
    assert stale.note == "price 7 hours old, over the limit of 6 hours, stated as current"
    assert stale.sources[0].view == "hotel_prices"


async def test_the_repair_turn_asks_for_the_age_of_old_prices(served: AsyncClient) -> None:
    model = script(prices_as_current, prices_with_their_age)

    result = await plan(served, model, now=dt.datetime.now(dt.UTC) + LATER)

    assert result.repaired and result.verified
    assert result.answer.endswith("Prices as of seven hours ago.")
    repair = str(model.conversations[-1][-1].content)
    assert repair.startswith("These figures come from data older than its freshness limit, or "
                             "expired, without saying so: €")


async def test_a_total_under_the_budget_is_derived(served: AsyncClient) -> None:
    result = await plan(served, script(with_room_to_spare))

    assert result.verified and not result.repaired
    [derived] = [judged for judged in result.verification.figures
                 if judged.verdict == "derived"]
    assert derived.note.startswith("difference of 300.0 (budget_total) and ")
    assert [source.path for source in derived.sources] == [
        "outputs.budget_total", "outputs.hotels[0].total_price"]


@pytest.mark.parametrize("question", [
    QUESTION,
    f"2 nights in Lisbon from {CHECK_IN} for user 42, 5-star, cheapest",
    f"3 nights in Lisbon from {CHECK_IN} for user 42 under €120 a night with a spa, best rated",
    f"Plan 2 nights in Lisbonne from {CHECK_IN} for user 42",
    f"Plan 2 nights in Lisbon from {CHECK_IN} for user 43",
    f"Plan 2 nights in Lisbon from {CHECK_IN + dt.timedelta(days=120)} for user 42",
    TravelQuestion(42, "Lisbon", CHECK_IN, 31),
])
async def test_the_deterministic_answer_is_all_grounded_or_derived(
    served: AsyncClient, question: str | TravelQuestion,
) -> None:
    result = await plan_trip(question, client=served)

    assert result.verified, result.verification.to_json()
    assert result.verification.figures
    assert {judged.verdict for judged in result.verification.figures} <= {"grounded", "derived"}
    assert not result.answer.startswith(UNVERIFIED)
