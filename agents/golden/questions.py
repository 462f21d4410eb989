"""Golden questions as values and as JSON lines.

One line per question::

    {"id": "q01", "text": "Plan 3 nights in Lisbon from 2026-12-04 for user 42.",
     "user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3,
     "constraints": {"max_price_per_night": null, "min_stars": null, "amenities": [],
                     "sort": "fit"},
     "expect": {"kind": "answer", "top_hotel_ids": [17, 3, 8],
                "top_hotel_name": "Casa Alfama Garden", "top_total": "512.40",
                "matching": 9, "within_budget": 4, "expired": 0}}

``constraints`` and ``expect`` may be left out: without ``expect`` the outcome is
computed from the sample data; inside it, every fact but ``kind`` is optional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from groundwork.agents.golden.expected import Expected, Kind, Sort, Stay
from groundwork.errors import InvalidInput, NotFound

MAX_QUESTIONS = 1_000
"""Most questions a file may hold."""
MAX_FILE_BYTES = 4 << 20
"""Largest questions file read."""
MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class GoldenQuestion:
    """A question, the stay it asks about and its right outcome."""

    id: str
    text: str
    stay: Stay
    expected: Expected

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines shape :func:`load_questions` reads."""
        stay, expected = self.stay, self.expected
        total = None if expected.top_total is None else f"{expected.top_total:.2f}"
        return {
            "id": self.id, "text": self.text, "user_id": stay.user_id, "city": stay.city,
            "check_in": stay.check_in.isoformat(), "nights": stay.nights,
            "constraints": {"max_price_per_night": stay.max_price_per_night,
                            "min_stars": stay.min_stars, "amenities": list(stay.amenities),
                            "sort": stay.sort},
            "expect": {"kind": expected.kind, "top_hotel_ids": list(expected.top_hotel_ids),
                       "top_hotel_name": expected.top_hotel_name, "top_total": total,
                       "matching": expected.matching, "within_budget": expected.within_budget,
                       "expired": expected.expired},
        }


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Constraints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_price_per_night: float | None = Field(default=None, gt=0, le=100_000)
    min_stars: int | None = Field(default=None, ge=1, le=5)
    amenities: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=10)
    sort: Sort = "fit"


class _Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    top_hotel_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=50)
    top_hotel_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    top_total: Decimal | None = Field(default=None, ge=0, le=100_000_000, decimal_places=2)
    matching: int | None = Field(default=None, ge=0, le=1_000_000)
    within_budget: int | None = Field(default=None, ge=0, le=1_000_000)
    expired: int | None = Field(default=None, ge=0, le=1_000_000)


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    user_id: int = Field(ge=1, le=MAX_ID)
    city: Name
    check_in: dt.date
    nights: int = Field(ge=1, le=1000)
    constraints: _Constraints = Field(default_factory=_Constraints)
    expect: _Expect | None = None


def load_questions(path: Path, expect: Callable[[Stay], Expected]) -> list[GoldenQuestion]:
    """Read a JSON-lines file of questions; blank lines are skipped.

    Args:
        path: The file.
        expect: Gives the outcome of a stay whose line has no ``expect``.

    Raises:
        NotFound: when the file cannot be read.
        InvalidInput: naming the line and the field, when a line does not validate,
            or when the file is too large or holds no question.
    """
    lines = _lines(path)
    questions = []
    for number, line in lines:
        try:
            parsed = _Line.model_validate(orjson.loads(line))
        except orjson.JSONDecodeError as error:
            raise InvalidInput(f"{path} line {number}: not JSON ({error.msg})",
                               line=number) from None
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "line"
            raise InvalidInput(f"{path} line {number}: {field}: {first['msg']}",
                               line=number, field=field) from None
        stay = _stay(parsed)
        expected = expect(stay) if parsed.expect is None else _expected(parsed.expect)
        questions.append(GoldenQuestion(parsed.id or f"line {number}", parsed.text, stay,
                                        expected))
    return questions


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"{path} holds {size:,} bytes; at most {MAX_FILE_BYTES:,} are "
                               "read", path=str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise NotFound(f"cannot read the questions file {path}: {reason or error}",
                       path=str(path)) from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip()]
    if not lines:
        raise InvalidInput(f"{path} holds no question", path=str(path))
    if len(lines) > MAX_QUESTIONS:
        raise InvalidInput(f"{path} holds {len(lines):,} questions; at most {MAX_QUESTIONS:,} "
                           "are run", path=str(path))
    return lines


def _stay(line: _Line) -> Stay:
    constraints = line.constraints
    return Stay(line.user_id, line.city, line.check_in, line.nights,
                constraints.max_price_per_night, constraints.min_stars,
                tuple(constraints.amenities), constraints.sort)


def _expected(expect: _Expect) -> Expected:
    return Expected(expect.kind, tuple(expect.top_hotel_ids), expect.top_hotel_name,
                    expect.top_total, expect.matching, expect.within_budget, expect.expired)
