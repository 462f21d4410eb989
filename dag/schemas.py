"""Pydantic models and JSON Schemas of an endpoint's request and response.

Derived from the compiled DAG: one request model per endpoint feeds the
OpenAPI document, the tool listing (hence the LangChain ``args_schema`` and MCP
``inputSchema``) and the validation of every call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import orjson
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, create_model

from groundwork.dag.graph import EndpointGraph
from groundwork.dag.spec import REQUIRED, EndpointSpec
from groundwork.errors import GroundworkError

Status = Literal["PRESENT", "MISSING", "EXPIRED"]


class Freshness(BaseModel):
    """Status and freshness of one entity's features as served.

    A lookup of many keys may be summarised in one entry: ``key`` is null,
    ``keys`` counts the keys read, ``counts`` gives the number per status,
    ``status`` is the worst of them (MISSING, then EXPIRED) and ``event_ts`` and
    ``age_seconds`` are those of the oldest record.
    """

    view: str = Field(description="Feature view the values come from.")
    key: int | str | None = Field(description="Entity key; null in a summary entry.")
    status: Status
    event_ts: dt.datetime | None = Field(description="When the values were true.")
    age_seconds: float | None = Field(description="Seconds since event_ts at serving time.")
    keys: int | None = Field(default=None, description="Summary entry: keys read.")
    counts: dict[Status, int] | None = Field(
        default=None, description="Summary entry: keys read per status.")


class NodeError(BaseModel):
    """Why an optional node has no value."""

    code: str
    message: str


class ItemError(BaseModel):
    """Why one item of a batch call has no result: the error its own call would answer."""

    code: str = Field(description="Stable machine-readable code, e.g. unknown_city.")
    message: str = Field(description="Human-readable explanation.")
    details: dict[str, Any] = Field(default_factory=dict)


MAX_ITEMS = 1000
"""Most items one batch call (``invoke-many``) may carry."""


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


@dataclass(frozen=True, slots=True)
class EndpointSchemas:
    """Models of one endpoint.

    Attributes:
        request: Validates the request body (the inputs object).
        response: Documents the success response.
        many_request: Validates a batch call's body: ``{"inputs": [request, ...]}``.
        many_response: Documents a batch call's success response.
    """

    request: type[BaseModel]
    response: type[BaseModel]
    many_request: type[BaseModel]
    many_response: type[BaseModel]

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the inputs, self-contained (``$defs`` inline)."""
        return self.request.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        """JSON Schema of the success response."""
        return self.response.model_json_schema()


_STRICT_SCALARS = (bool, int, float, dt.date, dt.datetime)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The integers every store, the catalog and the JSON encoder can hold."""
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
"""The dates an input may hold: a function may add years to one and still get a date."""
MAX_TEXT = 200
"""Longest string input unless its spec says otherwise (a Cosmos DB item id holds 255)."""

_CONTAINERS = (list, tuple, set, frozenset, dict)
_DATE_PATTERN = "^(19[0-9]{2}|2[0-9]{3})-"
"""The years of :data:`DATE_MIN` to :data:`DATE_MAX`, for generators that read no date bounds."""


def integral(value: Any) -> Any:
    """A float without a fractional part as the int it is; anything else unchanged.

    JSON Schema counts ``42.0`` as an integer, so an integer input accepts it
    (as 42); ``42.5``, ``"42"`` and ``true`` stay refused.
    """
    if type(value) is float and value.is_integer():
        return int(value)
    return value


Int64 = Annotated[int, Strict(), Field(ge=INT64_MIN, le=INT64_MAX)]
"""A JSON integer that fits in 64 bits."""


def validated(request: type[BaseModel], body: bytes) -> dict[str, Any]:
    """The inputs of a request ``body``, validated by an endpoint's ``request`` model.

    Integers are strict (``"42"`` and ``true`` are none), yet JSON Schema counts
    ``42.0`` as an integer: a body refused for such floats is validated again
    with them as ints. Only a refused body takes the second pass, so a valid
    call pays nothing for it (a validator on every integer would).

    Raises:
        ValidationError: naming every invalid field.
    """
    try:
        return request.model_validate_json(body).__dict__
    except ValidationError as error:
        retry = _with_integral_floats(body, error)
        if retry is None:
            raise
    return request.model_validate_json(retry).__dict__


def _with_integral_floats(body: bytes, error: ValidationError) -> bytes | None:
    """``body`` with its integral floats as ints, when some were refused as no integers."""
    refused = error.errors(include_url=False, include_context=False)
    if not any(item["type"] == "int_type" and integral(item["input"]) is not item["input"]
               for item in refused):
        return None
    try:
        return orjson.dumps(_integral_floats(orjson.loads(body)))
    except (orjson.JSONDecodeError, TypeError):
        return None


def _integral_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _integral_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats(item) for item in value]
    if type(value) is float and value.is_integer() and INT64_MIN <= value < INT64_MAX:
        return int(value)
    return value


def strict(annotation: Any, *, nested: bool = False) -> Any:
    """``annotation`` with numbers and booleans taken only as themselves.

    JSON ``true`` is not the integer 1 and ``"42"`` is not 42: an entity key
    compared with a token's binding must be exactly what the client sent.
    Optional scalars (``int | None``) are made strict inside the union. Inside
    containers (``list[int]``) integers are bounded to 64 bits here; a
    top-level integer is bounded by :func:`input_constraints` instead, next to
    the spec's own constraints.
    """
    if annotation is int and nested:
        return Int64
    if annotation in _STRICT_SCALARS:
        return Annotated[annotation, Strict()]
    arguments = get_args(annotation)
    origin = get_origin(annotation)
    if origin in (Union, UnionType) and arguments:
        members = tuple(strict(member, nested=nested) for member in arguments)
        return Union[members]  # noqa: UP007 - built from a tuple
    if origin in _CONTAINERS and arguments:
        inner = tuple(strict(argument, nested=True) for argument in arguments)
        return origin[inner if len(inner) > 1 else inner[0]]
    return annotation


def _scalar(annotation: Any) -> Any:
    """The scalar type of ``T`` or ``T | None``; ``None`` for anything else."""
    if get_origin(annotation) in (Union, UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        return members[0] if len(members) == 1 else None
    return annotation


def input_constraints(annotation: Any, constraints: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Field`` constraints of an input: its spec's, within what storage can hold.

    Integers stay within 64 bits, dates within :data:`DATE_MIN` and
    :data:`DATE_MAX`, floats are finite and strings at most :data:`MAX_TEXT`
    characters unless the spec sets its own length.
    """
    merged = dict(constraints)
    scalar = _scalar(annotation)
    if scalar is int or scalar is dt.date:
        low, high = (INT64_MIN, INT64_MAX) if scalar is int else (DATE_MIN, DATE_MAX)
        if "gt" not in merged:
            merged["ge"] = max(merged.get("ge", low), low)
        if "lt" not in merged:
            merged["le"] = min(merged.get("le", high), high)
        if scalar is dt.date and "ge" in merged and "le" in merged:
            # pydantic does not publish date bounds in the JSON Schema
            bounds = {"formatMinimum": merged["ge"].isoformat(),
                      "formatMaximum": merged["le"].isoformat()}
            if (merged["ge"], merged["le"]) == (DATE_MIN, DATE_MAX):
                bounds["pattern"] = _DATE_PATTERN
            merged["json_schema_extra"] = bounds
    elif scalar is float:
        merged.setdefault("allow_inf_nan", False)
    elif scalar is str:
        merged.setdefault("max_length", MAX_TEXT)
    return merged


def endpoint_schemas(graph: EndpointGraph) -> EndpointSchemas:
    """Build the request and response models of an endpoint from its DAG."""
    spec = graph.spec
    prefix = _camel(spec.name)
    request_fields: dict[str, Any] = {
        item.name: (strict(item.type),
                    Field(description=item.description,
                          **({} if item.default is REQUIRED else {"default": item.default}),
                          **input_constraints(item.type, item.constraints)))
        for item in spec.inputs
    }
    request = create_model(
        f"{prefix}Request", __config__=ConfigDict(extra="forbid"), __doc__=spec.description,
        **request_fields,
    )
    output_fields: dict[str, Any] = {
        name: (graph.nodes[name].type, Field(description=graph.nodes[name].description))
        for name in spec.outputs
    }
    outputs = create_model(f"{prefix}Outputs", **output_fields)
    response = create_model(
        f"{prefix}Response",
        endpoint=(str, Field(description="Endpoint name.")),
        outputs=(outputs, ...),
        freshness=(list[Freshness], Field(description="One entry per entity read.")),
        errors=(dict[str, NodeError], Field(description="Failed optional nodes.")),
        trace_id=(str, Field(description="Identifier of this call in the audit log.")),
    )
    return EndpointSchemas(request=request, response=response,
                           **_many_models(prefix, request, outputs))


def _many_models(prefix: str, request: type[BaseModel], outputs: type[BaseModel]
                 ) -> dict[str, type[BaseModel]]:
    """The request and response models of a batch call of one endpoint."""
    many_request = create_model(
        f"{prefix}ManyRequest", __config__=ConfigDict(extra="forbid"),
        __doc__=f"Up to {MAX_ITEMS} calls of the endpoint, answered together and in order.",
        inputs=(list[request], Field(  # type: ignore[valid-type]
            min_length=1, max_length=MAX_ITEMS,
            description=f"The inputs of each call, 1 to {MAX_ITEMS} items.")),
    )
    item = create_model(
        f"{prefix}ItemResult",
        status=(int, Field(description="The HTTP status this item's own call would answer.")),
        outputs=(outputs | None,  # type: ignore[arg-type]
                 Field(description="Null when the item failed.")),
        freshness=(list[Freshness], Field(description="One entry per entity read.")),
        errors=(dict[str, NodeError], Field(description="Failed optional nodes.")),
        error=(ItemError | None, Field(description="Why the item failed; null when it did not.")),
    )
    many_response = create_model(
        f"{prefix}ManyResponse",
        endpoint=(str, Field(description="Endpoint name.")),
        results=(list[item], Field(  # type: ignore[valid-type]
            description="One result per item of `inputs`, in the same order.")),
        trace_id=(str, Field(description="Identifier of this call in the audit log.")),
    )
    return {"many_request": many_request, "many_response": many_response}


def refusal(spec: EndpointSpec, error: ValidationError) -> GroundworkError | None:
    """The domain error an input of ``spec`` declares for one of ``error``'s failures.

    An input may answer a broken rule in the platform's words (``nights`` over
    the limit is ``stay_too_long``, with the limit); the first failure of such
    an input decides. ``None`` when no failing input declares one.
    """
    refusals = {item.name: item.refusals for item in spec.inputs if item.refusals}
    if not refusals:
        return None
    for item in error.errors(include_url=False, include_context=False):
        location = item["loc"]
        declared = refusals.get(str(location[0])) if len(location) == 1 else None
        if declared and item["type"] in declared:
            return declared[item["type"]](item.get("input"))
    return None
