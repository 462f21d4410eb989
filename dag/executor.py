"""Execute a planned endpoint for one request.

Values live in one dict keyed by node name. Each round runs its functions,
then sends its lookups as one ``read`` per store (stores are read
concurrently). A round with two or more async functions runs each function as
a task that starts once the functions it reads from have finished, so
independent ones overlap; other rounds call their functions in order, without
scheduling a task. :class:`Executor` binds a plan to its stores once, at
start-up. A failing optional node records a per-node error and the call
returns a partial result; a failing required node fails the call. The features
of a failed optional lookup read as missing (``None``), which their typed
consumers already handle; the dependents of a failed function fail too.

Errors reach the client with a fixed message per code (a failed optional
node's entry too); what failed and why (store type, driver text, the
exception) goes to the log under the call's trace id.

:func:`groundwork.dag.batch.run_many` serves many requests of one endpoint
at once on the same :class:`Executor` and :class:`Run` state.
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

from groundwork.dag.errors import NodeFailed
from groundwork.dag.graph import NOW, Node, NodeKind
from groundwork.dag.plan import Plan
from groundwork.errors import TRACE_ID, GroundworkError, StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import OnlineStore, ReadRequest, StoredRecord
from groundwork.sync.config import DEFAULT_READ_TIMEOUT_SECONDS
from groundwork.sync.lookup import read_within, to_result

logger = logging.getLogger(__name__)

StoreResolver = Callable[[ViewSpec], OnlineStore]
Clock = Callable[[], dt.datetime]
NODE_FAILED_MESSAGE = "the node failed"
"""What a client reads of a function's own failure; the exception goes to the log."""


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


@dataclass(frozen=True, slots=True)
class StoreRead:
    """The lookups of one round that one store answers, in one ``read`` call.

    Attributes:
        store: The store serving the views of ``nodes``.
        nodes: Lookup nodes.
        features: Per node, the names of the features it returns.
        as_of: Per node, the name of the node holding its records' ``event_ts`` ("" for none).
        timeout: Seconds the read may take: the longest timeout its nodes declare,
            else the store's ``read_timeout_seconds``; ``None`` for an embedded
            store, which reads inline without ever yielding to the event loop, so
            no timer could cut it short (and arming one would cost more than the read),
            and for a store that bounds its reads by its own timeout.
    """

    store: OnlineStore
    nodes: tuple[Node, ...]
    features: tuple[tuple[str, ...], ...]
    as_of: tuple[str, ...]
    timeout: float | None


@dataclass(frozen=True, slots=True)
class _Step:
    """One round bound to its stores.

    Attributes:
        functions: The round's functions, in dependency order.
        reads: One read per store serving the round's lookups.
        concurrent: Whether the functions run as tasks (two or more are async).
        awaits: Whether any of the functions is async (the items of a batch then
            run their functions concurrently).
    """

    functions: tuple[Node, ...]
    reads: tuple[StoreRead, ...]
    concurrent: bool
    awaits: bool


def _is_async(node: Node) -> bool:
    return inspect.iscoroutinefunction(node.function)


def _read_timeout(store: OnlineStore, nodes: Sequence[Node]) -> float | None:
    """The bound of one store's read: the nodes' longest timeout, else the store's own."""
    if store.capabilities.embedded:
        return None
    declared = [node.timeout for node in nodes if node.timeout is not None]
    if declared:
        return max(declared)
    if store.capabilities.bounded_reads and store.read_timeout_seconds:
        return None  # the store bounds every wait itself; an outer timer would only cost
    return store.read_timeout_seconds or DEFAULT_READ_TIMEOUT_SECONDS


class Executor:
    """A plan bound to the stores that serve its views, built once per endpoint.

    Grouping a round's lookups by store depends only on the plan and on which
    store serves which view, so it is done here, not on every request.

    Args:
        plan: The endpoint's plan.
        store_for: Returns the online store serving a view.
        clock: Returns the moment a call is served (aware, UTC): expiry and ages are
            judged at it, and a function's ``now`` parameter reads it.
    """

    __slots__ = ("plan", "steps", "outputs", "clock", "needs_now")

    def __init__(self, plan: Plan, store_for: StoreResolver, clock: Clock | None = None) -> None:
        self.plan = plan
        self.clock = clock
        self.needs_now = any(node.kind is NodeKind.CONTEXT and node.name == NOW
                             for node in plan.graph.nodes.values())
        self.outputs = tuple(plan.graph.spec.outputs)
        self.steps = tuple(
            _Step(functions=step.functions, reads=self._reads(step.lookups, store_for),
                  concurrent=sum(map(_is_async, step.functions)) >= 2,
                  awaits=any(map(_is_async, step.functions)))
            for step in plan.rounds
        )

    def _reads(self, lookups: Sequence[Node], store_for: StoreResolver) -> tuple[StoreRead, ...]:
        by_store: dict[int, list[Node]] = defaultdict(list)
        stores: dict[int, OnlineStore] = {}
        for node in lookups:
            assert node.view is not None
            store = store_for(node.view)
            by_store[id(store)].append(node)
            stores[id(store)] = store
        return tuple(
            StoreRead(
                store=stores[key], nodes=tuple(nodes),
                features=tuple(self.plan.features_of[node.name] for node in nodes),
                as_of=tuple(self.plan.as_of_of.get(node.name, "") for node in nodes),
                timeout=_read_timeout(stores[key], nodes),
            )
            for key, nodes in by_store.items()
        )

    async def __call__(self, inputs: Mapping[str, Any]) -> Execution:
        """Run one request.

        Args:
            inputs: Validated request inputs by name.

        Raises:
            StoreUnavailable: a required lookup's store failed or timed out.
            NodeFailed: a required function raised.
        """
        now = dt.datetime.now(dt.UTC) if self.clock is None else self.clock()
        run = Run(inputs, now)
        if self.needs_now:
            run.values[NOW] = now
        for step in self.steps:
            if step.concurrent:
                await run.run_concurrently(step.functions)
            else:
                for node in step.functions:
                    await run.run_function(node)
            reads = step.reads
            if len(reads) == 1:  # one store: read it in this task, no task to schedule
                await run.read(reads[0])
            elif reads:
                await asyncio.gather(*(run.read(read) for read in reads))
        return run.execution(self.outputs)


def log_failed_read(read: StoreRead, error: StoreUnavailable) -> None:
    """Log a failed store read under the call's trace id (the client sees a fixed message)."""
    logger.warning("online store read failed [trace %s]: %s (%s; nodes %s; %s)",
                   TRACE_ID.get(), error.reason, type(read.store).__name__,
                   ", ".join(node.name for node in read.nodes), error.context)


class Run:
    """The state of one request: values by node name, freshness and per-node errors."""

    __slots__ = ("values", "freshness", "errors", "now")

    def __init__(self, inputs: Mapping[str, Any], now: dt.datetime) -> None:
        self.values: dict[str, Any] = dict(inputs)
        self.freshness: list[dict[str, Any]] = []
        self.errors: dict[str, dict[str, str]] = {}
        self.now = now

    def fail(self, node: Node, error: Exception) -> None:
        """Record an optional node's failure (fixed message per code), or fail the call."""
        if not isinstance(error, GroundworkError):
            logger.error("node %s failed [trace %s]", node.name, TRACE_ID.get(), exc_info=error)
        if not node.optional:
            if isinstance(error, GroundworkError):
                raise error
            raise NodeFailed(f"node {node.name!r} failed", node=node.name) from error
        if isinstance(error, GroundworkError):
            self.errors[node.name] = {"code": error.code, "message": error.message}
        else:
            self.errors[node.name] = {"code": NodeFailed.code, "message": NODE_FAILED_MESSAGE}
        self.values[node.name] = None

    def execution(self, outputs: Sequence[str]) -> Execution:
        """What the call answers: the values of ``outputs``, freshness and errors."""
        values = self.values
        return Execution(outputs={name: values.get(name) for name in outputs},
                         freshness=self.freshness, errors=self.errors)

    async def run_functions(self, step: _Step) -> None:
        """Run one round's functions: as tasks when two or more are async, else in order."""
        if step.concurrent:
            await self.run_concurrently(step.functions)
        else:
            for node in step.functions:
                await self.run_function(node)

    async def run_function(self, node: Node) -> None:
        if self.errors:
            failed = [name for name in node.dependencies if name in self.errors]
            if failed:
                self.fail(node, NodeFailed(f"upstream node {failed[0]!r} failed", node=node.name))
                return
        assert node.function is not None
        values = self.values
        arguments = {name: values[name] for name in node.dependencies}
        try:
            result = node.function(**arguments)
            if inspect.isawaitable(result):
                async with asyncio.timeout(node.timeout):
                    result = await result
        except Exception as error:  # noqa: BLE001 - every node failure is reported per node
            self.fail(node, error)
        else:
            values[node.name] = result

    async def run_concurrently(self, functions: Sequence[Node]) -> None:
        """Run one round's functions as tasks, each once its upstream functions are done.

        A failing required function cancels the others and fails the call with
        its own error.
        """
        tasks: dict[str, asyncio.Task[None]] = {}
        try:
            async with asyncio.TaskGroup() as group:
                for node in functions:  # dependency order: upstream tasks exist already
                    upstream = [tasks[name] for name in node.dependencies if name in tasks]
                    tasks[node.name] = group.create_task(self._run_after(upstream, node))
        except BaseExceptionGroup as failures:
            error = failures.exceptions[0]  # the call fails as if the round ran in order
            raise error from error.__cause__

    async def _run_after(self, upstream: Sequence[asyncio.Task[None]], node: Node) -> None:
        for task in upstream:
            await task
        await self.run_function(node)

    def requests(self, read: StoreRead) -> list[ReadRequest]:
        """What this call asks of one store: per lookup node, its keys and features."""
        values = self.values
        requests = []
        for node, features in zip(read.nodes, read.features, strict=True):
            assert node.view is not None
            key = values.get(node.dependencies[0])
            keys: Sequence[Any] = (key or []) if node.multi else ([] if key is None else [key])
            requests.append(ReadRequest(node.view, keys, features))
        return requests

    async def read(self, read: StoreRead) -> None:
        """Send one store's lookups as one ``read`` and assign what comes back."""
        requests = self.requests(read)
        try:
            batches = await read_within(read.store, requests, read.timeout)
        except StoreUnavailable as error:
            log_failed_read(read, error)
            self.unread(read, requests, error)
            return
        self.assign_all(read, requests, batches)

    def unread(self, read: StoreRead, requests: Sequence[ReadRequest],
               error: StoreUnavailable) -> None:
        """The store of ``read`` failed: fail its nodes (or the call); their features read None."""
        for node, request, as_of in zip(read.nodes, requests, read.as_of, strict=True):
            self.fail(node, error)
            self.assign(node, request, None, as_of)

    def assign_all(self, read: StoreRead, requests: Sequence[ReadRequest],
                   batches: Sequence[Sequence[StoredRecord | None]]) -> None:
        """Assign the records the store of ``read`` returned, one batch per request."""
        for node, request, batch, as_of in zip(read.nodes, requests, batches, read.as_of,
                                               strict=True):
            self.assign(node, request, batch, as_of)

    def assign(self, node: Node, request: ReadRequest,
               batch: Sequence[StoredRecord | None] | None, as_of: str = "") -> None:
        """Classify one lookup's records, note their freshness, bind its features."""
        assert node.view is not None
        view_name, now, ttl = node.view.name, self.now, node.view.ttl_seconds
        results = [to_result(key, record, now, ttl)
                   for key, record in zip(request.keys, batch or (), strict=batch is not None)]
        if node.summarised:
            self.freshness.append(_summary(view_name, results))
        else:
            self.freshness.extend({
                "view": view_name, "key": result.key, "status": result.status.value,
                "event_ts": result.event_ts, "age_seconds": result.age_seconds,
            } for result in results)
        values = self.values
        if not node.multi:
            row = results[0].values if results else None
            for feature in request.features:
                values[feature] = None if row is None else row[feature]
            if as_of:
                values[as_of] = results[0].event_ts if results else None
            return
        rows = [result.values for result in results]
        for feature in request.features:
            values[feature] = (None if batch is None
                               else [None if row is None else row[feature] for row in rows])
        if as_of:
            values[as_of] = None if batch is None else [result.event_ts for result in results]


_STATUS_ORDER = ("MISSING", "EXPIRED", "PRESENT")


def _summary(view: str, results: Sequence[Any]) -> dict[str, Any]:
    """One freshness entry for a lookup of many keys: counts, worst status, oldest record."""
    counts = {status: 0 for status in ("PRESENT", "MISSING", "EXPIRED")}
    oldest = None
    for result in results:
        counts[result.status.value] += 1
        if result.event_ts is not None and (oldest is None or result.event_ts < oldest.event_ts):
            oldest = result
    worst = next((status for status in _STATUS_ORDER if counts[status]), "PRESENT")
    return {
        "view": view, "key": None, "keys": len(results), "status": worst,
        "event_ts": None if oldest is None else oldest.event_ts,
        "age_seconds": None if oldest is None else oldest.age_seconds, "counts": counts,
    }


async def execute(plan: Plan, inputs: Mapping[str, Any], store_for: StoreResolver,
                  clock: Clock | None = None) -> Execution:
    """Run one request through ``plan`` (binding it to its stores first).

    A server binds each endpoint's plan once (:class:`Executor`); this is the
    one-off form.

    Args:
        plan: The endpoint's plan.
        inputs: Validated request inputs by name.
        store_for: Returns the primary online store of a view.

    Raises:
        StoreUnavailable: a required lookup's store failed or timed out.
        NodeFailed: a required function raised.
    """
    return await Executor(plan, store_for, clock)(inputs)
