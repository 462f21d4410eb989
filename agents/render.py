"""The travel planner's grounded answer, written from tool results alone.

Every figure in the answer is copied from a tool result or from the tool-call
arguments (the question's own user id, check-in date and nights): prices,
budgets, stars, ratings, rooms and dates are never computed here. Money keeps
its value and is written with two decimals (``512.4`` reads ``€512.40``).
Freshness ages are written in words ("prices as of two hours ago"), so no
derived figure slips into the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from groundwork.agents.question import TravelQuestion
from groundwork.agents.rest import is_error

PRESENT, MISSING, EXPIRED = "PRESENT", "MISSING", "EXPIRED"

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def render_answer(
    question: TravelQuestion,
    profile: Mapping[str, Any],
    offers: Mapping[str, Any],
    *,
    limit: int = 3,
) -> str:
    """Write the answer to ``question`` from the two endpoint results.

    Args:
        question: The stay that was asked about.
        profile: Result of ``user_profile`` (success body or error data).
        offers: Result of ``hotel_offers`` (success body or error data).
        limit: How many offers to list at most.
    """
    lines = [
        _stay_line(question, offers),
        *_profile_lines(question, profile, offers),
        *_offer_lines(question.city, offers, limit),
        *_freshness_lines(profile, offers),
    ]
    return "\n".join(lines)


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


def _stay_line(question: TravelQuestion, offers: Mapping[str, Any]) -> str:
    check_out = _outputs(offers).get("check_out")
    until = f" to {check_out}" if check_out else ""
    nights = f"{question.nights} night{'' if question.nights == 1 else 's'}"
    return (
        f"Stay in {question.city} for user {question.user_id}: {nights}, "
        f"{question.check_in.isoformat()}{until}."
    )


def _profile_lines(
    question: TravelQuestion, profile: Mapping[str, Any], offers: Mapping[str, Any]
) -> list[str]:
    user = f"user {question.user_id}"
    if is_error(profile):
        failure = f"I could not read the profile of {user}: {_failure(profile)}"
        per_night = _outputs(offers).get("budget_per_night")
        budget = [] if per_night is None else [_budget_line(user, per_night, _outputs(offers))]
        return [failure, *budget]
    entries = _freshness(profile)
    status = _worst_status(entries)
    if status == MISSING:
        return [f"There is no profile for {user}, so I know neither budget nor preferences."]
    if status == EXPIRED:
        age = _oldest_age(entries, EXPIRED)
        updated = f" (last updated {humanised_age(age)})" if age is not None else ""
        return [f"The profile of {user} has expired{updated}, so I do not use its budget "
                "or preferences."]
    outputs = _outputs(profile)
    lines = [
        _budget_line(user, outputs.get("budget_per_night"), _outputs(offers)),
        _preference_line(outputs),
        *_step_error_lines(profile),
    ]
    return [line for line in lines if line]


def _budget_line(user: str, per_night: float | None, offer_outputs: Mapping[str, Any]) -> str:
    if per_night is None:
        return f"No budget is on file for {user}."
    total = offer_outputs.get("budget_total")
    for_stay = f", {money(total)} for the stay" if total is not None else ""
    return f"Budget: {money(per_night)} per night{for_stay}."


def _preference_line(outputs: Mapping[str, Any]) -> str:
    stars, amenities = outputs.get("preferred_stars"), outputs.get("preferred_amenities")
    if stars is None and not amenities:
        return ""
    hotels = f"{stars}-star hotels" if stars is not None else "hotels"
    extras = f" with {', '.join(amenities)}" if amenities else ""
    return f"Prefers {hotels}{extras}."


def _offer_lines(city: str, offers: Mapping[str, Any], limit: int) -> list[str]:
    if is_error(offers):
        return [f"I could not get hotel offers: {_failure(offers)}"]
    outputs = _outputs(offers)
    ranked: Sequence[Mapping[str, Any]] = outputs.get("ranked_offers") or []
    notes = _step_error_lines(offers)
    if not ranked:
        return [*notes, f"No hotel in {city} can host the whole stay."]
    budget = outputs.get("budget_total")
    if budget is not None and not any(offer.get("within_budget") for offer in ranked):
        heading = f"No hotel fits the budget of {money(budget)} for the stay; the closest:"
    else:
        heading = "Top offers:"
    return [*notes, heading, *(_offer_line(offer, budget) for offer in ranked[:limit])]


def _offer_line(offer: Mapping[str, Any], budget: float | None) -> str:
    rating = offer.get("rating")
    rated = f"rated {rating}" if rating is not None else "not rated yet"
    rooms = offer["rooms_left"]
    rooms_text = f"{rooms} room{'' if rooms == 1 else 's'} left"
    return (
        f"- {offer['name']} ({offer['stars']}-star, {rated}): "
        f"{money(offer['total_price'])} for the stay ({money(offer['price_per_night'])} "
        f"per night){_budget_fit(offer, budget)}, {rooms_text}."
    )


def _budget_fit(offer: Mapping[str, Any], budget: float | None) -> str:
    if budget is None:
        return ""
    if offer.get("within_budget"):
        return ", within budget"
    return f", over the {money(budget)} budget"


def _freshness_lines(profile: Mapping[str, Any], offers: Mapping[str, Any]) -> list[str]:
    profile_entries = _freshness(profile)
    profile_views = {entry.get("view") for entry in profile_entries}
    hotel_entries = [
        entry for entry in _freshness(offers)
        if entry.get("view") not in profile_views and not str(entry.get("view")).startswith("user")
    ]
    parts = []
    if (prices_age := _oldest_age(hotel_entries, PRESENT)) is not None:
        parts.append(f"prices as of {humanised_age(prices_age)}")
    if _worst_status(profile_entries) == PRESENT and (
        profile_age := _oldest_age(profile_entries, PRESENT)
    ) is not None:
        parts.append(f"profile as of {humanised_age(profile_age)}")
    summary = "; ".join(parts)
    lines = [f"{summary[:1].upper()}{summary[1:]}."] if parts else []
    if any(entry.get("status") != PRESENT for entry in hotel_entries):
        lines.append("Some hotel data is missing or expired; those hotels are left out.")
    return lines


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


def _oldest_age(entries: Sequence[Mapping[str, Any]], status: str) -> float | None:
    ages = [
        entry["age_seconds"] for entry in entries
        if entry.get("status") == status and entry.get("age_seconds") is not None
    ]
    return max(ages, default=None)


def _step_error_lines(result: Mapping[str, Any]) -> list[str]:
    failed = result.get("errors") or {}
    return [
        f"Part of the data could not be computed: {step} ({error.get('code', 'error')})."
        for step, error in failed.items()
    ]


def _failure(result: Mapping[str, Any]) -> str:
    error = result["error"]
    return f"{str(error.get('message', '')).rstrip('.')} ({error.get('code')})."
