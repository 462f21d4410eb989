"""Reading the stay out of a travel question."""

from __future__ import annotations

import datetime as dt

import pytest

from groundwork.agents.question import QuestionNotUnderstood, TravelQuestion


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Plan 3 nights in Lisbon from 2026-12-04 for user 42",
         TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 3)),
        ("For user 7, plan 1 night in New York, from 2026-01-02.",
         TravelQuestion(7, "New York", dt.date(2026, 1, 2), 1)),
        ("user id 9: 2 NIGHTS in São Paulo starting 2026-03-01",
         TravelQuestion(9, "São Paulo", dt.date(2026, 3, 1), 2)),
        ("Book me something in Porto on 2026-05-10, 4 nights, user #12?",
         TravelQuestion(12, "Porto", dt.date(2026, 5, 10), 4)),
    ],
)
def test_parse_reads_every_part(question: str, expected: TravelQuestion) -> None:
    assert TravelQuestion.parse(question) == expected


def test_parse_names_every_missing_part() -> None:
    with pytest.raises(QuestionNotUnderstood) as raised:
        TravelQuestion.parse("Plan a trip to Lisbon for user 42")

    error = raised.value
    assert error.details["missing"] == [
        "number of nights", "city", "check-in date (YYYY-MM-DD)",
    ]
    assert "Plan 3 nights in Lisbon from 2026-12-04 for user 42" in error.message
    assert (error.status_code, error.code) == (422, "question_not_understood")


def test_parse_refuses_an_impossible_date() -> None:
    with pytest.raises(QuestionNotUnderstood, match="2026-02-30 is not a calendar date"):
        TravelQuestion.parse("Plan 3 nights in Lisbon from 2026-02-30 for user 42")


def test_parse_refuses_a_stay_without_nights() -> None:
    with pytest.raises(QuestionNotUnderstood, match="at least one night"):
        TravelQuestion.parse("Plan 0 nights in Lisbon from 2026-12-04 for user 42")


def test_endpoint_arguments() -> None:
    question = TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 3)

    assert question.profile_arguments() == {"user_id": 42}
    assert question.offers_arguments() == {
        "user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3,
    }
