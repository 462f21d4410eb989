"""Catalog commands against a catalog out of reach: one line, exit status 2, nothing of the driver.

The real ``groundwork`` command runs with ``GROUNDWORK_CATALOG_URL`` pointing
at a PostgreSQL port nothing listens on (and at a URL that is no URL at all).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from groundwork.net import free_port

COMMANDS = [
    ("audit",),
    ("audit", "ship", "--once"),
    ("audit", "ship"),
    ("principal", "list"),
    ("token", "list"),
    ("grants",),
    ("register",),
    ("serve", "--port", "1"),
]
PASSWORD = "s3cret-password"


def run(arguments: tuple[str, ...], catalog_url: str,
        state_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(state_dir),
                   "GROUNDWORK_CATALOG_URL": catalog_url}
    return subprocess.run([sys.executable, "-m", "groundwork", *arguments], env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("arguments", COMMANDS, ids=" ".join)
def test_an_unreachable_catalog_is_one_line_and_exit_2(
    arguments: tuple[str, ...], tmp_path: Path
) -> None:
    port = free_port()
    result = run(arguments, f"postgresql+psycopg://groundwork:{PASSWORD}@127.0.0.1:{port}/gone",
                 tmp_path)

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: the catalog cannot be reached now")
    assert "GROUNDWORK_CATALOG_URL" in result.stderr
    for leaked in ("Traceback", str(port), "127.0.0.1", PASSWORD, "psycopg", "refused"):
        assert leaked not in result.stderr


@pytest.mark.parametrize("arguments", [("audit", "ship", "--once"), ("principal", "list")],
                         ids=" ".join)
def test_a_catalog_url_that_is_no_url_is_one_line_and_exit_2(
    arguments: tuple[str, ...], tmp_path: Path
) -> None:
    result = run(arguments, f"not a url {PASSWORD}", tmp_path)

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: the catalog URL is not a database URL")
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr
