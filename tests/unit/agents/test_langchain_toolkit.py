"""LangChain tools over the REST client: names, schemas, results and failures as data."""

from __future__ import annotations

import httpx
import orjson
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool

from groundwork.agents.langchain_toolkit import (
    langchain_tools,
    langchain_tools_async,
    parse_result_text,
    tool_from_spec,
)
from groundwork.agents.rest import ToolSpec
from groundwork.client import AsyncClient, Client
from tests.unit.agents.fake_platform import (
    DESCRIPTIONS,
    INPUT_SCHEMAS,
    OFFERS_LISBON,
    TOKEN,
    create_fake_platform,
)

STAY = {"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3}


async def test_one_tool_per_granted_endpoint_with_its_schema(client: AsyncClient) -> None:
    tools = await langchain_tools_async(client)

    assert [tool.name for tool in tools] == ["user_profile", "hotel_offers", "hotel_search"]
    for tool in tools:
        assert tool.args_schema == INPUT_SCHEMAS[tool.name]
        assert convert_to_openai_tool(tool)["function"]["parameters"] == INPUT_SCHEMAS[tool.name]
        assert tool.description.startswith(DESCRIPTIONS[tool.name])
        assert tool.metadata == {"endpoint": tool.name,
                                 "invoke_path": f"/v1/endpoints/{tool.name}/invoke"}


async def test_the_description_names_the_outputs_and_the_result_shape(
    client: AsyncClient,
) -> None:
    offers = (await langchain_tools_async(client))[1]

    outputs = "Outputs: check_out, budget_per_night, budget_total, ranked_offers."
    assert outputs in offers.description
    assert "freshness" in offers.description
    assert '{"error"' in offers.description


async def test_only_granted_endpoints_become_tools(make_client) -> None:
    tools = await langchain_tools_async(make_client(granted=["hotel_offers"]))

    assert [tool.name for tool in tools] == ["hotel_offers"]


async def test_a_tool_returns_the_endpoint_result_as_json(client: AsyncClient) -> None:
    offers = (await langchain_tools_async(client))[1]

    text = await offers.ainvoke(STAY)

    assert isinstance(text, str)
    result = orjson.loads(text)
    assert result["outputs"]["ranked_offers"] == OFFERS_LISBON
    assert result["outputs"]["check_out"] == "2026-12-07"


async def test_a_tool_call_yields_a_tool_message(client: AsyncClient) -> None:
    profile = (await langchain_tools_async(client))[0]

    message = await profile.ainvoke(
        {"name": "user_profile", "args": {"user_id": 42}, "id": "call_1", "type": "tool_call"}
    )

    assert isinstance(message, ToolMessage)
    assert message.tool_call_id == "call_1"
    assert orjson.loads(str(message.content))["outputs"]["budget_per_night"] == 170.8


@pytest.mark.parametrize(
    ("arguments", "code", "details"),
    [
        ({**STAY, "nights": "three"}, "invalid_input", {"field": "nights"}),
        ({key: value for key, value in STAY.items() if key != "city"}, "invalid_input",
         {"field": "city"}),
    ],
)
async def test_invalid_arguments_come_back_as_data(
    client: AsyncClient, arguments: dict, code: str, details: dict
) -> None:
    offers = (await langchain_tools_async(client))[1]

    error = orjson.loads(await offers.ainvoke(arguments))["error"]

    assert (error["code"], error["status"], error["details"]) == (code, 422, details)


@pytest.mark.parametrize(("token", "store_down", "code", "status"), [
    ("stolen", False, "not_authenticated", 401),
    ("agent-42-token", True, "store_unavailable", 503),
])
async def test_platform_failures_come_back_as_data(
    client: AsyncClient, make_client, token: str, store_down: bool, code: str, status: int
) -> None:
    spec = (await client.list_tools())[1]
    offers = tool_from_spec(make_client(token=token, store_down=store_down), spec)

    error = orjson.loads(await offers.ainvoke(STAY))["error"]

    assert (error["code"], error["status"]) == (code, status)


async def test_a_refused_connection_comes_back_as_data(
    client: AsyncClient, unreachable_client: AsyncClient
) -> None:
    spec = (await client.list_tools())[1]
    offers = tool_from_spec(unreachable_client, spec)

    error = orjson.loads(await offers.ainvoke(STAY))["error"]

    assert error["code"] == "connection_error"


async def test_tool_names_are_sanitized_and_calls_use_the_published_path(
    client: AsyncClient,
) -> None:
    spec = ToolSpec(name="travel.profile", description="",
                    input_schema=INPUT_SCHEMAS["user_profile"], output_schema={},
                    invoke_path="/v1/endpoints/user_profile/invoke")
    tool = tool_from_spec(client, spec)

    assert tool.name == "travel_profile"
    assert tool.description.startswith("Groundwork endpoint travel.profile.")
    result = orjson.loads(await tool.ainvoke({"user_id": 42}))
    assert result["endpoint"] == "user_profile"


@pytest.mark.parametrize("content", ["Error: boom", "[1, 2]", ["a", "b"]])
def test_content_that_is_not_a_json_object_reads_as_an_error(content: object) -> None:
    assert parse_result_text(content)["error"]["code"] == "tool_failed"


async def test_tools_of_the_blocking_client_run_in_blocking_and_async_agents() -> None:
    app = create_fake_platform()
    with Client("http://groundwork.test", TOKEN, transport=httpx.ASGITransport(app=app)) as client:
        tools = {tool.name: tool for tool in langchain_tools(client)}
        blocking = orjson.loads(tools["user_profile"].invoke({"user_id": 42}))
        awaited = orjson.loads(await tools["hotel_offers"].ainvoke(STAY))
        refused = orjson.loads(tools["user_profile"].invoke({"user_id": -1}))

    assert blocking["outputs"]["budget_per_night"] == 170.8
    assert awaited["outputs"]["ranked_offers"] == OFFERS_LISBON
    assert (refused["error"]["code"], refused["error"]["status"]) == ("invalid_input", 422)


def test_langchain_tools_is_exported_by_the_agents_package() -> None:
    from groundwork import agents

    assert agents.langchain_tools is langchain_tools
