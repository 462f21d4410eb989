"""Serving-side reads: turn stored records into typed results with status and freshness.

Expiry is decided here, once for every store: a record whose ``expires_at``
has passed is returned as ``EXPIRED`` without values, whether or not the store
has deleted it yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from groundwork.sync.base import EntityKey, OnlineStore, ReadRequest, RecordStatus, StoredRecord


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


def to_result(key: EntityKey, record: StoredRecord | None, now: dt.datetime) -> LookupResult:
    """Classify one stored record at time ``now``."""
    if record is None:
        return LookupResult(key, RecordStatus.MISSING, None, None, None)
    age = (now - record.event_ts).total_seconds()
    if record.expires_at is not None and record.expires_at <= now:
        return LookupResult(key, RecordStatus.EXPIRED, None, record.event_ts, age)
    return LookupResult(key, RecordStatus.PRESENT, record.values, record.event_ts, age)


async def lookup_many(
    store: OnlineStore, requests: Sequence[ReadRequest], now: dt.datetime | None = None
) -> list[list[LookupResult]]:
    """Read several views from one store in one round trip and classify the records."""
    moment = now or dt.datetime.now(dt.UTC)
    batches = await store.read(requests)
    return [
        [to_result(key, record, moment) for key, record in zip(request.keys, batch, strict=True)]
        for request, batch in zip(requests, batches, strict=True)
    ]
