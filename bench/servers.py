"""Start the servers under test as child processes with identical uvicorn settings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from groundwork.net import free_port, stop_process, wait_ready

BENCH_DIR = Path(__file__).resolve().parent

UVICORN_FLAGS = ("--host", "127.0.0.1", "--workers", "1", "--loop", "uvloop",
                 "--http", "httptools", "--no-access-log", "--log-level", "warning")
"""One worker process, httptools + uvloop, no access log: the same for every server."""


@dataclass(frozen=True, slots=True)
class Server:
    """A server to start.

    Attributes:
        name: Label in the output.
        application: uvicorn application argument.
        extra: Further uvicorn arguments.
        environment: Extra environment variables.
        ready_path: GET path answering 200 once the server can serve.
    """

    name: str
    application: str
    extra: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    ready_path: str = "/"

    def command(self, port: int) -> list[str]:
        """The command line starting this server on ``port``."""
        return [sys.executable, "-m", "uvicorn", self.application, *self.extra, *UVICORN_FLAGS,
                "--port", str(port)]


def bare_server() -> Server:
    """The raw ASGI app answering constant JSON."""
    return Server("bare", "bare_app:app", extra=("--app-dir", str(BENCH_DIR)))


def groundwork_server(state_dir: Path) -> Server:
    """The Groundwork app, built by its uvicorn factory from ``GROUNDWORK_STATE_DIR``."""
    return Server("groundwork", "groundwork.server:app_factory", extra=("--factory",),
                  environment=(("GROUNDWORK_STATE_DIR", str(state_dir.resolve())),),
                  ready_path="/readyz")


@dataclass(frozen=True, slots=True)
class Running:
    """A started server.

    Attributes:
        url: Base URL, e.g. ``http://127.0.0.1:41234``.
        pid: Process id (to read its CPU time).
    """

    url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the process so far (``None`` where /proc is missing)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def children_cpu_seconds(self) -> float:
        """User + system CPU time so far of the server's child processes (its audit shipper)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.pid:
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(server: Server, timeout: float = 120.0) -> Iterator[Running]:
    """Run ``server`` on a free loopback port until the block ends."""
    port = free_port()
    environment = {**os.environ, **dict(server.environment)}
    environment.pop("WEB_CONCURRENCY", None)
    process = subprocess.Popen(server.command(port), env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url + server.ready_path, process, timeout)
        yield Running(url, process.pid)
    finally:
        stop_process(process, timeout=15)


