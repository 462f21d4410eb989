"""Execute a planned endpoint for one request.

Values live in one dict keyed by node name. Each round runs its functions,
then sends its lookups as one ``read`` per store (stores are read
concurrently). A failing optional node records a per-node error and the call
returns a partial result; a failing required node fails the call. The features
of a failed optional lookup read as missing (``None``), which their typed
consumers already handle; the dependents of a failed function fail too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dag.errors import NodeFailed
from dag.graph import Node
from dag.plan import Plan
from features.spec import ViewSpec
from groundwork.errors import GroundworkError, StoreUnavailable
from sync.base import OnlineStore, ReadRequest, RecordStatus
from sync.lookup import LookupResult, lookup_many

logger = logging.getLogger(__name__)

StoreResolver = Callable[[ViewSpec], OnlineStore]
DEFAULT_LOOKUP_TIMEOUT = 5.0


@dataclass(slots=True)
class Execution:
    """Result of one endpoint call.

    Attributes:
        outputs: Output node name to value (``None`` for a failed optional output).
        freshness: One entry per entity read: view, key, status, event_ts, age_seconds.
        errors: Failed optional node name to ``{"code", "message"}``.
    """

    outputs: dict[str, Any]
    freshness: list[dict[str, Any]]
    errors: dict[str, dict[str, str]]


class _Run:
    def __init__(self, plan: Plan, inputs: Mapping[str, Any], store_for: StoreResolver) -> None:
        self.plan = plan
        self.values: dict[str, Any] = dict(inputs)
        self.store_for = store_for
        self.freshness: list[dict[str, Any]] = []
        self.errors: dict[str, dict[str, str]] = {}
        self.now = dt.datetime.now(dt.UTC)

    def fail(self, node: Node, error: Exception) -> None:
        if not node.optional:
            if isinstance(error, GroundworkError):
                raise error
            logger.exception("node %s failed", node.name, exc_info=error)
            raise NodeFailed(f"node {node.name!r} failed", node=node.name) from error
        code = error.code if isinstance(error, GroundworkError) else "node_failed"
        message = error.message if isinstance(error, GroundworkError) else type(error).__name__
        self.errors[node.name] = {"code": code, "message": message}
        self.values[node.name] = None

    async def run_function(self, node: Node) -> None:
        failed = [name for name in node.dependencies if name in self.errors]
        if failed:
            self.fail(node, NodeFailed(f"upstream node {failed[0]!r} failed", node=node.name))
            return
        assert node.function is not None
        arguments = {name: self.values[name] for name in node.dependencies}
        try:
            result = node.function(**arguments)
            if inspect.isawaitable(result):
                async with asyncio.timeout(node.timeout):
                    result = await result
        except Exception as error:  # noqa: BLE001 - every node failure is reported per node
            self.fail(node, error)
        else:
            self.values[node.name] = result

    def request_for(self, node: Node) -> ReadRequest:
        assert node.view is not None
        key = self.values.get(node.dependencies[0])
        keys: Sequence[Any] = (key or []) if node.multi else ([] if key is None else [key])
        return ReadRequest(view=node.view, keys=keys, features=self.plan.features_of[node.name])

    async def run_lookups(self, nodes: Sequence[Node]) -> None:
        by_store: dict[int, list[Node]] = defaultdict(list)
        stores: dict[int, OnlineStore] = {}
        for node in nodes:
            assert node.view is not None
            store = self.store_for(node.view)
            by_store[id(store)].append(node)
            stores[id(store)] = store
        if len(by_store) == 1:  # one store: read it in this task, no task to schedule
            ((key, group),) = by_store.items()
            await self.read_store(stores[key], group)
            return
        await asyncio.gather(
            *(self.read_store(stores[key], group) for key, group in by_store.items())
        )

    async def read_store(self, store: OnlineStore, nodes: list[Node]) -> None:
        requests = [self.request_for(node) for node in nodes]
        try:
            results = await self.lookup(store, requests, nodes)
        except (StoreUnavailable, TimeoutError) as error:
            unavailable = (error if isinstance(error, StoreUnavailable)
                           else StoreUnavailable("online store timed out"))
            for node, request in zip(nodes, requests, strict=True):
                self.fail(node, unavailable)
                self.assign(node, request, None)
            return
        for node, request, batch in zip(nodes, requests, results, strict=True):
            self.assign(node, request, batch)

    async def lookup(self, store: OnlineStore, requests: list[ReadRequest],
                     nodes: list[Node]) -> list[list[LookupResult]]:
        if store.capabilities.embedded:
            # An embedded store reads inline without ever yielding to the event
            # loop, so no timer could cut it short: skip arming one (~4 us).
            return await lookup_many(store, requests, self.now)
        async with asyncio.timeout(max(node.timeout or DEFAULT_LOOKUP_TIMEOUT for node in nodes)):
            return await lookup_many(store, requests, self.now)

    def assign(self, node: Node, request: ReadRequest, batch: list[LookupResult] | None) -> None:
        assert node.view is not None
        view_name = node.view.name
        rows: list[dict[str, Any] | None] = []
        for result in batch or ():
            self.freshness.append({
                "view": view_name, "key": result.key, "status": result.status.value,
                "event_ts": result.event_ts, "age_seconds": result.age_seconds,
            })
            rows.append(result.values if result.status is RecordStatus.PRESENT else None)
        values = self.values
        if not node.multi:
            row = rows[0] if rows else None
            for feature in request.features:
                values[feature] = None if row is None else row[feature]
            return
        for feature in request.features:
            values[feature] = (None if batch is None
                               else [None if row is None else row[feature] for row in rows])


async def execute(plan: Plan, inputs: Mapping[str, Any], store_for: StoreResolver) -> Execution:
    """Run one request through ``plan``.

    Args:
        plan: The endpoint's plan.
        inputs: Validated request inputs by name.
        store_for: Returns the primary online store of a view.

    Raises:
        StoreUnavailable: a required lookup's store failed or timed out.
        NodeFailed: a required function raised.
    """
    run = _Run(plan, inputs, store_for)
    for step in plan.rounds:
        for node in step.functions:
            await run.run_function(node)
        if step.lookups:
            await run.run_lookups(step.lookups)
    outputs = {name: run.values.get(name) for name in plan.graph.spec.outputs}
    return Execution(outputs=outputs, freshness=run.freshness, errors=run.errors)
