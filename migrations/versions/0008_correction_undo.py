"""corrections.undone_at (undo keeps the history), a keyset index for the history page, and the
merge / split constraints of corrections made before this revision tied to their correction.

Backfill: a ``must_link`` pair without a correction belongs to the latest merge that joined exactly
that pair (a later split of the same pair would have replaced it with a ``cannot_link``); a
``cannot_link`` pair to the latest split at its second asset. Rows matching none stay untied (their
correction cannot be undone for its constraint; see :mod:`catalog.sessions.undo`).

Revision ID: 0008
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("corrections", sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_corrections_user_history", "corrections", ["user_id", "created_at", "id"])
    op.execute(
        """
        UPDATE session_constraints AS sc SET correction_id = latest.id
        FROM (
            SELECT DISTINCT ON (user_id, payload->'joined'->>0, payload->'joined'->>1)
                   id, user_id, payload->'joined'->>0 AS a, payload->'joined'->>1 AS b
            FROM corrections WHERE kind = 'merge' AND payload ? 'joined'
            ORDER BY user_id, payload->'joined'->>0, payload->'joined'->>1, created_at DESC, id DESC
        ) AS latest
        WHERE sc.correction_id IS NULL AND sc.kind = 'must_link' AND sc.user_id = latest.user_id
          AND sc.asset_a_id::text = latest.a AND sc.asset_b_id::text = latest.b
        """
    )
    op.execute(
        """
        UPDATE session_constraints AS sc SET correction_id = latest.id
        FROM (
            SELECT DISTINCT ON (user_id, payload->>'at') id, user_id, payload->>'at' AS at
            FROM corrections WHERE kind = 'split' AND payload ? 'at'
            ORDER BY user_id, payload->>'at', created_at DESC, id DESC
        ) AS latest
        WHERE sc.correction_id IS NULL AND sc.kind = 'cannot_link' AND sc.user_id = latest.user_id
          AND sc.asset_b_id::text = latest.at
        """
    )


def downgrade() -> None:
    op.drop_index("ix_corrections_user_history", table_name="corrections")
    op.drop_column("corrections", "undone_at")
