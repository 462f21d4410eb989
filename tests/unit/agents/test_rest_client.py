"""The framework-neutral tool core over the public client: specs, calls, failures as data."""

from __future__ import annotations

import httpx
import pytest

from groundwork.agents.rest import (
    ToolListingFailed,
    ToolSpec,
    default_invoke_path,
    invoke_tool,
    is_error,
    list_tool_specs,
    sanitize_tool_name,
)
from groundwork.client import AsyncClient
from tests.unit.agents.fake_platform import (
    DESCRIPTIONS,
    INPUT_SCHEMAS,
    OUTPUT_SCHEMAS,
    PROFILE_42,
    PROFILE_FRESH,
)

STAY = {"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3}


def mock_client(handler: httpx.MockTransport) -> AsyncClient:
    return AsyncClient("http://groundwork.test", "token", timeout=0.5, transport=handler)


async def test_list_tools_returns_the_published_specs(client: AsyncClient) -> None:
    specs = await client.list_tools()

    assert [spec.name for spec in specs] == ["user_profile", "hotel_offers", "hotel_search"]
    offers = specs[1]
    assert offers == ToolSpec(
        name="hotel_offers",
        description=DESCRIPTIONS["hotel_offers"],
        input_schema=INPUT_SCHEMAS["hotel_offers"],
        output_schema=OUTPUT_SCHEMAS["hotel_offers"],
        invoke_path="/v1/endpoints/hotel_offers/invoke",
    )
    assert offers.output_names == ["check_out", "budget_per_night", "budget_total",
                                   "ranked_offers"]


async def test_invoke_returns_the_success_body(client: AsyncClient) -> None:
    result = await invoke_tool(client, "user_profile", {"user_id": 42})

    assert result["endpoint"] == "user_profile"
    assert result["outputs"] == PROFILE_42
    assert result["freshness"] == [PROFILE_FRESH]
    assert not is_error(result)


@pytest.mark.parametrize(
    ("name", "arguments", "status", "code", "details"),
    [
        ("hotel_offers", {**STAY, "nights": 0}, 422, "invalid_input", {"field": "nights"}),
        ("hotel_offers", {**STAY, "check_in": "soon"}, 422, "invalid_input",
         {"field": "check_in"}),
        ("no_such_endpoint", {}, 404, "endpoint_not_found", {"endpoint": "no_such_endpoint"}),
    ],
)
async def test_http_errors_are_returned_as_data(
    client: AsyncClient, name: str, arguments: dict, status: int, code: str, details: dict
) -> None:
    result = await invoke_tool(client, name, arguments)

    assert result["error"]["status"] == status
    assert result["error"]["code"] == code
    assert result["error"]["details"] == details
    assert result["error"]["message"]


async def test_a_wrong_token_is_returned_as_data(make_client) -> None:
    result = await invoke_tool(make_client(token="stolen"), "user_profile", {"user_id": 42})

    assert result["error"]["code"] == "not_authenticated"
    assert result["error"]["status"] == 401


async def test_an_unavailable_store_is_returned_as_data(make_client) -> None:
    result = await invoke_tool(make_client(store_down=True), "hotel_offers", STAY)

    assert result["error"]["code"] == "store_unavailable"
    assert result["error"]["status"] == 503


async def test_a_refused_connection_is_returned_as_data(
    unreachable_client: AsyncClient,
) -> None:
    result = await invoke_tool(unreachable_client, "hotel_offers", STAY)

    assert result["error"]["code"] == "connection_error"
    assert unreachable_client.base_url in result["error"]["message"]
    assert result["error"]["status"] is None


async def test_a_timeout_is_returned_as_data() -> None:
    def never_answers(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    async with mock_client(httpx.MockTransport(never_answers)) as client:
        result = await invoke_tool(client, "hotel_offers", STAY)

    assert result["error"]["code"] == "timeout"
    assert "0.5 s" in result["error"]["message"]


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (httpx.Response(502, text="<html>Bad gateway</html>"), "http_502"),
        (httpx.Response(200, text="not json"), "invalid_response"),
        (httpx.Response(200, json=[1, 2]), "invalid_response"),
    ],
)
async def test_bodies_outside_the_contract_are_returned_as_data(
    response: httpx.Response, code: str
) -> None:
    async with mock_client(httpx.MockTransport(lambda request: response)) as client:
        result = await invoke_tool(client, "hotel_offers", STAY)

    assert result["error"]["code"] == code
    assert result["error"]["status"] == response.status_code


async def test_arguments_that_are_not_json_are_returned_as_data(
    client: AsyncClient,
) -> None:
    result = await invoke_tool(client, "hotel_offers", {**STAY, "nights": object()})

    assert result["error"]["code"] == "invalid_arguments"


async def test_invoke_posts_the_arguments_to_the_published_path_with_the_token() -> None:
    seen: list[httpx.Request] = []
    listing = {"tools": [{"name": "hotels.v2", "description": "", "input_schema": {},
                          "output_schema": {}, "invoke_path": "/v2/hotels/run"}]}

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/tools":
            return httpx.Response(200, json=listing)
        return httpx.Response(200, json={"outputs": {}})

    async with mock_client(httpx.MockTransport(answer)) as client:
        await client.list_tools()
        await client.invoke("hotels.v2", {"check_in": "2026-12-04"})

    invocation = seen[-1]
    assert (invocation.method, invocation.url.path) == ("POST", "/v2/hotels/run")
    assert invocation.headers["authorization"] == "Bearer token"
    assert invocation.headers["content-type"] == "application/json"
    assert invocation.content == b'{"check_in":"2026-12-04"}'


async def test_list_tools_raises_when_the_platform_refuses(make_client) -> None:
    with pytest.raises(ToolListingFailed) as raised:
        await list_tool_specs(make_client(token="stolen"))

    assert (raised.value.code, raised.value.status_code) == ("not_authenticated", 401)


async def test_list_tools_raises_when_the_platform_is_unreachable(
    unreachable_client: AsyncClient,
) -> None:
    with pytest.raises(ToolListingFailed) as raised:
        await list_tool_specs(unreachable_client)

    assert raised.value.code == "connection_error"


@pytest.mark.parametrize(
    ("name", "sanitized"),
    [
        ("hotel_offers", "hotel_offers"),
        ("travel.hotel-offers", "travel_hotel-offers"),
        ("hôtel offers/v2", "h_tel_offers_v2"),
        ("x" * 80, "x" * 64),
    ],
)
def test_sanitize_tool_name(name: str, sanitized: str) -> None:
    assert sanitize_tool_name(name) == sanitized


def test_sanitize_tool_name_refuses_an_empty_name() -> None:
    with pytest.raises(ValueError, match="empty"):
        sanitize_tool_name("")


def test_default_invoke_path_quotes_the_name() -> None:
    assert default_invoke_path("a b/c") == "/v1/endpoints/a%20b%2Fc/invoke"
