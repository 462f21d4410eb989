"""The tool listing: the endpoints a caller may execute, each with its JSON Schemas.

One listing for every door that offers endpoints as tools; the schemas are the
ones the endpoint was compiled with, so OpenAPI, LangChain and MCP agree.
"""

from __future__ import annotations

from typing import Any

from groundwork.catalog.policy import ObjectType, Privilege, Securable
from groundwork.dag.http.context import ServingContext
from groundwork.dag.http.guard import Channel
from groundwork.dag.http.invoke import INVOKE_PREFIX, INVOKE_SUFFIX
from groundwork.dag.runtime import CompiledEndpoint

LISTING = Securable(ObjectType.CATALOG, "GET /v1/tools")
"""What the audit event of a listing names."""


def tool(endpoint: CompiledEndpoint) -> dict[str, Any]:
    """The tool description of one endpoint."""
    return {"name": endpoint.name, "description": endpoint.description,
            "input_schema": endpoint.input_schema, "output_schema": endpoint.output_schema,
            "invoke_path": f"{INVOKE_PREFIX}{endpoint.name}{INVOKE_SUFFIX}"}


def list_tools(context: ServingContext, *, token: str | None, trace_id: str | None,
               channel: Channel = "rest") -> list[dict[str, Any]]:
    """The endpoints the caller holds EXECUTE on, as tools; the listing is audited.

    Args:
        context: The serving context.
        token: The bearer token presented, ``None`` when absent.
        trace_id: The caller's request id; a new one when ``None``.
        channel: The door the listing came through.

    Raises:
        NotAuthenticated: when the token does not authenticate anyone.
    """
    with context.guard.admit(channel=channel, token=token, privilege=Privilege.EXECUTE,
                             securable=None, audit_as=LISTING, trace_id=trace_id) as admission:
        tools = [tool(endpoint) for endpoint in context.endpoints.values()
                 if admission.allows(context.securable(endpoint.name))]
        admission.reason = "listed the endpoints the caller may execute"
        return tools
