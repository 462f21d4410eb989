"""DynamoDB-specific behaviour of the store, against a real dynalite server.

The contract suite covers the "Online row" rules; these tests cover how the
store talks to DynamoDB: request splitting, retries of unprocessed keys and
throttling, the TTL attribute, and errors. Failures are injected by a subclass
that wraps the single-attempt ``_send`` seam around the real server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from botocore.exceptions import ClientError

from groundwork.errors import DefinitionError, StoreUnavailable
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.net import free_port
from groundwork.sync.base import OnlineRow, ReadRequest
from groundwork.sync.config import DynamoDBStoreConfig
from groundwork.sync.dynamodb import DynamoDBStore
from groundwork.sync.dynamodb_items import table_name
from tests.support.black_hole import black_hole

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=dt.UTC)
VIEW = ViewSpec(
    name="prices",
    entity="hotel_id",
    entity_type=ValueType.INT,
    features=(
        FeatureSpec("price", ValueType.FLOAT),
        FeatureSpec("rooms", ValueType.INT),
        FeatureSpec("tags", ValueType.STRING_LIST),
    ),
    ttl_seconds=3600,
)


class FaultyStore(DynamoDBStore):
    """The real store, with faults injected before calls reach the server.

    Attributes:
        calls: Operations attempted, in order.
        throttled: Operation name to how many of its next attempts are throttled.
        half_unprocessed: How many of the next ``BatchGetItem`` calls process only
            half of their keys and return the rest as ``UnprocessedKeys``.
        never_processed: Every ``BatchGetItem`` returns all keys unprocessed.
    """

    def __init__(self, config: DynamoDBStoreConfig) -> None:
        super().__init__(config)
        self.calls: list[str] = []
        self.throttled: dict[str, int] = {}
        self.half_unprocessed = 0
        self.never_processed = False

    async def _send(self, operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(operation)
        if self.throttled.get(operation, 0) > 0:
            self.throttled[operation] -= 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}},
                operation,
            )
        if operation == "batch_get_item" and self.never_processed:
            return {"Responses": {}, "UnprocessedKeys": parameters["RequestItems"]}
        if operation == "batch_get_item" and self.half_unprocessed > 0:
            self.half_unprocessed -= 1
            return await self._process_half(parameters["RequestItems"])
        return await super()._send(operation, parameters)

    async def _process_half(self, request_items: dict[str, Any]) -> dict[str, Any]:
        sent, held = {}, {}
        for table, entry in request_items.items():
            half = len(entry["Keys"]) // 2
            if half:
                sent[table] = {**entry, "Keys": entry["Keys"][:half]}
            held[table] = {**entry, "Keys": entry["Keys"][half:]}
        response = await super()._send("batch_get_item", {"RequestItems": sent})
        return {**response, "UnprocessedKeys": held}


def unique(view: ViewSpec) -> ViewSpec:
    return replace(view, name=f"{view.name}_{uuid.uuid4().hex[:10]}")


def rows(count: int, ttl: dt.timedelta | None = dt.timedelta(hours=1)) -> list[OnlineRow]:
    return [
        OnlineRow(number, {"price": number + 0.5, "rooms": number, "tags": ["a", str(number)]},
                  NOW, None if ttl is None else NOW + ttl)
        for number in range(count)
    ]


@pytest_asyncio.fixture(loop_scope="function")
async def store(dynamodb_config: DynamoDBStoreConfig) -> AsyncIterator[FaultyStore]:
    # Reads get the longest bound: the retry tests count attempts, which a loaded
    # machine would otherwise cut short at the default one-second read deadline.
    store = FaultyStore(dynamodb_config.model_copy(
        update={"max_attempts": 3, "read_timeout_seconds": 60}))
    yield store
    await store.close()


@pytest_asyncio.fixture(loop_scope="function")
async def view(store: FaultyStore) -> ViewSpec:
    view = unique(VIEW)
    await store.ensure(view)
    return view


async def test_more_than_100_keys_are_split_into_batch_get_calls(
    store: FaultyStore, view: ViewSpec
) -> None:
    await store.write(view, rows(250), NOW)
    store.calls.clear()
    (records,) = await store.read([ReadRequest(view, list(range(250)), ["rooms"])])
    assert store.calls == ["batch_get_item"] * 3
    assert [record.values["rooms"] for record in records if record] == list(range(250))


async def test_several_views_share_one_batch_get(store: FaultyStore, view: ViewSpec) -> None:
    other = unique(VIEW)
    await store.ensure(other)
    await store.write(view, rows(30), NOW)
    await store.write(other, rows(30)[10:], NOW)
    store.calls.clear()
    prices, same_keys, others = await store.read([
        ReadRequest(view, list(range(30)), ["price"]),
        ReadRequest(view, [3, 3, 99], ["tags", "rooms"]),
        ReadRequest(other, list(range(30)), ["rooms"]),
    ])
    assert store.calls == ["batch_get_item"]
    assert prices[2] is not None and prices[2].values == {"price": 2.5}
    assert [record and record.values for record in same_keys] == [
        {"tags": ["a", "3"], "rooms": 3}, {"tags": ["a", "3"], "rooms": 3}, None
    ]
    assert [record is None for record in others] == [True] * 10 + [False] * 20


async def test_unprocessed_keys_are_retried(store: FaultyStore, view: ViewSpec) -> None:
    await store.write(view, rows(40), NOW)
    store.calls.clear()
    store.half_unprocessed = 2
    (records,) = await store.read([ReadRequest(view, list(range(40)), ["rooms"])])
    assert store.calls == ["batch_get_item"] * 3
    assert [record.values["rooms"] for record in records if record] == list(range(40))


async def test_keys_never_processed_raise_store_unavailable(
    store: FaultyStore, view: ViewSpec
) -> None:
    store.never_processed = True
    with pytest.raises(StoreUnavailable, match="unprocessed"):
        await store.read([ReadRequest(view, [1, 2], ["rooms"])])
    assert store.calls.count("batch_get_item") == 3


async def test_throttled_writes_are_retried(store: FaultyStore, view: ViewSpec) -> None:
    store.throttled["put_item"] = 2
    outcome = await store.write(view, rows(1), NOW)
    assert (outcome.written, store.calls.count("put_item")) == (1, 3)


async def test_throttling_past_the_attempts_raises_store_unavailable(
    store: FaultyStore, view: ViewSpec
) -> None:
    store.throttled["put_item"] = 3
    with pytest.raises(StoreUnavailable, match="after 3 attempts"):
        await store.write(view, rows(1), NOW)


async def test_unreachable_server_raises_store_unavailable_quickly() -> None:
    config = DynamoDBStoreConfig(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=3)
    store = DynamoDBStore(config)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        await store.read([ReadRequest(VIEW, [1], ["rooms"])])
    await store.close()
    assert time.monotonic() - started < 5


async def test_ttl_attribute_is_epoch_seconds_rounded_up(
    store: FaultyStore, view: ViewSpec, dynamodb_config: DynamoDBStoreConfig
) -> None:
    expiring, lasting = rows(1)[0], rows(1, ttl=None)[0]._replace(key=2)
    await store.write(view, [expiring, lasting], NOW)
    table = table_name(dynamodb_config.table_prefix, view)
    items = [
        (await store._send("get_item", {"TableName": table, "Key": {"entity_key": {"S": key}}}))
        ["Item"] for key in ("0", "2")
    ]
    assert items[0]["expires_at"] == {"N": str(int((NOW + dt.timedelta(hours=1)).timestamp()) + 1)}
    assert "expires_at" not in items[1]
    (records,) = await store.read([ReadRequest(view, [0, 2], ["rooms"])])
    assert [record and record.expires_at for record in records] == [expiring.expires_at, None]


async def test_floats_beyond_dynamodb_numbers_round_trip(
    store: FaultyStore, view: ViewSpec
) -> None:
    extremes = [1e-300, 1e200, 5e-324, -1.7976931348623157e308, 0.1 + 0.2]
    batch = [row._replace(values={**row.values, "price": price})
             for row, price in zip(rows(len(extremes)), extremes, strict=True)]
    await store.write(view, batch, NOW)
    (records,) = await store.read([ReadRequest(view, list(range(len(extremes))), ["price"])])
    assert [record and record.values["price"] for record in records] == extremes


async def test_ensure_is_idempotent_and_creates_an_on_demand_table(
    store: FaultyStore, dynamodb_config: DynamoDBStoreConfig
) -> None:
    view = unique(VIEW)
    await store.ensure(view)
    await store.ensure(view)
    described = await store._send(
        "describe_table", {"TableName": table_name(dynamodb_config.table_prefix, view)}
    )
    table = described["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [{"AttributeName": "entity_key", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


async def test_delete_counts_each_existing_key_once(store: FaultyStore, view: ViewSpec) -> None:
    await store.write(view, rows(3), NOW)
    assert await store.delete(view, [0, 0, 1, 7]) == 2
    assert await store.delete(view, []) == 0


async def test_invalid_view_name_is_a_definition_error(store: FaultyStore) -> None:
    with pytest.raises(DefinitionError):
        await store.ensure(replace(VIEW, name="prices/2026"))


def test_construction_touches_nothing_and_each_event_loop_gets_a_client(
    dynamodb_config: DynamoDBStoreConfig,
) -> None:
    store = DynamoDBStore(dynamodb_config)
    view = unique(VIEW)

    async def write() -> None:
        await store.ensure(view)
        await store.write(view, rows(5), NOW)

    async def read_and_close() -> list[Any]:
        (records,) = await store.read([ReadRequest(view, [4], ["rooms"])])
        await store.close()
        return records

    asyncio.run(write())
    records = asyncio.run(read_and_close())
    assert records[0] is not None and records[0].values == {"rooms": 4}


async def test_a_read_from_a_server_that_hangs_fails_at_the_read_timeout() -> None:
    with black_hole() as port:
        config = DynamoDBStoreConfig(endpoint_url=f"http://127.0.0.1:{port}", timeout_seconds=60,
                                     read_timeout_seconds=0.05)
        store = DynamoDBStore(config)
        try:
            async with asyncio.timeout(30):  # a failure guard only
                with pytest.raises(StoreUnavailable) as failure:
                    await store.read([ReadRequest(VIEW, [1], ["rooms"])])
        finally:
            await store.close()
    assert "Read timeout" in failure.value.reason
    assert (failure.value.message, failure.value.details) == (StoreUnavailable.PUBLIC_MESSAGE, {})
