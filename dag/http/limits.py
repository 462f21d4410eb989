"""Limits at the edge: how large and how slow a request body may be, which trace ids are kept.

Every door reads a request body through one :class:`RequestBody`, and only
after the guard has admitted the caller: a call without a valid token is
answered 401 before a byte of its body is read. A body is refused with 413
when its ``Content-Length`` declares more than ``max_body_bytes`` (before
reading) or when more arrives (while reading a chunked body), and with 408
when it has not arrived whole ``body_timeout_seconds`` after the read began.
An answer sent before the body was read whole carries ``Connection: close``,
so the server never reads, nor keeps the connection open for, what it refused.

Time limits cost one timer for the whole process, not one per call: a read
registers its task and deadline with :class:`BodyDeadlines`, whose sweeper
cancels the reads past their deadline every ``tick`` (a per-read
``asyncio.timeout`` costs ~12 µs under uvloop, a fifth of an endpoint call).
"""

from __future__ import annotations

import asyncio
import re
import time
from asyncio import CancelledError, current_task
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.types import Message, Receive, Scope, Send

from groundwork.errors import ClientDisconnected, PayloadTooLarge, RequestTimeout

TRACE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""A caller's ``X-Request-ID`` kept as the trace id; any other value is replaced by a new id."""

CONNECTION_CLOSE = (b"connection", b"close")
"""The header of an answer given before the body was read whole."""


def valid_trace_id(value: str | None) -> str | None:
    """``value`` when it is a usable trace id (:data:`TRACE_ID`), else ``None``."""
    return value if value is not None and TRACE_ID.fullmatch(value) else None


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """How large and how slow a request body may be.

    Attributes:
        max_body_bytes: Largest request body accepted, in bytes.
        body_timeout_seconds: Longest time a request body may take to arrive whole.
    """

    max_body_bytes: int = 1 << 20
    body_timeout_seconds: float = 10.0


class BodyDeadlines:
    """Cuts off the body reads past their deadline, with one sweeper for the process.

    Args:
        timeout: Seconds a body may take to arrive whole.
        clock: Seconds on a monotonic clock (tests pass their own and call :meth:`sweep`).
        tick: Seconds between two sweeps (default: a quarter of ``timeout``, at most 1 s).
    """

    __slots__ = ("timeout", "clock", "tick", "reading", "_expired")

    def __init__(self, timeout: float, *, clock: Callable[[], float] = time.monotonic,
                 tick: float | None = None) -> None:
        self.timeout = timeout
        self.clock = clock
        self.tick = tick if tick is not None else min(1.0, timeout / 4)
        self.reading: dict[asyncio.Task[object] | None, float] = {}
        """The tasks reading a body, each with its deadline."""
        self._expired: set[asyncio.Task[object]] = set()

    def enter(self, task: asyncio.Task[object], deadline: float) -> None:
        """Register ``task`` as reading a body until ``deadline`` at the latest."""
        self.reading[task] = deadline

    def leave(self, task: asyncio.Task[object]) -> None:
        """``task`` stopped reading (done, failed or cut off)."""
        self.reading.pop(task, None)

    def expired(self, task: asyncio.Task[object]) -> bool:
        """Whether ``task`` was cancelled for its deadline (it is then cancelled no more)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        task.uncancel()
        return True

    def sweep(self) -> int:
        """Cancel every read past its deadline; how many were."""
        now = self.clock()
        overdue = [task for task, deadline in self.reading.items()
                   if deadline <= now and task is not None]
        for task in overdue:
            del self.reading[task]
            self._expired.add(task)
            task.cancel()
        return len(overdue)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Sweep every ``tick`` seconds for the life of the server."""

        async def sweep_forever() -> None:
            while True:
                await asyncio.sleep(self.tick)
                self.sweep()

        sweeper = asyncio.create_task(sweep_forever())
        try:
            yield
        finally:
            sweeper.cancel()


class Edge:
    """The limits of one app and the deadlines of its body reads.

    Args:
        limits: How large and how slow a request body may be.
        clock: Seconds on a monotonic clock, for the deadlines.
    """

    __slots__ = ("limits", "max_body_bytes", "deadlines")

    def __init__(self, limits: EdgeLimits, *, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.limits = limits
        self.max_body_bytes = limits.max_body_bytes
        self.deadlines = BodyDeadlines(limits.body_timeout_seconds, clock=clock)

    def body(self, scope: Scope, receive: Receive) -> RequestBody:
        """The body of the request ``scope``, to read within the limits."""
        declared: int | None = None
        chunked = False
        for key, value in scope["headers"]:
            if key == b"content-length":
                declared = _length(value)
            elif key == b"transfer-encoding":
                chunked = True
        return RequestBody(self, receive, declared, chunked)


def _length(value: bytes) -> int:
    try:
        return int(value)
    except ValueError:
        return 0  # the HTTP server refuses such a request before the app sees it


class RequestBody:
    """The body of one request, read within the edge's limits.

    Args:
        edge: The limits and deadlines.
        receive: The request's ASGI ``receive``.
        declared: Its ``Content-Length``, ``None`` when it has none.
        chunked: Whether it has a ``Transfer-Encoding`` (a body of unknown length).

    Attributes:
        complete: Whether the body was read whole.
    """

    __slots__ = ("_edge", "_receive", "declared", "expected", "complete", "_size", "_deadline")

    def __init__(self, edge: Edge, receive: Receive, declared: int | None,
                 chunked: bool = False) -> None:
        self._edge = edge
        self._receive = receive
        self.declared = declared
        self.expected = chunked or bool(declared)
        self.complete = False
        self._size = 0
        self._deadline: float | None = None

    @property
    def must_close(self) -> bool:
        """Whether the answer must close the connection: a body was sent and not read whole."""
        return self.expected and not self.complete

    async def read(self) -> bytes:
        """The whole body.

        Raises:
            PayloadTooLarge: when it is larger than ``max_body_bytes``.
            RequestTimeout: when it did not arrive in time.
            ClientDisconnected: when the client went away first.
        """
        edge = self._edge
        limit = edge.max_body_bytes
        declared = self.declared
        if declared is not None and declared > limit:
            raise _too_large(limit)
        deadlines = edge.deadlines
        reading = deadlines.reading
        task = current_task()
        reading[task] = deadlines.clock() + deadlines.timeout  # one deadline for every chunk
        try:
            message = await self._receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body: bytes = message.get("body", b"")  # the whole body at once: the usual case
                if len(body) > limit:
                    raise _too_large(limit)
                self.complete = True
                return body
            return await self._read_chunks(message, limit)
        except CancelledError:
            if task is not None and deadlines.expired(task):
                raise RequestTimeout(
                    f"the request body did not arrive within {deadlines.timeout:g} s",
                    timeout_seconds=deadlines.timeout) from None
            raise
        finally:
            reading.pop(task, None)

    async def _read_chunks(self, message: Message, limit: int) -> bytes:
        """The body from its first ``message`` on, chunk by chunk, up to ``limit`` bytes."""
        receive = self._receive
        chunks: list[bytes] = []
        size = 0
        while True:
            if message["type"] == "http.disconnect":
                raise ClientDisconnected("the client closed the connection")
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                raise _too_large(limit)
            if not message.get("more_body", False):
                self.complete = True
                return b"".join((*chunks, body))
            chunks.append(body)
            message = await receive()

    async def receive(self) -> Message:
        """The next ``receive`` message, within the limits until the body is whole.

        For code that reads the body itself (a framework); once the body is
        whole, messages (a disconnect) pass through without a deadline.

        Raises:
            PayloadTooLarge: when the body is larger than ``max_body_bytes``.
            RequestTimeout: when it did not arrive in time.
        """
        if self.complete:
            return await self._receive()
        edge = self._edge
        limit = edge.max_body_bytes
        if self.declared is not None and self.declared > limit:
            raise _too_large(limit)
        deadlines = edge.deadlines
        if self._deadline is None:
            self._deadline = deadlines.clock() + deadlines.timeout
        task = asyncio.current_task()
        assert task is not None, "a request is served by a task"
        deadlines.enter(task, self._deadline)
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            if deadlines.expired(task):
                raise RequestTimeout(
                    f"the request body did not arrive within {deadlines.timeout:g} s",
                    timeout_seconds=deadlines.timeout) from None
            raise
        finally:
            deadlines.leave(task)
        if message["type"] == "http.request":
            self._size += len(message.get("body", b""))
            if self._size > limit:
                raise _too_large(limit)
            if not message.get("more_body", False):
                self.complete = True
        return message

    def send_through(self, send: Send) -> Send:
        """``send`` that closes the connection after an answer given before the body was read."""

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and self.must_close:
                message = {**message, "headers": [*message.get("headers", ()), CONNECTION_CLOSE]}
            await send(message)

        return closing_send


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body exceeds {limit} bytes", limit_bytes=limit)
