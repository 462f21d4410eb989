"""A real server under hostile bodies: refused before they are read, cut off when too slow.

``groundwork serve`` runs in a child process over its own state, with a body
timeout of 0.2 s; the tests talk to it over raw sockets, stream bodies from a
generator, and read the child's resident memory from ``/proc``.
"""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from groundwork.demo import server_process
from groundwork.net import free_port
from tests.support.admin_state import AdminState, admin_state

pytestmark = pytest.mark.e2e

BODY_TIMEOUT = 0.2
"""The server's body timeout: the slow-body test waits about this long, not more."""
HUGE = 200 * 1024 * 1024
CHUNK = b"x" * 65536
DOORS = ["/v1/endpoints/user_profile/invoke", "/v1/endpoints/user_profile/invoke-many", "/mcp",
         "/v1/admin/principals"]


@dataclass(frozen=True, slots=True)
class Served:
    """The running server, its process id and its state."""

    port: int
    pid: int
    state: AdminState


def child_listening_on(port: int) -> int:
    """The id of this process's child that runs ``groundwork serve --port port``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if ppid == os.getpid() and b"serve" in command and str(port).encode() in command:
            return int(entry.name)
    raise LookupError(f"no child serves port {port}")


def resident_kib(pid: int) -> int:
    """The resident memory of process ``pid`` (``VmRSS``), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError("no VmRSS")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state = admin_state(tmp_path_factory.mktemp("edge-limits"))
    port = free_port()
    with server_process(state.settings, port,
                        environment={"GROUNDWORK_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)}):
        yield Served(port, child_listening_on(port), state)


def request_head(path: str, token: str | None, framing: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Accept: application/json, text/event-stream", framing]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def stream_until_answered(port: int, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send ``head`` then ``chunks`` until the server answers; its answer and the bytes sent.

    Before each chunk the socket is polled, so sending stops as soon as an answer is there.
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head)
        for chunk in chunks:
            if select.select([connection], [], [], 0)[0]:
                break
            try:
                connection.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return read_answer(connection), sent


def read_answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    answer = b""
    try:
        while data := connection.recv(65536):
            answer += data
    except ConnectionResetError:
        pass
    return answer


def identity_body() -> Iterator[bytes]:
    for _ in range(HUGE // len(CHUNK)):
        yield CHUNK


def chunked_body() -> Iterator[bytes]:
    framed = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
    for _ in range(HUGE // len(CHUNK)):
        yield framed


@pytest.mark.parametrize("path", DOORS)
def test_a_200_mb_body_without_a_token_is_refused_before_it_is_read(served: Served,
                                                                    path: str) -> None:
    before = resident_kib(served.pid)
    answer, sent = stream_until_answered(
        served.port, request_head(path, None, f"Content-Length: {HUGE}"), identity_body())
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b"connection: close" in answer.lower()
    assert sent <= 4 * 1024 * 1024
    assert resident_kib(served.pid) - before < 20 * 1024


@pytest.mark.parametrize("path", DOORS)
def test_a_200_mb_chunked_body_is_cut_at_the_limit(served: Served, path: str) -> None:
    before = resident_kib(served.pid)
    answer, sent = stream_until_answered(
        served.port, request_head(path, served.state.admin_token, "Transfer-Encoding: chunked"),
        chunked_body())
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b'"payload_too_large"' in answer and b"connection: close" in answer.lower()
    assert sent <= 8 * 1024 * 1024
    assert resident_kib(served.pid) - before < 20 * 1024


@pytest.mark.parametrize("path", DOORS)
def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(
    served: Served, path: str
) -> None:
    head = request_head(path, served.state.admin_token, "Content-Length: 100")
    with socket.create_connection(("127.0.0.1", served.port)) as connection:
        connection.sendall(head + b'{"user_id"')  # 10 of the 100 bytes declared, then nothing
        connection.settimeout(10 + BODY_TIMEOUT)  # a failure guard: the server cuts at 0.2 s
        answer = read_answer(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"request_timeout"' in answer and b"connection: close" in answer.lower()


def test_a_body_that_arrives_in_time_is_served(served: Served) -> None:
    body = b'{"user_id": 42}'
    head = request_head("/v1/endpoints/user_profile/invoke", served.state.token,
                        f"Content-Length: {len(body)}\r\nConnection: close")
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
        connection.sendall(head + body)
        answer = read_answer(connection)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert b'"budget_per_night":150.0' in answer
