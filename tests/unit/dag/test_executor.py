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
