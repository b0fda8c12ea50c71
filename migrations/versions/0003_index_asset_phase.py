"""Index assets.phase_id: deleting a session's phases sets it to NULL on their assets.

Without it, every deleted phase made PostgreSQL scan the user's whole assets table (re-clustering
20k assets spent 5 s there; a 500k library would spend minutes).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_assets_phase", "assets", ["phase_id"])


def downgrade() -> None:
    op.drop_index("ix_assets_phase", table_name="assets")
