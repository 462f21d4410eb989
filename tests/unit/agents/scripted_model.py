"""A scripted chat model that drives the real LangChain agent loop in tests.

``ScriptedChatModel`` plays a fixed list of turns. Each turn sees the whole
conversation the agent sent (system prompt, question, tool messages) and returns
the next ``AIMessage``: tool calls, or a final answer written from the tool
results it received. It supports ``bind_tools`` like a real provider model, and
it keeps what it saw (``conversations``, ``bound_tools``) for assertions.

Reusable by any test (unit or end-to-end)::

    from tests.unit.agents.scripted_model import travel_script

    model = travel_script(TravelQuestion.parse(question))
    result = await plan_trip(question, client=client, chat_model=model)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from groundwork.agents.langchain_toolkit import parse_result_text
from groundwork.agents.question import TravelQuestion
from groundwork.agents.render import render_answer

Turn = Callable[[list[BaseMessage]], AIMessage]
"""One model turn: the conversation so far in, the model's message out."""

ToolResults = dict[str, dict[str, Any]]
"""Tool results by tool name (the last result of each tool), decoded from JSON."""


def call_tools(*calls: tuple[str, dict[str, Any]]) -> Turn:
    """A turn that asks for the given ``(tool name, arguments)`` calls, in one message."""

    def turn(messages: list[BaseMessage]) -> AIMessage:
        tool_calls = [
            ToolCall(name=name, args=arguments, id=f"call_{len(messages)}_{index}",
                     type="tool_call")
            for index, (name, arguments) in enumerate(calls)
        ]
        return AIMessage(content="", tool_calls=tool_calls)

    return turn


def answer_from_tool_results(write: Callable[[ToolResults], str]) -> Turn:
    """A final turn whose text ``write`` builds from the tool messages received."""

    def turn(messages: list[BaseMessage]) -> AIMessage:
        return AIMessage(content=write(tool_results(messages)))

    return turn


def tool_results(messages: Sequence[BaseMessage]) -> ToolResults:
    """Decode the tool messages of a conversation, by tool name."""
    return {
        str(message.name): parse_result_text(message.content)
        for message in messages
        if isinstance(message, ToolMessage)
    }


class ScriptedChatModel(BaseChatModel):
    """A chat model that plays ``turns`` in order and records what it was sent."""

    turns: list[Turn]
    conversations: list[list[BaseMessage]] = Field(default_factory=list)
    """Every conversation the model received, one per turn."""
    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    """The tools last bound, in OpenAI function format (what a provider would send)."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as a provider model does: converted to function schemas."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if kwargs.get("tools") is not None:
            self.bound_tools[:] = kwargs["tools"]
        turn_number = len(self.conversations)
        self.conversations.append(list(messages))
        if turn_number >= len(self.turns):
            raise AssertionError(f"The script has {len(self.turns)} turns; turn "
                                 f"{turn_number + 1} was asked for.")
        return ChatResult(generations=[ChatGeneration(message=self.turns[turn_number](messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)


def travel_script(question: TravelQuestion) -> ScriptedChatModel:
    """A model that calls ``user_profile`` then ``hotel_search`` for ``question``.

    Its final answer is the grounded rendering of the two results it received,
    so the answer holds only numbers the tools returned.
    """

    def write(results: ToolResults) -> str:
        return render_answer(question, results["user_profile"], results["hotel_search"])

    return ScriptedChatModel(turns=[
        call_tools(("user_profile", question.profile_arguments())),
        call_tools(("hotel_search", question.search_arguments())),
        answer_from_tool_results(write),
    ])
