"""LangChain tools over Groundwork's MCP door, loaded with ``langchain-mcp-adapters``.

The same endpoints, names, input schemas and results as the REST toolkit
(:mod:`groundwork.agents.langchain_toolkit`): the server generates both from one
compiled schema. Choose the door with one setting (``transport`` of
:func:`groundwork.agents.travel_planner.plan_trip`, ``GROUNDWORK_AGENT_TRANSPORT``
for ``groundwork ask``). Needs the ``mcp`` extra.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient

SERVER = "groundwork"
MCP_PATH = "/mcp"


def mcp_connection(base_url: str, token: str,
                   request_id: str | None = None) -> dict[str, object]:
    """The ``langchain-mcp-adapters`` connection to a server's MCP door.

    ``request_id`` is sent as ``X-Request-ID`` with every call (the trace id
    the audit log files the calls under), e.g. the id of the answer they serve.
    """
    headers = {"Authorization": f"Bearer {token}"}
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    return {"transport": "streamable_http", "url": base_url.rstrip("/") + MCP_PATH,
            "headers": headers}


async def mcp_tools(base_url: str, token: str, request_id: str | None = None) -> list[BaseTool]:
    """One LangChain tool per endpoint ``token`` may execute, called over MCP.

    A tool failure (``isError``) comes back as the tool's output, the REST error
    object as JSON, for the model to read.

    Args:
        base_url: Root URL of the server, e.g. ``http://127.0.0.1:8000``.
        token: Bearer token of the principal the agent acts for.
        request_id: Sent as ``X-Request-ID`` with every call (the trace id of the calls).
    """
    client = MultiServerMCPClient({SERVER: mcp_connection(base_url, token, request_id)})  # type: ignore[dict-item]
    return await client.get_tools(server_name=SERVER)
