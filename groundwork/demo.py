"""``groundwork demo`` and ``groundwork ask``: the travel planner end to end.

The planner acts for one traveller with a token of its own: unless a token file
is given, each question gets a short-lived token of the demo agent bound to the
user it asks about (:func:`groundwork.agent_tokens.mint_bound_token`).
"""

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
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from groundwork.agent_tokens import BoundToken, mint_bound_token
from groundwork.agents import phrases
from groundwork.agents.question import QuestionNotUnderstood, TravelQuestion, example_question
from groundwork.agents.travel_planner import plan_trip
from groundwork.client import AsyncClient
from groundwork.errors import (
    AccessDenied,
    GroundworkError,
    InvalidInput,
    NotAuthenticated,
    ServerUnreachable,
    Unavailable,
)
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


def planner_question(
    settings: Settings, question: str | None, given: Mapping[str, Any],
    today: dt.date | None = None,
) -> str | TravelQuestion:
    """What the planner is asked: the stay read from the question and the given parts.

    A chat model reads a question on its own: it gets the text as written when
    no part is given besides it.

    Args:
        settings: Settings (``chat_model``).
        question: The question, if any.
        given: Parts given besides (``user_id``, ``city``, ``check_in``, ``nights``,
            ``max_price_per_night``, ``min_stars``, ``amenities``, ``sort``); ``None``
            values are not given.
        today: The day relative dates count from; today by default.

    Raises:
        QuestionNotUnderstood: when the stay cannot be read.
    """
    parts = {name: value for name, value in given.items() if value not in (None, [], ())}
    if settings.chat_model is not None and question and not parts:
        return question
    return TravelQuestion.parse(question or "", today=today, **parts)


def acting_user(question: str | TravelQuestion, today: dt.date | None = None) -> int:
    """The user a question asks about, whom the planner's token acts for.

    Raises:
        QuestionNotUnderstood: when the question names no user.
    """
    if isinstance(question, TravelQuestion):
        return question.user_id
    found = phrases.user_ids(phrases.with_digits(question[:2000]))
    if not found:
        raise QuestionNotUnderstood(
            "The question does not say the user id, whom the planner acts for; ask like "
            f"{example_question(today or dt.date.today())!r}.", missing=["user id"])
    return int(str(found[0].value))


def planner_token(
    settings: Settings, question: str | TravelQuestion, *, token_file: Path | None = None,
    on_behalf_of: Mapping[str, int | str] | None = None,
) -> tuple[str, BoundToken | None]:
    """The planner's bearer token: ``token_file``'s as is, else one minted for the traveller.

    Args:
        settings: The settings whose catalog mints the token.
        question: The question; the user it asks about is the binding unless
            ``on_behalf_of`` says otherwise.
        token_file: A file holding the token to use as is.
        on_behalf_of: The entity keys to bind the minted token to, e.g. ``{"user_id": 42}``.

    Raises:
        InvalidInput: when ``token_file`` cannot be read or is empty, or the question
            names no user to bind the token to.
        NotFound: when the catalog or the demo agent does not exist.
    """
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except OSError as error:
            raise InvalidInput(f"cannot read the token file {token_file}: "
                               f"{error.strerror or error}", path=str(token_file)) from None
        if not token:
            raise InvalidInput(f"the token file {token_file} is empty", path=str(token_file))
        return token, None
    bound = mint_bound_token(settings, on_behalf_of or {"user_id": acting_user(question)})
    return bound.token, bound


def ask(console: Console, settings: Settings, url: str, token: str,
        question: str | TravelQuestion, *, today: dt.date | None = None) -> None:
    """Ask the travel planner ``question`` and print its tool calls and answer.

    Raises:
        QuestionNotUnderstood: when the deterministic plan cannot read the question.
        GroundworkError: when the server cannot be reached or refuses to list the tools.
    """
    if settings.chat_model is None:
        console.print("[yellow]No chat model configured (GROUNDWORK_CHAT_MODEL, e.g. "
                      "'openai:gpt-4.1-mini'): running the deterministic plan, which calls the "
                      "same tools in a fixed order.")
    text = question.text() if isinstance(question, TravelQuestion) else question
    console.print(Panel(text, title="question"))

    async def run() -> None:
        async with AsyncClient(url, token) as client:
            try:
                result = await plan_trip(question, client=client, chat_model=settings.chat_model,
                                         transport=settings.agent_transport, today=today)
            except (httpx.HTTPError, OSError, BaseExceptionGroup) as error:
                raise _unreachable(url, error) from None
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


def _unreachable(url: str, error: BaseException) -> BaseException:
    """A failure of the MCP door as the client's own error (one line); anything else as is."""
    if isinstance(error, BaseExceptionGroup):
        found = error.subgroup(lambda inner: isinstance(inner, httpx.HTTPError | OSError
                                                       | GroundworkError))
        if found is None:
            return error
        first: BaseException = found
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        if isinstance(first, GroundworkError):
            return first
        error = first
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        refusal = {401: NotAuthenticated, 403: AccessDenied}.get(response.status_code,
                                                                 Unavailable)
        return refusal(f"Listing Groundwork tools over MCP failed: {url} answered "
                       f"{response.status_code} {response.reason_phrase}", url=url)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ServerUnreachable(f"Could not reach Groundwork at {url}: {reason}", url=url)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def run_demo(console: Console, settings: Settings, question: str | None = None) -> None:
    """Generate data, compute features with Spark, sync, register, serve and ask."""
    from groundwork import pipeline  # Spark and Feast: imported only when needed

    started = time.perf_counter()
    as_of = pipeline.default_as_of()
    asked = planner_question(settings, question or default_question(as_of.date()), {})
    acting_user(asked)  # a question naming no user fails before the long steps
    settings.state_dir.mkdir(parents=True, exist_ok=True)
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
                  f"functions, {registration.endpoints} endpoints, demo agent registered")
    token, bound = planner_token(settings, asked)
    assert bound is not None
    console.print(f"[green]✓[/] the planner acts with {bound.describe()}")
    with server_process(settings, free_port()) as url:
        console.print(f"[green]✓[/] serving on {url} (OpenAPI at {url}/docs)")
        ask(console, settings, url, token, asked)
    console.print(f"done in {time.perf_counter() - started:.0f} s")
