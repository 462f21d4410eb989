"""Compile endpoint definitions once at start-up into ready-to-serve endpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from groundwork.dag.errors import DuplicateNode
from groundwork.dag.graph import build_graph
from groundwork.dag.plan import Plan, plan
from groundwork.dag.schemas import EndpointSchemas, endpoint_schemas
from groundwork.dag.spec import EndpointSpec
from groundwork.features.spec import ViewSpec


@dataclass(frozen=True, slots=True)
class CompiledEndpoint:
    """An endpoint validated, planned and with its schemas built.

    Attributes:
        name: Endpoint name.
        description: Tool description.
        plan: Execution plan.
        schemas: Request and response models.
        input_schema: JSON Schema of the inputs (cached).
        output_schema: JSON Schema of the response (cached).
    """

    name: str
    description: str
    plan: Plan
    schemas: EndpointSchemas
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]

    @property
    def spec(self) -> EndpointSpec:
        """The endpoint's definition."""
        return self.plan.graph.spec

    @property
    def views(self) -> tuple[str, ...]:
        """Names of the feature views the endpoint reads."""
        return tuple(self.plan.features_of)

    @property
    def functions(self) -> tuple[str, ...]:
        """Names of the functions the endpoint runs."""
        return tuple(node.name for step in self.plan.rounds for node in step.functions)


def compile_endpoint(spec: EndpointSpec, views: Mapping[str, ViewSpec]) -> CompiledEndpoint:
    """Build, validate and plan one endpoint (raises a DefinitionError naming the culprit)."""
    graph = build_graph(spec, views)
    schemas = endpoint_schemas(graph)
    return CompiledEndpoint(
        name=spec.name, description=spec.description, plan=plan(graph), schemas=schemas,
        input_schema=schemas.input_schema(), output_schema=schemas.output_schema(),
    )


def compile_endpoints(
    specs: Sequence[EndpointSpec], views: Mapping[str, ViewSpec]
) -> dict[str, CompiledEndpoint]:
    """Compile every endpoint; two endpoints with one name are an error."""
    compiled: dict[str, CompiledEndpoint] = {}
    for spec in specs:
        if spec.name in compiled:
            raise DuplicateNode(spec.name, spec.name, "endpoint", "endpoint")
        compiled[spec.name] = compile_endpoint(spec, views)
    return compiled
