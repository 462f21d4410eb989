"""The "Online row" contract of ARCHITECTURE.md, run against every store."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from typing import Any

from groundwork.sync.base import OnlineRow, ReadRequest, RecordStatus
from groundwork.sync.codec import encoded_batch
from groundwork.sync.lookup import lookup_many
from tests.contract.conftest import ALL_TYPES_VIEW, Contract

NOW = dt.datetime.now(dt.UTC).replace(microsecond=123456)
FEATURES = ALL_TYPES_VIEW.feature_names


def values(number: int) -> dict[str, Any]:
    return {
        "an_int": number,
        "a_float": number + 0.25,
        "a_bool": number % 2 == 0,
        "a_string": f"value {number} ✓",
        "a_timestamp": NOW - dt.timedelta(days=number),
        "a_date": dt.date(2026, 1, 1) + dt.timedelta(days=number),
        "int_list": [number, -number, 2**40],
        "float_list": [0.5, float(number)],
        "string_list": ["a", "b,c", ""],
    }


def row(
    key: str,
    number: int,
    age: dt.timedelta = dt.timedelta(0),
    ttl: dt.timedelta | None = dt.timedelta(hours=1),
) -> OnlineRow:
    event_ts = NOW - age
    return OnlineRow(
        key=key,
        values=values(number),
        event_ts=event_ts,
        expires_at=None if ttl is None else event_ts + ttl,
    )


async def read(contract: Contract, keys: list[str]) -> list[Any]:
    requests = [ReadRequest(contract.view, keys, FEATURES)]
    (results,) = await lookup_many(contract.store, requests, NOW)
    return results


async def test_every_type_round_trips(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("k1", 3)], NOW)
    (result,) = await read(contract, ["k1"])
    assert result.status is RecordStatus.PRESENT
    assert result.values == values(3)
    assert type(result.values["an_int"]) is int
    assert type(result.values["a_float"]) is float
    assert result.values["a_timestamp"].tzinfo is not None
    assert result.event_ts == NOW


async def test_nulls_round_trip(contract: Contract) -> None:
    empty = OnlineRow("k-null", dict.fromkeys(FEATURES), NOW, None)
    await contract.store.write(contract.view, [empty], NOW)
    (result,) = await read(contract, ["k-null"])
    assert result.status is RecordStatus.PRESENT
    assert result.values == dict.fromkeys(FEATURES)


async def test_older_row_never_overwrites_newer(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("k", 1)], NOW)
    outcome = await contract.store.write(
        contract.view, [row("k", 2, age=dt.timedelta(minutes=5))], NOW
    )
    assert (outcome.written, outcome.skipped) == (0, 1)
    (result,) = await read(contract, ["k"])
    assert result.values["an_int"] == 1


async def test_newer_row_replaces_older(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("k", 1, age=dt.timedelta(minutes=5))], NOW)
    outcome = await contract.store.write(contract.view, [row("k", 2)], NOW)
    assert outcome.written == 1
    (result,) = await read(contract, ["k"])
    assert result.values["an_int"] == 2


async def test_same_batch_twice_changes_nothing(contract: Contract) -> None:
    batch = [row(f"k{number}", number) for number in range(50)]
    first = await contract.store.write(contract.view, batch, NOW)
    second = await contract.store.write(contract.view, batch, NOW + dt.timedelta(seconds=1))
    assert (first.written, second.written, second.skipped) == (50, 0, 50)
    (result,) = await read(contract, ["k7"])
    assert result.values == values(7)


async def test_expired_rows_read_as_expired(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("old", 1, age=dt.timedelta(hours=2))], NOW)
    (result,) = await read(contract, ["old"])
    assert result.status is RecordStatus.EXPIRED
    assert result.values is None
    assert result.age_seconds == 7200


async def test_rows_without_ttl_never_expire(contract: Contract) -> None:
    await contract.store.write(
        contract.view, [row("forever", 1, age=dt.timedelta(days=900), ttl=None)], NOW
    )
    timeless = replace(contract.view, ttl_seconds=None)
    ((result,),) = await lookup_many(contract.store, [ReadRequest(timeless, ["forever"],
                                                                  FEATURES)], NOW)
    assert result.status is RecordStatus.PRESENT


async def test_the_views_current_ttl_decides_over_the_stored_expiry(contract: Contract) -> None:
    # written when the view kept values forever (or for a week); it now keeps them an hour
    await contract.store.write(contract.view, [
        row("forever", 1, age=dt.timedelta(hours=2), ttl=None),
        row("week", 2, age=dt.timedelta(hours=2), ttl=dt.timedelta(days=7)),
        row("fresh", 3, age=dt.timedelta(minutes=30), ttl=dt.timedelta(days=7)),
    ], NOW)
    results = await read(contract, ["forever", "week", "fresh"])
    assert [result.status for result in results] == [
        RecordStatus.EXPIRED, RecordStatus.EXPIRED, RecordStatus.PRESENT]
    assert results[0].values is None and results[0].age_seconds == 7200


async def test_missing_keys_read_as_missing_in_key_order(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("b", 2)], NOW)
    results = await read(contract, ["a", "b", "c"])
    assert [r.status for r in results] == [
        RecordStatus.MISSING,
        RecordStatus.PRESENT,
        RecordStatus.MISSING,
    ]
    assert results[1].key == "b"


async def test_batches_larger_than_the_store_limits(contract: Contract) -> None:
    limits = contract.store.capabilities
    count = max(limits.max_write_batch, limits.max_read_batch) + 7
    outcome = await contract.store.write(
        contract.view, [row(f"key-{number}", number) for number in range(count)], NOW
    )
    assert (outcome.written, outcome.skipped) == (count, 0)
    results = await read(contract, [f"key-{number}" for number in range(count)])
    assert [r.values["an_int"] for r in results] == list(range(count))


async def test_keys_with_unusual_characters(contract: Contract) -> None:
    keys = [
        "a:b",
        "x'; DROP TABLE fv_all_types; --",
        "ünï cødé",
        "with space",
        "%_*",
        "/",
        "a/b?c#d",
        "{braces}",
        "tab\tand\nnewline",
        "ключ",
        "🙂",
    ]
    await contract.store.write(
        contract.view, [row(key, number) for number, key in enumerate(keys)], NOW
    )
    results = await read(contract, keys)
    assert [r.values["an_int"] for r in results] == list(range(len(keys)))


async def test_concurrent_writers_end_with_newest(contract: Contract) -> None:
    rows = [row("hot", number, age=dt.timedelta(seconds=100 - number)) for number in range(100)]
    await asyncio.gather(
        *(contract.store.write(contract.view, [item], NOW) for item in reversed(rows))
    )
    (result,) = await read(contract, ["hot"])
    assert result.values["an_int"] == 99


async def test_delete_removes_records(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("gone", 1), row("kept", 2)], NOW)
    assert await contract.store.delete(contract.view, ["gone", "never"]) == 1
    results = await read(contract, ["gone", "kept"])
    assert [r.status for r in results] == [RecordStatus.MISSING, RecordStatus.PRESENT]


async def test_rows_in_the_stored_form_read_as_rows_do(contract: Contract) -> None:
    rows = [row("k1", 3), row("k-null", 0)._replace(values=dict.fromkeys(FEATURES)),
            row("k-forever", 4, ttl=None), row("k/é ✓:*", 5)]
    outcome = await contract.store.write_encoded(contract.view,
                                                 encoded_batch(contract.view, rows), NOW)
    assert (outcome.written, outcome.skipped) == (4, 0)
    results = await read(contract, ["k1", "k-null", "k-forever", "k/é ✓:*"])
    assert [result.status for result in results] == [RecordStatus.PRESENT] * 4
    assert [result.values for result in results] == [
        values(3), dict.fromkeys(FEATURES), values(4), values(5)]
    assert type(results[0].values["a_float"]) is float
    assert [result.event_ts for result in results] == [NOW] * 4
    (stored,) = await contract.store.read([ReadRequest(contract.view, ["k1", "k-forever"],
                                                       FEATURES)])
    assert [record.expires_at for record in stored if record is not None] == [
        NOW + dt.timedelta(hours=1), None]


async def test_rows_in_the_stored_form_never_overwrite_newer(contract: Contract) -> None:
    await contract.store.write(contract.view, [row("k", 1)], NOW)
    older, newer = row("k", 2, age=dt.timedelta(minutes=5)), row("n", 3)
    outcome = await contract.store.write_encoded(
        contract.view, encoded_batch(contract.view, [older, newer]), NOW)
    assert (outcome.written, outcome.skipped) == (1, 1)
    first, second = await read(contract, ["k", "n"])
    assert (first.values["an_int"], second.values["an_int"]) == (1, 3)
    again = await contract.store.write_encoded(
        contract.view, encoded_batch(contract.view, [older, newer]), NOW)
    assert (again.written, again.skipped) == (0, 2)


async def test_expired_rows_in_the_stored_form_read_as_expired(contract: Contract) -> None:
    stale = row("old", 1, age=dt.timedelta(hours=2))
    await contract.store.write_encoded(contract.view, encoded_batch(contract.view, [stale]), NOW)
    (result,) = await read(contract, ["old"])
    assert result.status is RecordStatus.EXPIRED


async def test_many_rows_in_the_stored_form(contract: Contract) -> None:
    count = 6_000 if contract.kind in ("sqlite", "redis") else 300
    rows = [row(f"k{number}", number % 50) for number in range(count)]
    outcome = await contract.store.write_encoded(contract.view,
                                                 encoded_batch(contract.view, rows), NOW)
    assert outcome.written == count
    results = await read(contract, [f"k{number}" for number in (0, 199, 200, count - 1)])
    assert [result.values["an_int"] for result in results] == [0, 199 % 50, 200 % 50,
                                                                (count - 1) % 50]
