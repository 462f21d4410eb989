"""An answer's tool calls are filed in the audit log under the answer's id.

A client inside ``answer_scope`` sends ``X-Request-ID: <answer>.<n>`` with each
call, the MCP toolkit sends the answer id itself; the server keeps them as
trace ids, and ``groundwork lineage --answer ID`` lists the calls and the
lineage of what they reached.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from groundwork.agents.mcp_toolkit import mcp_tools
from groundwork.catalog.store import open_catalog
from groundwork.client import AsyncClient
from groundwork.client.tracing import answer_scope, new_answer_id
from groundwork.settings import Settings
from tests.support.demo_state import STAY_CHECK_IN, DemoState

pytestmark = pytest.mark.e2e


async def audited(demo_state: DemoState, answer_id: str, count: int) -> list[str]:
    """The trace ids audited for ``answer_id``, once ``count`` calls have landed."""
    url = Settings(state_dir=demo_state.state_dir).resolved_catalog_url
    traces: list[str] = []
    with open_catalog(url) as catalog:
        for _ in range(600):  # the server's audit shipper runs every 0.1 s
            traces = [event.trace_id for event in
                      catalog.audit.query(trace_prefix=answer_id, limit=50).events]
            if len(traces) >= count:
                break
            await asyncio.sleep(0.05)
    return sorted(traces)


def lineage(demo_state: DemoState, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(demo_state.state_dir),
                   "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "groundwork", "lineage", *arguments],
                          capture_output=True, text=True, env=environment, timeout=120,
                          check=False)


async def test_the_calls_of_one_answer_are_found_by_its_id(demo_server: str,
                                                           demo_state: DemoState) -> None:
    answer_id, other = new_answer_id(), new_answer_id()
    search = {"city": "lisbon", "check_in": STAY_CHECK_IN.isoformat(), "nights": 2}
    async with AsyncClient(demo_server, demo_state.token) as client:
        with answer_scope(answer_id):
            await client.invoke("user_profile", {"user_id": 42})
            await client.invoke("hotel_search", search)
        with answer_scope(other):
            await client.invoke("user_profile", {"user_id": 43})
    tools = {tool.name: tool for tool in await mcp_tools(demo_server, demo_state.token,
                                                         request_id=answer_id)}
    await tools["hotel_details"].ainvoke({"hotel_id": 1})

    # over MCP every request of the session (tool listing, the call) carries the answer id
    assert set(await audited(demo_state, answer_id, 4)) == {answer_id, f"{answer_id}.1",
                                                            f"{answer_id}.2"}
    assert await audited(demo_state, other, 1) == [f"{other}.1"]

    shown = lineage(demo_state, "--answer", answer_id)
    assert shown.returncode == 0, shown.stderr
    for expected in ("user_profile", "hotel_search", "hotel_details", "mcp", "rest",
                     "hotel_prices", "city_directory", f"{answer_id}.2"):
        assert expected in shown.stdout
    assert other not in shown.stdout  # another answer's calls are not listed


@pytest.mark.parametrize(("answer", "message"), [
    ("not-an-id", "invalid answer id"),
    ("0" * 32, "no audited call belongs to answer"),
])
def test_an_unknown_or_malformed_answer_id_is_one_line_and_exit_2(
    demo_state: DemoState, answer: str, message: str,
) -> None:
    shown = lineage(demo_state, "--answer", answer)
    assert shown.returncode == 2
    assert message in shown.stderr and "Traceback" not in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1


def test_a_scope_refuses_a_malformed_answer_id() -> None:
    with pytest.raises(ValueError), answer_scope("short"):
        pass
