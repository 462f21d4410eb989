"""The item layout, TTL, error classification and retries of the Cosmos DB store.

Items are ``{"id", "pk", "event_ts", "synced_at", "expires_at", "ttl", "values"}``, times in
epoch microseconds, values encoded by ``sync/codec.py``.

Item ids. Cosmos DB ids may not contain ``/ \\ ? #``, so the id is the SHA-256 hex digest of
the key string: fixed length, URL-safe, any key works. Uniqueness is per ``(pk, id)`` and the
key itself is kept in ``pk``, so even a digest collision could not merge two entities.

Local server quirk. ``@vercel/cosmosdb-server`` answers a read of a missing item with a 500
whose message is a JavaScript ``TypeError`` about reading the partition-key property of
``undefined``. Only that exact message, from a loopback endpoint, counts as "not found"; any
other 500, and every 500 from a remote account, is an error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from azure.cosmos.exceptions import CosmosHttpResponseError

from groundwork.sync.base import EntityKey, ReadRequest, StoredRecord
from groundwork.sync.codec import decode_values, from_micros, key_string

T = TypeVar("T")
Document = dict[str, Any]

PARTITION_PATH = "/pk"
LOCAL_SERVER_MISSING_ITEM = "Cannot read properties of undefined (reading 'pk')"
"""The 500 message of ``@vercel/cosmosdb-server`` when asked for an item that does not exist."""
_TRANSIENT = frozenset({408, 429, 449, 503})
OWNER_RESOURCE_NOT_FOUND = 1003
"""The sub-status of a 404 whose container (not item) is missing."""
_MAX_TTL_SECONDS = 2_147_483_647


def item_id(key: EntityKey) -> str:
    """Cosmos DB item id of an entity key: the SHA-256 hex digest of its canonical string."""
    return hashlib.sha256(key_string(key).encode()).hexdigest()


def time_to_live(expires_at: dt.datetime | None, now: dt.datetime, retention: int = 0) -> int:
    """Item ``ttl``: whole seconds from ``now`` until ``expires_at`` plus ``retention``, or -1.

    At least 1 (Cosmos DB's soonest), at most the largest ``ttl`` it accepts.
    """
    if expires_at is None:
        return -1
    seconds = math.ceil((expires_at - now).total_seconds()) + retention
    return min(max(seconds, 1), _MAX_TTL_SECONDS)


def is_missing_item(error: CosmosHttpResponseError, *, loopback: bool) -> bool:
    """Whether ``error`` says the item (not its container) does not exist.

    A 404, unless its sub-status says the container is missing; or, from a loopback endpoint
    only, the local server's 500 with :data:`LOCAL_SERVER_MISSING_ITEM` as its message.
    """
    if error.status_code == 404:
        return error.sub_status != OWNER_RESOURCE_NOT_FOUND
    return (
        loopback
        and error.status_code == 500
        and LOCAL_SERVER_MISSING_ITEM in str(error.http_error_message)
    )


async def with_retries(operation: Callable[[], Awaitable[T]], *, attempts: int) -> T:
    """Await ``operation()``, calling it again on 408, 429, 449 and 503, up to ``attempts`` calls.

    Waits the server's ``x-ms-retry-after-ms`` when given, else an exponential backoff with
    full jitter; re-raises the last error when attempts run out or the status is not transient.
    """
    for attempt in range(1, attempts):
        try:
            return await operation()
        except CosmosHttpResponseError as error:
            if error.status_code not in _TRANSIENT:
                raise
            await asyncio.sleep(backoff_seconds(error, attempt))
    return await operation()


def is_conflict(error: CosmosHttpResponseError) -> bool:
    """Whether ``error`` is a 409: the item or container already exists."""
    return error.status_code == 409


def stored_record(request: ReadRequest, document: Document) -> StoredRecord:
    """The record an item holds, with the requested features decoded."""
    expires_at = document.get("expires_at")
    return StoredRecord(
        values=decode_values(request.view, document.get("values") or {}, request.features),
        event_ts=from_micros(document["event_ts"]),
        synced_at=from_micros(document["synced_at"]),
        expires_at=None if expires_at is None else from_micros(expires_at),
    )


def backoff_seconds(error: CosmosHttpResponseError, attempt: int) -> float:
    """Seconds to wait: the server's retry-after, else exponential backoff with full jitter."""
    retry_after = (error.headers or {}).get("x-ms-retry-after-ms")
    if retry_after is not None:
        try:
            return float(retry_after) / 1000
        except ValueError:
            pass
    return random.uniform(0, min(5.0, 0.05 * 2**attempt))
