"""Raw write loops of the sync benchmark: the same client libraries, no platform code.

Each loop writes the benchmark table's rows into one store kind as plainly as the
client allows, in worker processes, so ``bench/sync.py`` can set the platform's sync
next to it. Imported by ``bench/sync.py`` after the ``sync`` package is loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import multiprocessing
import queue
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from groundwork.features.spec import FeatureSpec, ValueType
from groundwork.sync.config import (
    CosmosStoreConfig,
    DynamoDBStoreConfig,
    RedisStoreConfig,
    SQLiteStoreConfig,
    StoreConfig,
)
from groundwork.sync.writer import EVENT_TS

ENTITY = "user_id"
TTL_SECONDS = 90 * 86_400
TTL_MICROS = TTL_SECONDS * 1_000_000
FEATURES = (
    FeatureSpec("score", ValueType.FLOAT), FeatureSpec("visits_30d", ValueType.INT),
    FeatureSpec("segment", ValueType.STRING), FeatureSpec("is_active", ValueType.BOOL),
    FeatureSpec("last_seen", ValueType.TIMESTAMP), FeatureSpec("recent_items", ValueType.INT_LIST),
)
NAMES = tuple(feature.name for feature in FEATURES)
RAW_BATCH = 5_000  # rows per Redis pipeline / SQLite transaction, as the stores do
RAW_TABLE = "bench_raw"


def load_rows(directory: Path, part: int, parts: int) -> list[dict[str, Any]]:
    """The rows of one hash part of the table, timestamps as epoch microseconds."""
    table = pq.read_table(directory)
    table = table.filter(pa.array(table[ENTITY].to_numpy() % parts == part))
    for name in (EVENT_TS, "last_seen"):
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, table[name].cast(pa.int64()))
    return table.to_pylist()


# ---------------------------------------------------------------- raw write loops

Start = Callable[[], None]
"""Called by a raw loop once its client is connected: signals ready, waits for the start."""


def _features(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in NAMES}


def _values(row: dict[str, Any]) -> bytes:
    return orjson.dumps(_features(row))


def _chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def _concurrently(rows: Sequence[Any], width: int,
                        action: Callable[[Any], Awaitable[None]]) -> int:
    pending = iter(rows)

    async def worker() -> int:
        count = 0
        for row in pending:
            await action(row)
            count += 1
        return count

    return sum(await asyncio.gather(*(worker() for _ in range(min(width, len(rows))))))


async def raw_sqlite(config: SQLiteStoreConfig, rows: list[dict[str, Any]], start: Start) -> int:
    """``executemany`` of ``INSERT OR REPLACE``, one transaction per 5,000 rows."""
    connection = sqlite3.connect(str(config.path), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000",
                   "cache_size=-65536"):  # the store's settings
        connection.execute(f"PRAGMA {pragma}")
    statement = f"INSERT OR REPLACE INTO {RAW_TABLE} VALUES (?, ?, ?, ?, ?)"
    start()
    synced = time.time_ns() // 1_000
    for chunk in _chunks(rows, RAW_BATCH):
        parameters = [(str(row[ENTITY]), row[EVENT_TS], synced, row[EVENT_TS] + TTL_MICROS,
                       _values(row)) for row in chunk]
        with connection:
            connection.executemany(statement, parameters)
    connection.close()
    return len(rows)


async def raw_redis(config: RedisStoreConfig, rows: list[dict[str, Any]], start: Start) -> int:
    """Pipelined ``SET key value PXAT``, 5,000 per pipeline, the store's value format."""
    from redis.asyncio import Redis

    client = Redis.from_url(config.url)
    await client.ping()
    prefix = f"{config.key_prefix}:{RAW_TABLE}:".encode()
    retention = config.expired_retention_seconds * 1_000
    start()
    synced = time.time_ns() // 1_000
    for chunk in _chunks(rows, RAW_BATCH):
        pipeline = client.pipeline(transaction=False)
        for row in chunk:
            event_ts = row[EVENT_TS]
            expires = event_ts + TTL_MICROS
            value = b"%d %d %d %b" % (event_ts, synced, expires, _values(row))
            pipeline.set(prefix + str(row[ENTITY]).encode(), value,
                         pxat=expires // 1_000 + retention)
        await pipeline.execute()
    await client.aclose()
    return len(rows)


def _dynamodb_client(config: DynamoDBStoreConfig) -> Any:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    settings = AioConfig(region_name=config.region, max_pool_connections=config.max_concurrency,
                         retries={"mode": "standard", "total_max_attempts": 1},
                         parameter_validation=False, tcp_keepalive=True)
    return get_session().create_client("dynamodb", endpoint_url=config.endpoint_url,
                                       config=settings)


async def raw_dynamodb(config: DynamoDBStoreConfig, rows: list[dict[str, Any]],
                       start: Start) -> int:
    """Unconditional ``PutItem`` of the store's item layout, ``max_concurrency`` in flight."""
    async with _dynamodb_client(config) as client:
        await client.describe_table(TableName=RAW_TABLE)
        start()
        synced = str(time.time_ns() // 1_000)

        async def put(row: dict[str, Any]) -> None:
            event_ts = row[EVENT_TS]
            record = {"event_ts": event_ts, "synced_at": int(synced),
                      "expires_at": event_ts + TTL_MICROS, "values": _features(row)}
            await client.put_item(TableName=RAW_TABLE, Item={
                "entity_key": {"S": str(row[ENTITY])}, "event_ts": {"N": str(event_ts)},
                "synced_at": {"N": synced},
                "expires_at": {"N": str(-(-(event_ts + TTL_MICROS) // 1_000_000))},
                "record": {"S": orjson.dumps(record).decode()},
            })

        return await _concurrently(rows, config.max_concurrency, put)


def _cosmos_client(config: CosmosStoreConfig) -> Any:
    from azure.core.pipeline.transport import AioHttpTransport
    from azure.cosmos.aio import CosmosClient

    return CosmosClient(config.endpoint, config.key.get_secret_value(), connection_verify=False,
                        enable_endpoint_discovery=False,
                        transport=AioHttpTransport(use_env_settings=False))


async def raw_cosmos(config: CosmosStoreConfig, rows: list[dict[str, Any]], start: Start) -> int:
    """``upsert_item`` of the store's document layout, ``max_concurrency`` in flight."""
    async with _cosmos_client(config) as client:
        container = client.get_database_client(config.database).get_container_client(RAW_TABLE)
        await container.read()
        start()
        synced = time.time_ns() // 1_000

        async def upsert(row: dict[str, Any]) -> None:
            key, event_ts = str(row[ENTITY]), row[EVENT_TS]
            await container.upsert_item({
                "id": hashlib.sha256(key.encode()).hexdigest(), "pk": key, "event_ts": event_ts,
                "synced_at": synced, "expires_at": event_ts + TTL_MICROS,
                "ttl": TTL_SECONDS, "values": _features(row),
            })

        return await _concurrently(rows, config.max_concurrency, upsert)


RAW_LOOPS: dict[str, Callable[..., Coroutine[Any, Any, int]]] = {
    "sqlite": raw_sqlite, "redis": raw_redis, "dynamodb": raw_dynamodb, "cosmos": raw_cosmos,
}


async def prepare_raw(config: StoreConfig) -> None:
    """Create the raw loop's table or container (same layout as the store's)."""
    if isinstance(config, SQLiteStoreConfig):
        with contextlib.closing(sqlite3.connect(str(config.path))) as connection:
            connection.execute(f"CREATE TABLE {RAW_TABLE} (entity_key TEXT PRIMARY KEY, event_ts "
                               "INTEGER NOT NULL, synced_at INTEGER NOT NULL, expires_at INTEGER,"
                               " payload BLOB NOT NULL)")
    elif isinstance(config, DynamoDBStoreConfig):
        async with _dynamodb_client(config) as client:
            await client.create_table(
                TableName=RAW_TABLE, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "entity_key", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "entity_key", "AttributeType": "S"}])
    elif isinstance(config, CosmosStoreConfig):
        from azure.cosmos import PartitionKey

        async with _cosmos_client(config) as client:
            database = await client.create_database_if_not_exists(config.database)
            await database.create_container_if_not_exists(
                id=RAW_TABLE, partition_key=PartitionKey(path="/pk"), default_ttl=-1,
                indexing_policy={"indexingMode": "consistent", "includedPaths": [],
                                 "excludedPaths": [{"path": "/*"}]})


def raw_worker(store: str, config: StoreConfig, table: Path, part: int, parts: int,
               ready: Any, go: Any, results: Any) -> None:
    """One raw-loop process: load its rows, connect, wait for the start, write."""
    rows = load_rows(table, part, parts)
    cpu = 0.0

    def start() -> None:
        nonlocal cpu
        ready.put(part)
        go.wait()
        cpu = time.process_time()

    written = asyncio.run(RAW_LOOPS[store](config, rows, start))
    results.put((written, time.process_time() - cpu))


def _gather(channel: Any, processes: list[Any], timeout: float = 3_600.0) -> list[Any]:
    """One message per process; raise if a process dies first."""
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(messages) < len(processes):
        try:
            messages.append(channel.get(timeout=0.5))
        except queue.Empty:
            failed = [process.exitcode for process in processes if process.exitcode]
            if failed or time.monotonic() > deadline:
                raise RuntimeError(f"raw loop failed (exit codes {failed})") from None
    return messages


def run_raw(store: str, config: StoreConfig, table: Path,
            workers: int) -> tuple[float, int, float]:
    """Seconds the raw loop takes in ``workers`` processes, rows written, their CPU seconds."""
    asyncio.run(prepare_raw(config))
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [context.Process(target=raw_worker, daemon=True,
                                 args=(store, config, table, part, workers, ready, go, results))
                 for part in range(workers)]
    for process in processes:
        process.start()
    try:
        _gather(ready, processes, timeout=300)
        started = time.perf_counter()
        go.set()
        outcomes = _gather(results, processes)
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return seconds, sum(rows for rows, _ in outcomes), sum(cpu for _, cpu in outcomes)
