"""Records decoded once per stored value: what is handed out is right, and the caller's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import orjson
import pytest

from groundwork.errors import DefinitionError
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.base import ReadRequest, StoredRecord
from groundwork.sync.codec import encode_values, to_micros
from groundwork.sync.decoded import DecodedRecords
from groundwork.sync.redis import _record

VIEW = ViewSpec("hotels", "hotel_id", ValueType.INT, (
    FeatureSpec("price", ValueType.FLOAT), FeatureSpec("tags", ValueType.STRING_LIST),
    FeatureSpec("opened", ValueType.TIMESTAMP)), ttl_seconds=3600)
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def stored(price: float, tags: list[str], event_ts: dt.datetime = NOW) -> bytes:
    """A value as the Redis store keeps it."""
    payload = orjson.dumps(encode_values(VIEW, {"price": price, "tags": tags, "opened": NOW}))
    return b"%d %d %d %b" % (to_micros(event_ts), to_micros(NOW),
                             to_micros(NOW + dt.timedelta(hours=1)), payload)


class Counted:
    """The Redis store's own decoding, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, view: ViewSpec, value: bytes, features: Sequence[str]) -> StoredRecord:
        self.calls += 1
        return _record(view, value, features)


def test_a_value_read_again_is_decoded_once_and_read_the_same() -> None:
    decode = Counted()
    records = DecodedRecords(decode, bound=10)
    value = stored(96.5, ["spa"])
    request = ReadRequest(VIEW, [1, 2, 3], ("price", "opened"))
    first = records.records(request, [value, None, value])
    again = records.records(request, [value])
    assert decode.calls == 1
    assert first[1] is None
    assert first[0] == first[2] == again[0] == StoredRecord(
        {"price": 96.5, "opened": NOW}, NOW, NOW, NOW + dt.timedelta(hours=1))


def test_a_rewritten_record_is_decoded_anew() -> None:
    records = DecodedRecords(Counted(), bound=10)
    request = ReadRequest(VIEW, [1], ("price",))
    records.records(request, [stored(96.5, [])])
    later = NOW + dt.timedelta(minutes=5)
    (record,) = records.records(request, [stored(120.0, [], later)])
    assert record is not None
    assert record.values == {"price": 120.0} and record.event_ts == later


def test_what_is_handed_out_cannot_change_the_next_read() -> None:
    records = DecodedRecords(Counted(), bound=10)
    request = ReadRequest(VIEW, [1], ("tags", "price"))
    value = stored(96.5, ["spa", "pool"])
    (first,) = records.records(request, [value])
    assert first is not None
    first.values["tags"].append("casino")
    first.values["price"] = 0.0
    (second,) = records.records(request, [value])
    assert second is not None and second.values == {"tags": ["spa", "pool"], "price": 96.5}


def test_at_most_bound_records_are_kept_per_view() -> None:
    decode = Counted()
    records = DecodedRecords(decode, bound=2)
    request = ReadRequest(VIEW, [1], ("price",))
    values = [stored(float(price), []) for price in range(3)]
    for value in values:
        records.records(request, [value])
    records.records(request, [values[2], values[1]])  # the newest two: kept
    assert decode.calls == 3
    records.records(request, [values[0]])  # the oldest was dropped
    assert decode.calls == 4


def test_without_a_bound_every_read_decodes() -> None:
    decode = Counted()
    records = DecodedRecords(decode, bound=0)
    request = ReadRequest(VIEW, [1], ("price",))
    value = stored(96.5, [])
    records.records(request, [value])
    records.records(request, [value])
    assert decode.calls == 2


@pytest.mark.parametrize("bound", [0, 10])
def test_a_feature_the_view_lacks_is_refused(bound: int) -> None:
    records = DecodedRecords(Counted(), bound=bound)
    with pytest.raises(DefinitionError, match="no feature 'stars'"):
        records.records(ReadRequest(VIEW, [1], ("price", "stars")), [stored(96.5, [])])
