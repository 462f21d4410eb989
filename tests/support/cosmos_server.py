"""Session fixture: a real local cosmos server on a free 127.0.0.1 port, stopped afterwards.

The server is ``@vercel/cosmosdb-server`` started by ``tests/servers/cosmos-server.js`` with
keep-alive connections (the package's own CLI closes every connection). It listens on port 0,
so the kernel picks a free port and no other process can take it between choosing and binding;
the launcher prints the port on its ready line. It keeps nothing across restarts.
"""

from __future__ import annotations

import base64
import queue
import shutil
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from groundwork.net import stop_process
from groundwork.sync.config import CosmosStoreConfig

SERVERS = Path(__file__).resolve().parents[1] / "servers"
LAUNCHER = SERVERS / "cosmos-server.js"
PACKAGE = SERVERS / "node_modules" / "@vercel" / "cosmosdb-server"
READY_PREFIX = "cosmosdb-server ready at "
START_TIMEOUT_SECONDS = 20.0
# The server accepts any key; the SDK only needs one that decodes as base64 to sign requests.
LOCAL_KEY = base64.b64encode(b"groundwork local cosmosdb-server key").decode()
SETUP_HINT = (
    "run scripts/ensure-test-servers.sh (installs Node.js and `npm ci --prefix tests/servers`)"
)


def _ready_line(process: subprocess.Popen[str], timeout: float) -> str | None:
    """The launcher's first stdout line, or None if none arrives within ``timeout``."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def _answers(endpoint: str, deadline: float) -> bool:
    """Whether the server answers its account read (GET /) before ``deadline``."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the package's self-signed certificate
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{endpoint}/", context=context, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


def start_cosmos(log: Path, port: int = 0) -> tuple[subprocess.Popen[str], str]:
    """Start the launcher on ``port`` (0: the kernel picks one) and wait until it answers.

    Its errors go to ``log``; returns the process and the endpoint it answers at, or
    fails the test loudly.
    """
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"the Cosmos DB tests need Node.js (`node` is not on PATH); {SETUP_HINT}")
    if not (PACKAGE / "package.json").exists():
        pytest.fail(f"@vercel/cosmosdb-server is not installed in {SERVERS}; {SETUP_HINT}")
    with log.open("a") as errors:
        process = subprocess.Popen(
            [node, str(LAUNCHER), str(port)], cwd=SERVERS, stdout=subprocess.PIPE,
            stderr=errors, stdin=subprocess.DEVNULL, text=True,
        )
    line = _ready_line(process, START_TIMEOUT_SECONDS) or ""
    if not line.startswith(READY_PREFIX):
        stop_process(process)
        pytest.fail(
            f"cosmosdb-server did not start (exit code {process.returncode}, "
            f"output {line!r}); log:\n{_log_tail(log)}"
        )
    endpoint = line.removeprefix(READY_PREFIX).strip()
    if not _answers(endpoint, time.monotonic() + START_TIMEOUT_SECONDS):
        stop_process(process)
        pytest.fail(f"cosmosdb-server at {endpoint} does not answer; log:\n{_log_tail(log)}")
    return process, endpoint


def local_config(endpoint: str) -> CosmosStoreConfig:
    """The config of a store on the local server at ``endpoint``."""
    return CosmosStoreConfig(
        endpoint=endpoint,
        key=SecretStr(LOCAL_KEY),
        database="groundwork_tests",
        allow_insecure_loopback=True,
    )


@pytest.fixture(scope="session")
def cosmos_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CosmosStoreConfig]:
    """A running local Cosmos DB server (HTTPS, keep-alive) and the config that reaches it."""
    log = tmp_path_factory.mktemp("cosmos-server") / "server.log"
    process, endpoint = start_cosmos(log)
    try:
        yield local_config(endpoint)
    finally:
        stop_process(process)
