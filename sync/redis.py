"""Online store in Redis (or ElastiCache / Azure Cache for Redis), over ``redis.asyncio``.

Key layout: one string key per record, ``<key_prefix>:<view>:<entity key>``, where the
entity key is its canonical string (``groundwork.sync.codec.key_string``; keys are binary safe, so
any character works) and the view name may not contain ``:`` (so no two views share keys).
The value is one string::

    <event_ts micros> <synced_at micros> <expires_at micros or empty> <orjson payload>

A string rather than a hash because a read of any number of keys, across any number of
views, is then a single ``MGET`` (one command, one round trip, no per-key command
overhead in the client), and the compare-and-set needs only the leading ``event_ts``
(``GETRANGE``). The payload is last, so splitting on the first three spaces is safe.

Writes run one Lua script (``_UPSERT``, called by its SHA with ``EVALSHA`` and loaded
only when Redis answers ``NOSCRIPT``) per chunk of ``_SCRIPT_ROWS`` rows: for each key it
writes only when no record exists or the stored ``event_ts`` is older, and returns how
many it wrote, so ``WriteResult`` is exact. (``write_encoded`` may run ``_INSERT_FIRST``
instead, the same rule trying ``SET NX`` first, cheaper when most keys are new.) Chunks
keep each script short (Redis runs a script atomically, blocking other clients); all
chunks of a ``max_write_batch`` go out in one pipeline, i.e. one round trip. (redis-py's
``register_script`` is not used: in a pipeline it sends ``SCRIPT EXISTS`` first, an extra
round trip per write.)

Expiry is native: ``SET … PXAT`` in the same script makes Redis drop a record at
``expires_at`` plus ``expired_retention_seconds``. Reads still classify records through
``sync/lookup.py``, so a record past ``expires_at`` that Redis still holds reads as
``EXPIRED``; once Redis has dropped it, it reads as ``MISSING``. The retention (a day by
default) is how long ``EXPIRED`` stays visible; with 0, expired records read as missing.

Needs Redis 6.2+ (``PXAT``) in non-cluster mode (a script and an ``MGET`` touch keys of
many hash slots). Event times are compared as Lua numbers, exact until the year 2255.
The client does not retry: a connection error or timeout raises ``StoreUnavailable``
and the orchestration (``sync/writer.py``, the DAG executor) decides what to do. Writes
and deletes go through a redis-py connection pool whose every wait is bounded by
``timeout_seconds`` (their scripts run longer). Reads go through one pipelined connection
(``sync/resp.py``) that all concurrent reads share, parsed by hiredis: connecting and
each reply are bounded by ``read_timeout_seconds``, so the store bounds its own reads
(``StoreCapabilities.bounded_reads``) and the serving path arms no timer of its own. Both
are opened lazily in the event loop that first uses them. A broken connection is
dropped, so once Redis is back the next call simply reconnects.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError

from groundwork.errors import DefinitionError, StoreUnavailable
from groundwork.features.spec import ViewSpec
from groundwork.sync.base import (
    EntityKey,
    OnlineRow,
    OnlineStore,
    ReadRequest,
    StoreCapabilities,
    StoredRecord,
    WriteResult,
)
from groundwork.sync.codec import (
    ENCODED_COLUMNS,
    decode_values,
    encode_values,
    from_micros,
    key_string,
    to_micros,
)
from groundwork.sync.config import RedisStoreConfig
from groundwork.sync.decoded import DecodedRecords
from groundwork.sync.resp import PipelinedConnection

_VIEW_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_SCRIPT_ROWS = 200  # rows per script call: each atomic script stays around a millisecond

# KEYS[i] is a record key, ARGV[i] its expiry deadline (epoch milliseconds, '' for none)
# and ARGV[#KEYS + i] the full record value, which starts with its event_ts. (Keys,
# deadlines and values each in one run, so a writer can send each as one contiguous buffer.)
_COMPARE_AND_SET = """
    local stored = string.match(redis.call('GETRANGE', key, 0, 21), '^%-?%d+')
    if not stored or tonumber(stored) < tonumber(string.match(value, '^%-?%d+')) then
      if deadline == '' then
        redis.call('SET', key, value)
      else
        redis.call('SET', key, value, 'PXAT', deadline)
      end
      written = written + 1
    end"""
_UPSERT = f"""
local count, written = #KEYS, 0
for index, key in ipairs(KEYS) do
  local deadline, value = ARGV[index], ARGV[count + index]
  do{_COMPARE_AND_SET}
  end
end
return written
""".encode()
# The same, trying SET NX first: one command instead of two for a key not yet stored, one
# more for a key that is. Writers pick it while most rows they write are new.
_INSERT_FIRST = f"""
local count, written = #KEYS, 0
for index, key in ipairs(KEYS) do
  local deadline, value = ARGV[index], ARGV[count + index]
  local inserted
  if deadline == '' then
    inserted = redis.call('SET', key, value, 'NX')
  else
    inserted = redis.call('SET', key, value, 'NX', 'PXAT', deadline)
  end
  if inserted then
    written = written + 1
  else{_COMPARE_AND_SET}
  end
end
return written
""".encode()
_SCRIPTS = {hashlib.sha1(script, usedforsecurity=False).hexdigest().encode(): script
            for script in (_UPSERT, _INSERT_FIRST)}
_UPSERT_SHA, _INSERT_FIRST_SHA = _SCRIPTS


@contextmanager
def _unavailable_on_error(action: str, view: str) -> Iterator[None]:
    """Turn any Redis client error into ``StoreUnavailable`` (never leak redis exceptions)."""
    try:
        yield
    except RedisError as error:
        reason = f"redis {action} failed: {type(error).__name__}: {error}"
        raise StoreUnavailable(reason, store="redis", view=view) from error


def _text(numbers: pa.Array) -> pa.Array:
    """Decimal text of integers, as binary (nulls stay null)."""
    return pc.cast(pc.cast(numbers, pa.string()), pa.binary())


def _bulk_strings(values: pa.Array) -> tuple[memoryview, memoryview]:
    """Every value as a protocol bulk string (``$<length>\\r\\n<bytes>\\r\\n``), back to back.

    Returns the bytes and each value's start offset (plus the end), so the bulk strings of
    rows ``a`` to ``b`` are ``data[offsets[a]:offsets[b]]``.
    """
    framed = pc.binary_join_element_wise(
        b"$", _text(pc.binary_length(values)), b"\r\n", values, b"\r\n", b"")
    if framed.null_count:
        raise ValueError("a record key or value is missing")
    _, offsets, data = framed.buffers()
    start = framed.offset
    return memoryview(data), memoryview(offsets).cast("i")[start : start + len(framed) + 1]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RedisStore(OnlineStore):
    """Online store in one Redis database, one string key per entity and view."""

    capabilities: ClassVar[StoreCapabilities] = StoreCapabilities(
        # rows per round trip (several script calls in one pipeline)
        max_write_batch=5_000,
        # keys per MGET command; larger reads send several MGETs in one pipeline
        max_read_batch=1_000,
        native_ttl=True,
        embedded=False,
        bounded_reads=True,
    )

    def __init__(self, config: RedisStoreConfig) -> None:
        self._config = config
        self._prefix = config.key_prefix
        self._retention_ms = config.expired_retention_seconds * 1_000
        self.read_timeout_seconds = config.read_timeout_seconds
        self._reader: PipelinedConnection | None = None
        self._writer: Redis | None = None
        self._decoded = DecodedRecords(_record, config.client_cache_entries)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mostly_new = True  # the last batch written was mostly new keys

    def _redis(self) -> Redis:
        """The client that writes and deletes, in the running event loop."""
        if self._writer is None or self._loop is not asyncio.get_running_loop():
            self._writer = self._open(self._config.timeout_seconds)
        return self._writer

    def _redis_reader(self) -> PipelinedConnection:
        """The connection that reads, in the running event loop."""
        if self._reader is None or self._loop is not asyncio.get_running_loop():
            self._own_loop()
            config = self._config
            self._reader = PipelinedConnection(
                config.url, config.password.get_secret_value() if config.password else None,
                config.read_timeout_seconds, cache_entries=config.client_cache_entries,
                max_staleness=config.client_cache_staleness_seconds)
        return self._reader

    def _forget(self) -> None:
        """Drop the reads cached in this process once it wrote, so its next reads see it.

        Other processes' caches learn of the write from Redis itself (tracking).
        """
        if self._reader is not None:
            self._reader.forget()

    def _own_loop(self) -> None:
        """Bind the store to the running loop, dropping connections opened in another one."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._reader = self._writer = None
            self._loop = loop

    def _open(self, timeout: float) -> Redis:
        """A client with its own pool whose every wait is bounded by ``timeout``.

        redis-py connections belong to the loop that opened them; when the store is used
        from another loop (one ``asyncio.run`` per call, test fixtures), it starts new
        pools there and drops the old ones, whose loop has usually ended.
        """
        self._own_loop()
        config = self._config
        pool = BlockingConnectionPool.from_url(
            config.url,
            password=config.password.get_secret_value() if config.password else None,
            max_connections=config.max_connections,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), retries=0),
        )
        return Redis.from_pool(pool)

    def _key_prefix(self, view: ViewSpec) -> bytes:
        if not _VIEW_NAME.match(view.name):
            raise DefinitionError(
                f"view name {view.name!r} may hold only letters, digits, '_' and '-'",
                view=view.name,
            )
        return f"{self._prefix}:{view.name}:".encode()

    async def ensure(self, view: ViewSpec) -> None:
        """Check the view's name; Redis needs no table, keys appear on first write."""
        self._key_prefix(view)

    async def write(
        self, view: ViewSpec, rows: Sequence[OnlineRow], synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows, ``max_write_batch`` rows per round trip; older rows never win."""
        prefix, synced = self._key_prefix(view), to_micros(synced_at)
        written = 0
        for batch in _chunks(rows, self.capabilities.max_write_batch):
            calls = [self._script_call(view, prefix, synced, chunk)
                     for chunk in _chunks(batch, _SCRIPT_ROWS)]
            with _unavailable_on_error("write", view.name):
                written += await self._run_scripts(calls)
        self._forget()
        return WriteResult(written=written, skipped=len(rows) - written)

    def _script_call(
        self, view: ViewSpec, prefix: bytes, synced: int, rows: Sequence[OnlineRow]
    ) -> tuple[list[bytes], list[bytes]]:
        """KEYS and ARGV of one upsert-script call."""
        keys: list[bytes] = []
        deadlines: list[bytes] = []
        values: list[bytes] = []
        for row in rows:
            event_ts = to_micros(row.event_ts)
            if row.expires_at is None:
                expires, deadline = b"", b""
            else:
                expires_micros = to_micros(row.expires_at)
                expires = b"%d" % expires_micros
                deadline = b"%d" % max(1, expires_micros // 1_000 + self._retention_ms)
            payload = orjson.dumps(encode_values(view, row.values))
            keys.append(prefix + key_string(row.key).encode())
            deadlines.append(deadline)
            values.append(b"%d %d %b %b" % (event_ts, synced, expires, payload))
        return keys, deadlines + values

    async def write_encoded(
        self, view: ViewSpec, rows: pa.RecordBatch, synced_at: dt.datetime
    ) -> WriteResult:
        """Upsert rows in the stored form, as :meth:`write`, without a Python object per row.

        The record values and the whole ``EVALSHA`` commands, in the Redis protocol, are
        built by Arrow compute kernels; each command is a header and three slices of Arrow
        buffers (keys, deadlines, values), all of a batch sent in one write. While most
        rows of the last batch were new keys, the script tries ``SET NX`` first (a full
        sync into an empty store); otherwise it compares first (a replay, an update).
        """
        prefix, synced = self._key_prefix(view), to_micros(synced_at)
        written, size = 0, self.capabilities.max_write_batch
        for start in range(0, rows.num_rows, size):
            batch = rows.slice(start, size)
            script = _INSERT_FIRST_SHA if self._mostly_new else _UPSERT_SHA
            commands = self._packed_calls(prefix, synced, batch, script)
            with _unavailable_on_error("write", view.name):
                batch_written = await self._run_packed(commands)
            self._mostly_new = batch_written * 2 >= batch.num_rows
            written += batch_written
        self._forget()
        return WriteResult(written=written, skipped=rows.num_rows - written)

    def _packed_calls(
        self, prefix: bytes, synced: int, rows: pa.RecordBatch, script: bytes = _UPSERT_SHA
    ) -> list[list[bytes | memoryview]]:
        """The calls of the upsert script ``script`` (its SHA) on ``rows``, as protocol bytes."""
        key, event_ts, expires_at, payload = (rows.column(name) for name in ENCODED_COLUMNS)
        expires_ms = pc.divide(
            pc.subtract(expires_at, pc.if_else(pc.less(expires_at, 0), 999, 0)), 1_000)
        deadline = pc.max_element_wise(pc.add(expires_ms, self._retention_ms), 1, skip_nulls=False)
        value = pc.binary_join_element_wise(
            _text(event_ts), b"%d" % synced, pc.fill_null(_text(expires_at), b""),
            payload.cast(pa.binary()), b" ")
        columns = (pc.binary_join_element_wise(prefix, key.cast(pa.binary()), b""),
                   pc.fill_null(_text(deadline), b""), value)
        framed = [_bulk_strings(column) for column in columns]
        calls = []
        for start in range(0, rows.num_rows, _SCRIPT_ROWS):
            end = min(start + _SCRIPT_ROWS, rows.num_rows)
            count = end - start
            call: list[bytes | memoryview] = [
                b"*%d\r\n$7\r\nEVALSHA\r\n$40\r\n%b\r\n$%d\r\n%d\r\n"
                % (3 + 3 * count, script, len(str(count)), count)]
            call += [data[offsets[start]:offsets[end]] for data, offsets in framed]
            calls.append(call)
        return calls

    async def _run_packed(self, calls: list[list[bytes | memoryview]]) -> int:
        """Send packed script calls in one write, read every reply; load the script if missing."""
        client, pending, written = self._redis(), calls, 0
        for _attempt in range(2):
            pool, failure, missing_script = client.connection_pool, None, []
            connection = await pool.get_connection()
            try:
                await connection.send_packed_command([part for call in pending for part in call])
                for call in pending:  # every reply is read, so the connection stays in step
                    try:
                        written += int(await connection.read_response())
                    except NoScriptError:
                        missing_script.append(call)
                    except ResponseError as error:
                        failure = failure or error
            finally:
                await pool.release(connection)
            if failure is not None:
                raise failure
            if not missing_script:
                return written
            for script in _SCRIPTS.values():
                await client.script_load(script)
            pending = missing_script
        raise NoScriptError("the upsert script vanished twice while writing")

    async def _run_scripts(self, calls: list[tuple[list[bytes], list[bytes]]]) -> int:
        """Run script calls in one pipeline; load the script and rerun any that lacked it."""
        pending, written = calls, 0
        for _attempt in range(2):
            pipeline = self._redis().pipeline(transaction=False)
            for keys, arguments in pending:
                pipeline.evalsha(_UPSERT_SHA.decode(), len(keys), *keys, *arguments)
            results = await pipeline.execute(raise_on_error=False)
            missing_script = []
            for call, result in zip(pending, results, strict=True):
                if isinstance(result, NoScriptError):
                    missing_script.append(call)
                elif isinstance(result, Exception):
                    raise result
                else:
                    written += int(result)
            if not missing_script:
                return written
            await self._redis().script_load(_UPSERT)
            pending = missing_script
        raise NoScriptError("the upsert script vanished twice while writing")

    async def read(self, requests: Sequence[ReadRequest]) -> list[list[StoredRecord | None]]:
        """Fetch every request's keys with ``MGET``, all in one round trip."""
        keys: list[bytes] = []
        for request in requests:
            prefix = self._key_prefix(request.view)
            keys += [prefix + key_string(key).encode() for key in request.keys]
        views = ",".join(sorted({request.view.name for request in requests}))
        with _unavailable_on_error("read", views):
            values = await self._values(keys)
        batches: list[list[StoredRecord | None]] = []
        start = 0
        for request in requests:
            found = values[start : start + len(request.keys)]
            batches.append(self._decoded.records(request, found))
            start += len(request.keys)
        return batches

    async def _values(self, keys: list[bytes]) -> list[bytes | None]:
        """Values of ``keys`` in order: one ``MGET``, or several in one pipeline."""
        if not keys:
            return []
        connection = self._redis_reader()
        if len(keys) <= self.capabilities.max_read_batch:
            return await connection.mget(keys)
        results = await asyncio.gather(
            *(connection.mget(list(chunk))
              for chunk in _chunks(keys, self.capabilities.max_read_batch)))
        return [value for result in results for value in result]

    async def delete(self, view: ViewSpec, keys: Sequence[EntityKey]) -> int:
        """Unlink the records of ``keys`` in one round trip; count those that existed."""
        prefix = self._key_prefix(view)
        if not keys:
            return 0
        with _unavailable_on_error("delete", view.name):
            pipeline = self._redis().pipeline(transaction=False)
            for chunk in _chunks(keys, self.capabilities.max_write_batch):
                pipeline.unlink(*(prefix + key_string(key).encode() for key in chunk))
            deleted = sum(await pipeline.execute())
        self._forget()
        return deleted

    async def close(self) -> None:
        """Disconnect every pooled connection (those of an ended event loop are dropped)."""
        reader, writer, loop = self._reader, self._writer, self._loop
        self._reader = self._writer = self._loop = None
        if loop is asyncio.get_running_loop():
            if reader is not None:
                reader.close()
            if writer is not None:
                with _unavailable_on_error("close", ""):
                    await writer.aclose()


def _record(view: ViewSpec, value: bytes, features: Sequence[str]) -> StoredRecord:
    """Decode one stored value, keeping only ``features``."""
    event_ts, synced_at, expires_at, payload = value.split(b" ", 3)
    return StoredRecord(
        values=decode_values(view, orjson.loads(payload), features),
        event_ts=from_micros(int(event_ts)),
        synced_at=from_micros(int(synced_at)),
        expires_at=from_micros(int(expires_at)) if expires_at else None,
    )
