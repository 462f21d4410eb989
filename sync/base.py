"""The online-store protocol: the one interface every store implements.

Stores are deliberately dumb: they persist and return records. Batching,
retries, expiry decisions and metrics live in ``sync/lookup.py`` and
``sync/writer.py``; a store only declares what it can do in its
:class:`StoreCapabilities`.

The records that cross the serving and sync paths once per entity
(:class:`OnlineRow`, :class:`StoredRecord`, :class:`ReadRequest`) are named
tuples: immutable like frozen dataclasses, at a third of the construction cost.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from groundwork.features.spec import ViewSpec

if TYPE_CHECKING:
    import pyarrow as pa

EntityKey = int | str


class RecordStatus(StrEnum):
    """Status of one served feature record."""

    PRESENT = "PRESENT"
    MISSING = "MISSING"
    EXPIRED = "EXPIRED"


class OnlineRow(NamedTuple):
    """One record to upsert: the latest values of one entity in one view.

    Attributes:
        key: Entity key value.
        values: Feature name to value, typed as the view declares.
        event_ts: When the values were true (timezone-aware UTC).
        expires_at: ``event_ts + ttl``; ``None`` when the view has no TTL.
    """

    key: EntityKey
    values: Mapping[str, Any]
    event_ts: dt.datetime
    expires_at: dt.datetime | None


class StoredRecord(NamedTuple):
    """One record as a store returns it, expired or not.

    Attributes:
        values: Requested feature values, typed as the view declares.
        event_ts: When the values were true.
        synced_at: When the record was written to this store.
        expires_at: When the record stops being servable, if ever.
    """

    values: dict[str, Any]
    event_ts: dt.datetime
    synced_at: dt.datetime
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of one batch write.

    Attributes:
        written: Records inserted or replaced by a newer row.
        skipped: Rows not written because the store holds a record at least as new.
    """

    written: int
    skipped: int

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(self.written + other.written, self.skipped + other.skipped)


class ReadRequest(NamedTuple):
    """Keys to fetch from one view, and which of its features.

    Attributes:
        view: The feature view.
        keys: Entity keys, in the order results are wanted.
        features: Names of the features to return.
    """

    view: ViewSpec
    keys: Sequence[EntityKey]
    features: Sequence[str]


@dataclass(frozen=True, slots=True)
class StoreCapabilities:
    """What a store can do, declared rather than probed.

    Attributes:
        max_write_batch: Most rows one round trip carries (``write`` splits larger
            batches itself); also the batch size sync uses by default.
        max_read_batch: Most keys one round trip fetches (``read`` splits larger
            requests itself).
        native_ttl: The store deletes expired records by itself.
        embedded: The store runs inside the serving process (no network).
        bounded_reads: ``read`` bounds every wait (connect, reply) by the store's
            ``read_timeout_seconds`` itself, so the orchestration arms no timer of its own.
    """

    max_write_batch: int
    max_read_batch: int
    native_ttl: bool
    embedded: bool
    bounded_reads: bool = False


class OnlineStore(ABC):
    """Persist and fetch the latest feature record per entity of each view.

    Attributes:
        read_timeout_seconds: Bound of one ``read``, from the store's config; the
            orchestration (``sync/lookup.py``) enforces it. ``None`` for an embedded
            store, which reads inline and cannot be interrupted.
    """

    capabilities: ClassVar[StoreCapabilities]
    read_timeout_seconds: float | None = None

    @abstractmethod
    async def ensure(self, view: ViewSpec) -> None:
        """Create the table or container for ``view`` if it does not exist."""

    @abstractmethod
    async def write(
        self, view: ViewSpec, rows: Sequence[OnlineRow], synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert any number of ``rows``; never replace a record as new or newer."""

    @abstractmethod
    async def write_encoded(
        self, view: ViewSpec, rows: pa.RecordBatch, synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows already in the stored form (``sync.codec.ENCODED_COLUMNS``), as ``write``."""

    @abstractmethod
    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        """Fetch records for every request (``None`` where absent), in key order.

        One round trip when the keys fit the store's per-call limit.
        """

    @abstractmethod
    async def delete(self, view: ViewSpec, keys: Sequence[EntityKey]) -> int:
        """Delete the records of ``keys``; return how many existed."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections and clients."""
