"""Load generators: ``wrk`` (C, negligible client cost) or, failing that, an asyncio client.

Both keep connections alive, send the pre-built bodies in turn, and report
requests per second with the 50th and 99th latency percentiles.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from rich.console import Console

LUA_SCRIPT = Path(__file__).resolve().parent / "load.lua"


@dataclass(frozen=True, slots=True)
class Result:
    """One measured cell.

    Attributes:
        requests: Completed requests.
        seconds: Measured duration.
        p50_ms: Median latency.
        p99_ms: 99th percentile latency.
        errors: Socket errors, timeouts and non-2xx answers.
    """

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def find_wrk(console: Console) -> str | None:
    """Path of ``wrk``; installed with apt when running as root and missing."""
    path = shutil.which("wrk")
    if path or os.geteuid() != 0 or shutil.which("apt-get") is None:
        if path is None:
            console.print("[yellow]wrk is not installed (Debian: `apt-get install wrk`, as root)")
        return path
    console.print("installing wrk with apt-get")
    for command in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"],
                    ["apt-get", "install", "-y", "wrk"]):
        done = subprocess.run(command, capture_output=True, check=False,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if done.returncode == 0 and shutil.which("wrk"):
            break
    path = shutil.which("wrk")
    if path is None:
        console.print("[yellow]could not install wrk with apt-get")
    return path


def wrk_command(wrk: str, url: str, bodies: Path, token: str, concurrency: int,
                seconds: float) -> list[str]:
    """The wrk command line of one cell (one thread: the server has the other core)."""
    return [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
            "-s", str(LUA_SCRIPT), url, "--", str(bodies), token]


def run_wrk(wrk: str, url: str, bodies: Path, token: str, concurrency: int,
            seconds: float) -> Result:
    """Run wrk for one cell and parse the line ``load.lua`` prints."""
    done = subprocess.run(wrk_command(wrk, url, bodies, token, concurrency, seconds),
                          capture_output=True, text=True, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK_RESULT ")),
                None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    report = orjson.loads(line.removeprefix("WRK_RESULT "))
    errors = sum(report[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    return Result(requests=report["requests"], seconds=report["duration_us"] / 1e6,
                  p50_ms=report["p50_us"] / 1000, p99_ms=report["p99_us"] / 1000, errors=errors)


def run_python(url: str, bodies: list[bytes], token: str, concurrency: int,
               seconds: float) -> Result:
    """The fallback: ``concurrency`` keep-alive HTTP/1.1 connections from one asyncio loop."""
    return asyncio.run(_python_cell(url, bodies, token, concurrency, seconds))


def _raw_requests(url: str, bodies: list[bytes], token: str) -> list[bytes]:
    parts = urlsplit(url)
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n").encode()
    return [head + b"Content-Length: %d\r\n\r\n" % len(body) + body for body in bodies]


async def _python_cell(url: str, bodies: list[bytes], token: str, concurrency: int,
                       seconds: float) -> Result:
    requests = _raw_requests(url, bodies, token)
    parts = urlsplit(url)
    latencies: list[int] = []
    errors = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def connection(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        index = offset
        try:
            while time.perf_counter() < deadline:
                index = (index + 1) % len(requests)
                sent = time.perf_counter_ns()
                writer.write(requests[index])
                head = await reader.readuntil(b"\r\n\r\n")
                length = _content_length(head)
                await reader.readexactly(length)
                latencies.append(time.perf_counter_ns() - sent)
                if not head.startswith((b"HTTP/1.1 2", b"HTTP/1.0 2")):
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(n * 997) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(requests=len(latencies), seconds=elapsed,
                  p50_ms=_percentile(latencies, 0.50) / 1e6,
                  p99_ms=_percentile(latencies, 0.99) / 1e6, errors=errors)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _percentile(ordered: list[int], fraction: float) -> float:
    if not ordered:
        return 0.0
    return float(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))])
