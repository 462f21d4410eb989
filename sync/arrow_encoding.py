"""The stored form of feature rows, built by Arrow compute kernels: no Python object per row.

:func:`stored_form` turns rows of a feature table (one per entity) into the columns
``sync.codec.ENCODED_COLUMNS`` that ``OnlineStore.write_encoded`` takes, as the Spark
sync job builds them in the JVM and ``sync.codec.encoded_batch`` in Python: the entity
key as text, ``event_ts`` and ``expires_at`` in epoch microseconds, and the JSON payload
of ``sync.codec.encode_values``. The payload is assembled column by column: each feature
becomes the JSON text of its values (``null`` where missing), and one join per row puts
``{"name":value,…}`` together. Values keep their declared types when decoded: floats are
written with a fraction or an exponent (``1.0``, ``1e+20``) so a float never reads back
as an int, NaN and infinities become ``null`` (as orjson writes them), strings are
escaped as JSON. The rare string column holding control characters is escaped by orjson
value by value.
"""

from __future__ import annotations

from typing import TypeAlias

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.codec import ENCODED_COLUMNS
from groundwork.sync.writer import EVENT_TS

_MICROS_PER_SECOND = 1_000_000
_NULL = b"null"
_CONTROL = "[\\x00-\\x1f]"
_ELEMENT_TYPES = {ValueType.INT_LIST: pa.int64(), ValueType.FLOAT_LIST: pa.float64(),
                  ValueType.STRING_LIST: pa.string()}
_ELEMENT_KIND = {ValueType.INT_LIST: ValueType.INT, ValueType.FLOAT_LIST: ValueType.FLOAT,
                 ValueType.STRING_LIST: ValueType.STRING}

Column: TypeAlias = pa.Array | pa.ChunkedArray


def epoch_micros(column: Column) -> pa.Array:
    """Microseconds since the epoch of a timestamp or date column (naive times are UTC)."""
    if pa.types.is_date(column.type):
        column = pc.cast(column, pa.timestamp("us"))
    return pc.cast(pc.cast(column, pa.timestamp("us"), safe=False), pa.int64())


def _text(column: Column) -> Column:
    """Text of every value, as binary (nulls stay null)."""
    return pc.cast(pc.cast(column, pa.string()), pa.binary())


def _floats(column: Column) -> Column:
    """JSON numbers of doubles: NaN and infinities null, a fraction or exponent always."""
    doubles = pc.cast(column, pa.float64())
    finite = pc.if_else(pc.is_finite(doubles), doubles, pa.scalar(None, pa.float64()))
    text = pc.cast(finite, pa.string())
    whole = pc.utf8_is_digit(pc.utf8_ltrim(text, "-"))  # no fraction, no exponent
    return pc.cast(pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text),
                   pa.binary())


def _strings(column: Column) -> Column:
    """JSON strings: quoted, with quotes and backslashes escaped."""
    text = pc.cast(column, pa.string())
    if (not pc.all(pc.utf8_is_printable(text)).as_py()  # a cheap test first
            and pc.any(pc.match_substring_regex(text, _CONTROL)).as_py()):
        return pa.array([None if value is None else orjson.dumps(value)
                         for value in text.to_pylist()], pa.binary())
    for special, escaped in (("\\", "\\\\"), ('"', '\\"')):
        if pc.any(pc.match_substring(text, special)).as_py():
            text = pc.replace_substring(text, special, escaped)
    return pc.cast(pc.binary_join_element_wise('"', text, '"', ""), pa.binary())


def _scalars(dtype: ValueType, column: Column) -> Column:
    """JSON text of each value of a scalar feature (null where missing)."""
    match dtype:
        case ValueType.INT:
            return _text(pc.cast(column, pa.int64(), safe=False))
        case ValueType.FLOAT:
            return _floats(column)
        case ValueType.BOOL:
            return _text(pc.cast(column, pa.bool_()))
        case ValueType.TIMESTAMP:
            return _text(epoch_micros(column))
        case ValueType.DATE:
            return pc.binary_join_element_wise(b'"', _text(pc.cast(column, pa.date32())),
                                               b'"', b"")
        case _:
            return _strings(column)


def _lists(dtype: ValueType, column: Column) -> Column:
    """JSON arrays of a list feature: its elements encoded as scalars, joined."""
    lists = pc.cast(column, pa.list_(_ELEMENT_TYPES[dtype]))
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    elements = pc.fill_null(_scalars(_ELEMENT_KIND[dtype], lists.flatten()), _NULL)
    offsets = pc.subtract(lists.offsets, lists.offsets[0])
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, elements, mask=lists.is_null()),
                            b",")
    return pc.binary_join_element_wise(b"[", joined, b"]", b"")


def feature_json(feature: FeatureSpec, column: Column) -> Column:
    """The JSON text of one feature's values, ``null`` where missing."""
    if feature.dtype in _ELEMENT_TYPES:
        encoded = _lists(feature.dtype, column)
    else:
        encoded = _scalars(feature.dtype, column)
    return pc.fill_null(encoded, _NULL)


def payload(view: ViewSpec, rows: pa.Table) -> Column:
    """The JSON object of every row's features, in the view's order (binary)."""
    if not view.features:
        return pa.array([b"{}"] * rows.num_rows, pa.binary())
    parts: list[bytes | Column] = []
    for index, feature in enumerate(view.features):
        parts.append((b"{" if index == 0 else b",") + orjson.dumps(feature.name) + b":")
        parts.append(feature_json(feature, rows.column(feature.name)))
    parts.append(b"}")
    return pc.binary_join_element_wise(*parts, b"")


def stored_form(view: ViewSpec, rows: pa.Table) -> pa.Table:
    """Rows of ``view``'s feature table, one per entity, in the stored form.

    Args:
        view: The view the rows belong to.
        rows: The entity column, ``event_ts`` and every feature column, no entity or
            ``event_ts`` missing.

    Returns:
        A table of ``sync.codec.ENCODED_COLUMNS``.
    """
    event_ts = epoch_micros(rows.column(EVENT_TS))
    if view.ttl_seconds is None:
        expires_at: Column = pa.nulls(rows.num_rows, pa.int64())
    else:
        expires_at = pc.add(event_ts, view.ttl_seconds * _MICROS_PER_SECOND)
    key = pc.cast(rows.column(view.entity), pa.string())
    return pa.table([key, event_ts, expires_at, payload(view, rows)],
                    names=list(ENCODED_COLUMNS))
