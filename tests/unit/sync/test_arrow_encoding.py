"""The stored form built by Arrow kernels: the same JSON as the Python reference, typed back."""

from __future__ import annotations

import datetime as dt

import orjson
import pyarrow as pa
import pytest

from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.arrow_encoding import stored_form
from groundwork.sync.codec import decoded_rows, encoded_batch
from groundwork.sync.writer import to_rows

T0 = dt.datetime(2026, 11, 1, 3, 4, 5, 678_901, tzinfo=dt.UTC)
FEATURES = (
    FeatureSpec("score", ValueType.FLOAT), FeatureSpec("visits", ValueType.INT),
    FeatureSpec("name", ValueType.STRING), FeatureSpec("active", ValueType.BOOL),
    FeatureSpec("seen", ValueType.TIMESTAMP), FeatureSpec("born", ValueType.DATE),
    FeatureSpec("items", ValueType.INT_LIST), FeatureSpec("weights", ValueType.FLOAT_LIST),
    FeatureSpec("tags", ValueType.STRING_LIST),
)


def view(ttl_seconds: int | None = 3_600) -> ViewSpec:
    return ViewSpec("users", "user_id", ValueType.INT, FEATURES, ttl_seconds=ttl_seconds,
                    source_path="unused")


def table(names: list[str | None]) -> pa.Table:
    rows = len(names)
    return pa.table({
        "user_id": pa.array(range(1, rows + 1), pa.int64()),
        "event_ts": pa.array([T0 + dt.timedelta(seconds=index) for index in range(rows)],
                             pa.timestamp("us", "UTC")),
        "score": pa.array([1.0, 0.1, 1e20, None, -0.0, 1 / 3][:rows], pa.float64()),
        "visits": pa.array([1, None, -5, 2**62, 0, 7][:rows], pa.int64()),
        "name": pa.array(names, pa.string()),
        "active": pa.array([True, False, None, True, False, True][:rows]),
        "seen": pa.array([T0, None, T0, T0, T0, T0][:rows], pa.timestamp("us", "UTC")),
        "born": pa.array([dt.date(1990, 5, 17), None, dt.date(1969, 12, 31),
                          dt.date(2000, 1, 1), dt.date(2000, 1, 1), dt.date(2000, 1, 1)][:rows]),
        "items": pa.array([[1, 2], [], None, [3], [4, 5, 6], []][:rows],
                          pa.list_(pa.int64())),
        "weights": pa.array([[1.0, 2.5], [0.5], None, [], [3.0], [1e-7]][:rows],
                            pa.list_(pa.float64())),
        "tags": pa.array([["a", "b"], [], None, ["q\"uote"], ["é"], ["x"]][:rows],
                         pa.list_(pa.string())),
    })


NAMES: list[str | None] = ['plain', 'quote " and back\\slash', None, "é 😀 ünïcode",
                           "", "tab\there"]


@pytest.mark.parametrize("names", [NAMES[:5], NAMES], ids=["escaped", "control characters"])
def test_payload_is_the_reference_json(names: list[str | None]) -> None:
    rows = table(names)
    reference = encoded_batch(view(), list(to_rows(view(), rows.to_pylist())))
    encoded = stored_form(view(), rows)
    assert encoded.column("payload").to_pylist() == reference.column("payload").to_pylist()
    for column in ("key", "event_ts", "expires_at"):
        assert encoded.column(column).to_pylist() == reference.column(column).to_pylist()


def test_values_decode_to_their_declared_types() -> None:
    rows = table(NAMES)
    (first, second, *_) = decoded_rows(view(), stored_form(view(), rows).to_batches()[0])
    assert first.values == {"score": 1.0, "visits": 1, "name": "plain", "active": True,
                            "seen": T0, "born": dt.date(1990, 5, 17), "items": [1, 2],
                            "weights": [1.0, 2.5], "tags": ["a", "b"]}
    assert isinstance(first.values["score"], float)
    assert all(isinstance(weight, float) for weight in first.values["weights"])
    assert first.expires_at == T0 + dt.timedelta(hours=1)
    assert second.values["visits"] is None and second.values["seen"] is None


def test_non_finite_floats_and_null_list_items_are_null() -> None:
    rows = table(NAMES[:2]).set_column(2, "score", pa.array([float("nan"), float("-inf")]))
    rows = rows.set_column(9, "weights", pa.array([[float("inf"), 1.0], None]))
    rows = rows.set_column(10, "tags", pa.array([["a", None], None]))
    payloads = [orjson.loads(value) for value in
                stored_form(view(), rows).column("payload").to_pylist()]
    assert [payload["score"] for payload in payloads] == [None, None]
    assert [payload["weights"] for payload in payloads] == [[None, 1.0], None]
    assert [payload["tags"] for payload in payloads] == [["a", None], None]


def test_naive_timestamps_are_utc_and_no_ttl_leaves_expiry_empty() -> None:
    rows = table(NAMES[:2])
    naive = rows.set_column(1, "event_ts", rows.column("event_ts").cast(pa.timestamp("us")))
    encoded = stored_form(view(ttl_seconds=None), naive)
    assert encoded.column("event_ts").to_pylist() == \
        stored_form(view(), rows).column("event_ts").to_pylist()
    assert encoded.column("expires_at").to_pylist() == [None, None]
