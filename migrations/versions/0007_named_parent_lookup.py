"""Named-parent lookup: an index on the stem of each asset's file name, per user.

Re-clustering resolves the parent a file names (``LoadImage`` input, img2img / upscale source,
parent job) across the artist's whole library (``catalog.sessions.explicit_lineage``); a reference
matches a file by its base name without extension, so this expression index keeps that lookup an
index scan on a large library. The expression must stay identical to
``catalog.sessions.explicit_lineage.FILE_STEM_SQL``. Existing libraries get cross-session links at
their next re-clustering (``atelier recluster``).

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILE_STEM_SQL = r"regexp_replace(regexp_replace(file_name, '^.*[/\\]', ''), '\.[^.]*$', '')"


def upgrade() -> None:
    op.create_index("ix_assets_user_file_stem", "assets", [sa.text("user_id"), sa.text(_FILE_STEM_SQL)])


def downgrade() -> None:
    op.drop_index("ix_assets_user_file_stem", table_name="assets")
