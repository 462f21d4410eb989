"""Session fixture: a real local redis server on a free 127.0.0.1 port, stopped afterwards.

The server is the Debian ``redis-server`` binary on PATH (``make test`` installs it when
missing). It never touches the machine's own Redis: it listens on a fresh port, keeps
nothing on disk and runs in a temporary directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from groundwork.net import free_port, stop_process
from groundwork.sync.config import RedisStoreConfig

START_TIMEOUT_SECONDS = 10.0


def answers_ping(port: int) -> bool:
    """Whether a Redis server on ``port`` answers ``PING`` with ``PONG``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(directory: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``redis-server`` and wait until it answers; fail loudly if not.

    Args:
        directory: Its working directory (a ``dump.rdb`` there, from ``SAVE``, is loaded).
        port: The port to listen on; a free one when ``None``.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on PATH; run `make test-servers` "
                    "(Debian: apt-get install redis-server)", pytrace=False)
    port = free_port() if port is None else port
    log_path = directory / "redis.log"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(directory), "--daemonize", "no"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        if answers_ping(port):
            return process, port
        time.sleep(0.02)
    stop_process(process)
    pytest.fail(f"redis-server did not answer PING on 127.0.0.1:{port} within "
                f"{START_TIMEOUT_SECONDS:.0f} s; its log:\n{log_path.read_text()}", pytrace=False)


@pytest.fixture(scope="session")
def redis_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisStoreConfig]:
    """Config of a store in a fresh local redis-server, started once per test session."""
    process, port = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield RedisStoreConfig(url=f"redis://127.0.0.1:{port}/0", key_prefix="groundwork-test")
    finally:
        stop_process(process)
