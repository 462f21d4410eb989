"""The travel planner's grounded answer, written from tool results alone.

Every figure in the answer is copied from a tool result or from the tool-call
arguments (the question's own user id, check-in date, nights and constraints):
prices, budgets, stars, ratings, rooms, counts and dates are never computed
here. Money keeps its value and is written with two decimals (``512.4`` reads
``€512.40``). Freshness ages are written in words ("prices as of two hours
ago"), each from its own source: prices from ``hotel_prices``, hotel details
from ``hotel_stats``, the profile from ``user_profile``.

Each conclusion is said only when the results make it true: "no hotel fits the
budget" only when hotels match and none is within it, "the cheapest" only when
the hotels are sorted by price, "no hotel has rooms for the whole stay" only
when rooms are the one reason every hotel was left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from groundwork.agents.question import TravelQuestion
from groundwork.agents.rest import is_error

PRESENT, MISSING, EXPIRED = "PRESENT", "MISSING", "EXPIRED"
PRICES_VIEW, DETAILS_VIEW, PROFILE_VIEW = "hotel_prices", "hotel_stats", "user_profile"

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EXCLUSIONS = (
    ("no_rooms", "has no room for the whole stay", "have no room for the whole stay"),
    ("no_price", "has no price for these nights", "have no price for these nights"),
    ("over_max_price", "costs more than {max_price} a night",
     "cost more than {max_price} a night"),
    ("below_min_stars", "has fewer than {min_stars} stars", "have fewer than {min_stars} stars"),
    ("missing_amenities", "lacks {amenities}", "lack {amenities}"),
    ("data_missing", "has missing data", "have missing data"),
    ("data_expired", "has expired data", "have expired data"),
)
"""Why hotels were left out (``excluded`` of ``hotel_search``), in one and in many."""

Sentence = Callable[[Mapping[str, Any], str, TravelQuestion], str]
"""Writes the sentence of one error code from its details, the action and the question."""


def render_answer(
    question: TravelQuestion,
    profile: Mapping[str, Any],
    search: Mapping[str, Any],
    *,
    limit: int = 3,
) -> str:
    """Write the answer to ``question`` from the two endpoint results.

    Args:
        question: The stay that was asked about (its constraints are the search's).
        profile: Result of ``user_profile`` (success body or error data).
        search: Result of ``hotel_search`` (success body or error data).
        limit: How many hotels to list at most.
    """
    lines = [
        _stay_line(question, search),
        *_profile_lines(question, profile, search),
        _search_line(question),
        *_result_lines(question, search, limit),
        *_not_applied_lines(question),
        *_freshness_lines(profile, search),
    ]
    return "\n".join(line for line in lines if line)


def money(amount: float) -> str:
    """Write an amount in EUR with two decimals, e.g. ``€512.40``."""
    return f"€{amount:.2f}"


def humanised_age(seconds: float) -> str:
    """Say how long ago a value was true, in words: ``"thirty-five minutes ago"``."""
    if seconds < 60:
        return "just now"
    if seconds < 90 * 60:
        count, unit = round(seconds / 60), "minute"
    elif seconds < 36 * 3600:
        count, unit = round(seconds / 3600), "hour"
    else:
        count, unit = round(seconds / 86_400), "day"
    return f"{count_in_words(count)} {unit}{'' if count == 1 else 's'} ago"


def count_in_words(count: int) -> str:
    """Write a count in English words (``42`` reads ``forty-two``)."""
    if count > 99:
        return "more than ninety-nine"
    if count < 20:
        return _ONES[count]
    tens, ones = divmod(count, 10)
    return _TENS[tens] if ones == 0 else f"{_TENS[tens]}-{_ONES[ones]}"


def _city(question: TravelQuestion, search: Mapping[str, Any]) -> str:
    return str(_outputs(search).get("city_name") or question.city)


def _stay_line(question: TravelQuestion, search: Mapping[str, Any]) -> str:
    check_out = _outputs(search).get("check_out")
    until = f" to {check_out}" if check_out else ""
    nights = f"{question.nights} night{'' if question.nights == 1 else 's'}"
    return (
        f"Stay in {_city(question, search)} for user {question.user_id}: {nights}, "
        f"{question.check_in.isoformat()}{until}."
    )


def _profile_lines(
    question: TravelQuestion, profile: Mapping[str, Any], search: Mapping[str, Any]
) -> list[str]:
    user = f"user {question.user_id}"
    if is_error(profile):
        failure = _failure(profile, f"read the profile of {user}", question)
        per_night = _outputs(search).get("budget_per_night")
        budget = [] if per_night is None else [_budget_line(user, per_night, _outputs(search))]
        return [failure, *budget]
    entries = _freshness(profile)
    status = _worst_status(entries)
    if status == MISSING:
        return [f"There is no profile for {user}, so I know neither budget nor preferences."]
    if status == EXPIRED:
        age = _oldest_age(entries)
        updated = f" (last updated {humanised_age(age)})" if age is not None else ""
        return [f"The profile of {user} has expired{updated}, so I do not use its budget "
                "or preferences."]
    outputs = _outputs(profile)
    return [
        _budget_line(user, outputs.get("budget_per_night"), _outputs(search)),
        _preference_line(outputs),
        *_step_error_lines(profile),
    ]


def _budget_line(user: str, per_night: float | None, search_outputs: Mapping[str, Any]) -> str:
    if per_night is None:
        return f"No budget is on file for {user}."
    total = search_outputs.get("budget_total")
    for_stay = f", {money(total)} for the stay" if total is not None else ""
    return f"Budget: {money(per_night)} per night{for_stay}."


def _preference_line(outputs: Mapping[str, Any]) -> str:
    stars, amenities = outputs.get("preferred_stars"), outputs.get("preferred_amenities")
    if stars is None and not amenities:
        return ""
    hotels = f"{stars}-star hotels" if stars is not None else "hotels"
    extras = f" with {', '.join(amenities)}" if amenities else ""
    return f"Prefers {hotels}{extras}."


def _search_line(question: TravelQuestion) -> str:
    """What the search asked for: the constraints applied and the order."""
    constraints = []
    if question.min_stars is not None:
        constraints.append(f"at least {question.min_stars} stars")
    if question.max_price_per_night is not None:
        constraints.append(f"at most {money(question.max_price_per_night)} a night")
    if question.amenities:
        constraints.append(f"with {', '.join(question.amenities)}")
    order = {"price": "cheapest first", "rating": "best rated first",
             "fit": f"best fit for user {question.user_id} first"}[question.sort]
    return f"Search: {'; '.join([*constraints, order])}."


def _result_lines(question: TravelQuestion, search: Mapping[str, Any], limit: int) -> list[str]:
    if is_error(search):
        return [_failure(search, "search hotels", question)]
    outputs = _outputs(search)
    notes = _step_error_lines(search)
    hotels: Sequence[Mapping[str, Any]] = outputs.get("hotels") or []
    matching = outputs.get("matching")
    if not matching or not hotels:
        return [*notes, *_nothing_matches(question, search)]
    heading = {"price": "The cheapest:", "rating": "The best rated:",
               "fit": f"The best fits for user {question.user_id}:"}[question.sort]
    return [
        *notes,
        _verdict(question, search),
        heading,
        *(_hotel_line(hotel) for hotel in hotels[:limit]),
        *_left_out_for_data(outputs.get("excluded") or {}),
    ]


def _verdict(question: TravelQuestion, search: Mapping[str, Any]) -> str:
    """How many matching hotels fit the budget, when the budget is known."""
    outputs = _outputs(search)
    matching, within = outputs["matching"], outputs.get("within_budget")
    budget = outputs.get("budget_per_night")
    city = _city(question, search)
    hotels = f"hotel{'' if matching == 1 else 's'}"
    if within is None or budget is None:
        verb = "matches" if matching == 1 else "match"
        return f"{matching} {hotels} in {city} {verb} the search."
    if within == 0:
        return (f"No hotel in {city} fits the budget of {money(budget)} a night; "
                f"{matching} matching {hotels} {'is' if matching == 1 else 'are'} over it.")
    verb = "fits" if within == 1 else "fit"
    return f"{within} of {matching} matching {hotels} {verb} the budget of {money(budget)} a night."


def _nothing_matches(question: TravelQuestion, search: Mapping[str, Any]) -> list[str]:
    """No hotel matched: say why, from the exclusion counts."""
    outputs = _outputs(search)
    city = _city(question, search)
    excluded: Mapping[str, int] = outputs.get("excluded") or {}
    in_city = outputs.get("hotels_in_city")
    reasons = {key: count for key, count in excluded.items() if count}
    if not in_city:
        return [f"No hotel in {city} is known to the search."]
    if set(reasons) == {"no_rooms"}:
        headline = f"No hotel in {city} has rooms for the whole stay."
    else:
        headline = f"No hotel in {city} matches the search."
    return [headline, _exclusion_line(question, city, in_city, excluded)]


def _exclusion_line(question: TravelQuestion, city: str, in_city: int,
                    excluded: Mapping[str, int]) -> str:
    values = {
        "max_price": money(question.max_price_per_night or 0),
        "min_stars": question.min_stars,
        "amenities": ", ".join(question.amenities) or "the amenities asked for",
    }
    parts = []
    for key, one, many in _EXCLUSIONS:
        count = excluded.get(key) or 0
        if count:
            parts.append(f"{count} {(one if count == 1 else many).format(**values)}")
    hotels = f"hotel{'' if in_city == 1 else 's'}"
    return f"Of the {in_city} {hotels} in {city}: {'; '.join(parts)}." if parts else ""


def _left_out_for_data(excluded: Mapping[str, int]) -> list[str]:
    lines = []
    for key, state in (("data_missing", "missing"), ("data_expired", "expired")):
        count = excluded.get(key) or 0
        if count == 1:
            lines.append(f"1 hotel was left out because its data is {state}.")
        elif count:
            lines.append(f"{count} hotels were left out because their data is {state}.")
    return lines


def _hotel_line(hotel: Mapping[str, Any]) -> str:
    rating = hotel.get("rating")
    rated = f"rated {rating}" if rating is not None else "not rated yet"
    amenities = hotel.get("amenities") or []
    facts = f"{hotel['stars']}-star, {rated}" + (f"; {', '.join(amenities)}" if amenities else "")
    rooms = hotel["rooms_left"]
    rooms_text = f"{rooms} room{'' if rooms == 1 else 's'} left"
    within = hotel.get("within_budget")
    fit = "" if within is None else ", within budget" if within else ", over budget"
    return (
        f"- {hotel['name']} ({facts}): {money(hotel['total_price'])} for the stay, "
        f"{money(hotel['price_per_night'])} per night{fit}, {rooms_text}."
    )


def _not_applied_lines(question: TravelQuestion) -> list[str]:
    if not question.not_applied:
        return []
    return [f"Not applied: {'; '.join(question.not_applied)}."]


def _freshness_lines(profile: Mapping[str, Any], search: Mapping[str, Any]) -> list[str]:
    """The age of each source, from its own freshness entries."""
    search_entries = _freshness(search)
    parts = [
        _source_age("prices", [e for e in search_entries if e.get("view") == PRICES_VIEW]),
        _source_age("hotel details",
                    [e for e in search_entries if e.get("view") == DETAILS_VIEW]),
    ]
    profile_entries = [e for e in _freshness(profile) if e.get("view") == PROFILE_VIEW]
    if is_error(profile) and _outputs(search).get("budget_per_night") is not None:
        # the budget written came from the search: say how old the profile behind it is
        profile_entries = [e for e in search_entries if e.get("view") == PROFILE_VIEW]
    if _worst_status(profile_entries) == PRESENT:
        parts.append(_source_age("profile", profile_entries))
    summary = "; ".join(part for part in parts if part)
    return [f"{summary[:1].upper()}{summary[1:]}."] if summary else []


def _source_age(source: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """``"prices as of two hours ago"``; ``"at the oldest"`` when it covers several keys."""
    age = _oldest_age(entries)
    if age is None:
        return ""
    keys = sum(int(entry.get("keys") or 1) for entry in entries)
    return f"{source} as of {humanised_age(age)}{' at the oldest' if keys > 1 else ''}"


def _outputs(result: Mapping[str, Any]) -> Mapping[str, Any]:
    return {} if is_error(result) else result.get("outputs") or {}


def _freshness(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [] if is_error(result) else list(result.get("freshness") or [])


def _worst_status(entries: Sequence[Mapping[str, Any]]) -> str:
    statuses = {entry.get("status") for entry in entries}
    for status in (MISSING, EXPIRED):
        if status in statuses:
            return status
    return PRESENT


def _oldest_age(entries: Sequence[Mapping[str, Any]]) -> float | None:
    ages = [entry["age_seconds"] for entry in entries if entry.get("age_seconds") is not None]
    return max(ages, default=None)


def _step_error_lines(result: Mapping[str, Any]) -> list[str]:
    failed = result.get("errors") or {}
    return [
        f"Part of the data could not be computed: {step} ({error.get('code', 'error')})."
        for step, error in failed.items()
    ]


def _failure(result: Mapping[str, Any], action: str, question: TravelQuestion) -> str:
    """One sentence for a tool's error, from its code and details."""
    error = result["error"]
    code, details = error.get("code"), error.get("details") or {}
    sentence = _ERROR_SENTENCES.get(str(code))
    if sentence is not None:
        return sentence(details, action, question)
    return f"I could not {action}: {str(error.get('message', '')).rstrip('.')} ({code})."


def _unknown_city(details: Mapping[str, Any], action: str, question: TravelQuestion) -> str:
    suggestions = details.get("suggestions") or []
    closest = f" Closest known names: {', '.join(suggestions)}." if suggestions else ""
    return f"No city named {details.get('city', question.city)!r} is known.{closest}"


def _check_in_in_past(details: Mapping[str, Any], action: str,
                      question: TravelQuestion) -> str:
    today = f" (today is {details['today']})" if details.get("today") else ""
    return f"The check-in date {details.get('check_in', '')} is in the past{today}."


def _outside_price_window(details: Mapping[str, Any], action: str,
                          question: TravelQuestion) -> str:
    return (f"Prices are known for the nights from {details.get('first_night')} to "
            f"{details.get('last_night')}; the stay from {details.get('check_in')} to "
            f"{details.get('check_out')} is not covered by them.")


def _stay_too_long(details: Mapping[str, Any], action: str, question: TravelQuestion) -> str:
    return (f"A stay can last at most {details.get('limit')} nights; "
            f"{details.get('nights', question.nights)} were asked for.")


def _data_unavailable(state: str) -> Sentence:
    def sentence(details: Mapping[str, Any], action: str, question: TravelQuestion) -> str:
        where = f" for {details['city']}" if details.get("city") else ""
        return (f"I could not {action}: the {details.get('source', 'hotel')} data{where} "
                f"{state}.")
    return sentence


def _access_denied(details: Mapping[str, Any], action: str, question: TravelQuestion) -> str:
    if details.get("field") == "user_id":
        return (f"I may not {action}: this agent's token does not allow acting for "
                f"user {question.user_id} (access_denied).")
    return f"I may not {action}: this agent holds no grant for it (access_denied)."


_ERROR_SENTENCES: dict[str, Sentence] = {
    "unknown_city": _unknown_city,
    "check_in_in_past": _check_in_in_past,
    "dates_outside_price_window": _outside_price_window,
    "stay_too_long": _stay_too_long,
    "data_missing": _data_unavailable("is missing"),
    "data_expired": _data_unavailable("has expired"),
    "access_denied": _access_denied,
}
"""A sentence per error code the travel tools return, written from the error's details."""
