"""The audit shipper as a process: ``groundwork audit ship``, and its start and stop by a server.

A serving process spools its audit events (:class:`~groundwork.catalog.audit.AuditSink`)
and starts one shipper child (:func:`start_shipper`) that moves them into the
catalog every ``audit_ship_interval_seconds``. The child stops on SIGTERM or
when its parent is gone (a SIGKILLed server), after a last pass; whatever it
leaves is shipped by the next shipper over the same state directory, or by
``groundwork audit ship --once``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Annotated

import typer
from rich.console import Console

from groundwork.catalog.shipper import AuditShipper
from groundwork.catalog.store import open_catalog
from groundwork.catalog.store.audit import unavailable_when_unreachable
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
        with unavailable_when_unreachable(), open_catalog(settings.resolved_catalog_url) as catalog:
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
    Console(stderr=True, highlight=False).print(f"[red]error:[/] {message}")
    raise typer.Exit(2)
