"""Feast and Groundwork side by side, in one run: sync vs materialize, same values, serving load.

    .venv/bin/python bench/feast_vs_groundwork.py [--state-dir DIR] [--rounds 5] [--seconds 3]

1. Prepares the travel data (a temporary state directory unless ``--state-dir``
   names one with feature tables), with Redis as Groundwork's primary store
   (database ``--groundwork-db``), and times ``groundwork sync --full``. Copies
   the Feast repository (``features/``) with its own registry, a Redis online
   store (database ``--feast-db``) and a file offline store over the same
   feature tables; times ``feast apply`` and ``feast materialize``. Grants the
   demo agent READ on ``user_profile`` (which ``/get-online-features`` needs).
2. Starts ``feast serve`` (one worker, no access log, no worker recycling),
   ``groundwork serve`` and the bare uvicorn app of ``bare_app.py``; with
   ``--baseline CHECKOUT``, also ``groundwork serve`` from that checkout (an
   earlier commit, say) on the same data, loaded in the same rounds, so a change
   is measured before and after in one run.
3. Checks that Feast and Groundwork serve the same ``user_profile`` values for
   random users (Groundwork's invoke, and its ``/get-online-features`` and
   ``invoke-many`` when the server has them); a difference exits 1.
4. Loads every target in short interleaved rounds (order reversed each round)
   with a closed-loop keep-alive client that times every request, at each
   connection count and entity count; reports medians over the rounds.

Server CPU per request comes from /proc (the server process, its threads and
its workers); the client's own CPU per request is reported too, as it shares
the machine's cores with the servers.
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
import random  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

import httpx  # noqa: E402
import orjson  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench import feast_check as check  # noqa: E402
from bench import feast_stack as stack  # noqa: E402
from bench.loadgen import run_python  # noqa: E402
from bench.workload import build_state, demo_token, missing_data  # noqa: E402
from groundwork.agent_tokens import DEMO_PRINCIPAL  # noqa: E402
from groundwork.settings import Settings  # noqa: E402
from groundwork.sync.config import RedisStoreConfig  # noqa: E402

BODY_POOL = 1_000
"""Random bodies per target and entity count, sent in turn."""
CHECK_USERS = 500


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="state directory to reuse (built there when it holds no feature "
                        "tables); default: a temporary one, built with Spark")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="sample-data scale when the state has to be built")
    parser.add_argument("--groundwork-db", type=int, default=13,
                        help="Redis database of Groundwork's store (emptied)")
    parser.add_argument("--feast-db", type=int, default=14,
                        help="Redis database of Feast's online store (emptied)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per cell")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per target a round")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="unmeasured seconds per target before each cell's rounds")
    parser.add_argument("--connections", default="1,16", help="comma-separated connections")
    parser.add_argument("--entities", default="1,100", help="comma-separated entities/request")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random users")
    parser.add_argument("--checkout", type=Path, default=stack.REPOSITORY,
                        help="Groundwork checkout that `groundwork sync` and `groundwork serve` "
                        "run (default: this one); the demo token is read in this process, so "
                        "its catalog schema must not be newer than this checkout's")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another Groundwork checkout (e.g. a git worktree of an earlier "
                        "commit) served beside this one on the same data and loaded in the "
                        "same interleaved rounds: before and after in one run; it opens the "
                        "same catalog, so it must know the catalog's schema revision")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    arguments = parser.parse_args(argv)
    if arguments.groundwork_db == arguments.feast_db:
        parser.error("--groundwork-db and --feast-db must differ")
    return arguments


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to load: a server, a path and the bodies to send it.

    Attributes:
        name: Label in the table.
        server: ``bare``, ``feast`` or ``groundwork``.
        path: POST path.
        bodies: Bodies sent in turn.
    """

    name: str
    server: str
    path: str
    bodies: list[bytes]


@dataclass(frozen=True, slots=True)
class Cell:
    """Medians over the rounds of one target at one connection and entity count."""

    target: str
    connections: int
    entities: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_us: float
    client_cpu_us: float
    errors: int


@dataclass(frozen=True, slots=True)
class SyncTimes:
    """Wall seconds (start-up included) of loading the online stores, and rows written."""

    rows: int
    groundwork_sync_seconds: float
    feast_apply_seconds: float
    feast_materialize_seconds: float


def settings_for(arguments: argparse.Namespace, state_dir: Path) -> Settings:
    """Groundwork's settings: the state directory, Redis as the primary store."""
    store = RedisStoreConfig(url=f"redis://{stack.REDIS_HOST}:{stack.REDIS_PORT}/"
                             f"{arguments.groundwork_db}", key_prefix="feastbench")
    return Settings(state_dir=state_dir, store=store, sample_scale=arguments.scale)


def groundwork_environment(settings: Settings, checkout: Path) -> dict[str, str]:
    """Environment of Groundwork's child processes: the same state and store.

    The store's settings are those set here only, so a ``--baseline`` checkout whose
    store settings have fewer fields reads them too.
    """
    store = orjson.dumps({"type": settings.store.type,
                          **settings.store.model_dump(mode="json", exclude_unset=True)}).decode()
    return stack.child_environment(checkout.resolve(),
                                   GROUNDWORK_STATE_DIR=str(settings.state_dir.resolve()),
                                   GROUNDWORK_STORE=store)


def load_stores(console: Console, settings: Settings, directory: Path,
                arguments: argparse.Namespace) -> tuple[Path, SyncTimes, str]:
    """Fill both Redis databases; the Feast repository, the times and the demo token."""
    if missing_data(settings):
        console.print(f"[yellow]building the travel data in {settings.state_dir} (Spark)")
        build_state(console, settings)
    environment = groundwork_environment(settings, arguments.checkout)
    with console.status("groundwork sync --full"):
        sync_seconds = stack.timed("groundwork sync --full",
                                   stack.groundwork_command("sync", "--full"), environment)
    token = demo_token(settings)
    stack.grant_read(check.VIEW, DEMO_PRINCIPAL, environment)
    repo = stack.feast_repo(directory, settings.state_dir, arguments.feast_db)
    feast_environment = stack.child_environment()
    with console.status("feast apply"):
        apply_seconds = stack.timed("feast apply", stack.feast_command(
            "--chdir", str(repo), "apply"), feast_environment)
    end = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 7 * 86_400))
    with console.status("feast materialize"):
        materialize_seconds = stack.timed("feast materialize", stack.feast_command(
            "--chdir", str(repo), "materialize", "1970-01-01T00:00:00", end), feast_environment)
    times = SyncTimes(stack.online_rows(settings.feature_tables_dir), sync_seconds,
                      apply_seconds, materialize_seconds)
    return repo, times, token


@contextmanager
def servers(settings: Settings, repo: Path, directory: Path, checkout: Path,
            baseline: Path | None = None) -> Iterator[dict[str, stack.Running]]:
    """Feast, Groundwork (and its baseline) and bare, all running until the block ends."""
    with ExitStack() as stop:
        started = {}
        chosen = [("feast", stack.feast_server(repo), stack.child_environment(), "/health"),
                  ("groundwork", stack.groundwork_server(),
                   groundwork_environment(settings, checkout), "/readyz"),
                  ("bare", stack.bare_server(), stack.child_environment(), "/")]
        if baseline is not None:
            chosen.append(("baseline", stack.groundwork_server(),
                           groundwork_environment(settings, baseline), "/readyz"))
        for name, (command, port), environment, ready in chosen:
            started[name] = stop.enter_context(stack.running(
                name, command, environment, ready, port, directory / f"{name}.log"))
        yield started


def check_values(console: Console, running: dict[str, stack.Running], known: list[int],
                 token: str, seed: int) -> tuple[bool, bool, list[str]]:
    """Compare Groundwork's answers with Feast's for random users.

    Returns:
        Whether Groundwork serves ``/get-online-features`` and ``invoke-many``, and notes.

    Raises:
        check.Mismatch: when a value differs.
    """
    ids = random.Random(seed).sample(known, min(CHECK_USERS, len(known)))
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    feast, groundwork = running["feast"].url, running["groundwork"].url
    with httpx.Client(timeout=30.0) as client:
        expected = check.online_features(client, feast, ids, headers)
        check.compare(expected, check.invoked(client, groundwork, ids, headers), ids,
                      "groundwork invoke")
        notes = [f"{len(ids)} users: feast == groundwork invoke"]
        has_online = check.probe(client, groundwork, check.ONLINE_FEATURES_PATH,
                                 check.online_features_body(ids[:1]), headers)
        if has_online:
            check.compare(expected, check.online_features(client, groundwork, ids, headers),
                          ids, "groundwork get-online-features")
            notes.append("feast == groundwork get-online-features")
        has_many = check.probe(client, groundwork, check.INVOKE_MANY_PATH,
                               check.invoke_many_body(ids[:1]), headers)
        if has_many:
            rows = check.invoked_many(client, groundwork, ids, headers)
            if rows is None:
                notes.append("invoke-many answers 200 (shape unknown: values not compared)")
            else:
                check.compare(expected, rows, ids, "groundwork invoke-many")
                notes.append("feast == groundwork invoke-many")
    for label, present in (("get-online-features", has_online), ("invoke-many", has_many)):
        if not present:
            notes.append(f"groundwork has no {label} (404): skipped")
    console.print("checked: " + "; ".join(notes))
    return has_online, has_many, notes


def targets(entities: int, pool: check.Bodies, has_online: bool, has_many: bool,
            baseline: bool = False) -> list[Target]:
    """What to load at ``entities`` per request."""
    chosen = [Target("bare", "bare", "/", pool.online_features),
              Target("feast", "feast", check.ONLINE_FEATURES_PATH, pool.online_features)]
    if entities == 1:
        chosen.append(Target("groundwork invoke", "groundwork", check.INVOKE_PATH, pool.invoke))
    if has_online:
        chosen.append(Target("groundwork get-online-features", "groundwork",
                             check.ONLINE_FEATURES_PATH, pool.online_features))
    if has_many and entities > 1:
        chosen.append(Target("groundwork invoke-many", "groundwork", check.INVOKE_MANY_PATH,
                             pool.invoke_many))
    if baseline:
        chosen += [Target(target.name.replace("groundwork", "baseline"), "baseline", target.path,
                          target.bodies)
                   for target in chosen if target.server == "groundwork"]
    return chosen


def one_round(server: stack.Running, target: Target, token: str, connections: int,
              seconds: float) -> tuple[float, float, float, float, float, int]:
    """Load ``target`` once: req/s, p50, p99, server and client CPU µs/request, errors."""
    server_before, client_before = server.cpu_seconds(), time.process_time()
    result = run_python(server.url + target.path, target.bodies, token, connections, seconds)
    server_after, client_after = server.cpu_seconds(), time.process_time()
    requests = max(result.requests, 1)
    return (result.per_second, result.p50_ms, result.p99_ms,
            (server_after - server_before) / requests * 1e6,
            (client_after - client_before) / requests * 1e6, result.errors)


def measure(console: Console, running: dict[str, stack.Running], chosen: list[Target],
            token: str, connections: int, entities: int,
            arguments: argparse.Namespace) -> list[Cell]:
    """Interleaved rounds of every target, order reversed each round; medians."""
    for target in chosen:
        run_python(running[target.server].url + target.path, target.bodies, token, connections,
                   arguments.warmup)
    samples: dict[str, list[tuple[float, float, float, float, float, int]]] = {
        target.name: [] for target in chosen}
    for number in range(arguments.rounds):
        for target in chosen if number % 2 == 0 else chosen[::-1]:
            with console.status(f"c={connections} entities={entities} round {number + 1}: "
                                f"{target.name}"):
                samples[target.name].append(one_round(running[target.server], target, token,
                                                      connections, arguments.seconds))
    cells = []
    for target in chosen:
        columns = list(zip(*samples[target.name], strict=True))
        medians = [statistics.median(column) for column in columns[:5]]
        cells.append(Cell(target.name, connections, entities, requests_per_second=medians[0],
                          p50_ms=medians[1], p99_ms=medians[2], server_cpu_us=medians[3],
                          client_cpu_us=medians[4], errors=int(sum(columns[5]))))
        console.print(f"  c={connections} e={entities} {target.name}: {medians[0]:,.0f} req/s, "
                      f"p50 {medians[1]:.2f} ms, p99 {medians[2]:.2f} ms, "
                      f"server {medians[3]:.0f} µs/req")
    return cells


def render(cells: list[Cell], times: SyncTimes) -> Table:
    """The result table: ratios against Feast and server CPU against bare."""
    table = Table(title="Feast vs Groundwork: user_profile from Redis (medians of rounds)",
                  caption=sync_line(times))
    for column in ("target", "conns", "entities", "req/s", "p50 ms", "p99 ms", "server µs/req",
                   "client µs/req", "errors", "req/s ÷ feast", "feast p99 ÷ p99", "CPU ÷ bare"):
        table.add_column(column, justify="left" if column == "target" else "right",
                         no_wrap=column == "target")
    index = {(cell.target, cell.connections, cell.entities): cell for cell in cells}
    for cell in cells:
        feast = index.get(("feast", cell.connections, cell.entities))
        bare = index.get(("bare", cell.connections, cell.entities))
        compared = feast is not None and cell.target.startswith(("groundwork", "baseline"))
        table.add_row(
            cell.target, str(cell.connections), str(cell.entities),
            f"{cell.requests_per_second:,.0f}", f"{cell.p50_ms:.2f}", f"{cell.p99_ms:.2f}",
            f"{cell.server_cpu_us:.0f}", f"{cell.client_cpu_us:.0f}", str(cell.errors),
            f"{cell.requests_per_second / feast.requests_per_second:.2f}"
            if compared and feast and feast.requests_per_second else "",
            f"{feast.p99_ms / cell.p99_ms:.2f}" if compared and feast and cell.p99_ms else "",
            f"{cell.server_cpu_us / bare.server_cpu_us:.1f}"
            if bare and bare.server_cpu_us and cell.target != "bare" else "")
    return table


def sync_line(times: SyncTimes) -> str:
    """Groundwork's full sync against Feast's materialize, both from process start."""
    def rate(seconds: float) -> str:
        return f"{times.rows / seconds:,.0f} rows/s" if seconds else "n/a"

    return (f"{times.rows:,} rows: groundwork sync --full {times.groundwork_sync_seconds:.1f} s "
            f"({rate(times.groundwork_sync_seconds)}); feast materialize "
            f"{times.feast_materialize_seconds:.1f} s ({rate(times.feast_materialize_seconds)})"
            f", after feast apply {times.feast_apply_seconds:.1f} s")


def run(console: Console, arguments: argparse.Namespace, directory: Path) -> None:
    """Every step of the benchmark, with servers and Redis databases released on exit."""
    state_dir = arguments.state_dir or directory / "state"
    settings = settings_for(arguments, state_dir)
    for database in (arguments.groundwork_db, arguments.feast_db):
        stack.claim_redis_db(database)
    try:
        repo, times, token = load_stores(console, settings, directory, arguments)
        console.print(sync_line(times))
        known = check.users(settings.feature_tables_dir)
        chooser = random.Random(arguments.seed)
        cells: list[Cell] = []
        with servers(settings, repo, directory, arguments.checkout,
                     arguments.baseline) as running:
            has_online, has_many, notes = check_values(console, running, known, token,
                                                       arguments.seed)
            for entities in (int(part) for part in arguments.entities.split(",")):
                pool = check.bodies(chooser, known, entities, BODY_POOL)
                chosen = targets(entities, pool, has_online, has_many,
                                 arguments.baseline is not None)
                for connections in (int(part) for part in arguments.connections.split(",")):
                    cells += measure(console, running, chosen, token, connections, entities,
                                     arguments)
    finally:
        for database in (arguments.groundwork_db, arguments.feast_db):
            stack.release_redis_db(database)
    console.print(render(cells, times))
    console.print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")
    console.print(f"client: closed-loop asyncio keep-alive ({arguments.rounds} rounds x "
                  f"{arguments.seconds:g} s per target and cell, {arguments.warmup:g} s warm-up),"
                  f" in this process; {os.cpu_count()} cores shared by client and servers")
    if arguments.json:
        arguments.json.write_bytes(orjson.dumps(
            {"sync": asdict(times), "checked": notes, "cells": [asdict(cell) for cell in cells],
             "rounds": arguments.rounds, "seconds": arguments.seconds},
            option=orjson.OPT_INDENT_2))


def interrupted(signal_number: int, frame: object) -> None:
    """Handle SIGTERM as Ctrl-C, so that servers and child processes stop either way."""
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    """Run the benchmark; 1 on a value mismatch, 2 on a setup error, 130 on Ctrl-C or SIGTERM."""
    arguments = parse_arguments(argv)
    signal.signal(signal.SIGTERM, interrupted)
    console = Console() if Console().is_terminal else Console(width=160)
    try:
        with tempfile.TemporaryDirectory(prefix="feast-vs-groundwork-") as directory:
            run(console, arguments, Path(directory))
    except check.Mismatch as error:
        console.print(f"[red]mismatch: {error}")
        return 1
    except stack.SetupError as error:
        console.print(f"[red]error: {error}")
        return 2
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: servers stopped")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
