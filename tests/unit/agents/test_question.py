"""Reading the stay and the search constraints out of a travel question, on a fixed day."""

from __future__ import annotations

import datetime as dt

import pytest

from groundwork.agents.question import QuestionNotUnderstood, TravelQuestion, example_question
from groundwork.features.sample_places import AMENITIES

TODAY = dt.date(2026, 11, 18)
"""A Wednesday: the coming Friday is 2026-11-20."""
FRIDAY = dt.date(2026, 11, 20)


def parse(question: str, **given: object) -> TravelQuestion:
    return TravelQuestion.parse(question, today=TODAY, **given)  # type: ignore[arg-type]


def stay(question: str) -> tuple[int, str, dt.date, int]:
    read = parse(question)
    return read.user_id, read.city, read.check_in, read.nights


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
        ("PLAN 3 NIGHTS IN LISBON FROM 2026-12-04 FOR USER 42",
         TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 3)),
        ("Plan 2 nights in Rio de Janeiro from 2026-12-04 for user 5",
         TravelQuestion(5, "Rio de Janeiro", dt.date(2026, 12, 4), 2)),
    ],
)
def test_parse_reads_every_part(question: str, expected: TravelQuestion) -> None:
    assert parse(question) == expected


@pytest.mark.parametrize(
    ("question", "check_in"),
    [
        ("Plan 3 nights in Rome from 2026-12-04 for user 42", dt.date(2026, 12, 4)),
        ("Plan 3 nights in Rome from 19/12/2026 for user 42", dt.date(2026, 12, 19)),
        ("Plan 3 nights in Rome from tomorrow for user 42", dt.date(2026, 11, 19)),
        ("Plan 3 nights in Rome next Friday for user 42", FRIDAY),
        ("Plan 3 nights in Rome from 4 December for user 42", dt.date(2026, 12, 4)),
        ("Plan 3 nights in Rome from the 4th of December for user 42", dt.date(2026, 12, 4)),
        ("Plan 3 nights in Rome from Dec 4 for user 42", dt.date(2026, 12, 4)),
        ("Trois nuits à Rome du 4 décembre pour l'utilisateur 42", dt.date(2026, 12, 4)),
        ("Trois nuits à Rome à partir de demain pour l'utilisateur 42", dt.date(2026, 11, 19)),
    ],
)
def test_dates_are_read_relative_to_today(question: str, check_in: dt.date) -> None:
    assert stay(question) == (42, "Rome", check_in, 3)


def test_a_day_without_a_year_is_the_next_one_to_come() -> None:
    assert parse("3 nights in Rome from 4 November for user 42").check_in == dt.date(2027, 11, 4)


def test_a_date_with_a_year_in_the_past_is_kept_for_the_search_to_refuse() -> None:
    assert parse("3 nights in Rome from 2026-11-01 for user 42").check_in == dt.date(2026, 11, 1)


def test_the_same_words_read_other_days_on_another_day() -> None:
    friday = TravelQuestion.parse("3 nights in Rome from tomorrow for user 42", today=FRIDAY)

    assert friday.check_in == dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("question", "nights"),
    [
        ("Plan three nights in Rome from 2026-12-04 for user 42", 3),
        ("Plan one night in Rome from 2026-12-04 for user 42", 1),
        ("Plan twenty-one nights in Rome from 2026-12-04 for user 42", 21),
        ("Deux nuits à Rome du 4 décembre pour l'utilisateur 42", 2),
        ("From 4 to 7 December in Rome for user 42", 3),
        ("From 2026-12-04 to 2026-12-09 in Rome for user 42", 5),
        ("Du 4 au 7 décembre à Rome pour l'utilisateur 42", 3),
    ],
)
def test_nights_in_words_or_from_two_dates(question: str, nights: int) -> None:
    assert parse(question).nights == nights


@pytest.mark.parametrize("question", [
    "A weekend in Rome for user 42", "This weekend in Rome for user 42",
    "Next weekend in Rome for user 42", "Rome for a weekend, user 42",
])
def test_a_weekend_is_the_coming_friday_for_two_nights(question: str) -> None:
    assert stay(question) == (42, "Rome", FRIDAY, 2)


def test_a_weekend_asked_on_a_friday_starts_that_day() -> None:
    asked = TravelQuestion.parse("A weekend in Rome for user 42", today=FRIDAY)

    assert (asked.check_in, asked.nights) == (FRIDAY, 2)


def test_nights_stated_win_over_the_weekend() -> None:
    assert stay("3 nights this weekend in Rome for user 42") == (42, "Rome", FRIDAY, 3)


@pytest.mark.parametrize(
    ("question", "user_id"),
    [("user 42", 42), ("user id 42", 42), ("user_id=42", 42), ("for #42", 42),
     ("user number 42", 42), ("traveller 42", 42), ("pour l'utilisateur 42", 42),
     ("for user forty-two", 42)],
)
def test_the_user_id(question: str, user_id: int) -> None:
    assert parse(f"3 nights in Rome from 2026-12-04 {question}").user_id == user_id


@pytest.mark.parametrize(
    "question",
    [
        "I live in Madrid; plan 3 nights in Rome from 2026-12-04 for user 42",
        "I'm living in Madrid, plan 3 nights in Rome from 2026-12-04 for user 42",
        "Based in Madrid. 3 nights in Rome from 2026-12-04 for user 42",
        "My home is in Madrid: 3 nights in Rome from 2026-12-04 for user 42",
        "I'm from Madrid and want 3 nights in Rome from 2026-12-04 for user 42",
        "3 nights in rome from 2026-12-04 for user 42",
        "user 42, Rome, 3 nights, 2026-12-04",
        "3 nights in Rome, Italy from 2026-12-04 for user 42",
    ],
)
def test_the_destination_is_not_the_home(question: str) -> None:
    assert parse(question).city == "Rome"


def test_a_city_unknown_to_the_planner_is_kept_as_written() -> None:
    assert parse("3 nights in Atlantis from 2026-12-04 for user 42").city == "Atlantis"


def test_a_home_alone_is_no_destination() -> None:
    with pytest.raises(QuestionNotUnderstood) as raised:
        parse("I live in Madrid; plan 3 nights from 2026-12-04 for user 42")

    assert raised.value.details["missing"] == ["city"]


@pytest.mark.parametrize(
    ("question", "cities"),
    [
        ("3 nights in Rome or Florence from 2026-12-04 for user 42", ["Rome", "Florence"]),
        ("3 nights in Rome, Florence or Venice from 2026-12-04 for user 42",
         ["Rome", "Florence", "Venice"]),
        ("3 nights in Rome from 2026-12-04, then in Paris, for user 42", ["Rome", "Paris"]),
        ("Rome or Florence? 3 nights from 2026-12-04 for user 42", ["Rome", "Florence"]),
    ],
)
def test_two_destinations_are_refused_naming_both(question: str, cities: list[str]) -> None:
    with pytest.raises(QuestionNotUnderstood) as raised:
        parse(question)

    assert raised.value.details["cities"] == cities
    assert f"({' and '.join(cities)})" in raised.value.message
    assert example_question(TODAY) in raised.value.message


@pytest.mark.parametrize(
    ("words", "max_price"),
    [("under €150 a night", 150.0), ("my budget is 500 EUR a night", 500.0),
     ("max 200 per night", 200.0), ("no more than 99,50 euros per night", 99.5),
     ("moins de 150 € par nuit", 150.0)],
)
def test_a_price_per_night(words: str, max_price: float) -> None:
    read = parse(f"3 nights in Rome from 2026-12-04 for user 42, {words}")

    assert (read.max_price_per_night, read.not_applied) == (max_price, ())
    assert read.check_in == dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("words", "stars"),
    [("a 5-star hotel", 5), ("five star", 5), ("five-star", 5), ("at least 4 stars", 4),
     ("4+ stars", 4), ("3 stars or more", 3), ("quatre étoiles", 4)],
)
def test_the_fewest_stars(words: str, stars: int) -> None:
    assert parse(f"3 nights in Rome from 2026-12-04 for user 42, {words}").min_stars == stars


def test_amenities_from_the_vocabulary_in_the_order_asked() -> None:
    read = parse("3 nights in Rome from 2026-12-04 for user 42 with a swimming pool, Wi-Fi, "
                 "pet friendly and air conditioning")

    assert read.amenities == ("pool", "wifi", "pet_friendly", "air_conditioning")
    assert set(read.amenities) <= set(AMENITIES)


@pytest.mark.parametrize("name", AMENITIES)
def test_every_amenity_of_the_data_is_recognised(name: str) -> None:
    question = f"3 nights in Rome from 2026-12-04 for user 42 with {name.replace('_', ' ')}"

    assert parse(question).amenities == (name,)


@pytest.mark.parametrize(
    ("words", "sort"),
    [("", "fit"), ("the cheapest hotels", "price"), ("cheapest first", "price"),
     ("best rated", "rating"), ("the highest-rated", "rating"), ("top rated please", "rating")],
)
def test_the_order(words: str, sort: str) -> None:
    assert parse(f"3 nights in Rome from 2026-12-04 for user 42 {words}").sort == sort


def test_the_search_arguments_carry_every_constraint() -> None:
    read = parse("3 nights in Rome from 2026-12-04 for user 42, under €150 a night, "
                 "at least 4 stars, with a pool and wifi, cheapest first")

    assert read.search_arguments() == {
        "user_id": 42, "city": "Rome", "check_in": "2026-12-04", "nights": 3,
        "max_price_per_night": 150.0, "min_stars": 4, "amenities": ["pool", "wifi"],
        "sort": "price",
    }
    assert read.profile_arguments() == {"user_id": 42}
    assert read.not_applied == ()


def test_the_search_arguments_leave_out_constraints_not_asked() -> None:
    assert parse("3 nights in Rome from 2026-12-04 for user 42").search_arguments() == {
        "user_id": 42, "city": "Rome", "check_in": "2026-12-04", "nights": 3, "sort": "fit",
    }


@pytest.mark.parametrize(
    ("words", "not_applied"),
    [
        ("and user 43", "a second user id (one traveller per question)"),
        ("for 2 people", "the number of guests (the search does not take one)"),
        ("two adults and a child", "the number of guests (the search does not take one)"),
        ("2 rooms", "the number of rooms (the search does not take one)"),
        ("under 500 EUR in total",
         "a budget for the whole stay (the search limits the price per night)"),
        ("under $150 a night", "a price limit in another currency (prices are in EUR)"),
        ("under €150", "a price limit that says neither per night nor for the whole stay"),
        ("at least 7 stars", "a star rating outside one to five"),
        ("cheapest and best rated", "ordering by rating as well as by price"),
    ],
)
def test_what_cannot_be_applied_is_listed(words: str, not_applied: str) -> None:
    read = parse(f"3 nights in Rome from 2026-12-04 for user 42 {words}")

    assert read.not_applied == (not_applied,)
    assert (read.user_id, read.city, read.check_in, read.nights) == (
        42, "Rome", dt.date(2026, 12, 4), 3)
    assert read.max_price_per_night is None or words == "cheapest and best rated"


def test_parse_names_every_missing_part_with_an_example() -> None:
    with pytest.raises(QuestionNotUnderstood) as raised:
        parse("Plan a trip for user 42")

    error = raised.value
    assert error.details["missing"] == ["city", "check-in date", "number of nights"]
    assert "does not say the city or the check-in date or the number of nights" in error.message
    assert "'Plan 3 nights in Lisbon from 2026-12-02 for user 42'" in error.message
    assert (error.status_code, error.code) == (422, "question_not_understood")


@pytest.mark.parametrize("question", ["", "   ", "What is the weather like?"])
def test_an_empty_question_misses_everything(question: str) -> None:
    with pytest.raises(QuestionNotUnderstood) as raised:
        parse(question)

    assert raised.value.details["missing"] == [
        "user id", "city", "check-in date", "number of nights"]


@pytest.mark.parametrize("question", ["3 nights in Rome in December for user 42",
                                      "3 nights in Rome in May 2027 for user 42"])
def test_a_month_alone_is_no_check_in(question: str) -> None:
    with pytest.raises(QuestionNotUnderstood, match="check-in date"):
        parse(question)


@pytest.mark.parametrize("date", ["2026-02-30", "31/02/2026"])
def test_parse_refuses_an_impossible_date(date: str) -> None:
    with pytest.raises(QuestionNotUnderstood, match=f"{date} is not a calendar date"):
        parse(f"Plan 3 nights in Lisbon from {date} for user 42")


def test_parse_refuses_a_stay_without_nights() -> None:
    with pytest.raises(QuestionNotUnderstood, match="at least one night"):
        parse("Plan 0 nights in Lisbon from 2026-12-04 for user 42")


def test_parse_refuses_nights_that_contradict_the_dates() -> None:
    with pytest.raises(QuestionNotUnderstood, match="says 2 nights but also 2026-12-04 to "
                                                    "2026-12-07"):
        parse("2 nights in Rome from 2026-12-04 to 2026-12-07 for user 42")


@pytest.mark.parametrize("user", ["0", "99999999999999999999"])
def test_parse_refuses_a_user_id_out_of_range(user: str) -> None:
    with pytest.raises(QuestionNotUnderstood, match="is not a user id"):
        parse(f"Plan 3 nights in Lisbon from 2026-12-04 for user {user}")


def test_parse_refuses_a_question_too_long_to_read() -> None:
    with pytest.raises(QuestionNotUnderstood, match="at most 1000"):
        parse("Plan 3 nights in Lisbon from 2026-12-04 for user 42 " + "x" * 1000)


def test_given_parts_complete_and_override_the_question() -> None:
    read = parse("3 nights in Rome for user 42, cheapest", city="Florence",
                 check_in="next Friday", user_id=7, amenities=["Pet friendly", "WIFI"],
                 max_price_per_night=120.0, min_stars=3, sort="rating")

    assert read == TravelQuestion(7, "Florence", FRIDAY, 3, 120.0, 3,
                                  ("pet_friendly", "wifi"), "rating")


def test_given_parts_alone_make_a_question() -> None:
    read = parse("", user_id=42, city="Lisbon", check_in=dt.date(2026, 12, 4), nights=2)

    assert read == TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 2)
    assert read.text() == ("Plan 2 nights in Lisbon from 2026-12-04 for user 42, "
                           "sorted by fit for the traveller.")


def test_a_given_part_replaces_what_the_question_could_not_apply() -> None:
    read = parse("3 nights in Rome from 2026-12-04 for user 42 and user 43", user_id=42)

    assert read.not_applied == ()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"check_in": "someday"}, "'someday' is not a check-in date"),
        ({"check_in": "2026-02-30"}, "'2026-02-30' is not a check-in date"),
        ({"nights": 0}, "at least one night"),
        ({"min_stars": 6}, "Hotels have 1 to 5 stars"),
        ({"max_price_per_night": 0.0}, "more than zero"),
        ({"sort": "distance"}, "Sort by one of price, rating, fit"),
        ({"amenities": ["jacuzzi"]}, "'jacuzzi' is not an amenity; known: wifi, breakfast"),
        ({"city": ""}, "1 to 100 characters"),
    ],
)
def test_given_parts_are_checked(given: dict[str, object], message: str) -> None:
    with pytest.raises(QuestionNotUnderstood, match=message):
        parse("3 nights in Rome from 2026-12-04 for user 42", **given)


def test_the_text_for_a_chat_model_states_every_constraint() -> None:
    read = TravelQuestion(42, "Rome", dt.date(2026, 12, 4), 1, 150.0, 4, ("pool",), "price")

    assert read.text() == ("Plan 1 night in Rome from 2026-12-04 for user 42, at most €150.00 "
                           "a night, at least 4 stars, with pool, sorted by price.")
