"""The pipelined read connection against a real redis-server: order, errors, bounds."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from groundwork.net import free_port
from groundwork.sync.config import RedisStoreConfig
from groundwork.sync.resp import PipelinedConnection
from tests.support.black_hole import black_hole


@pytest.fixture
def server(redis_config: RedisStoreConfig) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_config.url)
    yield client
    client.close()


def connected_clients(server: redis.Redis) -> int:
    return int(server.info("clients")["connected_clients"])


async def test_concurrent_reads_share_one_connection_and_get_their_own_replies(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    prefix = uuid.uuid4().hex
    server.mset({f"{prefix}:{index}": str(index) for index in range(200)})
    connection = PipelinedConnection(redis_config.url, None, timeout=5)
    before = connected_clients(server)
    try:
        replies = await asyncio.gather(*(
            connection.execute(("MGET", f"{prefix}:{index}", f"{prefix}:none"))
            for index in range(200)))
        assert connected_clients(server) == before + 1
    finally:
        connection.close()
    assert replies == [[[str(index).encode(), None]] for index in range(200)]


async def test_several_commands_answer_in_order(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    prefix = uuid.uuid4().hex
    server.mset({f"{prefix}:a": "1", f"{prefix}:b": "2"})
    connection = PipelinedConnection(redis_config.url, None, timeout=5)
    try:
        replies = await connection.execute(("MGET", f"{prefix}:b"), ("MGET", f"{prefix}:a"))
    finally:
        connection.close()
    assert replies == [[b"2"], [b"1"]]


async def test_an_error_reply_fails_its_command_only(redis_config: RedisStoreConfig) -> None:
    connection = PipelinedConnection(redis_config.url, None, timeout=5)
    try:
        with pytest.raises(ResponseError):
            await connection.execute(("NO-SUCH-COMMAND",))
        assert await connection.execute(("PING",)) == [b"PONG"]
    finally:
        connection.close()


async def test_a_cancelled_read_leaves_the_next_reply_to_its_own_caller(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    prefix = uuid.uuid4().hex
    server.mset({f"{prefix}:first": "1", f"{prefix}:second": "2"})
    connection = PipelinedConnection(redis_config.url, None, timeout=5)
    try:
        await connection.execute(("PING",))  # connected, so the next send goes out at once
        first = asyncio.ensure_future(connection.execute(("MGET", f"{prefix}:first")))
        await asyncio.sleep(0)  # the command is written
        first.cancel()
        assert await connection.execute(("MGET", f"{prefix}:second")) == [[b"2"]]
    finally:
        connection.close()


async def test_a_user_password_and_database_come_from_the_url(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    user, secret, key = f"reader-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, uuid.uuid4().hex
    server.acl_setuser(user, enabled=True, passwords=[f"+{secret}"], keys=["*"],
                       commands=["+@all"])
    with redis.Redis.from_url(redis_config.url.rsplit("/", 1)[0] + "/3") as database:
        database.set(key, "in-three")
    address = urlparse(redis_config.url).netloc
    try:
        connection = PipelinedConnection(f"redis://{user}@{address}/3", secret, timeout=5)
        try:
            assert await connection.execute(("MGET", key)) == [[b"in-three"]]
        finally:
            connection.close()
        refused = PipelinedConnection(f"redis://{user}:wrong@{address}/3", None, timeout=5)
        with pytest.raises(ResponseError):
            await refused.execute(("PING",))
    finally:
        server.acl_deluser(user)


async def test_a_server_that_hangs_fails_every_waiting_read_at_the_timeout() -> None:
    with black_hole() as port:
        connection = PipelinedConnection(f"redis://127.0.0.1:{port}/0", None, timeout=0.05)
        async with asyncio.timeout(30):  # a failure guard only
            outcomes = await asyncio.gather(
                *(connection.execute(("MGET", "a")) for _ in range(3)), return_exceptions=True)
        connection.close()
    assert all(isinstance(outcome, RedisTimeoutError) for outcome in outcomes)


async def test_a_server_that_is_gone_fails_to_connect() -> None:
    connection = PipelinedConnection(f"redis://127.0.0.1:{free_port()}/0", None, timeout=1)
    with pytest.raises(RedisConnectionError):
        await connection.execute(("PING",))


async def test_a_dropped_connection_is_opened_again(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    connection = PipelinedConnection(redis_config.url, None, timeout=5)
    try:
        name = f"reader-{uuid.uuid4().hex[:8]}"
        await connection.execute(("CLIENT", "SETNAME", name))
        server.client_kill_filter(_type="normal", skipme=True, laddr=None, user=None,
                                  _id=_client_id(server, name))
        with pytest.raises(RedisConnectionError):
            for _ in range(100):  # the close reaches the client after a few replies at most
                await connection.execute(("PING",))
        assert await connection.execute(("PING",)) == [b"PONG"]
    finally:
        connection.close()


def _client_id(server: redis.Redis, name: str) -> str:
    return next(str(client["id"]) for client in server.client_list() if client["name"] == name)


GIVE_UP_AFTER = 30.0
"""Seconds to wait for Redis's invalidation to arrive before failing (far beyond need)."""
STALENESS = 0.25  # exact in binary, so the bound itself is hit exactly


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def cached(url: str, entries: int = 100, clock: Clock | None = None) -> PipelinedConnection:
    return PipelinedConnection(url, None, timeout=5, cache_entries=entries,
                               max_staleness=STALENESS, clock=clock or Clock())


def _client(server: redis.Redis, name: str) -> dict[str, str]:
    return next(client for client in server.client_list() if client["name"] == name)


async def _named(connection: PipelinedConnection) -> str:
    name = f"cache-{uuid.uuid4().hex[:8]}"
    await connection.execute(("CLIENT", "SETNAME", name))
    return name


async def _until(connection: PipelinedConnection, keys: list[bytes],
                 expected: list[bytes | None]) -> None:
    """Read ``keys`` until they read ``expected`` (the invalidation arrived), or fail."""
    async with asyncio.timeout(GIVE_UP_AFTER):  # a failure guard only
        while await connection.mget(keys) != expected:
            await asyncio.sleep(0.001)


async def test_cached_reads_stay_in_memory_until_redis_invalidates_them(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    prefix = uuid.uuid4().hex
    present, absent = f"{prefix}:present".encode(), f"{prefix}:absent".encode()
    server.set(present, "one")
    connection = cached(redis_config.url)
    try:
        name = await _named(connection)
        assert await connection.mget([present, absent]) == [b"one", None]
        client = _client(server, name)
        assert client["resp"] == "3" and "t" in client["flags"]  # RESP3, tracking on
        await connection.execute(("PING",))
        assert await connection.mget([absent, present]) == [None, b"one"]
        assert _client(server, name)["cmd"] == "ping"  # answered from memory
        server.set(present, "two")
        server.set(absent, "now here")
        await _until(connection, [present, absent], [b"two", b"now here"])
        server.delete(present)
        await _until(connection, [present], [None])
    finally:
        connection.close()


async def test_the_cache_keeps_at_most_its_bound(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    prefix = uuid.uuid4().hex
    keys = [f"{prefix}:{index}".encode() for index in range(5)]
    server.mset({key: key for key in keys})
    connection = cached(redis_config.url, entries=2)
    try:
        for key in keys:
            assert await connection.mget([key]) == [key]
        assert await connection.mget(keys) == keys
        cache = connection._replies.cache if connection._replies else None
        assert cache is not None and len(cache) <= 2
    finally:
        connection.close()


async def test_a_new_connection_starts_with_an_empty_cache(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    key = f"{uuid.uuid4().hex}:k".encode()
    server.set(key, "before")
    connection = cached(redis_config.url)
    try:
        name = await _named(connection)
        assert await connection.mget([key]) == [b"before"]
        server.client_kill_filter(_type="normal", skipme=True, laddr=None, user=None,
                                  _id=_client_id(server, name))
        server.set(key, "after")  # its invalidation cannot reach the killed connection
        with pytest.raises(RedisConnectionError):
            for _ in range(100):  # the close reaches the client after a few replies at most
                await connection.execute(("PING",))
        assert await connection.mget([key]) == [b"after"]
    finally:
        connection.close()


async def test_forget_drops_every_cached_value(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    key = f"{uuid.uuid4().hex}:k".encode()
    server.set(key, "one")
    connection = cached(redis_config.url)
    try:
        name = await _named(connection)
        assert await connection.mget([key]) == [b"one"]
        await connection.execute(("PING",))
        connection.forget()
        assert await connection.mget([key]) == [b"one"]
        assert _client(server, name)["cmd"] == "mget"  # read from Redis again
    finally:
        connection.close()


async def test_a_cached_value_is_served_only_while_redis_answered_lately(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    key = f"{uuid.uuid4().hex}:k".encode()
    server.set(key, "one")
    clock = Clock()
    connection = cached(redis_config.url, clock=clock)
    try:
        name = await _named(connection)
        assert await connection.mget([key]) == [b"one"]
        await connection.execute(("PING",))
        clock.now += STALENESS  # at the bound: still served from memory
        assert await connection.mget([key]) == [b"one"]
        assert _client(server, name)["cmd"] == "ping"
        clock.now += STALENESS  # past it: the read confirms the connection with Redis
        assert await connection.mget([key]) == [b"one"]
        assert _client(server, name)["cmd"] == "mget"
        await connection.execute(("PING",))
        assert await connection.mget([key]) == [b"one"]  # confirmed: from memory again
        assert _client(server, name)["cmd"] == "ping"
    finally:
        connection.close()
