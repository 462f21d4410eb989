"""The lineage-edges table: edges declared at registration (view → job → raw datasets).

The graph of an endpoint is assembled from these, the definitions, the sync
runs and the endpoint's compiled DAG by :func:`groundwork.catalog.lineage.build_lineage`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, tuple_

from groundwork.catalog.lineage import LineageEdge, Node
from groundwork.catalog.store.database import Database
from groundwork.catalog.store.models import LineageEdgeRow
from groundwork.errors import InvalidInput

MAX_NAME_LENGTH = 500
"""Longest node name a lineage edge may hold (dataset names may be URIs)."""


class LineageRepository:
    """The ``lineage_edges`` table.

    Args:
        database: The catalog's database.
    """

    def __init__(self, database: Database) -> None:
        self._database = database

    def record(self, edges: Iterable[LineageEdge]) -> int:
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
        now = self._database.now()
        with self._database.transaction() as session:
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

    def edges(self, source: Node | None = None) -> list[LineageEdge]:
        """Declared edges, optionally only those leaving ``source``."""
        query = select(LineageEdgeRow).order_by(LineageEdgeRow.id)
        if source is not None:
            query = query.where(
                LineageEdgeRow.source_kind == source.kind,
                LineageEdgeRow.source_name == source.name,
            )
        with self._database.transaction() as session:
            return [
                LineageEdge(
                    Node(row.source_kind, row.source_name), Node(row.target_kind, row.target_name)
                )
                for row in session.scalars(query)
            ]


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
