"""``groundwork mcp``: the endpoints as MCP tools over stdio, for clients that launch a process.

Desktop MCP clients start a command and speak JSON-RPC over its stdin and
stdout. This process opens the same state as ``groundwork serve`` (stores,
catalog, audit) and answers with the same handlers as the HTTP door, through
the same guard (channel ``mcp``), as the principal of the token in
``GROUNDWORK_TOKEN``. Nothing but protocol messages is written to stdout.
"""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.mcp import build_server
from groundwork.server import build_app
from groundwork.settings import Settings

TOKEN_VARIABLE = "GROUNDWORK_TOKEN"
"""The environment variable holding the bearer token of an stdio session."""


async def serve_stdio(settings: Settings, token: str) -> None:
    """Serve MCP over this process's stdin and stdout until the client closes them.

    Raises:
        NotAuthenticated: when ``token`` does not authenticate anyone (checked first,
            so a misconfigured client fails at once rather than on every call).
    """
    app = build_app(settings, ship_audit=True)
    async with app.router.lifespan_context(app):
        context: ServingContext = app.state.serving
        context.access.authenticate(token)
        server = build_server(lambda: context, lambda: token)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
