"""The pieces ``feast_vs_groundwork.py`` starts: Redis databases, the Feast repository, servers.

Feast and Groundwork read the same feature tables and write to the same Redis
server, each into its own database. Every child process runs this checkout's
code (``PYTHONPATH`` is the repository root), and every server is stopped when
its block ends, on errors and Ctrl-C alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import redis
import yaml

from groundwork.features.definitions import FEATURE_VIEWS
from groundwork.net import free_port, stop_process, wait_ready

REPOSITORY = Path(__file__).resolve().parents[1]
FEAST_REPO = REPOSITORY / "features"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
MARKER_KEY = "groundwork-feast-bench"
"""Key this benchmark sets in each database it uses, so it never flushes someone else's."""
START_TIMEOUT_SECONDS = 120.0


class SetupError(Exception):
    """A precondition of the benchmark failed; the message is one line for the user."""


def child_environment(checkout: Path = REPOSITORY, **extra: str) -> dict[str, str]:
    """The environment of a child process: ``checkout`` first on the import path."""
    path = os.pathsep.join(filter(None, (str(checkout), os.environ.get("PYTHONPATH"))))
    environment = {**os.environ, "PYTHONPATH": path, **extra}
    environment.pop("WEB_CONCURRENCY", None)
    return environment


def claim_redis_db(database: int) -> None:
    """Empty Redis database ``database`` for this run, refusing one that holds others' keys.

    Raises:
        SetupError: when Redis does not answer, or the database holds keys this
            benchmark did not write.
    """
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=database, socket_timeout=5)
    try:
        size = client.dbsize()
        if size and not client.exists(MARKER_KEY):
            raise SetupError(f"Redis database {database} at {REDIS_HOST}:{REDIS_PORT} holds "
                             f"{size} keys this benchmark did not write; pick another database")
        client.flushdb()
        client.set(MARKER_KEY, "1")
    except redis.RedisError as error:
        raise SetupError(f"Redis is not answering at {REDIS_HOST}:{REDIS_PORT} "
                         f"({type(error).__name__}); start redis-server") from None
    finally:
        client.close()


def release_redis_db(database: int) -> None:
    """Empty a database :func:`claim_redis_db` claimed (quietly when Redis is gone)."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=database, socket_timeout=5)
    try:
        if client.exists(MARKER_KEY):
            client.flushdb()
    except redis.RedisError:
        pass
    finally:
        client.close()


def online_rows(feature_tables: Path) -> int:
    """Rows a full sync or materialization writes: distinct entity keys over every view."""
    total = 0
    for view in FEATURE_VIEWS:
        keys = [column.name for column in view.entity_columns]
        table = pq.read_table(feature_tables / view.name, columns=keys)
        total += (len(pc.unique(table.column(keys[0])))
                  if len(keys) == 1 else table.group_by(keys).aggregate([]).num_rows)
    return total


def feast_repo(directory: Path, state_dir: Path, database: int) -> Path:
    """Copy the project's Feast repository into ``directory`` with its own registry and store.

    The copy keeps ``definitions.py`` untouched: its sources read
    ``../.state/feature_tables``, so ``directory/.state`` links to ``state_dir``.
    """
    repo = directory / "features"
    shutil.copytree(FEAST_REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / ".state").symlink_to(state_dir.resolve(), target_is_directory=True)
    config = yaml.safe_load((FEAST_REPO / "feature_store.yaml").read_text())
    config["registry"] = str(directory / "registry.db")
    config["online_store"] = {"type": "redis",
                              "connection_string": f"{REDIS_HOST}:{REDIS_PORT},db={database}"}
    config["offline_store"] = {"type": "file"}
    (repo / "feature_store.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return repo


def feast_command(*arguments: str) -> list[str]:
    """The ``feast`` CLI of this interpreter's environment."""
    return [str(Path(sys.executable).parent / "feast"), *arguments]


def groundwork_command(*arguments: str) -> list[str]:
    """The ``groundwork`` CLI of the checkout on ``PYTHONPATH`` (``-P``: not the working dir's)."""
    return [sys.executable, "-P", "-m", "groundwork", *arguments]


def grant_read(view: str, principal: str, environment: dict[str, str]) -> None:
    """Grant READ on ``view`` to ``principal`` (for ``/get-online-features``), unless held.

    Raises:
        SetupError: when ``groundwork grant`` fails for another reason.
    """
    done = subprocess.run(groundwork_command("grant", "read", "feature_view", view, "--to",
                                             principal), env=environment, capture_output=True,
                          text=True, check=False)
    output = " ".join((done.stdout + done.stderr).split())
    if done.returncode != 0 and "already granted" not in output:
        raise SetupError(f"groundwork grant failed ({done.returncode}): {output[-300:]}")


def timed(label: str, command: Sequence[str], environment: dict[str, str]) -> float:
    """Run ``command`` to completion; its wall time in seconds, start-up included.

    Raises:
        SetupError: when it exits non-zero (with the last line it printed).
    """
    started = time.perf_counter()
    done = subprocess.run(list(command), env=environment, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise SetupError(f"{label} failed ({done.returncode}): {lines[-1]}")
    return elapsed


@dataclass(frozen=True, slots=True)
class Running:
    """A started server.

    Attributes:
        name: Label in the output.
        url: Base URL, e.g. ``http://127.0.0.1:41234``.
        pid: Process id of the server (its workers are its children).
    """

    name: str
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server, its threads and its live children."""
        return tree_cpu_seconds(self.pid)


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system, every thread) of ``root`` and all its live descendants."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(name: str, command: Sequence[str], environment: dict[str, str], ready_path: str,
            port: int, log: Path) -> Iterator[Running]:
    """Run a server listening on ``port`` until the block ends; stop it on any exit.

    Its output goes to ``log``, whose last line explains a failed start.
    """
    with log.open("wb") as output:
        process = subprocess.Popen(list(command), env=environment, stdout=output,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url + ready_path, process, START_TIMEOUT_SECONDS)
        except RuntimeError as error:
            lines = log.read_text(errors="replace").strip().splitlines() or [""]
            raise SetupError(f"{name} did not start ({error}): {lines[-1]}") from None
        yield Running(name, url, process.pid)
    finally:
        stop_process(process, timeout=15)


def feast_server(repo: Path) -> tuple[list[str], int]:
    """Feast's HTTP feature server, tuned: one worker, no access log, no worker recycling.

    The registry is refreshed once an hour instead of every minute.
    """
    port = free_port()
    return feast_command("--chdir", str(repo), "serve", "--host", "127.0.0.1", "--port",
                         str(port), "--workers", "1", "--no-access-log", "--max-requests", "0",
                         "--max-requests-jitter", "0", "--registry_ttl_sec", "3600"), port


def groundwork_server() -> tuple[list[str], int]:
    """``groundwork serve`` (one uvicorn worker) on a free port."""
    port = free_port()
    return groundwork_command("serve", "--host", "127.0.0.1", "--port", str(port)), port


def bare_server() -> tuple[list[str], int]:
    """The raw ASGI app of ``bench/bare_app.py``, with ``bench/servers.py``'s uvicorn flags."""
    from bench.servers import bare_server as bare

    port = free_port()
    return bare().command(port), port
