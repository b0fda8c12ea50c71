"""unmatched_refunds: Stripe refunds that arrive before the payment they refund.

``charge.refunded`` for a payment intent that no paid purchase holds yet was ignored and answered 200,
so Stripe never sent it again; when the payment event came later (its first delivery had failed), the
pack was granted and the refund lost. Such a refund is now kept here and applied with the payment
(``billing.purchases``).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unmatched_refunds",
        sa.Column("payment_intent_id", sa.String(255), primary_key=True),
        sa.Column("charged_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunded_cents", sa.BigInteger(), nullable=False),
        sa.Column("fully_refunded", sa.Boolean(), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unmatched_refunds")
