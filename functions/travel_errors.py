"""Errors the travel functions answer with: a code and a message a model can act on.

Each is a :class:`~groundwork.errors.GroundworkError`, so the one invoke answers
it with its status and code over REST and MCP alike, with ``details`` holding
what to do next (the closest city names, the window that has prices, the limit).
"""

from __future__ import annotations

import datetime as dt

from groundwork.errors import GroundworkError

MAX_NIGHTS = 30
"""Longest stay the travel endpoints plan."""


class UnknownCity(GroundworkError):
    """No destination city has this name; ``details.suggestions`` holds the closest ones."""

    status_code = 404
    code = "unknown_city"

    def __init__(self, city: str, suggestions: list[str]) -> None:
        closest = f" Closest known names: {', '.join(suggestions)}." if suggestions else ""
        super().__init__(f"No city named {city!r} is known.{closest} Ask for one city by name.",
                         city=city, suggestions=suggestions)


class CheckInInPast(GroundworkError):
    """The check-in date is before today (UTC)."""

    status_code = 422
    code = "check_in_in_past"

    def __init__(self, check_in: dt.date, today: dt.date) -> None:
        super().__init__(
            f"The check-in date {check_in.isoformat()} is in the past (today is "
            f"{today.isoformat()}); choose a date from today on.",
            check_in=check_in.isoformat(), today=today.isoformat())


class DatesOutsidePriceWindow(GroundworkError):
    """Some night of the stay has no price at any hotel of the city."""

    status_code = 422
    code = "dates_outside_price_window"

    def __init__(self, check_in: dt.date, check_out: dt.date, first_night: dt.date,
                 last_night: dt.date) -> None:
        super().__init__(
            f"Prices are known for nights from {first_night.isoformat()} to "
            f"{last_night.isoformat()}; the stay {check_in.isoformat()} to "
            f"{check_out.isoformat()} falls outside. Choose nights within that window.",
            check_in=check_in.isoformat(), check_out=check_out.isoformat(),
            first_night=first_night.isoformat(), last_night=last_night.isoformat())


class StayTooLong(GroundworkError):
    """More nights than the endpoints plan; ``details.limit`` is the most."""

    status_code = 422
    code = "stay_too_long"

    def __init__(self, nights: object) -> None:
        super().__init__(
            f"A stay lasts at most {MAX_NIGHTS} nights; {nights} were asked. Ask for "
            f"{MAX_NIGHTS} nights or fewer (split a longer trip into several stays).",
            field="nights", nights=nights if isinstance(nights, int) else None, limit=MAX_NIGHTS)


class DataMissing(GroundworkError):
    """The data an answer needs was never synced; ``details.source`` names the view."""

    status_code = 503
    code = "data_missing"

    def __init__(self, source: str, what: str, **details: object) -> None:
        super().__init__(f"{what} is missing from the online store ({source}); "
                         "it must be computed and synced.", source=source, **details)


class DataExpired(GroundworkError):
    """The data an answer needs is older than its view's TTL; ``details.source`` names it."""

    status_code = 503
    code = "data_expired"

    def __init__(self, source: str, what: str, as_of: dt.datetime | None,
                 **details: object) -> None:
        since = f" (last updated {as_of.isoformat(timespec='seconds')})" if as_of else ""
        super().__init__(f"{what} has expired{since} ({source}); it must be synced again "
                         "before it can be served.", source=source,
                         as_of=None if as_of is None else as_of.isoformat(), **details)
