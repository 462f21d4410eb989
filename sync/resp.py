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

With ``cache_entries``, the connection keeps the values it read in memory and
answers reads of them from there: it speaks RESP3 and turns on Redis's client-side
caching (``CLIENT TRACKING ON``), so Redis tells it, on the same connection, of every
key it read that has since been written, deleted, expired or evicted, and the key is
dropped from memory as that message arrives. Replies and invalidations come in the
order Redis produced them, and a read's value is kept as its reply is parsed, so a
value is never kept after the invalidation that follows it. A new connection starts
with an empty cache (invalidations sent while disconnected are lost with the old one);
a server without RESP3 or tracking (before Redis 6) is read without a cache. A cached
value is served only while Redis has answered a command sent in the last
``max_staleness`` seconds (every invalidation of a write made before that command has
then arrived); otherwise the read goes to Redis, so a Redis that stops answering fails
reads within ``max_staleness`` plus the timeout, as without a cache.

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
import itertools
import math
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
_MISSING = object()
"""A key the cache does not hold (``None`` is a cached absent key)."""
_pack_command = cast(Callable[[Command], bytes], hiredis.pack_command)


def _packed(commands: Iterable[Command]) -> bytes:
    """The commands in the Redis protocol, as one buffer to write."""
    return b"".join(map(_pack_command, commands))


class _Replies(asyncio.Protocol):
    """The protocol of one connection: sends commands, resolves their futures in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float,
                 cache_entries: int = 0, clock: Callable[[], float] | None = None) -> None:
        self.loop = loop
        self.timeout = timeout
        self.reader = hiredis.Reader(replyError=ResponseError)
        # (future, deadline, keys whose values the reply is: kept in the cache as it arrives,
        #  when it was sent by the staleness clock)
        self.pending: deque[tuple[asyncio.Future[Any], float, list[bytes] | None, float]] = (
            deque())
        self.cache_entries = cache_entries
        self.cache: dict[bytes, bytes | None] | None = None  # on once tracking is
        self.clock = clock
        self.confirmed_at = -math.inf
        """When the newest command Redis has answered was sent (staleness clock)."""
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
        self._ready()
        loop = self.loop
        now = loop.time()
        deadline, sent = now + self.timeout, now if self.clock is None else self.clock()
        futures = [loop.create_future() for _ in range(replies)]
        self.pending.extend((future, deadline, None, sent) for future in futures)
        self._queue(payload, deadline)
        return futures

    def send_mget(self, keys: list[bytes]) -> asyncio.Future[Any]:
        """Queue ``MGET keys``; with the cache on, its values are kept as the reply arrives."""
        self._ready()
        loop = self.loop
        now = loop.time()
        deadline, sent = now + self.timeout, now if self.clock is None else self.clock()
        future = loop.create_future()
        self.pending.append((future, deadline, keys if self.cache is not None else None, sent))
        self._queue(_pack_command(("MGET", *keys)), deadline)
        return future

    def _ready(self) -> None:
        if self.closed or self.transport is None:
            raise RedisConnectionError("the connection to redis is closed")

    def _queue(self, payload: bytes, deadline: float) -> None:
        if not self.outgoing:
            self.loop.call_soon(self._flush)
        self.outgoing.append(payload)
        if self.timer is None:
            self.timer = self.loop.call_at(deadline, self._check_deadline)

    def _keep(self, keys: list[bytes], values: list[bytes | None]) -> None:
        """Cache what one ``MGET`` read, dropping the oldest entries beyond the bound."""
        cache, bound = self.cache, self.cache_entries
        assert cache is not None
        pairs: Iterable[tuple[bytes, bytes | None]] = zip(keys, values, strict=True)
        if len(keys) > bound:
            pairs = itertools.islice(pairs, len(keys) - bound, None)
        room = bound - len(cache) - min(len(keys), bound)
        if room < 0:
            for key in list(itertools.islice(cache, -room)):
                del cache[key]
        cache.update(pairs)

    def _invalidate(self, keys: list[bytes] | None) -> None:
        """Forget ``keys`` (``None``: every key, as after ``FLUSHDB``)."""
        cache = self.cache
        if cache is None:
            return
        if keys is None:
            cache.clear()
            return
        for key in keys:
            cache.pop(key, None)

    def _flush(self) -> None:
        """Write every command queued since the last flush."""
        outgoing, self.outgoing = self.outgoing, []
        if not self.closed and self.transport is not None:
            self.transport.write(outgoing[0] if len(outgoing) == 1 else b"".join(outgoing))

    def data_received(self, data: bytes) -> None:
        reader, pending = self.reader, self.pending
        reader.feed(data)
        while (reply := reader.gets()) is not False:
            if isinstance(reply, hiredis.PushNotification):
                if len(reply) == 2 and reply[0] == b"invalidate":
                    self._invalidate(reply[1])
                continue
            if not pending:  # a reply nobody asked for: the stream is out of step
                self.fail(RedisConnectionError("redis sent a reply to no command"))
                return
            future, _deadline, keys, self.confirmed_at = pending.popleft()
            if isinstance(reply, ResponseError):
                if not future.done():
                    future.set_exception(reply)
                continue
            if keys is not None:
                self._keep(keys, reply)
            if not future.done():  # else its caller gave up (cancelled): the reply is dropped
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
        self.cache = None
        pending, self.pending = self.pending, deque()
        for future, _deadline, _keys, _sent in pending:
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
        cache_entries: Values kept in memory, invalidated by Redis (0: none).
        max_staleness: Seconds a cached value is served for after the newest command
            Redis answered was sent; past it, a read goes to Redis (which confirms the
            connection again, or fails if Redis does not answer).
        clock: Seconds on a monotonic clock for ``max_staleness`` (default: the loop's).
    """

    def __init__(self, url: str, password: str | None, timeout: float,
                 cache_entries: int = 0, max_staleness: float = 0.1,
                 clock: Callable[[], float] | None = None) -> None:
        options = parse_url(url)
        self._host = options.get("host", "127.0.0.1")
        self._port = int(options.get("port", 6379))
        self._database = int(options.get("db", 0))
        self._username = options.get("username")
        self._password = options.get("password") or password
        self._tls = url.startswith("rediss://")
        self._timeout = timeout
        self._cache_entries = cache_entries
        self._max_staleness = max_staleness
        self._clock = clock
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

    async def mget(self, keys: list[bytes]) -> list[bytes | None]:
        """The values of ``keys`` (``None`` for an absent key), cached ones from memory.

        Raises:
            redis.exceptions.ConnectionError: connecting failed or the connection broke.
            redis.exceptions.TimeoutError: no connection or no reply within the timeout.
        """
        replies = self._replies
        if replies is None or replies.closed:
            replies = await self._connected()
        cache = replies.cache
        if cache is None:
            return cast(list[bytes | None], await replies.send_mget(keys))
        now = replies.loop.time() if self._clock is None else self._clock()
        if now - replies.confirmed_at > self._max_staleness:  # not heard from Redis lately
            return cast(list[bytes | None], await replies.send_mget(keys))
        values = [cache.get(key, _MISSING) for key in keys]
        misses = [key for key, value in zip(keys, values, strict=True) if value is _MISSING]
        if not misses:
            return cast(list[bytes | None], values)
        found = iter(await replies.send_mget(misses))
        return [next(found) if value is _MISSING else cast(bytes | None, value)
                for value in values]

    def forget(self) -> None:
        """Drop every cached value (after this process wrote: its own reads see the write)."""
        replies = self._replies
        if replies is not None:
            replies._invalidate(None)

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
                    lambda: _Replies(loop, self._timeout, self._cache_entries, self._clock),
                    self._host, self._port, ssl=context)
                payload, count = self._handshake()
                if count:
                    for future in replies.send(payload, count):
                        await future
                if self._cache_entries and await self._tracking(replies):
                    replies.cache = {}
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

    async def _tracking(self, replies: _Replies) -> bool:
        """Switch to RESP3 and turn on client-side caching; ``False`` where Redis cannot."""
        answers = await asyncio.gather(
            *replies.send(_packed([("HELLO", 3), ("CLIENT", "TRACKING", "ON")]), 2),
            return_exceptions=True)
        for answer in answers:
            if isinstance(answer, ResponseError):
                self._cache_entries = 0  # before Redis 6: read without a cache from now on
                return False
            if isinstance(answer, BaseException):
                raise answer
        return True

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
