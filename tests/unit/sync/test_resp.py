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
