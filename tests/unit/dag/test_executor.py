"""Executing a planned endpoint against a real SQLite store."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from groundwork.dag.errors import NodeFailed
from groundwork.dag.executor import NODE_FAILED_MESSAGE, execute
from groundwork.dag.graph import build_graph
from groundwork.dag.plan import plan
from groundwork.dag.spec import EndpointSpec, Input, Lookup
from groundwork.errors import TRACE_ID, StoreUnavailable
from groundwork.features.spec import FeatureSpec, ValueType, ViewSpec
from groundwork.sync.base import OnlineRow, ReadRequest, StoredRecord
from groundwork.sync.sqlite import SQLiteStore
from tests.unit.dag.views import USERS, VIEWS

PEOPLE = ViewSpec("people", "person_id", ValueType.INT,
                  (FeatureSpec("nickname_of_friend", ValueType.STRING),), ttl_seconds=60)
ALL_VIEWS = {**VIEWS, "people": PEOPLE}


class CountingStore(SQLiteStore):
    """The real SQLite store, counting round trips."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads: list[list[str]] = []
        self.broken = False

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        self.reads.append([request.view.name for request in requests])
        if self.broken:
            raise StoreUnavailable("store is down")
        return await super().read(requests)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountingStore]:
    now = dt.datetime.now(dt.UTC)
    opened = CountingStore(tmp_path / "online.db")
    for view in ALL_VIEWS.values():
        await opened.ensure(view)
    await opened.write(USERS, [
        OnlineRow(1, {"budget": 120.0, "friends": [10, 11, 12], "nickname": "ana"},
                  now - dt.timedelta(minutes=30), now + dt.timedelta(minutes=30)),
        OnlineRow(2, {"budget": 90.0, "friends": [], "nickname": "bo"},
                  now - dt.timedelta(hours=2), now - dt.timedelta(hours=1)),
    ], now)
    await opened.write(PEOPLE, [
        OnlineRow(10, {"nickname_of_friend": "ten"}, now, now + dt.timedelta(minutes=1)),
        OnlineRow(12, {"nickname_of_friend": "twelve"}, now - dt.timedelta(hours=1),
                  now - dt.timedelta(minutes=59)),
    ], now)
    yield opened
    await opened.close()


def greeting(nickname: str | None, friend_count: int) -> str:
    """Hello line."""
    return f"hello {nickname or 'stranger'} with {friend_count} friends"


def friend_count(friends: list[int] | None) -> int:
    """How many friends."""
    return len(friends or [])


def known_friends(nickname_of_friend: list[str | None]) -> list[str]:
    """Friends whose nickname is served."""
    return [name for name in nickname_of_friend if name is not None]


def boom(budget: float | None) -> float:
    """Always fails."""
    raise ValueError("no budget today")


def endpoint(*functions, outputs, optional=frozenset()) -> EndpointSpec:
    return EndpointSpec(
        "e", "d", (Input("user_id", int),),
        (Lookup("users", "user_id"), Lookup("people", "friends")),
        functions, outputs, optional=optional,
    )


def run(spec: EndpointSpec, store: CountingStore, **inputs):
    return execute(plan(build_graph(spec, ALL_VIEWS)), inputs, lambda view: store)


async def test_values_status_and_freshness(store: CountingStore) -> None:
    spec = endpoint(greeting, friend_count, known_friends,
                    outputs=("greeting", "known_friends", "budget"))
    result = await run(spec, store, user_id=1)
    assert result.outputs == {"greeting": "hello ana with 3 friends", "known_friends": ["ten"],
                              "budget": 120.0}
    statuses = {(item["view"], item["key"]): item["status"] for item in result.freshness}
    assert statuses == {("users", 1): "PRESENT", ("people", 10): "PRESENT",
                        ("people", 11): "MISSING", ("people", 12): "EXPIRED"}
    user = next(item for item in result.freshness if item["view"] == "users")
    assert 1800 <= user["age_seconds"] < 1800 + 10
    assert store.reads == [["users"], ["people"]]  # one batched read per round


async def test_expired_entity_serves_no_values(store: CountingStore) -> None:
    result = await run(endpoint(greeting, friend_count, outputs=("greeting", "budget")),
                       store, user_id=2)
    assert result.outputs == {"greeting": "hello stranger with 0 friends", "budget": None}
    assert result.freshness[0]["status"] == "EXPIRED"


async def test_lookups_of_one_round_share_one_read(store: CountingStore) -> None:
    spec = EndpointSpec("e", "d", (Input("user_id", int), Input("city", str)),
                        (Lookup("users", "user_id"), Lookup("cities", "city")),
                        (), ("budget", "population"))
    await run(spec, store, user_id=1, city="Lisbon")
    assert store.reads == [["users", "cities"]]


async def test_optional_failure_gives_partial_result(store: CountingStore) -> None:
    spec = endpoint(boom, friend_count, outputs=("boom", "friend_count"),
                    optional=frozenset({"boom"}))
    result = await run(spec, store, user_id=1)
    assert result.outputs == {"boom": None, "friend_count": 3}
    assert result.errors == {"boom": {"code": "node_failed", "message": NODE_FAILED_MESSAGE}}


async def test_required_failure_fails_the_call(store: CountingStore) -> None:
    with pytest.raises(NodeFailed) as error:
        await run(endpoint(boom, outputs=("boom",)), store, user_id=1)
    assert error.value.details == {"node": "boom"}


async def test_store_failure_fails_or_degrades(store: CountingStore) -> None:
    store.broken = True
    with pytest.raises(StoreUnavailable):
        await run(endpoint(friend_count, outputs=("friend_count",)), store, user_id=1)
    spec = endpoint(friend_count, outputs=("friend_count",), optional=frozenset({"users"}))
    result = await run(spec, store, user_id=1)
    assert result.outputs == {"friend_count": 0}
    assert result.errors == {"users": {"code": "store_unavailable",
                                       "message": StoreUnavailable.PUBLIC_MESSAGE}}


class HungStore(CountingStore):
    """A networked store whose reads never answer."""

    capabilities = replace(SQLiteStore.capabilities, embedded=False)
    read_timeout_seconds = 0.01

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_hung_store_fails_at_its_read_timeout_and_logs_under_the_trace_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hung = HungStore(tmp_path / "hung.db")
    spec = endpoint(friend_count, outputs=("friend_count",), optional=frozenset({"users"}))
    token = TRACE_ID.set("4bf92f3577b34da6a3ce929d0e0e4736")
    try:
        result = await run(spec, hung, user_id=1)
        with pytest.raises(StoreUnavailable) as failure:
            await run(endpoint(friend_count, outputs=("friend_count",)), hung, user_id=1)
    finally:
        TRACE_ID.reset(token)
        await hung.close()
    assert result.errors == {"users": {"code": "store_unavailable",
                                       "message": StoreUnavailable.PUBLIC_MESSAGE}}
    assert (failure.value.message, failure.value.details) == (StoreUnavailable.PUBLIC_MESSAGE, {})
    assert "timed out after 0.01 s" in failure.value.reason
    logged = [record.getMessage() for record in caplog.records if record.name.endswith("executor")]
    assert logged and all("4bf92f3577b34da6a3ce929d0e0e4736" in line and "HungStore" in line
                          for line in logged)


def friends_seen(people_as_of: list[dt.datetime | None],
                 nickname_of_friend: list[str | None]) -> list[str]:
    """Each friend's record: missing, expired or present."""
    return ["missing" if moment is None else "expired" if name is None else "present"
            for moment, name in zip(people_as_of, nickname_of_friend, strict=True)]


def today(now: dt.datetime) -> str:
    """The day the call is served."""
    return now.date().isoformat()


async def test_as_of_tells_missing_from_expired_and_summary_counts_statuses(
    store: CountingStore,
) -> None:
    spec = EndpointSpec(
        "e", "d", (Input("user_id", int),),
        (Lookup("users", "user_id", as_of="user_as_of"),
         Lookup("people", "friends", ("nickname_of_friend",), as_of="people_as_of",
                freshness="summary")),
        (friends_seen,), ("friends_seen", "user_as_of"))
    result = await run(spec, store, user_id=1)
    assert result.outputs["friends_seen"] == ["present", "missing", "expired"]
    assert isinstance(result.outputs["user_as_of"], dt.datetime)
    (summary,) = [entry for entry in result.freshness if entry["view"] == "people"]
    assert summary["key"] is None and summary["keys"] == 3
    assert summary["counts"] == {"PRESENT": 1, "MISSING": 1, "EXPIRED": 1}
    assert summary["status"] == "MISSING"
    assert summary["age_seconds"] >= 3600  # the oldest record: friend 12, an hour old


async def test_now_reads_the_executors_clock(store: CountingStore) -> None:
    spec = EndpointSpec("e", "d", (Input("user_id", int),), (Lookup("users", "user_id"),),
                        (today,), ("today", "budget"))
    moment = dt.datetime(2031, 5, 6, 7, tzinfo=dt.UTC)
    result = await execute(plan(build_graph(spec, ALL_VIEWS)), {"user_id": 1},
                           lambda view: store, clock=lambda: moment)
    assert result.outputs["today"] == "2031-05-06"
    # judged at the injected moment, user 1's record (valid for an hour) has long expired
    assert result.outputs["budget"] is None
    assert result.freshness[0]["status"] == "EXPIRED"


async def test_a_shortened_ttl_expires_records_the_store_still_calls_fresh(
    store: CountingStore,
) -> None:
    # user 1 was synced 30 minutes ago with an hour to live; the view now keeps 10 minutes
    shortened = {**ALL_VIEWS, "users": replace(USERS, ttl_seconds=600)}
    spec = EndpointSpec("e", "d", (Input("user_id", int),), (Lookup("users", "user_id"),),
                        (), ("budget",))
    result = await execute(plan(build_graph(spec, shortened)), {"user_id": 1},
                           lambda view: store)
    assert result.outputs["budget"] is None
    assert result.freshness[0]["status"] == "EXPIRED"
    assert (await run(spec, store, user_id=1)).outputs["budget"] == 120.0
