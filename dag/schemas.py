"""Pydantic models and JSON Schemas of an endpoint's request and response.

Derived from the compiled DAG: one request model per endpoint feeds the
OpenAPI document, the tool listing (hence the LangChain ``args_schema`` and MCP
``inputSchema``) and the validation of every call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, Strict, create_model

from groundwork.dag.graph import EndpointGraph


class Freshness(BaseModel):
    """Status and freshness of one entity's features as served."""

    view: str = Field(description="Feature view the values come from.")
    key: int | str = Field(description="Entity key.")
    status: Literal["PRESENT", "MISSING", "EXPIRED"]
    event_ts: dt.datetime | None = Field(description="When the values were true.")
    age_seconds: float | None = Field(description="Seconds since event_ts at serving time.")


class NodeError(BaseModel):
    """Why an optional node has no value."""

    code: str
    message: str


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


@dataclass(frozen=True, slots=True)
class EndpointSchemas:
    """Models of one endpoint.

    Attributes:
        request: Validates the request body (the inputs object).
        response: Documents the success response.
    """

    request: type[BaseModel]
    response: type[BaseModel]

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the inputs, self-contained (``$defs`` inline)."""
        return self.request.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        """JSON Schema of the success response."""
        return self.response.model_json_schema()


_STRICT_SCALARS = (bool, int, float)


def strict(annotation: Any) -> Any:
    """``annotation`` with numbers and booleans taken only as themselves.

    JSON ``true`` is not the integer 1 and ``"42"`` is not 42: an entity key
    compared with a token's binding must be exactly what the client sent.
    Optional scalars (``int | None``) are made strict inside the union.
    """
    if annotation in _STRICT_SCALARS:
        return Annotated[annotation, Strict()]
    arguments = get_args(annotation)
    if get_origin(annotation) in (Union, UnionType) and arguments:
        members = tuple(strict(member) for member in arguments)
        return Union[members]  # noqa: UP007 - built from a tuple
    return annotation


def endpoint_schemas(graph: EndpointGraph) -> EndpointSchemas:
    """Build the request and response models of an endpoint from its DAG."""
    spec = graph.spec
    prefix = _camel(spec.name)
    request_fields: dict[str, Any] = {
        item.name: (strict(item.type),
                    Field(description=item.description, **dict(item.constraints)))
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
    return EndpointSchemas(request=request, response=response)
