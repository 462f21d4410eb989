"""Drawing golden questions from the sample data, with a seeded generator.

Each question is drawn by a recipe (a plain search per sort, one with
amenities, stars or a price cap, a traveller whose budget no hotel fits, a
search in a city with stalled prices, a refusal of each kind) and kept only
when :func:`expected_outcome` gives the recipe's outcome, so every expected fact
holds by construction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from typing import Any

from groundwork.agents.golden.expected import (
    Expected,
    Kind,
    Option,
    SampleData,
    Sort,
    Stay,
    bookable,
    expected_outcome,
)
from groundwork.agents.golden.questions import GoldenQuestion
from groundwork.agents.question import SORTS
from groundwork.errors import InvalidInput, NotFound
from groundwork.functions.travel_errors import MAX_NIGHTS

DEFAULT_COUNT = 60
DEFAULT_SEED = 20_260_317
DRAWN_REFUSALS: tuple[Kind, ...] = ("unknown_city", "check_in_in_past",
                                    "dates_outside_price_window", "stay_too_long",
                                    "unknown_user", "no_availability")
"""The refusals every drawn set holds (a refusal for expired or missing data cannot be
drawn: every city keeps hotels with fresh data; hotels with stalled prices are asked
about in stale questions instead)."""
UNKNOWN_CITIES = ("Atlantis", "El Dorado", "Gotham", "Berlinn", "Lisbonne", "Romma",
                  "Narnia", "Pariss", "Wakanda", "Madridd")
"""Destinations the sample data does not know: made up, or a known city misspelt."""
ATTEMPTS = 200
"""Stays a recipe draws at most before giving up."""
_NUMBER_WORDS = ("three", "four", "five", "six", "seven", "eight", "nine")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

Recipe = Callable[[], Stay]
Drawn = tuple[str, Stay, Expected]


def draw_questions(data: SampleData, today: dt.date, count: int = DEFAULT_COUNT,
                   seed: int = DEFAULT_SEED) -> list[GoldenQuestion]:
    """Draw ``count`` questions about ``data``, asked on ``today``.

    The same data, day, count and seed give the same questions. Each refusal of
    :data:`DRAWN_REFUSALS` gets one question in fifteen (at least one); so do
    stale questions (none below fifteen questions): answers in a city where some
    hotels have stalled, expired prices, which the answer must say were left
    out (plain answers instead when the data has no stalled hotel). The rest
    are answers: every sort, with and without constraints, and some where no
    hotel fits the traveller's budget.

    Raises:
        InvalidInput: when ``count`` leaves no room for an answer.
        NotFound: when no night from tomorrow on has prices, or the data holds no
            stay of a kind.
    """
    if count < len(DRAWN_REFUSALS) + 1:
        raise InvalidInput(f"a golden set holds at least {len(DRAWN_REFUSALS) + 1} questions",
                           field="count")
    draw = _Draw(data, today, random.Random(seed))
    each = max(1, count // 15)
    drawn = [draw.refusal(kind) for kind in DRAWN_REFUSALS for _ in range(each)]
    drawn += [draw.stale() for _ in range(count // 15)]
    drawn += [draw.answer(number) for number in range(count - len(drawn))]
    draw.rng.shuffle(drawn)
    return [GoldenQuestion(f"q{number:02d}", text, stay, expected)
            for number, (text, stay, expected) in enumerate(drawn, start=1)]


class _Draw:
    """One drawing: the seeded generator, the bookable nights and the stays drawn so far."""

    def __init__(self, data: SampleData, today: dt.date, rng: random.Random) -> None:
        self.data, self.today, self.rng = data, today, rng
        self.cities = [city for city in data.cities if data.hotels[city]]
        windows = [window for city in self.cities if (window := data.windows[city])]
        self.first = max([today + dt.timedelta(days=1), *(first for first, _ in windows)])
        self.last = min((last for _, last in windows), default=today)
        if not self.cities or self.last < self.first:
            raise NotFound(f"no night from {self.first.isoformat()} on has prices in the "
                           "sample data: generate, compute and sync it again")
        self.users = sorted(data.travellers)
        self.amenities = sorted({amenity for hotels in data.hotels.values()
                                 for hotel in hotels for amenity in hotel.amenities})
        self.seen: set[Stay] = set()

    def answer(self, number: int) -> Drawn:
        """The ``number``-th answer question: the recipes in turn."""
        recipes: list[tuple[Recipe, Callable[[Expected], bool]]] = [
            (self._sorted("fit"), _any), (self._sorted("price"), _any),
            (self._sorted("rating"), _any), (self._amenity, _any), (self._stars, _any),
            (self._max_price, _any), (self._over_budget, _none_within_budget),
            (self._demo, _any),
        ]
        recipe, accept = recipes[number % len(recipes)]
        try:
            return self._first(recipe, "answer", accept)
        except NotFound:
            return self._first(self._sorted("price"), "answer", _any)

    def stale(self) -> Drawn:
        """An answer in a city where some hotels' prices have expired (a stalled feed)."""
        cities = [city for city in self.cities
                  if any(hotel.hotel_id in self.data.stalled for hotel in self.data.hotels[city])]
        if not cities:
            return self._first(self._sorted("price"), "answer", _any)
        return self._first(lambda: self._stay(city=self.rng.choice(cities)), "answer",
                           _some_expired)

    def refusal(self, kind: Kind) -> Drawn:
        """A question the tools must refuse with ``kind``."""
        recipes: dict[Kind, Recipe] = {
            "unknown_city": self._unknown_city, "check_in_in_past": self._past,
            "dates_outside_price_window": self._outside_window, "stay_too_long": self._too_long,
            "unknown_user": self._unknown_user, "no_availability": self._nothing_matches,
        }
        return self._first(recipes[kind], kind, _any)

    def _first(self, recipe: Recipe, kind: Kind, accept: Callable[[Expected], bool]) -> Drawn:
        for _ in range(ATTEMPTS):
            stay = recipe()
            expected = expected_outcome(self.data, stay, self.today)
            searched = kind not in ("answer", "unknown_user") or bool(expected.matching)
            if expected.kind == kind and searched and accept(expected) and stay not in self.seen:
                self.seen.add(stay)
                return question_text(self.rng, stay), stay, expected
        raise NotFound(f"the sample data holds no stay for a golden question of kind {kind}")

    def _stay(self, sort: Sort | None = None, **changes: Any) -> Stay:
        nights = changes.pop("nights", self.rng.randint(1, 7))
        latest = max(self.first, self.last - dt.timedelta(days=nights - 1))
        check_in = self.first + dt.timedelta(days=self.rng.randint(0, (latest - self.first).days))
        chosen = sort if sort is not None else self.rng.choice(SORTS)
        stay = Stay(self.rng.choice(self.users), self.rng.choice(self.cities), check_in, nights,
                    sort=chosen)
        return dataclasses.replace(stay, **changes)

    def _sorted(self, sort: Sort) -> Recipe:
        return lambda: self._stay(sort)

    def _options(self, stay: Stay) -> list[Option]:
        return bookable(self.data, stay.city, stay.check_in, stay.nights)

    def _amenity(self) -> Stay:
        stay = self._stay()
        offered = sorted({amenity for option in self._options(stay)
                          for amenity in option.hotel.amenities})
        wanted = self.rng.sample(offered, min(len(offered), self.rng.randint(1, 2)))
        return dataclasses.replace(stay, amenities=tuple(wanted))

    def _stars(self) -> Stay:
        return self._stay(min_stars=self.rng.randint(2, 5))

    def _max_price(self) -> Stay:
        """A cap per night that one hotel of the city meets, in whole euros."""
        stay = self._stay(min_stars=self.rng.choice((None, 2, 3)))
        options = self._options(stay)
        if not options:
            return stay
        per_night = self.rng.choice(options).total / stay.nights
        return dataclasses.replace(
            stay, max_price_per_night=float(per_night.to_integral_value(ROUND_CEILING)))

    def _over_budget(self) -> Stay:
        by_budget = sorted(self.users, key=lambda user: self.data.travellers[user].budget)
        return self._stay("fit", user_id=self.rng.choice(by_budget[:max(1, len(by_budget) // 10)]))

    def _demo(self) -> Stay:
        """The demo's traveller in the demo's city, when the data has them."""
        city = "Lisbon" if "Lisbon" in self.cities else self.rng.choice(self.cities)
        user = 42 if 42 in self.data.travellers else self.rng.choice(self.users)
        return self._stay("fit", user_id=user, city=city)

    def _unknown_city(self) -> Stay:
        names = [name for name in UNKNOWN_CITIES if self.data.city_named(name) is None]
        return self._stay(city=self.rng.choice(names))

    def _past(self) -> Stay:
        return self._stay(check_in=self.today - dt.timedelta(days=self.rng.randint(1, 60)))

    def _outside_window(self) -> Stay:
        """A stay whose last nights, or all of them, fall after the last priced night."""
        nights = self.rng.randint(2, 10)
        check_in = self.last + dt.timedelta(days=self.rng.randint(2 - nights, 20))
        return self._stay(nights=nights, check_in=max(check_in, self.first))

    def _too_long(self) -> Stay:
        return self._stay(nights=self.rng.randint(MAX_NIGHTS + 1, 3 * MAX_NIGHTS))

    def _unknown_user(self) -> Stay:
        return self._stay(user_id=self.users[-1] + self.rng.randint(1, 10_000))

    def _nothing_matches(self) -> Stay:
        """Stars, amenities or a price cap that no hotel able to host the stay meets."""
        stay = self._stay()
        options = self._options(stay)
        way = self.rng.randrange(3)
        if way == 0:
            most = max((option.hotel.stars for option in options), default=4)
            return dataclasses.replace(stay, min_stars=min(most + 1, 5))
        if way == 1:
            wanted = self.rng.sample(self.amenities, min(3, len(self.amenities)))
            return dataclasses.replace(stay, amenities=tuple(wanted))
        cheapest = min((option.total for option in options), default=Decimal(100))
        cap = int(cheapest / stay.nights) - self.rng.randint(1, 5)
        return dataclasses.replace(stay, max_price_per_night=float(max(cap, 1)))


def _any(expected: Expected) -> bool:
    return True


def _none_within_budget(expected: Expected) -> bool:
    return expected.within_budget == 0


def _some_expired(expected: Expected) -> bool:
    return bool(expected.expired)


def question_text(rng: random.Random, stay: Stay) -> str:
    """A question asking for ``stay`` in words a traveller might use."""
    nights = (f"{_NUMBER_WORDS[stay.nights - 3]} nights"
              if 3 <= stay.nights <= 9 and rng.random() < 0.3
              else f"{stay.nights} night{'' if stay.nights == 1 else 's'}")
    day = stay.check_in
    date = (day.isoformat() if rng.random() < 0.7
            else f"{day.day} {_MONTHS[day.month - 1]} {day.year}")
    extras = _constraint_words(rng, stay)
    city, user = stay.city, stay.user_id
    if stay.sort == "price":
        return (f"Find the cheapest hotel in {city} for {nights} from {date} for user "
                f"{user}{extras}.")
    if stay.sort == "rating":
        return f"Which are the best rated hotels in {city}{extras}? {nights} from {date}, " \
               f"user {user}."
    return rng.choice((f"Plan {nights} in {city} from {date} for user {user}{extras}.",
                       f"User {user} needs a hotel in {city} for {nights} from {date}{extras}."))


def _constraint_words(rng: random.Random, stay: Stay) -> str:
    parts = []
    if stay.min_stars is not None:
        parts.append(rng.choice((f"at least {stay.min_stars} stars",
                                 f"{stay.min_stars} stars or more")))
    if stay.max_price_per_night is not None:
        price = f"{stay.max_price_per_night:g}"
        parts.append(rng.choice((f"at most €{price} a night", f"under {price} EUR per night")))
    if stay.amenities:
        parts.append("with " + " and ".join(a.replace("_", " ") for a in stay.amenities))
    return "".join(f", {part}" for part in parts)
