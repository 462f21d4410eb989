"""Scoring one answer of the travel planner against a golden question.

An answer question is right when ``hotel_search`` put the expected hotels first
with the expected total, and the answer names the first hotel and states that
total (``€512.40``; ``512,40`` and ``1,512.40`` count too); when no hotel fits
the budget, the answer must say so, and must not say it when some hotel does.
When hotels of the city have expired prices, ``hotel_search`` must count them in
``excluded.data_expired`` and the answer must say they were left out because
their data expired.
A refusal is right when the tools gave it (the error code, the MISSING profile,
no matching hotel) and the answer says so in words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from groundwork.agents.golden.expected import Expected, exact, normalised
from groundwork.agents.golden.questions import GoldenQuestion
from groundwork.functions.travel_errors import MAX_NIGHTS

PROFILE_TOOL, SEARCH_TOOL = "user_profile", "hotel_search"
TOOL_ERRORS = frozenset({"unknown_city", "check_in_in_past", "dates_outside_price_window",
                         "stay_too_long", "data_missing", "data_expired"})
"""Kinds that are an error code of ``hotel_search``."""

_SAYS: dict[str, str] = {
    "unknown_city": r"no city|not (?:a )?known|unknown|(?:could ?not|couldn't|cannot|can't) "
                    r"find|not recogni[sz]ed|does(?: not|n't) exist|closest",
    "check_in_in_past": r"\bpast\b|already (?:passed|gone)|before today",
    "dates_outside_price_window": r"prices? (?:are|is) (?:only )?known|outside|not covered|"
                                  r"no prices?|beyond|price window",
    "stay_too_long": rf"at most {MAX_NIGHTS}|{MAX_NIGHTS} nights|too long|maximum|longest",
    "unknown_user": r"no profile|profile\b[^.\n]*(?:missing|not found|unknown|"
                    r"does(?: not|n't) exist)|(?:unknown|no such) (?:user|travell?er)",
    "no_availability": r"\bno hotels?\b|\bnone of\b|\bnot (?:a single|any) hotel",
    "data_missing": r"missing|not (?:been )?synced|unavailable",
    "data_expired": r"expired|out of date|outdated|stale",
}
"""Words that say each refusal, any case."""
_NO_HOTEL_FITS = re.compile(r"\b(?:no hotels?|none)\b[^.\n]*\b(?:fits?|within)\b[^.\n]*"
                            r"\bbudget", re.IGNORECASE)
_LEFT_OUT = r"\b(?:left out|excluded|omitted|skipped|not (?:shown|included|considered))\b"
_EXPIRED = r"\b(?:expired|out of date|outdated|stale)\b"
_SAYS_EXPIRED_LEFT_OUT = re.compile(rf"{_LEFT_OUT}[^.\n]*{_EXPIRED}|{_EXPIRED}[^.\n]*{_LEFT_OUT}",
                                    re.IGNORECASE)
"""A sentence saying hotels were left out because their data expired."""
_OVER_BUDGET = re.compile(r"\bover (?:the |your |their )?budget|\bno hotels?\b[^.\n]*\bbudget"
                          r"|\bnone\b[^.\n]*\bbudget", re.IGNORECASE)


class ToolCall(Protocol):
    """A tool call the planner made (``ToolCallRecord``)."""

    @property
    def name(self) -> str: ...

    @property
    def arguments(self) -> dict[str, Any]: ...

    @property
    def result(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Score:
    """How one answer fared.

    Attributes:
        outcome: What the tools gave: ``answer``, an error code, ``unknown_user``,
            ``no_availability``, or ``no_search`` when ``hotel_search`` was not called.
        problems: Every way the answer or the tool results are wrong; empty when right.
    """

    outcome: str
    problems: tuple[str, ...]

    @property
    def correct(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems


def score(question: GoldenQuestion, answer: str, tool_calls: Sequence[ToolCall]) -> Score:
    """Check ``answer`` and the ``tool_calls`` behind it against ``question``."""
    outcome = tool_outcome(tool_calls)
    expected = question.expected
    if expected.kind == "answer":
        problems = _answer_problems(expected, outcome, answer, tool_calls)
    else:
        problems = _refusal_problems(expected, outcome, answer, tool_calls)
    return Score(outcome, tuple(problems))


def tool_outcome(tool_calls: Sequence[ToolCall]) -> str:
    """What the last ``hotel_search`` (and the profile) gave, as a :data:`Kind` of outcome."""
    search = _last_search(tool_calls)
    if search is None:
        return "no_search"
    error = search.result.get("error")
    if isinstance(error, Mapping):
        return str(error.get("code"))
    if any(_profile_missing(call) for call in tool_calls):
        return "unknown_user"
    return "no_availability" if not _outputs(search).get("matching") else "answer"


def _answer_problems(expected: Expected, outcome: str, answer: str,
                     tool_calls: Sequence[ToolCall]) -> list[str]:
    if outcome != "answer":
        return [f"expected an answer; the tools gave {outcome}"]
    search = _last_search(tool_calls)
    assert search is not None
    problems = _search_problems(expected, _outputs(search))
    name, total = expected.top_hotel_name, expected.top_total
    if name is not None and normalised(name) not in normalised(answer):
        problems.append(f"the answer does not name {name}")
    if total is not None and not _states_amount(answer, total):
        problems.append(f"the answer does not state the total €{total:.2f}")
    if expected.expired and _SAYS_EXPIRED_LEFT_OUT.search(answer) is None:
        hotels = "1 hotel" if expected.expired == 1 else f"{expected.expired} hotels"
        problems.append(f"the answer does not say that {hotels} with expired prices were "
                        "left out")
    return problems + _budget_problems(expected, answer)


def _search_problems(expected: Expected, outputs: Mapping[str, Any]) -> list[str]:
    hotels = outputs.get("hotels") or []
    served = [hotel.get("hotel_id") for hotel in hotels]
    shown = min(len(served), len(expected.top_hotel_ids))
    problems = []
    if expected.top_hotel_ids and served[:shown] != list(expected.top_hotel_ids[:max(shown, 1)]):
        problems.append(f"hotel_search put {served[:3]} first; the data says "
                        f"{list(expected.top_hotel_ids)}")
    elif expected.top_total is not None:
        given = hotels[0].get("total_price") if hotels else None
        if not isinstance(given, int | float) or exact(given) != expected.top_total:
            problems.append(f"hotel_search gave the first total {given}; the data says "
                            f"{expected.top_total:.2f}")
    for count in ("matching", "within_budget"):
        wanted = getattr(expected, count)
        if wanted is not None and outputs.get(count) != wanted:
            problems.append(f"hotel_search counted {count}={outputs.get(count)}; the data "
                            f"says {wanted}")
    excluded = outputs.get("excluded")
    expired = excluded.get("data_expired") if isinstance(excluded, Mapping) else None
    if expected.expired is not None and (expired or 0) != expected.expired:
        problems.append(f"hotel_search counted data_expired={expired}; the data says "
                        f"{expected.expired}")
    return problems


def _budget_problems(expected: Expected, answer: str) -> list[str]:
    if expected.within_budget == 0 and _OVER_BUDGET.search(answer) is None:
        return ["no hotel fits the budget and the answer does not say so"]
    if expected.within_budget and _NO_HOTEL_FITS.search(answer) is not None:
        return [f"the answer says no hotel fits the budget; {expected.within_budget} do"]
    return []


def _refusal_problems(expected: Expected, outcome: str, answer: str,
                      tool_calls: Sequence[ToolCall]) -> list[str]:
    kind = expected.kind
    if kind in TOOL_ERRORS:
        given = any(_error_code(call) == kind for call in tool_calls)
    elif kind == "unknown_user":
        given = any(_profile_missing(call) for call in tool_calls)
    else:
        given = outcome == kind
    problems = [] if given else [f"expected {kind}; the tools gave {outcome}"]
    if re.search(_SAYS[kind], answer, re.IGNORECASE) is None:
        problems.append(f"the answer does not say {kind.replace('_', ' ')}")
    return problems


def _states_amount(answer: str, amount: Decimal) -> bool:
    plain, grouped = f"{amount:.2f}", f"{amount:,.2f}"
    spellings = {plain, grouped, plain.replace(".", ","),
                 grouped.replace(",", " ").replace(".", ","),
                 grouped.replace(",", "_").replace(".", ",").replace("_", ".")}
    return any(re.search(rf"(?<![\d.,]){re.escape(spelling)}(?!\d)", answer)
               for spelling in spellings)


def _last_search(tool_calls: Sequence[ToolCall]) -> ToolCall | None:
    searches = [call for call in tool_calls if call.name == SEARCH_TOOL]
    return searches[-1] if searches else None


def _outputs(call: ToolCall) -> Mapping[str, Any]:
    outputs = call.result.get("outputs")
    return outputs if isinstance(outputs, Mapping) else {}


def _error_code(call: ToolCall) -> str | None:
    error = call.result.get("error")
    return str(error.get("code")) if isinstance(error, Mapping) else None


def _profile_missing(call: ToolCall) -> bool:
    if call.name != PROFILE_TOOL:
        return False
    entries = call.result.get("freshness") or []
    return any(isinstance(entry, Mapping) and entry.get("status") == "MISSING"
               for entry in entries)
