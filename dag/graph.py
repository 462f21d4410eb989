"""Build and validate an endpoint's DAG; everything that can be wrong fails here.

networkx stays inside this module: callers get an :class:`EndpointGraph` of
small frozen :class:`Node` views. Function parameters bind by name to request
inputs, features or other functions (names are the edges).
"""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import replace as _replace
from enum import StrEnum
from typing import Any

import networkx as nx

from groundwork.dag.errors import (
    CycleDetected,
    DuplicateNode,
    MissingTypeHint,
    TypeMismatch,
    UnboundParameter,
    UnknownReference,
)
from groundwork.dag.spec import EndpointSpec
from groundwork.dag.types import accepts, members, optional, type_name
from groundwork.features.spec import ValueType, ViewSpec

_KEY_TYPES = {ValueType.INT: int, ValueType.STRING: str}


class NodeKind(StrEnum):
    """What a node computes."""

    INPUT = "input"
    LOOKUP = "lookup"
    FEATURE = "feature"
    AS_OF = "as_of"
    FUNCTION = "function"
    CONTEXT = "context"


NOW = "now"
"""A function parameter of this name reads the moment the call is served (an aware UTC
datetime, the executor's clock), unless the endpoint has a node of that name."""


@dataclass(frozen=True, slots=True)
class Node:
    """Public, read-only view of one node of an endpoint DAG.

    Attributes:
        name: Node name (input, view, feature or function name).
        kind: What the node computes.
        type: Type of the value the node produces.
        dependencies: Names of the nodes it reads (function parameters in order).
        function: The function, for function nodes.
        view: The feature view, for lookup and feature nodes.
        multi: For lookups and features: keyed by a list of entity keys.
        round: How many rounds of store lookups must finish before it can run.
        optional: A failure yields a partial result instead of an error.
        timeout: Seconds allowed, if limited.
        description: Human description (input description or docstring summary).
        summarised: For lookups: freshness is reported as one summary entry.
    """

    name: str
    kind: NodeKind
    type: Any
    dependencies: tuple[str, ...] = ()
    function: Callable[..., Any] | None = None
    view: ViewSpec | None = None
    multi: bool = False
    round: int = 0
    optional: bool = False
    timeout: float | None = None
    description: str = ""
    summarised: bool = False


@dataclass(frozen=True, slots=True)
class EndpointGraph:
    """A validated endpoint DAG, pruned to what its outputs need.

    Attributes:
        spec: The endpoint definition.
        nodes: Node name to node.
        order: Topological order of all nodes.
    """

    spec: EndpointSpec
    nodes: Mapping[str, Node]
    order: tuple[str, ...]

    @property
    def upstream(self) -> dict[str, tuple[str, ...]]:
        """Each node's name to the names of the nodes it reads, in topological order.

        A function's upstream nodes are its bound parameters, a feature's is its
        lookup, a lookup's is its key: the edges of the graph as plain data.
        """
        return {name: self.nodes[name].dependencies for name in self.order}


def _summary(function: Callable[..., Any]) -> str:
    return (inspect.getdoc(function) or "").split("\n\n")[0].replace("\n", " ")


class _Builder:
    def __init__(self, spec: EndpointSpec, views: Mapping[str, ViewSpec]) -> None:
        self.spec = spec
        self.views = views
        self.nodes: dict[str, Node] = {}
        self.origin: dict[str, str] = {}
        self.hints: dict[str, dict[str, Any]] = {}

    def add(self, node: Node, origin: str) -> None:
        if node.name in self.nodes:
            raise DuplicateNode(self.spec.name, node.name, self.origin[node.name], origin)
        self.nodes[node.name] = node
        self.origin[node.name] = origin

    def declare(self) -> None:
        spec = self.spec
        for item in spec.inputs:
            self.add(Node(item.name, NodeKind.INPUT, item.type, description=item.description),
                     "input")
        for lookup in spec.lookups:
            view = self.views.get(lookup.view)
            if view is None:
                raise UnknownReference(f"endpoint {spec.name!r} looks up unknown view "
                                       f"{lookup.view!r}", endpoint=spec.name, view=lookup.view)
            self.add(Node(view.name, NodeKind.LOOKUP, None, (lookup.key,), view=view,
                          optional=view.name in spec.optional,
                          timeout=spec.timeouts.get(view.name),
                          summarised=lookup.freshness == "summary"), f"lookup of {view.name}")
            for feature_name in lookup.features or view.feature_names:
                feature = view.feature(feature_name)
                self.add(Node(feature.name, NodeKind.FEATURE, None, (view.name,), view=view,
                              description=feature.description), f"feature of {view.name}")
            if lookup.as_of:
                self.add(Node(lookup.as_of, NodeKind.AS_OF, None, (view.name,), view=view,
                              description=f"When each record of {view.name} was true."),
                         f"as_of of {view.name}")
        for function in spec.functions:
            self.add(self.function_node(function), f"function {function.__module__}")
        if NOW not in self.nodes and any(NOW in node.dependencies for node in self.nodes.values()
                                         if node.kind is NodeKind.FUNCTION):
            self.add(Node(NOW, NodeKind.CONTEXT, dt.datetime,
                          description="The moment the call is served (UTC)."), "context")

    def function_node(self, function: Callable[..., Any]) -> Node:
        name = function.__name__
        hints = typing.get_type_hints(function)
        parameters = inspect.signature(function).parameters
        for parameter in [*parameters, "return"]:
            if parameter not in hints:
                raise MissingTypeHint(name, parameter)
        self.hints[name] = hints
        return Node(name, NodeKind.FUNCTION, hints["return"], tuple(parameters),
                    function=function, optional=name in self.spec.optional,
                    timeout=self.spec.timeouts.get(name), description=_summary(function))

    def bind(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        for node in list(self.nodes.values()):
            bound: list[str] = []
            parameters = (inspect.signature(node.function).parameters
                          if node.function is not None else {})
            for dependency in node.dependencies:
                if dependency in self.nodes:
                    graph.add_edge(dependency, node.name)
                    bound.append(dependency)
                elif node.kind is NodeKind.FUNCTION:
                    if parameters[dependency].default is inspect.Parameter.empty:
                        raise UnboundParameter(self.spec.name, node.name, dependency)
                else:
                    raise UnknownReference(
                        f"endpoint {self.spec.name!r}: lookup of {node.name!r} is keyed by "
                        f"unknown node {dependency!r}", endpoint=self.spec.name, node=dependency)
            self.nodes[node.name] = _replace(node, dependencies=tuple(bound))
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return graph
        raise CycleDetected(self.spec.name, [edge[0] for edge in cycle] + [cycle[0][0]])

    def resolve(self, graph: nx.DiGraph) -> tuple[str, ...]:
        order = tuple(nx.topological_sort(graph))
        for name in order:
            node = self.nodes[name]
            if node.kind is NodeKind.LOOKUP:
                self.nodes[name] = self.lookup_types(node)
            elif node.kind is NodeKind.FEATURE:
                self.nodes[name] = self.feature_types(node)
            elif node.kind is NodeKind.AS_OF:
                self.nodes[name] = self.as_of_types(node)
            elif node.kind is NodeKind.FUNCTION:
                self.nodes[name] = self.check_function(node)
        return order

    def lookup_types(self, node: Node) -> Node:
        assert node.view is not None
        key_node = self.nodes[node.dependencies[0]]
        key_type = _KEY_TYPES[node.view.entity_type]
        multi = any(typing.get_origin(member) is list for member in members(key_node.type))
        wanted = list[key_type] | None if multi else optional(key_type)  # type: ignore[valid-type]
        if not accepts(wanted, key_node.type):
            raise TypeMismatch(f"lookup of {node.name}", key_node.name, type_name(wanted),
                               type_name(key_node.type))
        return _replace(node, multi=multi, round=key_node.round + 1)

    def feature_types(self, node: Node) -> Node:
        assert node.view is not None
        lookup = self.nodes[node.view.name]
        value_type = optional(node.view.feature(node.name).dtype.python_type)
        node_type = list[value_type] if lookup.multi else value_type  # type: ignore[valid-type]
        return _replace(node, type=node_type, multi=lookup.multi, round=lookup.round,
                        optional=lookup.optional)

    def as_of_types(self, node: Node) -> Node:
        assert node.view is not None
        lookup = self.nodes[node.view.name]
        node_type = list[dt.datetime | None] if lookup.multi else dt.datetime | None
        return _replace(node, type=node_type, multi=lookup.multi, round=lookup.round,
                        optional=lookup.optional)

    def check_function(self, node: Node) -> Node:
        hints = self.hints[node.name]
        for dependency in node.dependencies:
            produced = self.nodes[dependency].type
            if not accepts(hints[dependency], produced):
                raise TypeMismatch(node.name, dependency, type_name(hints[dependency]),
                                   type_name(produced))
        rounds = [self.nodes[dependency].round for dependency in node.dependencies]
        return _replace(node, round=max(rounds, default=0))


def build_graph(spec: EndpointSpec, views: Mapping[str, ViewSpec]) -> EndpointGraph:
    """Build, validate and prune the DAG of ``spec``.

    Raises:
        DefinitionError: a subclass naming the culprit — duplicate node, missing
            type hint, unbound parameter, type mismatch, cycle or unknown reference.
    """
    builder = _Builder(spec, views)
    builder.declare()
    graph = builder.bind()
    order = builder.resolve(graph)
    for output in spec.outputs:
        if output not in builder.nodes:
            raise UnknownReference(f"endpoint {spec.name!r} returns unknown node {output!r}",
                                   endpoint=spec.name, output=output)
    needed = set(spec.outputs).union(*(nx.ancestors(graph, output) for output in spec.outputs))
    needed.update(item.name for item in spec.inputs)
    return EndpointGraph(
        spec=spec,
        nodes={name: builder.nodes[name] for name in order if name in needed},
        order=tuple(name for name in order if name in needed),
    )
