"""Plan an endpoint DAG into rounds: functions, then one batched read per store.

A lookup whose key comes from another lookup's features must wait for it, so
lookups fall into rounds. Every lookup of one round is sent together, grouped
into one read per store; functions run as soon as the round they depend on
has finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from groundwork.dag.graph import EndpointGraph, Node, NodeKind


@dataclass(frozen=True, slots=True)
class Round:
    """One step of execution.

    Attributes:
        functions: Functions to run first, in dependency order.
        lookups: Lookups sent together afterwards (grouped by store).
    """

    functions: tuple[Node, ...]
    lookups: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The execution plan of one endpoint.

    Attributes:
        graph: The validated DAG.
        rounds: Steps in order; the last one has no lookups.
        features_of: Lookup node name to the names of its feature nodes.
        as_of_of: Lookup node name to the name of its ``as_of`` node, when it has one.
    """

    graph: EndpointGraph
    rounds: tuple[Round, ...]
    features_of: Mapping[str, tuple[str, ...]]
    as_of_of: Mapping[str, str]

    @property
    def lookup_rounds(self) -> int:
        """How many sequential rounds of store reads a request needs."""
        return sum(1 for step in self.rounds if step.lookups)


def plan(graph: EndpointGraph) -> Plan:
    """Split ``graph`` into rounds of functions followed by batched lookups."""
    ordered = [graph.nodes[name] for name in graph.order]
    last = max((node.round for node in ordered if node.kind is NodeKind.LOOKUP), default=0)
    rounds = tuple(
        Round(
            functions=tuple(n for n in ordered if n.kind is NodeKind.FUNCTION and n.round == r),
            lookups=tuple(n for n in ordered if n.kind is NodeKind.LOOKUP and n.round == r + 1),
        )
        for r in range(last + 1)
    )
    features_of = {
        node.name: tuple(
            child.name for child in ordered
            if child.kind is NodeKind.FEATURE and child.dependencies == (node.name,)
        )
        for node in ordered if node.kind is NodeKind.LOOKUP
    }
    as_of_of = {
        child.dependencies[0]: child.name for child in ordered if child.kind is NodeKind.AS_OF
    }
    return Plan(graph=graph, rounds=rounds, features_of=features_of, as_of_of=as_of_of)
