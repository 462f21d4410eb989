"""One audit shipper per spool directory, supervised by the serving parent; events once each.

``groundwork serve --workers 2`` (uvicorn and granian) runs one shipper, a
child of the serving parent, however many workers serve; SIGKILLed under
load, it is started again, and the calls answered meanwhile reach the catalog
through the new one while the server still runs, each exactly once. Two
``groundwork audit ship`` loops over one spool directory take turns: one
ships, the other stands by and takes over when the first is killed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from groundwork.catalog.audit import AuditSink
from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.features.registry import load_view_specs
from groundwork.net import free_port, stop_process, wait_ready
from groundwork.settings import Settings
from tests.support.demo_state import seed_store
from tests.unit.catalog.test_audit import event

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CLIENT_THREADS = 4
PATIENCE_SECONDS = 120.0
"""Deadline for a real process to get somewhere (only a hang reaches it)."""


@pytest.fixture
def served(tmp_path: Path) -> tuple[Settings, str]:
    """A seeded state on a fresh SQLite catalog, and a token with EXECUTE on every endpoint."""
    settings = Settings(state_dir=tmp_path / "state")
    asyncio.run(seed_store(settings, NOW, NOW.date()))
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    catalog.create_principal("planner", PrincipalKind.AGENT)
    catalog.grant("planner", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    token = catalog.issue_token("planner").token
    catalog.dispose()
    return settings, token


def environment(settings: Settings, **variables: str) -> dict[str, str]:
    return {**os.environ, "GROUNDWORK_STATE_DIR": str(settings.state_dir.resolve()),
            "GROUNDWORK_CATALOG_URL": settings.resolved_catalog_url, **variables}


def wait_until(condition: Callable[[], object], what: str, every: float = 0.01) -> None:
    """Poll ``condition`` until it holds; fail after :data:`PATIENCE_SECONDS`."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(every)


def parents() -> dict[int, int]:
    """Process id to parent process id, for every live process."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if fields[0] != "Z":
            found[int(stat.parent.name)] = int(fields[1])
    return found


def shippers(root: int) -> dict[int, int]:
    """The live ``groundwork audit ship`` processes under ``root``, with their parents."""
    parent_of = parents()

    def under(pid: int) -> bool:
        while pid in parent_of:
            pid = parent_of[pid]
            if pid == root:
                return True
        return False

    found = {}
    for pid in parent_of:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"\0audit\0ship\0" in command and under(pid):
            found[pid] = parent_of[pid]
    return found


def alive(pid: int) -> bool:
    return pid in parents()


def writers(spool_dir: Path) -> set[str]:
    """The process ids that spooled events (spool files are named ``<pid>-<start>-<n>``)."""
    return {path.name.partition("-")[0] for path in spool_dir.glob("*.log")}


def audited(settings: Settings) -> Counter[str]:
    """How many audit events the catalog holds per trace id."""
    catalog = Catalog(settings.resolved_catalog_url)
    try:
        return Counter(event.trace_id for event in catalog.audit_events(limit=1_000_000))
    finally:
        catalog.dispose()


def call_until(stop: threading.Event, url: str, token: str, answered: list[str]) -> None:
    """Call ``user_profile`` until ``stop`` is set; note each 200's request id.

    Each call opens its own connection, so the calls spread over the workers.
    """
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                      limits=httpx.Limits(max_keepalive_connections=0)) as client:
        while not stop.is_set():
            trace_id = uuid.uuid4().hex
            response = client.post("/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                                   headers={"X-Request-ID": trace_id})
            if response.status_code == 200:
                answered.append(trace_id)


@pytest.mark.parametrize("http_server", ["uvicorn", "granian"])
def test_workers_share_one_supervised_shipper_that_comes_back_when_killed(
    served: tuple[Settings, str], http_server: str
) -> None:
    settings, token = served
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "groundwork", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2"], env=environment(settings, GROUNDWORK_HTTP_SERVER=http_server))
    answered: list[str] = []
    stop = threading.Event()
    clients = [threading.Thread(target=call_until, args=(stop, url, token, answered))
               for _ in range(CLIENT_THREADS)]
    try:
        wait_ready(f"{url}/readyz", server, PATIENCE_SECONDS)
        for client in clients:
            client.start()
        # Both workers serve (each spooled events), so each app has started
        # whatever it starts: still one shipper, the parent's child.
        wait_until(lambda: len(writers(settings.audit_spool_dir)) >= 2, "both workers to serve")
        ((first, parent),) = shippers(server.pid).items()
        assert parent == server.pid

        os.kill(first, signal.SIGKILL)
        wait_until(lambda: set(shippers(server.pid)) - {first}, "the shipper to be restarted")
        ((second, parent),) = shippers(server.pid).items()
        assert parent == server.pid
        answered_at_kill = len(answered)
        wait_until(lambda: len(answered) >= answered_at_kill + 200, "calls after the restart")
        stop.set()
        for client in clients:
            client.join()
        # Only the new shipper ships while the server runs (its workers flush when they stop).
        wait_until(lambda: set(answered) <= set(audited(settings)), "every call to be shipped",
                   every=0.2)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=PATIENCE_SECONDS) == 0
    finally:
        stop.set()
        stop_process(server)
    wait_until(lambda: not alive(second), "the shipper to stop with its server")

    counts = audited(settings)
    assert not [trace_id for trace_id in answered if counts[trace_id] != 1]
    assert not [trace_id for trace_id, count in counts.items() if count > 1]


def lock_is_held(directory: Path) -> bool:
    """Whether some process holds the shipping lock of ``directory``."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def test_a_second_shipping_loop_stands_by_then_takes_over_with_no_event_twice(
    tmp_path: Path,
) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    sink = AuditSink(catalog.spool_files, spool_dir=settings.audit_spool_dir)
    settings.audit_spool_dir.mkdir()
    command = [sys.executable, "-m", "groundwork", "audit", "ship"]
    standby_log = tmp_path / "standby.log"
    first = subprocess.Popen(command, env=environment(settings))
    second = None
    try:
        wait_until(lambda: lock_is_held(settings.audit_spool_dir), "the first loop to ship")
        with standby_log.open("wb") as log:
            second = subprocess.Popen(command, env=environment(settings), stderr=log)
        wait_until(lambda: b"stands by" in standby_log.read_bytes(), "the second to stand by")

        for number in range(500):
            sink.emit(event(number))
        wait_until(lambda: sum(audited(settings).values()) == 500, "the first loop's shipping",
                   every=0.1)
        first.send_signal(signal.SIGKILL)
        first.wait()
        for number in range(500, 1000):
            sink.emit(event(number))
        wait_until(lambda: sum(audited(settings).values()) == 1000, "the second to take over",
                   every=0.1)
        assert second.poll() is None
    finally:
        stop_process(first)
        if second is not None:
            stop_process(second, timeout=PATIENCE_SECONDS)
        catalog.dispose()

    assert second.returncode == 0
    assert audited(settings) == Counter(f"trace-{number}" for number in range(1000))
