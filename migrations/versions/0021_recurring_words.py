"""user_calibrations.recurring_words: the words an artist writes in most sittings, as their whole library
gives them.

The session engine counts an artist's recurring words (a template, a style suffix) for little in the
prompt context (``engine.sessions.recurring_words``). Learned from one span of the stream they would
differ from what the whole library says, so a span re-clustered after an import would be decided
differently from the same span in a full re-clustering. The factors (``{"words": {word: factor},
"sittings": n}``, n the sittings they were learned from) are stored
here by every full re-clustering, and by a span re-clustering that finds none stored, and passed to
every span re-clustering and correction (``catalog.sessions.recurring_words_store``). Null: not learned
yet. A user with no calibration row gets one (offset 0, no corrections: as having none).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable without a default: PostgreSQL adds the column without rewriting the table
    op.add_column("user_calibrations", sa.Column("recurring_words", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("user_calibrations", "recurring_words")
