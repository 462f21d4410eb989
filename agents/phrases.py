"""Readers of the parts of a travel question, one small function per part.

Numbers written in words become digits with ``text2num`` (``"three nights"``,
``"trois nuits"``) and dates are read with ``dateparser`` (``"2026-12-04"``,
``"19/12/2026"``, ``"from tomorrow"``, ``"next Friday"``, ``"du 4 décembre"``),
relative to a given day. What is left is small and structural: which words
introduce a destination, a price limit or a star rating.

Every reader takes the question's text and returns what it found with the
spans it used, so that the date reader does not mistake ``"user 42"`` for the
year 2042.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from dateparser.date import DateDataParser
from text_to_num import alpha2digit

from groundwork.features.sample_places import AMENITIES, CITIES

Span = tuple[int, int]
LANGUAGES = ["en", "fr"]
"""Languages whose dates and numbers are read."""
MAX_PRICE = 100_000
"""Highest price per night the search accepts."""

_FRENCH = re.compile(
    r"\b(?:nuits?|nuitées?|pour|utilisateur|étoiles?|personnes?|du|au|avec|"
    r"à|je|une?|chambres?)(?!\w)",
    re.IGNORECASE,
)
_STAR_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=(?:stars?|étoiles?)\b)", re.IGNORECASE)
_USER = re.compile(
    r"\b(?:user|utilisateur|traveller|traveler|customer|client)(?:[\s_-]*id)?"
    r"\s*(?:#|n[o°º]\.?|number)?\s*[:=]?\s*(\d{1,30})\b"
    r"|(?<!\w)(?:for|pour)\s+#\s*(\d{1,30})\b",
    re.IGNORECASE,
)
_NIGHTS = re.compile(r"\b(\d{1,30})[\s-]*(?:nights?|nuits?|nuitées?)(?!\w)", re.IGNORECASE)
_STARS = re.compile(
    r"(?:\bat\s+least\s+|\bmin(?:imum)?\s+(?:of\s+)?|\bau\s+moins\s+)?"
    r"\b(\d{1,30})\s*\+?[\s-]*(?:stars?|étoiles?)(?!\w)"
    r"(?:\s+(?:or\s+(?:more|better|above|higher)|et\s+plus|ou\s+plus)\b)?",
    re.IGNORECASE,
)
_CURRENCY = r"(?:€|\$|£|eur(?:os?)?\b|usd\b|gbp\b|dollars?\b|pounds?\b)"
_PRICE = re.compile(
    r"\b(?:under|below|less\s+than|(?:no|not)\s+more\s+than|at\s+most|up\s+to|"
    r"max(?:imum)?(?:\s+of)?|budget(?:\s+(?:is|of))?|cheaper\s+than|within|sous|"
    r"moins\s+de|jusqu'à|budget\s+de)\s*:?\s*"
    rf"(?P<before>{_CURRENCY})?\s*(?P<amount>\d{{1,30}}(?:[.,]\d{{1,2}})?)\s*"
    rf"(?P<after>{_CURRENCY})?"
    r"(?P<night>\s*(?:a|per|/|each|every|par|la|une)\s*(?:night|nuit)\b|\s+nightly\b)?"
    r"(?P<total>\s*(?:in\s+total|total|for\s+the\s+(?:whole\s+)?stay|overall|en\s+tout|"
    r"au\s+total)\b)?",
    re.IGNORECASE,
)
_GUESTS = re.compile(
    r"\b\d{1,30}\s*(?:people|persons?|guests?|adults?|children|child|kids?|travell?ers|"
    r"personnes?|adultes?|enfants?)(?!\w)",
    re.IGNORECASE,
)
_ROOMS = re.compile(r"\b\d{1,30}\s*(?:rooms?|chambres?)(?!\w)", re.IGNORECASE)
_BY_PRICE = re.compile(
    r"\b(?:cheapest|cheap|lowest[\s-]+prices?|least\s+expensive|(?:le\s+)?moins\s+chers?)\b",
    re.IGNORECASE,
)
_BY_RATING = re.compile(
    r"\b(?:(?:best|highest|top)[\s-]+(?:rated|reviewed)|mieux\s+not[ée]s?)(?!\w)",
    re.IGNORECASE,
)
_DIGIT_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?")
_PUNCTUATION = " \t,.;:!?()[]\"'’"
_REACH = 3
"""Most tokens a date phrase reaches on each side of its date word."""
_MOST_ANCHORS, _MOST_DATES = 12, 3
"""A question's date words tried, and days read, at most (a check-in, a check-out, one more)."""
_NOT_DATE_WORDS = frozenset({"now", "noon", "midnight"})
_WEEKEND = re.compile(r"\bweek-?ends?\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")
_SLASHED_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DESTINATION = re.compile(r"(?<![\w'’])(?:in|to|à|visit|visiting)\s+", re.IGNORECASE)
_HOME = re.compile(
    r"\b(?:live|lives|living|lived|based|reside[sd]?|residing|home(?:\s+is)?|"
    r"habite|habitons|vis|vivons)\s*$",
    re.IGNORECASE,
)
"""Words before ``in`` or ``à`` that make the place the traveller's home."""
_HOME_FROM = re.compile(
    r"(?:\bi'?m|\bi\s+am|\bwe'?re|\bwe\s+are|\bcoming|\bcome|\bje\s+suis|\bje\s+viens)"
    r"\s+(?:from|de|d')\s*",
    re.IGNORECASE,
)
"""Words before the traveller's home: ``I'm from Madrid``."""
_DAY_RANGE = re.compile(
    r"(?<![\w/.-])(\d{1,2})(?:st|nd|rd|th|er)?\s*(?:to|until|till|-|–|au|jusqu'au)\s*"
    r"(\d{1,2}(?:st|nd|rd|th|er)?\s+([^\W\d_]{3,}))",
    re.IGNORECASE,
)
_WORD = re.compile(r"[ \t]*([^\W\d_](?:[\w'’-]*[^\W_])?)")
_ALTERNATIVE = re.compile(r"\s*(?:,|/|\bor\b|\band\b|\bou\b|\bet\b)\s*", re.IGNORECASE)
_LIST_COMMA = re.compile(r"\s*,\s*")

_STOP_WORDS = frozenset({
    "from", "for", "on", "starting", "start", "arriving", "arrive", "checking", "check", "under",
    "below", "over", "above", "with", "without", "near", "at", "by", "next", "this", "these",
    "that", "tomorrow", "today", "tonight", "and", "or", "but", "please", "max", "maximum", "min",
    "minimum", "budget", "between", "until", "till", "to", "in", "du", "des", "pour", "avec",
    "sous", "depuis", "dès", "et", "ou", "eur", "euro", "euros", "usd", "gbp", "i", "i'm", "me",
    "my", "we", "our", "stay", "stays", "staying", "nights", "night", "hotel", "hotels"
})
"""Words that end a place name (folded)."""
_CONNECTORS = frozenset({
    "de", "da", "do", "del", "della", "di", "dos", "das", "upon", "am", "sur", "la", "le", "les",
    "los", "las", "el", "y"
})
"""Lowercase words inside a place name, between capitalised ones."""
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "wifi": ("wi-fi", "wi fi", "internet"),
    "breakfast": ("petit-déjeuner", "petit déjeuner"),
    "pool": ("swimming pool", "piscine"),
    "gym": ("fitness", "salle de sport"),
    "parking": ("car park",),
    "pet_friendly": ("pets allowed", "pets", "pet", "dogs", "dog", "animaux"),
    "airport_shuttle": ("shuttle", "navette"),
    "air_conditioning": ("air con", "aircon", "a/c", "climatisation"),
    "family_rooms": ("family room", "chambres familiales"),
}
"""Other ways to say an amenity of :data:`AMENITIES`."""


@dataclass(frozen=True, slots=True)
class Found:
    """A value read from the question, and where it was read.

    Attributes:
        value: What was read.
        span: Start and end of the words it was read from.
    """

    value: object
    span: Span


def with_digits(text: str) -> str:
    """``text`` with numbers written in words as digits (``"three nights"`` -> ``"3 nights"``).

    English always; French too when the text reads French. A hyphen before
    ``star`` is a space first, so ``"five-star"`` reads ``"5 star"``.
    """
    text = alpha2digit(_STAR_HYPHEN.sub(" ", text), "en", threshold=0)
    if _FRENCH.search(text):
        text = alpha2digit(text, "fr", threshold=0)
    return text


def fold(text: str) -> str:
    """``text`` without case or accents, to compare names: ``"Zürich"`` -> ``"zurich"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def user_ids(text: str) -> list[Found]:
    """Every user id the text names (``user 42``, ``user id 42``, ``for #42``)."""
    return [Found(int(match.group(1) or match.group(2)), match.span())
            for match in _USER.finditer(text)]


def night_counts(text: str) -> list[Found]:
    """Every number of nights the text states (``3 nights``, ``3 nuits``)."""
    return [Found(int(match.group(1)), match.span()) for match in _NIGHTS.finditer(text)]


def star_counts(text: str) -> list[Found]:
    """Every star rating the text asks for (``5-star``, ``at least 4 stars``)."""
    return [Found(int(match.group(1)), match.span()) for match in _STARS.finditer(text)]


@dataclass(frozen=True, slots=True)
class PriceLimit:
    """A price limit the question states.

    Attributes:
        amount: The limit as written (``149.5`` for ``"149,50"``).
        per_night: The limit is per night (``"a night"``, ``"per night"``).
        for_stay: The limit is for the whole stay (``"in total"``).
        in_euros: The limit is in EUR or names no currency.
    """

    amount: float
    per_night: bool
    for_stay: bool
    in_euros: bool


def price_limits(text: str) -> list[Found]:
    """Every price limit the text states (``under €150 a night``, ``max 200 per night``)."""
    found = []
    for match in _PRICE.finditer(text):
        currency = (match["before"] or match["after"] or "€").casefold()
        limit = PriceLimit(
            amount=float(match["amount"].replace(",", ".")),
            per_night=match["night"] is not None,
            for_stay=match["total"] is not None,
            in_euros=currency in ("€", "eur", "euro", "euros"),
        )
        found.append(Found(limit, match.span()))
    return found


def guest_counts(text: str) -> list[Span]:
    """Where the text states a number of guests (``2 people``, ``3 adults``)."""
    return [match.span() for match in _GUESTS.finditer(text)]


def room_counts(text: str) -> list[Span]:
    """Where the text states a number of rooms (``2 rooms``)."""
    return [match.span() for match in _ROOMS.finditer(text)]


def sort_orders(text: str) -> list[Found]:
    """Every ordering the text asks for: ``price`` (``cheapest``), ``rating`` (``best rated``)."""
    found = [Found("price", match.span()) for match in _BY_PRICE.finditer(text)]
    found += [Found("rating", match.span()) for match in _BY_RATING.finditer(text)]
    return sorted(found, key=lambda item: item.span)


def amenity_names(text: str) -> list[str]:
    """The amenities of :data:`AMENITIES` the text names, in the order it names them."""
    seen: dict[str, int] = {}
    for name, pattern in _amenity_patterns():
        match = pattern.search(text)
        if match is not None:
            seen[name] = match.start()
    return sorted(seen, key=seen.__getitem__)


def amenity_name(text: str) -> str | None:
    """The amenity of :data:`AMENITIES` that ``text`` is a way of saying, if any."""
    for name, pattern in _amenity_patterns():
        match = pattern.fullmatch(text.strip())
        if match is not None:
            return name
    return None


@cache
def _amenity_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for name in AMENITIES:
        spellings = {name, name.replace("_", " "), name.replace("_", "-"), *_SYNONYMS.get(name, ())}
        words = "|".join(re.escape(spelling) for spelling in sorted(spellings, key=len,
                                                                     reverse=True))
        patterns.append((name, re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)))
    return patterns


def mentions_weekend(text: str) -> bool:
    """Whether the text asks for a weekend (``a weekend``, ``this weekend``, ``ce week-end``)."""
    return _WEEKEND.search(text) is not None


def coming_friday(today: dt.date) -> dt.date:
    """The Friday a weekend stay starts on: today when today is a Friday."""
    return today + dt.timedelta(days=(4 - today.weekday()) % 7)


def impossible_dates(text: str) -> list[str]:
    """Dates written with digits (``2026-02-30``, ``31/02/2026``) that no calendar has."""
    impossible = []
    for match in _ISO_DATE.finditer(text):
        year, month, day = (int(part) for part in match.group().split("-"))
        if not _is_calendar_date(year, month, day):
            impossible.append(match.group())
    for match in _SLASHED_DATE.finditer(text):
        day, month, year = (int(part) for part in match.groups())
        if not _is_calendar_date(year, month, day):
            impossible.append(match.group())
    return impossible


def _is_calendar_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def dates(text: str, today: dt.date, *, masked: Sequence[Span] = ()) -> list[dt.date]:
    """Every day the text names, relative to ``today``, in the order written.

    Each date word (a month, a weekday, ``tomorrow``, ``demain``) or date in
    digits anchors a search for the longest phrase around it that ``dateparser``
    reads as one day (``"the 4th of December"``, ``"next Friday"``).

    Args:
        text: The question, numbers as digits.
        today: The day relative dates count from (``"tomorrow"``, ``"next Friday"``);
            a date without a year is the next one to come.
        masked: Spans already read as something else (user ids, nights, prices), skipped.
    """
    blank = _DAY_RANGE.sub(_month_on_both_days, _masked(text, masked))
    tokens = [match.span() for match in re.finditer(r"\S+", blank)]
    found: list[dt.date] = []
    free = anchors = 0
    for index, (start, end) in enumerate(tokens):
        if index < free or not _is_anchor(blank[start:end]):
            continue
        anchors += 1
        if anchors > _MOST_ANCHORS or len(found) == _MOST_DATES:
            break
        for first, last in _windows(index, free, len(tokens)):
            phrase_start, phrase_end = tokens[first][0], tokens[last][1]
            day = read_date(blank[phrase_start:phrase_end], today)
            if day is not None:
                found.append(day)
                free = last + 1
                break
    return found


def _month_on_both_days(match: re.Match[str]) -> str:
    """``"4 to 7 December"`` -> ``"4 December to 7 December"``."""
    return f"{match.group(1)} {match.group(3)} to {match.group(2)}"


def _windows(anchor: int, free: int, count: int) -> list[tuple[int, int]]:
    """Token ranges around ``anchor``, widest first, at most three tokens on each side."""
    ranges = [(first, last) for first in range(max(free, anchor - _REACH), anchor + 1)
              for last in range(anchor, min(count, anchor + _REACH + 1))]
    return sorted(ranges, key=lambda bounds: (bounds[0] - bounds[1], bounds[0]))


def read_date(text: str, today: dt.date) -> dt.date | None:
    """The day ``text`` names relative to ``today``, when it names one day exactly.

    The text must hold a date word or a date in digits: a bare number (``"42"``),
    an article (``"a"``) or a month alone (``"December"``) names no day.
    """
    phrase = text.strip(_PUNCTUATION)
    if not any(_is_anchor(word) for word in phrase.split()):
        return None
    data = _date_parser(today).get_date_data(phrase)
    if data.date_obj is None or data.period != "day":
        return None
    return data.date_obj.date()


def _is_anchor(token: str) -> bool:
    """Whether ``token`` is a date in digits or a word that names a date on its own."""
    word = token.strip(_PUNCTUATION)
    if _DIGIT_DATE.fullmatch(word):
        return True
    if len(word) < 3 or not word.isalpha() or fold(word) in _NOT_DATE_WORDS:
        return False
    return _is_date_word(fold(word))


@cache
def _is_date_word(word: str) -> bool:
    return _date_parser(dt.date(2000, 1, 1)).get_date_data(word).date_obj is not None


def is_date_word(text: str) -> bool:
    """Whether ``text`` reads as a date or a part of one (``"December"``, ``"Friday"``)."""
    return _date_parser(dt.date(2000, 1, 1)).get_date_data(text).date_obj is not None


def _settings(today: dt.date) -> dict[str, object]:
    return {"RELATIVE_BASE": dt.datetime.combine(today, dt.time()),
            "PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY"}


@cache
def _date_parser(today: dt.date) -> DateDataParser:
    return DateDataParser(languages=LANGUAGES, settings=_settings(today))


def _masked(text: str, spans: Sequence[Span]) -> str:
    characters = list(text)
    for start, end in spans:
        characters[start:end] = " " * (end - start)
    return "".join(characters)


@dataclass(frozen=True, slots=True)
class Place:
    """A place the question names after ``in``, ``to`` or ``à``.

    Attributes:
        name: The place as written (``"São Paulo"``), or the known city it spells.
        home: The traveller lives there (``"I live in Madrid"``): not a destination.
    """

    name: str
    home: bool


def places(text: str) -> list[Place]:
    """Every place the text names after ``in``, ``to``, ``à`` or ``visit``, and homes.

    A place is a known city in any case (``"in rome"``) or a run of capitalised
    words (``"in New York"``, ``"in Rio de Janeiro"``); month and weekday names
    are not places. Places listed together (``"Rome or Florence"``,
    ``"Rome, Florence"``) are all read. A place after ``live in``, ``based in``,
    ``home is in`` or ``I'm from`` is a home. When no place follows such a word,
    the known cities named anywhere are the places.
    """
    found: list[Place] = []
    for match in _DESTINATION.finditer(text):
        home = _HOME.search(text[:match.start()]) is not None
        found.extend(Place(name, home) for name in _place_list(text, match.end()))
    for match in _HOME_FROM.finditer(text):
        found.extend(Place(name, True) for name in _place_list(text, match.end()))
    if not any(not place.home for place in found):
        homes = {fold(place.name) for place in found}
        found.extend(Place(name, False) for name in _known_cities(text)
                     if fold(name) not in homes)
    unique: dict[tuple[str, bool], Place] = {}
    for place in found:
        unique.setdefault((fold(place.name), place.home), place)
    return list(unique.values())


def _known_cities(text: str) -> list[str]:
    """The known cities named anywhere in ``text``, in the order named."""
    folded = fold(text)
    named = {}
    for city in CITIES:
        match = re.search(rf"(?<!\w){re.escape(fold(city.name))}(?!\w)", folded)
        if match is not None:
            named[city.name] = match.start()
    return sorted(named, key=named.__getitem__)


def _place_list(text: str, start: int) -> Iterator[str]:
    place = _place_at(text, start)
    while place is not None:
        name, end = place
        yield name
        separator = _ALTERNATIVE.match(text, end)
        if separator is None:
            return
        known_only = _LIST_COMMA.fullmatch(separator.group()) is not None
        place = _place_at(text, separator.end(), known_only=known_only)


def _place_at(text: str, start: int, *, known_only: bool = False) -> tuple[str, int] | None:
    """The place named at ``start`` and where it ends: a known city, else capitalised words."""
    known = _known_city_at(text, start)
    if known is not None or known_only:
        return known
    words: list[str] = []
    end = position = start
    while (match := _WORD.match(text, position)) is not None:
        word, position = match.group(1), match.end()
        if fold(word) in _STOP_WORDS:
            break
        if not word[0].isupper():
            following = _WORD.match(text, position)
            joins = (bool(words) and fold(word) in _CONNECTORS and following is not None
                     and following.group(1)[0].isupper())
            if not joins:
                break
        words.append(word)
        end = position
    name = " ".join(words)
    if not name or is_date_word(name):
        return None
    return name, end


def _known_city_at(text: str, start: int) -> tuple[str, int] | None:
    rest = fold(text[start:start + 60].lstrip())
    offset = len(text[start:]) - len(text[start:].lstrip())
    for city in sorted(CITIES, key=lambda city: -len(city.name)):
        folded = fold(city.name)
        if rest.startswith(folded) and not rest[len(folded):len(folded) + 1].isalnum():
            return city.name, start + offset + len(city.name)
    return None
