"""``groundwork serve`` with several worker processes on one port, with either HTTP server.

Each worker builds its own app (stores, catalog engine, audit sink) from the same
environment; every call is answered and every call's audit event reaches the one
catalog, whichever worker served it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from groundwork.catalog.store import Catalog
from groundwork.demo import server_process
from groundwork.net import free_port
from tests.support.admin_state import AdminState, admin_state

pytestmark = pytest.mark.e2e

WORKERS = 2
CALLS = 40
GIVE_UP_AFTER = 30.0
"""Seconds after which polling for the audit events stops (a failure, far beyond need)."""


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(child) for child in (task / "children").read_text().split()}
            except OSError:
                continue
            pending += children - found
            found |= children
    return found


def serving_child(port: int) -> int:
    """The id of this process's child that runs ``groundwork serve --port port``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if ppid == os.getpid() and b"serve" in command and str(port).encode() in command:
            return int(entry.name)
    raise LookupError(f"no child serves port {port}")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> AdminState:
    return admin_state(tmp_path_factory.mktemp("serve-workers"))


@pytest.mark.parametrize("http_server", ["uvicorn", "granian"])
def test_every_worker_serves_and_audits_into_the_one_catalog(
    state: AdminState, http_server: str
) -> None:
    port = free_port()
    environment = {"GROUNDWORK_WORKERS": str(WORKERS), "GROUNDWORK_HTTP_SERVER": http_server}
    with server_process(state.settings, port, environment=environment) as url:
        assert len(descendants(serving_child(port))) >= WORKERS
        traces = set()
        for _ in range(CALLS):  # a new connection per call, so the kernel spreads them
            with httpx.Client(timeout=10) as client:
                response = client.post(f"{url}/v1/endpoints/user_profile/invoke",
                                       json={"user_id": 42},
                                       headers={"Authorization": f"Bearer {state.token}"})
            assert response.status_code == 200, response.text
            traces.add(response.json()["trace_id"])
        catalog = Catalog(state.settings.resolved_catalog_url)
        try:
            deadline = time.monotonic() + GIVE_UP_AFTER
            while not traces <= {event.trace_id for event in catalog.audit_events(limit=500)}:
                assert time.monotonic() < deadline, "some calls were never audited"
                time.sleep(0.05)
        finally:
            catalog.dispose()
