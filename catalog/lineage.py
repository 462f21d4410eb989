"""Lineage of an endpoint: what it runs and reads, down to raw data and online stores.

A pure graph builder. The graph of an endpoint is

    endpoint → functions → feature views → Spark job → raw datasets
                                 feature view → online stores (with their last sync run)

Edges come from three places, none of them requiring I/O here:

- the endpoint's compiled DAG, passed in as data (the upstream node names of
  each node, as ``groundwork.dag`` resolved them): an endpoint runs its
  functions; a function uses another function, or reads a feature view when
  it reads one of the view's features; a view that no function reads is read
  by the endpoint directly;
- declared when definitions are registered (:func:`job_edges`, stored with
  :meth:`Catalog.record_lineage`): feature view → job → raw datasets;
- the sync history: a view is synced to every store it has a sync run for.

The graph is plain data; :mod:`groundwork.catalog.render` draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from groundwork.catalog.definitions import EndpointRecord
    from groundwork.sync.state import SyncRun

Upstream = Mapping[str, Sequence[str]]
"""Node name to the names of the nodes it reads, from an endpoint's compiled DAG
(a function's parameters, a feature's view)."""


class NodeKind(StrEnum):
    """Kinds of nodes in a lineage graph."""

    ENDPOINT = "endpoint"
    FUNCTION = "function"
    FEATURE_VIEW = "feature_view"
    JOB = "job"
    DATASET = "dataset"
    STORE = "store"


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a lineage graph.

    Attributes:
        kind: What the node is.
        name: Its name: an endpoint, function or view name, a job's module
            (``groundwork.features.jobs.hotel_prices``), a raw dataset (``bookings``) or
            a store key (``primary:sqlite``).
    """

    kind: NodeKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """A directed edge from a node to what it depends on (or, for stores, is synced to).

    Attributes:
        source: The dependent node (endpoint, function, view, job).
        target: What it runs, reads, is computed by, or is synced to.
    """

    source: Node
    target: Node

    @property
    def relation(self) -> str:
        """A verb for the edge: ``runs``, ``uses``, ``reads``, ``computed by``, ``synced to``."""
        return _RELATIONS.get((self.source.kind, self.target.kind), "depends on")


_RELATIONS = {
    (NodeKind.ENDPOINT, NodeKind.FUNCTION): "runs",
    (NodeKind.FUNCTION, NodeKind.FUNCTION): "uses",
    (NodeKind.ENDPOINT, NodeKind.FEATURE_VIEW): "reads",
    (NodeKind.FUNCTION, NodeKind.FEATURE_VIEW): "reads",
    (NodeKind.FEATURE_VIEW, NodeKind.JOB): "computed by",
    (NodeKind.JOB, NodeKind.DATASET): "reads",
    (NodeKind.FEATURE_VIEW, NodeKind.STORE): "synced to",
}


@dataclass(frozen=True, slots=True)
class Lineage:
    """The lineage graph of one endpoint.

    Attributes:
        root: The endpoint node.
        edges: Every edge reachable from the root, sorted.
        sync_runs: The latest sync run of each (view name, store key) pair
            that has a ``feature_view → store`` edge.
    """

    root: Node
    edges: tuple[LineageEdge, ...]
    sync_runs: Mapping[tuple[str, str], SyncRun] = field(default_factory=dict)

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node: the root first, then the others sorted by kind and name."""
        others = {node for edge in self.edges for node in (edge.source, edge.target)}
        others.discard(self.root)
        return (self.root, *sorted(others, key=_node_key))

    def children(self, node: Node) -> list[Node]:
        """The nodes ``node`` has edges to, in order."""
        return [edge.target for edge in self.edges if edge.source == node]

    def sync_run(self, edge: LineageEdge) -> SyncRun | None:
        """The latest sync run behind a ``feature_view → store`` edge."""
        return self.sync_runs.get((edge.source.name, edge.target.name))


_KIND_ORDER = {kind: position for position, kind in enumerate(NodeKind)}


def _node_key(node: Node) -> tuple[int, str]:
    """Sort key of nodes: by kind (endpoint first, store last), then by name."""
    return (_KIND_ORDER[node.kind], node.name)


def _edge_key(edge: LineageEdge) -> tuple[tuple[int, str], tuple[int, str]]:
    """Sort key of edges: by source, then target (see :func:`_node_key`)."""
    return (_node_key(edge.source), _node_key(edge.target))


def job_edges(
    jobs: Mapping[str, Callable[..., object]], sources: Mapping[str, Iterable[str]]
) -> list[LineageEdge]:
    """Declared lineage of Spark jobs: view → job module → raw datasets.

    Args:
        jobs: Feature view name to the function computing it
            (``groundwork.features.jobs.runner.JOBS``); the job node is its module.
        sources: Feature view name to the raw datasets its job reads
            (``{"hotel_stats": ("hotels", "bookings")}``).

    Returns:
        The edges to store with :meth:`Catalog.record_lineage`.
    """
    edges = []
    for view, job in jobs.items():
        job_node = Node(NodeKind.JOB, job.__module__)
        edges.append(LineageEdge(Node(NodeKind.FEATURE_VIEW, view), job_node))
        edges.extend(
            LineageEdge(job_node, Node(NodeKind.DATASET, dataset))
            for dataset in sources.get(view, ())
        )
    return edges


def build_lineage(
    endpoint: EndpointRecord,
    upstream: Upstream,
    declared: Iterable[LineageEdge] = (),
    sync_runs: Iterable[SyncRun] = (),
) -> Lineage:
    """Build the lineage graph of ``endpoint``.

    Args:
        endpoint: The endpoint.
        upstream: Node name to the names of the nodes it reads, from the
            endpoint's compiled DAG (``EndpointGraph.upstream`` in ``groundwork.dag``);
            empty when the DAG is not at hand, which leaves out the edges between
            functions and from functions to views.
        declared: Declared edges (view → job, job → dataset, …); those not
            reachable from the endpoint are left out.
        sync_runs: Sync runs; the latest per view and store becomes a
            ``view → store`` edge.

    Returns:
        The graph, with only nodes reachable from the endpoint.
    """
    root = Node(NodeKind.ENDPOINT, endpoint.name)
    edges = set(_definition_edges(root, endpoint, upstream))
    latest = _latest_runs(sync_runs, set(endpoint.feature_views))
    edges.update(
        LineageEdge(Node(NodeKind.FEATURE_VIEW, view), Node(NodeKind.STORE, store))
        for view, store in latest
    )
    edges.update(declared)
    reachable = _reachable(root, edges)
    return Lineage(
        root=root,
        edges=tuple(sorted((edge for edge in edges if edge.source in reachable), key=_edge_key)),
        sync_runs=latest,
    )


def _definition_edges(
    root: Node, endpoint: EndpointRecord, upstream: Upstream
) -> list[LineageEdge]:
    """Edges of the compiled DAG: endpoint → functions → other functions and views."""
    function_names = set(endpoint.functions)
    views = set(endpoint.feature_views)
    used_functions: set[str] = set()
    read_views: set[str] = set()
    edges = []
    for name in endpoint.functions:
        node = Node(NodeKind.FUNCTION, name)
        for dependency in upstream.get(name, ()):
            if dependency in function_names and dependency != name:
                used_functions.add(dependency)
                edges.append(LineageEdge(node, Node(NodeKind.FUNCTION, dependency)))
            elif (view := _view_of_feature(dependency, upstream, views)) is not None:
                read_views.add(view)
                edges.append(LineageEdge(node, Node(NodeKind.FEATURE_VIEW, view)))
    edges.extend(
        LineageEdge(root, Node(NodeKind.FUNCTION, name))
        for name in sorted(function_names - used_functions)
    )
    edges.extend(
        LineageEdge(root, Node(NodeKind.FEATURE_VIEW, name))
        for name in endpoint.feature_views
        if name not in read_views
    )
    return edges


def _view_of_feature(name: str, upstream: Upstream, views: set[str]) -> str | None:
    """The view a feature node belongs to (its one upstream node), or ``None`` for other nodes."""
    sources = tuple(upstream.get(name, ()))
    if len(sources) == 1 and sources[0] in views and name not in views:
        return sources[0]
    return None


def _latest_runs(runs: Iterable[SyncRun], views: set[str]) -> dict[tuple[str, str], SyncRun]:
    """The latest run of each (view, store) pair among ``views``."""
    latest: dict[tuple[str, str], SyncRun] = {}
    for run in runs:
        key = (run.view, run.store)
        if run.view in views and (
            key not in latest or (run.started_at, run.id) > (latest[key].started_at, latest[key].id)
        ):
            latest[key] = run
    return latest


def _reachable(root: Node, edges: Iterable[LineageEdge]) -> set[Node]:
    """Nodes reachable from ``root`` along ``edges`` (the root included)."""
    targets: dict[Node, list[Node]] = {}
    for edge in edges:
        targets.setdefault(edge.source, []).append(edge.target)
    seen = {root}
    pending = [root]
    while pending:
        for target in targets.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen
