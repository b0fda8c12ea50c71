"""users.redescription_failures / _failed_at / _failed_version: a back-off for failing re-descriptions.

The worker's healing tick queues a re-description for every user described by another engine
version (0015). When one fails for good (a bug, bad data, the child process dying, its deadline), the
user's version stays stale and, without a record of the failure, the next tick queued it again: a
whole-library child process every 30 s. The failures are now counted on the user, with the time of
the last one and the engine version they were met with; the tick skips the user until an exponential
back-off has passed (``catalog.sessions.redescription``), and describing the stream (a
re-description or a full re-cluster) clears them. Kept in PostgreSQL, not Redis, so a worker restart
or a lost Redis does not restart the back-off. Existing users have no failures.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a constant default: PostgreSQL adds the column without rewriting the table
    op.add_column(
        "users",
        sa.Column("redescription_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("users", sa.Column("redescription_failed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("redescription_failed_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "redescription_failed_version")
    op.drop_column("users", "redescription_failed_at")
    op.drop_column("users", "redescription_failures")
