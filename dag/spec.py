"""Declarative endpoint definitions: request inputs, feature lookups, functions, outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from groundwork.errors import GroundworkError


class _Required(Enum):
    REQUIRED = "required"


REQUIRED = _Required.REQUIRED
"""The default of an input the caller must send."""

Refusal = Callable[[Any], GroundworkError]
"""Builds the error that answers an invalid value of an input (given the value sent)."""


@dataclass(frozen=True, slots=True)
class Input:
    """A request input of an endpoint.

    Attributes:
        name: Parameter name (also its node name).
        type: Python type the value is validated into.
        description: Shown in the JSON Schema and tool description.
        constraints: Extra pydantic ``Field`` constraints, e.g. ``{"ge": 1}``.
        default: The value of an input the caller leaves out; :data:`REQUIRED`
            (the default) when the caller must send it.
        refusals: Pydantic error type (``"less_than_equal"``) to the domain error
            that answers it, so a caller learns the rule it broke in the
            platform's words (``stay_too_long``, with the limit) instead of a
            generic ``invalid_input``.
    """

    name: str
    type: Any
    description: str = ""
    constraints: Mapping[str, Any] = field(default_factory=dict)
    default: Any = REQUIRED
    refusals: Mapping[str, Refusal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lookup:
    """A feature lookup: read ``features`` of ``view`` for the entity key(s) in node ``key``.

    When the ``key`` node holds one key, each feature node holds one value
    (``T | None``); when it holds a list of keys, each feature node holds a
    list aligned with the keys (``list[T | None]``).

    Attributes:
        view: Feature view name.
        key: Name of the node holding the entity key or keys.
        features: Features to read; empty means all of the view's features.
        as_of: Name of a node to hold each record's ``event_ts`` (``None`` for a
            MISSING record, set for an EXPIRED one, whose features read ``None``),
            so functions can tell missing from expired data and report its age;
            empty for none.
        freshness: ``"each"``: one freshness entry per key read; ``"summary"``:
            one entry for the whole lookup (key count, status counts, the oldest
            record), for a lookup of many keys whose per-key detail a caller (a
            model reading a tool result) does not need.
    """

    view: str
    key: str
    features: tuple[str, ...] = ()
    as_of: str = ""
    freshness: Literal["each", "summary"] = "each"


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """A named set of outputs computed from inputs, lookups and functions.

    Attributes:
        name: Endpoint name, used in the URL and as the tool name.
        description: What the endpoint answers (the tool description).
        inputs: Request inputs.
        lookups: Feature lookups.
        functions: Typed functions; a function's name is its node name.
        outputs: Node names returned to the caller.
        optional: Nodes whose failure yields a partial result instead of an error.
        timeouts: Seconds allowed per node (lookups and async functions).
    """

    name: str
    description: str
    inputs: tuple[Input, ...]
    lookups: tuple[Lookup, ...] = ()
    functions: tuple[Callable[..., Any], ...] = ()
    outputs: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()
    timeouts: Mapping[str, float] = field(default_factory=dict)
