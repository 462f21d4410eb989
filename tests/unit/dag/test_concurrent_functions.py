"""Independent async functions of one round run concurrently, with timeouts and partial results.

Each test's functions wait for events that only another function of the same
round sets, so a round run in order could never finish: the outcome proves the
overlap without measuring time. The ``asyncio.timeout`` around each call is only
the failure path (it turns a hang into a failed test).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from groundwork.dag.errors import NodeFailed
from groundwork.dag.executor import NODE_FAILED_MESSAGE, Execution, execute
from groundwork.dag.graph import build_graph
from groundwork.dag.plan import plan
from groundwork.dag.spec import EndpointSpec, Input
from groundwork.sync.base import OnlineStore

FAILURE_PATH_SECONDS = 30.0
"""Generous bound on a call that should finish at once; reached only when it hangs."""


def no_store(view: Any) -> OnlineStore:
    raise AssertionError(f"these endpoints read no view, yet {view} was asked for")


async def call(*functions: Any, outputs: tuple[str, ...], optional: frozenset[str] = frozenset(),
               timeouts: dict[str, float] | None = None) -> Execution:
    spec = EndpointSpec("e", "d", (Input("user_id", int),), (), functions, outputs,
                        optional=optional, timeouts=timeouts or {})
    async with asyncio.timeout(FAILURE_PATH_SECONDS):
        return await execute(plan(build_graph(spec, {})), {"user_id": 1}, no_store)


async def test_two_functions_that_wait_for_each_other_both_finish() -> None:
    left_started, right_started = asyncio.Event(), asyncio.Event()

    async def left(user_id: int) -> str:
        left_started.set()
        await right_started.wait()  # in order, right would never start
        return f"left {user_id}"

    async def right(user_id: int) -> str:
        right_started.set()
        await left_started.wait()
        return f"right {user_id}"

    def both(left: str, right: str) -> str:
        return f"{left} and {right}"

    result = await call(left, right, both, outputs=("both",))
    assert result.outputs == {"both": "left 1 and right 1"}
    assert result.errors == {}


async def test_a_function_starts_once_its_upstream_function_of_the_round_is_done() -> None:
    released = asyncio.Event()
    order: list[str] = []

    async def gate(user_id: int) -> int:
        await released.wait()
        order.append("gate")
        return user_id + 1

    async def releaser(user_id: int) -> int:
        released.set()
        return user_id

    async def after_gate(gate: int) -> int:
        order.append("after_gate")
        return gate * 10

    result = await call(gate, releaser, after_gate, outputs=("after_gate", "releaser"))
    assert result.outputs == {"after_gate": 20, "releaser": 1}
    assert order == ["gate", "after_gate"]


async def test_a_timed_out_optional_function_gives_a_partial_result() -> None:
    never = asyncio.Event()
    quick_started = asyncio.Event()

    async def stuck(user_id: int) -> str:
        await quick_started.wait()  # overlaps with quick, then never finishes
        await never.wait()
        return "never"

    async def quick(user_id: int) -> str:
        quick_started.set()
        return "quick"

    result = await call(stuck, quick, outputs=("stuck", "quick"),
                        optional=frozenset({"stuck"}), timeouts={"stuck": 0.01})
    assert result.outputs == {"stuck": None, "quick": "quick"}
    assert result.errors == {"stuck": {"code": "node_failed", "message": NODE_FAILED_MESSAGE}}


async def test_a_failing_required_function_cancels_its_siblings_and_fails_the_call() -> None:
    waiting_started = asyncio.Event()
    cancelled: list[str] = []

    async def waiting(user_id: int) -> str:
        waiting_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("waiting")
            raise
        return "never"

    async def failing(user_id: int) -> str:
        await waiting_started.wait()
        raise ValueError("no answer today")

    with pytest.raises(NodeFailed) as error:
        await call(waiting, failing, outputs=("waiting", "failing"))
    assert error.value.details == {"node": "failing"}
    assert isinstance(error.value.__cause__, ValueError)
    assert cancelled == ["waiting"]
