"""The audit shipper as a process: ``groundwork audit ship``, and its supervision by a server.

Serving processes spool their audit events (:class:`~groundwork.catalog.audit.AuditSink`);
the serving parent runs one shipper child (:class:`ShipperSupervisor`) that moves
them into the catalog every ``audit_ship_interval_seconds``, and starts it again,
after a growing pause, whenever it dies. With several workers, the parent
supervises the one shipper and the workers start none. The child stops on
SIGTERM or when its parent is gone (a SIGKILLed server), after a last pass;
whatever it leaves is shipped by the next shipper over the same state
directory, or by ``groundwork audit ship --once``. Two shippers on one spool
directory are safe: one ships, the other stands by
(:meth:`~groundwork.catalog.shipper.AuditShipper.run`).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from groundwork.catalog.shipper import AuditShipper
from groundwork.catalog.store import open_catalog
from groundwork.errors import GroundworkError
from groundwork.settings import Settings

logger = logging.getLogger(__name__)

STOP_SECONDS = 30.0
"""How long a server waits for its shipper's last pass before killing it."""


def start_shipper(settings: Settings) -> subprocess.Popen[bytes]:
    """Start ``groundwork audit ship`` over ``settings``' spool and catalog as a child process.

    The child gets this process's environment, with the state directory and
    the catalog URL set (they may come from code rather than the environment);
    it stops by itself once this process is gone.
    """
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(settings.state_dir.resolve()),
                   "GROUNDWORK_CATALOG_URL": settings.resolved_catalog_url,
                   "GROUNDWORK_AUDIT_SHIP_INTERVAL_SECONDS":
                       str(settings.audit_ship_interval_seconds)}
    command = [sys.executable, "-m", "groundwork", "audit", "ship",
               "--parent-pid", str(os.getpid())]
    return subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL)


FIRST_RESTART_SECONDS = 0.1
"""Pause before starting a shipper again after it died; it doubles while it keeps dying."""

MAX_RESTART_SECONDS = 30.0
"""Longest pause between restarts of a shipper that keeps dying."""

HEALTHY_SECONDS = 60.0
"""A shipper that ran this long before dying is restarted after the first pause again."""


class ShipperSupervisor:
    """Keeps one shipper child running while this process serves; restarts it when it dies.

    A thread starts the child and waits for it. When it exits without being
    asked to (killed, crashed), the thread starts a new one after a pause that
    doubles from :data:`FIRST_RESTART_SECONDS` to :data:`MAX_RESTART_SECONDS`
    while children die early. Events spooled meanwhile wait in the spool, and
    the new child ships them.

    Args:
        settings: The state directory and catalog the shipper serves.
        start: Starts a shipper process (default :func:`start_shipper`).
        clock: Monotonic seconds, to tell a child that ran for
            :data:`HEALTHY_SECONDS` from one that keeps dying.
    """

    def __init__(self, settings: Settings, *,
                 start: Callable[[Settings], subprocess.Popen[bytes]] = start_shipper,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._start = start
        self._clock = clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._supervise, name="audit-shipper-supervisor",
                                        daemon=True)
        self.restarts = 0
        """How many times a child was started again after it died."""

    @property
    def pid(self) -> int | None:
        """Process id of the current (or, once stopped, the last) child; ``None`` before any."""
        process = self._process
        return None if process is None else process.pid

    def start(self) -> None:
        """Start the first child and its supervision (once)."""
        self._launch()
        self._thread.start()

    def stop(self) -> None:
        """Stop restarting; let the child make its last pass and exit (:func:`stop_shipper`)."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None:
            stop_shipper(process)
        if self._thread.is_alive():
            self._thread.join()

    def _launch(self) -> subprocess.Popen[bytes] | None:
        """Start a child unless stopping; under the lock, so that :meth:`stop` sees it."""
        with self._lock:
            if self._stopping.is_set():
                return None
            self._process = self._start(self._settings)
            return self._process

    def _supervise(self) -> None:
        """Wait for each child; start the next after a pause unless stopping."""
        pause: float | None = None
        process = self._process
        while process is not None:
            started = self._clock()
            status = process.wait()
            if self._stopping.is_set():
                return
            pause = restart_pause(pause, self._clock() - started)
            logger.error("the audit shipper exited (status %s); starting it again in %.1f s "
                         "(events wait in the spool meanwhile)", status, pause)
            process = self._relaunch(pause)

    def _relaunch(self, pause: float) -> subprocess.Popen[bytes] | None:
        """Start a new child after ``pause``; ``None`` when stopping first.

        A child that cannot be started (no process slot left) is tried again
        after a growing pause.
        """
        while not self._stopping.wait(pause):
            try:
                process = self._launch()
            except OSError:
                pause = restart_pause(pause, 0.0)
                logger.exception("the audit shipper could not be started; trying again in "
                                 "%.1f s", pause)
                continue
            self.restarts += process is not None
            return process
        return None


def restart_pause(previous: float | None, ran_seconds: float) -> float:
    """The pause before restarting a shipper that ran ``ran_seconds`` after ``previous``.

    The first restart, and one after a child ran for :data:`HEALTHY_SECONDS`,
    waits :data:`FIRST_RESTART_SECONDS`; each restart of a child that keeps
    dying waits twice the previous pause, up to :data:`MAX_RESTART_SECONDS`.
    """
    if previous is None or ran_seconds >= HEALTHY_SECONDS:
        return FIRST_RESTART_SECONDS
    return min(previous * 2, MAX_RESTART_SECONDS)


def stop_shipper(process: subprocess.Popen[bytes]) -> None:
    """Ask the shipper to make its last pass and exit; kill it when it takes too long."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            logger.error("the audit shipper did not stop within %.0f s; killed (what it did "
                         "not ship waits in the spool)", STOP_SECONDS)
            process.kill()
            process.wait()


def ship_command(
    once: Annotated[bool, typer.Option(
        "--once", help="Ship what is spooled now, then exit.")] = False,
    parent_pid: Annotated[int | None, typer.Option(
        hidden=True, help="Stop once this process is gone (set by the server).")] = None,
) -> None:
    """Move spooled audit events into the catalog (a server runs this by itself)."""
    settings = Settings()
    try:
        with open_catalog(settings.resolved_catalog_url) as catalog:
            shipper = AuditShipper(catalog.spool_files, settings.audit_spool_dir)
            if once:
                report = shipper.ship()
            else:
                shipper.run(_stop_on_sigterm(), settings.audit_ship_interval_seconds,
                            keep_going=lambda: parent_pid is None or os.getppid() == parent_pid)
                return
    except GroundworkError as error:
        _fail(error.message)
    if report.error is not None:
        _fail(f"the catalog cannot take audit events now ({report.error}); "
              f"{report.stored} shipped, the rest waits in {settings.audit_spool_dir}")
    Console(highlight=False).print(
        f"shipped {report.stored} audit events ({report.reduced} reduced, "
        f"{report.dropped} dropped); {report.deleted} spool files done")


def _stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop


def _fail(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(2)
