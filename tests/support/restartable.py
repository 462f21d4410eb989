"""Local store servers a test may stop and start again on the same port, for fault tests.

Each wraps one of the servers the suites use (``redis-server``, dynalite,
cosmosdb-server) in its own process, apart from the session's shared ones, so
stopping it disturbs no other test. Redis and dynalite keep their data across
a restart (Redis saves to its directory before stopping, dynalite runs on
disk); cosmosdb-server keeps nothing, so its tests write their data again.
A server can also be frozen (``SIGSTOP``): its connections stay open and
requests are accepted by the kernel but never answered, until it is thawed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import redis

from groundwork.net import free_port, stop_process
from groundwork.sync.config import (
    CosmosStoreConfig,
    DynamoDBStoreConfig,
    RedisStoreConfig,
    StoreConfig,
)
from tests.support.cosmos_server import local_config, start_cosmos
from tests.support.dynamodb_server import start_dynalite
from tests.support.redis_server import start_redis


class RestartableServer(Protocol):
    """A local store server that stops and starts again on the same port."""

    port: int
    keeps_data: bool
    process: subprocess.Popen[Any]

    def config(self, **settings: Any) -> StoreConfig:
        """A config that reaches this server, with ``settings`` on top."""

    def stop(self) -> None:
        """Stop the process (its data kept when :attr:`keeps_data`)."""

    def start(self) -> None:
        """Start it again on the same port."""


class RedisServer:
    """``redis-server`` in its own directory; saves there before stopping."""

    keeps_data = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process, self.port = start_redis(directory)

    def config(self, **settings: Any) -> RedisStoreConfig:
        return RedisStoreConfig(url=f"redis://127.0.0.1:{self.port}/0", **settings)

    def stop(self) -> None:
        if self.process.poll() is None:
            with redis.Redis(port=self.port) as client:
                client.save()
            stop_process(self.process)

    def start(self) -> None:
        self.process, _ = start_redis(self.directory, self.port)


class DynaliteServer:
    """dynalite keeping its tables on disk."""

    keeps_data = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process = start_dynalite(self.port, directory)

    def config(self, **settings: Any) -> DynamoDBStoreConfig:
        return DynamoDBStoreConfig(endpoint_url=f"http://127.0.0.1:{self.port}", **settings)

    def stop(self) -> None:
        stop_process(self.process)
        if self.process.stderr:
            self.process.stderr.close()

    def start(self) -> None:
        self.process = start_dynalite(self.port, self.directory)


class CosmosServer:
    """cosmosdb-server over HTTPS; it keeps nothing across a restart."""

    keeps_data = False

    def __init__(self, directory: Path) -> None:
        self.log = directory / "cosmos-server.log"
        self.process: subprocess.Popen[str]
        self.process, self.endpoint = start_cosmos(self.log)
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def config(self, **settings: Any) -> CosmosStoreConfig:
        return local_config(self.endpoint).model_copy(update=settings)

    def stop(self) -> None:
        stop_process(self.process)

    def start(self) -> None:
        self.process, _ = start_cosmos(self.log, self.port)


SERVERS: dict[str, type[RedisServer] | type[DynaliteServer] | type[CosmosServer]] = {
    "redis": RedisServer, "dynamodb": DynaliteServer, "cosmos": CosmosServer,
}
"""The server class of each networked store type."""


def config_at(kind: str, port: int, **settings: Any) -> StoreConfig:
    """A config of a ``kind`` store whose server would listen on 127.0.0.1:``port``."""
    if kind == "redis":
        return RedisStoreConfig(url=f"redis://127.0.0.1:{port}/0", **settings)
    if kind == "dynamodb":
        return DynamoDBStoreConfig(endpoint_url=f"http://127.0.0.1:{port}", **settings)
    return local_config(f"https://127.0.0.1:{port}").model_copy(update=settings)


@contextmanager
def frozen(server: RestartableServer) -> Iterator[None]:
    """Freeze the server's process for the block (``SIGSTOP``), then let it go on."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
