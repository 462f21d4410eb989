"""Serving benchmark: Groundwork endpoints against a bare uvicorn endpoint, in one run.

    .venv/bin/python bench/serve.py [--state-dir .state] [--duration 10] [--concurrency 1,16]

Targets, each at every concurrency:

- ``bare``: a raw ASGI app returning constant JSON (the ceiling of uvicorn here);
- ``user_profile``: ``POST /v1/endpoints/user_profile/invoke``, one entity lookup;
- ``hotel_offers``: user + city lookups, then 25 hotels' stats and prices, then functions.

Every server is ``--workers`` worker processes (default one) of the ``--http``
server, uvicorn (httptools, uvloop) or granian (ASGI, uvloop), without access
log, on a free 127.0.0.1 port; server CPU counts every process of the server.
Load comes from ``wrk`` (one thread, keep-alive) with ``load.lua``; without
wrk, from an asyncio client (which then competes with the server for the CPU:
its numbers are lower bounds).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Python puts bench/ first on sys.path, where bench/sync.py would shadow the `sync`
# package; import this script's helpers as `bench.*` from the repository instead.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR.parent))

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import httpx  # noqa: E402
import orjson  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.loadgen import Result, find_wrk, run_python, run_wrk, wrk_command  # noqa: E402
from bench.servers import (  # noqa: E402
    HTTP_SERVERS,
    Server,
    bare_server,
    groundwork_server,
    running,
)
from bench.workload import prepare, request_bodies, write_bodies  # noqa: E402
from groundwork.settings import Settings  # noqa: E402

TARGETS = ("user_profile", "hotel_offers")


@dataclass(frozen=True, slots=True)
class Cell:
    """One row of the result table.

    Attributes:
        target: ``bare`` or an endpoint name.
        concurrency: Open connections.
        result: What the load generator measured.
        cpu_us: Server CPU time (user + system, all threads) per request, if known.
        children_cpu_us: CPU time of the server's child processes (the audit
            shipper) per request, if known.
    """

    target: str
    concurrency: int
    result: Result
    cpu_us: float | None
    children_cpu_us: float | None = None


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="state to serve, built with the pipeline when it holds no data "
                        "(default: GROUNDWORK_STATE_DIR, else .state)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="sample-data scale when the state has to be built")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per cell")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds of unmeasured load before each target")
    parser.add_argument("--concurrency", default="1,16",
                        help="comma-separated open connections per cell")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help="Groundwork endpoints to measure (bare always runs)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator: wrk when available, else asyncio")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random requests")
    parser.add_argument("--http", choices=HTTP_SERVERS, default="uvicorn",
                        help="HTTP server running the apps (bare and Groundwork alike)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per server")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


Runner = Callable[[str, str, int, float], Result]
"""(url, target, concurrency, seconds) -> result."""


def make_runner(console: Console, client: str, bodies: dict[str, list[bytes]], token: str,
                directory: Path, duration: float) -> tuple[Runner, str]:
    """The load generator to use and a one-line description of it (with a cell's command)."""
    wrk = find_wrk(console) if client != "python" else None
    if client == "wrk" and wrk is None:
        raise SystemExit("wrk is required (--client wrk) but not available")
    if wrk is not None:
        files = {name: write_bodies(directory, name, lines) for name, lines in bodies.items()}

        def with_wrk(url: str, target: str, concurrency: int, seconds: float) -> Result:
            return run_wrk(wrk, url, files[target], token, concurrency, seconds)

        version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        template = shlex.join(wrk_command(wrk, "URL", Path("BODIES"), "TOKEN", 16, duration))
        return with_wrk, f"{(version.stdout or version.stderr).splitlines()[0]}: {template}"

    def with_python(url: str, target: str, concurrency: int, seconds: float) -> Result:
        return run_python(url, bodies[target], token, concurrency, seconds)

    return with_python, ("asyncio keep-alive client in the benchmark process (wrk not used: "
                         "the client shares the cores with the server: numbers are pessimistic)")


def check(url: str, target: str, body: bytes, token: str) -> str:
    """Send one request and describe the answer; fail unless it is a 200."""
    response = httpx.post(url, content=body, timeout=10.0, headers={
        "authorization": f"Bearer {token}", "content-type": "application/json"})
    if response.status_code != 200:
        raise SystemExit(f"{target}: {response.status_code} {response.text[:300]}")
    if target == "bare":
        return "bare: 200"
    answer = response.json()
    statuses = sorted({entry["status"] for entry in answer["freshness"]})
    return f"{target}: 200, {len(answer['freshness'])} entities read ({'/'.join(statuses)})"


def measure(console: Console, runner: Runner, server: Server, targets: list[str],
            bodies: dict[str, list[bytes]], token: str, arguments: argparse.Namespace,
            concurrencies: list[int], notes: list[str]) -> list[Cell]:
    """Start ``server`` and measure each of its targets at every concurrency."""
    cells = []
    with running(server) as process:
        console.print(f"{server.name}: {shlex.join(server.command(0)[:-2])}")
        for target in targets:
            path = "/" if target == "bare" else f"/v1/endpoints/{target}/invoke"
            url = process.url + path
            notes.append(check(url, target, bodies[target][0], token))
            if arguments.warmup > 0:
                runner(url, target, max(concurrencies), arguments.warmup)
            for concurrency in concurrencies:
                before = process.cpu_seconds()
                children_before = process.children_cpu_seconds()
                with console.status(f"{target} at concurrency {concurrency}"):
                    result = runner(url, target, concurrency, arguments.duration)
                after = process.cpu_seconds()
                children_us = ((process.children_cpu_seconds() - children_before)
                               / result.requests * 1e6 if result.requests else None)
                cpu_us = (None if before is None or after is None or not result.requests
                          else (after - before) / result.requests * 1e6)
                console.print(f"  {target} c={concurrency}: {result.per_second:,.0f} req/s, "
                              f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms")
                cells.append(Cell(target, concurrency, result, cpu_us, children_us))
    return cells


def render(cells: list[Cell]) -> Table:
    """The result table, with each target's throughput relative to bare."""
    bare = {cell.concurrency: cell.result.per_second for cell in cells if cell.target == "bare"}
    table = Table(title="serving latency and throughput")
    for column in ("target", "concurrency", "requests/s", "p50 ms", "p99 ms", "vs bare",
                   "server CPU µs/req", "children CPU µs/req", "errors"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for cell in sorted(cells, key=lambda cell: (cell.concurrency, cell.target != "bare")):
        result = cell.result
        ratio = result.per_second / bare[cell.concurrency] if bare.get(cell.concurrency) else 0
        cpu = "n/a" if cell.cpu_us is None else f"{cell.cpu_us:.0f}"
        children = "n/a" if cell.children_cpu_us is None else f"{cell.children_cpu_us:.0f}"
        table.add_row(cell.target, str(cell.concurrency), f"{result.per_second:,.0f}",
                      f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", f"{ratio:.0%}", cpu,
                      children, str(result.errors))
    return table


def load_average() -> str:
    """The 1-minute load average, or ``n/a``."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


def main(argv: list[str]) -> None:
    """Prepare the state, measure every cell, print the table."""
    arguments = parse_arguments(argv)
    console = Console()
    if not console.is_terminal:  # a pipe or a log file: keep the table's columns whole
        console = Console(width=120)
    concurrencies = [int(part) for part in arguments.concurrency.split(",")]
    targets = [name for name in arguments.targets.split(",") if name]
    overrides = {} if arguments.state_dir is None else {"state_dir": arguments.state_dir}
    settings = Settings(sample_scale=arguments.scale, **overrides)
    token = prepare(console, settings)
    bodies = request_bodies(settings, arguments.seed)
    notes: list[str] = []
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="groundwork-bench-") as directory:
        bodies["bare"] = bodies["user_profile"]
        runner, client = make_runner(console, arguments.client, bodies, token, Path(directory),
                                     arguments.duration)
        http, workers = arguments.http, arguments.workers
        cells = measure(console, runner, bare_server(http, workers), ["bare"], bodies, token,
                        arguments, concurrencies, notes)
        cells += measure(console, runner, groundwork_server(settings.state_dir, http, workers),
                         targets, bodies, token, arguments, concurrencies, notes)
    console.print(render(cells))
    console.print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    console.print(f"client:  {client}")
    console.print(f"machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()})"
                  f", Python {platform.python_version()}; nothing pinned: server, wrk and the "
                  f"benchmark share the cores; load average {load_before} before, "
                  f"{load_average()} after (anything else running skews requests/s; server "
                  "CPU per request much less)")
    console.print(f"checked: {'; '.join(notes)}")
    console.print(f"each cell: {arguments.warmup:g} s warm-up per target, "
                  f"{arguments.duration:g} s measured")
    if arguments.json:
        arguments.json.write_bytes(orjson.dumps([
            {"target": cell.target, "concurrency": cell.concurrency,
             "requests_per_second": cell.result.per_second, "p50_ms": cell.result.p50_ms,
             "p99_ms": cell.result.p99_ms, "server_cpu_us_per_request": cell.cpu_us,
             "errors": cell.result.errors} for cell in cells
        ], option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main(sys.argv[1:])
