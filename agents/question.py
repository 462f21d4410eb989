"""The travel planner's question: who travels, where, from when, for how long, and how.

The deterministic planner reads the stay from a plain question such as
``"Plan 3 nights in Lisbon from 2026-12-04 for user 42"``, ``"a weekend in Rome
for user 7, under €150 a night"`` or ``"trois nuits à Lyon du 4 décembre pour
l'utilisateur 42"``, with the constraints ``hotel_search`` applies (price per
night, stars, amenities, order). What it recognises but cannot apply (a number
of guests, a second traveller, a budget for the whole stay) is kept in
:attr:`TravelQuestion.not_applied`, so the answer can say so. A chat model reads
free-form questions itself and does not need this parser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from groundwork.agents import phrases
from groundwork.agents.phrases import Found, PriceLimit, Span
from groundwork.errors import InvalidInput

Sort = Literal["price", "rating", "fit"]
SORTS: tuple[Sort, ...] = ("price", "rating", "fit")
MAX_QUESTION_LENGTH = 1000
"""Longest question read, in characters."""
MAX_AMENITIES = 10
"""Most amenities one search may require."""
MAX_ID = 2**63 - 1
"""Largest user id (a 64-bit integer)."""
WEEKEND_NIGHTS = 2
"""A weekend is Friday and Saturday night."""
_SORT_WORDS = {"price": "price", "rating": "rating", "fit": "fit for the traveller"}


class QuestionNotUnderstood(InvalidInput):
    """The question lacks a part of the stay, holds an impossible one, or is ambiguous."""

    code = "question_not_understood"


def example_question(today: dt.date) -> str:
    """A question in the shape :meth:`TravelQuestion.parse` understands, two weeks ahead."""
    return f"Plan 3 nights in Lisbon from {(today + dt.timedelta(days=14)).isoformat()} for user 42"


@dataclass(frozen=True, slots=True)
class TravelQuestion:
    """A stay to plan, with the constraints of the hotel search.

    Attributes:
        user_id: The traveller.
        city: Destination city, as written in the question.
        check_in: Arrival date.
        nights: Number of nights, at least one.
        max_price_per_night: Highest price per night in EUR, if the question sets one.
        min_stars: Fewest stars (1 to 5), if the question sets them.
        amenities: Amenities every hotel must have.
        sort: Order of the hotels: ``price``, ``rating`` or ``fit`` (for the traveller).
        not_applied: What the question asks that the search cannot apply, in words.
    """

    user_id: int
    city: str
    check_in: dt.date
    nights: int
    max_price_per_night: float | None = None
    min_stars: int | None = None
    amenities: tuple[str, ...] = ()
    sort: Sort = "fit"
    not_applied: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        question: str = "",
        *,
        today: dt.date | None = None,
        user_id: int | None = None,
        city: str | None = None,
        check_in: dt.date | str | None = None,
        nights: int | None = None,
        max_price_per_night: float | None = None,
        min_stars: int | None = None,
        amenities: Sequence[str] | None = None,
        sort: str | None = None,
    ) -> TravelQuestion:
        """Read the stay from ``question``; the keyword parts, when given, win over it.

        Args:
            question: The question in English or French (may be empty when every
                part is given).
            today: The day relative dates count from (``"tomorrow"``); today by default.
            user_id: The traveller, instead of the one the question names.
            city: The destination, instead of the one the question names.
            check_in: The arrival date, or words for it (``"next Friday"``).
            nights: The number of nights.
            max_price_per_night: Highest price per night in EUR.
            min_stars: Fewest stars, 1 to 5.
            amenities: Amenities every hotel must have (``"pool"``, ``"pet friendly"``).
            sort: ``price``, ``rating`` or ``fit``.

        Raises:
            QuestionNotUnderstood: naming every part that is missing (with an
                example question), or the part that is impossible or ambiguous.
        """
        today = today or dt.date.today()
        reading = _Reading(_bounded(question), today)
        given = _Given(user_id, city, check_in, nights, max_price_per_night, min_stars,
                       amenities, sort)
        return reading.question(given)

    def profile_arguments(self) -> dict[str, Any]:
        """Inputs of the ``user_profile`` endpoint."""
        return {"user_id": self.user_id}

    def search_arguments(self) -> dict[str, Any]:
        """Inputs of the ``hotel_search`` endpoint: the stay, the constraints set, the order."""
        arguments: dict[str, Any] = {
            "user_id": self.user_id,
            "city": self.city,
            "check_in": self.check_in.isoformat(),
            "nights": self.nights,
        }
        if self.max_price_per_night is not None:
            arguments["max_price_per_night"] = self.max_price_per_night
        if self.min_stars is not None:
            arguments["min_stars"] = self.min_stars
        if self.amenities:
            arguments["amenities"] = list(self.amenities)
        arguments["sort"] = self.sort
        return arguments

    def offers_arguments(self) -> dict[str, Any]:
        """Inputs of the ``hotel_offers`` endpoint."""
        return {
            "user_id": self.user_id,
            "city": self.city,
            "check_in": self.check_in.isoformat(),
            "nights": self.nights,
        }

    def text(self) -> str:
        """The question in the planner's own words, for a chat model."""
        nights = f"{self.nights} night{'' if self.nights == 1 else 's'}"
        parts = [f"Plan {nights} in {self.city} from {self.check_in.isoformat()} "
                 f"for user {self.user_id}"]
        if self.max_price_per_night is not None:
            parts.append(f"at most €{self.max_price_per_night:.2f} a night")
        if self.min_stars is not None:
            parts.append(f"at least {self.min_stars} stars")
        if self.amenities:
            parts.append(f"with {', '.join(self.amenities)}")
        parts.append(f"sorted by {_SORT_WORDS[self.sort]}")
        return ", ".join(parts) + "."


@dataclass(frozen=True, slots=True)
class _Given:
    """Parts given outside the question (command-line flags); ``None`` when not given."""

    user_id: int | None
    city: str | None
    check_in: dt.date | str | None
    nights: int | None
    max_price_per_night: float | None
    min_stars: int | None
    amenities: Sequence[str] | None
    sort: str | None


class _Reading:
    """One pass over a question: the parts found, the spans used, what cannot be applied."""

    def __init__(self, question: str, today: dt.date) -> None:
        self.original = question
        self.text = phrases.with_digits(question)
        self.today = today
        self.spans: list[Span] = []
        self.not_applied: list[str] = []

    def question(self, given: _Given) -> TravelQuestion:
        user_id = self._user(given.user_id)
        nights = self._nights(given.nights)
        max_price = self._max_price(given.max_price_per_night)
        min_stars = self._min_stars(given.min_stars)
        self._unsupported()
        sort = self._sort(given.sort)
        amenities = self._amenities(given.amenities)
        check_in, nights = self._stay(given.check_in, nights)
        city = self._city(given.city)
        parts = {"user id": user_id, "city": city, "check-in date": check_in,
                 "number of nights": nights}
        missing = [part for part, value in parts.items() if value is None]
        if missing:
            raise QuestionNotUnderstood(
                f"The question does not say the {' or the '.join(missing)}; "
                f"ask like {example_question(self.today)!r}.",
                missing=missing,
            )
        assert user_id is not None and city is not None and check_in is not None
        assert nights is not None
        return TravelQuestion(user_id, city, check_in, nights, max_price, min_stars, amenities,
                              sort, tuple(dict.fromkeys(self.not_applied)))

    def _first(self, found: list[Found], given: object, other: str) -> Any:
        """The first value found (or ``given``); ``other`` is noted when more values differ."""
        self.spans.extend(item.span for item in found)
        if given is not None:
            return given
        values = list(dict.fromkeys(item.value for item in found))
        if len(values) > 1:
            self.not_applied.append(other)
        return values[0] if values else None

    def _user(self, given: int | None) -> int | None:
        user_id = self._first(phrases.user_ids(self.text), given,
                              "a second user id (one traveller per question)")
        if user_id is not None and not 1 <= user_id <= MAX_ID:
            raise QuestionNotUnderstood(f"{user_id} is not a user id.", user_id=str(user_id))
        return cast(int | None, user_id)

    def _nights(self, given: int | None) -> int | None:
        nights = self._first(phrases.night_counts(self.text), given,
                             "another number of nights")
        if nights is not None and nights < 1:
            raise QuestionNotUnderstood("A stay lasts at least one night.", nights=nights)
        return cast(int | None, nights)

    def _min_stars(self, given: int | None) -> int | None:
        found = phrases.star_counts(self.text)
        self.spans.extend(item.span for item in found)
        if given is not None:
            if not 1 <= given <= 5:
                raise QuestionNotUnderstood(f"Hotels have 1 to 5 stars; {given} is not "
                                            "a star rating.", min_stars=given)
            return given
        valid = [item for item in found if 1 <= cast(int, item.value) <= 5]
        if len(valid) < len(found):
            self.not_applied.append("a star rating outside one to five")
        return cast(int | None, self._first(valid, None, "another star rating"))

    def _max_price(self, given: float | None) -> float | None:
        found = phrases.price_limits(self.text)
        self.spans.extend(item.span for item in found)
        if given is not None:
            if not 0 < given <= phrases.MAX_PRICE:
                raise QuestionNotUnderstood(
                    f"A price per night is more than zero and at most {phrases.MAX_PRICE}.",
                    max_price_per_night=given)
            return given
        per_night = []
        for item in found:
            limit = cast(PriceLimit, item.value)
            reason = _unapplicable(limit)
            if reason:
                self.not_applied.append(reason)
            else:
                per_night.append(Found(limit.amount, item.span))
        return cast(float | None, self._first(per_night, None, "another price limit"))

    def _unsupported(self) -> None:
        for spans, what in ((phrases.guest_counts(self.text), "the number of guests"),
                            (phrases.room_counts(self.text), "the number of rooms")):
            self.spans.extend(spans)
            if spans:
                self.not_applied.append(f"{what} (the search does not take one)")

    def _sort(self, given: str | None) -> Sort:
        if given is not None:
            if given not in SORTS:
                raise QuestionNotUnderstood(f"Sort by one of {', '.join(SORTS)}; "
                                            f"not {given!r}.", sort=given)
            return cast(Sort, given)
        found = phrases.sort_orders(self.text)
        orders = list(dict.fromkeys(cast(Sort, item.value) for item in found))
        for other in orders[1:]:
            self.not_applied.append(f"ordering by {_SORT_WORDS[other]} as well as by "
                                    f"{_SORT_WORDS[orders[0]]}")
        return orders[0] if orders else "fit"

    def _amenities(self, given: Sequence[str] | None) -> tuple[str, ...]:
        if given is None:
            names = phrases.amenity_names(self.text)
        else:
            names = [_amenity(text) for text in given]
        names = list(dict.fromkeys(names))
        if len(names) > MAX_AMENITIES:
            raise QuestionNotUnderstood(f"A search requires at most {MAX_AMENITIES} amenities.",
                                        amenities=len(names))
        return tuple(names)

    def _stay(self, given: dt.date | str | None,
              nights: int | None) -> tuple[dt.date | None, int | None]:
        impossible = phrases.impossible_dates(self.original)
        if impossible:
            raise QuestionNotUnderstood(f"The date {impossible[0]} is not a calendar date.",
                                        check_in=impossible[0])
        days = phrases.dates(self.text, self.today, masked=self.spans)
        weekend = phrases.mentions_weekend(self.text)
        if given is not None:
            return self._given_date(given), nights if nights is not None or not weekend \
                else WEEKEND_NIGHTS
        if not days:
            if weekend:
                return phrases.coming_friday(self.today), nights or WEEKEND_NIGHTS
            return None, nights
        check_in, *others = days
        if weekend and nights is None:
            nights = WEEKEND_NIGHTS
        return check_in, self._nights_to(check_in, others, nights)

    def _given_date(self, given: dt.date | str) -> dt.date:
        if isinstance(given, dt.date):
            return given
        impossible = phrases.impossible_dates(given)
        day = None if impossible else phrases.read_date(_bounded(given), self.today)
        if day is None:
            raise QuestionNotUnderstood(f"{given!r} is not a check-in date; write it like "
                                        "2026-12-04, 4 December or next Friday.", check_in=given)
        return day

    def _nights_to(self, check_in: dt.date, others: list[dt.date],
                   nights: int | None) -> int | None:
        """The nights up to a check-out date written after the check-in, if any."""
        later = [day for day in others if day > check_in]
        if len(later) < len(others) or len(later) > 1:
            self.not_applied.append("another date")
        if not later:
            return nights
        check_out = later[0]
        span = (check_out - check_in).days
        if nights is not None and nights != span:
            raise QuestionNotUnderstood(
                f"The question says {nights} night{'' if nights == 1 else 's'} but also "
                f"{check_in.isoformat()} to {check_out.isoformat()}; say one of them.",
                nights=nights, check_out=check_out.isoformat())
        return span

    def _city(self, given: str | None) -> str | None:
        if given is not None:
            city = given.strip()
            if not 1 <= len(city) <= 100:
                raise QuestionNotUnderstood("A city name has 1 to 100 characters.")
            return city
        destinations = [place.name for place in phrases.places(self.original)
                        if not place.home]
        if len(destinations) > 1:
            raise QuestionNotUnderstood(
                f"The question names more than one destination ({' and '.join(destinations)}); "
                f"ask about one city, like {example_question(self.today)!r}.",
                cities=destinations,
            )
        return destinations[0] if destinations else None


def _bounded(question: str) -> str:
    if len(question) > MAX_QUESTION_LENGTH:
        raise QuestionNotUnderstood(
            f"The question is {len(question)} characters long; ask in at most "
            f"{MAX_QUESTION_LENGTH}.", length=len(question))
    return question


def _unapplicable(limit: PriceLimit) -> str:
    """Why a price limit cannot be applied; empty when it can."""
    if not limit.in_euros:
        return "a price limit in another currency (prices are in EUR)"
    if limit.for_stay:
        return "a budget for the whole stay (the search limits the price per night)"
    if not limit.per_night:
        return "a price limit that says neither per night nor for the whole stay"
    if not 0 < limit.amount <= phrases.MAX_PRICE:
        return "a price per night the search does not accept"
    return ""


def _amenity(text: str) -> str:
    name = phrases.amenity_name(text[:40])
    if name is None:
        known = ", ".join(name.replace("_", " ") for name in phrases.AMENITIES)
        raise QuestionNotUnderstood(f"{text[:40]!r} is not an amenity; known: {known}.",
                                    amenity=text[:40])
    return name
