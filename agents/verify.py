"""Verified answers: every figure of an answer traced to the tool results it rests on.

:func:`verify` reads the figures of an answer (money, dates, counts, stars,
ratings, numbers, hotel and city names; see :mod:`groundwork.agents.figures`),
flattens the tool calls into facts (each value with its path, its hotel and the
feature view behind it) and judges every figure:

- ``grounded``: it equals a value of a tool result or a tool-call argument in
  scope;
- ``derived``: it equals the sum or the difference of two amounts in scope, or
  the sum of a list or of a set of counts (the note says which);
- ``stale``: it is grounded only on a record that is ``EXPIRED`` or older than
  its view's limit at ``now``, and the answer does not say how old that source is;
- ``ungrounded``: anything else, including a price of one hotel written next to
  another (the note names the hotel it belongs to).

Scope: a figure in a sentence (or line) that names hotels belongs to the hotel
named last before it (else the first after it): it must match that hotel's
record or a value that is no hotel's (budget, nights, dates, counts). Stars and
ratings must match the hotel's own. Names are never stale.

The module is pure: no I/O; the clock is the ``now`` argument.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from groundwork.agents.facts import Fact, Key, Source, Total, ViewMap, tool_facts
from groundwork.agents.figures import Figure, find_figures, names_a_day, names_a_year
from groundwork.agents.phrases import fold
from groundwork.agents.records import ToolCallRecord

__all__ = ["STALE_AFTER", "VIEWS", "Figure", "Judged", "Source", "Verdict", "Verification",
           "verify"]

Verdict = Literal["grounded", "derived", "stale", "ungrounded"]
VERDICTS: tuple[Verdict, ...] = ("grounded", "derived", "stale", "ungrounded")
CENT = Decimal("0.01")

VIEWS = ViewMap(
    fields={"nightly_prices": "hotel_prices", "total_price": "hotel_prices",
            "price_per_night": "hotel_prices", "rooms_left": "hotel_prices",
            "name": "hotel_stats", "stars": "hotel_stats", "rating": "hotel_stats",
            "amenities": "hotel_stats",
            "budget_per_night": "user_profile", "budget_total": "user_profile"},
    record_times={"hotel_prices": "prices_as_of", "hotel_stats": "details_as_of"},
    tools={"user_profile": "user_profile"},
    entities={"user_profile": "user_id"},
)
"""The feature view behind each output: a hotel's prices and rooms come from
``hotel_prices`` (true at its ``prices_as_of``), its name, stars, rating and
amenities from ``hotel_stats`` (``details_as_of``); every output of the
``user_profile`` tool, and the budget ``hotel_search`` derives from it, from
``user_profile`` (the ``user_id`` argument's record)."""

STALE_AFTER: Mapping[str, dt.timedelta] = {"hotel_prices": dt.timedelta(hours=6)}
"""Age past which a view's record is stale; any other view: :data:`DEFAULT_STALE_AFTER`."""
DEFAULT_STALE_AFTER = dt.timedelta(days=7)

_SOURCE_WORDS = {"hotel_prices": ("price", "availability"),
                 "hotel_stats": ("detail", "rating"),
                 "user_profile": ("profile", "budget", "preference")}
"""Words that name each source when the answer states its age."""
_NOUNS = {"hotel_prices": "price", "hotel_stats": "hotel detail", "user_profile": "profile value"}
_AGE_STATED = re.compile(r"\b(?:as of|as at|updated|old|ago|expired|stale|outdated)\b",
                         re.IGNORECASE)
_NAME_FIELDS = frozenset({"name", "hotel_name", "city", "city_name", "home_city", "suggestions"})
_FOREIGN_CURRENCY = re.compile(r"\$|£|USD|GBP", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[ \t]+|\n")
_COMPATIBLE = {"money": {"money"}, "stars": {"stars"}, "rating": {"rating"},
               "count": {"number"}, "number": {"number", "money", "stars", "rating"}}
"""The kinds of fact each numeric kind of figure may equal."""
_WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True, slots=True)
class Judged:
    """A figure and its verdict.

    Attributes:
        figure: The figure as found in the answer.
        verdict: ``grounded``, ``derived``, ``stale`` or ``ungrounded``.
        sources: The values it equals (for ``derived``: the operands).
        note: Why, when the verdict needs a word ("belongs to hotel X, not Y").
    """

    figure: Figure
    verdict: Verdict
    sources: tuple[Source, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Verification:
    """Every figure of one answer, judged.

    Attributes:
        answer_id: A new id per answer (uuid4 hex).
        figures: The figures in the order written.
    """

    answer_id: str
    figures: tuple[Judged, ...]

    def count(self, verdict: Verdict) -> int:
        """How many figures got ``verdict``."""
        return sum(1 for judged in self.figures if judged.verdict == verdict)

    @property
    def verified(self) -> bool:
        """No figure is ungrounded or stale."""
        return not self.count("ungrounded") and not self.count("stale")

    def summary(self) -> str:
        """``"14 figures, 14 grounded"`` or ``"9 figures: 7 grounded, 1 derived, 1 ungrounded"``."""
        total = f"{len(self.figures)} figure{'' if len(self.figures) == 1 else 's'}"
        parts = [f"{self.count(verdict)} {verdict}" for verdict in VERDICTS
                 if self.count(verdict)]
        return ", ".join([total, *parts]) if len(parts) <= 1 else f"{total}: {', '.join(parts)}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: answer id, verified, summary, counts and the figures with sources."""
        return {
            "answer_id": self.answer_id,
            "verified": self.verified,
            "summary": self.summary(),
            "counts": {verdict: self.count(verdict) for verdict in VERDICTS},
            "figures": [_judged_json(judged) for judged in self.figures],
        }


def verify(
    answer: str,
    tool_calls: Sequence[ToolCallRecord],
    *,
    now: dt.datetime | None = None,
    stale_after: Mapping[str, dt.timedelta] | None = None,
    answer_id: str | None = None,
) -> Verification:
    """Judge every figure of ``answer`` against the tool calls it was written from.

    Args:
        answer: The answer text (the question is not a source: pass only the answer).
        tool_calls: The tool calls, in order (their arguments are sources too).
        now: The moment records' ages count to; the current time by default.
        stale_after: Age limits by view, over :data:`STALE_AFTER`.
        answer_id: The answer's id (the prefix its tool calls were audited under); a
            new one when ``None``.
    """
    moment = _utc(now or dt.datetime.now(dt.UTC))
    facts, totals = tool_facts(tool_calls, VIEWS)
    names = [str(fact.value) for fact in facts if fact.kind == "name" and fact.field in
             _NAME_FIELDS]
    figures = find_figures(answer, names, today=moment.date())
    board = _Board(answer, facts, totals, moment, {**STALE_AFTER, **(stale_after or {})})
    return Verification(answer_id or uuid.uuid4().hex, board.judge_all(figures))


class _Board:
    """Judges figures against the facts of one answer's tool calls."""

    def __init__(self, answer: str, facts: list[Fact], totals: list[Total], now: dt.datetime,
                 limits: Mapping[str, dt.timedelta]) -> None:
        self.answer, self.facts, self.totals, self.now, self.limits = (
            answer, facts, totals, now, limits)
        self.hotels: dict[str, set[Key]] = defaultdict(set)
        self.hotel_names: dict[Key, str] = {}
        for fact in facts:
            if fact.hotel is not None and fact.field == "name" and isinstance(fact.value, str):
                self.hotels[fold(fact.value)].add(fact.hotel)
                self.hotel_names.setdefault(fact.hotel, fact.value)
        self.segments = _segments(answer)
        self.stated_views = _stated_views(answer, self.segments)

    def judge_all(self, figures: Sequence[Figure]) -> tuple[Judged, ...]:
        """The verdict on each figure, each judged in its sentence."""
        starts = [start for start, _ in self.segments]
        by_segment: dict[int, list[Figure]] = defaultdict(list)
        for figure in figures:
            by_segment[bisect.bisect_right(starts, figure.start) - 1].append(figure)
        return tuple(sorted((self.judge(figure, neighbours, segment)
                             for segment, neighbours in by_segment.items()
                             for figure in neighbours), key=lambda judged: judged.figure.start))

    def judge(self, figure: Figure, neighbours: Sequence[Figure], segment: int) -> Judged:
        """The verdict on ``figure``, one of ``neighbours``, the figures of its sentence."""
        if figure.kind == "money" and _FOREIGN_CURRENCY.search(figure.text):
            return Judged(figure, "ungrounded", (), "not in EUR, the currency of the tools")
        scope, named = self._scope(figure, neighbours)
        dated = self._dated(segment)
        matches = [fact for fact in self.facts if _equal(figure, fact)]
        in_scope = [fact for fact in matches if _admissible(fact, figure.kind, scope)]
        if in_scope:
            return self._grounded(figure, in_scope, scope, dated)
        if matches:
            return Judged(figure, "ungrounded", _sources(matches), self._belongs(matches, scope))
        derived = self._derived(figure, named, dated)
        return derived or Judged(figure, "ungrounded", ())

    def _scope(self, figure: Figure, neighbours: Sequence[Figure]
               ) -> tuple[frozenset[Key], frozenset[Key]]:
        """The hotel the figure belongs to, and every hotel its sentence names."""
        if figure.kind == "name":
            return frozenset(), frozenset()
        hotels = [(other, self.hotels[fold(str(other.value))]) for other in neighbours
                  if other.kind == "name" and fold(str(other.value)) in self.hotels]
        before = [keys for other, keys in hotels if other.end <= figure.start]
        after = [keys for other, keys in hotels if other.start >= figure.end]
        nearest = before[-1] if before else after[0] if after else set()
        return frozenset(nearest), frozenset(key for _, keys in hotels for key in keys)

    def _dated(self, segment: int) -> bool:
        """Whether the sentence states an age ("as of", "updated", "ago")."""
        start, end = self.segments[segment]
        return bool(_AGE_STATED.search(self.answer[start:end]))

    def _grounded(self, figure: Figure, facts: list[Fact], scope: frozenset[Key],
                  dated: bool) -> Judged:
        """Grounded, unless every fact is stale and its sentence states no age."""
        fresh = [fact for fact in facts if dated or not self._staleness(fact)]
        if fresh:
            return Judged(figure, "grounded", _sources(fresh, scope, figure))
        return Judged(figure, "stale", _sources(facts, scope, figure),
                      self._staleness(facts[0]))

    def _staleness(self, fact: Fact) -> str:
        """Why ``fact`` is stale, unless the answer says how old its source is; else ``""``."""
        view = fact.source.view
        if not fact.ages or fact.kind == "name" or view is None or view in self.stated_views:
            return ""
        noun = _NOUNS.get(view, f"{view} value")
        if fact.source.status == "EXPIRED":
            return f"EXPIRED {noun} stated as current"
        age = _age(fact.source.event_ts, self.now)
        limit = self.limits.get(view, DEFAULT_STALE_AFTER)
        if age is not None and age > limit:
            return (f"{noun} {_duration(age)} old, over the limit of {_duration(limit)}, "
                    "stated as current")
        return ""

    def _belongs(self, matches: Sequence[Fact], scope: frozenset[Key]) -> str:
        """Whose value a figure said of the hotels in ``scope`` is."""
        owners = sorted({self.hotel_names.get(fact.hotel, str(fact.hotel))
                         for fact in matches if fact.hotel is not None})
        named = " / ".join(sorted(self.hotel_names.get(key, str(key)) for key in scope))
        return f"belongs to {' / '.join(owners)}, not {named}" if owners else (
            f"not a value of {named}")

    def _derived(self, figure: Figure, named: frozenset[Key], dated: bool) -> Judged | None:
        """A sum or a difference of values in scope that equals the figure.

        Stale when every such sum rests on a stale value and ``dated`` (the sentence
        states an age) is false.
        """
        if not isinstance(figure.value, Decimal) or figure.kind not in ("money", "number",
                                                                         "count"):
            return None
        kinds = _COMPATIBLE[figure.kind]
        found: list[tuple[tuple[Fact, ...], str]] = [
            (total.operands, f"sum of {len(total.operands)} values")
            for total in self.totals
            if total.kind in kinds and _same(figure, total.total)
            and all(_admissible(fact, figure.kind, named) for fact in total.operands)
        ]
        if figure.kind == "money":
            found.extend(_pairs(figure.value, [
                fact for fact in self.facts
                if fact.kind == "money" and _admissible(fact, "money", named)]))
        fresh = [item for item in found
                 if dated or not any(map(self._staleness, item[0]))]
        if fresh:
            operands, note = fresh[0]
            return Judged(figure, "derived", _sources(operands), note)
        if found:
            operands, note = found[0]
            stale = next(filter(None, map(self._staleness, operands)))
            return Judged(figure, "stale", _sources(operands), f"{note}; {stale}")
        return None


def _pairs(target: Decimal, operands: Sequence[Fact]) -> list[tuple[tuple[Fact, ...], str]]:
    """Two amounts whose sum or difference is ``target``."""
    by_cent: dict[Decimal, Fact] = {}
    for fact in operands:
        by_cent.setdefault(_cents(fact.value), fact)
    found: list[tuple[tuple[Fact, ...], str]] = []
    for first in operands:
        amount = _cents(first.value)
        for other, word in ((target - amount, "sum"), (amount - target, "difference")):
            second = by_cent.get(other)
            if second is not None and second is not first and other > 0:
                found.append(((first, second),
                              f"{word} of {_described(first)} and {_described(second)}"))
    return found


def _equal(figure: Figure, fact: Fact) -> bool:
    if figure.kind == "date":
        return isinstance(fact.value, dt.date) and _same_day(figure, fact.value)
    if figure.kind == "name":
        return fact.kind == "name" and fold(str(fact.value)) == fold(str(figure.value))
    return (isinstance(fact.value, Decimal) and fact.kind in _COMPATIBLE[figure.kind]
            and _same(figure, fact.value))


def _same(figure: Figure, value: Decimal) -> bool:
    assert isinstance(figure.value, Decimal)
    if figure.kind == "money":
        return _cents(value) == _cents(figure.value)
    return value == figure.value


def _same_day(figure: Figure, day: dt.date) -> bool:
    """The same day; the same month and day when no year is written; the same month when no
    day is."""
    assert isinstance(figure.value, dt.date)
    if not names_a_year(figure):
        return (day.month, day.day) == (figure.value.month, figure.value.day)
    if not names_a_day(figure):
        return (day.year, day.month) == (figure.value.year, figure.value.month)
    return day == figure.value


def _admissible(fact: Fact, kind: str, scope: frozenset[Key]) -> bool:
    """Whether ``fact`` may ground a figure of ``kind`` said of the hotels in ``scope``."""
    if not scope or kind == "name":
        return True
    if fact.hotel is None:
        return kind not in ("stars", "rating")
    return fact.hotel in scope


def _cents(value: Decimal | dt.date | str) -> Decimal:
    assert isinstance(value, Decimal)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _described(fact: Fact) -> str:
    return f"{fact.value} ({fact.field})"


def _sources(facts: Sequence[Fact], scope: frozenset[Key] = frozenset(),
             figure: Figure | None = None) -> tuple[Source, ...]:
    """The facts' sources, closest first.

    A path that holds a word of the figure comes first (``nights`` for ``"3 nights"``);
    then the hotel in scope, records' data, other outputs, error details, arguments,
    record times and, last, other hotels' values.
    """
    words = _WORD.findall(figure.text.lower()) if figure is not None else []

    def rank(fact: Fact) -> tuple[int, int]:
        affinity = sum(1 for word in words if word.rstrip("s") in fact.source.path)
        return -affinity, _origin(fact, scope)

    return tuple(dict.fromkeys(fact.source for fact in sorted(facts, key=rank)))


def _origin(fact: Fact, scope: frozenset[Key]) -> int:
    """How close a fact's origin is: the hotel in scope (0) to other hotels' values (6)."""
    path = fact.source.path
    if fact.hotel is not None:
        return 0 if fact.hotel in scope else 6
    if path.startswith("outputs"):
        return 1 if fact.ages else 2
    return 3 if path.startswith("error") else 4 if path.startswith("arguments") else 5


def _segments(answer: str) -> list[tuple[int, int]]:
    """Sentences and lines: ``(start, end)`` spans covering the answer."""
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(answer):
        bounds.append((start, match.start()))
        start = match.end()
    return [*bounds, (start, len(answer))]


def _stated_views(answer: str, segments: Sequence[tuple[int, int]]) -> frozenset[str]:
    """Views whose age the answer states ("prices as of two hours ago")."""
    views: set[str] = set()
    for start, end in segments:
        text = answer[start:end].lower()
        if _AGE_STATED.search(text):
            views.update(view for view, words in _SOURCE_WORDS.items()
                         if any(word in text for word in words))
    return frozenset(views)


def _age(event_ts: str | None, now: dt.datetime) -> dt.timedelta | None:
    if event_ts is None:
        return None
    try:
        return now - _utc(dt.datetime.fromisoformat(event_ts.replace("Z", "+00:00")))
    except ValueError:
        return None


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _duration(span: dt.timedelta) -> str:
    """``"2 days"``, ``"7 hours"``, ``"45 minutes"``."""
    seconds = span.total_seconds()
    count, unit = ((seconds / 86_400, "day") if seconds >= 86_400 else
                   (seconds / 3600, "hour") if seconds >= 3600 else (seconds / 60, "minute"))
    whole = int(count)
    return f"{whole} {unit}{'' if whole == 1 else 's'}"


def _judged_json(judged: Judged) -> dict[str, Any]:
    figure = judged.figure
    value = figure.value.isoformat() if isinstance(figure.value, dt.date) else str(figure.value)
    return {"text": figure.text, "kind": figure.kind, "value": value, "start": figure.start,
            "end": figure.end, "verdict": judged.verdict, "note": judged.note,
            "sources": [asdict(source) for source in judged.sources]}
