"""session_constraints.superseded_by_id: a correction's pair replaced by a later one is kept, not deleted.

The latest word wins on a pair of images (a split exactly where a merge joined, a new move of an image),
and undoing the later correction brings the earlier one back. That earlier pair used to be deleted and
found again from the earlier correction's stored payload — whose image ids a removal's re-anchoring
(``catalog.sessions.constraint_anchors``) does not update, so after a removal next to it the undo found
nothing and the earlier correction, still in force in the history, was lost. Now the replaced pair stays
in ``session_constraints`` marked with the correction that replaced it: re-anchored like any other, left
out of clustering, made active again by that correction's undo. The pair's uniqueness holds among active
pairs only.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "session_constraints",
        sa.Column(
            "superseded_by_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("corrections.id", ondelete="CASCADE"),
            nullable=True,
        ),
    )
    op.drop_constraint("uq_constraint_pair", "session_constraints", type_="unique")
    op.create_index(
        "uq_constraint_pair_active",
        "session_constraints",
        ["user_id", "kind", "asset_a_id", "asset_b_id"],
        unique=True,
        postgresql_where=sa.text("superseded_by_id IS NULL"),
    )
    op.create_index(
        "ix_session_constraints_superseded_by_id",
        "session_constraints",
        ["superseded_by_id"],
        postgresql_where=sa.text("superseded_by_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM session_constraints WHERE superseded_by_id IS NOT NULL")
    op.drop_index("ix_session_constraints_superseded_by_id", table_name="session_constraints")
    op.drop_index("uq_constraint_pair_active", table_name="session_constraints")
    op.create_unique_constraint(
        "uq_constraint_pair", "session_constraints", ["user_id", "kind", "asset_a_id", "asset_b_id"]
    )
    op.drop_column("session_constraints", "superseded_by_id")
