"""``groundwork eval`` against a real server over Spark-computed sample data.

The deterministic planner answers the golden set drawn from the very raw data
the feature tables were computed from: every answer and every refusal must be
right, and every figure of every answer held by a tool result. A questions file
with a wrong expectation fails the run (exit 1); no raw data, or no server, is
one line and exit 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from groundwork.agents.golden import DRAWN_REFUSALS, golden_questions
from groundwork.agents.travel_planner import PlanResult, TravelQuestion, plan_trip
from groundwork.cli import app
from groundwork.client import AsyncClient
from groundwork.evaluate import evaluate
from groundwork.net import free_port
from tests.e2e.conftest import LiveServer
from tests.support.travel_data import TravelData
from tests.unit.agents.scripted_model import ScriptedChatModel, travel_script

pytestmark = [pytest.mark.e2e, pytest.mark.spark]


def run_eval(state_dir: Path, *arguments: str) -> Result:
    environment = {"GROUNDWORK_STATE_DIR": str(state_dir), "COLUMNS": "300",
                   "GROUNDWORK_CATALOG_URL": None, "GROUNDWORK_CHAT_MODEL": None,
                   "GROUNDWORK_AGENT_TRANSPORT": "rest"}
    return CliRunner().invoke(app, ["eval", *arguments], env=environment)


def report_of(result: Result) -> dict[str, Any]:
    report: dict[str, Any] = orjson.loads(result.stdout)
    return report


def test_the_deterministic_planner_gets_every_golden_question_right(
    live_server: LiveServer, travel_data: TravelData,
) -> None:
    result = run_eval(travel_data.state_dir, "--url", live_server.url, "--json")
    report = report_of(result)

    wrong = [(entry["id"], entry["text"], entry["problems"]) for entry in report["results"]
             if not entry["passed"]]
    assert wrong == [] and result.exit_code == 0, wrong or result.output
    assert report["questions"] == report["passed"] == 60
    assert report["answers"] == {"correct": 36, "total": 36}
    assert report["refusals"] == {"correct": 24, "total": 24}
    assert report["figures"]["grounded_share"] == 1.0
    assert report["figures"]["total"] > 60 * 3
    assert report["figures"]["stale"] == report["figures"]["ungrounded"] == 0
    assert report["verified"] == 60 and report["tokens"] is None
    stale = [entry for entry in report["results"] if entry["expect"].get("expired")]
    assert len(stale) >= 4  # cities where stalled price feeds serve expired prices
    assert all("expired" in entry["answer"] for entry in stale), stale[0]["answer"]
    assert report["tool_calls_per_question"] == 2.0
    assert 0 < report["latency_seconds"]["p50"] <= report["latency_seconds"]["p95"]
    outcomes = {entry["expect"]["kind"] for entry in report["results"]}
    assert outcomes == {"answer", *DRAWN_REFUSALS}
    assert all(entry["outcome"] == entry["expect"]["kind"] for entry in report["results"])


def test_the_table_names_every_question_and_the_totals(
    live_server: LiveServer, travel_data: TravelData,
) -> None:
    result = run_eval(travel_data.state_dir, "--url", live_server.url, "--count", "7",
                      "--seed", "3")

    assert result.exit_code == 0, result.output
    assert "groundwork eval: deterministic planner over REST" in result.stdout
    assert "answers right: 1/1; refusals right: 6/6; verified: 7/7" in result.stdout
    assert "figures held by tool results: 100.0% of" in result.stdout
    assert "tokens: not reported" in result.stdout


def test_a_questions_file_is_run_and_a_wrong_expectation_fails(
    live_server: LiveServer, travel_data: TravelData, tmp_path: Path,
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    drawn = golden_questions(travel_data.raw_dir, today, count=7)
    answer = next(question for question in drawn if question.expected.kind == "answer")
    lines = answer.to_json()
    computed = {key: value for key, value in lines.items() if key not in ("id", "expect")}
    wrong = {**lines, "id": "wrong", "expect": {"kind": "unknown_city"}}
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(orjson.dumps(line).decode()
                              for line in (lines, computed, wrong)) + "\n")

    result = run_eval(travel_data.state_dir, str(path), "--url", live_server.url, "--json")
    report = report_of(result)

    assert result.exit_code == 1, result.output
    assert [(entry["id"], entry["passed"]) for entry in report["results"]] == [
        (answer.id, True), ("line 2", True), ("wrong", False)]
    assert report["results"][1]["expect"] == lines["expect"]
    assert report["results"][2]["problems"] == [
        "expected unknown_city; the tools gave answer", "the answer does not say unknown city"]


USAGE = {"input_tokens": 120, "output_tokens": 8, "total_tokens": 128}


def reporting_usage(model: ScriptedChatModel) -> ScriptedChatModel:
    """``model`` with every message it writes reporting :data:`USAGE`."""
    def reporting(turn: Any) -> Any:
        def written(messages: Any) -> Any:
            message = turn(messages)
            message.usage_metadata = dict(USAGE)
            return message
        return written
    return model.model_copy(update={"turns": [reporting(turn) for turn in model.turns]})


async def test_the_tokens_a_model_reports_are_counted_per_question(
    live_server: LiveServer, travel_data: TravelData,
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    questions = golden_questions(travel_data.raw_dir, today, count=7)

    async def scripted(question: str, *, client: AsyncClient, chat_model: Any,
                       transport: Any, today: dt.date) -> PlanResult:
        model = reporting_usage(travel_script(TravelQuestion.parse(question, today=today)))
        return await plan_trip(question, client=client, chat_model=model, transport=transport,
                               today=today)

    report = await evaluate(live_server.settings, live_server.url, questions, today=today,
                            planner=scripted)

    assert [run.tokens.to_json() if run.tokens else None for run in report.runs] == [
        {"input": 360, "output": 24, "total": 384}] * 7  # three model turns each
    assert report.to_json()["tokens"] == {"input": 2520, "output": 168, "total": 2688,
                                          "questions": 7}
    assert report.passed


def expected_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.stderr.strip().splitlines()
    assert "Traceback" not in result.output
    return line


def test_a_stopped_server_is_one_line_and_status_2(travel_data: TravelData) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    line = expected_error(run_eval(travel_data.state_dir, "--url", url))

    assert line.startswith(f"error: Could not reach Groundwork at {url}")


def test_no_raw_data_is_one_line_and_status_2(tmp_path: Path) -> None:
    line = expected_error(run_eval(tmp_path, "--url", f"http://127.0.0.1:{free_port()}"))

    assert line.startswith(f"error: no sample data in {tmp_path / 'raw'} (cities, hotels")
