"""assets.thumbnail_error_decoder: the decoder a lasting thumbnail failure was met with.

A failure recorded in ``thumbnail_error`` (0011) is lasting for the decoder that met it only: a Pillow
upgrade can read what an older Pillow could not. The failure now records its decoder
(``catalog.thumbnails.THUMBNAIL_DECODER``), and failures of another decoder are tried again
(``catalog.assets.repository.retry_other_decoders_failures``). Failures recorded before this revision
have no decoder: they are tried once more, then recorded with one. The partial index finds the few
assets holding a failure, by user, without scanning the library.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("thumbnail_error_decoder", sa.Text(), nullable=True))
    op.create_index(
        "ix_assets_thumbnail_failures",
        "assets",
        ["user_id"],
        postgresql_where=sa.text("thumbnail_error IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_assets_thumbnail_failures", table_name="assets")
    op.drop_column("assets", "thumbnail_error_decoder")
