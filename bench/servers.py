"""Start the servers under test as child processes with identical HTTP-server settings.

Either HTTP server serves the same ASGI app: uvicorn (httptools + uvloop) or granian
(Rust HTTP, ASGI interface, uvloop), one or more worker processes, no access log.
"""

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

UVICORN_FLAGS = ("--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools",
                 "--no-access-log", "--log-level", "warning")
"""httptools + uvloop, no access log: the same for every uvicorn server."""

GRANIAN_FLAGS = ("--interface", "asgi", "--host", "127.0.0.1", "--loop", "uvloop",
                 "--no-access-log", "--log-level", "warning")
"""ASGI interface, uvloop, no access log: the same for every granian server."""

HTTP_SERVERS = ("uvicorn", "granian")


@dataclass(frozen=True, slots=True)
class Server:
    """A server to start.

    Attributes:
        name: Label in the output.
        application: uvicorn application argument.
        extra: Further uvicorn arguments.
        environment: Extra environment variables.
        ready_path: GET path answering 200 once the server can serve.
        http: The HTTP server, ``uvicorn`` or ``granian``.
        workers: Worker processes.
        factory: Whether ``application`` is a factory returning the app.
        app_dir: Directory to import ``application`` from (``None``: the installed packages).
    """

    name: str
    application: str
    environment: tuple[tuple[str, str], ...] = ()
    ready_path: str = "/"
    http: str = "uvicorn"
    workers: int = 1
    factory: bool = False
    app_dir: Path | None = None

    def command(self, port: int) -> list[str]:
        """The command line starting this server on ``port``."""
        options = ["--factory"] if self.factory else []
        if self.http == "granian":
            if self.app_dir is not None:
                options += ["--working-dir", str(self.app_dir)]
            return [sys.executable, "-m", "granian", self.application, *options, *GRANIAN_FLAGS,
                    "--workers", str(self.workers), "--port", str(port)]
        if self.app_dir is not None:
            options += ["--app-dir", str(self.app_dir)]
        return [sys.executable, "-m", "uvicorn", self.application, *options, *UVICORN_FLAGS,
                "--workers", str(self.workers), "--port", str(port)]


def bare_server(http: str = "uvicorn", workers: int = 1) -> Server:
    """The raw ASGI app answering constant JSON."""
    return Server("bare", "bare_app:app", http=http, workers=workers, app_dir=BENCH_DIR)


def groundwork_server(state_dir: Path, http: str = "uvicorn", workers: int = 1) -> Server:
    """The Groundwork app, built by its factory from ``GROUNDWORK_STATE_DIR``."""
    return Server("groundwork", "groundwork.server:app_factory", factory=True,
                  environment=(("GROUNDWORK_STATE_DIR", str(state_dir.resolve())),),
                  ready_path="/readyz", http=http, workers=workers)


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
        """User + system CPU time so far of the server and its worker processes.

        ``None`` where /proc is missing.
        """
        total = _process_ticks(self.pid)
        if total is None:
            return None
        for child in _children(self.pid):
            total += _process_ticks(child) or 0
        return total / os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int) -> int | None:
    """User + system clock ticks of one process (its threads included), if it exists."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the workers of a multi-process server)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children

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


