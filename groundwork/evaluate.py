"""``groundwork eval``: the travel planner scored on questions the sample data answers.

Each golden question (:mod:`groundwork.agents.golden`) goes to the configured
planner (``GROUNDWORK_CHAT_MODEL``, or the deterministic plan) through a running
server, over the configured transport, with a short-lived token of the demo
agent bound to the question's traveller. The report gives, over every
question: the share of the answer's figures the tool results hold (the
planner's own verification), how many answers and refusals were right, the
tool calls per question, the latency (p50, p95) and, when the model reports
them, the tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook
from rich.console import Console
from rich.table import Table

from groundwork.agent_tokens import mint_bound_token
from groundwork.agents.golden import (
    DEFAULT_COUNT,
    DEFAULT_SEED,
    Expected,
    GoldenQuestion,
    SampleData,
    Score,
    Stay,
    draw_questions,
    expected_outcome,
    load_questions,
    read_sample_data,
    score,
)
from groundwork.agents.question import QuestionNotUnderstood
from groundwork.agents.travel_planner import PlanResult, plan_trip
from groundwork.client import AsyncClient
from groundwork.errors import GroundworkError, ServerUnreachable
from groundwork.settings import Settings

if TYPE_CHECKING:
    from groundwork.agents.verify import Verdict, Verification

Planner = Callable[..., Awaitable[PlanResult]]
"""Called like :func:`~groundwork.agents.travel_planner.plan_trip`."""
GROUNDED: tuple[Verdict, ...] = ("grounded", "derived")
"""Verdicts of a figure the tool results hold (as given, or as a sum or difference)."""
VERDICTS: tuple[Verdict, ...] = ("grounded", "derived", "stale", "ungrounded")


@dataclass(frozen=True, slots=True)
class Tokens:
    """Tokens the chat model reported for one question."""

    input: int = 0
    output: int = 0
    total: int = 0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(self.input + other.input, self.output + other.output,
                      self.total + other.total)

    def to_json(self) -> dict[str, int]:
        """The counts as a JSON object."""
        return {"input": self.input, "output": self.output, "total": self.total}


@dataclass(frozen=True, slots=True)
class QuestionRun:
    """One question put to the planner, and how it fared.

    Attributes:
        question: The question and its expected outcome.
        score: What the tools gave, and every problem found.
        answer: The planner's answer (empty when it did not answer).
        latency_seconds: Time from the question to the answer.
        tool_calls: Tool calls the planner made.
        tokens: Tokens the model reported; ``None`` when it reported none.
        verification: The planner's check of the answer's figures; ``None`` when it
            did not answer.
        repaired: Whether the answer was written again to ground its figures.
    """

    question: GoldenQuestion
    score: Score
    answer: str
    latency_seconds: float
    tool_calls: int
    tokens: Tokens | None
    verification: Verification | None
    repaired: bool = False

    @property
    def passed(self) -> bool:
        """Right, and every figure held by a tool result and fresh."""
        return self.score.correct and self.verification is not None and \
            self.verification.verified

    def figures(self, verdicts: Sequence[Verdict] = VERDICTS) -> int:
        """How many figures of the answer got one of ``verdicts`` (any, by default)."""
        if self.verification is None:
            return 0
        return sum(self.verification.count(verdict) for verdict in verdicts)


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Every question run, and the totals."""

    planner: str
    transport: str
    runs: tuple[QuestionRun, ...]

    @property
    def passed(self) -> bool:
        """Whether every question passed: ``groundwork eval`` exits 1 otherwise."""
        return all(run.passed for run in self.runs)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data: the totals, then one entry per question."""
        return {**_totals(self), "results": [_run_json(run) for run in self.runs]}


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _totals(report: EvalReport) -> dict[str, Any]:
    runs = report.runs
    answers = [run for run in runs if run.question.expected.kind == "answer"]
    refusals = [run for run in runs if run.question.expected.kind != "answer"]
    figures = sum(run.figures() for run in runs)
    held = sum(run.figures(GROUNDED) for run in runs)
    latencies = [run.latency_seconds for run in runs]
    reported = [run.tokens for run in runs if run.tokens is not None]
    tokens = sum(reported, Tokens()) if reported else None
    return {
        "planner": report.planner, "transport": report.transport, "questions": len(runs),
        "passed": sum(run.passed for run in runs),
        "answers": {"correct": sum(run.score.correct for run in answers), "total": len(answers)},
        "refusals": {"correct": sum(run.score.correct for run in refusals),
                     "total": len(refusals)},
        "figures": {"total": figures, "grounded_share": held / figures if figures else None,
                    **{verdict: sum(run.figures((verdict,)) for run in runs)
                       for verdict in VERDICTS}},
        "verified": sum(run.verification is not None and run.verification.verified
                        for run in runs),
        "repaired": sum(run.repaired for run in runs),
        "tool_calls_per_question": (sum(run.tool_calls for run in runs) / len(runs)
                                    if runs else None),
        "latency_seconds": {"p50": percentile(latencies, 0.5),
                            "p95": percentile(latencies, 0.95)},
        "tokens": None if tokens is None else {**tokens.to_json(), "questions": len(reported)},
    }


def _run_json(run: QuestionRun) -> dict[str, Any]:
    verification = run.verification
    return {
        **run.question.to_json(), "outcome": run.score.outcome, "correct": run.score.correct,
        "passed": run.passed, "problems": list(run.score.problems), "answer": run.answer,
        "latency_seconds": run.latency_seconds, "tool_calls": run.tool_calls,
        "tokens": None if run.tokens is None else run.tokens.to_json(),
        "repaired": run.repaired,
        "verification": None if verification is None else verification.to_json(),
    }


class _TokenCounter(BaseCallbackHandler):
    """Adds up the usage every chat model reports on its messages (``usage_metadata``)."""

    def __init__(self) -> None:
        self.tokens: Tokens | None = None

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations[:1]:
                message = generation.message if isinstance(generation, ChatGeneration) else None
                usage = message.usage_metadata if isinstance(message, AIMessage) else None
                if usage:
                    self.tokens = (self.tokens or Tokens()) + Tokens(
                        usage.get("input_tokens", 0), usage.get("output_tokens", 0),
                        usage.get("total_tokens", 0))


_COUNTER: ContextVar[_TokenCounter | None] = ContextVar("groundwork_eval_tokens", default=None)


@cache
def _count_tokens_of_every_model() -> None:
    """Let every LangChain run started under :data:`_COUNTER` report to it (once a process)."""
    register_configure_hook(_COUNTER, inheritable=True)


async def evaluate(
    settings: Settings,
    base_url: str,
    questions: Sequence[GoldenQuestion],
    *,
    chat_model: str | BaseChatModel | None = None,
    today: dt.date | None = None,
    planner: Planner = plan_trip,
    clock: Callable[[], float] = time.perf_counter,
    progress: Callable[[int, GoldenQuestion], None] | None = None,
) -> EvalReport:
    """Put every question to the planner through the server at ``base_url``; score each.

    Args:
        settings: Settings: the catalog that mints each question's token, the transport.
        base_url: Root URL of a running server.
        questions: The questions.
        chat_model: The chat model, or its ``init_chat_model`` id; ``None`` runs the
            deterministic plan.
        today: The day relative dates count from; today (UTC) by default.
        planner: Called like ``plan_trip`` (the default).
        clock: Seconds, for the latency.
        progress: Called with the number and the question before each is asked.

    Raises:
        ServerUnreachable: when the server cannot be reached.
        GroundworkError: when a token cannot be minted or the tools cannot be listed.
    """
    _count_tokens_of_every_model()
    today = today or dt.datetime.now(dt.UTC).date()
    runs = []
    for number, question in enumerate(questions, start=1):
        if progress is not None:
            progress(number, question)
        runs.append(await _run(settings, base_url, question, chat_model, today, planner, clock))
    name = chat_model if isinstance(chat_model, str) else (
        "deterministic" if chat_model is None else type(chat_model).__name__)
    return EvalReport(name, settings.agent_transport, tuple(runs))


async def _run(settings: Settings, base_url: str, question: GoldenQuestion,
               chat_model: str | BaseChatModel | None, today: dt.date | None,
               planner: Planner, clock: Callable[[], float]) -> QuestionRun:
    bound = mint_bound_token(settings, {"user_id": question.stay.user_id})
    counter = _TokenCounter()
    reset = _COUNTER.set(counter)
    try:
        async with AsyncClient(base_url, bound.token, timeout=120.0) as client:
            started = clock()
            result = await planner(question.text, client=client, chat_model=chat_model,
                                   transport=settings.agent_transport, today=today)
            elapsed = clock() - started
    except QuestionNotUnderstood as error:
        return QuestionRun(question, Score("not_understood", (
            f"the question was not understood: {error.message}",)), "", 0.0, 0, None, None)
    except (httpx.HTTPError, OSError, BaseExceptionGroup) as error:
        failure = _unreachable(base_url, error)
        if failure is None:
            raise
        raise failure from None
    finally:
        _COUNTER.reset(reset)
    return QuestionRun(question, score(question, result.answer, result.tool_calls),
                       result.answer, elapsed, len(result.tool_calls), counter.tokens,
                       result.verification, result.repaired)


def _unreachable(url: str, error: BaseException) -> GroundworkError | None:
    """A connection failure (also inside the MCP door's exception groups) as one error;
    ``None`` for anything else."""
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    if isinstance(error, GroundworkError):
        return error
    return _could_not_reach(url, error) if isinstance(error, httpx.HTTPError | OSError) else None


def _could_not_reach(url: str, error: BaseException) -> ServerUnreachable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ServerUnreachable(f"Could not reach Groundwork at {url}: {reason}", url=url)


def check_server(base_url: str) -> None:
    """Fail fast, in one line, when nothing answers at ``base_url``.

    Raises:
        ServerUnreachable: when ``GET /readyz`` gets no answer or not 200.
    """
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/readyz", timeout=10.0)
    except httpx.HTTPError as error:
        raise _could_not_reach(base_url, error) from None
    if response.status_code != 200:
        raise ServerUnreachable(f"Groundwork at {base_url} is not ready: {response.status_code} "
                                f"{response.reason_phrase}", url=base_url)


def eval_questions(settings: Settings, questions_file: Path | None, *, today: dt.date,
                   count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED,
                   ) -> list[GoldenQuestion]:
    """The questions of a run: ``questions_file``'s, or a golden set drawn from the raw data.

    The raw data is read only when needed: to draw, or to expect a line without
    ``expect``.

    Raises:
        NotFound: when the raw data or the file is missing.
        InvalidInput: when a line of the file does not validate.
    """
    data = cache(lambda: read_sample_data(settings.raw_dir))
    if questions_file is None:
        return draw_questions(data(), today, count, seed)

    def expect(stay: Stay) -> Expected:
        sample: SampleData = data()
        return expected_outcome(sample, stay, today)

    return load_questions(questions_file, expect)


def run_eval(settings: Settings, base_url: str, *, questions_file: Path | None = None,
             count: int | None = None, seed: int | None = None,
             progress: Callable[[int, GoldenQuestion], None] | None = None) -> EvalReport:
    """Read or draw the questions, check the server, and run them (the CLI's entry point).

    ``count`` and ``seed`` default to the golden set's (60 questions).

    Raises:
        GroundworkError: an expected error, said in one line (no raw data, a bad
            questions file, the server down).
    """
    today = dt.datetime.now(dt.UTC).date()
    questions = eval_questions(settings, questions_file, today=today,
                               count=DEFAULT_COUNT if count is None else count,
                               seed=DEFAULT_SEED if seed is None else seed)
    check_server(base_url)
    return asyncio.run(evaluate(settings, base_url, questions, chat_model=settings.chat_model,
                                today=today, progress=progress))


def print_report(console: Console, report: EvalReport, *, as_json: bool = False) -> None:
    """Print one row per question and the totals, or the JSON report on stdout."""
    if as_json:
        sys.stdout.write(orjson.dumps(report.to_json(), default=str).decode() + "\n")
        return
    table = Table(title=f"groundwork eval: {report.planner} planner over "
                        f"{report.transport.upper()}")
    for column in ("id", "expected", "outcome", "right", "figures held", "calls", "latency",
                   "tokens", "problem"):
        table.add_column(column, overflow="fold",
                         justify="right" if column in ("calls", "latency", "tokens") else "left")
    for run in report.runs:
        table.add_row(*_row(run))
    console.print(table)
    for line in summary_lines(report.to_json()):
        console.print(line, markup=False, highlight=False)


def _row(run: QuestionRun) -> list[str]:
    figures = run.figures()
    held = "-" if run.verification is None else f"{run.figures(GROUNDED)}/{figures}"
    right = "yes" if run.passed else "no" if not run.score.correct else "unverified"
    tokens = "-" if run.tokens is None else f"{run.tokens.total:,}"
    return [run.question.id, run.question.expected.kind, run.score.outcome, right, held,
            str(run.tool_calls), f"{run.latency_seconds * 1000:.0f} ms", tokens,
            run.score.problems[0] if run.score.problems else ""]


def summary_lines(totals: Mapping[str, Any]) -> list[str]:
    """The totals of a JSON report, in a few lines."""
    figures, latency, tokens = totals["figures"], totals["latency_seconds"], totals["tokens"]
    share = figures["grounded_share"]
    answers, refusals = totals["answers"], totals["refusals"]
    lines = [
        f"figures held by tool results: {'-' if share is None else f'{share:.1%}'} of "
        f"{figures['total']} ({figures['grounded']} grounded, {figures['derived']} derived, "
        f"{figures['stale']} stale, {figures['ungrounded']} ungrounded)",
        f"answers right: {answers['correct']}/{answers['total']}; refusals right: "
        f"{refusals['correct']}/{refusals['total']}; verified: {totals['verified']}/"
        f"{totals['questions']} (repaired {totals['repaired']})",
        f"tool calls per question: {_number(totals['tool_calls_per_question'], '.1f')}; "
        f"latency p50 {_number(latency['p50'], '.3f')} s, p95 {_number(latency['p95'], '.3f')} s",
        "tokens: not reported" if tokens is None else
        f"tokens: {tokens['total']:,} ({tokens['input']:,} in, {tokens['output']:,} out)",
        f"passed: {totals['passed']}/{totals['questions']}",
    ]
    return lines


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)

