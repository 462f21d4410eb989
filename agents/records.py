"""What an agent did: one record per tool call, shared by the planner and the verifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groundwork.agents.rest import JsonObject

__all__ = ["ToolCallRecord"]


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call the planner made.

    Attributes:
        name: Tool name.
        arguments: Arguments the tool was called with.
        result: The tool's result: the endpoint's success body or error data.
    """

    name: str
    arguments: dict[str, Any]
    result: JsonObject
