"""Amazon DynamoDB online store: one on-demand table per view, keyed on the entity.

Writes are ``PutItem`` calls conditional on the stored ``event_ts`` being older
(``BatchWriteItem`` cannot be conditional), run by ``max_concurrency`` workers
on one client with as many pooled connections; a failed condition counts as
skipped. Reads are ``BatchGetItem`` calls across all requested tables, 100
keys each, concurrent when there are several.

Retries are this module's own, botocore's being off: throttling, server errors,
broken connections and unprocessed keys get ``max_attempts`` tries with
exponential backoff and full jitter capped at 2 s, so a stopped server yields
:class:`StoreUnavailable` within seconds, not after botocore's 20 s waits.

The item layout (and why features travel as one JSON record) is in
:mod:`groundwork.sync.dynamodb_items`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any, ClassVar, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from groundwork.errors import StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import (
    EntityKey,
    OnlineRow,
    OnlineStore,
    ReadRequest,
    StoreCapabilities,
    StoredRecord,
    WriteResult,
)
from groundwork.sync.codec import key_string, to_micros
from groundwork.sync.config import DynamoDBStoreConfig
from groundwork.sync.dynamodb_items import (
    KEY,
    Item,
    backoff_seconds,
    record_reader,
    table_name,
    to_item,
)

logger = logging.getLogger(__name__)

Subject = TypeVar("Subject")

_PROJECTION = {
    "ProjectionExpression": "#key, #record",
    "ExpressionAttributeNames": {"#key": KEY, "#record": "record"},
}
_ONLY_NEWER = "attribute_not_exists(entity_key) OR event_ts < :new"
_MAX_KEYS_PER_GET = 100
_RETRYABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "LimitExceededException", "InternalServerError", "ServiceUnavailable",
})
_CONDITION_FAILED = "ConditionalCheckFailedException"
_TABLE_READY_SECONDS = 300.0


class _Rejected(Exception):
    """DynamoDB refused a call with an error code the caller asked to handle itself."""


class DynamoDBStore(OnlineStore):
    """Online store in Amazon DynamoDB, one on-demand table per feature view.

    The client is created on first use inside the running event loop and
    closed by :meth:`close`; credentials come from the AWS credential chain.
    """

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        max_write_batch=2_000, max_read_batch=_MAX_KEYS_PER_GET, native_ttl=True, embedded=False
    )

    def __init__(self, config: DynamoDBStoreConfig) -> None:
        self._config = config
        self._client: Any = None
        self._exit_stack: AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def ensure(self, view: ViewSpec) -> None:
        """Create the view's table if missing, wait until it is usable, enable TTL."""
        table = table_name(self._config.table_prefix, view)
        if await self._table_status(table) is None:
            try:
                await self._call(
                    "create_table", {"ResourceInUseException"}, TableName=table,
                    KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST",
                )
            except _Rejected:
                logger.debug("table %s was created concurrently", table)
        await self._wait_until_usable(table)
        if view.ttl_seconds is not None:
            await self._enable_ttl(table)

    async def write(
        self, view: ViewSpec, rows: Sequence[OnlineRow], synced_at: dt.datetime
    ) -> WriteResult:
        """Put every row unless the table holds a record as new or newer."""
        table = table_name(self._config.table_prefix, view)
        synced = to_micros(synced_at)

        async def put(row: OnlineRow) -> bool:
            item = to_item(view, row, synced)
            try:
                await self._call(
                    "put_item", {_CONDITION_FAILED}, TableName=table, Item=item,
                    ConditionExpression=_ONLY_NEWER,
                    ExpressionAttributeValues={":new": item["event_ts"]},
                )
            except _Rejected:
                return False
            return True

        written = await self._count_concurrently(rows, put)
        return WriteResult(written=written, skipped=len(rows) - written)

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        """Fetch every request's keys with ``BatchGetItem`` calls of at most 100 keys."""
        wanted = [
            (table_name(self._config.table_prefix, request.view),
             [key_string(key) for key in request.keys])
            for request in requests
        ]
        unique = list(dict.fromkeys((table, key) for table, keys in wanted for key in keys))
        chunks = [
            unique[start : start + _MAX_KEYS_PER_GET]
            for start in range(0, len(unique), _MAX_KEYS_PER_GET)
        ]
        found: dict[tuple[str, str], Item] = {}
        if len(chunks) == 1:  # the usual case: no task to schedule
            found = await self._batch_get(chunks[0])
        else:
            for part in await asyncio.gather(*(self._batch_get(chunk) for chunk in chunks)):
                found.update(part)
        results: list[list[StoredRecord | None]] = []
        for request, (table, keys) in zip(requests, wanted, strict=True):
            read = record_reader(request.view, request.features)
            items = [found.get((table, key)) for key in keys]
            results.append([None if item is None else read(item) for item in items])
        return results

    async def delete(self, view: ViewSpec, keys: Sequence[EntityKey]) -> int:
        """Delete the records of ``keys``; a key without a record counts for nothing."""
        table = table_name(self._config.table_prefix, view)

        async def delete_one(key: str) -> bool:
            try:
                await self._call(
                    "delete_item", {_CONDITION_FAILED}, TableName=table,
                    Key={KEY: {"S": key}}, ConditionExpression=f"attribute_exists({KEY})",
                )
            except _Rejected:
                return False
            return True

        return await self._count_concurrently(
            list(dict.fromkeys(key_string(key) for key in keys)), delete_one
        )

    async def close(self) -> None:
        """Close the client and its connection pool."""
        if self._loop is asyncio.get_running_loop() and self._exit_stack is not None:
            stack = self._exit_stack
            self._forget()
            await stack.aclose()
        else:
            self._forget()

    async def _batch_get(self, chunk: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        request_items: dict[str, Any] = {}
        for table, key in chunk:
            entry = request_items.setdefault(
                table, {"Keys": [], "ConsistentRead": self._config.consistent_reads, **_PROJECTION}
            )
            entry["Keys"].append({KEY: {"S": key}})
        found: dict[tuple[str, str], Item] = {}
        for attempt in range(self._config.max_attempts):
            if attempt:
                await asyncio.sleep(backoff_seconds(attempt))
            response = await self._call("batch_get_item", RequestItems=request_items)
            for table, items in response.get("Responses", {}).items():
                found.update(((table, item[KEY]["S"]), item) for item in items)
            request_items = response.get("UnprocessedKeys") or {}
            if not request_items:
                return found
        left = sum(len(entry["Keys"]) for entry in request_items.values())
        raise StoreUnavailable(
            f"dynamodb left {left} keys unprocessed after {self._config.max_attempts} attempts",
            tables=sorted(request_items),
        )

    async def _count_concurrently(
        self, subjects: Sequence[Subject], action: Callable[[Subject], Awaitable[bool]]
    ) -> int:
        """Run ``action`` on every subject with bounded concurrency; count the ``True``s."""
        pending = iter(subjects)

        async def worker() -> int:
            return sum([await action(subject) for subject in pending])

        workers = min(self._config.max_concurrency, len(subjects))
        tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
        try:
            return sum(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()

    async def _table_status(self, table: str) -> str | None:
        try:
            response = await self._call(
                "describe_table", {"ResourceNotFoundException"}, TableName=table
            )
        except _Rejected:
            return None
        return str(response["Table"]["TableStatus"])

    async def _wait_until_usable(self, table: str) -> None:
        deadline = asyncio.get_running_loop().time() + _TABLE_READY_SECONDS
        attempt = 0
        while (status := await self._table_status(table)) not in ("ACTIVE", "UPDATING"):
            if status in (None, "DELETING") or asyncio.get_running_loop().time() > deadline:
                raise StoreUnavailable(f"dynamodb table {table} is {status}", table=table)
            attempt += 1
            await asyncio.sleep(min(1.0, 0.05 * 2**attempt))

    async def _enable_ttl(self, table: str) -> None:
        """Let DynamoDB delete expired items; reads never rely on it, so failures only log."""
        try:
            described = await self._call("describe_time_to_live", TableName=table)
            ttl = described.get("TimeToLiveDescription", {})
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                return
            await self._call(
                "update_time_to_live", {"UnknownOperationException"}, TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
            )
        except _Rejected:
            logger.debug("endpoint does not implement UpdateTimeToLive; %s keeps expired items",
                         table)
        except StoreUnavailable as error:
            logger.warning("could not enable TTL on %s (%s); expired items stay until deleted",
                           table, error.message)

    async def _call(
        self, operation: str, handled: set[str] | frozenset[str] = frozenset(), **parameters: Any
    ) -> dict[str, Any]:
        """Call ``operation``, retrying transient failures.

        Raises:
            _Rejected: when DynamoDB answers with an error code in ``handled``.
            StoreUnavailable: on any other error, or when retries are exhausted.
        """
        for attempt in range(1, self._config.max_attempts + 1):
            try:
                return await self._send(operation, parameters)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in handled:
                    raise _Rejected(code) from error
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code not in _RETRYABLE_CODES and status < 500:
                    raise StoreUnavailable(f"dynamodb refused {operation}: {code}",
                                           operation=operation, code=code) from error
                failure: Exception = error
            except (HTTPClientError, BotocoreConnectionError) as error:
                failure = error
            except BotoCoreError as error:
                raise StoreUnavailable(f"dynamodb {operation} failed: {error}",
                                       operation=operation) from error
            if attempt < self._config.max_attempts:
                logger.debug("retrying %s after %s", operation, failure)
                await asyncio.sleep(backoff_seconds(attempt))
        raise StoreUnavailable(
            f"dynamodb {operation} failed after {self._config.max_attempts} attempts: {failure}",
            operation=operation,
        ) from failure

    async def _send(self, operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """One attempt of one call, untranslated (the seam tests use to inject failures)."""
        client = self._client
        if client is None or self._loop is not asyncio.get_running_loop():
            client = await self._connect()
        response: dict[str, Any] = await getattr(client, operation)(**parameters)
        return response

    async def _connect(self) -> Any:
        """The client of the running event loop, created on first use.

        aiohttp connections belong to the loop that opened them; when the store is used
        from another loop (one ``asyncio.run`` per call, test fixtures), it opens a new
        client there and closes the old one in its own loop, if that loop still exists.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._lock is None:
            self._forget()
            self._loop, self._lock = loop, asyncio.Lock()
        async with self._lock:
            if self._client is None:
                config = self._config
                settings = AioConfig(
                    region_name=config.region,
                    max_pool_connections=config.max_concurrency,
                    connect_timeout=config.timeout_seconds,
                    read_timeout=config.timeout_seconds,
                    retries={"mode": "standard", "total_max_attempts": 1},
                    parameter_validation=False,
                    tcp_keepalive=True,
                    # A fixed User-Agent spares botocore rebuilding it twice per call
                    # (~15% of client CPU per PutItem).
                    user_agent="groundwork",
                )
                stack = AsyncExitStack()
                self._client = await stack.enter_async_context(get_session().create_client(
                    "dynamodb", endpoint_url=config.endpoint_url, config=settings
                ))
                self._exit_stack = stack
            return self._client

    def _forget(self) -> None:
        """Drop the current client; one of a loop that is not running closes in that loop."""
        stack, loop = self._exit_stack, self._loop
        self._client, self._exit_stack, self._loop, self._lock = None, None, None, None
        if stack is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(stack.aclose()))
