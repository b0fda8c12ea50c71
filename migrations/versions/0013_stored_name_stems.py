"""assets.file_stem / assets.reference_stem: the named-parent lookup's stems stored, not indexed as
expressions.

Migration 0007 indexed two expressions over every asset row: the file name's stem, and the stem of its
first named reference (a coalesce over ``source_image`` and four keys of ``extra``, partial on that
reference being set). An expression index is evaluated for every new row version, and a re-clustering
rewrites every asset it moves (session and phase are indexed, so no update is HOT): each move ran two
regular-expression pairs and read ``extra`` four times. Now a ``BEFORE INSERT OR UPDATE OF file_name,
source_image, extra`` trigger stores both stems with the very same expressions, and plain columns are
indexed; an update of session and phase evaluates nothing. The queries compare the columns
(``catalog.sessions.explicit_lineage``).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILE_STEM_SQL = r"left(regexp_replace(regexp_replace(file_name, '^.*[/\\]', ''), '\.[^.]*$', ''), 600)"
"""0007's stem, at most 600 characters: a b-tree entry holds at most 2,704 bytes, and a reference in
``extra`` is never cut (a longer stem cannot name a real file, whose name is at most 255 bytes)."""
_REFERENCE_SQL = (
    "coalesce(source_image, extra ->> 'init_image_hash', extra ->> 'init_image', "
    "extra ->> 'init_image_sha256', extra ->> 'source_image_hash')"
)
_REFERENCE_STEM_SQL = _FILE_STEM_SQL.replace("file_name", _REFERENCE_SQL)
_FORMER_FILE_STEM_SQL = r"regexp_replace(regexp_replace(file_name, '^.*[/\\]', ''), '\.[^.]*$', '')"
_FORMER_REFERENCE_STEM_SQL = _FORMER_FILE_STEM_SQL.replace("file_name", _REFERENCE_SQL)
_COLUMNS = ("file_name", "source_image", "extra")


def _of_new_row(expression: str) -> str:
    """``expression`` over the trigger's ``NEW`` row (column names outside quoted keys)."""
    return re.sub(rf"(?<![\w'.])({'|'.join(_COLUMNS)})(?![\w'])", r"NEW.\1", expression)


def upgrade() -> None:
    op.add_column("assets", sa.Column("file_stem", sa.Text(), nullable=True))
    op.add_column("assets", sa.Column("reference_stem", sa.Text(), nullable=True))
    op.execute(
        f"""
        CREATE FUNCTION atelier_asset_name_stems() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.file_stem := {_of_new_row(_FILE_STEM_SQL)};
            NEW.reference_stem := {_of_new_row(_REFERENCE_STEM_SQL)};
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER tr_assets_name_stems BEFORE INSERT OR UPDATE OF file_name, source_image, extra "
        "ON assets FOR EACH ROW EXECUTE FUNCTION atelier_asset_name_stems()"
    )
    op.execute(f"UPDATE assets SET file_stem = {_FILE_STEM_SQL}, reference_stem = {_REFERENCE_STEM_SQL}")
    op.drop_index("ix_assets_user_file_stem", table_name="assets")
    op.drop_index("ix_assets_user_reference_stem", table_name="assets")
    op.create_index("ix_assets_user_file_stem", "assets", ["user_id", "file_stem"])
    op.create_index(
        "ix_assets_user_reference_stem",
        "assets",
        ["user_id", "reference_stem"],
        postgresql_where=sa.text("reference_stem IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_assets_user_reference_stem", table_name="assets")
    op.drop_index("ix_assets_user_file_stem", table_name="assets")
    op.create_index(
        "ix_assets_user_file_stem", "assets", [sa.text("user_id"), sa.text(_FORMER_FILE_STEM_SQL)]
    )
    op.create_index(
        "ix_assets_user_reference_stem",
        "assets",
        [sa.text("user_id"), sa.text(_FORMER_REFERENCE_STEM_SQL)],
        postgresql_where=sa.text(f"{_REFERENCE_SQL} IS NOT NULL"),
    )
    op.execute("DROP TRIGGER tr_assets_name_stems ON assets")
    op.execute("DROP FUNCTION atelier_asset_name_stems()")
    op.drop_column("assets", "reference_stem")
    op.drop_column("assets", "file_stem")
