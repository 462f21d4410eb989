"""The facts of tool calls: every value of a result or an argument, with where it came from.

A tool call is flattened into facts, one per value: its path
(``outputs.hotels[0].total_price``), what it is (money, stars, rating, number,
date or name, from the field's name), the hotel record it belongs to, and its
provenance: the feature view behind it, the entity, when the record was true
and its status. Which view stands behind which field is the caller's table
(:class:`ViewMap`); the answer verifier keeps it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from groundwork.agents.figures import iso_date
from groundwork.agents.records import ToolCallRecord
from groundwork.agents.rest import is_error

__all__ = ["Fact", "Key", "Source", "Total", "ViewMap", "tool_facts"]

Key = int | str
HOTEL_KEY = "hotel_id"
"""A mapping holding this key is a hotel's record: its values belong to that hotel."""

_LAST_STEP = re.compile(r"(?:\[\d+\]|\.[^.\[]+)$")
_MOST_DEPTH = 12
_LONGEST_TEXT = 200


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from.

    Attributes:
        call: Index into the tool calls.
        tool: Tool (endpoint) name.
        path: E.g. ``"outputs.hotels[0].total_price"`` or ``"arguments.nights"``.
        trace_id: The tool result's ``trace_id``.
        view: The feature view behind the value, when known.
        entity: The entity key (hotel id, user id), when known.
        event_ts: When the record was true (ISO), when known.
        status: ``PRESENT``, ``MISSING`` or ``EXPIRED`` of that record, when known.
    """

    call: int
    tool: str
    path: str
    trace_id: str | None
    view: str | None = None
    entity: Key | None = None
    event_ts: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ViewMap:
    """Which feature view stands behind which output.

    Attributes:
        fields: Output field -> view. A hotel view's fields count inside a hotel record only.
        record_times: Hotel view -> the record's field that says when its values were true.
        tools: Tool -> the view behind every one of its outputs.
        entities: View (not a hotel's) -> the argument that holds its entity key.
    """

    fields: Mapping[str, str]
    record_times: Mapping[str, str]
    tools: Mapping[str, str]
    entities: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Fact:
    """One value of a tool call.

    Attributes:
        value: The amount, the day or the text.
        kind: ``money``, ``stars``, ``rating``, ``number``, ``date`` or ``name``.
        field: The field's name (``total_price``).
        source: Where it came from.
        hotel: The hotel whose record holds it, if any.
        ages: Whether it is a record's data (it can be stale), not an argument or metadata.
    """

    value: Decimal | dt.date | str
    kind: str
    field: str
    source: Source
    hotel: Key | None
    ages: bool


@dataclass(frozen=True, slots=True)
class Total:
    """The sum of a list of amounts or of a set of counts (every value numeric, one kind)."""

    total: Decimal
    operands: tuple[Fact, ...]
    kind: str


def tool_facts(tool_calls: Sequence[ToolCallRecord], views: ViewMap
               ) -> tuple[list[Fact], list[Total]]:
    """Every fact of ``tool_calls``, and the totals of their lists and sets of counts."""
    facts: list[Fact] = []
    totals: list[Total] = []
    for index, call in enumerate(tool_calls):
        leaves: Counter[str] = Counter()
        call_facts = list(_call_facts(index, call, views, leaves))
        facts.extend(call_facts)
        totals.extend(_totals(call_facts, leaves))
    return facts, totals


def _call_facts(index: int, call: ToolCallRecord, views: ViewMap, leaves: Counter[str]
                ) -> Iterator[Fact]:
    """The facts of one tool call: its arguments, then its error or record times and outputs."""
    result = call.result if isinstance(call.result, Mapping) else {}
    trace = result.get("trace_id")
    base = Source(index, call.name, "", trace if isinstance(trace, str) else None)
    arguments = call.arguments if isinstance(call.arguments, Mapping) else {}
    yield from _plain_facts(arguments, "arguments", base, leaves)
    if is_error(result):
        details = result["error"].get("details") or {}
        yield from _plain_facts(details, "error.details", base, leaves)
        return
    freshness = [entry for entry in result.get("freshness") or [] if isinstance(entry, Mapping)]
    for position, entry in enumerate(freshness):
        entry_base = _with(base, entry.get("view"), entry.get("key"), entry)
        yield from _plain_facts(entry.get("event_ts"), f"freshness[{position}].event_ts",
                                entry_base, leaves, ("event_ts",))
    for path, keys, value, record in _walk(result.get("outputs") or {}, "outputs"):
        leaves[_parent(path)] += 1
        source, hotel = _provenance(call, arguments, base, keys, record, freshness, views)
        fact = _fact(value, keys, replace(source, path=path), hotel, source.view is not None)
        if fact is not None:
            yield fact


def _provenance(call: ToolCallRecord, arguments: Mapping[str, Any], base: Source,
                keys: tuple[str, ...], record: Mapping[str, Any] | None,
                freshness: Sequence[Mapping[str, Any]], views: ViewMap
                ) -> tuple[Source, Key | None]:
    """The view, entity and record time behind an output value, and its hotel."""
    hotel = record.get(HOTEL_KEY) if record is not None else None
    view = views.tools.get(call.name) or views.fields.get(keys[-1] if keys else "")
    in_hotel_view = view in views.record_times
    if view is None or (in_hotel_view and record is None):
        return base, hotel
    entity = hotel if in_hotel_view else arguments.get(views.entities.get(view, ""))
    entry = next((entry for entry in freshness if entry.get("view") == view
                  and (entry.get("key") == entity or not in_hotel_view)), {})
    source = _with(base, view, entity, entry)
    if record is not None and in_hotel_view:
        stamp = record.get(views.record_times[view])
        source = replace(source, event_ts=stamp if isinstance(stamp, str) else source.event_ts)
    return source, hotel


def _with(base: Source, view: Any, entity: Any, entry: Mapping[str, Any]) -> Source:
    """``base`` with a view, an entity, and the record time and status of a freshness entry."""
    stamp, status = entry.get("event_ts"), entry.get("status")
    return replace(base, view=view if isinstance(view, str) else None,
                   entity=entity if isinstance(entity, int | str) else None,
                   event_ts=stamp if isinstance(stamp, str) else None,
                   status=status if isinstance(status, str) else None)


def _plain_facts(value: Any, path: str, base: Source, leaves: Counter[str],
                 field: tuple[str, ...] = ()) -> Iterator[Fact]:
    """Facts of arguments, error details and record times: no hotel's, never stale."""
    for leaf_path, keys, leaf, _ in _walk(value, path, field):
        leaves[_parent(leaf_path)] += 1
        fact = _fact(leaf, keys, replace(base, path=leaf_path), None, False)
        if fact is not None:
            yield fact


def _walk(value: Any, path: str, keys: tuple[str, ...] = (),
          record: Mapping[str, Any] | None = None, depth: int = 0
          ) -> Iterator[tuple[str, tuple[str, ...], Any, Mapping[str, Any] | None]]:
    """Every leaf under ``value``: its path, its keys, itself and its hotel record."""
    if depth > _MOST_DEPTH:
        return
    if isinstance(value, Mapping):
        record = value if HOTEL_KEY in value else record
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}", (*keys, str(key)), record, depth + 1)
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            yield from _walk(item, f"{path}[{position}]", keys, record, depth + 1)
    else:
        yield path, keys, value, record


def _fact(value: Any, keys: tuple[str, ...], source: Source, hotel: Any, ages: bool
          ) -> Fact | None:
    """The fact of one leaf: numbers, ISO dates and short texts (``None`` for the rest)."""
    field = keys[-1] if keys else ""
    hotel_key = hotel if isinstance(hotel, int | str) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Fact(Decimal(str(value)), _numeric_kind(keys), field, source, hotel_key, ages)
    if isinstance(value, str) and 0 < len(value) <= _LONGEST_TEXT:
        day = iso_date(value)
        if day is not None:
            return Fact(day, "date", field, source, hotel_key, ages)
        return Fact(value, "name", field, source, hotel_key, ages)
    return None


def _numeric_kind(keys: tuple[str, ...]) -> str:
    """Money, stars, rating or a plain number, from the field's name."""
    field = keys[-1] if keys else ""
    if "excluded" in keys or "counts" in keys:
        return "number"
    if "star" in field:
        return "stars"
    if "rating" in field:
        return "rating"
    return "money" if "price" in field or field.startswith("budget") else "number"


def _totals(facts: Sequence[Fact], leaves: Counter[str]) -> list[Total]:
    """The containers whose every leaf is a number of one kind, with their sums."""
    numeric: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        if isinstance(fact.value, Decimal):
            numeric[_parent(fact.source.path)].append(fact)
    return [Total(sum((Decimal(str(fact.value)) for fact in group), Decimal(0)), tuple(group),
                  group[0].kind)
            for parent, group in numeric.items()
            if 2 <= len(group) == leaves[parent] and len({fact.kind for fact in group}) == 1]


def _parent(path: str) -> str:
    """The container of a value: ``outputs.hotels[0].nightly_prices`` for its ``[1]``."""
    return _LAST_STEP.sub("", path)
