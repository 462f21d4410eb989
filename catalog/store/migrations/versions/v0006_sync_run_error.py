"""Why a sync run failed (a view's feature table missing, a store down).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``sync_runs.error``; earlier runs carry none."""
    op.add_column("sync_runs", sa.Column("error", sa.String(1000), nullable=True))


def downgrade() -> None:
    """Remove what :func:`upgrade` added."""
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("error")
