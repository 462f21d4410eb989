"""A server SIGKILLed under load loses no audit event, and the next shipper duplicates none.

A real ``groundwork serve`` answers concurrent calls, each sent with its own
``X-Request-ID``; its audit shipper is killed with SIGKILL mid-load (the server
starts another), then the server itself. The orphaned shipper makes its last
pass, and ``groundwork audit ship --once`` ships whatever is left: every call
that was answered 200 has exactly one audit event, and no event is there
twice. On a SQLite catalog and on a PostgreSQL one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.features.registry import load_view_specs
from groundwork.net import free_port, stop_process, wait_ready
from groundwork.settings import Settings
from tests.support.demo_state import seed_store

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
CLIENT_THREADS = 6
ANSWERED_BEFORE_KILL = 400
"""Calls answered before the kill: enough for the kill to land among calls in flight."""
PATIENCE_SECONDS = 120.0
"""Deadline for a real process to get somewhere (only a hang reaches it)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, str]]:
    """A seeded state on a fresh catalog of the parameter's kind, and a token with EXECUTE."""
    url = None
    if request.param == "postgresql":
        postgres_server = request.getfixturevalue("postgres_server")
        url = postgres_server.create_database("groundwork_audit_kill")
    settings = Settings(state_dir=tmp_path / "state", catalog_url=url)
    asyncio.run(seed_store(settings, NOW, NOW.date()))
    catalog = Catalog(settings.resolved_catalog_url)
    catalog.create_schema()
    for view in load_view_specs(settings.feature_tables_dir).values():
        catalog.register_feature_view(view)
    catalog.create_principal("planner", PrincipalKind.AGENT)
    catalog.grant("planner", Privilege.EXECUTE, ObjectType.ENDPOINT, "*")
    token = catalog.issue_token("planner").token
    catalog.dispose()
    yield settings, token
    if url is not None:
        postgres_server.drop_database(url)


def environment(settings: Settings) -> dict[str, str]:
    return {**os.environ, "GROUNDWORK_STATE_DIR": str(settings.state_dir.resolve()),
            "GROUNDWORK_CATALOG_URL": settings.resolved_catalog_url}


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_until(condition: object, what: str) -> None:
    """Poll ``condition`` (a callable) until it holds; fail after :data:`PATIENCE_SECONDS`."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"


def call_until_refused(url: str, token: str, answered: list[str]) -> None:
    """Call ``user_profile`` until the server stops answering; note each 200's request id."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as client:
        while True:
            trace_id = uuid.uuid4().hex
            try:
                response = client.post("/v1/endpoints/user_profile/invoke",
                                       json={"user_id": 42}, headers={"X-Request-ID": trace_id})
            except httpx.TransportError:
                return
            if response.status_code == 200:
                assert response.json()["trace_id"] == trace_id
                answered.append(trace_id)


def test_a_killed_server_loses_and_duplicates_no_audit_event(
    served: tuple[Settings, str],
) -> None:
    settings, token = served
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "groundwork", "serve", "--host",
                               "127.0.0.1", "--port", str(port)], env=environment(settings))
    answered: list[str] = []
    clients = [threading.Thread(target=call_until_refused, args=(url, token, answered))
               for _ in range(CLIENT_THREADS)]
    try:
        wait_ready(f"{url}/readyz", server, PATIENCE_SECONDS)
        wait_until(lambda: children(server.pid), "the audit shipper to start")
        (shipper,) = children(server.pid)
        for client in clients:
            client.start()
        wait_until(lambda: len(answered) >= ANSWERED_BEFORE_KILL // 2, "calls to be answered")
        os.kill(shipper, signal.SIGKILL)  # the shipper dies mid-load first ...
        wait_until(lambda: set(children(server.pid)) - {shipper}, "a new shipper")
        (restarted,) = children(server.pid)
        wait_until(lambda: len(answered) >= ANSWERED_BEFORE_KILL, "more calls to be answered")
        server.send_signal(signal.SIGKILL)  # ... then the server, calls in flight
        server.wait()
        for client in clients:
            client.join()
    finally:
        stop_process(server)
    wait_until(lambda: gone(shipper), "the killed shipper to be reaped")
    wait_until(lambda: gone(restarted), "the orphaned shipper's last pass")

    shipped = subprocess.run([sys.executable, "-m", "groundwork", "audit", "ship", "--once"],
                             env=environment(settings), capture_output=True, text=True,
                             timeout=PATIENCE_SECONDS)

    assert shipped.returncode == 0, shipped.stderr
    catalog = Catalog(settings.resolved_catalog_url)
    try:
        events = [event for event in catalog.audit_events(limit=1_000_000)
                  if event.object_name == "user_profile"]
    finally:
        catalog.dispose()
    audited = Counter(event.trace_id for event in events)
    assert not [trace_id for trace_id in answered if audited[trace_id] != 1]
    assert not [trace_id for trace_id, count in audited.items() if count > 1]
    assert len(answered) >= ANSWERED_BEFORE_KILL
    assert list(settings.audit_spool_dir.glob("*.log")) == []  # shipped, the writer dead
