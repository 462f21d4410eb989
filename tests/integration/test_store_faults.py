"""A store that stops or hangs: calls fail fast with a fixed message, and serving recovers.

The demo state is served in process (the real app, lifespan included) from a
primary store on a real local server of each networked kind, its reads bounded
at :data:`STORE_TIMEOUT` seconds. An outage is the server process stopped; a
hang is a TCP listener that accepts and never answers. Timing is asserted only
as an upper bound, generously, to catch a call that would wait for a driver's
default timeouts instead of the configured one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from groundwork.dag.spec import EndpointSpec, Lookup
from groundwork.errors import StoreUnavailable
from groundwork.server import build_app
from groundwork.settings import Settings
from groundwork.sync.config import StoreConfig
from groundwork.sync.factory import open_store
from groundwork.travel import TRAVEL_ENDPOINTS, USER_ID
from tests.support.black_hole import black_hole
from tests.support.demo_state import PRICES_FROM, DemoState, seed_store
from tests.support.dynamodb_server import DUMMY_CREDENTIALS
from tests.support.restartable import SERVERS, RestartableServer, config_at, frozen

KINDS = ["redis", "dynamodb", "cosmos"]
STORE_TIMEOUT = 0.3
"""Read timeout of the stores under test, in seconds."""
GUARD_SECONDS = 5.0
"""Failure guard: a failing call answering later than this waited for something else."""
READINESS_BOUND_SECONDS = 1.0
"""Readiness answers within this, whatever the stores do."""

BUDGET_IF_KNOWN = EndpointSpec(
    name="budget_if_known",
    description="The traveller's nightly budget, or nothing when the store does not answer.",
    inputs=(USER_ID,),
    lookups=(Lookup("user_profile", "user_id", ("budget_per_night",)),),
    outputs=("budget_per_night",),
    optional=frozenset({"user_profile"}),
)
UNAVAILABLE = {"code": "store_unavailable", "message": StoreUnavailable.PUBLIC_MESSAGE}


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials for the DynamoDB client (dynalite accepts any)."""
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


def settings_for(demo_state: DemoState, directory: Path, store: StoreConfig) -> Settings:
    """The demo state's catalog (copied) served from ``store``."""
    state_dir = directory / "state"
    shutil.copytree(demo_state.state_dir, state_dir,
                    ignore=shutil.ignore_patterns("online.db*"))
    return Settings(state_dir=state_dir, store=store)


def seed(settings: Settings) -> None:
    """Write the demo rows into the settings' primary store."""

    async def write() -> None:
        store = open_store(settings.store, default_path=settings.online_db_path)
        try:
            await seed_store(settings, dt.datetime.now(dt.UTC).replace(microsecond=0),
                             PRICES_FROM, into=store)
        finally:
            await store.close()

    asyncio.run(write())


@contextmanager
def serving(settings: Settings) -> Iterator[TestClient]:
    """The real app over ``settings``, started and stopped around the block."""
    app = build_app(settings, endpoints=(*TRAVEL_ENDPOINTS, BUDGET_IF_KNOWN))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def invoke(client: TestClient, token: str, endpoint: str = "user_profile",
           user_id: int = 42) -> Response:
    return client.post(f"/v1/endpoints/{endpoint}/invoke", json={"user_id": user_id},
                       headers={"Authorization": f"Bearer {token}"})


def answered(client: TestClient, token: str, endpoint: str = "user_profile") -> Response:
    """``invoke`` until it answers 200 (or 50 tries): a loaded machine may let a healthy
    store's read overrun the short timeout under test now and then."""
    for _ in range(49):
        response = invoke(client, token, endpoint)
        if response.status_code == 200:
            return response
    return invoke(client, token, endpoint)


def call_tool(client: TestClient, token: str) -> Response:
    """``tools/call`` of ``user_profile`` through the MCP door (one stateless JSON-RPC POST)."""
    return client.post("/mcp", json={
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "user_profile", "arguments": {"user_id": 42}},
    }, headers={"Authorization": f"Bearer {token}",
                "Accept": "application/json, text/event-stream"})


def timed(call: Any, *arguments: Any) -> tuple[Response, float]:
    started = time.monotonic()
    response = call(*arguments)
    return response, time.monotonic() - started


def assert_nothing_internal(text: str, port: int) -> None:
    """No host, port, driver or store naming in what a client reads."""
    leaks = [fragment for fragment in ("127.0.0.1", "localhost", "http://", "https://", "redis",
                                       "dynamo", "cosmos", "botocore", "aiohttp", "primary",
                                       "traceback", "timed out", "timeout")
             if fragment in text.lower()]
    assert leaks == [], text
    assert re.search(r"[A-Z]\w*(Error|Exception)", text) is None, text  # driver exceptions
    assert re.search(rf"\b{port}\b", text) is None, text


def assert_store_unavailable(response: Response, port: int) -> None:
    """503 with the fixed message, and details naming nothing internal."""
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert {key: error[key] for key in ("code", "message")} == UNAVAILABLE
    assert set(error["details"]) <= {"trace_id"}
    assert_nothing_internal(response.text, port)


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RestartableServer]:
    """A local server of each kind, in a process of its own, stopped afterwards."""
    started: RestartableServer = SERVERS[request.param](tmp_path)
    try:
        yield started
    finally:
        started.stop()


def test_an_outage_fails_calls_at_once_and_serving_recovers_without_restart(
    server: RestartableServer, demo_state: DemoState, tmp_path: Path
) -> None:
    settings = settings_for(demo_state, tmp_path, server.config(
        read_timeout_seconds=STORE_TIMEOUT))
    seed(settings)
    token = demo_state.token
    with serving(settings) as client:
        assert answered(client, token).status_code == 200
        server.stop()

        response, elapsed = timed(invoke, client, token)
        assert_store_unavailable(response, server.port)
        assert elapsed < GUARD_SECONDS
        partial = invoke(client, token, "budget_if_known")
        assert partial.status_code == 200, partial.text
        assert partial.json()["errors"] == {"user_profile": UNAVAILABLE}
        assert partial.json()["outputs"] == {"budget_per_night": None}
        assert_nothing_internal(partial.text.replace(partial.json()["trace_id"], ""),
                                server.port)
        tool = call_tool(client, token)
        assert tool.status_code == 200 and tool.json()["result"]["isError"] is True
        assert tool.json()["result"]["structuredContent"]["error"]["message"] == (
            StoreUnavailable.PUBLIC_MESSAGE)
        assert_nothing_internal(tool.text, server.port)
        assert_store_unavailable(client.get("/readyz"), server.port)

        server.start()
        if not server.keeps_data:
            seed(settings)
        recovered = answered(client, token)
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["outputs"]["budget_per_night"] == 150.0
        assert client.get("/readyz").status_code == 200


def test_a_frozen_store_fails_calls_at_its_timeout_and_serving_recovers_when_it_thaws(
    server: RestartableServer, demo_state: DemoState, tmp_path: Path
) -> None:
    settings = settings_for(demo_state, tmp_path, server.config(
        read_timeout_seconds=STORE_TIMEOUT))
    seed(settings)
    with serving(settings) as client:
        assert answered(client, demo_state.token).status_code == 200  # connections are open
        with frozen(server):
            # a user not read yet: Redis's client-side cache may serve one read just before
            # for up to its staleness bound (tests/unit/sync/test_resp.py)
            response, elapsed = timed(invoke, client, demo_state.token, "user_profile", 7)
            assert_store_unavailable(response, server.port)
            assert elapsed < GUARD_SECONDS
            ready, elapsed = timed(client.get, "/readyz")
            assert_store_unavailable(ready, server.port)
            assert elapsed < READINESS_BOUND_SECONDS
        recovered = answered(client, demo_state.token)
        assert recovered.status_code == 200, recovered.text


@pytest.mark.parametrize("kind", KINDS)
def test_a_hung_store_fails_calls_at_its_timeout_and_readiness_within_a_second(
    kind: str, demo_state: DemoState, tmp_path: Path
) -> None:
    with black_hole() as port:
        settings = settings_for(demo_state, tmp_path,
                                config_at(kind, port, read_timeout_seconds=STORE_TIMEOUT))
        with serving(settings) as client:
            response, elapsed = timed(invoke, client, demo_state.token)
            assert_store_unavailable(response, port)
            assert elapsed < GUARD_SECONDS

            ready, elapsed = timed(client.get, "/readyz")
            assert_store_unavailable(ready, port)
            assert elapsed < READINESS_BOUND_SECONDS


@pytest.mark.parametrize("kind", KINDS)
def test_readiness_answers_within_a_second_whatever_the_store_timeout(
    kind: str, demo_state: DemoState, tmp_path: Path
) -> None:
    with black_hole() as port:
        settings = settings_for(demo_state, tmp_path,
                                config_at(kind, port, read_timeout_seconds=30))
        with serving(settings) as client:
            for _ in range(2):  # the second check joins the probe still in flight
                ready, elapsed = timed(client.get, "/readyz")
                assert_store_unavailable(ready, port)
                assert elapsed < READINESS_BOUND_SECONDS
