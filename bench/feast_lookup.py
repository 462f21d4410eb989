"""Server-side cost of Feast's ``POST /get-online-features``, in-process, without HTTP.

    .venv/bin/python bench/feast_lookup.py [--calls 2000] [--batches 7] [--profile] [--http]

Builds a throwaway state (1,000 users and 1,000 hotels written straight into
the embedded SQLite store, the views registered, a token with READ on them),
drives the ASGI app directly and prints, per request shape, microseconds of
wall time and of process CPU per call: the best and the median of
``--batches`` batches (other load on the machine only ever adds time). The
``invoke user_profile`` row is the one-entity endpoint call, for scale.
``--http`` also serves the state with uvicorn (``bench/servers.py``) and
prints, per shape, the server process's CPU per request (``/proc``) and the
median latency of ``--calls`` sequential keep-alive requests, rounds of the
shapes interleaved.
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
import datetime as dt  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402
import orjson  # noqa: E402
import uvloop  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.invoke import Call  # noqa: E402
from bench.servers import groundwork_server, running  # noqa: E402
from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege  # noqa: E402
from groundwork.catalog.store import Catalog  # noqa: E402
from groundwork.features.registry import load_view_specs  # noqa: E402
from groundwork.server import build_app  # noqa: E402
from groundwork.settings import Settings  # noqa: E402
from groundwork.sync.base import OnlineRow  # noqa: E402
from groundwork.sync.sqlite import SQLiteStore  # noqa: E402

ENTITIES = 1_000
PROFILE = ["user_profile:budget_per_night", "user_profile:preferred_stars",
           "user_profile:home_city", "user_profile:preferred_amenities",
           "user_profile:trips_last_year", "user_profile:avg_rating_given",
           "user_profile:last_booking_at"]
TOKEN_FILE = "bench-token"
HOTEL = ["hotel_stats:hotel_name", "hotel_stats:hotel_stars", "hotel_stats:hotel_rating"]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000, help="calls per batch")
    parser.add_argument("--batches", type=int, default=7, help="batches per request shape")
    parser.add_argument("--http", action="store_true",
                        help="also measure over HTTP against a uvicorn server")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of one batch of --profile-shape")
    parser.add_argument("--profile-shape", default="feast 100 users",
                        help="the request shape (name prefix) to profile")
    return parser.parse_args(argv)


async def seed(settings: Settings, now: dt.datetime) -> None:
    """Write :data:`ENTITIES` users and hotels into the embedded store."""
    views = load_view_specs(settings.feature_tables_dir)
    store = SQLiteStore(settings.online_db_path)
    for view in views.values():
        await store.ensure(view)
    event = now - dt.timedelta(hours=1)
    await store.write(views["user_profile"], [OnlineRow(user, {
        "budget_per_night": 100.0 + user % 50, "preferred_stars": 1 + user % 5,
        "home_city": "Lisbon", "preferred_amenities": ["wifi", "spa"], "trips_last_year": user % 7,
        "avg_rating_given": 4.2, "last_booking_at": now - dt.timedelta(days=user % 90),
    }, event, event + dt.timedelta(days=30)) for user in range(ENTITIES)], now)
    await store.write(views["hotel_stats"], [OnlineRow(hotel, {
        "hotel_name": f"Hotel {hotel}", "hotel_city": "Lisbon", "hotel_stars": 1 + hotel % 5,
        "hotel_rating": 4.0, "hotel_review_count": 10, "hotel_amenities": ["wifi"],
        "hotel_latitude": 38.7, "hotel_longitude": -9.1, "bookings_90d": 5,
    }, event, event + dt.timedelta(days=7)) for hotel in range(ENTITIES)], now)
    await store.close()


def register(settings: Settings) -> str:
    """Register the views; a token with READ on every view and EXECUTE on every endpoint."""
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    catalog.create_principal("bench", PrincipalKind.SERVICE)
    catalog.grant("bench", Privilege.READ, ObjectType.FEATURE_VIEW, "*")
    catalog.grant("bench", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    token = catalog.issue_token("bench").token
    catalog.dispose()
    (settings.state_dir / TOKEN_FILE).write_text(token)
    return token


def shapes() -> dict[str, tuple[str, bytes]]:
    """Request shape name to its path and body."""
    users = list(range(0, 2 * ENTITIES, 20))  # 100 users, half of them unknown
    return {
        "feast 1 user x 7 features": ("/get-online-features", orjson.dumps(
            {"features": PROFILE, "entities": {"user_id": [42]}})),
        "feast 100 users x 7 features": ("/get-online-features", orjson.dumps(
            {"features": PROFILE, "entities": {"user_id": users}})),
        "feast 100 rows x (7 + 3) features, 2 views": ("/get-online-features", orjson.dumps(
            {"features": PROFILE + HOTEL,
             "entities": {"user_id": users, "hotel_id": list(range(100))}})),
        "feast 1000 users x 7 features": ("/get-online-features", orjson.dumps(
            {"features": PROFILE, "entities": {"user_id": list(range(ENTITIES))}})),
        "invoke user_profile (1 user)": ("/v1/endpoints/user_profile/invoke",
                                         orjson.dumps({"user_id": 42})),
    }


async def measure(call: Call, body: bytes, arguments: argparse.Namespace
                  ) -> tuple[list[float], list[float]]:
    """Wall and CPU microseconds per call of each batch."""
    await call(body)
    if call.status != 200:
        raise SystemExit(f"{call.scope['path']}: {call.status} {call.answer[:300]!r}")
    for _ in range(200):  # warm the caches
        await call(body)
    walls, cpus = [], []
    for _ in range(arguments.batches):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(arguments.calls):
            await call(body)
        walls.append((time.perf_counter() - wall) / arguments.calls * 1e6)
        cpus.append((time.process_time() - cpu) / arguments.calls * 1e6)
        await asyncio.sleep(0.05)  # let the audit sink flush between batches
    return walls, cpus


async def run(arguments: argparse.Namespace, console: Console, state_dir: Path) -> Table:
    """Measure every request shape and return the table."""
    settings = Settings(state_dir=state_dir)
    await seed(settings, dt.datetime.now(dt.UTC))
    token = register(settings)
    app = build_app(settings)
    table = Table(title=f"in-process cost per call ({arguments.batches} batches of "
                        f"{arguments.calls:,} calls, embedded SQLite)")
    for column in ("request", "best µs", "median µs", "median CPU µs", "answer bytes"):
        table.add_column(column, justify="left" if column == "request" else "right")
    async with app.router.lifespan_context(app):
        for name, (path, body) in shapes().items():
            call = Call(app, "-", token)
            call.scope = {**call.scope, "path": path, "raw_path": path.encode()}
            walls, cpus = await measure(call, body, arguments)
            table.add_row(name, f"{min(walls):.1f}", f"{statistics.median(walls):.1f}",
                          f"{statistics.median(cpus):.1f}", f"{len(call.answer):,}")
            if arguments.profile and name.startswith(arguments.profile_shape):
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(arguments.calls):
                    await call(body)
                profile.disable()
                pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)
    return table


def over_http(arguments: argparse.Namespace, state_dir: Path, token: str) -> Table:
    """Server CPU and median latency per request of each shape, rounds interleaved."""
    cpu: dict[str, list[float]] = {name: [] for name in shapes()}
    latency: dict[str, list[float]] = {name: [] for name in shapes()}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with running(groundwork_server(state_dir)) as server, httpx.Client(
            base_url=server.url, headers=headers, timeout=30) as client:
        for _ in range(arguments.batches):
            for name, (path, body) in shapes().items():
                client.post(path, content=body).raise_for_status()
                before = server.cpu_seconds() or 0.0
                for _ in range(arguments.calls):
                    started = time.perf_counter()
                    client.post(path, content=body)
                    latency[name].append((time.perf_counter() - started) * 1e6)
                cpu[name].append(((server.cpu_seconds() or 0.0) - before) / arguments.calls * 1e6)
    table = Table(title=f"over HTTP ({arguments.batches} interleaved rounds of "
                        f"{arguments.calls:,} sequential requests)")
    for column in ("request", "median server CPU µs", "median latency µs"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for name in shapes():
        table.add_row(name, f"{statistics.median(cpu[name]):.0f}",
                      f"{statistics.median(latency[name]):.0f}")
    return table


def main(argv: list[str]) -> None:
    """Parse the options, build the state, measure, print the tables."""
    arguments = parse_arguments(argv)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="feast-bench-") as directory:
        console.print(uvloop.run(run(arguments, console, Path(directory))))
        if arguments.http:
            token = (Path(directory) / TOKEN_FILE).read_text()
            console.print(over_http(arguments, Path(directory), token))


if __name__ == "__main__":
    main(sys.argv[1:])
