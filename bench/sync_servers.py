"""Start the sync benchmark's stores as child processes on free 127.0.0.1 ports.

The same servers the test suite uses (``tests/support/*_server.py``), started the same way,
but as plain context managers: those modules are pytest fixtures that report a failed start
with ``pytest.fail``. Each server keeps nothing on disk and stops when its block ends.

- Redis: the ``redis-server`` binary on PATH, no persistence.
- DynamoDB: dynalite from ``tests/servers/node_modules``, in memory, instant table changes.
- Cosmos DB: ``@vercel/cosmosdb-server`` via ``tests/servers/cosmos-server.js`` (keep-alive
  HTTPS; the package's own CLI closes every connection).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pydantic import SecretStr

from groundwork.net import free_port, stop_process
from groundwork.sync.config import (
    CosmosStoreConfig,
    DynamoDBStoreConfig,
    RedisStoreConfig,
    StoreConfig,
)

SERVERS_DIR = Path(__file__).resolve().parents[1] / "tests" / "servers"
DYNALITE = SERVERS_DIR / "node_modules" / ".bin" / "dynalite"
COSMOS_LAUNCHER = SERVERS_DIR / "cosmos-server.js"
COSMOS_READY_PREFIX = "cosmosdb-server ready at "
# cosmosdb-server accepts any key; the SDK only needs one that decodes as base64.
COSMOS_KEY = base64.b64encode(b"groundwork local cosmosdb-server key").decode()
START_TIMEOUT_SECONDS = 20.0
SETUP_HINT = "run scripts/ensure-test-servers.sh (Node.js, `npm ci --prefix tests/servers`)"
DUMMY_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "groundwork-bench",
    "AWS_SECRET_ACCESS_KEY": "groundwork-bench",
    "AWS_EC2_METADATA_DISABLED": "true",
}
"""Credentials dynalite accepts; set before Spark starts so its Python workers inherit them."""
FOREIGN_AWS_SETTINGS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A started server: the store config that reaches it and its process id.

    Attributes:
        config: Store configuration pointing at the server.
        pid: The server's process (``None`` for the embedded SQLite store).
    """

    config: StoreConfig
    pid: int | None

    def cpu_seconds(self) -> float:
        """CPU seconds the server has used so far (0 without a process)."""
        return 0.0 if self.pid is None else process_cpu_seconds(self.pid)


def _stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (None once the process is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid``, including the children it has reaped."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int, skip: Collection[int] = ()) -> float:
    """CPU seconds of ``root`` and all its live descendants, leaving out ``skip`` subtrees.

    With Spark in local mode the descendants of the driver are the JVM and its Python
    workers, so a difference of two readings is the sync's CPU on this machine.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        if pid not in skip:
            total += process_cpu_seconds(pid)
            pending += children.get(pid, [])
    return total


def use_dummy_aws_credentials() -> None:
    """Point this process (and the children it starts later) at dummy AWS credentials."""
    os.environ.update(DUMMY_AWS_ENVIRONMENT)
    for name in FOREIGN_AWS_SETTINGS:
        os.environ.pop(name, None)


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], name: str) -> None:
    """Poll ``ready`` until it holds; raise if the process exits or the time runs out."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer within {START_TIMEOUT_SECONDS:.0f} s")


@contextmanager
def _running(command: list[str], name: str, ready: Callable[[], bool]) -> Iterator[int]:
    """Run ``command`` until the block ends, once ``ready`` says it answers; yield its pid."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=SERVERS_DIR)
    try:
        _wait_until(ready, process, name)
        yield process.pid
    finally:
        stop_process(process)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _http_answers(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5, context=context):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[RunningServer]:
    """A fresh ``redis-server`` (no persistence) and a store config that reaches it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (Debian: apt-get install redis-server)")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"]
    with _running(command, "redis-server", lambda: _redis_answers(port)) as pid:
        yield RunningServer(RedisStoreConfig(url=f"redis://127.0.0.1:{port}/0",
                                             key_prefix="bench"), pid)


@contextmanager
def dynalite_server() -> Iterator[RunningServer]:
    """A fresh in-memory dynalite and a store config that reaches it.

    Call :func:`use_dummy_aws_credentials` first (before Spark starts).
    """
    if shutil.which("node") is None or not DYNALITE.exists():
        raise RuntimeError(f"dynalite is missing at {DYNALITE}; {SETUP_HINT}")
    port = free_port()
    command = [str(DYNALITE), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0",
               "--deleteTableMs", "0", "--updateTableMs", "0"]
    url = f"http://127.0.0.1:{port}"
    with _running(command, "dynalite", lambda: _http_answers(url + "/")) as pid:
        yield RunningServer(DynamoDBStoreConfig(endpoint_url=url, region="us-east-1",
                                                table_prefix="bench"), pid)


@contextmanager
def cosmos_server() -> Iterator[RunningServer]:
    """A fresh cosmosdb-server (keep-alive HTTPS) and a store config that reaches it."""
    node = shutil.which("node")
    if node is None or not (SERVERS_DIR / "node_modules" / "@vercel" / "cosmosdb-server").exists():
        raise RuntimeError(f"@vercel/cosmosdb-server is not installed in {SERVERS_DIR}; "
                           f"{SETUP_HINT}")
    port = free_port()
    endpoint = f"https://127.0.0.1:{port}"
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the package's self-signed certificate
    command = [node, str(COSMOS_LAUNCHER), str(port)]
    ready = partial(_http_answers, endpoint + "/", context)
    with _running(command, "cosmosdb-server", ready) as pid:
        yield RunningServer(CosmosStoreConfig(endpoint=endpoint, key=SecretStr(COSMOS_KEY),
                                              database="bench", allow_insecure_loopback=True), pid)
