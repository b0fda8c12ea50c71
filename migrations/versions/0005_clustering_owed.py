"""clustering_owed: assets whose re-clustering is owed (a durable mark for crash consistency), and
a partial index on the assets still lacking a thumbnail (an import completes them at its start).

An import writes one row per new asset in the same transaction as the asset rows; the re-clustering
that covers them deletes the rows in its own transaction. An import killed in between leaves the
rows behind, and the next import (or the worker) completes the owed re-clustering. Assets already
stored when this migration runs are marked too when they have a time but no session (the orphans a
killed import left before this table existed).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clustering_owed",
        sa.Column("asset_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("owed_since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id"),
    )
    op.create_index("ix_clustering_owed_user", "clustering_owed", ["user_id"])
    op.create_index(
        "ix_assets_missing_thumbnail",
        "assets",
        ["user_id", "id"],
        postgresql_where=sa.text("thumbnail_sha256 IS NULL AND file_path IS NOT NULL"),
    )
    op.execute(
        "INSERT INTO clustering_owed (asset_id, user_id) "
        "SELECT id, user_id FROM assets WHERE created_at IS NOT NULL AND session_id IS NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_assets_missing_thumbnail", table_name="assets")
    op.drop_index("ix_clustering_owed_user", table_name="clustering_owed")
    op.drop_table("clustering_owed")
