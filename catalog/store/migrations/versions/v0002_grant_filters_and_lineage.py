"""Entity filters on grants, declared lineage edges, and an audit index by object.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
NODE_KINDS = ("endpoint", "function", "feature_view", "job", "dataset", "store")


def _node_kind_check(column: str) -> sa.CheckConstraint:
    """The named check constraint of a lineage node-kind column."""
    allowed = ", ".join(f"'{kind}'" for kind in NODE_KINDS)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_lineage_edges_{column}"))


def upgrade() -> None:
    """Add ``grants.entity_filter``, the ``lineage_edges`` table and the audit object index."""
    op.add_column("grants", sa.Column("entity_filter", JSON, nullable=True))
    op.create_table(
        "lineage_edges",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_name", sa.String(500), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_edges")),
        sa.UniqueConstraint(
            "source_kind", "source_name", "target_kind", "target_name",
            name=op.f("uq_lineage_edges_source_kind"),
        ),
        _node_kind_check("source_kind"),
        _node_kind_check("target_kind"),
    )
    op.create_index("ix_lineage_edges_target", "lineage_edges", ["target_kind", "target_name"])
    op.create_index(
        "ix_audit_events_object_ts", "audit_events", ["object_type", "object_name", "ts"]
    )


def downgrade() -> None:
    """Remove what :func:`upgrade` added."""
    op.drop_index("ix_audit_events_object_ts", table_name="audit_events")
    op.drop_table("lineage_edges")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("entity_filter")
