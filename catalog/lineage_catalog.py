"""Lineage in the catalog: declared edges stored, an endpoint's graph assembled."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, tuple_

from groundwork.catalog.definitions import DefinitionCatalog
from groundwork.catalog.lineage import Lineage, LineageEdge, Node, build_lineage
from groundwork.catalog.models import LineageEdgeRow, utc_now
from groundwork.catalog.operations import OperationsCatalog
from groundwork.errors import InvalidInput

MAX_NAME_LENGTH = 500
"""Longest node name a lineage edge may hold (dataset names may be URIs)."""


class LineageCatalog(DefinitionCatalog, OperationsCatalog):
    """The lineage part of the catalog (it reads definitions and sync runs too)."""

    def record_lineage(self, edges: Iterable[LineageEdge]) -> int:
        """Declare lineage edges, replacing the earlier outgoing edges of their sources.

        For every node that is the source of an edge in ``edges``, its
        outgoing edges become exactly the given ones, so calling this at every
        registration with the full current edges keeps lineage exact when a
        job stops reading a dataset.

        Args:
            edges: Edges such as those of :func:`groundwork.catalog.lineage.job_edges`.

        Returns:
            How many distinct edges are now recorded for those sources.

        Raises:
            InvalidInput: when a node name is empty or too long.
        """
        unique = sorted(set(edges), key=lambda edge: (str(edge.source), str(edge.target)))
        for edge in unique:
            _check_node(edge.source)
            _check_node(edge.target)
        sources = sorted({(edge.source.kind.value, edge.source.name) for edge in unique})
        if not sources:
            return 0
        now = utc_now()
        with self._transaction() as session:
            session.execute(
                delete(LineageEdgeRow).where(
                    tuple_(LineageEdgeRow.source_kind, LineageEdgeRow.source_name).in_(sources)
                )
            )
            session.add_all(
                LineageEdgeRow(
                    source_kind=edge.source.kind,
                    source_name=edge.source.name,
                    target_kind=edge.target.kind,
                    target_name=edge.target.name,
                    recorded_at=now,
                )
                for edge in unique
            )
        return len(unique)

    def lineage_edges(self, source: Node | None = None) -> list[LineageEdge]:
        """Declared edges, optionally only those leaving ``source``."""
        query = select(LineageEdgeRow).order_by(LineageEdgeRow.id)
        if source is not None:
            query = query.where(
                LineageEdgeRow.source_kind == source.kind,
                LineageEdgeRow.source_name == source.name,
            )
        with self._transaction() as session:
            return [
                LineageEdge(
                    Node(row.source_kind, row.source_name), Node(row.target_kind, row.target_name)
                )
                for row in session.scalars(query)
            ]

    def lineage(self, endpoint_name: str) -> Lineage:
        """The lineage graph of an endpoint, with the last sync run of each view and store.

        Raises:
            EndpointNotFound: when no endpoint has this name.
        """
        endpoint = self.get_endpoint(endpoint_name)
        functions = {function.name: function for function in self.list_functions()}
        views = {view.name: view for view in self.list_feature_views()}
        return build_lineage(
            endpoint,
            functions,
            views,
            declared=self.lineage_edges(),
            sync_runs=self.latest_sync_runs(endpoint.feature_views),
        )


def _check_node(node: Node) -> None:
    """Refuse node names the table cannot hold.

    Raises:
        InvalidInput: when the name is empty or longer than :data:`MAX_NAME_LENGTH`.
    """
    if not node.name or len(node.name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"lineage node {node.kind} name must be 1 to {MAX_NAME_LENGTH} characters",
            field="lineage",
        )
