"""Golden questions of the travel planner: asked of the sample data, answered by it.

:func:`golden_questions` draws, with a seeded generator, stay questions whose
right outcome follows from the raw sample datasets alone: the hotels
``hotel_search`` must put first and the first one's total, or the refusal the
tools must give (:mod:`~groundwork.agents.golden.expected` computes them with
pandas and exact decimals, sharing no code with the Spark jobs or the travel
functions). Prices cover the 90 nights from the data's ``as_of``, so the set is
drawn when it is used rather than shipped. :func:`load_questions` reads a
custom set (JSON lines) and :func:`score` checks one answer and its tool calls.

Needs the ``spark`` extra (pandas, pyarrow) to read the raw data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from groundwork.agents.golden.draw import (
    DEFAULT_COUNT,
    DEFAULT_SEED,
    DRAWN_REFUSALS,
    draw_questions,
    question_text,
)
from groundwork.agents.golden.expected import (
    KINDS,
    TOP,
    Expected,
    Kind,
    SampleData,
    Stay,
    expected_outcome,
    read_sample_data,
)
from groundwork.agents.golden.questions import GoldenQuestion, load_questions
from groundwork.agents.golden.scoring import Score, score, tool_outcome

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_SEED",
    "DRAWN_REFUSALS",
    "KINDS",
    "TOP",
    "Expected",
    "GoldenQuestion",
    "Kind",
    "SampleData",
    "Score",
    "Stay",
    "draw_questions",
    "expected_outcome",
    "golden_questions",
    "load_questions",
    "question_text",
    "read_sample_data",
    "score",
    "tool_outcome",
]


def golden_questions(raw_dir: Path, today: dt.date, count: int = DEFAULT_COUNT,
                     seed: int = DEFAULT_SEED) -> list[GoldenQuestion]:
    """Draw ``count`` questions about the sample data in ``raw_dir``, asked on ``today``.

    The same data, day, count and seed give the same questions; see
    :func:`~groundwork.agents.golden.draw.draw_questions` for their composition.

    Raises:
        NotFound: when a dataset is missing, or no night from tomorrow on has prices.
        InvalidInput: when ``count`` is below 7.
    """
    return draw_questions(read_sample_data(raw_dir), today, count, seed)
