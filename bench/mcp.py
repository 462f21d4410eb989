"""The same endpoint over MCP and over REST: server CPU and latency per call, in one run.

    .venv/bin/python bench/mcp.py [--state-dir .state] [--endpoint user_profile]
                                  [--rounds 9] [--calls 400]

One ``groundwork serve`` process (one uvicorn worker). A blocking client on
one keep-alive connection sends ``--calls`` calls per round through one door,
then through the other (the order alternates each round), timestamping each
request; the server's CPU time (user + system, from /proc) is read before and
after each round. Reported: the median over rounds of server CPU per call and
of the client's p50 / p99 latency, and the MCP / REST ratio of CPU per call.
MCP calls are single JSON-RPC ``tools/call`` POSTs to ``/mcp`` as the official
client sends them after ``initialize`` (stateless streamable HTTP, JSON
responses); every answer is checked to be a success.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR.parent))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import httpx  # noqa: E402
import orjson  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.servers import Running, groundwork_server, running  # noqa: E402
from bench.workload import prepare, request_bodies  # noqa: E402
from groundwork.settings import Settings  # noqa: E402

MCP_HEADERS = {"Accept": "application/json, text/event-stream",
               "Mcp-Protocol-Version": "2025-06-18"}

Call = Callable[[httpx.Client, bytes], None]


def rest_call(name: str) -> Call:
    """One REST invoke of ``name`` with a JSON body."""
    def call(client: httpx.Client, body: bytes) -> None:
        response = client.post(f"/v1/endpoints/{name}/invoke", content=body,
                               headers={"Content-Type": "application/json"})
        if response.status_code != 200:
            raise RuntimeError(f"REST call failed: {response.status_code} {response.text[:200]}")
    return call


def mcp_call(name: str) -> Call:
    """One MCP ``tools/call`` of ``name`` with the same arguments."""
    def call(client: httpx.Client, body: bytes) -> None:
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": name, "arguments": orjson.loads(body)}}
        response = client.post("/mcp", content=orjson.dumps(message),
                               headers={**MCP_HEADERS, "Content-Type": "application/json"})
        if response.status_code != 200 or response.json()["result"]["isError"]:
            raise RuntimeError(f"MCP call failed: {response.status_code} {response.text[:200]}")
    return call


def measure(server: Running, client: httpx.Client, call: Call,
            bodies: list[bytes]) -> tuple[float, list[float]]:
    """Server CPU µs per call and each call's latency in ms, for one round."""
    latencies = []
    before = server.cpu_seconds()
    for body in bodies:
        started = time.perf_counter()
        call(client, body)
        latencies.append((time.perf_counter() - started) * 1000)
    after = server.cpu_seconds()
    if before is None or after is None:
        raise RuntimeError("server CPU time is unreadable (no /proc)")
    return (after - before) * 1e6 / len(bodies), latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".state"))
    parser.add_argument("--endpoint", default="user_profile")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=400)
    arguments = parser.parse_args()
    console = Console()
    settings = Settings(state_dir=arguments.state_dir)
    token = prepare(console, settings)
    bodies = request_bodies(settings, seed=7)[arguments.endpoint][:arguments.calls]
    doors = {"rest": rest_call(arguments.endpoint), "mcp": mcp_call(arguments.endpoint)}
    cpu: dict[str, list[float]] = {door: [] for door in doors}
    p50: dict[str, list[float]] = {door: [] for door in doors}
    p99: dict[str, list[float]] = {door: [] for door in doors}
    with (running(groundwork_server(settings.state_dir)) as server,
          httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                       timeout=30) as client):
        for call in doors.values():  # warm both paths (caches, first-call costs)
            measure(server, client, call, bodies[:50])
        for number in range(arguments.rounds):
            order = list(doors) if number % 2 == 0 else list(reversed(doors))
            for door in order:
                per_call, latencies = measure(server, client, doors[door], bodies)
                cpu[door].append(per_call)
                p50[door].append(percentile(latencies, 0.50))
                p99[door].append(percentile(latencies, 0.99))
    table = Table(title=f"{arguments.endpoint}: {arguments.rounds} rounds × "
                        f"{len(bodies)} calls per door, medians over rounds")
    for column in ("door", "server CPU µs/call", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "door" else "right")
    for door in doors:
        table.add_row(door, f"{statistics.median(cpu[door]):.0f}",
                      f"{statistics.median(p50[door]):.2f}", f"{statistics.median(p99[door]):.2f}")
    console.print(table)
    ratio = statistics.median(cpu["mcp"]) / statistics.median(cpu["rest"])
    console.print(f"MCP / REST server CPU per call: {ratio:.2f}×")


if __name__ == "__main__":
    main()
