"""assets.file_path_bytes: the exact bytes of a file path that is not valid UTF-8.

PostgreSQL text holds only valid UTF-8, and a POSIX file name is any bytes (a Latin-1 name copied from
an old share, say): such a file used to be refused at import. Now ``file_path`` holds its readable form
(each undecodable byte as U+FFFD) and ``file_path_bytes`` the bytes that open it; null for every other
path. No backfill: no stored path can need it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("assets", sa.Column("file_path_bytes", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("assets", "file_path_bytes")
