"""Session fixtures: a real PostgreSQL server and a fresh database on it, dropped afterwards.

The server is, in order of preference:

1. the machine's own PostgreSQL on 127.0.0.1:5432 (trust auth, user ``postgres``,
   database ``test`` or ``postgres``), when it answers;
2. a temporary server made with ``initdb`` and started with ``pg_ctl`` from
   ``/usr/lib/postgresql/*/bin`` (or ``PATH``) in a temporary directory, on a free
   127.0.0.1 port, with fsync off; as root it runs as the ``postgres`` OS user
   (``initdb`` refuses to run as root); it is stopped and deleted afterwards.

When neither works the fixtures fail loudly, saying what to install (Debian:
``apt-get install postgresql``). Tests never touch an existing database: each
:func:`postgres_url` is a new, uniquely named database, dropped at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from groundwork.net import free_port

MACHINE_HOST, MACHINE_PORT, SUPERUSER = "127.0.0.1", 5432, "postgres"
ADMIN_DATABASES = ("test", "postgres")
START_TIMEOUT_SECONDS = 30
INSTALL_HINT = (
    "the catalog tests need PostgreSQL: run `make test-servers` "
    "(Debian: apt-get install postgresql)"
)


@dataclass(frozen=True, slots=True)
class PostgresServer:
    """A reachable PostgreSQL server with a superuser that needs no password.

    Attributes:
        host: Address it listens on.
        port: Port it listens on.
        admin_database: A database to connect to for creating and dropping others.
    """

    host: str
    port: int
    admin_database: str

    def url(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "groundwork_test") -> str:
        """Create a new, uniquely named database and return its SQLAlchemy URL."""
        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url``, closing any connection still open to it."""
        name = url.rsplit("/", 1)[1]
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _admin(self, statement: sql.Composed) -> None:
        """Run one statement outside a transaction on the admin database."""
        with psycopg.connect(self._conninfo(self.admin_database), autocommit=True) as connection:
            connection.execute(statement)

    def _conninfo(self, database: str) -> str:
        return f"host={self.host} port={self.port} user={SUPERUSER} dbname={database}"


def answering_server(host: str, port: int) -> PostgresServer | None:
    """The server on ``host:port`` if it accepts the superuser without a password."""
    for database in ADMIN_DATABASES:
        server = PostgresServer(host, port, database)
        try:
            with psycopg.connect(server._conninfo(database), connect_timeout=3) as connection:
                connection.execute("SELECT 1")
            return server
        except psycopg.OperationalError:
            continue
    return None


def postgres_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` of the newest PostgreSQL installed."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class TemporaryServer:
    """A PostgreSQL cluster in a temporary directory, started on a free port.

    Args:
        binaries: Directory holding ``initdb`` and ``pg_ctl``.
    """

    def __init__(self, binaries: Path) -> None:
        self._binaries = binaries
        self._directory = Path(tempfile.mkdtemp(prefix="groundwork-postgres-"))
        self._data = self._directory / "data"
        self._log = self._directory / "server.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._run_as_postgres_user()

    def start(self) -> PostgresServer:
        """Create the cluster and start it; fail loudly when either step fails."""
        port = free_port()
        self._run("initdb", "-D", str(self._data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--no-sync")
        options = (f"-p {port} -k {self._directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self._data), "-l", str(self._log), "-o", options,
                  "-w", "-t", str(START_TIMEOUT_SECONDS), "start")
        server = answering_server("127.0.0.1", port)
        if server is None:
            self.stop()
            pytest.fail(f"temporary PostgreSQL on port {port} does not answer; its log:\n"
                        f"{self._read_log()}", pytrace=False)
        return server

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and delete its directory."""
        if (self._data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as_user, str(self._binaries / "pg_ctl"), "-D", str(self._data),
                 "-m", "immediate", "-w", "stop"],
                capture_output=True, check=False, timeout=60,
            )
        shutil.rmtree(self._directory, ignore_errors=True)

    def _run_as_postgres_user(self) -> None:
        """Run the server binaries as the ``postgres`` OS user (initdb refuses root)."""
        runuser = shutil.which("runuser")
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = None
        if runuser is None or account is None:
            shutil.rmtree(self._directory, ignore_errors=True)
            pytest.fail(f"running as root without a `postgres` OS user or runuser; "
                        f"{INSTALL_HINT}", pytrace=False)
        os.chown(self._directory, account.pw_uid, account.pw_gid)
        self._as_user = [runuser, "-u", "postgres", "--"]

    def _run(self, program: str, *arguments: str) -> None:
        """Run a server binary; fail the session with its output when it fails."""
        command = [*self._as_user, str(self._binaries / program), *arguments]
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                timeout=START_TIMEOUT_SECONDS * 2)
        if result.returncode != 0:
            self.stop()
            pytest.fail(f"{program} failed ({result.returncode}): {result.stderr.strip()}\n"
                        f"{self._read_log()}", pytrace=False)

    def _read_log(self) -> str:
        return self._log.read_text() if self._log.exists() else "(no server log)"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The machine's PostgreSQL when it answers, else a temporary one for the session."""
    machine = answering_server(MACHINE_HOST, MACHINE_PORT)
    if machine is not None:
        yield machine
        return
    binaries = postgres_binaries()
    if binaries is None:
        pytest.fail(f"no PostgreSQL answers on {MACHINE_HOST}:{MACHINE_PORT} and initdb is "
                    f"not installed; {INSTALL_HINT}", pytrace=False)
    temporary = TemporaryServer(binaries)
    try:
        yield temporary.start()
    finally:
        temporary.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, uniquely named database, dropped after the session."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)
