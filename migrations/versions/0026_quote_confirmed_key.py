"""reflection_quotes.confirmed_key_sha256: a confirm retried after its idempotency key was forgotten.

The sweeper forgets confirm idempotency keys after ``ATELIER_IDEMPOTENCY_KEY_RETENTION_HOURS`` (48);
a client retrying a confirm later with the same key and quote then got ``QuoteExpired`` ("already
confirmed") instead of the same ``ReflectionStarted`` the document promises "however many times" it is
sent. The quote now keeps the digest of the key that confirmed it (``billing.quotes``).

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reflection_quotes", sa.Column("confirmed_key_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("reflection_quotes", "confirmed_key_sha256")
