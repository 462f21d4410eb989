"""The door of every audited call: ``rest``, ``mcp`` or ``admin``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``audit_events.channel``; earlier events came through REST."""
    op.add_column(
        "audit_events",
        sa.Column("channel", sa.String(16), nullable=False, server_default="rest"),
    )


def downgrade() -> None:
    """Remove what :func:`upgrade` added."""
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("channel")
