"""The edge's body limits on their own: declared and streamed sizes, deadlines, trace ids.

Driven with hand-made ASGI ``receive`` callables and a clock the test moves, so
nothing here waits on wall-clock time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from groundwork.dag.http.limits import BodyDeadlines, Edge, EdgeLimits, valid_trace_id
from groundwork.errors import ClientDisconnected, PayloadTooLarge, RequestTimeout


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}


def chunks(*bodies: bytes) -> tuple[Any, list[int]]:
    """A ``receive`` handing out ``bodies`` in order, and the count of calls it got."""
    calls = [0]

    async def receive() -> dict[str, Any]:
        index = calls[0]
        calls[0] += 1
        return {"type": "http.request", "body": bodies[index],
                "more_body": index < len(bodies) - 1}

    return receive, calls


async def test_a_body_within_the_limit_is_read_whole() -> None:
    edge = Edge(EdgeLimits(max_body_bytes=10))
    receive, _ = chunks(b'{"a"', b": 1}")
    body = edge.body(scope((b"transfer-encoding", b"chunked")), receive)
    assert await body.read() == b'{"a": 1}'
    assert body.complete and not body.must_close


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    edge = Edge(EdgeLimits(max_body_bytes=1024))
    receive, calls = chunks(b"x" * 10)
    body = edge.body(scope((b"content-length", b"209715200")), receive)
    with pytest.raises(PayloadTooLarge) as refused:
        await body.read()
    assert calls == [0] and refused.value.details == {"limit_bytes": 1024}
    assert body.must_close


async def test_a_streamed_body_is_cut_once_it_passes_the_limit() -> None:
    edge = Edge(EdgeLimits(max_body_bytes=1024))
    receive, calls = chunks(*[b"x" * 512] * 100)
    body = edge.body(scope((b"transfer-encoding", b"chunked")), receive)
    with pytest.raises(PayloadTooLarge):
        await body.read()
    assert calls == [3] and body.must_close


async def test_a_client_gone_before_its_body_is_a_disconnect() -> None:
    edge = Edge(EdgeLimits())

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    with pytest.raises(ClientDisconnected):
        await edge.body(scope((b"content-length", b"5")), receive).read()


async def test_a_body_that_stops_arriving_is_cut_at_its_deadline() -> None:
    clock = Clock()
    edge = Edge(EdgeLimits(body_timeout_seconds=5.0), clock=clock)
    first_part = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not first_part.is_set():
            first_part.set()
            return {"type": "http.request", "body": b'{"user', "more_body": True}
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError("unreachable")

    body = edge.body(scope((b"content-length", b"100")), receive)
    reading = asyncio.create_task(body.read())
    await first_part.wait()
    await asyncio.sleep(0)  # let the read block on the second part
    clock.now += 4.9
    assert edge.deadlines.sweep() == 0
    clock.now += 0.2
    assert edge.deadlines.sweep() == 1
    with pytest.raises(RequestTimeout):
        await reading
    assert body.must_close
    assert reading.cancelling() == 0  # the cut-off is an error, not a cancellation


async def test_a_read_cancelled_for_another_reason_stays_cancelled() -> None:
    edge = Edge(EdgeLimits(body_timeout_seconds=5.0), clock=Clock())

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    reading = asyncio.create_task(edge.body(scope((b"content-length", b"1")), receive).read())
    await asyncio.sleep(0)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading


async def test_the_sweeper_runs_while_the_server_runs() -> None:
    deadlines = BodyDeadlines(0.05, tick=0.01)
    waiting = asyncio.Event()

    async def receive() -> dict[str, Any]:
        waiting.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    edge = Edge(EdgeLimits(body_timeout_seconds=0.05))
    edge.deadlines = deadlines
    async with deadlines.running():
        with pytest.raises(RequestTimeout):
            await asyncio.wait_for(edge.body(scope((b"content-length", b"9")), receive).read(),
                                   timeout=30)  # a failure guard only


@pytest.mark.parametrize(("value", "kept"), [
    ("3f2a9c", True), ("req-42.a:b_c", True), ("x" * 64, True), ("x" * 65, False),
    ("", False), ("a b", False), ("<script>", False), (None, False), ("é", False),
])
def test_only_short_plain_trace_ids_are_kept(value: str | None, kept: bool) -> None:
    assert valid_trace_id(value) == (value if kept else None)
