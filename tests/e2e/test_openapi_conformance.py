"""The OpenAPI document tells the truth: schemathesis against a live server finds nothing.

Schemathesis reads ``/openapi.json`` from ``groundwork serve`` (a child process
over a state of its own, since the run creates, disables and deletes catalog
objects) and calls every operation with a MANAGE token: examples, coverage,
fuzzing and stateful sequences, with every check. Any server error, response
outside the document (status, content type, schema, headers), accepted invalid
input or refused valid input fails the test.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from groundwork.demo import server_process
from groundwork.net import free_port
from tests.support.admin_state import AdminState, admin_state

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 30
"""Examples per operation and phase: the whole run stays well under a minute."""
SEED = 20261129
"""A fixed seed, so a failure replays; change it to explore other inputs."""
CONFIG = """
# The audit cursor is opaque: a string of the documented shape that is no cursor this
# server made is refused with 422, which no schema can say.
[[operations]]
include-path = "/v1/admin/audit"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

# The travel rules refuse inputs of the documented shape that the data cannot answer: a city
# no destination is called (404 unknown_city), a check-in in the past or nights without
# prices (422), each with its own code; the schema cannot know the data.
[[operations]]
include-path-regex = "^/v1/endpoints/hotel_(search|offers)/invoke$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "422"]

# Which views, features and join keys exist is the catalog's data: a request of the documented
# shape may name a view nobody registered (404) or send a join key that no view it reads is
# keyed by, or columns of different lengths (422).
[[operations]]
include-path = "/get-online-features"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "422"]
"""


@pytest.fixture(scope="module")
def conformance_server(tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[tuple[str, AdminState]]:
    state = admin_state(tmp_path_factory.mktemp("conformance"))
    with server_process(state.settings, free_port()) as url:
        yield url, state


def test_schemathesis_finds_no_failure(conformance_server: tuple[str, AdminState],
                                       tmp_path: Path) -> None:
    url, state = conformance_server
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"{url}/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES),
         "--seed", str(SEED), "--header", f"Authorization: Bearer {state.admin_token}",
         "--no-color"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-20_000:]
    # invoke and invoke-many per endpoint, and Feast's door
    assert "Tested: 28" in report, report[-5_000:]
