"""Check that an answer holds no figure the tools did not give.

Reusable by any agent test: pass the answer and the planner's tool calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from groundwork.agents.travel_planner import ToolCallRecord

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def ungrounded_figures(answer: str, tool_calls: Sequence[ToolCallRecord]) -> list[str]:
    """Return every date or number in ``answer`` found in no tool call.

    A date must equal a string in the tool results or arguments; a number must
    equal (as a float, so ``€512.40`` matches ``512.4``) a number there. The
    arguments count because they are the question's own figures (user id,
    check-in date, nights).
    """
    texts, numbers = _grounded_values(tool_calls)
    unknown_dates = [date for date in _DATE.findall(answer) if date not in texts]
    remaining = _DATE.sub(" ", answer)
    unknown_numbers = [text for text in _NUMBER.findall(remaining) if float(text) not in numbers]
    return unknown_dates + unknown_numbers


def _grounded_values(tool_calls: Sequence[ToolCallRecord]) -> tuple[set[str], set[float]]:
    texts: set[str] = set()
    numbers: set[float] = set()
    for call in tool_calls:
        for leaf in _leaves([call.arguments, call.result]):
            if isinstance(leaf, str):
                texts.add(leaf)
            elif isinstance(leaf, int | float) and not isinstance(leaf, bool):
                numbers.add(float(leaf))
    return texts, numbers


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
