"""Server-side cost of one endpoint call, in-process, without HTTP.

    .venv/bin/python bench/invoke.py [--state-dir .state] [--calls 5000] [--batches 7] [--profile]

Drives the ASGI app directly (the same ``GroundworkApp`` uvicorn serves) with
the benchmark's request bodies and prints microseconds per call for each
endpoint: the best and the median of ``--batches`` batches, since other load
on the machine only ever adds time. ``--profile`` prints the functions with
the most own time (cProfile) for each endpoint. ``CPU µs/call`` is the
process's CPU time (every thread, background writers included) over all
batches divided by the calls: steadier than wall time on a busy machine. Use
it to measure a change to the serving path before and after; ``bench/serve.py``
measures the whole server under HTTP load.
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
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402
import uvloop  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.workload import prepare, request_bodies  # noqa: E402
from groundwork.server import build_app  # noqa: E402
from groundwork.settings import Settings  # noqa: E402

TARGETS = ("user_profile", "hotel_offers")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="state to serve (default: GROUNDWORK_STATE_DIR, else .state); "
                        "built with the pipeline when it holds no data")
    parser.add_argument("--calls", type=int, default=5_000, help="calls per batch")
    parser.add_argument("--batches", type=int, default=7, help="batches per endpoint")
    parser.add_argument("--targets", default=",".join(TARGETS), help="endpoints to measure")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of one batch per endpoint")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random requests")
    return parser.parse_args(argv)


class Call:
    """One prepared ASGI request to an endpoint, replayed with different bodies."""

    def __init__(self, app: Any, target: str, token: str) -> None:
        self.app = app
        self.scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": f"/v1/endpoints/{target}/invoke",
            "raw_path": f"/v1/endpoints/{target}/invoke".encode(), "root_path": "",
            "query_string": b"", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
            "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                        (b"authorization", f"Bearer {token}".encode())],
        }
        self.body = b""
        self.status = 0
        self.answer = b""

    async def receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        else:
            self.answer = message.get("body", b"")

    async def __call__(self, body: bytes) -> None:
        self.body = body
        await self.app(self.scope, self.receive, self.send)


async def measure(app: Any, target: str, bodies: list[bytes], token: str,
                  arguments: argparse.Namespace,
                  console: Console) -> tuple[list[float], list[float]]:
    """Microseconds per call of each batch: elapsed, and CPU time of the process."""
    call = Call(app, target, token)
    await call(bodies[0])
    if call.status != 200:
        raise SystemExit(f"{target}: {call.status} {call.answer[:300]!r}")
    answer = orjson.loads(call.answer)
    console.print(f"{target}: 200, {len(answer['freshness'])} entities read")
    count = len(bodies)
    for index in range(min(count, 2_000)):  # warm the caches
        await call(bodies[index])
    timings, cpu = [], []
    for _ in range(arguments.batches):
        started, cpu_started = time.perf_counter(), time.process_time()
        for index in range(arguments.calls):
            await call(bodies[index % count])
        timings.append((time.perf_counter() - started) / arguments.calls * 1e6)
        cpu.append((time.process_time() - cpu_started) / arguments.calls * 1e6)
        await asyncio.sleep(0.05)  # let the audit sink flush between batches
    if arguments.profile:
        profile = cProfile.Profile()
        profile.enable()
        for index in range(arguments.calls):
            await call(bodies[index % count])
        profile.disable()
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    return timings, cpu


async def run(arguments: argparse.Namespace, console: Console) -> Table:
    """Measure every target and return the table."""
    overrides = {} if arguments.state_dir is None else {"state_dir": arguments.state_dir}
    settings = Settings(**overrides)
    token = prepare(console, settings)
    bodies = request_bodies(settings, arguments.seed)
    app = build_app(settings)
    table = Table(title=f"in-process cost per call ({arguments.batches} batches of "
                        f"{arguments.calls:,} calls)")
    for column in ("endpoint", "best µs/call", "median µs/call", "calls/s (best)",
                   "CPU µs/call"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    async with app.router.lifespan_context(app):
        for target in (name for name in arguments.targets.split(",") if name):
            timings, cpu = await measure(app, target, bodies[target], token, arguments,
                                         console)
            best = min(timings)
            table.add_row(target, f"{best:.1f}", f"{statistics.median(timings):.1f}",
                          f"{1e6 / best:,.0f}", f"{statistics.median(cpu):.1f}")
    return table


def main(argv: list[str]) -> None:
    """Parse the options, measure, print the table."""
    arguments = parse_arguments(argv)
    console = Console()
    console.print(uvloop.run(run(arguments, console)))


if __name__ == "__main__":
    main(sys.argv[1:])
