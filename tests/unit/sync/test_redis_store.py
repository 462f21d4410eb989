"""Redis-specific behaviour of the Redis store, against a real local redis-server.

The "Online row" contract itself is in ``tests/contract``; these tests cover what only
Redis does: native key expiry, one command per read, the Lua compare-and-set across
several connections, script reloading, and errors when the server is gone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import redis
from redis.asyncio.connection import Connection

from groundwork.errors import DefinitionError, StoreUnavailable
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.net import free_port
from groundwork.sync.base import OnlineRow, ReadRequest, RecordStatus
from groundwork.sync.config import RedisStoreConfig
from groundwork.sync.lookup import lookup_many
from groundwork.sync.redis import RedisStore
from tests.support.black_hole import black_hole

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def scores_view() -> ViewSpec:
    return ViewSpec(f"scores_{uuid.uuid4().hex[:10]}", "player_id", ValueType.INT,
                    (FeatureSpec("score", ValueType.INT),), ttl_seconds=3600)


def score_row(key: int, score: int, event_ts: dt.datetime = NOW,
              expires_at: dt.datetime | None = None) -> OnlineRow:
    return OnlineRow(key, {"score": score}, event_ts, expires_at)


@asynccontextmanager
async def opened(config: RedisStoreConfig) -> AsyncIterator[RedisStore]:
    store = RedisStore(config)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def server(redis_config: RedisStoreConfig) -> Iterator[redis.Redis]:
    """A plain synchronous client of the test server, to inspect what the store left."""
    client = redis.Redis.from_url(redis_config.url)
    yield client
    client.close()


def record_key(config: RedisStoreConfig, view: ViewSpec, key: int) -> str:
    return f"{config.key_prefix}:{view.name}:{key}"


def command_calls(server: redis.Redis) -> dict[str, int]:
    stats = server.info("commandstats")
    return {name: values["calls"] for name, values in stats.items() if name != "cmdstat_info"}


async def test_records_expire_natively_after_the_retention(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    view, expires_at = scores_view(), NOW + dt.timedelta(minutes=30)
    async with opened(redis_config) as store:
        await store.write(view, [score_row(1, 10, expires_at=expires_at), score_row(2, 20)], NOW)
    retention_ms = redis_config.expired_retention_seconds * 1_000
    expected = int(expires_at.timestamp() * 1_000) + retention_ms
    assert server.pexpiretime(record_key(redis_config, view, 1)) == expected
    assert server.pexpiretime(record_key(redis_config, view, 2)) == -1  # no TTL, no expiry


async def test_a_newer_row_without_ttl_clears_the_expiry(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    view = scores_view()
    async with opened(redis_config) as store:
        await store.write(view, [score_row(1, 10, expires_at=NOW + dt.timedelta(hours=1))], NOW)
        await store.write(view, [score_row(1, 11, NOW + dt.timedelta(seconds=1))], NOW)
    assert server.pexpiretime(record_key(redis_config, view, 1)) == -1


async def test_without_retention_redis_drops_records_at_expires_at(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    config = redis_config.model_copy(update={"expired_retention_seconds": 0})
    view, now = scores_view(), dt.datetime.now(dt.UTC).replace(microsecond=0)
    expires_at = now + dt.timedelta(minutes=5)
    async with opened(config) as store:
        await store.write(view, [score_row(1, 10, now, expires_at),
                                 score_row(2, 20, now, now - dt.timedelta(seconds=1))], now)
        # Redis drops the record at its deadline, which is expires_at itself ...
        deadline_ms = server.pexpiretime(record_key(config, view, 1))
        assert deadline_ms == int(expires_at.timestamp()) * 1_000
        # ... so a record already past it is gone on arrival, and reads as missing.
        assert server.exists(record_key(config, view, 2)) == 0
        (results,) = await lookup_many(store, [ReadRequest(view, [1, 2], ("score",))])
    assert [result.status for result in results] == [RecordStatus.PRESENT, RecordStatus.MISSING]


async def test_a_read_of_several_views_is_one_command(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    views = [scores_view(), scores_view()]
    async with opened(redis_config.model_copy(update={"client_cache_entries": 0})) as store:
        for view in views:
            await store.write(view, [score_row(key, key) for key in range(3)], NOW)
        requests = [ReadRequest(view, [0, 1, 2, 99], ("score",)) for view in views]
        await store.read(requests)  # connect the reading pool before counting
        before = command_calls(server)
        batches = await store.read(requests)
        after = command_calls(server)
    changed = {name: after[name] - before.get(name, 0)
               for name in after if after[name] != before.get(name)}
    assert changed == {"cmdstat_mget": 1}
    assert [[record and record.values["score"] for record in batch] for batch in batches] == [
        [0, 1, 2, None], [0, 1, 2, None]
    ]


async def test_records_read_once_are_read_again_from_memory_until_written(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    view = scores_view()
    async with opened(redis_config) as store:
        await store.write(view, [score_row(key, key) for key in range(3)], NOW)
        requests = [ReadRequest(view, [0, 1, 2, 99], ("score",))]
        await store.read(requests)
        before = command_calls(server)
        (cached,) = await store.read(requests)
        after = command_calls(server)
        await store.write(view, [score_row(1, 100, NOW + dt.timedelta(seconds=1))], NOW)
        (written,) = await store.read(requests)
    assert after.get("cmdstat_mget") == before.get("cmdstat_mget")
    assert [record and record.values["score"] for record in cached] == [0, 1, 2, None]
    assert [record and record.values["score"] for record in written] == [0, 100, 2, None]


async def test_a_large_write_is_one_round_trip_per_max_write_batch(
    redis_config: RedisStoreConfig, server: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    view, count = scores_view(), RedisStore.capabilities.max_write_batch + 7
    sends = 0
    original = Connection.send_packed_command

    async def counting(self: Connection, command: object, check_health: bool = True) -> None:
        nonlocal sends
        sends += 1
        await original(self, command, check_health)  # type: ignore[arg-type]

    async with opened(redis_config) as store:
        await store.delete(view, [0])  # connect the writing pool before counting
        monkeypatch.setattr(Connection, "send_packed_command", counting)
        outcome = await store.write(view, [score_row(key, key) for key in range(count)], NOW)
    assert (outcome.written, outcome.skipped, sends) == (count, 0, 2)


async def test_compare_and_set_holds_across_concurrent_connections(
    redis_config: RedisStoreConfig,
) -> None:
    view, keys, writers = scores_view(), range(300), 4
    # writer w sends version v of every key for v = w, w + writers, …; newest is 11.
    stores = [RedisStore(redis_config) for _ in range(writers)]
    try:
        async def write_versions(writer: int) -> int:
            written = 0
            for version in range(writer, 12, writers):
                rows = [score_row(key, version, NOW + dt.timedelta(seconds=version))
                        for key in keys]
                written += (await stores[writer].write(view, rows, NOW)).written
            return written

        written = await asyncio.gather(*(write_versions(writer) for writer in range(writers)))
        (batch,) = await stores[0].read([ReadRequest(view, list(keys), ("score",))])
    finally:
        for store in stores:
            await store.close()
    assert {record.values["score"] for record in batch if record} == {11}
    assert len(keys) <= sum(written) <= 12 * len(keys)


async def test_writes_reload_a_flushed_script(
    redis_config: RedisStoreConfig, server: redis.Redis
) -> None:
    view = scores_view()
    async with opened(redis_config) as store:
        await store.write(view, [score_row(1, 1)], NOW)
        server.script_flush()
        outcome = await store.write(view, [score_row(1, 2, NOW + dt.timedelta(seconds=1)),
                                           score_row(2, 2)], NOW)
    assert (outcome.written, outcome.skipped) == (2, 0)


async def test_view_names_with_a_colon_are_refused(redis_config: RedisStoreConfig) -> None:
    view = ViewSpec("a:b", "player_id", ValueType.INT, (), ttl_seconds=None)
    async with opened(redis_config) as store:
        with pytest.raises(DefinitionError):
            await store.ensure(view)


async def test_a_server_that_is_gone_raises_store_unavailable() -> None:
    config = RedisStoreConfig(url=f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=1)
    view = scores_view()
    async with opened(config) as store:
        with pytest.raises(StoreUnavailable):
            await store.read([ReadRequest(view, [1], ("score",))])
        with pytest.raises(StoreUnavailable):
            await store.write(view, [score_row(1, 1)], NOW)
        with pytest.raises(StoreUnavailable):
            await store.delete(view, [1])


async def test_a_read_from_a_server_that_hangs_fails_at_the_read_timeout() -> None:
    with black_hole() as port:
        config = RedisStoreConfig(url=f"redis://127.0.0.1:{port}/0", timeout_seconds=60,
                                  read_timeout_seconds=0.05)
        async with opened(config) as store, asyncio.timeout(30):  # a failure guard only
            with pytest.raises(StoreUnavailable) as failure:
                await store.read([ReadRequest(scores_view(), [1], ("score",))])
    assert "Timeout" in failure.value.reason
    assert (failure.value.message, failure.value.details) == (StoreUnavailable.PUBLIC_MESSAGE, {})
