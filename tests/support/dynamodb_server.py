"""Session fixture: a real local dynamodb server on a free 127.0.0.1 port, stopped afterwards.

The server is dynalite (npm, in ``tests/servers``; ``scripts/ensure-test-servers.sh``
installs it), in memory, with table state changes made instant. The store's
config stays credential-free: dummy AWS credentials are set in the environment
for the session only and restored afterwards.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from groundwork.net import free_port, stop_process
from groundwork.sync.config import DynamoDBStoreConfig

DYNALITE = Path(__file__).resolve().parents[1] / "servers" / "node_modules" / ".bin" / "dynalite"
START_TIMEOUT_SECONDS = 15.0
PORT_ATTEMPTS = 3
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "groundwork-test",
    "AWS_SECRET_ACCESS_KEY": "groundwork-test",
    "AWS_EC2_METADATA_DISABLED": "true",
}
FOREIGN_SETTINGS = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE")


def answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url``."""
    try:
        with urllib.request.urlopen(url, timeout=0.5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def start_dynalite(port: int, path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start dynalite on ``port`` and wait until it answers.

    Args:
        port: The port to listen on.
        path: Directory to keep the tables in (kept across restarts); in memory when ``None``.

    Raises:
        RuntimeError: when the process exits or stays silent.
    """
    on_disk = [] if path is None else ["--path", str(path)]
    process = subprocess.Popen(
        [str(DYNALITE), "--host", "127.0.0.1", "--port", str(port), "--createTableMs", "0",
         "--deleteTableMs", "0", "--updateTableMs", "0", *on_disk],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"dynalite exited with {process.returncode}: {error.strip()}")
        if answers(f"http://127.0.0.1:{port}/"):
            return process
        time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"dynalite did not answer within {START_TIMEOUT_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop dynalite and close the pipe its errors went to."""
    stop_process(process)
    if process.stderr:
        process.stderr.close()


@pytest.fixture(scope="session")
def dynamodb_config() -> Iterator[DynamoDBStoreConfig]:
    """A DynamoDB API (dynalite) on 127.0.0.1 for the whole session, and a config for it."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed; run scripts/ensure-test-servers.sh")
    if not DYNALITE.exists():
        pytest.fail(f"dynalite is missing at {DYNALITE}; run scripts/ensure-test-servers.sh")
    failures = []
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        try:
            process = start_dynalite(port)
        except RuntimeError as error:
            failures.append(str(error))
            continue
        break
    else:
        pytest.fail("dynalite did not start: " + "; ".join(failures))
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in DUMMY_CREDENTIALS.items():
                patch.setenv(name, value)
            for name in FOREIGN_SETTINGS:
                patch.delenv(name, raising=False)
            yield DynamoDBStoreConfig(
                endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1",
                table_prefix="groundwork_test",
            )
    finally:
        stop(process)
