"""Encode typed feature values to JSON-safe values and back, by declared type.

Stores that keep values as JSON (SQLite, Redis, Cosmos DB) use this so an int
stays an int and a timestamp stays a timestamp across every store.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from groundwork.features.spec import ValueType, ViewSpec
from groundwork.sync.base import OnlineRow

if TYPE_CHECKING:
    import pyarrow as pa

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware (or UTC-naive) datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@functools.lru_cache(maxsize=4096)
def from_micros(micros: int) -> dt.datetime:
    """Aware UTC datetime from microseconds since the Unix epoch.

    Memoised: the records of one sync share their ``synced_at`` and often
    their ``event_ts``, and a cache hit costs a fraction of the arithmetic.
    """
    return _EPOCH + dt.timedelta(microseconds=micros)


def encode_value(dtype: ValueType, value: Any) -> Any:
    """JSON-safe form of ``value`` (timestamps as epoch microseconds, dates as ISO)."""
    if value is None:
        return None
    if dtype is ValueType.TIMESTAMP:
        return to_micros(value)
    if dtype is ValueType.DATE:
        return value.isoformat()
    if dtype is ValueType.INT:
        return int(value)
    if dtype is ValueType.FLOAT:
        return float(value)
    if dtype is ValueType.BOOL:
        return bool(value)
    if dtype is ValueType.INT_LIST:
        return [int(item) for item in value]
    if dtype is ValueType.FLOAT_LIST:
        return [float(item) for item in value]
    if dtype is ValueType.STRING_LIST:
        return [str(item) for item in value]
    return str(value)


def decode_value(dtype: ValueType, value: Any) -> Any:
    """Typed value from its JSON-safe form."""
    if value is None:
        return None
    if dtype is ValueType.TIMESTAMP:
        return from_micros(value)
    if dtype is ValueType.DATE:
        return dt.date.fromisoformat(value)
    if dtype is ValueType.FLOAT:
        return float(value)
    return value


def encode_values(view: ViewSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Encode every feature of ``view`` present in ``values``."""
    return {
        feature.name: encode_value(feature.dtype, values.get(feature.name))
        for feature in view.features
    }


_CONVERTERS: dict[ValueType, Callable[[Any], Any]] = {
    ValueType.TIMESTAMP: from_micros,
    ValueType.DATE: dt.date.fromisoformat,
    ValueType.FLOAT: float,
}
"""What :func:`decode_value` applies per type; the JSON value of any other type is the value."""


class ViewDecoder:
    """Decodes the stored values of one view, from a feature index built once.

    Args:
        view: The view whose records are decoded.
    """

    __slots__ = ("view", "_converters")

    def __init__(self, view: ViewSpec) -> None:
        self.view = view
        self._converters = {
            feature.name: _CONVERTERS.get(feature.dtype) for feature in view.features
        }

    def decode(self, values: Mapping[str, Any], features: Sequence[str]) -> dict[str, Any]:
        """Decode the requested ``features`` from a stored mapping.

        Raises:
            DefinitionError: when the view has no feature of a requested name.
        """
        converters = self._converters
        decoded = {}
        for name in features:
            try:
                convert = converters[name]
            except KeyError:
                self.view.feature(name)  # raises the DefinitionError naming the feature
                raise
            value = values.get(name)
            decoded[name] = value if value is None or convert is None else convert(value)
        return decoded


_decoders: dict[int, ViewDecoder] = {}
_MAX_DECODERS = 256


def view_decoder(view: ViewSpec) -> ViewDecoder:
    """The decoder of ``view``, kept per view object (views are built once, at start-up)."""
    decoder = _decoders.get(id(view))
    if decoder is None or decoder.view is not view:
        if len(_decoders) >= _MAX_DECODERS:
            _decoders.clear()
        decoder = _decoders[id(view)] = ViewDecoder(view)
    return decoder


def decode_values(
    view: ViewSpec, values: Mapping[str, Any], features: Sequence[str]
) -> dict[str, Any]:
    """Decode the requested ``features`` from a stored mapping."""
    return view_decoder(view).decode(values, features)


def key_string(key: int | str) -> str:
    """Canonical string form of an entity key, used as the store's primary key."""
    return str(key)


ENCODED_COLUMNS = ("key", "event_ts", "expires_at", "payload")
"""Columns of rows in the stored form, as ``OnlineStore.write_encoded`` takes them: the
entity's :func:`key_string` (string), ``event_ts`` and ``expires_at`` in epoch
microseconds (int64; ``expires_at`` null without a TTL), and ``payload``, the JSON of
:func:`encode_values` (binary). The Spark sync job builds them in the JVM."""


def decoded_rows(view: ViewSpec, rows: pa.RecordBatch) -> list[OnlineRow]:
    """Online rows, typed as ``view`` declares, from rows in the stored form.

    For stores that keep values in their own typed form rather than the JSON payload.
    """
    key, event_ts, expires_at, payload = (rows.column(name).to_pylist()
                                          for name in ENCODED_COLUMNS)
    typed_key = int if view.entity_type is ValueType.INT else str
    decode, names = view_decoder(view).decode, view.feature_names
    return [
        OnlineRow(typed_key(entity), decode(orjson.loads(values), names), from_micros(event),
                  None if expires is None else from_micros(expires))
        for entity, event, expires, values in zip(key, event_ts, expires_at, payload, strict=True)
    ]


def encoded_batch(view: ViewSpec, rows: Sequence[OnlineRow]) -> pa.RecordBatch:
    """Rows in the stored form (``ENCODED_COLUMNS``), encoded in Python.

    The Spark sync job builds the same columns in the JVM; this is their reference form.
    """
    import pyarrow as pa

    return pa.RecordBatch.from_arrays([
        pa.array([key_string(row.key) for row in rows], pa.string()),
        pa.array([to_micros(row.event_ts) for row in rows], pa.int64()),
        pa.array([None if row.expires_at is None else to_micros(row.expires_at)
                  for row in rows], pa.int64()),
        pa.array([orjson.dumps(encode_values(view, row.values)) for row in rows], pa.binary()),
    ], names=list(ENCODED_COLUMNS))
