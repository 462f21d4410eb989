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
Reads go through their own client, whose connect and read timeouts are
``read_timeout_seconds``, and retry only while the next attempt can start
within that bound; past it they fail at once with the last error.

The item layout (and why features travel as one JSON record) is in
:mod:`groundwork.sync.dynamodb_items`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

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
from groundwork.sync.codec import decoded_rows, key_string, to_micros
from groundwork.sync.config import DynamoDBStoreConfig
from groundwork.sync.dynamodb_items import (
    KEY,
    Item,
    backoff_seconds,
    record_reader,
    table_name,
    to_item,
)

if TYPE_CHECKING:
    import pyarrow as pa

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
        self.read_timeout_seconds = config.read_timeout_seconds
        self._clients: dict[bool, Any] = {}  # reading or not -> client
        self._exit_stack: AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: dict[bool, asyncio.Future[Any]] = {}

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

    async def write_encoded(
        self, view: ViewSpec, rows: pa.RecordBatch, synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows in the stored form: decoded to typed rows, then as :meth:`write`."""
        return await self.write(view, decoded_rows(view, rows), synced_at)

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
        deadline = asyncio.get_running_loop().time() + self._config.read_timeout_seconds
        if len(chunks) == 1:  # the usual case: no task to schedule
            found = await self._batch_get(chunks[0], deadline)
        else:
            parts = await asyncio.gather(*(self._batch_get(chunk, deadline) for chunk in chunks))
            for part in parts:
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
        """Close the clients and their connection pools."""
        stack = self._exit_stack
        if self._loop is asyncio.get_running_loop() and stack is not None:
            self._forget(closing=False)
            await stack.aclose()
        else:
            self._forget()

    async def _batch_get(
        self, chunk: Sequence[tuple[str, str]], deadline: float
    ) -> dict[tuple[str, str], Item]:
        """Read one chunk of keys, retrying unprocessed keys until ``deadline`` at most."""
        request_items: dict[str, Any] = {}
        for table, key in chunk:
            entry = request_items.setdefault(
                table, {"Keys": [], "ConsistentRead": self._config.consistent_reads, **_PROJECTION}
            )
            entry["Keys"].append({KEY: {"S": key}})
        found: dict[tuple[str, str], Item] = {}
        attempt = 0
        while True:
            response = await self._call("batch_get_item", deadline=deadline,
                                        RequestItems=request_items)
            attempt += 1
            for table, items in response.get("Responses", {}).items():
                found.update(((table, item[KEY]["S"]), item) for item in items)
            request_items = response.get("UnprocessedKeys") or {}
            if not request_items:
                return found
            if attempt == self._config.max_attempts or not await _wait(attempt, deadline):
                break
        left = sum(len(entry["Keys"]) for entry in request_items.values())
        raise StoreUnavailable(
            f"dynamodb left {left} keys unprocessed after {attempt} attempts",
            store="dynamodb", tables=sorted(request_items),
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
                raise StoreUnavailable(f"dynamodb table {table} is {status}", store="dynamodb",
                                       table=table)
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
                           table, error.reason)

    async def _call(
        self, operation: str, handled: set[str] | frozenset[str] = frozenset(), *,
        deadline: float | None = None, **parameters: Any,
    ) -> dict[str, Any]:
        """Call ``operation``, retrying transient failures.

        Args:
            operation: The client method, e.g. ``batch_get_item``.
            handled: Error codes the caller handles itself.
            deadline: Event-loop time after which no attempt starts (``None``: none).
            **parameters: The call's parameters.

        Raises:
            _Rejected: when DynamoDB answers with an error code in ``handled``.
            StoreUnavailable: on any other error, or when retries are exhausted.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send(operation, parameters)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code in handled:
                    raise _Rejected(code) from error
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if code not in _RETRYABLE_CODES and status < 500:
                    raise StoreUnavailable(f"dynamodb refused {operation}: {code}",
                                           store="dynamodb", operation=operation,
                                           code=code) from error
                failure: Exception = error
            except (HTTPClientError, BotocoreConnectionError) as error:
                failure = error
            except BotoCoreError as error:
                raise StoreUnavailable(f"dynamodb {operation} failed: {error}",
                                       store="dynamodb", operation=operation) from error
            if attempt == self._config.max_attempts or not await _wait(attempt, deadline):
                break
            logger.debug("retried %s after %s", operation, failure)
        raise StoreUnavailable(
            f"dynamodb {operation} failed after {attempt} attempts: {failure}",
            store="dynamodb", operation=operation,
        ) from failure

    async def _send(self, operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        """One attempt of one call, untranslated (the seam tests use to inject failures).

        ``batch_get_item`` goes through the reading client, every other call through
        the writing one.
        """
        reading = operation == "batch_get_item"
        client = self._clients.get(reading)
        if client is None or self._loop is not asyncio.get_running_loop():
            client = await self._connect(reading)
        response: dict[str, Any] = await getattr(client, operation)(**parameters)
        return response

    async def _connect(self, reading: bool) -> Any:
        """The reading or writing client of the running event loop, created on first use.

        Creating a client (loading botocore's service model) takes a tenth of a second or
        more; it runs as a task of its own that a timed-out read does not cancel, so the
        next read finds the client ready, and concurrent first reads share one creation.

        aiohttp connections belong to the loop that opened them; when the store is used
        from another loop (one ``asyncio.run`` per call, test fixtures), it opens new
        clients there and closes the old ones in their own loop, if that loop still exists.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._exit_stack is None:
            self._forget()
            self._loop, self._exit_stack = loop, AsyncExitStack()
        opening = self._opening.get(reading)
        if opening is None or opening.done():  # none yet, or the last one failed
            opening = asyncio.ensure_future(self._open_client(reading, self._exit_stack))
            opening.add_done_callback(_collect)
            self._opening[reading] = opening
        return await asyncio.shield(opening)

    async def _open_client(self, reading: bool, stack: AsyncExitStack) -> Any:
        """Create the reading or writing client, closed with ``stack``."""
        config = self._config
        timeout = config.read_timeout_seconds if reading else config.timeout_seconds
        settings = AioConfig(
            region_name=config.region,
            max_pool_connections=config.max_concurrency,
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
            parameter_validation=False,
            tcp_keepalive=True,
            # A fixed User-Agent spares botocore rebuilding it twice per call
            # (~15% of client CPU per PutItem).
            user_agent="groundwork",
        )
        client = await stack.enter_async_context(get_session().create_client(
            "dynamodb", endpoint_url=config.endpoint_url, config=settings
        ))
        if stack is self._exit_stack:
            self._clients[reading] = client
        return client

    def _forget(self, *, closing: bool = True) -> None:
        """Drop the clients; with ``closing``, close them in their loop if it still exists."""
        stack, loop = self._exit_stack, self._loop
        self._clients, self._opening, self._exit_stack, self._loop = {}, {}, None, None
        if closing and stack is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(stack.aclose()))


def _collect(task: asyncio.Future[Any]) -> None:
    """Take a finished task's exception, so one no read waited for is not reported."""
    if not task.cancelled():
        task.exception()


async def _wait(attempt: int, deadline: float | None) -> bool:
    """Back off before attempt ``attempt + 1``; False, at once, when it could not start in time."""
    pause = backoff_seconds(attempt)
    if deadline is not None and asyncio.get_running_loop().time() + pause >= deadline:
        return False
    await asyncio.sleep(pause)
    return True
