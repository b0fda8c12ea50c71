"""Indexes for the gallery's undated assets and for session cards grouped by latest activity.

- ``ix_assets_user_undated`` (partial, ``created_at IS NULL``): the gallery (``viewer.assets``) lists
  assets without a generation time after all dated ones, newest import first; this serves that order
  with an index scan however large the library. Only undated rows are in it, so it stays small.
- ``ix_assets_user_unclustered`` (partial, ``session_id IS NULL``): the gallery's ``inSession: false``
  in the gallery's order. Dated assets are in a session except between an import and its
  re-clustering, so this index holds few rows; without it that filter scanned every dated asset
  (140 ms on a 200,000-asset library).
- ``ix_sessions_user_ended``: session cards by period (``viewer.sessionGroups``) select and order a
  user's sessions by ``ended_at`` (latest activity).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_assets_user_undated",
        "assets",
        ["user_id", "imported_at", "id"],
        postgresql_where=sa.text("created_at IS NULL"),
    )
    op.create_index(
        "ix_assets_user_unclustered",
        "assets",
        ["user_id", "created_at", "file_counter", "file_name", "id"],
        postgresql_where=sa.text("session_id IS NULL"),
    )
    op.create_index("ix_sessions_user_ended", "sessions", ["user_id", "ended_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user_ended", table_name="sessions")
    op.drop_index("ix_assets_user_unclustered", table_name="assets")
    op.drop_index("ix_assets_user_undated", table_name="assets")
