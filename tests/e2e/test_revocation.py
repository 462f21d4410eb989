"""A real ``groundwork serve`` process honours access changes made elsewhere within one second.

The changes are made by other processes — the CLI in a subprocess, or a
second catalog object in this one — while the server answers from its warm
cache. Each test then calls the server until it refuses, and asserts that the
refusal came at most :data:`ACCESS_CHANGE_BOUND` after the change committed.
The loop is a failure guard around the server's watcher; the lag it measures
is printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from groundwork.catalog.changes import ACCESS_CHANGE_BOUND
from groundwork.catalog.policy import ObjectType, PrincipalKind, Privilege
from groundwork.catalog.store import Catalog
from groundwork.demo import server_process
from groundwork.net import free_port
from groundwork.settings import Settings
from tests.support.demo_state import PRICES_FROM, seed_store

pytestmark = pytest.mark.e2e

GIVE_UP_AFTER = 15.0
"""Seconds after which the loop stops waiting (a failure, far beyond the bound)."""


@dataclass(frozen=True, slots=True)
class Served:
    """A server over a state of its own, and a catalog object on the same database."""

    url: str
    settings: Settings
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class Caller:
    """A principal allowed to call ``user_profile``, and its token."""

    name: str
    token: str
    token_id: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``groundwork serve`` over a state no other test uses."""
    from groundwork import pipeline  # imports pyspark's modules, starts no Spark

    settings = Settings(state_dir=tmp_path_factory.mktemp("revocation-state"))
    asyncio.run(seed_store(settings, dt.datetime.now(dt.UTC).replace(microsecond=0),
                           PRICES_FROM))
    pipeline.register(settings)
    catalog = Catalog(settings.resolved_catalog_url)
    try:
        with server_process(settings, free_port()) as url:
            yield Served(url, settings, catalog)
    finally:
        catalog.dispose()


@pytest.fixture
def caller(served: Served, request: pytest.FixtureRequest) -> Caller:
    """A fresh principal with EXECUTE on ``user_profile``, whose token the server has cached."""
    name = request.node.name.removeprefix("test_")[:60]
    served.catalog.create_principal(name, PrincipalKind.SERVICE)
    served.catalog.grant(name, Privilege.EXECUTE, ObjectType.ENDPOINT, "user_profile")
    issued = served.catalog.issue_token(name)
    caller = Caller(name, issued.token, issued.token_id)
    deadline = time.monotonic() + GIVE_UP_AFTER
    while status(served, caller) != 200:  # the grant, too, reaches the server through the watcher
        assert time.monotonic() < deadline, "the new grant never took effect"
        time.sleep(0.01)
    assert status(served, caller) == 200, "served from the warm cache"
    return caller


def status(served: Served, caller: Caller) -> int:
    response = httpx.post(f"{served.url}/v1/endpoints/user_profile/invoke", json={"user_id": 42},
                          headers={"Authorization": f"Bearer {caller.token}"}, timeout=10)
    return response.status_code


def refused_at(served: Served, caller: Caller, clock: Callable[[], float]) -> float:
    """Call until the server refuses; when it first did, on ``clock``."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    while True:
        code = status(served, caller)
        answered_at = clock()
        if code in (401, 403):
            return answered_at
        assert code == 200, f"unexpected status {code}"
        assert time.monotonic() < deadline, "the change never took effect"
        time.sleep(0.005)


def report(change: str, lag: float) -> None:
    print(f"\n{change}: refused {lag * 1000:.0f} ms after the change committed")
    assert 0 <= lag <= ACCESS_CHANGE_BOUND


def test_a_token_revoked_with_the_cli_is_refused_within_the_bound(
    served: Served, caller: Caller
) -> None:
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(served.settings.state_dir)}
    command = [sys.executable, "-m", "groundwork", "token", "revoke", caller.token_id]
    with subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as cli:
        # Called while the CLI runs: its start-up and exit take longer than the bound.
        refused = refused_at(served, caller, time.time)
        _, errors = cli.communicate(timeout=GIVE_UP_AFTER)
    assert cli.returncode == 0, errors
    revoked = next(record for record in served.catalog.list_tokens(caller.name)
                   if record.token_id == caller.token_id)
    assert revoked.revoked_at is not None

    report("token revoked by the CLI", refused - revoked.revoked_at.timestamp())


def test_a_principal_disabled_elsewhere_is_refused_within_the_bound(
    served: Served, caller: Caller
) -> None:
    served.catalog.set_principal_disabled(caller.name)
    committed_at = time.monotonic()

    lag = refused_at(served, caller, time.monotonic) - committed_at

    report("principal disabled by another process", lag)


def test_a_grant_revoked_elsewhere_is_refused_within_the_bound(
    served: Served, caller: Caller
) -> None:
    served.catalog.revoke_grant(caller.name, Privilege.EXECUTE, ObjectType.ENDPOINT,
                                "user_profile")
    committed_at = time.monotonic()

    lag = refused_at(served, caller, time.monotonic) - committed_at

    report("grant revoked by another process", lag)
