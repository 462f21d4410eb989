"""The README's "Use from your app" agent example, run as written against a served demo state.

The block is read from README.md and executed unchanged; ``model`` (which the
README leaves to the reader) is the scripted chat model of the agent tests, and
the URL and token come from the environment, as the README says.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from langchain_core.messages import ToolMessage

from groundwork.agents.question import TravelQuestion
from tests.support.demo_state import DemoState
from tests.unit.agents.scripted_model import travel_script

README = Path(__file__).resolve().parents[2] / "README.md"
_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)

pytestmark = pytest.mark.e2e


def readme_agent_example() -> str:
    """The python block of "## Use from your app" that builds the agent."""
    section = README.read_text().split("## Use from your app", 1)[1].split("\n## ", 1)[0]
    (block,) = [code for code in _PYTHON_BLOCK.findall(section) if "langchain_tools" in code]
    return block


def test_the_example_is_short() -> None:
    lines = [line for line in readme_agent_example().splitlines() if line.strip()]
    assert len(lines) <= 10


def test_the_readme_agent_example_runs_as_written(
    demo_server: str, demo_state: DemoState, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = readme_agent_example()
    (question,) = re.findall(r'"(Plan [^"]+)"', example)
    model = travel_script(TravelQuestion.parse(question))
    monkeypatch.setenv("GROUNDWORK_URL", demo_server)
    monkeypatch.setenv("GROUNDWORK_TOKEN", demo_state.token)

    exec(compile(example, str(README), "exec"), {"model": model, "__name__": "readme"})

    answer = capsys.readouterr().out
    tool_results = {message.name: orjson.loads(str(message.content))
                    for message in model.conversations[-1] if isinstance(message, ToolMessage)}
    assert sorted(tool_results) == ["hotel_search", "user_profile"]
    assert tool_results["user_profile"]["freshness"][0]["status"] == "PRESENT"
    hotels = tool_results["hotel_search"]["outputs"]["hotels"]
    assert hotels and hotels[0]["name"] in answer
    assert "150.00" in answer and f"{hotels[0]['total_price']:.2f}" in answer
