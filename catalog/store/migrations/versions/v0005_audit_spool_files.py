"""How much of each audit spool file has been shipped into ``audit_events``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the ``audit_spool_files`` table: one row per spool file being shipped."""
    op.create_table(
        "audit_spool_files",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shipped_bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audit_spool_files")),
    )


def downgrade() -> None:
    """Remove what :func:`upgrade` added."""
    op.drop_table("audit_spool_files")
