"""The MCP door of a real ``groundwork serve`` process, through the official ``mcp`` client.

Same grants, same entity bindings, same audit as REST: every assertion below
compares what MCP answers with what REST answers for the same call, or with
the catalog's audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from groundwork.agents.langchain_toolkit import langchain_tools_async, parse_result_text
from groundwork.agents.mcp_toolkit import mcp_tools
from groundwork.agents.travel_planner import TravelQuestion, plan_trip
from groundwork.catalog.policy import ObjectType, Privilege
from groundwork.catalog.store import open_catalog
from groundwork.client import AsyncClient
from groundwork.settings import Settings
from tests.support.demo_state import PRICES_FROM, DemoState
from tests.unit.agents.scripted_model import travel_script

pytestmark = pytest.mark.e2e

CHECK_IN = (PRICES_FROM + dt.timedelta(days=3)).isoformat()
CALLS: dict[str, dict[str, Any]] = {
    "user_profile": {"user_id": 42},
    "hotel_details": {"hotel_id": 1},
    "hotel_offers": {"user_id": 42, "city": "Lisbon", "check_in": CHECK_IN, "nights": 2},
    "hotel_search": {"city": "lisbon", "check_in": CHECK_IN, "nights": 2, "user_id": 42,
                     "sort": "rating"},
}
PAST = (PRICES_FROM - dt.timedelta(days=1)).isoformat()
LATE = (PRICES_FROM + dt.timedelta(days=89)).isoformat()


@asynccontextmanager
async def mcp_session(url: str, token: str | None) -> AsyncIterator[ClientSession]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with mcp_session_with(url, headers) as session:
        yield session


@asynccontextmanager
async def mcp_session_with(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (httpx.AsyncClient(headers=headers) as client,
                streamable_http_client(f"{url}/mcp", http_client=client) as (read, write, _),
                ClientSession(read, write) as session):
        await session.initialize()
        yield session


def rest(url: str, token: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return httpx.get(f"{url}{path}", headers=headers)
    return httpx.post(f"{url}{path}", json=body, headers=headers)


def without_trace(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "trace_id"}


@pytest.fixture(scope="module")
def bound_token(demo_state: DemoState) -> str:
    """A token of the demo principal bound to user 42."""
    url = Settings(state_dir=demo_state.state_dir).resolved_catalog_url
    with open_catalog(url) as catalog:
        return catalog.issue_token("travel-planner", entity_filter={"user_id": 42}).token


async def test_tools_are_the_rest_tools_with_the_same_schemas(
    demo_server: str, demo_state: DemoState
) -> None:
    listed = rest(demo_server, demo_state.token, "/v1/tools").json()["tools"]
    async with mcp_session(demo_server, demo_state.token) as session:
        tools = (await session.list_tools()).tools

    assert [tool.name for tool in tools] == [tool["name"] for tool in listed]
    for tool, expected in zip(tools, listed, strict=True):
        assert tool.description == expected["description"]
        assert tool.inputSchema == expected["input_schema"]
        assert tool.outputSchema == expected["output_schema"]


async def test_a_caller_without_grants_sees_no_tools(
    demo_server: str, demo_state: DemoState
) -> None:
    async with mcp_session(demo_server, demo_state.ungranted_token) as session:
        assert (await session.list_tools()).tools == []
        result = await session.call_tool("user_profile", {"user_id": 42})

    assert result.isError
    assert result.structuredContent is not None
    assert result.structuredContent["error"]["code"] == "access_denied"


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_each_tool_answers_what_rest_answers(
    demo_server: str, demo_state: DemoState, name: str
) -> None:
    expected = rest(demo_server, demo_state.token, f"/v1/endpoints/{name}/invoke", CALLS[name])
    assert expected.status_code == 200
    async with mcp_session(demo_server, demo_state.token) as session:
        result = await session.call_tool(name, CALLS[name])

    assert not result.isError
    assert result.structuredContent is not None
    served = without_trace(result.structuredContent)
    truth = without_trace(expected.json())
    for entry in served["freshness"] + truth["freshness"]:
        entry.pop("age_seconds")
    assert served == truth
    assert any(entry["status"] == "PRESENT" for entry in served["freshness"])
    assert result.content[0].type == "text" and '"outputs"' in result.content[0].text


@pytest.mark.parametrize(("name", "arguments", "code"), [
    ("user_profile", {"user_id": True}, "invalid_input"),
    ("user_profile", {"user_id": "42"}, "invalid_input"),
    ("user_profile", {"user_id": 42, "extra": 1}, "invalid_input"),
    ("hotel_offers", {**CALLS["hotel_offers"], "nights": 31}, "stay_too_long"),
    ("hotel_search", {**CALLS["hotel_search"], "city": "Atlantis"}, "unknown_city"),
    ("hotel_search", {**CALLS["hotel_search"], "check_in": PAST}, "check_in_in_past"),
    ("hotel_search", {**CALLS["hotel_search"], "check_in": LATE}, "dates_outside_price_window"),
    ("hotel_search", {**CALLS["hotel_search"], "nights": 400}, "stay_too_long"),
    ("hotel_search", {**CALLS["hotel_search"], "sort": "cheap"}, "invalid_input"),
    ("no_such_endpoint", {}, "endpoint_not_found"),
])
async def test_failures_are_tool_results_the_model_can_read(
    demo_server: str, demo_state: DemoState, name: str, arguments: dict[str, Any], code: str
) -> None:
    async with mcp_session(demo_server, demo_state.token) as session:
        result = await session.call_tool(name, arguments)
        assert (await session.list_tools()).tools, "the session still works"

    assert result.isError
    assert result.structuredContent is not None
    assert result.structuredContent["error"]["code"] == code
    assert code in result.content[0].text


async def test_a_bound_token_cannot_ask_about_another_user(
    demo_server: str, bound_token: str
) -> None:
    async with mcp_session(demo_server, bound_token) as session:
        own = await session.call_tool("user_profile", {"user_id": 42})
        other = await session.call_tool("user_profile", {"user_id": 43})
        offers = await session.call_tool("hotel_offers", {**CALLS["hotel_offers"], "user_id": 43})

    assert not own.isError
    for refused in (other, offers):
        assert refused.isError
        assert refused.structuredContent is not None
        error = refused.structuredContent["error"]
        assert error["code"] == "access_denied" and error["details"]["field"] == "user_id"


@pytest.mark.parametrize("authorization", [
    None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer gw_0123456789abcdef_not-a-real-secret"])
async def test_no_valid_token_is_refused_at_the_door(
    demo_server: str, authorization: str | None
) -> None:
    headers = {"Accept": "application/json, text/event-stream"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = httpx.post(f"{demo_server}/mcp", headers=headers, json={
        "jsonrpc": "2.0", "id": 1, "method": "tools/list"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_calls_over_mcp_are_audited_with_their_channel(
    demo_server: str, demo_state: DemoState
) -> None:
    trace_id = "mcp-audit-check-0001"
    async with mcp_session_with(demo_server, {"Authorization": f"Bearer {demo_state.token}",
                                              "X-Request-ID": trace_id}) as session:
        await session.call_tool("user_profile", {"user_id": 42})
        await session.call_tool("user_profile", {"user_id": 0})
    httpx.post(f"{demo_server}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
               headers={"Accept": "application/json", "X-Request-ID": trace_id})

    url = Settings(state_dir=demo_state.state_dir).resolved_catalog_url
    with open_catalog(url) as catalog:
        events = []
        for _ in range(600):  # the server's audit shipper runs every 0.1 s
            events = [event for event in catalog.audit_events(limit=500)
                      if event.trace_id == trace_id]
            if {200, 401, 422} <= {event.status_code for event in events}:
                break
            await asyncio.sleep(0.05)

    by_status = {event.status_code: event for event in events}
    assert {event.channel for event in events} == {"mcp"}
    assert by_status[200].object_name == "user_profile"
    assert by_status[200].object_type == ObjectType.ENDPOINT
    assert by_status[200].privilege == Privilege.EXECUTE and by_status[200].allowed
    assert by_status[422].principal == "travel-planner"
    assert by_status[401].principal is None and not by_status[401].allowed



def stdio_parameters(demo_state: DemoState, token: str) -> StdioServerParameters:
    """``groundwork mcp`` of this checkout over the demo state, as a desktop client starts it."""
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(demo_state.state_dir),
                   "GROUNDWORK_TOKEN": token}
    return StdioServerParameters(command=sys.executable, args=["-m", "groundwork", "mcp"],
                                 env=environment)


async def test_stdio_serves_the_same_tools_and_answers(
    demo_server: str, demo_state: DemoState, bound_token: str
) -> None:
    listed = rest(demo_server, demo_state.token, "/v1/tools").json()["tools"]
    expected = rest(demo_server, demo_state.token, "/v1/endpoints/hotel_details/invoke",
                    CALLS["hotel_details"]).json()
    async with (stdio_client(stdio_parameters(demo_state, demo_state.token)) as (read, write),
                ClientSession(read, write) as session):
        await session.initialize()
        tools = (await session.list_tools()).tools
        result = await session.call_tool("hotel_details", CALLS["hotel_details"])
        failed = await session.call_tool("hotel_details", {"hotel_id": True})

    assert [(tool.name, tool.inputSchema, tool.outputSchema) for tool in tools] == [
        (tool["name"], tool["input_schema"], tool["output_schema"]) for tool in listed]
    assert result.structuredContent is not None and not result.isError
    assert result.structuredContent["outputs"] == expected["outputs"]
    assert failed.isError and failed.structuredContent is not None
    assert failed.structuredContent["error"]["code"] == "invalid_input"

    async with (stdio_client(stdio_parameters(demo_state, bound_token)) as (read, write),
                ClientSession(read, write) as session):
        await session.initialize()
        other = await session.call_tool("user_profile", {"user_id": 43})
    assert other.isError and other.structuredContent is not None
    assert other.structuredContent["error"]["code"] == "access_denied"


@pytest.mark.parametrize(("token", "message"), [
    ("", "set GROUNDWORK_TOKEN"), ("gw_0123456789abcdef_wrong", "does not authenticate")])
def test_stdio_without_a_valid_token_is_one_line_and_exit_2(
    demo_state: DemoState, token: str, message: str
) -> None:
    parameters = stdio_parameters(demo_state, token)
    finished = subprocess.run([parameters.command, *parameters.args], env=parameters.env,
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    assert finished.returncode == 2
    assert finished.stderr.startswith("error: ") and message in finished.stderr
    assert "Traceback" not in finished.stderr and finished.stdout == ""


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """A tool result without what differs between two calls: the trace id and the ages."""
    kept = without_trace(result)
    for entry in kept.get("freshness", []):
        entry.pop("age_seconds", None)
    return kept


async def test_langchain_tools_over_mcp_are_the_rest_tools(
    demo_server: str, demo_state: DemoState
) -> None:
    over_mcp = {tool.name: tool for tool in await mcp_tools(demo_server, demo_state.token)}
    async with AsyncClient(demo_server, demo_state.token) as client:
        over_rest = {tool.name: tool for tool in await langchain_tools_async(client)}
        assert sorted(over_mcp) == sorted(over_rest)
        for name, tool in over_mcp.items():
            assert tool.args_schema == over_rest[name].args_schema
        for name, arguments in [*CALLS.items(), ("user_profile", {"user_id": 0})]:
            through_rest = parse_result_text(await over_rest[name].ainvoke(arguments))
            through_mcp = parse_result_text(await over_mcp[name].ainvoke(arguments))
            assert comparable(through_mcp) == comparable(through_rest), name
    assert through_mcp["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("chat_model", ["scripted", None])
async def test_the_travel_plan_over_mcp_is_the_plan_over_rest(
    demo_server: str, demo_state: DemoState, chat_model: str | None
) -> None:
    question = f"Plan 2 nights in Lisbon from {CHECK_IN} for user 42"
    plans = {}
    for transport in ("rest", "mcp"):
        model = travel_script(TravelQuestion.parse(question)) if chat_model else None
        async with AsyncClient(demo_server, demo_state.token) as client:
            plans[transport] = await plan_trip(question, client=client, chat_model=model,
                                               transport=transport)

    rest_plan, mcp_plan = plans["rest"], plans["mcp"]
    assert "Alfama Garden" in rest_plan.answer
    assert mcp_plan.answer == rest_plan.answer
    assert [(call.name, call.arguments, comparable(call.result)) for call in mcp_plan.tool_calls] \
        == [(call.name, call.arguments, comparable(call.result)) for call in rest_plan.tool_calls]
