"""The travel planner: the deterministic plan and the real agent loop with a scripted model."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from groundwork.agents import records, travel_planner
from groundwork.agents.figures import Figure
from groundwork.agents.travel_planner import (
    SYSTEM_PROMPT,
    QuestionNotUnderstood,
    ToolCallRecord,
    TravelQuestion,
    plan_trip,
    repair_request,
    tool_call_records,
)
from groundwork.agents.verify import Judged, Verification
from groundwork.client import AsyncClient
from tests.unit.agents.fake_platform import HOTELS_LISBON, INPUT_SCHEMAS, PROFILE_42
from tests.unit.agents.grounding import ungrounded_figures
from tests.unit.agents.scripted_model import (
    ScriptedChatModel,
    answer_from_tool_results,
    call_tools,
    travel_script,
)

QUESTION = "Plan 3 nights in Lisbon from 2026-12-04 for user 42"
STAY = TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 3)
OFFERS_ARGUMENTS = {"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3}
SERVED_AT = dt.datetime(2026, 11, 21, 21, 35, tzinfo=dt.UTC)
"""When the fake platform's data was read: prices two hours old, the profile 35 minutes."""
SEARCH_ARGUMENTS = {**OFFERS_ARGUMENTS, "sort": "fit"}


async def test_the_deterministic_plan_calls_profile_then_search(client: AsyncClient) -> None:
    result = await plan_trip(QUESTION, client=client, chat_model=None)

    assert [(call.name, call.arguments) for call in result.tool_calls] == [
        ("user_profile", {"user_id": 42}),
        ("hotel_search", SEARCH_ARGUMENTS),
    ]
    profile, search = (call.result for call in result.tool_calls)
    assert profile["outputs"] == PROFILE_42
    assert search["outputs"]["hotels"] == HOTELS_LISBON


async def test_the_constraints_of_the_question_reach_the_search(client: AsyncClient) -> None:
    question = ("3 nights in Lisbon from tomorrow for user 42, under €180 a night, at least "
                "4 stars, with a spa, cheapest first, for 2 people")

    result = await plan_trip(question, client=client, today=dt.date(2026, 12, 3))

    assert result.tool_calls[1].arguments == {
        **SEARCH_ARGUMENTS, "max_price_per_night": 180.0, "min_stars": 4, "amenities": ["spa"],
        "sort": "price"}
    assert "Search: at least 4 stars; at most €180.00 a night; with spa; cheapest first." \
        in result.answer
    assert "Not applied: the number of guests (the search does not take one)." in result.answer
    assert ungrounded_figures(result.answer, result.tool_calls) == []


async def test_a_stay_already_read_is_planned_as_is(client: AsyncClient) -> None:
    result = await plan_trip(STAY, client=client)

    assert [call.arguments for call in result.tool_calls] == [{"user_id": 42},
                                                               SEARCH_ARGUMENTS]


async def test_the_deterministic_answer_holds_only_tool_figures(client: AsyncClient) -> None:
    result = await plan_trip(QUESTION, client=client)

    assert ungrounded_figures(result.answer, result.tool_calls) == []
    for expected in ("€170.80 per night", "€512.40 for the stay", "2026-12-07", "Casa do Rio",
                     "€498.30", "1 of 2 matching hotels fits the budget",
                     "prices as of two hours ago at the oldest",
                     "hotel details as of thirty minutes ago",
                     "profile as of thirty-five minutes ago"):
        assert expected.lower() in result.answer.lower()


async def test_an_unknown_city_gets_the_closest_names(client: AsyncClient) -> None:
    result = await plan_trip("Plan 3 nights in Atlantis from 2026-12-04 for user 42",
                             client=client)

    assert result.tool_calls[1].result["error"]["code"] == "unknown_city"
    assert "No city named 'Atlantis' is known. Closest known names: Lisbon, Lyon." \
        in result.answer


async def test_the_deterministic_plan_says_when_the_profile_is_missing(
    client: AsyncClient,
) -> None:
    result = await plan_trip("Plan 3 nights in Lisbon from 2026-12-04 for user 7", client=client)

    assert "There is no profile for user 7" in result.answer
    assert ungrounded_figures(result.answer, result.tool_calls) == []


async def test_the_deterministic_plan_reports_tool_failures(make_client) -> None:
    result = await plan_trip(QUESTION, client=make_client(store_down=True))

    assert [call.result["error"]["code"] for call in result.tool_calls] == [
        "store_unavailable", "store_unavailable",
    ]
    assert "I could not search hotels: an online store is unavailable (store_unavailable)." \
        in result.answer


async def test_the_deterministic_plan_reports_a_tool_it_may_not_use(make_client) -> None:
    result = await plan_trip(QUESTION, client=make_client(granted=["hotel_search"]))

    assert result.tool_calls[0].result["error"]["code"] == "tool_not_available"
    assert "I could not read the profile of user 42: The tool user_profile is not available " \
           "to this caller (tool_not_available)." in result.answer
    assert "Budget: €170.80 per night, €512.40 for the stay." in result.answer
    assert "Casa do Rio" in result.answer
    assert ungrounded_figures(result.answer, result.tool_calls) == []


async def test_an_incomplete_question_fails_before_any_call(make_client) -> None:
    with pytest.raises(QuestionNotUnderstood, match="number of nights"):
        await plan_trip("Find me a hotel in Lisbon for user 42", client=make_client(token="x"))


async def test_the_agent_loop_calls_the_scripted_tools_and_reads_their_results(
    client: AsyncClient,
) -> None:
    model = travel_script(STAY)

    result = await plan_trip(QUESTION, client=client, chat_model=model)

    assert [(call.name, call.arguments) for call in result.tool_calls] == [
        ("user_profile", {"user_id": 42}),
        ("hotel_search", SEARCH_ARGUMENTS),
    ]
    final_conversation = model.conversations[-1]
    received = [
        orjson.loads(str(message.content)) for message in final_conversation
        if isinstance(message, ToolMessage)
    ]
    assert received == [call.result for call in result.tool_calls]
    assert received[1]["outputs"]["hotels"] == HOTELS_LISBON
    deterministic = await plan_trip(QUESTION, client=client)
    assert result.answer == deterministic.answer
    assert ungrounded_figures(result.answer, result.tool_calls) == []


async def test_the_agent_gets_the_system_prompt_and_the_endpoint_schemas(
    client: AsyncClient,
) -> None:
    model = travel_script(STAY)

    await plan_trip(QUESTION, client=client, chat_model=model)

    system, question = model.conversations[0][:2]
    assert isinstance(system, SystemMessage) and system.content == SYSTEM_PROMPT
    assert isinstance(question, HumanMessage) and question.content == QUESTION
    assert {tool["function"]["name"]: tool["function"]["parameters"]
            for tool in model.bound_tools} == INPUT_SCHEMAS
    for parameter in ("hotel_search", "max_price_per_night", "min_stars", "amenities", "sort"):
        assert parameter in SYSTEM_PROMPT


async def test_a_model_gets_a_stay_already_read_in_the_planners_words(
    client: AsyncClient,
) -> None:
    model = travel_script(STAY)

    await plan_trip(STAY, client=client, chat_model=model)

    assert model.conversations[0][1].content == (
        "Plan 3 nights in Lisbon from 2026-12-04 for user 42, sorted by fit for the traveller.")


async def test_a_tool_error_reaches_the_model_as_data(client: AsyncClient) -> None:
    model = ScriptedChatModel(turns=[
        call_tools(("hotel_offers", {"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04"})),
        answer_from_tool_results(
            lambda results: f"Sorry: {results['hotel_offers']['error']['code']}"
        ),
    ])

    result = await plan_trip("Anything in Lisbon?", client=client, chat_model=model)

    assert result.answer == "Sorry: invalid_input"
    assert result.tool_calls[0].result["error"]["details"] == {"field": "nights"}


async def test_parallel_tool_calls_are_all_recorded(client: AsyncClient) -> None:
    model = ScriptedChatModel(turns=[
        call_tools(("user_profile", {"user_id": 42}), ("hotel_offers", OFFERS_ARGUMENTS)),
        answer_from_tool_results(lambda results: ", ".join(sorted(results))),
    ])

    result = await plan_trip(QUESTION, client=client, chat_model=model)

    assert result.answer == "hotel_offers, user_profile"
    assert type(result.answer) is str  # not LangChain's TextAccessor, which orjson refuses
    assert [call.name for call in result.tool_calls] == ["user_profile", "hotel_offers"]
    assert all("outputs" in call.result for call in result.tool_calls)


async def test_a_model_id_goes_through_init_chat_model(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested: list[str] = []

    def fake_init_chat_model(model_id: str) -> ScriptedChatModel:
        requested.append(model_id)
        return travel_script(STAY)

    monkeypatch.setattr(travel_planner, "init_chat_model", fake_init_chat_model)

    result = await plan_trip(QUESTION, client=client, chat_model="openai:gpt-4.1")

    assert requested == ["openai:gpt-4.1"]
    assert "Casa do Rio" in result.answer


def test_a_call_without_a_tool_message_is_recorded_as_unanswered() -> None:
    call = {"name": "user_profile", "args": {"user_id": 42}, "id": "call_9", "type": "tool_call"}

    records = tool_call_records([AIMessage(content="", tool_calls=[call])])

    assert records == [ToolCallRecord(
        "user_profile", {"user_id": 42},
        {"error": {"code": "no_tool_result", "message": "The tool call got no result.",
                   "details": {}, "status": None}},
    )]


@pytest.mark.parametrize("question", [
    QUESTION,
    "3 nights in Lisbon from 2026-12-04 for user 42, under €180 a night, 4 stars, cheapest",
    "Plan 3 nights in Lisbon from 2026-12-04 for user 7",
    "Plan 3 nights in Atlantis from 2026-12-04 for user 42",
    "Plan 3 nights in Nowhere from 2026-12-04 for user 42",
])
@pytest.mark.parametrize("later", [dt.timedelta(0), dt.timedelta(days=30)])
async def test_the_deterministic_answer_is_verified_as_it_says_how_old_each_source_is(
    client: AsyncClient, question: str, later: dt.timedelta,
) -> None:
    result = await plan_trip(question, client=client, now=SERVED_AT + later)

    assert result.verified and not result.repaired, result.verification.to_json()
    assert result.verification.figures
    assert not result.answer.startswith(travel_planner.UNVERIFIED)


@pytest.mark.parametrize("granted", [["hotel_search"], ["user_profile"]])
async def test_a_deterministic_answer_missing_a_tool_is_verified(
    make_client, granted: list[str],
) -> None:
    client = make_client(granted=granted)

    result = await plan_trip(QUESTION, client=client, now=SERVED_AT + dt.timedelta(days=30))

    assert result.verified, result.verification.to_json()


async def test_a_model_answer_is_verified_against_its_tool_calls(client: AsyncClient) -> None:
    result = await plan_trip(QUESTION, client=client, chat_model=travel_script(STAY),
                             now=SERVED_AT)

    assert result.verified and not result.repaired
    assert result.verification.count("grounded") == len(result.verification.figures) > 20


def test_the_tool_call_record_is_one_class() -> None:
    assert travel_planner.ToolCallRecord is records.ToolCallRecord


def test_the_repair_request_names_each_failed_figure_and_why() -> None:
    def judged(text: str, verdict: str, note: str = "") -> Judged:
        return Judged(Figure(text, "money", text, 0, len(text)), verdict, (), note)  # type: ignore[arg-type]

    verification = Verification("id", (
        judged("€1.00", "grounded"),
        judged("€123.45", "ungrounded"),
        judged("€620.25", "ungrounded", "belongs to Alfama Palace, not Casa do Rio"),
        judged("€498.30", "stale", "price 1 day old, over the limit of 6 hours, stated as current"),
    ))

    assert repair_request(verification) == (
        "These figures are not in any tool result: €123.45; €620.25 (belongs to Alfama Palace, "
        "not Casa do Rio).\n"
        "These figures come from data older than its freshness limit, or expired, without "
        "saying so: €498.30 (price 1 day old, over the limit of 6 hours, stated as current).\n"
        "Answer again using only the tool results.")
