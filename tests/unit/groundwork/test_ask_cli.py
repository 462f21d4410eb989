"""``groundwork ask``: the question, its flags, the planner's token and the expected errors.

Expected errors exit with status 2 and one line on stderr, never a traceback.
The server is the demo state's real ``groundwork serve``, or a port nobody
listens on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from groundwork.agents.question import QuestionNotUnderstood, TravelQuestion
from groundwork.catalog.store import Catalog
from groundwork.cli import app
from groundwork.demo import planner_question, planner_token
from groundwork.net import free_port
from groundwork.settings import Settings
from tests.support.demo_state import PRICES_FROM, DemoState

REPOSITORY = Path(__file__).resolve().parents[3]
CHECK_IN = max(PRICES_FROM, dt.date.today()) + dt.timedelta(days=3)
"""Inside the demo prices (90 nights from ``PRICES_FROM``) and not in the past."""
QUESTION = f"Plan 2 nights in Lisbon from {CHECK_IN} for user 42"


def ask(state_dir: Path, *arguments: str, transport: str = "rest") -> Result:
    """``groundwork ask`` in this process, on ``state_dir``, with a wide terminal."""
    environment = {"GROUNDWORK_STATE_DIR": str(state_dir), "COLUMNS": "400",
                   "GROUNDWORK_CATALOG_URL": None, "GROUNDWORK_CHAT_MODEL": None,
                   "GROUNDWORK_AGENT_TRANSPORT": transport}
    return CliRunner().invoke(app, ["ask", *arguments], env=environment)


def expected_error(result: Result) -> str:
    """The one line of an expected error, after checking the exit status and the absence
    of a traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def stopped_server() -> str:
    """The URL of a free 127.0.0.1 port: nothing listens there."""
    return f"http://127.0.0.1:{free_port()}"


def test_an_unreadable_question_is_one_line_and_status_2(tmp_path: Path) -> None:
    environment = {**os.environ, "GROUNDWORK_STATE_DIR": str(tmp_path),
                   "PYTHONPATH": str(REPOSITORY)}
    environment.pop("GROUNDWORK_CHAT_MODEL", None)
    finished = subprocess.run(
        [sys.executable, "-m", "groundwork", "ask", "Find me a nice hotel in Lisbon"],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120,
        check=False)

    assert finished.returncode == 2, finished.stderr
    assert "Traceback" not in finished.stderr
    (line,) = finished.stderr.strip().splitlines()
    assert line.startswith("error: The question does not say the user id or the check-in date "
                           "or the number of nights; ask like 'Plan 3 nights in Lisbon from ")
    assert finished.stdout == ""
    assert not (tmp_path / "catalog.db").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["3 nights in Rome or Florence from 2026-12-04 for user 42"],
         "more than one destination (Rome and Florence)"),
        (["Plan 3 nights in Lisbon from 2026-02-30 for user 42"],
         "2026-02-30 is not a calendar date"),
        ([], "does not say the user id or the city or the check-in date or the number of "
             "nights"),
        (["--user", "42", "--city", "Lisbon", "--nights", "2"], "does not say the check-in"),
        ([QUESTION, "--min-stars", "9"], "Hotels have 1 to 5 stars"),
        ([QUESTION, "--check-in", "whenever"], "'whenever' is not a check-in date"),
        ([QUESTION, "--sort", "distance"], "Sort by one of price, rating, fit"),
        ([QUESTION, "--amenity", "jacuzzi"], "'jacuzzi' is not an amenity"),
        (["x" * 1001], "ask in at most 1000"),
    ],
)
def test_questions_and_flags_that_cannot_be_read(
    tmp_path: Path, arguments: list[str], message: str,
) -> None:
    line = expected_error(ask(tmp_path, *arguments))

    assert line.startswith("error: ") and message in line


@pytest.mark.parametrize(("transport", "prefix"), [
    ("rest", "Listing Groundwork tools failed: Could not reach Groundwork at "),
    ("mcp", "Could not reach Groundwork at "),
])
def test_a_stopped_server_is_one_line_and_status_2(
    tmp_path: Path, transport: str, prefix: str,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("any-token\n")
    url = stopped_server()

    line = expected_error(ask(tmp_path, QUESTION, "--url", url, "--token-file",
                              str(token_file), transport=transport))

    assert line.startswith(f"error: {prefix}{url}")


def test_an_unreadable_token_file_is_one_line(tmp_path: Path) -> None:
    line = expected_error(ask(tmp_path, QUESTION, "--token-file", str(tmp_path / "missing")))

    assert line == f"error: cannot read the token file {tmp_path / 'missing'}: " \
                   "No such file or directory"


def test_without_a_catalog_there_is_no_token_to_mint(tmp_path: Path) -> None:
    line = expected_error(ask(tmp_path, QUESTION, "--url", stopped_server()))

    assert line == (f"error: no catalog in {tmp_path}: run `groundwork register` first, "
                    "or pass --token-file")
    assert not (tmp_path / "catalog.db").exists()


def test_ask_mints_a_short_token_bound_to_the_user_asked_about(
    demo_state: DemoState,
) -> None:
    started = dt.datetime.now(dt.UTC)

    result = ask(demo_state.state_dir, QUESTION, "--url", stopped_server())

    expected_error(result)
    (acting,) = [line for line in result.stdout.splitlines() if line.startswith("acting with")]
    catalog = Catalog(f"sqlite:///{demo_state.state_dir / 'catalog.db'}")
    try:
        minted = [token for token in catalog.tokens.all("travel-planner")
                  if token.token_id in acting]
    finally:
        catalog.dispose()
    (token,) = minted
    assert token.entity_filter == {"user_id": 42}
    assert token.expires_at is not None
    assert dt.timedelta(minutes=14) < token.expires_at - started <= dt.timedelta(minutes=16)
    assert acting.startswith(f"acting with token {token.token_id} of travel-planner, bound to "
                             "user_id=42, expires ")
    assert demo_state.token not in result.output


def test_on_behalf_of_binds_the_token_to_another_user(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = ask(demo_state.state_dir, QUESTION, "--url", demo_server,
                 "--on-behalf-of", "user_id=43")

    assert result.exit_code == 0, result.output
    assert "bound to user_id=43" in result.stdout
    assert "I may not read the profile of user 42: this agent's token does not allow acting " \
           "for user 42 (access_denied)." in result.stdout
    assert "150.00" not in result.stdout  # user 42's budget stays unread


@pytest.mark.parametrize(("binding", "message"), [
    ("user", "invalid entity 'user': use KEY=VALUE"),
    ("galaxy_id=7", "galaxy_id"),
])
def test_a_binding_that_cannot_be_made_is_one_line(
    demo_state: DemoState, binding: str, message: str,
) -> None:
    line = expected_error(ask(demo_state.state_dir, QUESTION, "--url", stopped_server(),
                              "--on-behalf-of", binding))

    assert message in line


def test_flags_alone_make_the_question(demo_server: str, demo_state: DemoState) -> None:
    result = ask(demo_state.state_dir, "--url", demo_server, "--user", "42",
                 "--city", "Lisbon", "--check-in", CHECK_IN.isoformat(), "--nights", "2",
                 "--min-stars", "4", "--sort", "price", "--amenity", "wifi")

    assert result.exit_code == 0, result.output
    assert (f"Plan 2 nights in Lisbon from {CHECK_IN} for user 42, at least 4 stars, with "
            "wifi, sorted by price.") in result.stdout
    assert (f'{{"user_id":42,"city":"Lisbon","check_in":"{CHECK_IN}","nights":2,'
            '"min_stars":4,"amenities":["wifi"],"sort":"price"}') in result.stdout
    assert "Search: at least 4 stars; with wifi; cheapest first." in result.stdout


def test_flags_override_the_question(demo_server: str, demo_state: DemoState) -> None:
    result = ask(demo_state.state_dir, "Plan 5 nights in Porto from 2026-12-20 for user 42",
                 "--url", demo_server, "--city", "Lisbon", "--nights", "2",
                 "--check-in", CHECK_IN.isoformat())

    assert result.exit_code == 0, result.output
    assert f'"city":"Lisbon","check_in":"{CHECK_IN}","nights":2' in result.stdout


def test_ask_answers_from_hotel_search(demo_server: str, demo_state: DemoState) -> None:
    result = ask(demo_state.state_dir, QUESTION, "--url", demo_server)

    assert result.exit_code == 0, result.output
    assert "hotel_search" in result.stdout
    assert "Alfama Garden" in result.stdout and "Belem Inn" not in result.stdout
    assert "Budget: €150.00 per night" in result.stdout
    assert "✓ verified" in result.stdout and "grounded" in result.stdout


def test_ask_json_gives_the_answer_with_every_figures_provenance(
    demo_server: str, demo_state: DemoState,
) -> None:
    result = ask(demo_state.state_dir, QUESTION, "--url", demo_server, "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["verified"] is True and "Alfama Garden" in document["answer"]
    answer_id = document["answer_id"]
    assert all(call["trace_id"].startswith(f"{answer_id}.") for call in document["tool_calls"])
    figures = document["verification"]["figures"]
    assert figures and {figure["verdict"] for figure in figures} <= {"grounded", "derived"}
    sources = [source for figure in figures for source in figure["sources"]]
    assert {"hotel_prices", "hotel_stats", "user_profile"} <= {source["view"]
                                                                for source in sources}
    assert all(source["trace_id"] in {call["trace_id"] for call in document["tool_calls"]}
               for source in sources)


@pytest.mark.parametrize("transport", ["rest", "mcp"])
def test_a_refused_token_is_one_line(
    demo_server: str, demo_state: DemoState, tmp_path: Path, transport: str,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("not-a-token\n")

    result = ask(demo_state.state_dir, QUESTION, "--url", demo_server, "--token-file",
                 str(token_file), transport=transport)

    expected = {"rest": "Listing Groundwork tools failed: malformed bearer token",
                "mcp": f"Listing Groundwork tools over MCP failed: {demo_server} answered 401"}
    assert expected_error(result).startswith(f"error: {expected[transport]}")


def test_a_chat_model_reads_the_question_as_written(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, chat_model="openai:gpt-4.1-mini")

    assert planner_question(settings, "Somewhere warm next month?", {"city": None}) \
        == "Somewhere warm next month?"
    assert planner_question(settings, "Somewhere warm for user 42", {"city": "Lisbon",
                            "check_in": "2026-12-04", "nights": 2}) \
        == TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 2)


def test_a_given_token_needs_no_user(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(" gw_abc_def \n")
    settings = Settings(state_dir=tmp_path)

    assert planner_token(settings, "Somewhere warm?", token_file=token_file) == (
        "gw_abc_def", None)
    with pytest.raises(QuestionNotUnderstood, match="does not say the user id"):
        planner_token(settings, "Somewhere warm?")


def test_on_behalf_of_needs_no_user_in_the_question(demo_state: DemoState) -> None:
    settings = Settings(state_dir=demo_state.state_dir)

    token, bound = planner_token(settings, "Somewhere warm?", on_behalf_of={"user_id": 7})

    assert bound is not None and bound.entities == {"user_id": 7}
    assert token == bound.token and token not in repr(bound) and token not in bound.describe()
