"""Serve many requests of one endpoint together: one read per store and round for all.

:func:`run_many` runs a batch of requests (items) through an endpoint's
:class:`~groundwork.dag.executor.Executor`: every round runs each item's
functions, then sends the lookups of every item still running as one
``read`` per store that asks for each distinct key once, and hands each item
its own records (so each item's freshness and values are exactly those of a
call of its own). An item whose required node fails, or whose required
lookup's store fails, stops there with its error; the other items go on.
Items that read the same key share its decoded values, as the lookups of one
call do: functions are pure and never change their arguments.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from groundwork.dag.executor import Execution, Executor, Run, StoreRead, log_failed_read
from groundwork.dag.graph import NOW
from groundwork.errors import GroundworkError, StoreUnavailable
from groundwork.sync.base import ReadRequest
from groundwork.sync.lookup import read_within

Outcome = GroundworkError | None
"""The error that failed one item's step, ``None`` when it went through."""


async def run_many(executor: Executor, inputs: Sequence[Mapping[str, Any]]
                   ) -> list[Execution | GroundworkError]:
    """Run many requests of one endpoint together.

    Each round runs every item's functions (concurrently across items when
    the round has async functions), then reads the lookups of every item
    still running, one ``read`` per store. All items are served at the same
    moment (one reading of the executor's clock).

    Args:
        executor: The endpoint's plan bound to its stores.
        inputs: Validated request inputs of each item.

    Returns:
        Per item, in order: its execution, or the error that failed it (a
        required node that raised, a required lookup's store that failed).
    """
    now = dt.datetime.now(dt.UTC) if executor.clock is None else executor.clock()
    runs = [Run(item, now) for item in inputs]
    if executor.needs_now:
        for run in runs:
            run.values[NOW] = now
    failures: list[Outcome] = [None] * len(runs)
    live = list(range(len(runs)))
    for step in executor.steps:
        if step.functions and live:
            calls = [_outcome(runs[index].run_functions(step)) for index in live]
            outcomes = (await asyncio.gather(*calls) if step.awaits
                        else [await call for call in calls])
            live = _survivors(live, outcomes, failures)
        if step.reads and live:
            batch = [runs[index] for index in live]
            reads = step.reads
            by_read = ([await read_together(reads[0], batch)] if len(reads) == 1
                       else await asyncio.gather(*(read_together(read, batch) for read in reads)))
            for outcomes in by_read:
                live = _survivors(live, outcomes, failures)
    return [run.execution(executor.outputs) if failure is None else failure
            for run, failure in zip(runs, failures, strict=True)]


async def read_together(read: StoreRead, runs: Sequence[Run]) -> list[Outcome]:
    """One ``read`` of ``read``'s store for every run, each distinct key once.

    Returns:
        Per run, the error that failed it: its required lookup's store failed.
    """
    requests = [run.requests(read) for run in runs]
    positions: list[dict[Any, int]] = []
    merged = []
    for number, (node, features) in enumerate(zip(read.nodes, read.features, strict=True)):
        position: dict[Any, int] = {}
        for own in requests:
            for key in own[number].keys:
                if key not in position:
                    position[key] = len(position)
        assert node.view is not None
        positions.append(position)
        merged.append(ReadRequest(node.view, list(position), features))
    try:
        batches = await read_within(read.store, merged, read.timeout)
    except StoreUnavailable as error:
        log_failed_read(read, error)
        return [_unread(run, read, own, error) for run, own in zip(runs, requests, strict=True)]
    for run, own in zip(runs, requests, strict=True):
        run.assign_all(read, own, [
            [batch[position[key]] for key in request.keys]
            for batch, position, request in zip(batches, positions, own, strict=True)
        ])
    return [None] * len(runs)


def _unread(run: Run, read: StoreRead, requests: Sequence[ReadRequest],
            error: StoreUnavailable) -> Outcome:
    try:
        run.unread(read, requests, error)
    except GroundworkError as failure:
        return failure
    return None


async def _outcome(call: Awaitable[None]) -> Outcome:
    try:
        await call
    except GroundworkError as error:
        return error
    return None


def _survivors(live: list[int], outcomes: Sequence[Outcome], failures: list[Outcome]
               ) -> list[int]:
    """The items of ``live`` that did not fail; note the errors of those that did."""
    if not any(outcomes):
        return live
    still = []
    for index, error in zip(live, outcomes, strict=True):
        if error is None:
            still.append(index)
        elif failures[index] is None:
            failures[index] = error
    return still
