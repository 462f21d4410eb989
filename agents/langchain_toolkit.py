"""LangChain tools over Groundwork endpoints: a thin adapter over :mod:`groundwork.agents.rest`.

Each endpoint the caller may execute becomes one ``StructuredTool`` whose
``args_schema`` is the endpoint's own JSON Schema, so the model sees exactly
what the OpenAPI document and the MCP server publish. A tool returns the
endpoint's result as a JSON string; a failure comes back as ``{"error": ...}``
for the model to read, never as an exception.

Tools made from a blocking :class:`~groundwork.client.Client` run in blocking and
async agents alike (LangChain runs blocking tools in a worker thread); tools made
from an :class:`~groundwork.client.AsyncClient` run in async agents.
"""

from __future__ import annotations

from typing import Any

import orjson
from langchain_core.tools import StructuredTool

from groundwork.agents.rest import (
    JsonObject,
    ToolSpec,
    error_data,
    invoke_tool,
    list_tool_specs,
    sanitize_tool_name,
)
from groundwork.client import AsyncClient, Client

RESULT_SHAPE = (
    "Returns JSON: `outputs` (the values below), `freshness` (one entry per feature "
    "lookup: `view`, `key`, `status` PRESENT, MISSING or EXPIRED, `event_ts`, "
    "`age_seconds`), `errors` (steps that failed, by name) and `trace_id`. "
    'On failure returns {"error": {"code", "message", "details"}}.'
)
"""How every tool's result reads, appended to each description."""


def langchain_tools(client: Client) -> list[StructuredTool]:
    """Make one LangChain tool per endpoint ``client``'s token may execute.

    Args:
        client: Client authenticated as the principal the agent acts for.

    Raises:
        ToolListingFailed: when the tools cannot be listed.

    Example:
        >>> agent = create_agent(model, langchain_tools(client))  # doctest: +SKIP
    """
    return [tool_from_spec(client, spec) for spec in client.run(list_tool_specs)]


async def langchain_tools_async(client: AsyncClient) -> list[StructuredTool]:
    """Make one LangChain tool per endpoint ``client``'s token may execute, for async agents.

    Args:
        client: Client authenticated as the principal the agent acts for.

    Raises:
        ToolListingFailed: when the tools cannot be listed.
    """
    return [tool_from_spec(client, spec) for spec in await list_tool_specs(client)]


def tool_from_spec(client: Client | AsyncClient, spec: ToolSpec) -> StructuredTool:
    """Make the tool that invokes the endpoint described by ``spec`` through ``client``."""

    async def call_endpoint(**arguments: Any) -> str:
        assert isinstance(client, AsyncClient)
        return result_text(await invoke_tool(client, spec.name, arguments,
                                             invoke_path=spec.invoke_path))

    def call_endpoint_blocking(**arguments: Any) -> str:
        assert isinstance(client, Client)
        return result_text(client.run(lambda async_client: invoke_tool(
            async_client, spec.name, arguments, invoke_path=spec.invoke_path)))

    blocking = isinstance(client, Client)
    return StructuredTool(
        name=sanitize_tool_name(spec.name),
        description=tool_description(spec),
        args_schema=spec.input_schema,
        func=call_endpoint_blocking if blocking else None,
        coroutine=None if blocking else call_endpoint,
        metadata={"endpoint": spec.name, "invoke_path": spec.invoke_path},
    )


def tool_description(spec: ToolSpec) -> str:
    """Describe the tool to the model: what it answers, its outputs, its result shape."""
    outputs = ", ".join(spec.output_names) or "none declared"
    summary = spec.description or f"Groundwork endpoint {spec.name}."
    return f"{summary}\n\nOutputs: {outputs}.\n{RESULT_SHAPE}"


def result_text(result: JsonObject) -> str:
    """Serialise a tool result as the JSON text handed to the model."""
    return orjson.dumps(result).decode()


def parse_result_text(content: object) -> JsonObject:
    """Read a tool's message content back into a result object.

    The content is a JSON string (REST tools) or a list of content blocks whose
    text is one (MCP tools). Content that is not a JSON object (for instance an
    exception text written by the agent runtime) becomes error data, so callers
    always get a mapping.
    """
    if isinstance(content, list):
        texts = [block.get("text", "") if isinstance(block, dict) else str(block)
                 for block in content]
        content = "".join(texts)
    if isinstance(content, str):
        try:
            decoded = orjson.loads(content)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            return decoded
    return error_data("tool_failed", str(content))
