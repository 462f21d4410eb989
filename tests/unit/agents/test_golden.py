"""The golden questions: drawn the same every time, every kind covered, facts that hold.

The sample data is generated small into a temporary directory. The expected
facts are checked three ways: against the travel functions fed the same raw
rows, against pandas sums written here, and by scoring answers that get them
right and wrong.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest

from groundwork.agents.golden import (
    DEFAULT_COUNT,
    DRAWN_REFUSALS,
    TOP,
    Expected,
    GoldenQuestion,
    SampleData,
    Stay,
    draw_questions,
    expected_outcome,
    golden_questions,
    load_questions,
    read_sample_data,
    score,
)
from groundwork.agents.question import TravelQuestion
from groundwork.agents.render import render_answer
from groundwork.agents.rest import error_data
from groundwork.agents.travel_planner import ToolCallRecord
from groundwork.errors import GroundworkError, InvalidInput, NotFound
from groundwork.features.sample_data import generate
from groundwork.functions import destinations, travel
from groundwork.functions.travel_errors import MAX_NIGHTS, StayTooLong

AS_OF = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
TODAY = AS_OF.date()


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data small: 100 hotels (3 with stalled prices), 400 users, 20,000 bookings."""
    directory = tmp_path_factory.mktemp("raw")
    generate(directory, as_of=AS_OF, scale=0.02)
    return directory


@pytest.fixture(scope="module")
def data(raw_dir: Path) -> SampleData:
    return read_sample_data(raw_dir)


@pytest.fixture(scope="module")
def questions(raw_dir: Path) -> list[GoldenQuestion]:
    return golden_questions(raw_dir, TODAY)


def test_the_same_data_day_and_seed_draw_the_same_questions(
    raw_dir: Path, questions: list[GoldenQuestion],
) -> None:
    assert golden_questions(raw_dir, TODAY) == questions
    assert golden_questions(raw_dir, TODAY, seed=1) != questions


def test_sixty_questions_cover_every_refusal_and_every_sort(
    questions: list[GoldenQuestion],
) -> None:
    kinds = collections.Counter(question.expected.kind for question in questions)
    answers = [question for question in questions if question.expected.kind == "answer"]

    assert len(questions) == DEFAULT_COUNT == 60
    assert {kind: kinds[kind] for kind in DRAWN_REFUSALS} == dict.fromkeys(DRAWN_REFUSALS, 4)
    assert kinds["answer"] == 36
    stale = [question for question in answers if question.expected.expired]
    assert len(stale) >= 4
    assert {question.stay.city for question in stale} <= {"Paris", "London", "Rome"}
    assert {question.stay.sort for question in answers} == {"price", "rating", "fit"}
    assert any(question.expected.within_budget == 0 for question in answers)
    assert any(question.expected.within_budget for question in answers)
    assert any(question.stay.amenities for question in answers)
    assert any(question.stay.min_stars for question in answers)
    assert any(question.stay.max_price_per_night for question in answers)
    assert len({question.stay for question in questions}) == 60
    assert len({question.id for question in questions}) == 60


def test_a_smaller_set_keeps_every_kind(data: SampleData) -> None:
    drawn = draw_questions(data, TODAY, count=7)

    assert len(drawn) == 7
    assert {question.expected.kind for question in drawn} == {*DRAWN_REFUSALS, "answer"}
    with pytest.raises(InvalidInput):
        draw_questions(data, TODAY, count=6)


def test_every_question_reads_back_as_its_stay(questions: list[GoldenQuestion]) -> None:
    for question in questions:
        read = TravelQuestion.parse(question.text, today=TODAY)
        stay = Stay(read.user_id, read.city, read.check_in, read.nights,
                    read.max_price_per_night, read.min_stars, read.amenities, read.sort)
        assert (stay, read.not_applied) == (question.stay, ()), question.text


def test_each_refusal_has_what_makes_it_one(data: SampleData,
                                           questions: list[GoldenQuestion]) -> None:
    last_night = max(day for nights in data.nights.values() for day in nights)
    for question in questions:
        stay, kind = question.stay, question.expected.kind
        if kind == "unknown_city":
            assert data.city_named(stay.city) is None
        elif kind == "check_in_in_past":
            assert stay.check_in < TODAY
        elif kind == "dates_outside_price_window":
            assert stay.check_in + dt.timedelta(days=stay.nights - 1) > last_night
        elif kind == "stay_too_long":
            assert stay.nights > MAX_NIGHTS
        elif kind == "unknown_user":
            assert stay.user_id not in data.travellers and question.expected.matching
        elif kind == "no_availability":
            assert question.expected.matching == 0
        if kind not in ("check_in_in_past", "stay_too_long"):
            assert stay.check_in > TODAY and stay.nights <= MAX_NIGHTS


def served_search(data: SampleData, stay: Stay, today: dt.date) -> dict[str, Any]:
    """``hotel_search``'s answer from the travel functions, fed the same raw rows."""
    if stay.nights > MAX_NIGHTS:
        raise StayTooLong(stay.nights)  # the endpoint's input bound
    city = destinations.city_name(stay.city, list(data.cities), AS_OF)
    hotels = sorted(data.hotels[city], key=lambda hotel: hotel.hotel_id)
    # a stalled hotel's prices serve as expired: no values, an as_of
    nights = [None if hotel.hotel_id in data.stalled
              else sorted(data.nights[hotel.hotel_id].items()) for hotel in hotels]
    options = travel.stay_options(
        city, [hotel.hotel_id for hotel in hotels], [hotel.name for hotel in hotels],
        [hotel.stars for hotel in hotels],
        [None if hotel.rating is None else float(hotel.rating) for hotel in hotels],
        [sorted(hotel.amenities) for hotel in hotels], [AS_OF] * len(hotels),
        [days and days[0][0] for days in nights],
        [days and [price for _, (price, _) in days] for days in nights],
        [days and [rooms for _, (_, rooms) in days] for days in nights], [AS_OF] * len(hotels),
        travel.stay_dates(stay.check_in, stay.nights, dt.datetime.combine(today, dt.time(),
                                                                          dt.UTC)),
        stay.nights)
    traveller = data.travellers.get(stay.user_id)
    return travel.search(
        options, stay.nights, stay.max_price_per_night, stay.min_stars, list(stay.amenities),
        None if traveller is None else float(traveller.budget),
        None if traveller is None else traveller.stars,
        None if traveller is None else sorted(traveller.amenities), stay.sort, TOP)


def test_expected_facts_agree_with_the_travel_functions(
    data: SampleData, questions: list[GoldenQuestion],
) -> None:
    for question in questions:
        stay, expected = question.stay, question.expected
        try:
            found = served_search(data, stay, TODAY)
        except GroundworkError as error:
            assert error.code == expected.kind, question.text
            continue
        hotels = found["hotels"]
        assert (tuple(hotel["hotel_id"] for hotel in hotels), found["matching"],
                found["within_budget"], found["excluded"]["data_expired"]) == (
            expected.top_hotel_ids, expected.matching, expected.within_budget,
            expected.expired), question.text
        if hotels:
            assert (hotels[0]["name"], hotels[0]["total_price"]) == (
                expected.top_hotel_name, expected.top_total)


def test_the_cheapest_stay_is_the_exact_sum_of_its_nights(
    raw_dir: Path, data: SampleData,
) -> None:
    prices = pd.read_parquet(raw_dir / "prices.parquet")
    hotels = pd.read_parquet(raw_dir / "hotels.parquet")
    check_in, nights = TODAY + dt.timedelta(days=5), 3
    days = [check_in + dt.timedelta(days=offset) for offset in range(nights)]
    stay_prices = prices[prices.date.isin(days)].merge(hotels, on="hotel_id")
    bookable = stay_prices.groupby("hotel_id").filter(lambda rows: rows.rooms_available.min() > 0)
    totals = {hotel_id: sum((Decimal(str(price)) for price in rows.price), Decimal(0))
              for hotel_id, rows in bookable[bookable.city == "Lisbon"].groupby("hotel_id")}
    cheapest = min(totals.values())

    expected = expected_outcome(data, Stay(42, "lisbon", check_in, nights, sort="price"), TODAY)

    assert expected.kind == "answer" and expected.matching == len(totals)
    assert expected.top_total == cheapest
    assert totals[expected.top_hotel_ids[0]] == cheapest


def test_a_rating_is_the_mean_of_the_ratings_half_up_to_the_cent(
    raw_dir: Path, data: SampleData,
) -> None:
    bookings = pd.read_parquet(raw_dir / "bookings.parquet").dropna(subset=["rating"])
    tenths = bookings.assign(tenths=(bookings.rating * 10).round().astype(int)).groupby(
        "hotel_id").tenths.agg(["sum", "count"])
    for hotel in (hotel for hotels in data.hotels.values() for hotel in hotels):
        if hotel.hotel_id not in tenths.index:
            assert hotel.rating is None
            continue
        total, count = tenths.loc[hotel.hotel_id]
        assert hotel.rating == Decimal((20 * int(total) + int(count)) // (2 * int(count))) / 100


def test_a_day_past_the_prices_draws_nothing(raw_dir: Path) -> None:
    with pytest.raises(NotFound, match="no night from"):
        golden_questions(raw_dir, TODAY + dt.timedelta(days=120))


def test_missing_raw_data_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no sample data in .* \(cities, hotels, users, prices, "
                                       r"bookings missing\): run `groundwork generate`"):
        read_sample_data(tmp_path)


# -- a custom set, as JSON lines ------------------------------------------------------------

def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else orjson.dumps(line).decode()
                              for line in lines) + "\n")
    return path


def test_a_written_set_reads_back_the_same(tmp_path: Path, data: SampleData,
                                          questions: list[GoldenQuestion]) -> None:
    path = write_lines(tmp_path / "golden.jsonl", [q.to_json() for q in questions])

    def never(stay: Stay) -> Expected:
        raise AssertionError("every line has its expectation")

    assert load_questions(path, never) == questions


def test_a_line_without_expectation_gets_it_from_the_data(tmp_path: Path,
                                                          data: SampleData) -> None:
    check_in = (TODAY + dt.timedelta(days=9)).isoformat()
    path = write_lines(tmp_path / "mine.jsonl", ["", {
        "text": f"Plan 2 nights in Lisbon from {check_in} for user 42", "user_id": 42,
        "city": "Lisbon", "check_in": check_in, "nights": 2}])

    (question,) = load_questions(path, lambda stay: expected_outcome(data, stay, TODAY))

    assert question.id == "line 2" and question.stay.sort == "fit"
    assert question.expected == expected_outcome(data, question.stay, TODAY)
    assert question.expected.kind == "answer"


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "line 1: not JSON"),
    ({"text": "x", "user_id": 1, "city": "Lisbon", "check_in": "2026-03-04", "nights": 0},
     "line 1: nights: Input should be greater than or equal to 1"),
    ({"text": "x", "user_id": 1, "city": "Lisbon", "check_in": "2026-02-30", "nights": 1},
     "line 1: check_in: "),
    ({"text": "x" * 1001, "user_id": 1, "city": "Lisbon", "check_in": "2026-03-04",
      "nights": 1}, "line 1: text: String should have at most 1000 characters"),
    ('{"text": "x", "user_id": 18446744073709551616, "city": "Lisbon", "check_in": '
     '"2026-03-04", "nights": 1}', "line 1: user_id: "),
    ({"text": "x", "user_id": 2**63, "city": "Lisbon", "check_in": "2026-03-04", "nights": 1},
     "line 1: user_id: Input should be less than or equal to 9223372036854775807"),
    ({"text": "x", "user_id": 1, "city": "Lisbon", "check_in": "2026-03-04", "nights": 1,
      "expect": {"kind": "maybe"}}, "line 1: expect.kind: "),
    ({"text": "x", "user_id": 1, "city": "Lisbon", "check_in": "2026-03-04", "nights": 1,
      "budget": 3}, "line 1: budget: Extra inputs are not permitted"),
])
def test_a_bad_line_is_named_with_its_field(tmp_path: Path, line: Any, message: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [line])

    with pytest.raises(InvalidInput) as raised:
        load_questions(path, lambda stay: Expected("answer"))

    assert raised.value.message.startswith(f"{path} {message}")


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n \n")
    with pytest.raises(InvalidInput, match="holds no question"):
        load_questions(tmp_path / "empty.jsonl", lambda stay: Expected("answer"))
    with pytest.raises(NotFound, match="cannot read the questions file"):
        load_questions(tmp_path / "missing.jsonl", lambda stay: Expected("answer"))


# -- scoring -------------------------------------------------------------------------------

def tool_calls(data: SampleData, question: GoldenQuestion) -> list[ToolCallRecord]:
    """The two calls of the deterministic plan, their results built from the raw data."""
    stay = question.stay
    traveller = data.travellers.get(stay.user_id)
    status = "MISSING" if traveller is None else "PRESENT"
    profile = {"outputs": {"budget_per_night": None if traveller is None
                           else float(traveller.budget)},
               "freshness": [{"view": "user_profile", "key": stay.user_id, "status": status,
                              "event_ts": None, "age_seconds": None}], "errors": {}}
    try:
        found = served_search(data, stay, TODAY)
    except GroundworkError as error:
        search = error_data(error.code, error.message, details=error.details)
    else:
        budget = profile["outputs"]["budget_per_night"]
        search = {"outputs": {**found, "hotels": [
            {**hotel, "total_price": float(hotel["total_price"]),
             "price_per_night": float(hotel["price_per_night"])} for hotel in found["hotels"]],
            "budget_per_night": budget, "hotels_in_city": len(data.hotels[stay.city]),
            "city_name": data.city_named(stay.city)}, "freshness": [], "errors": {}}
    return [ToolCallRecord("user_profile", {"user_id": stay.user_id}, profile),
            ToolCallRecord("hotel_search", {"city": stay.city}, search)]


def rendered(data: SampleData, question: GoldenQuestion) -> tuple[str, list[ToolCallRecord]]:
    calls = tool_calls(data, question)
    stay = question.stay
    asked = TravelQuestion(stay.user_id, stay.city, stay.check_in, stay.nights,
                           stay.max_price_per_night, stay.min_stars, stay.amenities, stay.sort)
    return render_answer(asked, calls[0].result, calls[1].result), calls


def test_the_grounded_answer_to_every_question_scores_right(
    data: SampleData, questions: list[GoldenQuestion],
) -> None:
    for question in questions:
        answer, calls = rendered(data, question)
        result = score(question, answer, calls)
        assert (result.outcome, result.problems) == (question.expected.kind, ()), answer


def first_of(questions: list[GoldenQuestion], kind: str, **facts: Any) -> GoldenQuestion:
    return next(question for question in questions if question.expected.kind == kind
                and all(getattr(question.expected, name) == value
                        for name, value in facts.items()))


def test_a_wrong_hotel_or_total_or_verdict_is_caught(
    data: SampleData, questions: list[GoldenQuestion],
) -> None:
    question = next(q for q in questions if q.expected.kind == "answer"
                    and q.expected.within_budget and q.expected.within_budget > 0)
    answer, calls = rendered(data, question)
    name, total = question.expected.top_hotel_name, question.expected.top_total
    assert name is not None and total is not None

    assert "does not name" in score(question, answer.replace(name, "Hotel Elsewhere"),
                                    calls).problems[0]
    assert "does not state the total" in score(
        question, answer.replace(f"€{total:.2f}", "€1.00"), calls).problems[0]
    says_none = answer + "\nNo hotel in town fits the budget."
    assert "says no hotel fits the budget" in score(question, says_none, calls).problems[0]
    wrong_first = dataclasses.replace(question, expected=dataclasses.replace(
        question.expected, top_hotel_ids=(10**6,)))
    assert "hotel_search put" in score(wrong_first, answer, calls).problems[0]


def test_a_refusal_needs_the_code_and_the_words(
    data: SampleData, questions: list[GoldenQuestion],
) -> None:
    question = first_of(questions, "unknown_city")
    answer, calls = rendered(data, question)
    assert score(question, answer, calls).correct

    silent = score(question, "Here are some hotels.", calls)
    assert silent.problems == ("the answer does not say unknown city",)
    no_tool = score(question, answer, calls[:1])
    assert no_tool.outcome == "no_search"
    assert no_tool.problems == ("expected unknown_city; the tools gave no_search",)
    answered = score(first_of(questions, "answer"), answer, calls)
    assert answered.problems == ("expected an answer; the tools gave unknown_city",)


def test_stalled_hotels_are_left_out_and_the_answer_must_say_so(
    data: SampleData, questions: list[GoldenQuestion],
) -> None:
    question = next(q for q in questions if q.expected.kind == "answer" and q.expected.expired)
    city_stalled = {hotel.hotel_id for hotel in data.hotels[question.stay.city]} & data.stalled
    assert question.expected.expired == len(city_stalled) >= 1
    assert not city_stalled & set(question.expected.top_hotel_ids)
    answer, calls = rendered(data, question)
    sentence = next(line for line in answer.splitlines() if "left out" in line)
    assert "expired" in sentence
    assert score(question, answer, calls).correct

    silent = score(question, answer.replace(sentence, ""), calls)
    hotels = "1 hotel" if len(city_stalled) == 1 else f"{len(city_stalled)} hotels"
    assert silent.problems == (f"the answer does not say that {hotels} with expired prices "
                               "were left out",)
    miscounted = dataclasses.replace(question, expected=dataclasses.replace(
        question.expected, expired=len(city_stalled) + 1))
    assert score(miscounted, answer, calls).problems[0].startswith(
        "hotel_search counted data_expired=")


def test_prices_without_publication_times_have_no_stalled_hotel(
    raw_dir: Path, tmp_path: Path,
) -> None:
    for name in ("cities", "hotels", "users", "bookings"):
        (tmp_path / f"{name}.parquet").write_bytes((raw_dir / f"{name}.parquet").read_bytes())
    prices = pd.read_parquet(raw_dir / "prices.parquet").drop(columns="published_at")
    prices.to_parquet(tmp_path / "prices.parquet")

    assert read_sample_data(tmp_path).stalled == frozenset()
    assert read_sample_data(raw_dir).stalled
