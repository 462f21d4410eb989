"""Renderings of a :class:`~groundwork.catalog.lineage.Lineage`: text, DOT, Mermaid, rich tree.

The lineage graph is plain data; the CLI and the admin API call these to draw it.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from groundwork.catalog.lineage import Lineage, LineageEdge, Node, NodeKind
from groundwork.sync.state import SyncRun

KIND_LABELS = {
    NodeKind.ENDPOINT: "endpoint",
    NodeKind.FUNCTION: "function",
    NodeKind.FEATURE_VIEW: "feature view",
    NodeKind.JOB: "Spark job",
    NodeKind.DATASET: "raw dataset",
    NodeKind.STORE: "online store",
}
"""How each kind of node is named in renderings."""

_DOT_SHAPES = {
    NodeKind.ENDPOINT: "doubleoctagon",
    NodeKind.FUNCTION: "ellipse",
    NodeKind.FEATURE_VIEW: "box",
    NodeKind.JOB: "component",
    NodeKind.DATASET: "cylinder",
    NodeKind.STORE: "cylinder",
}
_MERMAID_SHAPES = {
    NodeKind.ENDPOINT: ('[["', '"]]'),
    NodeKind.FUNCTION: ('("', '")'),
    NodeKind.FEATURE_VIEW: ('["', '"]'),
    NodeKind.JOB: ('{{"', '"}}'),
    NodeKind.DATASET: ('[("', '")]'),
    NodeKind.STORE: ('[("', '")]'),
}
_TREE_STYLES = {
    NodeKind.ENDPOINT: "bold magenta",
    NodeKind.FUNCTION: "green",
    NodeKind.FEATURE_VIEW: "cyan",
    NodeKind.JOB: "yellow",
    NodeKind.DATASET: "blue",
    NodeKind.STORE: "bright_blue",
}


def run_summary(run: SyncRun) -> str:
    """One line about a sync run: outcome, when, watermark and rows written."""
    moment = run.finished_at or run.started_at
    watermark = run.watermark.strftime("%Y-%m-%d %H:%M UTC") if run.watermark else "none"
    return (
        f"last sync {run.status} {moment:%Y-%m-%d %H:%M UTC}, watermark {watermark}, "
        f"{run.rows_written:,} rows written"
    )


def edge_label(lineage: Lineage, edge: LineageEdge) -> str:
    """The edge's relation, with the sync run summary for ``view → store`` edges."""
    run = lineage.sync_run(edge)
    return edge.relation if run is None else f"{edge.relation}\n{run_summary(run)}"


def to_document(lineage: Lineage) -> dict[str, Any]:
    """The graph as JSON-ready data: its root, its nodes, and each edge with its relation.

    A ``feature_view → store`` edge carries the latest sync run behind it
    (``sync_run``, else ``None``).
    """
    return {
        "root": lineage.root,
        "nodes": list(lineage.nodes),
        "edges": [{"source": edge.source, "target": edge.target, "relation": edge.relation,
                   "sync_run": lineage.sync_run(edge)} for edge in lineage.edges],
    }


def to_dot(lineage: Lineage) -> str:
    """The graph in Graphviz DOT, left to right, one shape per kind of node."""
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for node in lineage.nodes:
        label = _dot_quote(f"{KIND_LABELS[node.kind]}\n{node.name}")
        lines.append(f"  {_dot_quote(str(node))} [label={label}, shape={_DOT_SHAPES[node.kind]}];")
    for edge in lineage.edges:
        lines.append(
            f"  {_dot_quote(str(edge.source))} -> {_dot_quote(str(edge.target))} "
            f"[label={_dot_quote(edge_label(lineage, edge))}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(lineage: Lineage) -> str:
    """The graph as a Mermaid ``flowchart LR``; node ids are ``n0``, ``n1``, …"""
    ids = {node: f"n{index}" for index, node in enumerate(lineage.nodes)}
    lines = ["flowchart LR"]
    for node, node_id in ids.items():
        opening, closing = _MERMAID_SHAPES[node.kind]
        text = _mermaid_text(f"{KIND_LABELS[node.kind]}: {node.name}")
        lines.append(f"  {node_id}{opening}{text}{closing}")
    for edge in lineage.edges:
        label = _mermaid_text(edge_label(lineage, edge))
        lines.append(f'  {ids[edge.source]} -->|"{label}"| {ids[edge.target]}')
    return "\n".join(lines) + "\n"


def to_tree(lineage: Lineage) -> Tree:
    """The graph as a tree from the endpoint; a subtree shown once is referred to later."""
    tree = Tree(_tree_label(lineage.root))
    shown: set[Node] = {lineage.root}
    _add_children(lineage, tree, lineage.root, shown)
    return tree


def to_text(lineage: Lineage, width: int = 100) -> str:
    """The tree of :func:`to_tree` as plain text (no colours)."""
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(to_tree(lineage))
    return console.export_text()


def _add_children(lineage: Lineage, branch: Tree, node: Node, shown: set[Node]) -> None:
    """Add the children of ``node`` below ``branch``, expanding each node once."""
    for edge in lineage.edges:
        if edge.source != node:
            continue
        child = edge.target
        label = _tree_label(child)
        run = lineage.sync_run(edge)
        if run is not None:
            label += f" [dim]— {escape(run_summary(run))}[/]"
        already_shown = child in shown and bool(lineage.children(child))
        if already_shown:
            label += " [dim](see above)[/]"
        sub_branch = branch.add(label)
        if not already_shown:
            shown.add(child)
            _add_children(lineage, sub_branch, child, shown)


def _tree_label(node: Node) -> str:
    """Rich markup naming a node."""
    return f"[dim]{KIND_LABELS[node.kind]}[/] [{_TREE_STYLES[node.kind]}]{escape(node.name)}[/]"


def _dot_quote(text: str) -> str:
    """A DOT string literal; newlines become ``\\n`` line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label; newlines become ``<br/>``."""
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
        .replace(">", "#gt;").replace("\n", "<br/>")
    )

