"""Fixtures of the agent unit tests: clients of the in-process fake platform."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Sequence

import httpx
import pytest_asyncio

from groundwork.client import AsyncClient
from tests.unit.agents.fake_platform import INPUT_SCHEMAS, TOKEN, create_fake_platform

ClientFactory = Callable[..., AsyncClient]


@pytest_asyncio.fixture(loop_scope="function")
async def make_client() -> AsyncIterator[ClientFactory]:
    """Make clients of a fake platform; all are closed after the test."""
    clients: list[AsyncClient] = []

    def make(
        *,
        token: str = TOKEN,
        store_down: bool = False,
        granted: Sequence[str] = tuple(INPUT_SCHEMAS),
    ) -> AsyncClient:
        app = create_fake_platform(store_down=store_down, granted=granted)
        client = AsyncClient(
            "http://groundwork.test", token, transport=httpx.ASGITransport(app=app)
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest_asyncio.fixture(loop_scope="function")
async def client(make_client: ClientFactory) -> AsyncClient:
    """A client with a valid token and every tool granted."""
    return make_client()


@pytest_asyncio.fixture(loop_scope="function")
async def unreachable_client() -> AsyncIterator[AsyncClient]:
    """A client of a 127.0.0.1 port where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AsyncClient(f"http://127.0.0.1:{port}", TOKEN, timeout=2.0)
    yield client
    await client.aclose()
