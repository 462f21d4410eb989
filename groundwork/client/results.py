"""What the client returns: endpoint results with per-entity freshness, and tool specs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

JsonObject = dict[str, Any]
"""A decoded JSON object."""

_EMPTY_SCHEMA: JsonObject = {"type": "object", "properties": {}}


class FreshnessStatus(StrEnum):
    """Whether an entity's features were served."""

    PRESENT = "PRESENT"
    """The store held values for the entity and they had not expired."""
    MISSING = "MISSING"
    """The store held nothing for the entity."""
    EXPIRED = "EXPIRED"
    """The store held values, older than the view's time to live: none are served."""


@dataclass(frozen=True, slots=True)
class Freshness:
    """Status and freshness of one entity's features, as served.

    A lookup of many keys may be served as one summary entry: ``key`` is
    ``None``, ``keys`` counts the keys read, ``counts`` holds the number per
    status, ``status`` is the worst of them and ``event_ts`` / ``age_seconds``
    are those of the oldest record.

    Attributes:
        view: Feature view the values come from, e.g. ``hotel_prices``.
        key: Entity key, e.g. a hotel id; ``None`` in a summary entry.
        status: PRESENT, MISSING or EXPIRED.
        event_ts: When the values were true; ``None`` unless PRESENT or EXPIRED.
        age_seconds: Seconds between ``event_ts`` and the moment of serving.
        keys: Summary entry: how many keys were read.
        counts: Summary entry: keys read per status.
    """

    view: str
    key: int | str | None
    status: FreshnessStatus
    event_ts: dt.datetime | None
    age_seconds: float | None
    keys: int | None = None
    counts: Mapping[str, int] | None = None

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Freshness:
        """Read one entry of a response's ``freshness`` list."""
        event_ts = payload.get("event_ts")
        age = payload.get("age_seconds")
        return cls(
            view=str(payload["view"]),
            key=payload["key"],
            status=FreshnessStatus(payload["status"]),
            event_ts=None if event_ts is None else dt.datetime.fromisoformat(event_ts),
            age_seconds=None if age is None else float(age),
            keys=payload.get("keys"),
            counts=payload.get("counts"),
        )

    @property
    def age(self) -> dt.timedelta | None:
        """How old the values were when served (``age_seconds`` as a duration)."""
        return None if self.age_seconds is None else dt.timedelta(seconds=self.age_seconds)


@dataclass(frozen=True, slots=True)
class Result:
    """The answer of one endpoint call.

    Attributes:
        endpoint: Endpoint name.
        outputs: The endpoint's outputs by name (JSON values: dates are ISO strings).
        freshness: One entry per entity whose features were read.
        errors: Optional steps that failed, by name, each ``{"code", "message"}``;
            their outputs are ``None`` (a partial result).
        trace_id: Identifier of the call in the server's audit log.
        body: The response body exactly as received.
    """

    endpoint: str
    outputs: Mapping[str, Any]
    freshness: tuple[Freshness, ...]
    errors: Mapping[str, Any]
    trace_id: str
    body: JsonObject = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, body: JsonObject, endpoint: str = "") -> Result:
        """Read a success response body (of ``endpoint``, when it does not say).

        Raises:
            KeyError, ValueError, TypeError: when the body is not an endpoint result.
        """
        return cls(
            endpoint=str(body.get("endpoint", endpoint)),
            outputs=dict(body["outputs"]),
            freshness=tuple(Freshness.from_json(entry) for entry in body.get("freshness", [])),
            errors=dict(body.get("errors") or {}),
            trace_id=str(body.get("trace_id", "")),
            body=body,
        )

    def __getitem__(self, output: str) -> Any:
        """The value of output ``output``."""
        return self.outputs[output]

    @property
    def partial(self) -> bool:
        """Whether an optional step failed, leaving some outputs empty."""
        return bool(self.errors)

    def freshness_of(self, view: str) -> tuple[Freshness, ...]:
        """The freshness entries of one feature view, in the order served."""
        return tuple(entry for entry in self.freshness if entry.view == view)


@dataclass(frozen=True)
class ToolSpec:
    """One endpoint the caller may execute, as ``GET /v1/tools`` describes it.

    Attributes:
        name: Endpoint name, e.g. ``hotel_offers``.
        description: What the endpoint answers; becomes a tool description.
        input_schema: JSON Schema of the request inputs (an object schema).
        output_schema: JSON Schema of the ``outputs`` object.
        invoke_path: Route that invokes the endpoint.
    """

    name: str
    description: str
    input_schema: JsonObject
    output_schema: JsonObject
    invoke_path: str

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> ToolSpec:
        """Build a spec from one entry of the ``tools`` list."""
        name = str(payload["name"])
        return cls(
            name=name,
            description=str(payload.get("description") or ""),
            input_schema=dict(payload.get("input_schema") or _EMPTY_SCHEMA),
            output_schema=dict(payload.get("output_schema") or _EMPTY_SCHEMA),
            invoke_path=str(payload.get("invoke_path") or default_invoke_path(name)),
        )

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs the endpoint returns, in schema order.

        ``output_schema`` may describe the ``outputs`` object itself or, as the
        server publishes it, the whole response, whose ``outputs`` property
        refers to the object's schema in ``$defs``.
        """
        properties: dict[str, Any] = self.output_schema.get("properties", {})
        outputs = properties.get("outputs")
        if isinstance(outputs, dict) and {"endpoint", "freshness"} <= set(properties):
            reference = str(outputs.get("$ref", "")).rpartition("/")[2]
            outputs = self.output_schema.get("$defs", {}).get(reference, outputs)
            return list(outputs.get("properties", {}))
        return list(properties)


def default_invoke_path(name: str) -> str:
    """Return the conventional invoke route of endpoint ``name``."""
    return f"/v1/endpoints/{quote(name, safe='')}/invoke"


def default_invoke_many_path(name: str) -> str:
    """Return the conventional batch route of endpoint ``name``."""
    return f"/v1/endpoints/{quote(name, safe='')}/invoke-many"
