"""The ``groundwork`` command line."""

from __future__ import annotations

import datetime as dt
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from groundwork import infra
from groundwork.catalog_cli import add_catalog_commands
from groundwork.errors import GroundworkError, MissingExtra, NotAuthenticated
from groundwork.extras import STORE_EXTRAS, from_import_error, require
from groundwork.settings import PRIMARY, Settings
from groundwork.sync.engines import SyncEngine

app = typer.Typer(help="Serve features and functions to GenAI apps.", no_args_is_help=True)
console = Console()
MISSING_EXTRA_STATUS = 2
"""Exit status when a command needs an extra that is not installed."""
E = TypeVar("E", bound=BaseException)
EXPECTED_ERROR_STATUS = 2
"""Exit status of an expected error (bad input, unknown name, server down)."""

ViewOption = Annotated[list[str] | None, typer.Option("--view", help="Feature view (repeatable).")]


def _settings() -> Settings:
    return Settings()


def _show_version(show: bool) -> None:
    if show:
        typer.echo(f"groundwork {version('groundwork')}")
        raise typer.Exit()


@app.callback()
def main_callback(
    show_version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print the installed version and exit.")] = False,
) -> None:
    """Serve features and functions to GenAI apps."""


def _store_extras(settings: Settings, stores: list[str]) -> list[str]:
    configs = settings.store_configs()
    return [STORE_EXTRAS[configs[name].type] for name in stores
            if configs[name].type in STORE_EXTRAS]


def _catalog_extras(settings: Settings) -> list[str]:
    return ["postgres"] if settings.resolved_catalog_url.startswith("postgresql") else []


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column("name")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    return table


@app.command("generate")
def generate_command(
    scale: Annotated[float | None, typer.Option(help="Multiplier on row counts.")] = None,
    as_of: Annotated[str | None, typer.Option(help="ISO moment the data describes.")] = None,
) -> None:
    """Generate the deterministic travel sample data (Parquet) in the state directory."""
    require("spark", "feast", needed_by="groundwork generate")
    from groundwork import pipeline

    settings = _settings()
    if scale is not None:
        settings = settings.model_copy(update={"sample_scale": scale})
    moment = dt.datetime.fromisoformat(as_of) if as_of else pipeline.default_as_of()
    with console.status("generating sample data") as status:
        counts = pipeline.generate_data(settings, moment, lambda text: status.update(text))
    console.print(_counts_table(f"raw data in {settings.raw_dir}", counts))


@app.command("compute")
def compute_command(
    views: ViewOption = None,
    as_of: Annotated[str | None, typer.Option(
        help="ISO moment the raw data describes (default: the one `generate` recorded).")] = None,
) -> None:
    """Run the Spark job of each feature view (master from GROUNDWORK_SPARK_MASTER)."""
    require("spark", "feast", needed_by="groundwork compute")
    from groundwork import pipeline

    settings = _settings()
    moment = dt.datetime.fromisoformat(as_of) if as_of else pipeline.recorded_as_of(settings)
    with console.status("running Spark jobs") as status:
        counts = pipeline.compute_features(settings, moment, views,
                                           lambda text: status.update(text))
    console.print(_counts_table(f"feature tables in {settings.feature_tables_location}", counts))


@app.command("sync")
def sync_command(
    views: ViewOption = None,
    store: Annotated[str, typer.Option(help="Target store: `primary` or a name in "
                                       "GROUNDWORK_STORES.")] = PRIMARY,
    full: Annotated[bool, typer.Option(help="Re-sync everything, ignoring watermarks.")] = False,
    partitions: Annotated[int | None, typer.Option(min=1, help="Parallel writers.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Rows per write call.")] = None,
    engine: Annotated[SyncEngine | None, typer.Option(
        help="`arrow`: in this process, no JVM; `spark`: one Spark job on the configured "
             "master; `auto`: Arrow for local tables up to a size, Spark past it "
             "(default GROUNDWORK_SYNC_ENGINE, else auto).")] = None,
) -> None:
    """Sync the latest value per entity into an online store (Arrow or Spark).

    Incremental by default (a watermark per view and store, kept in the
    catalog). Exits 1 when any row failed or a view's table could not be read.
    """
    settings = _settings()
    chosen = engine.value if engine is not None else settings.sync_engine
    stores = [store] if store in settings.store_configs() else []
    engine_extras = {"spark": ["spark"], "arrow": ["arrow"]}.get(chosen, ["arrow"])
    require(*engine_extras, *_store_extras(settings, stores), *_catalog_extras(settings),
            needed_by="groundwork sync")
    from groundwork import pipeline
    from groundwork.progress import sync_progress

    with sync_progress(console) as update:
        reports = pipeline.sync_views(settings, views, store=store, full=full, progress=update,
                                      partitions=partitions, batch_size=batch_size,
                                      engine=chosen)
    table = Table(title=f"sync into {settings.store_key(store)}")
    for column in ("view", "read", "written", "skipped (older)", "failed", "watermark"):
        table.add_column(column, justify="left" if column in ("view", "watermark") else "right")
    for report in reports:
        table.add_row(report.view, f"{report.rows_read:,}", f"{report.rows_written:,}",
                      f"{report.rows_skipped:,}", f"{report.rows_failed:,}",
                      str(report.watermark or "-"))
    console.print(table)
    for report in reports:
        for error in report.errors:
            console.print(f"[red]{report.view}: {error}")
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


@app.command("register")
def register_command() -> None:
    """Register views, functions and endpoints in the catalog; issue the demo agent's token."""
    settings = _settings()
    require("spark", "feast", *_catalog_extras(settings), needed_by="groundwork register")
    from groundwork import pipeline

    registration = pipeline.register(settings)
    console.print(f"registered {registration.views} views, {registration.functions} functions, "
                  f"{registration.endpoints} endpoints; demo token in {registration.token_file}")


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Worker processes on the one port (default GROUNDWORK_WORKERS, "
                            "else 1); each has its own stores and audit sink.")] = None,
) -> None:
    """Serve the REST API for an existing state directory."""
    from groundwork.server import serve

    settings = _settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    serving = [PRIMARY, *settings.view_stores.values()]
    server_extras = ["granian"] if settings.http_server == "granian" else []
    require(*_store_extras(settings, serving), *_catalog_extras(settings), *server_extras,
            needed_by="groundwork serve")
    serve(settings, host=host or settings.host, port=port or settings.port)


@app.command("mcp")
def mcp_command() -> None:
    """Serve the endpoints as MCP tools over stdio (for clients that launch a process).

    The bearer token comes from the GROUNDWORK_TOKEN environment variable; the
    tools are the endpoints that token may execute.
    """
    import asyncio
    import os

    from groundwork.mcp_stdio import TOKEN_VARIABLE, serve_stdio

    settings = _settings()
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        _fail(f"set {TOKEN_VARIABLE} to the bearer token the MCP tools run as")
    try:
        asyncio.run(serve_stdio(settings, token))
    except BaseException as error:  # task groups wrap what they raise in groups
        refused = _first(error, NotAuthenticated)
        if refused is None:
            raise
        _fail(f"{TOKEN_VARIABLE} does not authenticate: {refused.message}")


@app.command("ask")
def ask_command(
    question: Annotated[str | None, typer.Argument(
        help="e.g. 'Plan 3 nights in Lisbon from 2026-12-04 for user 42, under €150 a night'; "
             "optional when the flags give the user, city, check-in and nights.")] = None,
    user: Annotated[int | None, typer.Option(help="The traveller's user id.")] = None,
    city: Annotated[str | None, typer.Option(help="Destination city.")] = None,
    check_in: Annotated[str | None, typer.Option(
        help="Arrival: 2026-12-04, 4 December, tomorrow, next Friday…")] = None,
    nights: Annotated[int | None, typer.Option(help="Number of nights.")] = None,
    max_price: Annotated[float | None, typer.Option(
        help="Highest price per night, in EUR.")] = None,
    min_stars: Annotated[int | None, typer.Option(help="Fewest stars, 1 to 5.")] = None,
    sort: Annotated[str | None, typer.Option(help="price, rating or fit.")] = None,
    amenity: Annotated[list[str] | None, typer.Option(
        help="Amenity every hotel must have (repeatable).")] = None,
    url: Annotated[str | None, typer.Option(help="Base URL of a running server.")] = None,
    token_file: Annotated[Path | None, typer.Option(
        help="File holding the bearer token to use as is (default: mint a 15-minute token "
             "of the demo agent bound to the user asked about).")] = None,
    on_behalf_of: Annotated[list[str] | None, typer.Option(
        help="Bind the minted token to these entities instead, e.g. user_id=42.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the answer, its verification and each figure's provenance "
                       "as JSON.")] = False,
) -> None:
    """Ask the travel planner a question through a running server.

    The flags complete the question or win over it. Exits with status 2 and one
    line when the question cannot be read or the server cannot be reached.
    """
    require("langchain", needed_by="groundwork ask")
    from groundwork.catalog_cli import parse_entities
    from groundwork.demo import ask, planner_question, planner_token

    settings = _settings()
    base_url = url or f"http://{settings.host}:{settings.port}"
    given = {"user_id": user, "city": city, "check_in": check_in, "nights": nights,
             "max_price_per_night": max_price, "min_stars": min_stars, "sort": sort,
             "amenities": amenity}
    try:
        asked = planner_question(settings, question, given)
        token, bound = planner_token(settings, asked, token_file=token_file,
                                     on_behalf_of=parse_entities(on_behalf_of))
        if bound is not None:
            (Console(stderr=True) if as_json else console).print(
                f"acting with {bound.describe()}", markup=False, highlight=False)
        ask(console, settings, base_url, token, asked, as_json=as_json)
    except GroundworkError as error:
        _fail(error.message)


@app.command("eval")
def eval_command(
    questions: Annotated[Path | None, typer.Argument(
        help="JSON-lines file of questions (default: a golden set drawn from the sample "
             "data in the state directory).")] = None,
    url: Annotated[str | None, typer.Option(help="Base URL of a running server.")] = None,
    count: Annotated[int | None, typer.Option(
        min=7, max=1000, help="Questions drawn (default 60).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the drawing.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
    = False,
) -> None:
    """Score the travel planner on questions whose answers the sample data knows.

    Exits 1 when an answer is wrong or holds a figure no fresh tool result
    holds, and 2 with one line on an expected error (no raw data, server down).
    """
    require("spark", "langchain", needed_by="groundwork eval")
    from groundwork.evaluate import print_report, run_eval

    settings = _settings()
    base_url = url or f"http://{settings.host}:{settings.port}"
    try:
        with Console(stderr=True).status("asking the travel planner") as status:
            report = run_eval(settings, base_url, questions_file=questions, count=count,
                              seed=seed, progress=lambda number, question: status.update(
                                  f"question {number}: {question.text[:80]}"))
    except GroundworkError as error:
        _fail(error.message)
    print_report(console, report, as_json=json_output)
    if not report.passed:
        raise typer.Exit(1)


@app.command("demo")
def demo_command(
    question: Annotated[str | None, typer.Option(help="Question for the travel planner.")] = None,
) -> None:
    """Run the travel planner end to end on embedded defaults."""
    settings = _settings()
    require("spark", "feast", "langchain", *_store_extras(settings, [PRIMARY]),
            *_catalog_extras(settings), needed_by="groundwork demo")
    from groundwork.demo import run_demo

    try:
        run_demo(console, settings, question)
    except GroundworkError as error:
        _fail(error.message)


add_catalog_commands(app)
app.add_typer(infra.app, name="infra")


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``groundwork`` script.

    A command that needs an extra that is not installed prints one line naming
    it and exits with status 2, never a traceback; so does a domain error no
    command turned into its own line (a catalog out of reach, for one).
    """
    arguments = sys.argv[1:] if args is None else args
    try:
        app(arguments, prog_name="groundwork")
    except MissingExtra as error:
        _fail_missing_extra(error)
    except GroundworkError as error:
        _fail(error.message)
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        _fail(invalid_setting(error))
    except ModuleNotFoundError as error:
        command = " ".join(["groundwork", *arguments[:1]])
        missing = from_import_error(error, command)
        if missing is None:
            raise
        _fail_missing_extra(missing)


def invalid_setting(error: ValidationError) -> str:
    """One line naming the first ``GROUNDWORK_*`` setting that does not validate, and why."""
    problem = error.errors(include_url=False, include_input=False)[0]
    location = [str(part) for part in problem["loc"]]
    if not location:
        return f"invalid settings: {problem['msg']}"
    where = f" ({'.'.join(location[1:])})" if len(location) > 1 else ""
    return f"invalid setting GROUNDWORK_{location[0].upper()}{where}: {problem['msg']}"


def _first(error: BaseException, kind: type[E]) -> E | None:
    """``error`` itself, or the first exception of that kind inside (nested) groups."""
    if isinstance(error, kind):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = _first(inner, kind)
            if found is not None:
                return found
    return None


def _fail(message: str) -> NoReturn:
    """An expected error: one red line on stderr and exit status 2, never a traceback."""
    Console(stderr=True).print(f"error: {message}", style="red", markup=False,
                               highlight=False, soft_wrap=True)
    raise SystemExit(EXPECTED_ERROR_STATUS)


def _fail_missing_extra(error: MissingExtra) -> None:
    Console(stderr=True).print(f"error: {error.message}", style="red", markup=False,
                               highlight=False, soft_wrap=True)
    raise SystemExit(MISSING_EXTRA_STATUS)
