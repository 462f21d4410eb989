"""Serving-side reads: bound them in time, and turn records into results with freshness.

:func:`read_within` is the one place a read is bounded: the store's driver
timeouts cut one call short, and an ``asyncio.timeout`` here bounds the whole
read (connect, retries, several calls) by the store's ``read_timeout_seconds``,
so a store that is down or hangs answers :class:`StoreUnavailable` in time and
a later read, on fresh connections, succeeds once the store is back. A store
that bounds every wait of its reads itself (``StoreCapabilities.bounded_reads``:
Redis) is called with no timeout here, as an embedded store is: arming and
cancelling a timer on every read costs several microseconds.

Expiry is decided here, once for every store: a record whose ``expires_at``
has passed is returned as ``EXPIRED`` without values, whether or not the store
has deleted it yet; so is one whose ``event_ts`` plus the view's current TTL
has passed, even when the stored ``expires_at`` says later (the TTL was
shortened after the record was synced): the definition decides, not the copy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from groundwork.errors import StoreUnavailable
from groundwork.sync.base import EntityKey, OnlineStore, ReadRequest, RecordStatus, StoredRecord

Batches = list[list[StoredRecord | None]]


class LookupResult(NamedTuple):
    """One entity's features as served.

    Attributes:
        key: Entity key.
        status: ``PRESENT``, ``MISSING`` or ``EXPIRED``.
        values: Feature values when ``PRESENT``, else ``None``.
        event_ts: When the values were true (also set for ``EXPIRED``).
        age_seconds: Seconds between ``event_ts`` and the lookup.
    """

    key: EntityKey
    status: RecordStatus
    values: dict[str, Any] | None
    event_ts: dt.datetime | None
    age_seconds: float | None


def to_result(key: EntityKey, record: StoredRecord | None, now: dt.datetime,
              ttl_seconds: float | None = None) -> LookupResult:
    """Classify one stored record at time ``now``.

    Args:
        key: The entity key read.
        record: What the store returned (``None``: nothing).
        now: The moment expiry and age are judged at.
        ttl_seconds: The view's current time to live; ``None`` for none.
    """
    if record is None:
        return LookupResult(key, RecordStatus.MISSING, None, None, None)
    age = (now - record.event_ts).total_seconds()
    if (record.expires_at is not None and record.expires_at <= now) or (
        ttl_seconds and age >= ttl_seconds
    ):
        return LookupResult(key, RecordStatus.EXPIRED, None, record.event_ts, age)
    return LookupResult(key, RecordStatus.PRESENT, record.values, record.event_ts, age)


def oldest_servable(now: dt.datetime, ttl_seconds: float | None) -> dt.datetime | None:
    """The oldest ``event_ts`` a view with ``ttl_seconds`` still serves at ``now``.

    ``None`` when the view has no TTL. With it, :func:`expired` decides a whole
    read's records as :func:`to_result` does, the bound computed once per read.
    """
    return None if not ttl_seconds else now - dt.timedelta(seconds=ttl_seconds)


def expired(record: StoredRecord, now: dt.datetime, oldest: dt.datetime | None) -> bool:
    """Whether ``record`` is no longer servable at ``now`` (the rule of :func:`to_result`).

    Args:
        record: What the store returned.
        now: The moment expiry is judged at.
        oldest: :func:`oldest_servable` of the view at ``now``.
    """
    return (record.expires_at is not None and record.expires_at <= now) or (
        oldest is not None and record.event_ts <= oldest)


async def read_within(
    store: OnlineStore, requests: Sequence[ReadRequest], timeout: float | None
) -> Batches:
    """``store.read(requests)``, given up after ``timeout`` seconds (``None``: unbounded).

    Raises:
        StoreUnavailable: the store failed, or did not answer within ``timeout``.
    """
    if timeout is None:
        return await store.read(requests)
    bound = asyncio.timeout(timeout)
    try:
        async with bound:
            return await store.read(requests)
    except TimeoutError as error:
        what = f"timed out after {timeout:g} s" if bound.expired() else "raised TimeoutError"
        raise StoreUnavailable(
            f"{type(store).__name__} read {what}",
            views=sorted({request.view.name for request in requests}),
        ) from error


async def lookup_many(
    store: OnlineStore, requests: Sequence[ReadRequest], now: dt.datetime | None = None,
    *, timeout: float | None = None,
) -> list[list[LookupResult]]:
    """Read several views from one store in one round trip and classify the records.

    Args:
        store: The store to read.
        requests: What to read.
        now: The moment expiry and ages are judged at (default: now).
        timeout: Bound of the read in seconds, e.g. the store's
            ``read_timeout_seconds`` for a serving read; ``None`` for none.
    """
    moment = now or dt.datetime.now(dt.UTC)
    batches = await read_within(store, requests, timeout)
    return [
        [to_result(key, record, moment, request.view.ttl_seconds)
         for key, record in zip(request.keys, batch, strict=True)]
        for request, batch in zip(requests, batches, strict=True)
    ]
