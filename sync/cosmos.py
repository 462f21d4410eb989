"""Azure Cosmos DB (SQL API) online store: one container per view, one item per entity.

Layout. Database ``config.database``; container ``<container_prefix><view>`` partitioned on
``/pk`` (the canonical entity-key string), default TTL on (``-1``) so each item's ``ttl``
(seconds until ``expires_at`` plus ``expired_retention_seconds``, ``-1`` for never) lets
Cosmos DB delete expired records itself; ``sync/lookup.py`` still decides expiry at read, so
a record past ``expires_at`` reads as ``EXPIRED`` for the retention (a day by default) and as
``MISSING`` once Cosmos DB has deleted it. Items are ``{"id", "pk", "event_ts",
"synced_at", "expires_at", "ttl", "values"}``, times in epoch microseconds, values encoded by
``sync/codec.py``. Only point operations are used, so nothing is indexed (cheaper writes).

Writes. One item per round trip (a transactional batch spans one logical partition, and
every entity is its own partition), run concurrently, at most ``max_concurrency`` at a time
per call. Each row is a compare-and-set loop on ``event_ts``: create when absent (409: a
concurrent writer created it, re-read); otherwise skip when the stored ``event_ts`` is as new
or newer, else replace with ``If-Match`` on the etag just read (412: a concurrent writer got
there first, re-read). Whether a row starts with the create or with the read follows the
previous row of the view, so a first load costs one round trip per row. Conditional patch
with a filter predicate would save the read on updates, but the local server evaluates the
predicate by scanning the whole container.

Retries. The SDK retries throttling (429) honouring ``x-ms-retry-after-ms`` (``retry_total``
attempts, at most ``retry_backoff_max`` seconds) and connection errors; where it gives up on
408, 429, 449 or 503 this module tries again, up to ``max_attempts`` calls, waiting the
server's retry-after or an exponential backoff with jitter. Anything else, and exhausted
retries, raise :class:`~groundwork.errors.StoreUnavailable`, never an SDK exception.

Timeouts. Every call waits at most ``timeout_seconds`` to connect and for a reply; a serving
read is bounded as a whole (the SDK's absolute ``timeout``, its connection retries included) by
``read_timeout_seconds``, so a server that is down or hangs fails the read in time, and the
next read reconnects.

TLS. Certificate checks stay on: the SDK silently skips them for the hosts ``localhost`` and
``127.0.0.1``, so every request asks for verification explicitly unless the config allows an
insecure loopback endpoint. Loopback and plain-HTTP endpoints are single local servers with no
regions to discover, so endpoint discovery (and its 500 ms cross-region retry) is off there.

Item layout, TTL, error classification and retries live in :mod:`groundwork.sync.cosmos_items`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import AzureError
from azure.core.pipeline.transport import AioHttpTransport
from azure.cosmos import PartitionKey
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.exceptions import CosmosHttpResponseError

from groundwork.errors import DefinitionError, StoreUnavailable
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
from groundwork.sync.codec import decoded_rows, encode_values, key_string, to_micros
from groundwork.sync.config import CosmosStoreConfig, is_loopback
from groundwork.sync.cosmos_items import (
    OWNER_RESOURCE_NOT_FOUND,
    PARTITION_PATH,
    Document,
    is_conflict,
    is_missing_item,
    item_id,
    stored_record,
    time_to_live,
    with_retries,
)

if TYPE_CHECKING:
    import pyarrow as pa

T = TypeVar("T")

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_SDK_THROTTLE_RETRIES = 9
_SDK_THROTTLE_WAIT_SECONDS = 30
_MAX_ROUNDS = 100
_INDEX_NOTHING: dict[str, Any] = {
    "indexingMode": "consistent", "includedPaths": [], "excludedPaths": [{"path": "/*"}]
}


class CosmosStore(OnlineStore):
    """Online store in Azure Cosmos DB, one container per feature view.

    Cosmos DB carries one item per round trip, so the declared batch limits are how many
    rows (keys) one ``write`` (``read``) call is sized for; it runs them as concurrent point
    operations. ``read`` serves several views with concurrent point reads, since Cosmos DB
    has no multi-container read.
    """

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        max_write_batch=1_000, max_read_batch=100, native_ttl=True, embedded=False
    )

    def __init__(self, config: CosmosStoreConfig) -> None:
        self._config = config
        self._loopback = is_loopback(config.endpoint)
        self._options: dict[str, Any] = (
            {} if config.allow_insecure_loopback else {"connection_verify": True}
        )
        bound = config.read_timeout_seconds
        self._read_options = {
            **self._options, "timeout": bound, "connection_timeout": bound, "read_timeout": bound,
        }
        self.read_timeout_seconds = bound
        self._client: CosmosClient | None = None
        self._database: DatabaseProxy | None = None
        self._containers: dict[str, ContainerProxy] = {}
        self._absent_likely: dict[str, bool] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Future[DatabaseProxy] | None = None

    async def ensure(self, view: ViewSpec) -> None:
        """Create the database and the view's container if they do not exist."""
        database = await self._open()
        name = self._container_name(view)
        try:
            _, properties = await self._call(view, lambda: database.create_container_if_not_exists(
                id=name, partition_key=PartitionKey(path=PARTITION_PATH), default_ttl=-1,
                indexing_policy=_INDEX_NOTHING, return_properties=True, **self._options,
            ), passing=is_conflict)
        except CosmosHttpResponseError:  # created concurrently: read it
            properties = await self._call(view, lambda: self._container(view).read(**self._options))
        paths = properties.get("partitionKey", {}).get("paths")
        if paths != [PARTITION_PATH]:
            raise DefinitionError(
                f"container {name!r} is partitioned on {paths}, expected [{PARTITION_PATH!r}]",
                view=view.name,
            )

    async def write(
        self, view: ViewSpec, rows: Sequence[OnlineRow], synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows concurrently; a row never replaces a record as new or newer."""
        await self._open()
        container = self._container(view)
        synced, now = to_micros(synced_at), dt.datetime.now(dt.UTC)
        retention = self._config.expired_retention_seconds
        documents = [
            {
                "id": item_id(row.key),
                "pk": key_string(row.key),
                "event_ts": to_micros(row.event_ts),
                "synced_at": synced,
                "expires_at": None if row.expires_at is None else to_micros(row.expires_at),
                "ttl": time_to_live(row.expires_at, now, retention),
                "values": encode_values(view, row.values),
            }
            for row in rows
        ]
        outcomes = await self._each(documents, lambda doc: self._upsert(view, container, doc))
        written = sum(outcomes)
        return WriteResult(written=written, skipped=len(outcomes) - written)

    async def write_encoded(
        self, view: ViewSpec, rows: pa.RecordBatch, synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows in the stored form: decoded to typed rows, then as :meth:`write`."""
        return await self.write(view, decoded_rows(view, rows), synced_at)

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        """Point-read every key of every request concurrently; ``None`` where absent.

        Opening the client (the account read, the database) on the first read is bounded by
        ``read_timeout_seconds`` too.
        """
        if self._database is None or self._loop is not asyncio.get_running_loop():
            try:
                async with asyncio.timeout(self.read_timeout_seconds):
                    await self._open()
            except TimeoutError as error:
                raise StoreUnavailable(
                    f"cosmos client did not connect within {self.read_timeout_seconds:g} s",
                    store="cosmos") from error
        lookups = [(request, key) for request in requests for key in request.keys]
        documents = await self._each(lookups, lambda lookup: self._read(
            lookup[0].view, self._container(lookup[0].view),
            item_id(lookup[1]), key_string(lookup[1]), self._read_options,
        ))
        records = iter(
            None if document is None else stored_record(request, document)
            for (request, _), document in zip(lookups, documents, strict=True)
        )
        return [[next(records) for _ in request.keys] for request in requests]

    async def delete(self, view: ViewSpec, keys: Sequence[EntityKey]) -> int:
        """Delete the records of ``keys`` concurrently; return how many existed."""
        await self._open()
        container = self._container(view)
        existed = await self._each(keys, lambda key: self._attempt(view, lambda: (
            container.delete_item(item_id(key), partition_key=key_string(key), **self._options)
        ), lost={404}))
        return sum(existed)

    async def close(self) -> None:
        """Close the Cosmos DB client and its connections."""
        client, loop = self._client, self._loop
        self._forget()
        if client is not None and loop is asyncio.get_running_loop():
            await client.close()

    async def _open(self) -> DatabaseProxy:
        """The database, creating the client in the running loop and the database once.

        The opening runs as a task of its own that a timed-out read does not cancel, so the
        next read finds it done, and concurrent first reads share it.

        aiohttp connections belong to the loop that opened them; when the store is used from
        another loop (one ``asyncio.run`` per call, test fixtures), it opens a new client there
        and drops the old one, which cannot be closed from this loop.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._forget()
            self._loop = loop
        if self._database is not None:
            return self._database
        if self._opening is None or self._opening.done():  # none yet, or the last one failed
            self._opening = asyncio.ensure_future(self._connect())
            self._opening.add_done_callback(_collect)
        return await asyncio.shield(self._opening)

    async def _connect(self) -> DatabaseProxy:
        config = self._config
        client = CosmosClient(
            config.endpoint,
            config.key.get_secret_value(),
            connection_verify=not config.allow_insecure_loopback,
            enable_endpoint_discovery=not (self._loopback or config.endpoint.startswith("http:")),
            retry_total=_SDK_THROTTLE_RETRIES,
            retry_backoff_max=_SDK_THROTTLE_WAIT_SECONDS,
            connection_timeout=config.timeout_seconds,
            read_timeout=config.timeout_seconds,
            transport=AioHttpTransport(use_env_settings=config.proxy_from_environment),
        )
        try:
            await self._call(None, client.__aenter__)
            with contextlib.suppress(CosmosHttpResponseError):  # created concurrently
                await self._call(None, lambda: client.create_database_if_not_exists(
                    config.database, **self._options
                ), passing=is_conflict)
        except BaseException:
            await client.close()
            raise
        if self._loop is not asyncio.get_running_loop():  # closed while it was opening
            await client.close()
            raise StoreUnavailable("the cosmos store was closed while opening", store="cosmos")
        self._client, self._database = client, client.get_database_client(config.database)
        return self._database

    def _forget(self) -> None:
        self._client, self._database, self._loop, self._opening = None, None, None, None
        self._containers.clear()

    def _container_name(self, view: ViewSpec) -> str:
        name = f"{self._config.container_prefix}{view.name}"
        if not _NAME.match(name):
            raise DefinitionError(f"{name!r} is not a valid container name", view=view.name)
        return name

    def _container(self, view: ViewSpec) -> ContainerProxy:
        container = self._containers.get(view.name)
        if container is None:
            if self._database is None:
                raise StoreUnavailable("the cosmos store is closed", store="cosmos",
                                       view=view.name)
            container = self._database.get_container_client(self._container_name(view))
            self._containers[view.name] = container
        return container

    async def _upsert(self, view: ViewSpec, container: ContainerProxy, document: Document) -> bool:
        """Compare-and-set one item on ``event_ts``; True when written, False when skipped."""
        identifier, partition = document["id"], document["pk"]

        def create() -> Awaitable[Any]:
            return container.create_item(document, **self._options)

        def replace(etag: str) -> Awaitable[Any]:
            return container.replace_item(
                identifier, document, etag=etag,
                match_condition=MatchConditions.IfNotModified, **self._options,
            )

        if self._absent_likely.get(view.name, True) and await self._attempt(view, create, {409}):
            return True
        stored = await self._read(view, container, identifier, partition, self._options)
        self._absent_likely[view.name] = stored is None
        for _ in range(_MAX_ROUNDS):
            if stored is None:
                if await self._attempt(view, create, lost={409}):
                    return True
            elif stored["event_ts"] >= document["event_ts"]:
                return False
            elif await self._attempt(view, partial(replace, stored["_etag"]), lost={404, 412}):
                return True
            stored = await self._read(view, container, identifier, partition, self._options)
        raise StoreUnavailable("too many concurrent writers to one key", store="cosmos",
                               view=view.name)

    async def _attempt(
        self, view: ViewSpec, operation: Callable[[], Awaitable[Any]], lost: set[int]
    ) -> bool:
        """Run a conditional operation; False when it failed with one of the ``lost`` statuses."""
        try:
            await self._call(view, operation, passing=lambda error: (
                error.status_code in lost and error.sub_status != OWNER_RESOURCE_NOT_FOUND
            ))
        except CosmosHttpResponseError:
            return False
        return True

    async def _read(
        self, view: ViewSpec, container: ContainerProxy, identifier: str, partition: str,
        options: dict[str, Any],
    ) -> Any:
        """Point-read one item with the SDK's request ``options``; None when absent."""
        try:
            return await self._call(view, lambda: container.read_item(
                identifier, partition_key=partition, **options
            ), passing=partial(is_missing_item, loopback=self._loopback))
        except CosmosHttpResponseError:
            return None

    async def _call(
        self,
        view: ViewSpec | None,
        operation: Callable[[], Awaitable[T]],
        passing: Callable[[CosmosHttpResponseError], bool] | None = None,
    ) -> T:
        """Run one request with retries; a failure becomes ``StoreUnavailable``.

        Only errors that ``passing`` accepts (a conflict, a missing item) reach the caller as
        the SDK's exception, for it to decide on.
        """
        try:
            return await with_retries(operation, attempts=self._config.max_attempts)
        except CosmosHttpResponseError as error:
            if passing is not None and passing(error):
                raise
            raise self._unavailable(view, error) from error
        except (AzureError, OSError, TimeoutError) as error:
            raise self._unavailable(view, error) from error

    def _unavailable(self, view: ViewSpec | None, error: BaseException) -> StoreUnavailable:
        status = getattr(error, "status_code", None)
        reason = getattr(error, "http_error_message", None) or str(error) or type(error).__name__
        details: dict[str, Any] = {"store": "cosmos", "status": status}
        if view is not None:
            details["view"] = view.name
        return StoreUnavailable(f"cosmos request failed ({status}): {str(reason)[:300]}", **details)

    async def _each(self, items: Sequence[Any], run: Callable[[Any], Awaitable[T]]) -> list[T]:
        """Run ``run`` on every item, at most ``max_concurrency`` at a time, in order."""
        if len(items) == 1:
            return [await run(items[0])]
        results: list[Any] = [None] * len(items)
        pending = iter(enumerate(items))

        async def worker() -> None:
            for index, item in pending:
                results[index] = await run(item)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._config.max_concurrency, len(items))):
                    group.create_task(worker())
        except ExceptionGroup as failures:
            raise failures.exceptions[0]  # noqa: B904 - keeps the SDK error as its cause
        return results


def _collect(task: asyncio.Future[Any]) -> None:
    """Take a finished task's exception, so one no read waited for is not reported."""
    if not task.cancelled():
        task.exception()
