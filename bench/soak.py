"""Soak test: one ``groundwork serve`` process at a fixed request rate for a long time.

    .venv/bin/python bench/soak.py [--state-dir .state] [--rate 200] [--duration 600]

One server (one uvicorn worker, the benchmark's settings) serves the state
directory (built by the pipeline when it holds no data). The client sends
requests on a fixed schedule — request ``i`` is due at ``start + i / rate``,
whether or not earlier ones have answered (an open loop, so a stalled server
shows up as latency instead of a lower send rate) — cycling through every
target: each travel endpoint over REST (``POST /v1/endpoints/{name}/invoke``)
and over MCP (a JSON-RPC ``tools/call`` POST to ``/mcp``), and the REST tool
listing. Each request is timestamped when due, when sent and when answered;
an answer counts as an error unless it is a 200 (and, over MCP, a result
whose ``isError`` is false). The schedule feeds a queue that ``--connections``
workers drain, one keep-alive connection each.

Printed at the end: per target, requests, errors, p50 / p99 / max latency
(answered − sent) and p99 from the due time (which adds any wait in the
client); the achieved rate; the server's RSS when serving started, after the
warm-up and at the end (sampled every ``--sample-every`` seconds), and its CPU
time per request.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import orjson  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.servers import Running, groundwork_server, running  # noqa: E402
from bench.workload import BODIES_PER_TARGET, prepare, request_bodies  # noqa: E402
from groundwork.settings import Settings  # noqa: E402

MCP_HEADERS = {"Accept": "application/json, text/event-stream",
               "Mcp-Protocol-Version": "2025-06-18", "Content-Type": "application/json"}
JSON_HEADERS = {"Content-Type": "application/json"}
ENDPOINTS = ("user_profile", "hotel_details", "hotel_offers")


@dataclass(frozen=True, slots=True)
class Target:
    """One kind of request.

    Attributes:
        label: Name in the output, e.g. ``rest user_profile``.
        method: HTTP method.
        path: Request path.
        bodies: Request bodies, sent in turn (empty for a GET).
        headers: Extra request headers.
        mcp: Whether the answer is a JSON-RPC result whose ``isError`` must be false.
    """

    label: str
    method: str
    path: str
    bodies: list[bytes]
    headers: dict[str, str]
    mcp: bool = False

    @property
    def request_head(self) -> bytes:
        """The request line and this target's own headers."""
        lines = [f"{self.method} {self.path} HTTP/1.1",
                 *(f"{name}: {value}" for name, value in self.headers.items())]
        return ("\r\n".join(lines) + "\r\n").encode()


@dataclass(slots=True)
class Outcomes:
    """What one target's requests measured, in seconds of ``time.perf_counter``."""

    latencies: list[float] = field(default_factory=list)
    from_due: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


class Connection:
    """One keep-alive HTTP/1.1 connection, written and parsed by hand (cheap: no client library).

    Args:
        url: Base URL of the server, e.g. ``http://127.0.0.1:8000``.
        token: Bearer token sent with every request.
    """

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._head = f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n".encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, target: Target, body: bytes | None) -> tuple[int, bytes]:
        """Send one request; return the status code and the body (reconnects when closed)."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        try:
            writer.write(target.request_head + self._head + b"Content-Length: %d\r\n\r\n"
                         % len(body or b"") + (body or b""))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = _headers(head)
            if headers.get(b"transfer-encoding") == b"chunked":
                content = await _chunked(reader)
            else:
                content = await reader.readexactly(int(headers.get(b"content-length", 0)))
            if headers.get(b"connection") == b"close":
                self.close()
            return status, content
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection; the next request opens a new one."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _headers(head: bytes) -> dict[bytes, bytes]:
    """Header names (lower case) to values of a response head."""
    fields = (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
    return {name.strip().lower(): value.strip().lower() for name, _, value in fields}


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    """The body of a chunked response."""
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return b"".join(parts)


def hotel_bodies(settings: Settings, seed: int) -> list[bytes]:
    """``hotel_details`` bodies: random hotel ids that the feature table holds."""
    table = pq.read_table(settings.feature_tables_dir / "hotel_stats", columns=["hotel_id"])
    hotels = sorted(pc.unique(table.column("hotel_id")).to_pylist())
    chooser = random.Random(seed)
    return [orjson.dumps({"hotel_id": chooser.choice(hotels)}) for _ in range(BODIES_PER_TARGET)]


def targets(settings: Settings, seed: int) -> list[Target]:
    """Every endpoint over REST and over MCP, and the REST tool listing."""
    bodies = {**request_bodies(settings, seed), "hotel_details": hotel_bodies(settings, seed)}
    result = [Target("rest tools", "GET", "/v1/tools", [], {})]
    for name in ENDPOINTS:
        result.append(Target(f"rest {name}", "POST", f"/v1/endpoints/{name}/invoke",
                             bodies[name], JSON_HEADERS))
        calls = [orjson.dumps({"jsonrpc": "2.0", "id": number, "method": "tools/call",
                               "params": {"name": name, "arguments": orjson.loads(body)}})
                 for number, body in enumerate(bodies[name])]
        result.append(Target(f"mcp {name}", "POST", "/mcp", calls, MCP_HEADERS, mcp=True))
    return result


def failure(target: Target, status: int, content: bytes) -> str | None:
    """Why an answer is an error, or ``None`` when it is a success."""
    if status != 200:
        return f"HTTP {status}"
    if target.mcp:
        result = orjson.loads(content).get("result")
        if not isinstance(result, dict) or result.get("isError"):
            return "MCP isError"
    return None


def rss_mib(pid: int) -> float | None:
    """Resident set size of a process in MiB (``None`` where /proc is missing)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Soak:
    """Sends requests on a fixed schedule through a fixed set of connections, keeping every time.

    A scheduler puts each request on a queue when it is due; ``connections``
    workers, one keep-alive connection each, take them in order. A server that
    falls behind makes the queue grow (cheaply) and shows up as latency from
    the due time, not as a lower send rate or a slower client.

    Args:
        url: The server's base URL.
        token: Bearer token sent with every request.
        targets: The requests to cycle through.
        rate: Requests per second.
        connections: Workers (and connections) sending requests.
    """

    def __init__(self, url: str, token: str, targets: list[Target], rate: float,
                 connections: int) -> None:
        self._url = url
        self._token = token
        self._targets = targets
        self._rate = rate
        self._connections = connections
        self.outcomes = {target.label: Outcomes() for target in targets}
        self.answered = 0
        self.queued_behind = 0

    async def run(self, seconds: float, *, record: bool) -> float:
        """Send ``rate × seconds`` requests on schedule; return the seconds until all answered."""
        queue: asyncio.Queue[tuple[Target, bytes | None, float] | None] = asyncio.Queue()
        workers = [asyncio.create_task(self._worker(queue, record))
                   for _ in range(self._connections)]
        started = time.perf_counter()
        for number in range(round(self._rate * seconds)):
            due = started + number / self._rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            target = self._targets[number % len(self._targets)]
            turn = number // len(self._targets)
            body = target.bodies[turn % len(target.bodies)] if target.bodies else None
            if record and queue.qsize() >= self._connections:
                self.queued_behind += 1
            queue.put_nowait((target, body, due))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        return time.perf_counter() - started

    async def _worker(self, queue: asyncio.Queue[tuple[Target, bytes | None, float] | None],
                      record: bool) -> None:
        connection = Connection(self._url, self._token)
        while (item := await queue.get()) is not None:
            target, body, due = item
            sent = time.perf_counter()
            try:
                status, content = await asyncio.wait_for(connection.request(target, body), 30)
                problem = failure(target, status, content)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                problem = type(error).__name__
            answered = time.perf_counter()
            if record:
                outcomes = self.outcomes[target.label]
                outcomes.latencies.append(answered - sent)
                outcomes.from_due.append(answered - due)
                self.answered += 1
                if problem is not None:
                    outcomes.errors[problem] += 1
        connection.close()


async def sample_rss(console: Console, soak: Soak, pid: int, every: float,
                     samples: list[tuple[float, float]]) -> None:
    """Append ``(seconds since start, RSS MiB)`` every ``every`` seconds, printing progress."""
    started = time.perf_counter()
    while True:
        value = rss_mib(pid)
        elapsed = time.perf_counter() - started
        if value is not None:
            samples.append((elapsed, value))
        console.print(f"{elapsed:6.0f} s: {soak.answered:,} answered, RSS {value or 0:.1f} MiB",
                      highlight=False)
        await asyncio.sleep(every)


def percentile(ordered: list[float], fraction: float) -> float:
    """The value at ``fraction`` of a sorted list (0 when empty)."""
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def report(console: Console, soak: Soak, elapsed: float, rate: float) -> int:
    """Print the per-target table; return the number of errors."""
    table = Table(title=f"{elapsed:.0f} s at {rate:g} requests/s requested")
    for column in ("target", "requests", "errors", "p50 ms", "p99 ms", "max ms",
                   "p99 from due ms"):
        table.add_column(column, justify="left" if column == "target" else "right")
    errors = 0
    for label, outcomes in soak.outcomes.items():
        latencies = sorted(outcomes.latencies)
        from_due = sorted(outcomes.from_due)
        failed = sum(outcomes.errors.values())
        errors += failed
        table.add_row(label, f"{len(latencies):,}", f"{failed:,}",
                      f"{percentile(latencies, 0.50) * 1000:.2f}",
                      f"{percentile(latencies, 0.99) * 1000:.2f}",
                      f"{(latencies[-1] if latencies else 0) * 1000:.1f}",
                      f"{percentile(from_due, 0.99) * 1000:.2f}")
        for problem, count in outcomes.errors.most_common(3):
            console.print(f"[red]{label}: {count} × {problem}")
    console.print(table)
    return errors


async def soak_server(console: Console, server: Running, token: str, arguments: argparse.Namespace,
                      chosen: list[Target]) -> int:
    """Warm up, soak, and report; return the number of errors."""
    rss_start = rss_mib(server.pid)
    samples: list[tuple[float, float]] = []
    soak = Soak(server.url, token, chosen, arguments.rate, arguments.connections)
    await soak.run(arguments.warmup, record=False)
    cpu_before = server.cpu_seconds()
    client_before = time.process_time()
    sampler = asyncio.create_task(
        sample_rss(console, soak, server.pid, arguments.sample_every, samples))
    elapsed = await soak.run(arguments.duration, record=True)
    sampler.cancel()
    cpu_after = server.cpu_seconds()
    client_cpu = time.process_time() - client_before
    rss_end = rss_mib(server.pid)
    errors = report(console, soak, elapsed, arguments.rate)
    answered = soak.answered
    console.print(f"achieved {answered / elapsed:.1f} requests/s ({answered:,} answered in "
                  f"{elapsed:.1f} s; {soak.queued_behind:,} queued behind a full set of "
                  f"connections); {errors:,} errors")
    if cpu_before is not None and cpu_after is not None and answered:
        console.print(f"server CPU {(cpu_after - cpu_before) * 1e6 / answered:.0f} µs/request "
                      f"({(cpu_after - cpu_before) / elapsed * 100:.0f}% of one core); client CPU "
                  f"{client_cpu / elapsed * 100:.0f}% of one core; machine load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    values = [value for _, value in samples]
    console.print(f"server RSS MiB: {rss_start or 0:.1f} when serving started, "
                  f"{values[0] if values else 0:.1f} after the warm-up, {rss_end or 0:.1f} at "
                  f"the end (min {min(values, default=0):.1f}, max {max(values, default=0):.1f})")
    console.print("RSS samples (s: MiB): " + ", ".join(
        f"{seconds:.0f}: {value:.1f}" for seconds, value in samples))
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="state to serve (default: GROUNDWORK_STATE_DIR, else .state)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=16,
                        help="connections (one sending worker each)")
    parser.add_argument("--sample-every", type=float, default=30.0,
                        help="seconds between RSS samples")
    parser.add_argument("--seed", type=int, default=11)
    arguments = parser.parse_args()
    console = Console(width=120)
    overrides = {} if arguments.state_dir is None else {"state_dir": arguments.state_dir}
    settings = Settings(**overrides)
    token = prepare(console, settings)
    chosen = targets(settings, arguments.seed)
    console.print(f"soaking {len(chosen)} targets at {arguments.rate:g} requests/s for "
                  f"{arguments.duration:g} s (after {arguments.warmup:g} s of warm-up)")
    with running(groundwork_server(settings.state_dir)) as server:
        errors = asyncio.run(soak_server(console, server, token, arguments, chosen))
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
