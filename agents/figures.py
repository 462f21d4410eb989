"""The figures an answer states: money, dates, counts, stars, ratings, numbers and names.

Each figure keeps its span, so a reader can point at it. Money is read with
``price-parser`` (``€512.40``, ``512.4 EUR`` and ``512,40 €`` are all 512.40),
dates in words with ``dateparser`` (``4 December``, ``December 4, 2026``),
numbers in words with ``text2num`` (``three nights``). Some text looks like a
figure and is not one: list markers (``1.``), clock times and ages
(``as of two hours ago``); those spans are set aside first.

Patterns run in a fixed order and a span read once is not read again, so
``4-star`` is a star count and not the number 4, and ``2026-12-04`` is a date
and not three numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from price_parser import Price
from text_to_num import alpha2digit

from groundwork.agents.phrases import read_date
from groundwork.features.sample_places import CITIES

__all__ = ["Figure", "FigureKind", "find_figures", "iso_date", "names_a_day", "names_a_year"]

FigureKind = Literal["money", "number", "count", "stars", "rating", "date", "name"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure or fact found in an answer.

    Attributes:
        text: As written, e.g. ``"€512.40"``, ``"4 December"``, ``"Alfama Garden"``.
        kind: What it states.
        value: The amount (money, numbers, counts, stars, ratings), the day, or the name.
        start: Where it starts in the answer.
        end: Where it ends in the answer (exclusive).
    """

    text: str
    kind: FigureKind
    value: Decimal | dt.date | str
    start: int
    end: int


_WORD_NUMBER = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|"
    r"four|five|six|seven|eight|nine)\b)?|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|zero|one|two|three|four|five|six|seven|eight|nine)"
)
_COUNT = rf"(?:\d{{1,9}}|{_WORD_NUMBER})"
_AGE = re.compile(
    rf"\bjust\s+now\b|\b(?:(?:more\s+than|about|over|almost|nearly)\s+)?(?:{_COUNT}|an?|a\s+few|"
    r"several)\s+(?:second|minute|hour|day|week|month|year)s?\s+(?:ago|old)\b",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^[ \t]*\d{1,3}[.)](?=\s)", re.MULTILINE)
_ISO_DATE = re.compile(
    r"(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"(?!\d)"
)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WORDED_DATE = re.compile(
    rf"\b(?:{_DAY}(?:[ \t]+of)?[ \t]+{_MONTH}|{_MONTH}[ \t]+{_DAY})(?:,?[ \t]+\d{{4}})?(?![\w-])"
)
_SLASHED_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
_MONTH_OF_YEAR = re.compile(rf"\b{_MONTH}[ \t]+\d{{4}}\b")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:UTC|GMT|[ap]\.?m\.?))?", re.IGNORECASE)
_CURRENCY = r"(?:€|EUR\b|euros?\b|US\$|\$|USD\b|£|GBP\b)"
_AMOUNT = r"(?:\d{1,3}(?:[,.\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])"
_MONEY = re.compile(
    rf"{_CURRENCY}\s?{_AMOUNT}|(?<![\w.,]){_AMOUNT}\s?{_CURRENCY}", re.IGNORECASE
)
_STARS = re.compile(rf"(?<![\w.])(?P<n>{_COUNT})\s*\+?[\s-]*stars?\b", re.IGNORECASE)
_RATING = re.compile(
    r"\b(?:rated|rating(?:\s+of)?:?|scored?)\s+(?P<n>\d{1,2}(?:\.\d{1,2})?)(?:\s*/\s*(?:5|10))?"
    r"(?![\d.]\d)|(?<![\w.])(?P<m>\d(?:\.\d{1,2})?)\s*/\s*5\b",
    re.IGNORECASE,
)
_COUNTED = re.compile(
    rf"(?<![\w.])(?P<n>{_COUNT})(?:[\s-]+(?:more|other|matching|available|free|extra))?[\s-]+"
    r"(?:nights?|hotels?|rooms?|guests?|people|persons?|trips?|options?|properties|property|"
    r"stays?)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\w)")
_LODGING = re.compile(
    r"\b(?:Hotel|Hostel|Inn|Palace|Resort|Suites?|Lodge|Residence|Villa|Casa|Guesthouse|"
    r"Pousada|Plaza|Apartments|Garden|Gardens)\b"
)
_CAPITALISED = re.compile(
    r"\b[A-Z][\w'’&-]*(?:[ \t]+(?:(?:de|do|da|dos|das|del|di|du|des|la|le|of|the|on)[ \t]+)?"
    r"[A-Z][\w'’&-]*)+"
)
_PLACE_WORD = r"(?i:in|to|at|near|from|visit|visiting)[ \t]+"
_SAMPLE_CITIES = tuple(sorted((city.name for city in CITIES), key=len, reverse=True))
_PLACE = re.compile(rf"\b{_PLACE_WORD}(?P<city>{'|'.join(map(re.escape, _SAMPLE_CITIES))})\b")

Reader = Callable[[re.Match[str], dt.date], "Figure | None | bool"]
"""Turns a match into a figure; ``True`` sets the span aside, ``None`` leaves it free."""


def find_figures(answer: str, names: Iterable[str] = (), *, today: dt.date) -> list[Figure]:
    """Every figure ``answer`` states, in the order written.

    Args:
        answer: The text to read.
        names: Names the tool results hold (hotels, cities); each is found wherever written,
            in any case. Beside them, a capitalised name with a lodging word
            (``"Grand Hotel Lisboa"``) and a known city after ``in`` / ``to`` are names too.
        today: The day a date without a year counts from (the next one to come).
    """
    taken = bytearray(len(answer))
    figures: list[Figure] = []
    for pattern, read in _readers(names):
        for match in pattern.finditer(answer):
            start, end = match.span()
            if start == end or any(taken[start:end]):
                continue
            figure = read(match, today)
            if figure is None:
                continue
            if isinstance(figure, Figure):
                start, end = figure.start, figure.end
                figures.append(figure)
            taken[start:end] = b"\x01" * (end - start)
    return sorted(figures, key=lambda figure: figure.start)


def names_a_day(figure: Figure) -> bool:
    """Whether a date figure names a day, not only a month (``"December 2026"``)."""
    return bool(_DAY_NUMBER.search(figure.text))


def names_a_year(figure: Figure) -> bool:
    """Whether a date figure names its year (``"4 December"`` does not)."""
    return bool(re.search(r"\d{4}", figure.text))


def iso_date(text: str) -> dt.date | None:
    """The day of an ISO date or timestamp (``"2026-11-21T19:25:00Z"`` -> 2026-11-21)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None



def _readers(names: Iterable[str]) -> list[tuple[re.Pattern[str], Reader]]:
    """The patterns in the order they claim text, each with its reader."""
    known = sorted({name for name in names if name.strip()}, key=len, reverse=True)
    named = [re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE) for name in known]
    return [
        (_AGE, _set_aside),
        (_LIST_MARKER, _set_aside),
        *((pattern, _name) for pattern in named),
        (_PLACE, _city),
        (_CAPITALISED, _lodging_name),
        (_ISO_DATE, _iso_date),
        (_WORDED_DATE, _worded_date),
        (_SLASHED_DATE, _worded_date),
        (_MONTH_OF_YEAR, _month_of_year),
        (_TIME, _set_aside),
        (_MONEY, _money),
        (_STARS, _counted("stars")),
        (_RATING, _rating),
        (_COUNTED, _counted("count")),
        (_NUMBER, _number),
    ]


def _set_aside(match: re.Match[str], today: dt.date) -> bool:
    return True


def _name(match: re.Match[str], today: dt.date) -> Figure:
    return _figure(match, "name", match.group())


def _city(match: re.Match[str], today: dt.date) -> Figure:
    return Figure(match.group("city"), "name", match.group("city"), *match.span("city"))


def _lodging_name(match: re.Match[str], today: dt.date) -> Figure | None:
    return _figure(match, "name", match.group()) if _LODGING.search(match.group()) else None


def _iso_date(match: re.Match[str], today: dt.date) -> Figure | None:
    day = iso_date(match.group())
    return None if day is None else _figure(match, "date", day)


def _worded_date(match: re.Match[str], today: dt.date) -> Figure | None:
    day = read_date(match.group(), today)
    return None if day is None else _figure(match, "date", day)


def _month_of_year(match: re.Match[str], today: dt.date) -> Figure:
    """``"December 2026"``: the month's first day (see :func:`names_a_day`)."""
    month, year = match.group().split()
    return _figure(match, "date", dt.date(int(year), _MONTHS.index(month[:3].lower()) + 1, 1))


def _money(match: re.Match[str], today: dt.date) -> Figure | None:
    amount = Price.fromstring(match.group()).amount
    return None if amount is None else _figure(match, "money", amount)


def _rating(match: re.Match[str], today: dt.date) -> Figure:
    return _figure(match, "rating", Decimal(match.group("n") or match.group("m")))


def _counted(kind: FigureKind) -> Reader:
    def read(match: re.Match[str], today: dt.date) -> Figure | None:
        value = _count_value(match.group("n"))
        return None if value is None else _figure(match, kind, value)

    return read


def _number(match: re.Match[str], today: dt.date) -> Figure:
    return _figure(match, "number", Decimal(match.group().replace(",", "")))


def _count_value(text: str) -> Decimal | None:
    """``"3"`` or ``"thirty-five"`` as a number."""
    digits = text if text.isdigit() else alpha2digit(text, "en", threshold=0)
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _figure(match: re.Match[str], kind: FigureKind, value: Decimal | dt.date | str) -> Figure:
    return Figure(match.group(), kind, value, match.start(), match.end())
