"""Search indexes: HNSW over prompt embeddings (cosine), the user's prompts, and prompt full text.

- ``ix_prompt_embeddings_hnsw``: ``hnsw (embedding vector_cosine_ops)`` on the shared
  ``prompt_embeddings`` table (384 dimensions, within HNSW's 2,000). ``viewer.search`` walks it in
  order of cosine distance with ``hnsw.iterative_scan`` (pgvector ≥ 0.8), keeping only prompts the
  viewer's own assets use; rows are shared across users by prompt hash, so ownership is always
  decided by ``assets.user_id``, never by the embedding row.
- ``ix_assets_user_prompt``: ``(user_id, prompt_sha256)``: "does this user use this prompt?" for each
  prompt the HNSW scan yields, and the user's assets of the matched prompts.
- ``ix_assets_prompt_fts``: GIN over ``to_tsvector('english', coalesce(prompt, ''))``: the lexical
  fallback (before embeddings exist) finds matching prompts without reading the whole library.

Revision ID: 0009
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_prompt_embeddings_hnsw",
        "prompt_embeddings",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index("ix_assets_user_prompt", "assets", ["user_id", "prompt_sha256"])
    op.create_index(
        "ix_assets_prompt_fts",
        "assets",
        [sa.text("to_tsvector('english'::regconfig, coalesce(prompt, ''))")],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_assets_prompt_fts", table_name="assets")
    op.drop_index("ix_assets_user_prompt", table_name="assets")
    op.drop_index("ix_prompt_embeddings_hnsw", table_name="prompt_embeddings")
