"""The travel-planner agent: answers stay questions from Groundwork tools only.

With a chat model, the real LangChain agent loop (``create_agent``) decides
which tools to call. Without one, a deterministic plan reads the question with
:class:`~groundwork.agents.question.TravelQuestion`, calls ``user_profile`` then
``hotel_search`` through the very same tools and writes the answer with
:func:`groundwork.agents.render.render_answer`. Either way the result lists every tool call
with its arguments and its result.

Every answer is verified (:func:`groundwork.agents.verify.verify`): each figure
must come from a tool result. A chat model whose answer holds a figure from no
tool result, or old data stated as current, is asked once to answer again from
the tool results; an answer still failing is returned marked ``[unverified] ``,
never silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain.agents import create_agent
from langchain.chat_models import init_chat_model
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool

from groundwork.agents.answer_metrics import VERDICTS, answer_metrics
from groundwork.agents.langchain_toolkit import langchain_tools_async, parse_result_text
from groundwork.agents.question import QuestionNotUnderstood, TravelQuestion
from groundwork.agents.records import ToolCallRecord
from groundwork.agents.render import render_answer
from groundwork.agents.rest import error_data
from groundwork.agents.verify import Judged, Verification, verify
from groundwork.client import AsyncClient
from groundwork.client.tracing import answer_scope, current_answer_id, new_answer_id

__all__ = [
    "SYSTEM_PROMPT",
    "UNVERIFIED",
    "PlanResult",
    "QuestionNotUnderstood",
    "ToolCallRecord",
    "TravelQuestion",
    "plan_trip",
    "repair_request",
    "tool_call_records",
]

PROFILE_TOOL = "user_profile"
SEARCH_TOOL = "hotel_search"

SYSTEM_PROMPT = """\
You are Groundwork's travel planner. Answer only from the results of your tools:
call user_profile(user_id) for the traveller's budget and preferences, then
hotel_search for the hotels that can host the whole stay: city, check_in (YYYY-MM-DD),
nights (1 to 30) and user_id, plus what the question asks for: max_price_per_night
(EUR), min_stars (1 to 5), amenities (all required) and sort ("price" for the
cheapest, "rating" for the best rated, "fit" for the traveller, the default when the
traveller is known). It returns the matching hotels with their nightly, per-night
and total prices, rooms left and whether each fits the budget, with `matching`,
`within_budget` and `excluded` counts.
Never invent, estimate or compute a number: every price, budget, rating, star count,
date, count and room count you write must appear in a tool result, as given (money in
EUR with two decimals, e.g. €512.40).
Say "no hotel fits the budget" only when within_budget is 0 and matching is above 0,
and "the cheapest" only for sort "price". When matching is 0, say why from `excluded`.
State each source with its own freshness: prices from the hotel_prices entry, hotel
details from hotel_stats, the profile from user_profile (for example "prices as of
two hours ago").
Say plainly when a tool returns an error (with its details: the closest city names,
the dates that have prices, the longest stay), when the profile is MISSING or
EXPIRED, and which parts of the question you could not apply; do not guess instead."""
"""Instructions given to the chat model."""


UNVERIFIED = "[unverified] "
"""Prefix of an answer that holds a figure no tool result backs, or old data unsaid."""


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The planner's answer, the tool calls it rests on and its verification.

    Attributes:
        answer: Final answer for the traveller; it starts with :data:`UNVERIFIED` when
            ``verification`` failed.
        tool_calls: Every tool call made, in order (those of a repair turn too).
        verification: Every figure of the answer, judged against ``tool_calls``.
        repaired: Whether the answer was written again after a failed verification.
    """

    answer: str
    tool_calls: list[ToolCallRecord]
    verification: Verification
    repaired: bool = False

    @property
    def verified(self) -> bool:
        """No figure of the answer is ungrounded or stale."""
        return self.verification.verified


async def plan_trip(
    question: str | TravelQuestion,
    *,
    client: AsyncClient,
    chat_model: str | BaseChatModel | None = None,
    transport: Literal["rest", "mcp"] = "rest",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> PlanResult:
    """Answer a stay question with the tools ``client``'s principal may execute.

    Args:
        question: E.g. ``"Plan 3 nights in Lisbon from 2026-12-04 for user 42"``, or
            the stay already read (a chat model gets it in the planner's words).
        client: Client authenticated as the principal the agent acts for.
        chat_model: A chat model, or its id for ``init_chat_model``
            (``"openai:gpt-4.1"``); ``None`` runs the deterministic plan.
        transport: The door the tools go through: ``rest`` or ``mcp`` (same tools,
            same results; ``mcp`` needs the ``mcp`` extra).
        today: The day relative dates count from (``"tomorrow"``); today by default.
        now: The moment the answer is verified at (records' ages count to it); now by
            default.

    Raises:
        QuestionNotUnderstood: without a chat model, when the question lacks a part.
        ToolListingFailed: when the tools cannot be listed.
    """
    stay = None
    if chat_model is None:
        stay = (question if isinstance(question, TravelQuestion)
                else TravelQuestion.parse(question, today=today))
    with answer_scope(new_answer_id()) as answer_id:
        tools = await _tools(client, transport, answer_id)
        if chat_model is None:
            assert stay is not None
            result = await _plan_deterministically(stay, tools, now)
        else:
            text = question.text() if isinstance(question, TravelQuestion) else question
            model = init_chat_model(chat_model) if isinstance(chat_model, str) else chat_model
            result = await _plan_with_model(text, tools, model, now)
    counts = {verdict: result.verification.count(verdict) for verdict in VERDICTS}
    answer_metrics().observe(counts, verified=result.verified,
                             repaired=result.repaired)
    return result


async def _tools(client: AsyncClient, transport: Literal["rest", "mcp"],
                 answer_id: str) -> list[BaseTool]:
    """The caller's tools, over REST or over MCP, their calls filed under ``answer_id``."""
    if transport == "mcp":
        from groundwork.agents.mcp_toolkit import mcp_tools

        return await mcp_tools(client.base_url, client.token, request_id=answer_id)
    return list(await langchain_tools_async(client))


async def _plan_deterministically(
    stay: TravelQuestion, tools: Sequence[BaseTool], now: dt.datetime | None
) -> PlanResult:
    tools_by_name = {tool.name: tool for tool in tools}
    profile = await _call_tool(tools_by_name, PROFILE_TOOL, stay.profile_arguments())
    search = await _call_tool(tools_by_name, SEARCH_TOOL, stay.search_arguments())
    answer = render_answer(stay, profile.result, search.result)
    return _verified(answer, [profile, search], now)


async def _call_tool(
    tools_by_name: Mapping[str, BaseTool], name: str, arguments: dict[str, Any]
) -> ToolCallRecord:
    tool = tools_by_name.get(name)
    if tool is None:
        result = error_data(
            "tool_not_available", f"The tool {name} is not available to this caller."
        )
    else:
        result = parse_result_text(await tool.ainvoke(arguments))
    return ToolCallRecord(name=name, arguments=arguments, result=result)


async def _plan_with_model(
    question: str, tools: Sequence[BaseTool], model: BaseChatModel, now: dt.datetime | None
) -> PlanResult:
    """Run the agent, verify its answer and, when it fails, give it one repair turn."""
    agent = create_agent(model, list(tools), system_prompt=SYSTEM_PROMPT)
    state = await agent.ainvoke({"messages": [HumanMessage(content=question)]})
    messages: list[AnyMessage] = state["messages"]
    first = _verified(_final_answer(messages), tool_call_records(messages), now)
    if first.verified:
        return first
    repair = HumanMessage(content=repair_request(first.verification))
    state = await agent.ainvoke({"messages": [*messages, repair]})
    messages = state["messages"]
    return _verified(_final_answer(messages), tool_call_records(messages), now, repaired=True)


def _verified(answer: str, tool_calls: list[ToolCallRecord], now: dt.datetime | None, *,
              repaired: bool = False) -> PlanResult:
    """The answer with its verification, marked :data:`UNVERIFIED` when it fails."""
    verification = verify(answer, tool_calls, now=now, answer_id=current_answer_id())
    if not verification.verified:
        answer = UNVERIFIED + answer
    return PlanResult(answer, tool_calls, verification, repaired)


def repair_request(verification: Verification) -> str:
    """The message that asks the model to answer again, naming every failed figure."""
    lines = []
    ungrounded = [judged for judged in verification.figures if judged.verdict == "ungrounded"]
    stale = [judged for judged in verification.figures if judged.verdict == "stale"]
    if ungrounded:
        lines.append(f"These figures are not in any tool result: {_listed(ungrounded)}.")
    if stale:
        lines.append("These figures come from data older than its freshness limit, or "
                     f"expired, without saying so: {_listed(stale)}.")
    lines.append("Answer again using only the tool results.")
    return "\n".join(lines)


def _listed(figures: Sequence[Judged]) -> str:
    return "; ".join(f"{judged.figure.text} ({judged.note})" if judged.note
                     else judged.figure.text for judged in figures)


def tool_call_records(messages: Sequence[BaseMessage]) -> list[ToolCallRecord]:
    """Pair every tool call the model asked for with the tool message answering it.

    A call that got no answer (the run stopped first) is recorded with error data.
    """
    answers = {
        message.tool_call_id: message for message in messages if isinstance(message, ToolMessage)
    }
    records = []
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            answer = answers.get(call["id"] or "")
            result = (
                parse_result_text(answer.content)
                if answer is not None
                else error_data("no_tool_result", "The tool call got no result.")
            )
            records.append(ToolCallRecord(name=call["name"], arguments=call["args"], result=result))
    return records


def _final_answer(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, AIMessage) and not message.tool_calls:
            return str(message.text)
    return ""
