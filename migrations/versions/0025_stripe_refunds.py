"""stripe_refunds: each Stripe refund by id, so a refund that fails gives its credits back.

A refund that Stripe could not deliver (the card closed, lost or expired: the refund's status turns
``failed``; or a pending refund ``canceled``) returns the money to the merchant, not the customer, yet
the credits its ``charge.refunded`` took back stayed taken. Refund objects are now kept by id with
whether they failed (``billing.purchases``).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_refunds",
        sa.Column("refund_id", sa.String(255), primary_key=True),
        sa.Column("payment_intent_id", sa.String(255), nullable=False),
        sa.Column("cents", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_stripe_refunds_payment_intent_id", "stripe_refunds", ["payment_intent_id"])


def downgrade() -> None:
    op.drop_index("ix_stripe_refunds_payment_intent_id", table_name="stripe_refunds")
    op.drop_table("stripe_refunds")
