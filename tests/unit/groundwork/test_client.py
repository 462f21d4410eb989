"""The public client against a real ``groundwork serve`` process over the seeded demo state."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import groundwork
from groundwork import (
    AccessDenied,
    AsyncClient,
    Client,
    FreshnessStatus,
    GroundworkError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Result,
    Unavailable,
)
from groundwork.errors import EndpointNotFound, ServerUnreachable
from groundwork.net import free_port
from tests.support.demo_state import PRICES_FROM, STAY_CHECK_IN, DemoState, prices

REPOSITORY = Path(__file__).resolve().parents[3]
STAY = {"user_id": 42, "city": "Lisbon", "check_in": STAY_CHECK_IN.isoformat(), "nights": 3}


@pytest.fixture(scope="module")
def client(demo_server: str, demo_state: DemoState) -> Client:
    with Client(demo_server, demo_state.token) as blocking_client:
        yield blocking_client


def test_invoke_returns_outputs_with_per_entity_freshness(client: Client) -> None:
    result = client.invoke("user_profile", {"user_id": 42})

    assert result.endpoint == "user_profile"
    assert result["budget_per_night"] == 150.0 and result.outputs["home_city"] == "Porto"
    (freshness,) = result.freshness
    assert (freshness.view, freshness.key, freshness.status) == ("user_profile", 42,
                                                                  FreshnessStatus.PRESENT)
    assert freshness.event_ts is not None and freshness.event_ts.tzinfo is not None
    assert freshness.age is not None and dt.timedelta(hours=2) <= freshness.age
    assert len(result.trace_id) == 32 and not result.partial
    assert result.body["outputs"] == dict(result.outputs)


def test_an_unknown_entity_reads_missing(client: Client) -> None:
    (freshness,) = client.invoke("user_profile", {"user_id": 999}).freshness

    assert freshness.status is FreshnessStatus.MISSING
    assert freshness.event_ts is None and freshness.age is None


def test_offers_carry_the_freshness_of_every_hotel_read(client: Client) -> None:
    result = client.invoke("hotel_offers", STAY)

    start = (dt.date.fromisoformat(STAY["check_in"]) - PRICES_FROM).days
    totals = {offer["hotel_id"]: offer["total_price"] for offer in result["ranked_offers"]}
    assert totals[1] == round(sum(prices(100.0)[start:start + 3]), 2)
    (summary,) = result.freshness_of("hotel_prices")  # many keys: one summary entry
    assert (summary.key, summary.keys) == (None, 3)
    assert summary.counts == {"PRESENT": 3, "MISSING": 0, "EXPIRED": 0}


def test_list_tools_names_every_granted_endpoint(client: Client) -> None:
    tools = {spec.name: spec for spec in client.list_tools()}

    assert sorted(tools) == ["hotel_details", "hotel_offers", "hotel_search", "user_profile"]
    assert tools["hotel_offers"].input_schema["required"] == ["user_id", "city", "check_in",
                                                              "nights"]
    assert "ranked_offers" in tools["hotel_offers"].output_names


@pytest.mark.parametrize(
    ("endpoint", "inputs", "error", "status", "code"),
    [
        ("hotel_offers", {**STAY, "nights": 0}, InvalidInput, 422, "invalid_input"),
        ("no_such_endpoint", {}, NotFound, 404, "endpoint_not_found"),
    ],
)
def test_refusals_are_exceptions_of_one_hierarchy(
    client: Client, endpoint: str, inputs: dict, error: type[GroundworkError], status: int,
    code: str,
) -> None:
    with pytest.raises(error) as raised:
        client.invoke(endpoint, inputs)

    assert (raised.value.http_status, raised.value.status_code, raised.value.code) == (
        status, status, code)
    assert raised.value.message


def test_an_unknown_endpoint_is_endpoint_not_found(client: Client) -> None:
    with pytest.raises(EndpointNotFound):
        client.invoke("no_such_endpoint", {})


def test_invalid_input_names_the_field(client: Client) -> None:
    with pytest.raises(InvalidInput) as raised:
        client.invoke("hotel_offers", {**STAY, "nights": 0})

    assert [field["field"] for field in raised.value.details["fields"]] == ["nights"]


def test_invoke_many_answers_each_item_in_order(client: Client) -> None:
    items = [{"user_id": 42}, {"user_id": 43}, {"user_id": 999}]
    results = client.invoke_many("user_profile", items)

    assert [result["home_city"] for result in results if isinstance(result, Result)] == [
        "Porto", "Rome", None]
    alone = client.invoke("user_profile", {"user_id": 43})
    second = results[1]
    assert isinstance(second, Result) and second.outputs == alone.outputs
    assert second.endpoint == "user_profile" and len(second.trace_id) == 32
    third = results[2]
    assert isinstance(third, Result) and third.freshness[0].status is FreshnessStatus.MISSING


def test_invoke_many_returns_a_refused_item_as_its_exception(client: Client) -> None:
    served, unknown = client.invoke_many("hotel_offers", [STAY, {**STAY, "city": "Atlantis"}])

    assert isinstance(served, Result)
    assert served["check_out"] == (STAY_CHECK_IN + dt.timedelta(days=3)).isoformat()
    assert isinstance(unknown, NotFound)
    assert (unknown.code, unknown.http_status) == ("unknown_city", 404)
    assert unknown.details["suggestions"]


def test_invoke_many_raises_for_an_invalid_item(client: Client) -> None:
    with pytest.raises(InvalidInput) as raised:
        client.invoke_many("hotel_offers", [STAY, {**STAY, "nights": 0}])

    assert [field["field"] for field in raised.value.details["fields"]] == ["inputs[1].nights"]


def test_a_wrong_token_is_not_authenticated(demo_server: str) -> None:
    with Client(demo_server, "not-a-token") as stranger, pytest.raises(NotAuthenticated) as raised:
        stranger.invoke("user_profile", {"user_id": 42})

    assert raised.value.http_status == 401


def test_a_principal_without_grant_is_denied(demo_server: str, demo_state: DemoState) -> None:
    with Client(demo_server, demo_state.ungranted_token) as ungranted:
        assert ungranted.list_tools() == []
        with pytest.raises(AccessDenied) as raised:
            ungranted.invoke("user_profile", {"user_id": 42})

    assert raised.value.http_status == 403


def test_an_unreachable_server_is_unavailable() -> None:
    with (Client(f"http://127.0.0.1:{free_port()}", "token", timeout=2.0) as client,
          pytest.raises(Unavailable) as raised):
        client.invoke("user_profile", {"user_id": 42})

    assert isinstance(raised.value, ServerUnreachable)
    assert raised.value.http_status is None


async def test_the_async_client_gives_the_same_results(demo_server: str,
                                                       demo_state: DemoState) -> None:
    async with AsyncClient(demo_server, demo_state.token) as client:
        profile, offers = await asyncio.gather(
            client.invoke("user_profile", {"user_id": 42}), client.invoke("hotel_offers", STAY))
        with pytest.raises(InvalidInput):
            await client.invoke("hotel_offers", {**STAY, "check_in": "soon"})

    assert profile["budget_per_night"] == 150.0
    assert offers["check_out"] == (STAY_CHECK_IN + dt.timedelta(days=3)).isoformat()


async def test_the_blocking_client_works_inside_a_running_event_loop(client: Client) -> None:
    assert client.invoke("user_profile", {"user_id": 43})["home_city"] == "Rome"


def test_blocking_methods_keep_the_async_signature_and_docstring() -> None:
    assert Client.invoke.__doc__ == AsyncClient.invoke.__doc__
    assert Client.list_tools.__doc__ == AsyncClient.list_tools.__doc__
    assert Client.invoke_many.__doc__ == AsyncClient.invoke_many.__doc__


def test_closing_twice_is_harmless(demo_server: str, demo_state: DemoState) -> None:
    client = Client(demo_server, demo_state.token)
    client.close()
    client.close()


def test_every_public_name_resolves() -> None:
    for name in groundwork.__all__:
        assert getattr(groundwork, name) is not None
    assert groundwork.__version__ == "0.1.0"
    with pytest.raises(AttributeError):
        groundwork.NoSuchThing  # noqa: B018


def test_importing_groundwork_and_the_client_stays_cheap() -> None:
    probe = (
        "import sys\n"
        "from groundwork import Client, AsyncClient, NotFound\n"
        "import groundwork.agents\n"
        "heavy = ('fastapi', 'starlette', 'sqlalchemy', 'feast', 'pyspark', 'pandas', "
        "'pyarrow', 'langchain', 'langchain_core', 'networkx')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True,
                            text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
