"""A ``GROUNDWORK_*`` setting that does not validate is one line and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(("environment", "command", "line"), [
    ({"GROUNDWORK_SYNC_ENGINE": "bogus"}, ["sync"],
     "error: invalid setting GROUNDWORK_SYNC_ENGINE: Input should be 'auto', 'spark' or 'arrow'"),
    ({"GROUNDWORK_WORKERS": "many"}, ["serve"],
     "error: invalid setting GROUNDWORK_WORKERS: Input should be a valid integer, unable to "
     "parse string as an integer"),
    ({"GROUNDWORK_STORE": '{"type": "redis", "url": 5}'}, ["principal", "list"],
     "error: invalid setting GROUNDWORK_STORE (redis.url): Input should be a valid string"),
])
def test_an_invalid_setting_is_one_line_and_exit_2(
    environment: dict[str, str], command: list[str], line: str, tmp_path: Path
) -> None:
    settings = {name: value for name, value in os.environ.items()
                if not name.startswith("GROUNDWORK_")}
    done = subprocess.run(
        [sys.executable, "-m", "groundwork", *command], capture_output=True, text=True,
        env={**settings, "GROUNDWORK_STATE_DIR": str(tmp_path), "COLUMNS": "200",
             **environment}, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [line]
    assert "Traceback" not in done.stdout + done.stderr
