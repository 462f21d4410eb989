"""Declarative endpoint definitions: request inputs, feature lookups, functions, outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Input:
    """A request input of an endpoint.

    Attributes:
        name: Parameter name (also its node name).
        type: Python type the value is validated into.
        description: Shown in the JSON Schema and tool description.
        constraints: Extra pydantic ``Field`` constraints, e.g. ``{"ge": 1}``.
    """

    name: str
    type: Any
    description: str = ""
    constraints: Mapping[str, Any] = field(default_factory=dict)


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
    """

    view: str
    key: str
    features: tuple[str, ...] = ()


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
