"""users.sessions_described_with: the engine description version of the user's stored sessions.

Labels, intents, phases and lineage are written when sessions are clustered, so a library clustered
by an earlier engine kept its old descriptions after an upgrade. The column holds the
``engine.analysis.DESCRIPTION_VERSION`` the whole stream was last described with (a full re-cluster
or a re-description); NULL — every user before this revision — means an earlier engine. The worker
re-describes such users once, their sessions kept (``catalog.sessions.redescription``).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("sessions_described_with", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "sessions_described_with")
