"""Sync benchmark: the platform's Spark sync into every online store, next to a raw write loop.

    .venv/bin/python bench/sync.py [--rows 100000,1000000] [--stores sqlite,redis,dynamodb,cosmos]
                                   [--dynamodb-max-rows 100000] [--cosmos-max-rows 20000]
                                   [--repeat 1] [--quick] [--sync-only] [--partitions N]

For every store and row count, in one run, each measurement against a fresh server:

- **sync**: ``sync.spark_job.sync_view`` (what ``groundwork sync`` runs: Spark ``local[*]``,
  default partitions and batch size) on a synthetic Parquet feature table, one row per
  entity, six features of mixed types (float, int, string, bool, timestamp, list of ints),
  microsecond UTC timestamps, a TTL. Timed from the call to its return; the Spark session is
  already up and its Python workers have imported the store's client (a small unmeasured
  sync first).
- **raw**: a plain loop with the same client library against the same kind of server, in as
  many processes as the sync has Spark partitions, each with the store client's concurrency:
  Redis pipelined ``SET key value PXAT`` (the same value bytes), 5,000 per pipeline;
  DynamoDB unconditional ``PutItem`` (the same item), 64 in flight; Cosmos DB
  ``upsert_item`` (the same document), 64 in flight; SQLite ``executemany`` of
  ``INSERT OR REPLACE``, 5,000 rows per transaction, the store's pragmas (two processes
  beat one: SQLite takes one writer at a time, but the encoding runs in parallel). Rows are
  Python dicts in memory before the clock starts; the loop encodes each one (orjson) and
  writes it.
- **split**: right after every sync, its Spark plan once more with a writer that only counts
  rows (Spark read + latest per entity + shuffle + encoding to the stored form in the JVM +
  Arrow to Python); ``write`` is the sync's time minus that (client, server). Approximate:
  separate runs, and inside the sync the JVM and the Python workers share the cores.
- **CPU**: seconds the server process used during each timed write, and the client side
  (sync: this process, the JVM and Spark's Python workers; raw: its worker processes).
  Unlike wall time, CPU per row barely depends on what else runs on the machine.

DynamoDB and Cosmos DB take one request per row (~0.35-0.5 ms of SDK client CPU each, plus
the local server's work), a few thousand rows/s on two cores, so their row counts are capped
by default (the cap is printed; raise it with ``--dynamodb-max-rows`` / ``--cosmos-max-rows``,
0 = none).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Python puts bench/ first on sys.path, where this file would shadow the `sync` package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pyspark  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from groundwork.features.spark import spark_session  # noqa: E402
from groundwork.features.spec import ValueType, ViewSpec  # noqa: E402
from groundwork.sync.config import (  # noqa: E402
    SQLiteStoreConfig,
)
from groundwork.sync.spark_job import encoded_latest, sync_view  # noqa: E402
from groundwork.sync.writer import EVENT_TS  # noqa: E402

sys.path.append(str(BENCH_DIR))  # the `sync` package is loaded: the sibling module is safe
import sync_servers  # noqa: E402
from sync_raw import ENTITY, FEATURES, TTL_SECONDS, run_raw  # noqa: E402

STORES = ("sqlite", "redis", "dynamodb", "cosmos")
QUICK_ROWS = 20_000
WARMUP_ROWS = 2_000
REDIS_TARGET_SECONDS = 60.0
RATIO_TARGET = 0.8
NOT_RUN = float("nan")  # a figure --sync-only leaves out


# ---------------------------------------------------------------- the synthetic feature table

def feature_view(name: str, path: Path) -> ViewSpec:
    """The benchmark's view over the feature table at ``path``."""
    return ViewSpec(name=name, entity=ENTITY, entity_type=ValueType.INT, features=FEATURES,
                    ttl_seconds=TTL_SECONDS, source_path=str(path))


def write_feature_table(directory: Path, rows: int, seed: int = 7, files: int = 4) -> Path:
    """Write ``rows`` entities (one row each) as Parquet files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(seed)
    now = int(dt.datetime.now(dt.UTC).timestamp()) * 1_000_000
    month = 30 * 86_400 * 1_000_000
    keys = generator.permutation(rows).astype(np.int64)
    items = generator.integers(0, 1_000_000, size=rows * 5)
    columns = {
        ENTITY: pa.array(keys),
        EVENT_TS: pa.array(now - generator.integers(0, month, rows), pa.timestamp("us", "UTC")),
        "score": pa.array(generator.random(rows)),
        "visits_30d": pa.array(generator.integers(0, 500, rows)),
        "segment": pa.DictionaryArray.from_arrays(
            pa.array(generator.integers(0, 40, rows).astype(np.int32)),
            pa.array([f"segment-{index:02d}" for index in range(40)]),
        ).cast(pa.string()),
        "is_active": pa.array(generator.random(rows) < 0.7),
        "last_seen": pa.array(now - generator.integers(0, month, rows), pa.timestamp("us", "UTC")),
        "recent_items": pa.ListArray.from_arrays(pa.array(np.arange(0, rows * 5 + 1, 5)),
                                                 pa.array(items)),
    }
    table = pa.table(columns)
    step = -(-rows // files)
    for index, start in enumerate(range(0, rows, step)):
        pq.write_table(table.slice(start, step), directory / f"part-{index}.parquet")
    return directory


# ---------------------------------------------------------------- Spark split

def _count(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield pa.RecordBatch.from_pylist([{"rows": sum(batch.num_rows for batch in batches)}])


def spark_split(spark: SparkSession, view: ViewSpec, partitions: int) -> tuple[float, float]:
    """Seconds of the sync's Spark plan (encoding in the JVM included) feeding a row counter.

    Returned twice, as (spark, spark + conversion): the rows reach the writer in the stored
    form, so no conversion to Python objects is left to time.
    """
    frame = encoded_latest(spark, view, None).coalesce(partitions)
    writer: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]] = _count
    started = time.perf_counter()
    frame.mapInArrow(writer, "rows long").collect()
    seconds = time.perf_counter() - started
    return seconds, seconds


# ---------------------------------------------------------------- the run

@dataclass(frozen=True, slots=True)
class Timing:
    """One timed write: wall seconds, CPU seconds of the server and of the client side.

    The client side of a sync is this process, the JVM and Spark's Python workers; of a raw
    loop, its worker processes.
    """

    seconds: float
    server_cpu: float
    rows: int
    client_cpu: float


@dataclass(frozen=True, slots=True)
class Measurement:
    """One row of the result table."""

    store: str
    rows: int
    asked: int
    sync: Timing
    raw: Timing
    spark_seconds: float
    convert_seconds: float
    problems: tuple[str, ...]
    load: float


@contextlib.contextmanager
def server(store: str, directory: Path, label: str) -> Iterator[sync_servers.RunningServer]:
    """A fresh server (or SQLite file) for one measurement."""
    if store == "sqlite":
        yield sync_servers.RunningServer(SQLiteStoreConfig(path=directory / f"{label}.db"), None)
        return
    start = {"redis": sync_servers.redis_server, "dynamodb": sync_servers.dynalite_server,
             "cosmos": sync_servers.cosmos_server}[store]
    with start() as running:
        yield running


def timed_sync(spark: SparkSession, store: str, view: ViewSpec, warmup: ViewSpec,
               directory: Path, label: str, partitions: int | None = None,
               ) -> tuple[Timing, list[str]]:
    """Sync ``view`` into a fresh server, after an unmeasured small sync of ``warmup``."""
    with server(store, directory, label) as running:
        sync_view(spark, warmup, running.config, default_path=directory / "warmup.db")
        servers = () if running.pid is None else (running.pid,)
        client = sync_servers.tree_cpu_seconds(os.getpid(), skip=servers)
        cpu, started = running.cpu_seconds(), time.perf_counter()
        report = sync_view(spark, view, running.config, default_path=directory / "online.db",
                           partitions=partitions)
        seconds, cpu = time.perf_counter() - started, running.cpu_seconds() - cpu
        client = sync_servers.tree_cpu_seconds(os.getpid(), skip=servers) - client
    return Timing(seconds, cpu, report.rows_written, client), report.errors[:1]


def timed_raw(store: str, table: Path, workers: int, directory: Path, label: str) -> Timing:
    """Run the raw loop against a fresh server."""
    with server(store, directory, label) as running:
        cpu = running.cpu_seconds()
        seconds, written, client = run_raw(store, running.config, table, workers)
        return Timing(seconds, running.cpu_seconds() - cpu, written, client)


def measure(spark: SparkSession, store: str, rows: int, asked: int, tables: dict[int, Path],
            directory: Path, repeat: int, *, partitions: int | None = None,
            sync_only: bool = False) -> Measurement:
    """Fastest of ``repeat`` syncs and of ``repeat`` raw loops, each on a fresh server.

    Each sync is followed at once by its split (the same Spark plan without the store), so
    both see the same load on the machine.
    """
    view = feature_view("bench", tables[rows])
    warmup = feature_view("warmup", tables[WARMUP_ROWS])
    writers = partitions or spark.sparkContext.defaultParallelism
    syncs: list[tuple[Timing, tuple[float, float]]] = []
    raws: list[Timing] = []
    problems: list[str] = []
    for attempt in range(repeat):
        timing, errors = timed_sync(spark, store, view, warmup, directory,
                                    f"sync-{rows}-{attempt}", partitions)
        split = (NOT_RUN, NOT_RUN) if sync_only else spark_split(spark, view, writers)
        syncs.append((timing, split))
        if timing.rows != rows:
            problems.append(f"sync wrote {timing.rows:,}/{rows:,} {errors}")
        if sync_only:
            raws.append(Timing(NOT_RUN, NOT_RUN, rows, NOT_RUN))
            continue
        raw = timed_raw(store, tables[rows], writers, directory, f"raw-{rows}-{attempt}")
        raws.append(raw)
        if raw.rows != rows:
            problems.append(f"raw wrote {raw.rows:,}/{rows:,}")
    sync, split = min(syncs, key=lambda pair: pair[0].seconds)
    raw = min(raws, key=lambda timing: timing.seconds)
    return Measurement(store, rows, asked, sync, raw, *split, tuple(problems),
                       load=os.getloadavg()[0])


def ratio(cell: Measurement) -> float:
    """Sync rows/s over raw rows/s."""
    return cell.raw.seconds / cell.sync.seconds


def cpu_ratio(cell: Measurement) -> float:
    """Raw CPU seconds (client + server) over the sync's: the rows/s ratio when CPU-bound."""
    sync = cell.sync.client_cpu + cell.sync.server_cpu
    return (cell.raw.client_cpu + cell.raw.server_cpu) / sync if sync else 0.0


def target(cell: Measurement) -> str:
    """The issue's target for this cell, and whether it is met."""
    if cell.store == "redis":
        if cell.rows != 1_000_000:
            return "n/a (<1M)"
        return "met" if cell.sync.seconds < REDIS_TARGET_SECONDS else "MISSED"
    if cell.store in ("dynamodb", "cosmos"):
        return "met" if ratio(cell) >= RATIO_TARGET else "MISSED"
    return "-"


def render(console: Console, measurements: list[Measurement]) -> None:
    """Print the result table."""
    table = Table(title="sync into online stores: platform (Spark sync_view) vs raw write loop")
    columns = ("store", "rows", "sync rows/s", "raw rows/s", "sync/raw", "by CPU", "sync s",
               "raw s", "spark s", "write s", "client µs/row sync/raw",
               "server µs/row sync/raw", "load", "target")
    for column in columns:
        table.add_column(column, justify="left" if column in ("store", "target") else "right")
    for cell in measurements:
        client = (f"{cell.sync.client_cpu / cell.rows * 1e6:.1f}/"
                  f"{cell.raw.client_cpu / cell.rows * 1e6:.1f}")
        server = (f"{cell.sync.server_cpu / cell.rows * 1e6:.1f}/"
                  f"{cell.raw.server_cpu / cell.rows * 1e6:.1f}")
        table.add_row(
            cell.store, f"{cell.rows:,}" + (" (cap)" if cell.rows < cell.asked else ""),
            f"{cell.rows / cell.sync.seconds:,.0f}", f"{cell.rows / cell.raw.seconds:,.0f}",
            f"{ratio(cell):.1%}", f"{cpu_ratio(cell):.0%}", f"{cell.sync.seconds:.1f}",
            f"{cell.raw.seconds:.1f}", f"{cell.spark_seconds:.1f}",
            f"{max(0.0, cell.sync.seconds - cell.convert_seconds):.1f}",
            client, "-" if cell.store == "sqlite" else server, f"{cell.load:.1f}", target(cell),
        )
    console.print(table)
    for cell in measurements:
        for problem in cell.problems:
            console.print(f"[red]{cell.store} {cell.rows:,}: {problem}")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--stores", default=",".join(STORES), help="comma-separated stores")
    parser.add_argument("--dynamodb-max-rows", type=int, default=100_000,
                        help="cap of DynamoDB row counts (one request per row); 0 = no cap")
    parser.add_argument("--cosmos-max-rows", type=int, default=20_000,
                        help="cap of Cosmos DB row counts (one request per row); 0 = no cap")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_ROWS:,} rows in every store")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per cell (sync and raw each); the fastest counts")
    parser.add_argument("--master", default="local[*]", help="Spark master URL")
    parser.add_argument("--partitions", type=int, default=None,
                        help="the sync's parallel writers (default: Spark's parallelism)")
    parser.add_argument("--end-to-end", type=Path, default=None, metavar="STATE_DIR",
                        help="instead: time `groundwork sync --full` (start-up included) into a "
                        "fresh Redis, on a state directory `make demo` prepared")
    parser.add_argument("--sync-only", action="store_true",
                        help="time only the platform's sync (no raw loop, no Spark split)")
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    stores = [name.strip() for name in arguments.stores.split(",") if name.strip()]
    unknown = sorted(set(stores) - set(STORES))
    if unknown:
        parser.error(f"unknown store(s) {', '.join(unknown)}; known: {', '.join(STORES)}")
    arguments.stores = stores
    arguments.rows = [QUICK_ROWS] if arguments.quick else [
        int(value) for value in arguments.rows.split(",") if value.strip()]
    return arguments


def plan(arguments: argparse.Namespace) -> list[tuple[str, int, int]]:
    """(store, rows, rows asked for) of every measurement, caps applied, no duplicates."""
    caps = {"dynamodb": arguments.dynamodb_max_rows, "cosmos": arguments.cosmos_max_rows}
    cells: list[tuple[str, int, int]] = []
    for store in arguments.stores:
        done: set[int] = set()
        for asked in arguments.rows:
            rows = min(asked, caps.get(store) or asked)
            if rows not in done:
                done.add(rows)
                cells.append((store, rows, asked))
    return cells


def _child_pids() -> list[int]:
    """Processes whose parent is this one (from ``/proc/<pid>/stat``)."""
    children = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            if entry.name.isdigit() and int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                children.append(int(entry.name))
    return children


def _reap_all_but(server: int | None, deadline_seconds: float = 120.0) -> None:
    """Wait until every child of this process but ``server`` has exited, and reap it."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        children = [pid for pid in _child_pids() if pid != server]
        if not children:
            return
        time.sleep(0.1)


def end_to_end(console: Console, state_dir: Path, repeat: int) -> None:
    """Time ``groundwork sync --full`` as a user runs it, into a fresh Redis each time.

    CPU is the command's and every process it started (the JVM, Spark's Python workers):
    this process becomes their subreaper, so the orphaned ones are reaped here too.
    """
    import ctypes
    import resource
    import statistics
    import subprocess

    pr_set_child_subreaper = 36
    ctypes.CDLL(None).prctl(pr_set_child_subreaper, 1, 0, 0, 0)
    timings = []
    for attempt in range(repeat):
        with sync_servers.redis_server() as running:
            environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(state_dir),
                           "GROUNDWORK_STORE": running.config.model_dump_json()}
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            server, started = running.cpu_seconds(), time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "groundwork", "sync", "--full"],
                                    env=environment, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            server = running.cpu_seconds() - server
            _reap_all_but(running.pid)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(f"groundwork sync failed:\n{result.stdout}{result.stderr}")
        client = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        timings.append((seconds, client, server))
        console.print(f"run {attempt + 1}: {seconds:.1f} s, CPU {client:.1f} s client + "
                      f"{server:.1f} s Redis, load {os.getloadavg()[0]:.1f}")
    wall, client, server = (statistics.median(column) for column in zip(*timings, strict=True))
    console.print(f"groundwork sync --full of {state_dir}: median {wall:.1f} s wall, "
                  f"{client:.1f} s CPU (client, JVM and workers included), {server:.1f} s Redis "
                  f"CPU; {repeat} run(s)")


def main(argv: list[str]) -> None:
    """Run the benchmark and print the table."""
    arguments = parse_arguments(argv)
    command = shlex.join([os.path.relpath(sys.executable), *sys.argv])
    console = Console(width=max(Console().width, 180))
    if arguments.end_to_end is not None:
        console.print(f"command: {command}")
        end_to_end(console, arguments.end_to_end.resolve(), arguments.repeat)
        return
    os.chdir(BENCH_DIR.parent)  # Spark's Python workers import `sync` from their cwd
    sync_servers.use_dummy_aws_credentials()  # before Spark: its workers inherit them
    cells = plan(arguments)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="groundwork-sync-bench-") as temporary:
        directory = Path(temporary)
        tables = {rows: write_feature_table(directory / f"table-{rows}", rows)
                  for rows in {WARMUP_ROWS, *(rows for _, rows, _ in cells)}}
        spark = spark_session(arguments.master, "groundwork-sync-bench")
        try:
            partitions = spark.sparkContext.defaultParallelism
            warm = feature_view("warmup", tables[WARMUP_ROWS])
            sync_view(spark, warm, SQLiteStoreConfig(path=directory / "warm.db"),
                      default_path=directory / "warm.db")
            measurements = []
            for store, rows, asked in cells:
                with console.status(f"{store}: {rows:,} rows"):
                    measurements.append(measure(
                        spark, store, rows, asked, tables, directory, arguments.repeat,
                        partitions=arguments.partitions, sync_only=arguments.sync_only))
                console.print(f"done: {store} {rows:,} rows")
        finally:
            spark.stop()
    console.print(f"command: {command}")
    console.print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, PySpark "
                  f"{pyspark.__version__} {arguments.master} ({partitions} partitions); load "
                  f"average {load_before:.1f} before the run (the 'load' column: after each "
                  "cell; other processes on the machine skew the numbers)")
    render(console, measurements)
    console.print(
        f"caps: dynamodb {arguments.dynamodb_max_rows or 'none'}, cosmos "
        f"{arguments.cosmos_max_rows or 'none'} rows ('(cap)': fewer rows than asked). "
        f"Fastest of {arguments.repeat} per cell, each on a fresh server. Raw loops: "
        f"{partitions} processes, the store client's concurrency.\n"
        "spark s: read + latest per entity + shuffle + encoding to the stored form in the JVM "
        "+ Arrow to Python; write s: sync s minus that (client, server, table check).\n"
        "by CPU: raw CPU seconds / sync CPU seconds (client + server), what sync/raw would be if "
        "both were CPU-bound on a machine of their own.\n"
        f"targets: DynamoDB and Cosmos DB sync >= {RATIO_TARGET:.0%} of raw rows/s; Redis 1M "
        f"rows synced in < {REDIS_TARGET_SECONDS:.0f} s.")


if __name__ == "__main__":
    main(sys.argv[1:])
