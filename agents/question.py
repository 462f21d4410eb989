"""The travel planner's question: who travels, where, from when, for how long.

The deterministic planner reads these four parts from a plain question such as
``"Plan 3 nights in Lisbon from 2026-12-04 for user 42"``; a chat model reads
free-form questions itself and does not need this parser.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from groundwork.errors import InvalidInput

EXAMPLE_QUESTION = "Plan 3 nights in Lisbon from 2026-12-04 for user 42"
"""A question in the shape :meth:`TravelQuestion.parse` understands."""

_NIGHTS = re.compile(r"\b(\d+)\s+nights?\b", re.IGNORECASE)
_CHECK_IN = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_USER = re.compile(r"\buser(?:\s+id)?\s*#?\s*(\d+)\b", re.IGNORECASE)
_CITY = re.compile(
    r"\bin\s+(?P<city>[^\W\d_][^\d,.;:!?]*?)\s*"
    r"(?=\b(?:from|for|on|starting|arriving)\b|[,.;:!?]|$)",
    re.IGNORECASE,
)


class QuestionNotUnderstood(InvalidInput):
    """The question lacks a part of the stay or holds an impossible one."""

    code = "question_not_understood"


@dataclass(frozen=True, slots=True)
class TravelQuestion:
    """A stay to plan.

    Attributes:
        user_id: The traveller.
        city: Destination city, as written in the question.
        check_in: Arrival date.
        nights: Number of nights, at least one.
    """

    user_id: int
    city: str
    check_in: dt.date
    nights: int

    @classmethod
    def parse(cls, question: str) -> TravelQuestion:
        """Read the stay from ``question``.

        Raises:
            QuestionNotUnderstood: naming every part that is missing, or the
                check-in date or number of nights when they are impossible.
        """
        parts = {
            "number of nights": _NIGHTS.search(question),
            "city": _CITY.search(question),
            "check-in date (YYYY-MM-DD)": _CHECK_IN.search(question),
            "user id": _USER.search(question),
        }
        missing = [part for part, match in parts.items() if match is None]
        if missing:
            raise QuestionNotUnderstood(
                f"The question does not say the {' or the '.join(missing)}; "
                f"ask like {EXAMPLE_QUESTION!r}.",
                missing=missing,
                question=question,
            )
        nights, city, check_in, user = (match for match in parts.values() if match is not None)
        return cls(
            user_id=int(user.group(1)),
            city=city.group("city").strip(),
            check_in=_date(check_in.group(1)),
            nights=_nights(nights.group(1)),
        )

    def profile_arguments(self) -> dict[str, Any]:
        """Inputs of the ``user_profile`` endpoint."""
        return {"user_id": self.user_id}

    def offers_arguments(self) -> dict[str, Any]:
        """Inputs of the ``hotel_offers`` endpoint."""
        return {
            "user_id": self.user_id,
            "city": self.city,
            "check_in": self.check_in.isoformat(),
            "nights": self.nights,
        }


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QuestionNotUnderstood(
            f"The check-in date {text} is not a calendar date.", check_in=text
        ) from None


def _nights(text: str) -> int:
    nights = int(text)
    if nights < 1:
        raise QuestionNotUnderstood("A stay lasts at least one night.", nights=nights)
    return nights
