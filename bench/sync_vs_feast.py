"""`groundwork sync --full` against `feast materialize` on one synthetic view, end to end.

    .venv/bin/python bench/sync_vs_feast.py [--rows 30000,1000000] [--engines arrow,spark]
        [--feast-max-rows 3000000] [--groundwork-db 9] [--feast-db 10] [--rounds 1]

For each row count, in one run, against the same Redis server (each tool in its own
database, emptied before every command):

1. Writes a synthetic Parquet feature table: one row per entity, six features of mixed
   types (float, int, string, bool, timestamp, list of ints; ``bench/sync_raw.py``'s),
   microsecond UTC timestamps, four files.
2. Registers the view in a Groundwork catalog and writes a Feast repository (Redis online
   store, file offline store, a ``FileSource`` over the same directory); ``feast apply``
   once (not timed in the ratio).
3. Times, as child processes from start to exit: ``groundwork sync --full --engine E``
   for each engine, and ``feast materialize 1970-01-01T00:00:00 <a week ahead>``;
   rounds interleaved, order reversed each round, medians reported. CPU and peak memory
   are the command's with its descendants' (``wait4``: the Spark engine's JVM is
   Groundwork's child), Redis's CPU comes from ``INFO cpu`` around each command.
4. Checks that each command left one Redis key per entity.

Feast's materialization is skipped above ``--feast-max-rows`` (it is slow: see the
README), so the ratio is taken against the Feast rows/s of the largest size measured,
which the table says; ``--feast-from`` takes Feast's figures from an earlier run's
``--json`` file for the sizes this run does not materialize.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH_DIR]
sys.path.append(str(BENCH_DIR.parent))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import redis  # noqa: E402
import yaml  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench import feast_stack as stack  # noqa: E402
from bench.sync_raw import ENTITY, FEATURES, TTL_SECONDS  # noqa: E402
from groundwork.catalog.store import open_catalog  # noqa: E402
from groundwork.features.spec import ValueType, ViewSpec  # noqa: E402
from groundwork.settings import Settings  # noqa: E402
from groundwork.sync.config import RedisStoreConfig  # noqa: E402

VIEW = "bench_users"
KEY_PREFIX = "syncbench"

FEAST_DEFINITIONS = '''
from datetime import timedelta

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Array, Bool, Float64, Int64, String, UnixTimestamp

user = Entity(name="user", join_keys=["{entity}"], value_type=ValueType.INT64)
source = FileSource(name="{view}_source", path="{path}", timestamp_field="event_ts")
{view} = FeatureView(
    name="{view}", entities=[user], ttl=timedelta(seconds={ttl}), source=source, online=True,
    schema=[Field(name="score", dtype=Float64), Field(name="visits_30d", dtype=Int64),
            Field(name="segment", dtype=String), Field(name="is_active", dtype=Bool),
            Field(name="last_seen", dtype=UnixTimestamp),
            Field(name="recent_items", dtype=Array(Int64))],
)
'''


@dataclass(frozen=True, slots=True)
class Measure:
    """One command at one size: medians over the rounds."""

    rows: int
    command: str
    seconds: float
    rows_per_second: float
    client_cpu_us_per_row: float
    redis_cpu_us_per_row: float
    peak_mib: float


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="30000,1000000", help="comma-separated row counts")
    parser.add_argument("--engines", default="arrow,spark", help="Groundwork engines to time")
    parser.add_argument("--feast-max-rows", type=int, default=3_000_000,
                        help="largest table Feast materializes (0: none)")
    parser.add_argument("--groundwork-db", type=int, default=9)
    parser.add_argument("--feast-db", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds per size")
    parser.add_argument("--directory", type=Path, default=None,
                        help="working directory (kept); default: a temporary one")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--demo-state", type=Path, default=None,
                        help="also time both on the travel demo's feature tables in this "
                        "state directory (five views; `groundwork generate` + `compute`)")
    parser.add_argument("--feast-from", type=Path, default=None,
                        help="a --json file of an earlier run whose `feast materialize` "
                        "figures count for the sizes this run does not materialize")
    return parser.parse_args(argv)


def write_table(directory: Path, rows: int, seed: int = 7, files: int = 4) -> Path:
    """``rows`` entities, one row each, as Parquet files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(seed)
    now = int(dt.datetime.now(dt.UTC).timestamp()) * 1_000_000
    month = 30 * 86_400 * 1_000_000
    step = -(-rows // files)
    for index, start in enumerate(range(0, rows, step)):
        count = min(step, rows - start)
        items = generator.integers(0, 1_000_000, size=count * 5)
        segments = pa.array([f"segment-{number:02d}" for number in range(40)])
        table = pa.table({
            ENTITY: pa.array(np.arange(start, start + count, dtype=np.int64)),
            "event_ts": pa.array(now - generator.integers(0, month, count),
                                 pa.timestamp("us", "UTC")),
            "score": pa.array(generator.random(count)),
            "visits_30d": pa.array(generator.integers(0, 500, count)),
            "segment": segments.take(pa.array(generator.integers(0, 40, count))),
            "is_active": pa.array(generator.random(count) < 0.7),
            "last_seen": pa.array(now - generator.integers(0, month, count),
                                  pa.timestamp("us", "UTC")),
            "recent_items": pa.ListArray.from_arrays(
                pa.array(np.arange(0, count * 5 + 1, 5, dtype=np.int32)), pa.array(items)),
        })
        pq.write_table(table, directory / f"part-{index}.parquet")
    return directory


def groundwork_state(directory: Path, tables: Path, database: int) -> dict[str, str]:
    """A state directory whose catalog registers the view; the sync's environment."""
    store = RedisStoreConfig(url=f"redis://{stack.REDIS_HOST}:{stack.REDIS_PORT}/{database}",
                             key_prefix=KEY_PREFIX)
    settings = Settings(state_dir=directory / "state", store=store,
                        feature_tables_uri=str(tables))
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    view = ViewSpec(name=VIEW, entity=ENTITY, entity_type=ValueType.INT, features=FEATURES,
                    ttl_seconds=TTL_SECONDS, source_path=str(tables / VIEW))
    with open_catalog(settings.resolved_catalog_url) as catalog:
        catalog.definitions.register_feature_view(view)
    return stack.child_environment(
        GROUNDWORK_STATE_DIR=str(settings.state_dir), GROUNDWORK_STORE=store.model_dump_json(),
        GROUNDWORK_FEATURE_TABLES_URI=str(tables))


def feast_repo(directory: Path, table: Path, database: int) -> Path:
    """A Feast repository of the one view, its online store in Redis ``database``."""
    repo = directory / "feast_repo"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "definitions.py").write_text(FEAST_DEFINITIONS.format(
        entity=ENTITY, view=VIEW, path=str(table), ttl=TTL_SECONDS))
    (repo / "feature_store.yaml").write_text(yaml.safe_dump({
        "project": "syncbench", "provider": "local", "registry": str(directory / "registry.db"),
        "online_store": {"type": "redis",
                         "connection_string": f"{stack.REDIS_HOST}:{stack.REDIS_PORT},"
                                              f"db={database}"},
        "offline_store": {"type": "file"}, "entity_key_serialization_version": 3,
    }, sort_keys=False))
    return repo


def redis_cpu(client: redis.Redis) -> float:
    """CPU seconds the Redis server has used so far (user + system, all threads)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def timed(command: list[str], environment: dict[str, str],
          client: redis.Redis) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds, Redis CPU seconds and peak memory (MiB) of one command.

    CPU and memory are the command's and its descendants' (``wait4``: the Spark engine's
    JVM is Groundwork's child).
    """
    redis_before = redis_cpu(client)
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            lines = output.read().decode(errors="replace").strip().splitlines() or ["no output"]
            raise stack.SetupError(f"{' '.join(command[-4:])} failed ({process.returncode}): "
                                   f"{lines[-1]}")
    return (seconds, usage.ru_utime + usage.ru_stime, redis_cpu(client) - redis_before,
            usage.ru_maxrss / 1024)


Commands = dict[str, tuple[list[str], dict[str, str], int, int | None]]
"""By name: the command, its environment, its Redis database and the keys it must leave."""


def feast_materialize(console: Console, repo: Path, database: int) -> list[str]:
    """``feast apply`` of ``repo`` once, and the ``feast materialize`` command to time."""
    stack.claim_redis_db(database)
    with console.status("feast apply"):
        stack.timed("feast apply", stack.feast_command("--chdir", str(repo), "apply"),
                    stack.child_environment())
    end = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 7 * 86_400))
    return stack.feast_command("--chdir", str(repo), "materialize", "1970-01-01T00:00:00", end)


def measure_size(console: Console, rows: int, arguments: argparse.Namespace,
                 directory: Path) -> list[Measure]:
    """Every command at one row count; medians over interleaved rounds."""
    tables = directory / "tables"
    table = write_table(tables / VIEW, rows)
    environment = groundwork_state(directory, tables, arguments.groundwork_db)
    commands: Commands = {
        f"groundwork sync ({engine})": (
            stack.groundwork_command("sync", "--full", "--engine", engine), environment,
            arguments.groundwork_db, rows)
        for engine in arguments.engines.split(",")}
    if 0 < rows <= arguments.feast_max_rows:
        repo = feast_repo(directory, table, arguments.feast_db)
        commands["feast materialize"] = (feast_materialize(console, repo, arguments.feast_db),
                                         stack.child_environment(), arguments.feast_db, rows)
    return measure(console, rows, commands, arguments)


def measure_demo(console: Console, state_dir: Path, arguments: argparse.Namespace,
                 directory: Path) -> list[Measure]:
    """Every command on the travel demo's feature tables (five views) in ``state_dir``.

    Views not registered in its catalog yet are registered first (Feast is imported then,
    not while timing). Key counts are printed, not checked: Feast keeps one key per entity
    across views, and Redis drops at once a record whose ``expires_at`` (plus the store's
    retention) has passed.
    """
    from groundwork import pipeline
    from groundwork.catalog.store import open_catalog

    store = RedisStoreConfig(url=f"redis://{stack.REDIS_HOST}:{stack.REDIS_PORT}/"
                             f"{arguments.groundwork_db}", key_prefix=KEY_PREFIX)
    settings = Settings(state_dir=state_dir, store=store)
    with open_catalog(settings.resolved_catalog_url) as catalog:
        registered = catalog.list_feature_views()
    if not registered:
        pipeline.register(settings, demo_principal=False)
    rows = stack.online_rows(settings.feature_tables_dir)
    environment = stack.child_environment(GROUNDWORK_STATE_DIR=str(state_dir.resolve()),
                                          GROUNDWORK_STORE=store.model_dump_json())
    commands: Commands = {
        f"demo: groundwork sync ({engine})": (
            stack.groundwork_command("sync", "--full", "--engine", engine), environment,
            arguments.groundwork_db, None)
        for engine in arguments.engines.split(",")}
    repo = stack.feast_repo(directory, state_dir, arguments.feast_db)
    commands["demo: feast materialize"] = (feast_materialize(console, repo, arguments.feast_db),
                                           stack.child_environment(), arguments.feast_db, None)
    return measure(console, rows, commands, arguments)


def measure(console: Console, rows: int, commands: Commands,
            arguments: argparse.Namespace) -> list[Measure]:
    """Time ``commands`` in interleaved rounds, order reversed each round; their medians."""
    samples: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in commands}
    order = list(commands)
    for round_index in range(arguments.rounds):
        for name in order if round_index % 2 == 0 else order[::-1]:
            command, command_environment, database, expected = commands[name]
            stack.claim_redis_db(database)
            client = redis.Redis(host=stack.REDIS_HOST, port=stack.REDIS_PORT, db=database)
            with console.status(f"{name}: {rows:,} rows, round {round_index + 1}"):
                samples[name].append(timed(command, command_environment, client))
            keys = client.dbsize() - 1  # the claim marker
            client.close()
            if expected is not None and keys != expected:
                raise stack.SetupError(f"{name} left {keys:,} keys for {expected:,} entities")
            console.print(f"{name}: {rows:,} rows in {samples[name][-1][0]:.1f} s, "
                          f"{keys:,} keys")
    measures = []
    for name, values in samples.items():
        seconds = statistics.median(value[0] for value in values)
        measures.append(Measure(
            rows=rows, command=name, seconds=seconds, rows_per_second=rows / seconds,
            client_cpu_us_per_row=statistics.median(value[1] for value in values) / rows * 1e6,
            redis_cpu_us_per_row=statistics.median(value[2] for value in values) / rows * 1e6,
            peak_mib=max(value[3] for value in values)))
    for database in (arguments.groundwork_db, arguments.feast_db):
        stack.release_redis_db(database)
    return measures


def earlier_feast(path: Path | None, measures: list[Measure]) -> list[Measure]:
    """Feast's figures from an earlier run's file, for sizes this run did not materialize."""
    if path is None:
        return []
    done = {measure.rows for measure in measures if measure.command == "feast materialize"}
    return [Measure(**{**record, "command": "feast materialize",
                       "peak_mib": record.get("peak_mib", float("nan"))})
            for record in json.loads(path.read_text())
            if record["command"] == "feast materialize" and record["rows"] not in done]


def report(console: Console, measures: list[Measure]) -> None:
    """The table: rows, command, seconds, rows/s, Feast rows/s and the ratio."""
    feast = {measure.rows: measure.rows_per_second for measure in measures
             if measure.command == "feast materialize"}
    demo = {measure.rows: measure.rows_per_second for measure in measures
            if measure.command == "demo: feast materialize"}
    table = Table(title="sync into Redis, end to end (process start to exit)")
    for column in ("rows", "command", "seconds", "rows/s", "client CPU µs/row",
                   "Redis CPU µs/row", "peak MiB", "Feast rows/s", "× Feast"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for measure in sorted(measures, key=lambda measure: measure.rows):
        if measure.command.startswith("demo: "):
            measured, reference = [measure.rows], demo.get(measure.rows)
        else:
            measured = [size for size in feast if size <= measure.rows]
            reference = feast[max(measured)] if measured else None
        label = ("-" if reference is None else f"{reference:,.0f}"
                 + ("" if max(measured) == measure.rows else f" (at {max(measured):,})"))
        table.add_row(f"{measure.rows:,}", measure.command, f"{measure.seconds:.2f}",
                      f"{measure.rows_per_second:,.0f}", f"{measure.client_cpu_us_per_row:.2f}",
                      f"{measure.redis_cpu_us_per_row:.2f}", f"{measure.peak_mib:,.0f}", label,
                      "-" if reference is None else f"{measure.rows_per_second / reference:.1f}")
    console.print(table)


def main(argv: list[str]) -> int:
    """Run the benchmark; 2 on a setup error."""
    arguments = parse_arguments(argv)
    console = Console(width=160)
    console.print(f"{os.cpu_count()} cores; rows {arguments.rows}; engines {arguments.engines}")
    measures: list[Measure] = []
    try:
        if arguments.demo_state is not None:
            with tempfile.TemporaryDirectory(prefix="sync-vs-feast-demo-") as temporary:
                measures += measure_demo(console, arguments.demo_state, arguments,
                                         Path(temporary))
        for rows in (int(value) for value in arguments.rows.split(",") if value):
            if arguments.directory is not None:
                directory = arguments.directory / f"rows-{rows}"
                directory.mkdir(parents=True, exist_ok=True)
                measures += measure_size(console, rows, arguments, directory)
            else:
                with tempfile.TemporaryDirectory(prefix="sync-vs-feast-") as temporary:
                    measures += measure_size(console, rows, arguments, Path(temporary))
    except stack.SetupError as error:
        console.print(f"[red]{error}")
        return 2
    finally:
        report(console, measures + earlier_feast(arguments.feast_from, measures))
    if arguments.json is not None:
        arguments.json.write_text(json.dumps([asdict(measure) for measure in measures],
                                             indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
