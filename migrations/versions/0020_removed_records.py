"""removed_records: images the artist removed from the library, so that imports leave them out.

Removing an image (GraphQL ``removeAssets``, ``atelier remove``) deletes its asset row (lineage links,
constraints and owed work go with it by their foreign keys) and leaves one row here per ``(user,
record id)``: an image's record id is its content hash, a JSONL record's its ``id``. A folder import or
a watched folder then skips those bytes (``catalog.importing.bulk_asset_repository``) instead of
bringing them back; ``atelier import --include-removed`` or an upload of the same bytes takes them in
again and deletes the row. ``file_path`` / ``file_path_bytes`` / ``file_size_bytes`` are where the
image was read from, so a watched folder's catch-up does not read a removed file again while it is
unchanged (``catalog.importing.known_files_repository``).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "removed_records",
        sa.Column(
            "user_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("record_id", sa.String(200), primary_key=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("file_path_bytes", sa.LargeBinary(), nullable=True),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index(
        "ix_removed_records_user_path",
        "removed_records",
        ["user_id", "file_path"],
        postgresql_where=sa.text("file_path IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_removed_records_user_path", table_name="removed_records")
    op.drop_table("removed_records")
