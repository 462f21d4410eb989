"""Initial schema: definitions, principals, groups, tokens, grants, audit events, sync runs.

This is exactly the schema ``Base.metadata.create_all`` produced before the
catalog had migrations; :func:`groundwork.catalog.store.migrate.upgrade` stamps such databases
with this revision. The types are spelled out here rather than imported from
:mod:`groundwork.catalog.store.models`, so later model changes cannot alter this revision.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
NAME = sa.String(200)


def _one_of(table: str, column: str, constraint: str, values: Sequence[str]) -> sa.CheckConstraint:
    """The named check constraint of a string-enum column."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{constraint}"))


def upgrade() -> None:
    """Create every table of the initial catalog."""
    op.create_table(
        "feature_views",
        sa.Column("name", NAME, nullable=False),
        sa.Column("entity", NAME, nullable=False),
        sa.Column("ttl_seconds", sa.Integer(), nullable=True),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feature_views")),
    )
    op.create_table(
        "functions",
        sa.Column("name", NAME, nullable=False),
        sa.Column("module", sa.String(500), nullable=False),
        sa.Column("signature", JSON, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_functions")),
    )
    op.create_table(
        "endpoints",
        sa.Column("name", NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("input_schema", JSON, nullable=False),
        sa.Column("output_schema", JSON, nullable=False),
        sa.Column("feature_views", JSON, nullable=False),
        sa.Column("functions", JSON, nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_endpoints")),
    )
    op.create_table(
        "principals",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_principals")),
        sa.UniqueConstraint("name", name=op.f("uq_principals_name")),
        _one_of("principals", "kind", "principal_kind", ("user", "service", "agent")),
    )
    op.create_table(
        "grants",
        sa.Column("id", ID, nullable=False),
        sa.Column("grantee", NAME, nullable=False),
        sa.Column("grantee_kind", sa.String(16), nullable=False),
        sa.Column("privilege", sa.String(16), nullable=False),
        sa.Column("object_type", sa.String(16), nullable=False),
        sa.Column("pattern", NAME, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
        sa.UniqueConstraint(
            "grantee_kind", "grantee", "privilege", "object_type", "pattern",
            name=op.f("uq_grants_grantee_kind"),
        ),
        _one_of("grants", "grantee_kind", "grantee_kind", ("principal", "group")),
        _one_of("grants", "privilege", "privilege", ("EXECUTE", "READ", "MANAGE")),
        _one_of(
            "grants", "object_type", "object_type",
            ("endpoint", "function", "feature_view", "catalog"),
        ),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("ts", TIMESTAMP, nullable=False),
        sa.Column("principal", NAME, nullable=True),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_name", NAME, nullable=False),
        sa.Column("privilege", sa.String(16), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Double(), nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_principal_ts", "audit_events", ["principal", "ts"])
    op.create_index(op.f("ix_audit_events_ts"), "audit_events", ["ts"])
    op.create_table(
        "sync_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("view", NAME, nullable=False),
        sa.Column("store", NAME, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("watermark", TIMESTAMP, nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.Column("rows_skipped", sa.BigInteger(), nullable=False),
        sa.Column("rows_failed", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
        _one_of("sync_runs", "status", "sync_status", ("running", "succeeded", "failed")),
    )
    op.create_index(
        "ix_sync_runs_view_store_started_at", "sync_runs", ["view", "store", "started_at"]
    )
    op.create_table(
        "group_memberships",
        sa.Column("id", ID, nullable=False),
        sa.Column("group_name", NAME, nullable=False),
        sa.Column("principal_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_memberships")),
        sa.UniqueConstraint(
            "group_name", "principal_id", name=op.f("uq_group_memberships_group_name")
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["principals.id"], ondelete="CASCADE",
            name=op.f("fk_group_memberships_principal_id_principals"),
        ),
    )
    op.create_index(
        op.f("ix_group_memberships_principal_id"), "group_memberships", ["principal_id"]
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("principal_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("entity_filter", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["principals.id"], ondelete="CASCADE",
            name=op.f("fk_tokens_principal_id_principals"),
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_index(op.f("ix_tokens_principal_id"), "tokens", ["principal_id"])


def downgrade() -> None:
    """Drop every table of the initial catalog."""
    for table in (
        "tokens", "group_memberships", "sync_runs", "audit_events", "grants", "principals",
        "endpoints", "functions", "feature_views",
    ):
        op.drop_table(table)
