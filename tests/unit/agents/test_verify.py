"""Verification of answers against hand-made tool results: reading figures and judging them.

The results are the fake platform's Lisbon stay for user 42 (two hotels: Casa do
Rio, 101, and Alfama Palace, 205); prices are true at 19:25, hotel details at
20:00 and the profile at 21:00 on 2026-11-21.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from groundwork.agents.question import TravelQuestion
from groundwork.agents.records import ToolCallRecord
from groundwork.agents.render import render_answer
from groundwork.agents.verify import Judged, Verification, verify
from tests.unit.agents.fake_platform import (
    HOTELS_LISBON,
    NO_EXCLUSION,
    PROFILE_42,
    PROFILE_FRESH,
    SEARCH_FRESHNESS,
)

NOW = dt.datetime(2026, 11, 21, 21, 35, tzinfo=dt.UTC)
"""Prices are two hours old, the profile thirty-five minutes."""
STAY = TravelQuestion(42, "Lisbon", dt.date(2026, 12, 4), 3)
SEARCH_ARGUMENTS = {"user_id": 42, "city": "Lisbon", "check_in": "2026-12-04", "nights": 3,
                    "sort": "fit"}
SEARCH_OUTPUTS = {
    "city_name": "Lisbon", "check_out": "2026-12-07",
    "price_window": {"first_night": "2026-11-20", "last_night": "2027-02-17"},
    "hotels": HOTELS_LISBON, "matching": 2, "within_budget": 1, "budget_per_night": 170.8,
    "budget_total": 512.4, "excluded": {**NO_EXCLUSION, "no_rooms": 1}, "hotels_in_city": 3,
}


def profile_call(status: str = "PRESENT") -> ToolCallRecord:
    """``user_profile`` for user 42, its record in ``status``."""
    return ToolCallRecord("user_profile", {"user_id": 42}, {
        "endpoint": "user_profile", "outputs": PROFILE_42, "errors": {},
        "freshness": [{**PROFILE_FRESH, "status": status}], "trace_id": "trace-profile"})


def search_call(profile_status: str = "PRESENT", **changes: Any) -> ToolCallRecord:
    """``hotel_search`` in Lisbon for user 42; ``changes`` replace outputs or arguments."""
    arguments = {**SEARCH_ARGUMENTS, **{key: value for key, value in changes.items()
                                        if key in ("max_price_per_night", "nights")}}
    outputs = {**SEARCH_OUTPUTS, **{key: value for key, value in changes.items()
                                    if key in SEARCH_OUTPUTS}}
    freshness = [{**PROFILE_FRESH, "status": profile_status}, *SEARCH_FRESHNESS]
    return ToolCallRecord("hotel_search", arguments, {
        "endpoint": "hotel_search", "outputs": outputs, "freshness": freshness, "errors": {},
        "trace_id": "trace-search"})


CALLS = [profile_call(), search_call()]


def judge(answer: str, calls: list[ToolCallRecord] = CALLS, **options: Any) -> list[Judged]:
    return list(verify(answer, calls, now=options.pop("now", NOW), **options).figures)


def verdicts(answer: str, calls: list[ToolCallRecord] = CALLS, **options: Any
             ) -> list[tuple[str, str]]:
    """``(text, verdict)`` of every figure, in the order written."""
    return [(judged.figure.text, judged.verdict) for judged in judge(answer, calls, **options)]


def only(answer: str, **options: Any) -> Judged:
    """The one figure of ``answer`` (the test fails when there are more or none)."""
    [judged] = judge(answer, **options)
    return judged


def figure(answer: str, text: str, calls: list[ToolCallRecord] = CALLS, **options: Any
           ) -> Judged:
    """The figure written ``text`` in ``answer``."""
    [judged] = [item for item in judge(answer, calls, **options) if item.figure.text == text]
    return judged


def test_the_rendered_answer_is_all_grounded() -> None:
    answer = render_answer(STAY, CALLS[0].result, CALLS[1].result)

    verification = verify(answer, CALLS, now=NOW)

    assert verification.verified
    total = len(verification.figures)
    assert total >= 25
    assert verification.summary() == f"{total} figures, {total} grounded"
    texts = [judged.figure.text for judged in verification.figures]
    for text in ("Lisbon", "42", "3 nights", "2026-12-04", "2026-12-07", "€170.80", "€512.40",
                 "Casa do Rio", "4-star", "rated 4.6", "€498.30", "€166.10", "3 rooms",
                 "Alfama Palace", "€620.25", "1 room"):
        assert text in texts
    assert "two" not in texts and "thirty-five" not in texts  # ages are not figures


def test_a_hotel_price_names_its_call_path_view_entity_and_record_time() -> None:
    price = figure("Casa do Rio costs €498.30 in all.", "€498.30")

    assert price.verdict == "grounded"
    source = price.sources[0]
    assert (source.call, source.tool, source.path, source.trace_id) == (
        1, "hotel_search", "outputs.hotels[0].total_price", "trace-search")
    assert (source.view, source.entity, source.event_ts) == (
        "hotel_prices", 101, "2026-11-21T19:25:00Z")


def test_a_budget_comes_from_the_profile_of_the_user_asked_about() -> None:
    judged = only("Your budget is €170.80 a night.")

    assert judged.verdict == "grounded"
    assert {(source.tool, source.path) for source in judged.sources} == {
        ("user_profile", "outputs.budget_per_night"), ("hotel_search", "outputs.budget_per_night")}
    assert {(source.view, source.entity, source.event_ts, source.status)
            for source in judged.sources} == {
        ("user_profile", 42, "2026-11-21T21:00:00Z", "PRESENT")}


@pytest.mark.parametrize("written", ["€498.30", "498.3 EUR", "498,30 €", "EUR 498.30",
                                     "498.30 euros", "€ 498.3"])
def test_money_is_read_in_any_format(written: str) -> None:
    judged = only(f"The stay costs {written}.")

    assert (judged.figure.kind, judged.figure.text, judged.verdict) == (
        "money", written, "grounded")
    assert str(judged.figure.value) in ("498.30", "498.3")


@pytest.mark.parametrize("written", ["2026-12-04", "4 December", "December 4, 2026",
                                     "4th of December", "04/12/2026", "Dec 4"])
def test_a_date_is_read_in_any_format(written: str) -> None:
    judged = only(f"You arrive on {written}.")

    assert (judged.figure.kind, judged.figure.value, judged.verdict) == (
        "date", dt.date(2026, 12, 4), "grounded")
    assert judged.sources[0].path == "arguments.check_in"


def test_a_date_in_no_result_is_ungrounded() -> None:
    assert verdicts("You arrive on 5 December and leave on 2026-12-07.") == [
        ("5 December", "ungrounded"), ("2026-12-07", "grounded")]


def test_a_month_matches_any_day_of_it() -> None:
    assert verdicts("Your December 2026 stay, not one in January 2026.") == [
        ("December 2026", "grounded"), ("January 2026", "ungrounded")]


def test_numbers_in_words_count() -> None:
    assert verdicts("Three nights, then four nights more.") == [
        ("Three nights", "grounded"), ("four nights", "ungrounded")]


def test_stars_and_ratings_belong_to_the_hotel_named() -> None:
    assert verdicts("Casa do Rio is a 4-star hotel rated 4.6.") == [
        ("Casa do Rio", "grounded"), ("4-star", "grounded"), ("rated 4.6", "grounded")]
    judged = judge("Casa do Rio is a 5-star hotel rated 4.8.")
    assert [(item.figure.text, item.verdict, item.note) for item in judged[1:]] == [
        ("5-star", "ungrounded", "belongs to Alfama Palace, not Casa do Rio"),
        ("rated 4.8", "ungrounded", "belongs to Alfama Palace, not Casa do Rio")]


def test_the_travellers_preferred_stars_are_not_a_hotels_stars() -> None:
    judged = figure("Alfama Palace is a 4-star hotel.", "4-star")

    assert (judged.verdict, judged.note) == (
        "ungrounded", "belongs to Casa do Rio, not Alfama Palace")


def test_a_travellers_value_is_not_a_hotels_rating() -> None:
    judged = figure("Alfama Palace is rated 4.1.", "rated 4.1")

    assert (judged.verdict, judged.note) == ("ungrounded", "not a value of Alfama Palace")
    assert judged.sources[0].path == "outputs.avg_rating_given"


def test_an_invented_price_is_ungrounded() -> None:
    verification = verify("Casa do Rio: €450.00 for the stay.", CALLS, now=NOW)

    assert [(judged.figure.text, judged.verdict, judged.sources) for judged
            in verification.figures][1] == ("€450.00", "ungrounded", ())
    assert not verification.verified
    assert verification.summary() == "2 figures: 1 grounded, 1 ungrounded"


def test_swapped_prices_are_both_ungrounded_with_the_hotel_they_belong_to() -> None:
    judged = judge("Casa do Rio: €620.25 for the stay.\nAlfama Palace: €498.30 for the stay.")

    assert [(item.figure.text, item.verdict, item.note) for item in judged] == [
        ("Casa do Rio", "grounded", ""),
        ("€620.25", "ungrounded", "belongs to Alfama Palace, not Casa do Rio"),
        ("Alfama Palace", "grounded", ""),
        ("€498.30", "ungrounded", "belongs to Casa do Rio, not Alfama Palace")]
    assert judged[1].sources[0].path == "outputs.hotels[1].total_price"


def test_a_figure_belongs_to_the_hotel_named_last_before_it_or_else_first_after_it() -> None:
    assert verdicts("Casa do Rio costs €498.30 and Alfama Palace costs €620.25.") == [
        ("Casa do Rio", "grounded"), ("€498.30", "grounded"),
        ("Alfama Palace", "grounded"), ("€620.25", "grounded")]
    assert verdicts("At €620.25, Alfama Palace is the dearest.") == [
        ("€620.25", "grounded"), ("Alfama Palace", "grounded")]


def test_a_difference_of_two_amounts_is_derived() -> None:
    judged = figure("Casa do Rio is €14.10 under your budget of €512.40 for the stay.",
                    "€14.10")

    assert (judged.verdict, judged.note) == (
        "derived", "difference of 512.4 (budget_total) and 498.3 (total_price)")
    assert [source.path for source in judged.sources] == [
        "outputs.budget_total", "outputs.hotels[0].total_price"]


def test_a_sum_of_two_nights_is_derived_and_a_comparison_spans_both_hotels() -> None:
    first_nights = figure("The first two nights at Casa do Rio cost €330.10.", "€330.10")
    more = figure("Alfama Palace costs €121.95 more than Casa do Rio.", "€121.95")

    assert (first_nights.verdict, first_nights.note) == (
        "derived", "sum of 164.0 (nightly_prices) and 166.1 (nightly_prices)")
    assert (more.verdict, more.note) == (
        "derived", "difference of 620.25 (total_price) and 498.3 (total_price)")


def test_a_sum_of_counts_is_derived() -> None:
    excluded = {**NO_EXCLUSION, "no_rooms": 4, "below_min_stars": 3}
    calls = [profile_call(), search_call(excluded=excluded)]

    judged = figure("7 hotels were left out.", "7 hotels", calls)

    assert (judged.verdict, judged.note) == ("derived", "sum of 7 values")
    assert {source.path for source in judged.sources} == {
        f"outputs.excluded.{reason}" for reason in excluded}


def test_an_expired_record_stated_as_current_is_stale() -> None:
    calls = [profile_call("EXPIRED"), search_call("EXPIRED")]

    judged = only("Your budget is €170.80 a night.", calls=calls)
    said = verdicts("Your budget is €170.80 a night (profile last updated a day ago).", calls)

    assert (judged.verdict, judged.note) == ("stale", "EXPIRED profile value stated as current")
    assert judged.sources[0].status == "EXPIRED"
    assert said == [("€170.80", "grounded")]


def test_a_fresh_source_of_the_same_value_keeps_it_grounded() -> None:
    calls = [profile_call("EXPIRED"), search_call("EXPIRED", max_price_per_night=170.8)]

    judged = only("At most €170.80 a night.", calls=calls)

    assert judged.verdict == "grounded"
    assert [source.path for source in judged.sources] == ["arguments.max_price_per_night"]


def test_a_price_older_than_its_limit_is_stale_unless_its_age_is_said() -> None:
    later = NOW + dt.timedelta(days=1)
    answer = "Casa do Rio: €498.30 for the stay, rated 4.6."

    assert verdicts(answer, now=later) == [
        ("Casa do Rio", "grounded"), ("€498.30", "stale"), ("rated 4.6", "grounded")]
    assert judge(answer, now=later)[1].note == (
        "price 1 day old, over the limit of 6 hours, stated as current")
    assert verdicts(answer, now=later, stale_after={"hotel_prices": dt.timedelta(days=2)})[1] \
        == ("€498.30", "grounded")
    assert verdicts(f"{answer}\nPrices as of a day ago.", now=later)[1] == ("€498.30",
                                                                             "grounded")
    assert verdicts(answer, now=later + dt.timedelta(days=7))[2] == ("rated 4.6", "stale")


def test_list_markers_clock_times_and_ages_are_not_figures() -> None:
    answer = ("1. Casa do Rio, prices as of two hours ago (19:25 UTC).\n"
              "2. Alfama Palace, details as of thirty-five minutes ago.")

    assert verdicts(answer) == [("Casa do Rio", "grounded"), ("Alfama Palace", "grounded")]


def test_names_in_no_result_are_ungrounded() -> None:
    assert verdicts("Stay in Lisbon at Grand Hotel Lisboa or go to Madrid. Nice choice.") == [
        ("Lisbon", "grounded"), ("Grand Hotel Lisboa", "ungrounded"), ("Madrid", "ungrounded")]


def test_money_in_another_currency_is_ungrounded() -> None:
    judged = only("The stay costs $498.30.")

    assert (judged.verdict, judged.note) == ("ungrounded",
                                             "not in EUR, the currency of the tools")


def test_an_errors_details_are_sources() -> None:
    error = {"error": {"code": "stay_too_long", "message": "The stay is too long.",
                       "details": {"field": "nights", "nights": 45, "limit": 30}}}
    calls = [ToolCallRecord("hotel_search", {**SEARCH_ARGUMENTS, "nights": 45}, error)]

    judged = judge("A stay can last at most 30 nights; 45 were asked for.", calls)

    assert [(item.figure.text, item.verdict) for item in judged] == [
        ("30 nights", "grounded"), ("45", "grounded")]
    assert judged[0].sources[0].path == "error.details.limit"
    assert judged[0].sources[0].trace_id is None


def test_the_json_form_carries_every_figure_with_its_sources() -> None:
    verification = verify("Casa do Rio: €498.30 from 2026-12-04, not €1.00.", CALLS, now=NOW)

    document = orjson.loads(orjson.dumps(verification.to_json()))

    assert document["answer_id"] == verification.answer_id and len(document["answer_id"]) == 32
    assert document["verified"] is False
    assert document["summary"] == "4 figures: 3 grounded, 1 ungrounded"
    assert document["counts"] == {"grounded": 3, "derived": 0, "stale": 0, "ungrounded": 1}
    price = document["figures"][1]
    assert {key: price[key] for key in ("text", "kind", "value", "start", "end", "verdict")} == {
        "text": "€498.30", "kind": "money", "value": "498.30", "start": 13, "end": 20,
        "verdict": "grounded"}
    assert price["sources"][0] == {
        "call": 1, "tool": "hotel_search", "path": "outputs.hotels[0].total_price",
        "trace_id": "trace-search", "view": "hotel_prices", "entity": 101,
        "event_ts": "2026-11-21T19:25:00Z", "status": None}
    assert document["figures"][2]["value"] == "2026-12-04"


def test_each_answer_gets_its_own_id_and_an_answer_without_figures_is_verified() -> None:
    first, second = verify("No figures here.", CALLS), verify("No figures here.", CALLS)

    assert first.answer_id != second.answer_id
    assert first.verified and first.summary() == "0 figures"
    assert Verification("x", ()).count("grounded") == 0


def test_hostile_tool_calls_are_read_without_failing() -> None:
    deep: Any = 498.3
    for _ in range(500):
        deep = [deep]
    calls = [ToolCallRecord("anything", {"nested": deep, "flag": True, "none": None},
                            {"outputs": {"hotels": [{"hotel_id": None, "name": "x" * 10_000}]}})]

    assert verdicts("€498.30 at " + "x" * 300, calls) == [("€498.30", "ungrounded")]
