"""uvicorn with coalesced writes: one send per response, and nothing held back.

A real uvicorn server (``CoalescingProtocol``, uvloop) on 127.0.0.1, spoken to
over a raw socket so that what arrives in which segment is visible.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from groundwork.dag.http.wire import CoalescingProtocol, CoalescingTransport
from groundwork.net import free_port

GIVE_UP_AFTER = 30.0
"""Seconds a socket waits for the server before the test fails (far beyond need)."""
BODY = b'{"answer":42}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/json``: one JSON answer; ``/stream``: three chunks in three loop turns; ``/echo``."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    received = b""
    more = True
    while more:
        message = await receive()
        received += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b""})
        return
    body = received if scope["path"] == "/echo" else BODY
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    chosen = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=chosen, loop="uvloop",
                            http=CoalescingProtocol, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + GIVE_UP_AFTER
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield chosen
    server.should_exit = True
    thread.join(GIVE_UP_AFTER)


def connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP_AFTER)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def request(path: str, body: bytes = b"", *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "host: test", f"content-length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def read_to_end(connection: socket.socket) -> bytes:
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def read_until(connection: socket.socket, ending: bytes) -> bytes:
    data = b""
    while not data.endswith(ending):
        chunk = connection.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


class CountingTransport:
    """A real socket transport that counts the writes it is given."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


async def test_the_writes_of_one_loop_turn_leave_as_one_write() -> None:
    near, far = socket.socketpair()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, near)
    counting = CountingTransport(transport)  # type: ignore[arg-type]
    coalescing = CoalescingTransport(counting, loop)  # type: ignore[arg-type]
    coalescing.write(b"head\r\n\r\n")
    coalescing.write(bytearray(b"body"))
    assert counting.writes == []
    await asyncio.sleep(0)  # the end of the turn
    assert counting.writes == [b"head\r\n\r\nbody"]
    coalescing.write(b"later")
    coalescing.close()  # sends what is gathered before closing
    assert counting.writes[-1] == b"later"
    far.settimeout(GIVE_UP_AFTER)
    with far:
        received = await asyncio.to_thread(read_to_end, far)
    assert received == b"head\r\n\r\nbodylater"


def test_headers_and_body_arrive_in_one_segment(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(request("/json"))
        first = connection.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert first.endswith(b"\r\n\r\n" + BODY), first


def test_keep_alive_answers_each_request_in_order(port: int) -> None:
    with connect(port) as connection:
        for number in range(3):
            payload = b'{"n":%d}' % number
            connection.sendall(request("/echo", payload))
            assert read_until(connection, payload).endswith(b"\r\n\r\n" + payload)


def test_pipelined_requests_are_all_answered(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(request("/echo", b"first") + request("/echo", b"second"))
        data = read_until(connection, b"second")
    assert data.count(b"HTTP/1.1 200 OK") == 2
    assert data.index(b"first") < data.index(b"second")


def test_continue_is_sent_before_the_body_is(port: int) -> None:
    with connect(port) as connection:
        head = request("/echo", b"", "expect: 100-continue").replace(
            b"content-length: 0", b"content-length: 5")
        connection.sendall(head)
        assert read_until(connection, b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        connection.sendall(b"hello")
        assert read_until(connection, b"hello").endswith(b"\r\n\r\nhello")


def test_a_streamed_body_arrives_whole(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(request("/stream"))
        data = read_until(connection, b"0\r\n\r\n")
    assert b"transfer-encoding: chunked" in data
    assert [part for part in (b"one,", b"two,", b"three") if part in data] == [
        b"one,", b"two,", b"three"]


def test_connection_close_sends_the_answer_then_closes(port: int) -> None:
    with connect(port) as connection:
        connection.sendall(request("/json", b"", "connection: close"))
        data = read_to_end(connection)
    assert data.endswith(b"\r\n\r\n" + BODY)
    assert b"connection: close" in data
