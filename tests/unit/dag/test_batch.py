"""Running many requests of one endpoint together, against a real SQLite store."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from groundwork.dag.batch import run_many
from groundwork.dag.executor import Execution, Executor, execute
from groundwork.dag.graph import build_graph
from groundwork.dag.plan import plan
from groundwork.dag.spec import EndpointSpec, Input, Lookup
from groundwork.errors import NotFound, StoreUnavailable
from groundwork.sync.base import OnlineRow, ReadRequest, StoredRecord
from tests.unit.dag.test_executor import ALL_VIEWS, PEOPLE, CountingStore, friend_count
from tests.unit.dag.views import USERS

FAILURE_PATH_SECONDS = 30.0
"""Generous bound on a batch that should finish at once; reached only when it hangs."""


class KeyCountingStore(CountingStore):
    """The real SQLite store, recording the keys of every request it is sent."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.keys: list[list[list[Any]]] = []

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        self.keys.append([list(request.keys) for request in requests])
        return await super().read(requests)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[KeyCountingStore]:
    now = dt.datetime.now(dt.UTC)
    opened = KeyCountingStore(tmp_path / "online.db")
    for view in ALL_VIEWS.values():
        await opened.ensure(view)
    hour = dt.timedelta(hours=1)
    await opened.write(USERS, [
        OnlineRow(1, {"budget": 120.0, "friends": [10, 11], "nickname": "ana"}, now, now + hour),
        OnlineRow(2, {"budget": 90.0, "friends": [11, 12], "nickname": "bo"}, now, now + hour),
        OnlineRow(3, {"budget": 60.0, "friends": [], "nickname": "cy"}, now, now + hour),
        OnlineRow(4, {"budget": None, "friends": [12], "nickname": "di"}, now, now + hour),
    ], now)
    await opened.write(PEOPLE, [
        OnlineRow(key, {"nickname_of_friend": f"friend {key}"}, now, now + hour)
        for key in (10, 11, 12)
    ], now)
    yield opened
    await opened.close()


def friend_names(nickname_of_friend: list[str | None]) -> list[str | None]:
    """The friends' nicknames as served."""
    return nickname_of_friend


def vetted_budget(budget: float | None, user_id: int) -> float:
    """The budget; a user without one is refused the way a domain function refuses."""
    if budget is None:
        raise NotFound(f"no budget for user {user_id}", user_id=user_id)
    return budget


SPEC = EndpointSpec(
    "e", "d", (Input("user_id", int),),
    (Lookup("users", "user_id"), Lookup("people", "friends")),
    (friend_count, friend_names, vetted_budget),
    ("friend_count", "friend_names", "vetted_budget", "nickname"),
)


def executor(store: KeyCountingStore, spec: EndpointSpec = SPEC) -> Executor:
    return Executor(plan(build_graph(spec, ALL_VIEWS)), lambda view: store)


async def test_one_read_per_round_for_every_item_each_key_once(store: KeyCountingStore) -> None:
    items = [{"user_id": 1}, {"user_id": 2}, {"user_id": 1}, {"user_id": 3}]
    results = await run_many(executor(store), items)
    assert store.reads == [["users"], ["people"]]  # two rounds, two reads for four items
    assert store.keys == [[[1, 2, 3]], [[10, 11, 12]]]
    assert [result.outputs["friend_names"] for result in results
            if isinstance(result, Execution)] == [
        ["friend 10", "friend 11"], ["friend 11", "friend 12"], ["friend 10", "friend 11"], []]


async def test_every_item_answers_what_its_own_call_answers(store: KeyCountingStore) -> None:
    items = [{"user_id": 2}, {"user_id": 1}, {"user_id": 2}, {"user_id": 3}]
    moment = dt.datetime.now(dt.UTC)
    bound = Executor(plan(build_graph(SPEC, ALL_VIEWS)), lambda view: store, lambda: moment)
    together = await run_many(bound, items)
    alone = [await bound(item) for item in items]
    assert together == alone  # outputs, freshness (ages at the same moment) and errors


async def test_a_failing_item_gets_its_error_and_leaves_the_next_rounds(
    store: KeyCountingStore,
) -> None:
    results = await run_many(executor(store), [{"user_id": 1}, {"user_id": 4}])
    served, refused = results
    assert isinstance(served, Execution) and served.outputs["vetted_budget"] == 120.0
    assert isinstance(refused, NotFound) and refused.details == {"user_id": 4}
    assert store.keys == [[[1, 4]], [[10, 11]]]  # user 4's friend 12 is never read


async def test_a_failed_store_fails_each_item_or_degrades_it(store: KeyCountingStore) -> None:
    store.broken = True
    results = await run_many(executor(store), [{"user_id": 1}, {"user_id": 2}])
    assert [type(result) for result in results] == [StoreUnavailable, StoreUnavailable]
    assert store.reads == [["users"]]  # no item reached the second round
    optional = EndpointSpec("e", "d", (Input("user_id", int),), (Lookup("users", "user_id"),),
                            (friend_count,), ("friend_count",), optional=frozenset({"users"}))
    degraded = await run_many(executor(store, optional), [{"user_id": 1}, {"user_id": 2}])
    for result in degraded:
        assert isinstance(result, Execution) and result.outputs == {"friend_count": 0}
        assert result.errors == {"users": {"code": "store_unavailable",
                                           "message": StoreUnavailable.PUBLIC_MESSAGE}}


async def test_async_functions_of_different_items_run_concurrently(
    store: KeyCountingStore,
) -> None:
    started = {1: asyncio.Event(), 2: asyncio.Event()}

    async def waiting(user_id: int) -> int:
        """Waits until the other item's call has started: items run in turn never finish."""
        started[user_id].set()
        await started[3 - user_id].wait()
        return user_id

    spec = EndpointSpec("e", "d", (Input("user_id", int),), (), (waiting,), ("waiting",))
    async with asyncio.timeout(FAILURE_PATH_SECONDS):
        results = await run_many(executor(store, spec), [{"user_id": 1}, {"user_id": 2}])
    assert [result.outputs for result in results if isinstance(result, Execution)] == [
        {"waiting": 1}, {"waiting": 2}]


async def test_a_batch_of_one_equals_the_single_call(store: KeyCountingStore) -> None:
    moment = dt.datetime.now(dt.UTC)
    (together,) = await run_many(
        Executor(plan(build_graph(SPEC, ALL_VIEWS)), lambda view: store, lambda: moment),
        [{"user_id": 2}])
    alone = await execute(plan(build_graph(SPEC, ALL_VIEWS)), {"user_id": 2},
                          lambda view: store, lambda: moment)
    assert together == alone
    assert await run_many(executor(store), []) == []

