"""One pipelined Redis connection that every concurrent serving read shares.

redis-py checks a connection out of a pool, arms a timeout and runs its retry and
observability wrappers around every command: on a one-key read that costs more than
Redis itself. Serving reads are plain ``MGET`` commands, so :class:`PipelinedConnection`
writes each command to one connection as soon as it is issued and matches the replies
to the waiting callers in order (Redis answers the commands of one connection in the
order they arrived), parsing them with ``hiredis``. Concurrent reads share the round
trip instead of queuing for pooled connections, and the commands issued in one turn of
the event loop go out in one write (on this kind of machine a system call costs more
than parsing a reply).

Every wait is bounded by ``timeout``: connecting (and ``AUTH``/``SELECT``) by one
``asyncio.timeout``, each reply by its deadline. The deadlines of one connection come in
send order, so one timer watches only the oldest waiting command; when it is overdue the
connection is dropped and every waiting command fails (a reply can no longer be matched
to its command once one is skipped), and the next command connects again. Errors are
redis-py's own (:class:`redis.exceptions.ConnectionError`, ``TimeoutError``,
``ResponseError``), so callers handle them as they handle the client's.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, cast

import hiredis
from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Command = tuple[bytes | str | int, ...]
_pack_command = cast(Callable[[Command], bytes], hiredis.pack_command)


def _packed(commands: Iterable[Command]) -> bytes:
    """The commands in the Redis protocol, as one buffer to write."""
    return b"".join(map(_pack_command, commands))


class _Replies(asyncio.Protocol):
    """The protocol of one connection: sends commands, resolves their futures in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.reader = hiredis.Reader(replyError=ResponseError)
        self.pending: deque[tuple[asyncio.Future[Any], float]] = deque()
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.outgoing: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, payload: bytes, replies: int) -> list[asyncio.Future[Any]]:
        """Queue ``payload`` (``replies`` commands) and return one future per reply.

        What is queued in one turn of the event loop goes out in one write at its end,
        so the reads that concurrent calls issue together cost one system call.
        """
        if self.closed or self.transport is None:
            raise RedisConnectionError("the connection to redis is closed")
        loop = self.loop
        deadline = loop.time() + self.timeout
        futures = [loop.create_future() for _ in range(replies)]
        self.pending.extend((future, deadline) for future in futures)
        if not self.outgoing:
            loop.call_soon(self._flush)
        self.outgoing.append(payload)
        if self.timer is None:
            self.timer = loop.call_at(deadline, self._check_deadline)
        return futures

    def _flush(self) -> None:
        """Write every command queued since the last flush."""
        outgoing, self.outgoing = self.outgoing, []
        if not self.closed and self.transport is not None:
            self.transport.write(outgoing[0] if len(outgoing) == 1 else b"".join(outgoing))

    def data_received(self, data: bytes) -> None:
        reader, pending = self.reader, self.pending
        reader.feed(data)
        while (reply := reader.gets()) is not False:
            if not pending:  # a reply nobody asked for: the stream is out of step
                self.fail(RedisConnectionError("redis sent a reply to no command"))
                return
            future = pending.popleft()[0]
            if future.done():  # its caller gave up (cancelled); the reply is dropped
                continue
            if isinstance(reply, ResponseError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def _check_deadline(self) -> None:
        """Fail the connection when its oldest waiting command is overdue, else re-arm."""
        self.timer = None
        if not self.pending:
            return
        deadline = self.pending[0][1]
        if deadline <= self.loop.time():
            self.fail(RedisTimeoutError(f"no reply from redis within {self.timeout:g} s"))
        else:
            self.timer = self.loop.call_at(deadline, self._check_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.fail(RedisConnectionError("the connection to redis was lost"))

    def fail(self, error: Exception) -> None:
        """Close the connection and fail every waiting command with ``error``."""
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        pending, self.pending = self.pending, deque()
        for future, _deadline in pending:
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.abort()


class PipelinedConnection:
    """A Redis connection shared by concurrent callers, opened in the first caller's loop.

    Args:
        url: ``redis://`` or ``rediss://`` URL (host, port, database, user, password).
        password: Password when the URL carries none.
        timeout: Bound of connecting and of each reply, in seconds.
    """

    def __init__(self, url: str, password: str | None, timeout: float) -> None:
        options = parse_url(url)
        self._host = options.get("host", "127.0.0.1")
        self._port = int(options.get("port", 6379))
        self._database = int(options.get("db", 0))
        self._username = options.get("username")
        self._password = options.get("password") or password
        self._tls = url.startswith("rediss://")
        self._timeout = timeout
        self._replies: _Replies | None = None
        self._connecting: asyncio.Task[_Replies] | None = None

    async def execute(self, *commands: Command) -> list[Any]:
        """Send ``commands`` in one write and return their replies in order.

        Raises:
            redis.exceptions.ConnectionError: connecting failed or the connection broke.
            redis.exceptions.TimeoutError: no connection or no reply within the timeout.
            redis.exceptions.ResponseError: Redis answered a command with an error.
        """
        replies = self._replies
        if replies is None or replies.closed:
            replies = await self._connected()
        futures = replies.send(_packed(commands), len(commands))
        if len(futures) == 1:
            return [await futures[0]]
        try:
            return [await future for future in futures]
        except BaseException:
            for future in futures:  # the others' errors are this one's: mark them seen
                if future.done() and not future.cancelled():
                    future.exception()
            raise

    async def _connected(self) -> _Replies:
        """The open connection, connecting once for every caller that waits for it."""
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._connect())
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> _Replies:
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if self._tls else None
        replies: _Replies | None = None
        try:
            async with asyncio.timeout(self._timeout):
                _transport, replies = await loop.create_connection(
                    lambda: _Replies(loop, self._timeout), self._host, self._port, ssl=context)
                payload, count = self._handshake()
                if count:
                    for future in replies.send(payload, count):
                        await future
        except BaseException as error:
            if replies is not None:
                replies.fail(RedisConnectionError("connecting to redis failed"))
            if isinstance(error, TimeoutError):
                raise RedisTimeoutError(
                    f"connecting to redis took over {self._timeout:g} s") from error
            if isinstance(error, OSError):
                raise RedisConnectionError(f"cannot connect to redis: {error}") from error
            raise
        self._replies = replies
        return replies

    def _handshake(self) -> tuple[bytes, int]:
        """The commands a new connection sends first (``AUTH``, ``SELECT``) and their count."""
        setup: list[Command] = []
        if self._password:
            setup.append(("AUTH", self._username, self._password) if self._username
                         else ("AUTH", self._password))
        if self._database:
            setup.append(("SELECT", self._database))
        return _packed(setup), len(setup)

    def close(self) -> None:
        """Close the connection; waiting commands fail, the next one connects again."""
        replies, self._replies = self._replies, None
        if replies is not None and not replies.closed:
            replies.fail(RedisConnectionError("the connection to redis was closed"))
