"""Encode typed feature values to JSON-safe values and back, by declared type.

Stores that keep values as JSON (SQLite, Redis, Cosmos DB) use this so an int
stays an int and a timestamp stays a timestamp across every store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from features.spec import ValueType, ViewSpec

UTC = dt.UTC


def to_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware (or UTC-naive) datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> dt.datetime:
    """Aware UTC datetime from microseconds since the Unix epoch."""
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=micros)


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


def decode_values(
    view: ViewSpec, values: Mapping[str, Any], features: Sequence[str]
) -> dict[str, Any]:
    """Decode the requested ``features`` from a stored mapping."""
    return {name: decode_value(view.feature(name).dtype, values.get(name)) for name in features}


def key_string(key: int | str) -> str:
    """Canonical string form of an entity key, used as the store's primary key."""
    return str(key)
