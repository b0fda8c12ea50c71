"""Tool-export time evidence, kept so files imported after their export still get its times.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_time_evidence",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("key_kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("precision", sa.String(length=12), nullable=False),
        sa.Column("time_field", sa.String(length=80), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("parent_job_id", sa.String(length=200), nullable=True),
        sa.Column("export_location", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "source", "key_kind", "key", name="uq_export_evidence_key"),
    )
    op.create_index(
        "ix_export_evidence_lookup", "export_time_evidence", ["user_id", "key_kind", "key"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_export_evidence_lookup", table_name="export_time_evidence")
    op.drop_table("export_time_evidence")
