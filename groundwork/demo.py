"""``groundwork demo``: the travel planner end to end on embedded defaults."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import orjson
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from groundwork.agents.travel_planner import plan_trip
from groundwork.client import AsyncClient
from groundwork.net import free_port, stop_process, wait_ready
from groundwork.progress import sync_progress
from groundwork.settings import Settings


def default_question(today: dt.date) -> str:
    """A question whose dates fall inside the sample data's 90 days of prices."""
    check_in = today + dt.timedelta(days=13)
    return f"Plan 3 nights in Lisbon from {check_in.isoformat()} for user 42"


@contextmanager
def server_process(settings: Settings, port: int, timeout: float = 60.0,
                   environment: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run ``groundwork serve`` in a child process until the block ends; yield its URL.

    ``environment`` adds variables to the child's (``GROUNDWORK_*`` settings).
    """
    environment = {**os.environ, **(environment or {}),
                   "GROUNDWORK_STATE_DIR": str(settings.state_dir.resolve())}
    command = [sys.executable, "-m", "groundwork", "serve", "--host", "127.0.0.1",
               "--port", str(port)]
    process = subprocess.Popen(command, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/readyz", process, timeout)
        yield url
    finally:
        stop_process(process, timeout=15)


def ask(console: Console, settings: Settings, url: str, token: str, question: str) -> None:
    """Ask the travel planner ``question`` and print its tool calls and answer."""
    if settings.chat_model is None:
        console.print("[yellow]No chat model configured (GROUNDWORK_CHAT_MODEL, e.g. "
                      "'openai:gpt-4.1-mini'): running the deterministic plan, which calls the "
                      "same tools in a fixed order.")
    console.print(Panel(question, title="question"))

    async def run() -> None:
        async with AsyncClient(url, token) as client:
            result = await plan_trip(question, client=client, chat_model=settings.chat_model,
                                     transport=settings.agent_transport)
        table = Table(title=f"tool calls (over {settings.agent_transport.upper()})")
        for column in ("#", "tool", "arguments", "result"):
            table.add_column(column, overflow="fold")
        for number, call in enumerate(result.tool_calls, start=1):
            preview = orjson.dumps(call.result).decode()
            table.add_row(str(number), call.name, orjson.dumps(call.arguments).decode(),
                          preview[:160] + ("…" if len(preview) > 160 else ""))
        console.print(table)
        console.print(Panel(result.answer, title="travel plan"))

    asyncio.run(run())


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def run_demo(console: Console, settings: Settings, question: str | None = None) -> None:
    """Generate data, compute features with Spark, sync, register, serve and ask."""
    from groundwork import pipeline  # Spark and Feast: imported only when needed

    started = time.perf_counter()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    as_of = pipeline.default_as_of()
    console.rule("[bold]Groundwork travel planner")
    with console.status("generating sample data") as status:
        counts = pipeline.generate_data(settings, as_of, lambda text: status.update(text))
    console.print("[green]✓[/] sample data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    with pipeline.spark_for(settings) as spark:
        with console.status(f"running Spark jobs on {settings.spark_master}") as status:
            counts = pipeline.compute_features(settings, as_of, spark=spark,
                                               progress=lambda text: status.update(text))
        console.print(f"[green]✓[/] feature tables: {_counts(counts)}")
        with sync_progress(console) as update:
            reports = pipeline.sync_views(settings, spark=spark, progress=update)
    for report in reports:
        console.print(f"[green]✓[/] synced {report.view} into {settings.store.type}: "
                      f"{report.rows_written:,} written, "
                      f"{report.rows_skipped:,} skipped as older, {report.rows_failed} failed")
    registration = pipeline.register(settings)
    console.print(f"[green]✓[/] catalog: {registration.views} views, {registration.functions} "
                  f"functions, {registration.endpoints} endpoints, demo agent token issued")
    token = Path(str(registration.token_file)).read_text().strip()
    with server_process(settings, free_port()) as url:
        console.print(f"[green]✓[/] serving on {url} (OpenAPI at {url}/docs)")
        ask(console, settings, url, token, question or default_question(as_of.date()))
    console.print(f"done in {time.perf_counter() - started:.0f} s")
