"""Named-parent lookup: indexes on each asset's file-name stem, parent job and first reference's stem.

Re-clustering resolves the parent a file names (``LoadImage`` input, img2img / upscale source,
parent job) across the artist's whole library (``catalog.sessions.explicit_lineage``); a reference
matches a file by its base name without extension, so this expression index keeps that lookup an
index scan on a large library; the other two find images imported before the parent they name
(``children_naming_span``). The expressions must stay identical to ``FILE_STEM_SQL`` and
``REFERENCE_STEM_SQL`` / ``REFERENCE_SQL`` in ``catalog.sessions.explicit_lineage`` (a test checks). Existing libraries get cross-session links at
their next re-clustering (``atelier recluster``).

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILE_STEM_SQL = r"regexp_replace(regexp_replace(file_name, '^.*[/\\]', ''), '\.[^.]*$', '')"
_REFERENCE_SQL = (
    "coalesce(source_image, extra ->> 'init_image_hash', extra ->> 'init_image', "
    "extra ->> 'init_image_sha256', extra ->> 'source_image_hash')"
)
_REFERENCE_STEM_SQL = _FILE_STEM_SQL.replace("file_name", _REFERENCE_SQL)


def upgrade() -> None:
    op.create_index("ix_assets_user_file_stem", "assets", [sa.text("user_id"), sa.text(_FILE_STEM_SQL)])
    op.create_index(
        "ix_assets_user_parent_job",
        "assets",
        ["user_id", "parent_job_id"],
        postgresql_where=sa.text("parent_job_id IS NOT NULL"),
    )
    op.create_index(
        "ix_assets_user_reference_stem",
        "assets",
        [sa.text("user_id"), sa.text(_REFERENCE_STEM_SQL)],
        postgresql_where=sa.text(f"{_REFERENCE_SQL} IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_assets_user_reference_stem", table_name="assets")
    op.drop_index("ix_assets_user_parent_job", table_name="assets")
    op.drop_index("ix_assets_user_file_stem", table_name="assets")
