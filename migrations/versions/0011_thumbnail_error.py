"""assets.thumbnail_error: why a file's content cannot be rendered, so it is not decoded again.

A file whose pixels are broken or whose declared size is refused fails the same way on every try; it
used to be decoded again by every ``atelier import`` (and every worker process). The partial index of
assets owing a thumbnail now leaves those out. Failures that may pass later (a moved or unreadable
file, an I/O error) are not recorded here.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWING_BEFORE = "thumbnail_sha256 IS NULL AND file_path IS NOT NULL"
_OWING = "thumbnail_sha256 IS NULL AND file_path IS NOT NULL AND thumbnail_error IS NULL"


def upgrade() -> None:
    op.add_column("assets", sa.Column("thumbnail_error", sa.Text(), nullable=True))
    op.drop_index("ix_assets_missing_thumbnail", table_name="assets")
    op.create_index(
        "ix_assets_missing_thumbnail", "assets", ["user_id", "id"], postgresql_where=sa.text(_OWING)
    )


def downgrade() -> None:
    op.drop_index("ix_assets_missing_thumbnail", table_name="assets")
    op.create_index(
        "ix_assets_missing_thumbnail", "assets", ["user_id", "id"], postgresql_where=sa.text(_OWING_BEFORE)
    )
    op.drop_column("assets", "thumbnail_error")
