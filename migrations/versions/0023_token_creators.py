"""api_tokens.created_by_token_id: which token created a token over GraphQL.

A token could mint others (``createApiToken``) that kept working after it was revoked: a stolen token's
children outlived the owner's revocation of it. Revoking a token now revokes those it created, and
theirs (``catalog.accounts.repository``). Tokens made before this revision have no creator recorded.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "api_tokens",
        sa.Column(
            "created_by_token_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("api_tokens.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_index("ix_api_tokens_created_by_token_id", "api_tokens", ["created_by_token_id"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_created_by_token_id", table_name="api_tokens")
    op.drop_column("api_tokens", "created_by_token_id")
