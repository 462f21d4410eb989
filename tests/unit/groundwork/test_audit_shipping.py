"""The shipper supervisor: a child that dies is started again, after a pause that grows.

The children are real processes (a Python that waits to be stopped) standing
in for ``groundwork audit ship``; the whole shipper is supervised by a real
server in ``tests/integration/test_audit_shipping.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from groundwork.audit_shipping import (
    FIRST_RESTART_SECONDS,
    HEALTHY_SECONDS,
    MAX_RESTART_SECONDS,
    ShipperSupervisor,
    restart_pause,
)
from groundwork.settings import Settings

PATIENCE_SECONDS = 60.0
"""Deadline for a real process to get somewhere (only a hang reaches it)."""

WAITING_CHILD = [sys.executable, "-c", "import signal; signal.pause()"]
"""A child that runs until a signal ends it."""


def wait_until(condition: Callable[[], object], what: str) -> None:
    """Poll ``condition`` until it holds; fail after :data:`PATIENCE_SECONDS`."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every child the supervisor under test started (all ended after the test)."""
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


def supervisor_of(started: list[subprocess.Popen[bytes]], tmp_path: Path) -> ShipperSupervisor:
    def start(settings: Settings) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(WAITING_CHILD)
        started.append(child)
        return child

    return ShipperSupervisor(Settings(state_dir=tmp_path), start=start)


def test_a_killed_child_is_started_again_and_stopped_with_the_supervisor(
    started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    supervisor = supervisor_of(started, tmp_path)
    supervisor.start()
    try:
        first = supervisor.pid
        assert first is not None and started[0].poll() is None
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: supervisor.pid != first, "a second child")
        os.kill(started[1].pid, signal.SIGKILL)
        wait_until(lambda: len(started) == 3, "a third child")
    finally:
        supervisor.stop()

    assert supervisor.restarts == 2
    assert [child.returncode for child in started] == [-signal.SIGKILL, -signal.SIGKILL,
                                                       -signal.SIGTERM]


def test_a_stopped_supervisor_starts_no_more_children(
    started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    supervisor = supervisor_of(started, tmp_path)
    supervisor.start()
    supervisor.stop()
    supervisor.stop()  # twice is harmless

    assert len(started) == 1 and started[0].returncode == -signal.SIGTERM
    assert supervisor.restarts == 0


def test_the_pause_doubles_while_children_die_early_and_resets_after_a_healthy_run() -> None:
    pauses = []
    pause = None
    for ran in (0.0, 1.0, 2.0, 0.5):
        pause = restart_pause(pause, ran)
        pauses.append(pause)

    assert pauses == [FIRST_RESTART_SECONDS * factor for factor in (1, 2, 4, 8)]
    assert restart_pause(MAX_RESTART_SECONDS, 0.0) == MAX_RESTART_SECONDS
    assert restart_pause(MAX_RESTART_SECONDS, HEALTHY_SECONDS) == FIRST_RESTART_SECONDS


def test_a_child_that_cannot_be_started_is_tried_again(
    started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    attempts = []

    def start(settings: Settings) -> subprocess.Popen[bytes]:
        attempts.append(len(attempts))
        if len(attempts) == 2:
            raise OSError("no process slot left")
        child = subprocess.Popen(WAITING_CHILD)
        started.append(child)
        return child

    supervisor = ShipperSupervisor(Settings(state_dir=tmp_path), start=start)
    supervisor.start()
    try:
        os.kill(started[0].pid, signal.SIGKILL)
        wait_until(lambda: len(started) == 2, "a child started after a failed start")
    finally:
        supervisor.stop()

    assert len(attempts) == 3 and supervisor.restarts == 1
    assert started[1].returncode == -signal.SIGTERM
