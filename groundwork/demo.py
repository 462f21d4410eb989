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
import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from groundwork.agent_tokens import BoundToken, mint_bound_token
from groundwork.agents import phrases
from groundwork.agents.question import QuestionNotUnderstood, TravelQuestion, example_question
from groundwork.agents.travel_planner import PlanResult, plan_trip
from groundwork.catalog.store import open_catalog
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
        question: str | TravelQuestion, *, today: dt.date | None = None,
        as_json: bool = False) -> None:
    """Ask the travel planner ``question`` and print its tool calls, answer and verification.

    With ``as_json`` it prints one JSON document instead: the answer, its
    verification and the provenance of every figure, down to the sync run
    that wrote each record (when the settings' catalog holds it).

    Raises:
        QuestionNotUnderstood: when the deterministic plan cannot read the question.
        GroundworkError: when the server cannot be reached or refuses to list the tools.
    """
    if settings.chat_model is None and not as_json:
        console.print("[yellow]No chat model configured (GROUNDWORK_CHAT_MODEL, e.g. "
                      "'openai:gpt-4.1-mini'): running the deterministic plan, which calls the "
                      "same tools in a fixed order.")
    text = question.text() if isinstance(question, TravelQuestion) else question
    if not as_json:
        console.print(Panel(text, title="question"))

    async def run() -> None:
        async with AsyncClient(url, token) as client:
            try:
                result = await plan_trip(question, client=client, chat_model=settings.chat_model,
                                         transport=settings.agent_transport, today=today)
            except (httpx.HTTPError, OSError, BaseExceptionGroup) as error:
                raise _unreachable(url, error) from None
        if as_json:
            typer.echo(orjson.dumps(answer_document(settings, text, result),
                                    option=orjson.OPT_INDENT_2).decode())
            return
        table = Table(title=f"tool calls (over {settings.agent_transport.upper()})")
        for column in ("#", "tool", "arguments", "result"):
            table.add_column(column, overflow="fold")
        for number, call in enumerate(result.tool_calls, start=1):
            preview = orjson.dumps(call.result).decode()
            table.add_row(str(number), call.name, orjson.dumps(call.arguments).decode(),
                          preview[:160] + ("…" if len(preview) > 160 else ""))
        console.print(table)
        console.print(Panel(result.answer, title="travel plan"))
        console.print(verification_line(result), highlight=False)

    asyncio.run(run())


def verification_line(result: PlanResult) -> str:
    """One line: what the watcher found, and the answer id its tool calls are audited under."""
    verification = result.verification
    repaired = " after one repair turn" if result.repaired else ""
    mark = "[green]✓ verified[/]" if result.verified else "[red]✗ unverified[/]"
    return (f"{mark}{repaired}: {verification.summary()} "
            f"(answer {verification.answer_id}; groundwork lineage --answer "
            f"{verification.answer_id})")


def answer_document(settings: Settings, question: str, result: PlanResult) -> dict[str, Any]:
    """The answer with its verification and each figure's provenance, JSON-ready.

    Every source of a figure names its tool call, the call's trace id (the
    result id in the audit log), the endpoint, entity, view and the record's
    ``event_ts``; ``sync_run`` is the run that wrote that record, from the
    settings' catalog (``None`` when the catalog is not here or no run reached it).
    """
    verification = result.verification.to_json()
    sources = [source for figure in verification["figures"] for source in figure["sources"]]
    records = {(source["view"], source["event_ts"]) for source in sources
               if source.get("view") and source.get("event_ts")}
    runs = _sync_runs(settings, records)
    for source in sources:
        source["sync_run"] = runs.get((source.get("view"), source.get("event_ts")))
    return {
        "question": question,
        "answer": result.answer,
        "answer_id": verification["answer_id"],
        "verified": verification["verified"],
        "repaired": result.repaired,
        "summary": verification["summary"],
        "tool_calls": [{"name": call.name, "arguments": call.arguments,
                        "trace_id": call.result.get("trace_id")} for call in result.tool_calls],
        "verification": verification,
    }


def _sync_runs(settings: Settings, records: set[tuple[str, str]]
               ) -> dict[tuple[str, str], dict[str, Any] | None]:
    """The sync run that wrote each record (view, ``event_ts``), read in one catalog session.

    Empty when the settings have no catalog here.
    """
    if not records or (settings.catalog_url is None
                       and not (settings.state_dir / "catalog.db").exists()):
        return {}
    found: dict[tuple[str, str], dict[str, Any] | None] = {}
    with open_catalog(settings.resolved_catalog_url, migrate=False) as catalog:
        for view, event_ts in records:
            moment = dt.datetime.fromisoformat(event_ts.replace("Z", "+00:00"))
            run = catalog.sync_history.writer_of(view, moment)
            found[view, event_ts] = None if run is None else {
                "id": run.id, "view": run.view, "store": run.store,
                "started_at": run.started_at.isoformat(),
                "watermark": None if run.watermark is None else run.watermark.isoformat(),
                "rows_written": run.rows_written}
    return found


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
