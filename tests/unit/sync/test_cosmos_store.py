"""Cosmos DB store behaviour beyond the shared contract, against the local cosmosdb-server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError
from pydantic import SecretStr, ValidationError

from groundwork.errors import DefinitionError, StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineRow, ReadRequest, RecordStatus
from groundwork.sync.config import CosmosStoreConfig
from groundwork.sync.cosmos import CosmosStore
from groundwork.sync.cosmos_items import (
    LOCAL_SERVER_MISSING_ITEM,
    is_missing_item,
    item_id,
    time_to_live,
    with_retries,
)
from groundwork.sync.lookup import lookup_many
from tests.contract.conftest import ALL_TYPES_VIEW
from tests.support.black_hole import black_hole

NOW = dt.datetime.now(dt.UTC)


def fresh_view() -> ViewSpec:
    return replace(ALL_TYPES_VIEW, name=f"cosmos_{uuid.uuid4().hex[:10]}")


def row(key: str, number: int, seconds_old: int = 0) -> OnlineRow:
    event_ts = NOW - dt.timedelta(seconds=seconds_old)
    return OnlineRow(key, {"an_int": number}, event_ts, event_ts + dt.timedelta(hours=1))


@contextlib.asynccontextmanager
async def opened(config: CosmosStoreConfig) -> AsyncIterator[CosmosStore]:
    """A store closed in the loop that used it (aiohttp sessions belong to one loop)."""
    store = CosmosStore(config)
    try:
        yield store
    finally:
        await store.close()


def test_item_ids_are_url_safe_digests_for_any_key() -> None:
    keys = ["a/b?c#d", "back\\slash", "tab\tand\nnewline", "🙂", "ключ", "x" * 5_000, 42]
    identifiers = [item_id(key) for key in keys]
    assert all(re.fullmatch(r"[0-9a-f]{64}", identifier) for identifier in identifiers)
    assert len(set(identifiers)) == len(keys)
    assert item_id(42) == item_id("42")  # one canonical key string, as in every store


def test_time_to_live_counts_seconds_until_expiry() -> None:
    assert time_to_live(None, NOW) == -1
    assert time_to_live(NOW + dt.timedelta(seconds=90.2), NOW) == 91
    assert time_to_live(NOW - dt.timedelta(hours=2), NOW) == 1  # already expired: soonest
    assert time_to_live(NOW + dt.timedelta(days=100 * 365), NOW) == 2_147_483_647


def test_time_to_live_keeps_expired_items_for_the_retention() -> None:
    assert time_to_live(NOW + dt.timedelta(seconds=90.2), NOW, 3_600) == 3_691
    assert time_to_live(NOW - dt.timedelta(hours=2), NOW, 86_400) == 79_200
    assert time_to_live(NOW - dt.timedelta(days=2), NOW, 86_400) == 1  # past the retention too
    assert time_to_live(None, NOW, 86_400) == -1


def test_insecure_tls_is_refused_for_a_remote_endpoint() -> None:
    with pytest.raises(ValidationError, match="loopback"):
        CosmosStoreConfig(
            endpoint="https://acct.documents.azure.com:443/",
            key=SecretStr("a2V5"),
            allow_insecure_loopback=True,
        )


def test_the_local_server_missing_item_500_counts_only_on_loopback() -> None:
    quirk = CosmosHttpResponseError(status_code=500, message=LOCAL_SERVER_MISSING_ITEM)
    other = CosmosHttpResponseError(status_code=500, message="Internal server error")
    container_gone = CosmosHttpResponseError(status_code=404, message="Owner resource missing")
    container_gone.sub_status = 1003
    assert is_missing_item(quirk, loopback=True)
    assert not is_missing_item(quirk, loopback=False)
    assert not is_missing_item(other, loopback=True)
    assert is_missing_item(CosmosHttpResponseError(status_code=404, message=""), loopback=False)
    assert not is_missing_item(container_gone, loopback=False)


async def test_throttling_waits_the_retry_after_then_gives_up() -> None:
    calls = 0

    async def throttled() -> str:
        nonlocal calls
        calls += 1
        error = CosmosHttpResponseError(status_code=429, message="Request rate is large")
        error.headers = {"x-ms-retry-after-ms": "5"}
        if calls < 3:
            raise error
        return "done"

    assert await with_retries(throttled, attempts=3) == "done"
    calls = -10
    with pytest.raises(CosmosHttpResponseError):
        await with_retries(throttled, attempts=3)
    assert calls == -7


async def test_certificates_are_checked_by_default_even_on_loopback(
    cosmos_config: CosmosStoreConfig,
) -> None:
    # azure-cosmos skips certificate checks for "127.0.0.1" and "localhost" on its own; the
    # store asks for them on every request unless the config allows an insecure loopback.
    strict = cosmos_config.model_copy(update={"allow_insecure_loopback": False})
    async with opened(strict) as store:
        with pytest.raises(StoreUnavailable, match="(?i)certificate"):
            await store.ensure(fresh_view())


async def test_an_unreachable_endpoint_is_store_unavailable() -> None:
    config = CosmosStoreConfig(endpoint="https://127.0.0.1:9", key=SecretStr("a2V5"))
    async with opened(config) as store:
        with pytest.raises(StoreUnavailable):
            await store.ensure(fresh_view())


async def test_concurrent_writers_on_two_clients_count_each_row_once(
    cosmos_config: CosmosStoreConfig,
) -> None:
    view = fresh_view()
    async with opened(cosmos_config) as store, opened(cosmos_config) as other:
        await store.ensure(view)
        writers = [store, other] * 20
        same = [row("hot", 1)] * 40
        outcomes = await asyncio.gather(
            *(writer.write(view, [item], NOW) for writer, item in zip(writers, same, strict=True))
        )
        assert sum(o.written for o in outcomes) == 1
        assert sum(o.skipped for o in outcomes) == 39
        newer = [row("hot", number, seconds_old=-number) for number in range(2, 42)]
        await asyncio.gather(
            *(writer.write(view, [item], NOW) for writer, item in zip(writers, newer, strict=True))
        )
        ((record,),) = await store.read([ReadRequest(view, ["hot"], ["an_int"])])
    assert record is not None and record.values == {"an_int": 41}


async def test_one_read_serves_several_views_in_key_order(
    cosmos_config: CosmosStoreConfig,
) -> None:
    hotels, users = fresh_view(), fresh_view()
    async with opened(cosmos_config) as store:
        for view in (hotels, users):
            await store.ensure(view)
        await store.write(hotels, [row("h1", 1), row("h2", 2)], NOW)
        await store.write(users, [row("u1", 10)], NOW)
        hotel_records, user_records = await store.read([
            ReadRequest(hotels, ["h2", "nope", "h1"], ["an_int"]),
            ReadRequest(users, ["u1", "h1"], ["an_int"]),
        ])
    assert [r and r.values["an_int"] for r in hotel_records] == [2, None, 1]
    assert [r and r.values["an_int"] for r in user_records] == [10, None]


async def test_ensure_refuses_a_container_partitioned_on_another_path(
    cosmos_config: CosmosStoreConfig,
) -> None:
    view = fresh_view()
    async with CosmosClient(cosmos_config.endpoint, cosmos_config.key.get_secret_value()) as client:
        database = await client.create_database_if_not_exists(cosmos_config.database)
        await database.create_container(view.name, partition_key=PartitionKey(path="/id"))
    async with opened(cosmos_config) as store:
        with pytest.raises(DefinitionError, match="partitioned"):
            await store.ensure(view)


async def test_items_carry_a_ttl_so_cosmos_expires_them_after_the_retention(
    cosmos_config: CosmosStoreConfig,
) -> None:
    view, now = fresh_view(), dt.datetime.now(dt.UTC)
    retention = cosmos_config.expired_retention_seconds
    soon = OnlineRow("soon", {"an_int": 1}, now, now + dt.timedelta(hours=1))
    forever = OnlineRow("forever", {"an_int": 1}, now, None)
    expired = OnlineRow("expired", {"an_int": 1}, now - dt.timedelta(hours=3),
                        now - dt.timedelta(hours=2))
    async with opened(cosmos_config) as store:
        await store.ensure(view)
        await store.write(view, [soon, forever, expired], now)
        (results,) = await lookup_many(store, [ReadRequest(view, ["expired"], ["an_int"])])
    async with CosmosClient(cosmos_config.endpoint, cosmos_config.key.get_secret_value()) as client:
        container = client.get_database_client(cosmos_config.database).get_container_client(
            view.name
        )
        properties = await container.read()
        expiring = await container.read_item(item_id("soon"), partition_key="soon")
        never = await container.read_item(item_id("forever"), partition_key="forever")
        kept = await container.read_item(item_id("expired"), partition_key="expired")
    assert retention == 86_400
    assert properties["defaultTtl"] == -1
    assert 3_590 + retention <= expiring["ttl"] <= 3_600 + retention
    assert never["ttl"] == -1
    assert retention - 7_210 <= kept["ttl"] <= retention - 7_190  # reads EXPIRED meanwhile
    assert [result.status for result in results] == [RecordStatus.EXPIRED]


async def test_a_first_read_from_a_server_that_hangs_fails_at_the_read_timeout() -> None:
    with black_hole() as port:
        config = CosmosStoreConfig(endpoint=f"https://127.0.0.1:{port}", key=SecretStr("a2V5"),
                                   allow_insecure_loopback=True, read_timeout_seconds=0.05)
        async with opened(config) as store, asyncio.timeout(30):  # a failure guard only
            with pytest.raises(StoreUnavailable) as failure:
                await store.read([ReadRequest(fresh_view(), ["a"], ["an_int"])])
    assert "did not connect within 0.05 s" in failure.value.reason
    assert (failure.value.message, failure.value.details) == (StoreUnavailable.PUBLIC_MESSAGE, {})
