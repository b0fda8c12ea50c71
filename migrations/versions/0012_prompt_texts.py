"""prompt_texts: the full-text search vector of each distinct prompt, kept off ``assets``.

``ix_assets_prompt_fts`` indexed ``to_tsvector(prompt)`` of every asset row. An index entry is made for
every new row version, and a re-clustering rewrites each asset it moves (its session and phase are
indexed, so no update is HOT): every import paid ``to_tsvector`` twice per asset, about 170 ms of a
5,000-asset re-clustering's 400 ms ``UPDATE``. Now each distinct prompt's vector is computed once, when
the first asset using it is inserted (a statement-level trigger, so every way of inserting assets fills
it), into ``prompt_texts`` (shared by prompt hash like ``prompt_embeddings``; ownership is always decided
by ``assets.user_id``), and the lexical search matches there.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEARCHED_CHARS = 100_000
"""Characters of a prompt that are searched. A ``tsvector`` holds at most 1 MB, and ``to_tsvector`` of a
crafted multi-megabyte prompt of distinct words fails; 100,000 characters give at most ~0.4 MB, and no
real prompt is near (tools cap theirs at a few thousand tokens)."""
_DOCUMENT = f"to_tsvector('english'::regconfig, left({{prompt}}, {_SEARCHED_CHARS}))"
_NEW_PROMPTS = f"""
    INSERT INTO prompt_texts (prompt_sha256, document)
    SELECT first.prompt_sha256, {_DOCUMENT.format(prompt="first.prompt")}
    FROM (
        SELECT DISTINCT ON (prompt_sha256) prompt_sha256, prompt FROM {{source}}
        WHERE prompt_sha256 IS NOT NULL AND prompt IS NOT NULL
        ORDER BY prompt_sha256
    ) AS first
    WHERE NOT EXISTS (SELECT 1 FROM prompt_texts AS known WHERE known.prompt_sha256 = first.prompt_sha256)
    ON CONFLICT (prompt_sha256) DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "prompt_texts",
        sa.Column("prompt_sha256", sa.LargeBinary(32), primary_key=True),
        sa.Column("document", sa.dialects.postgresql.TSVECTOR(), nullable=False),
    )
    op.execute(
        f"""
        CREATE FUNCTION atelier_new_prompt_texts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {_NEW_PROMPTS.format(source="new_assets")};
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER tr_assets_prompt_texts_insert AFTER INSERT ON assets "
        "REFERENCING NEW TABLE AS new_assets FOR EACH STATEMENT EXECUTE FUNCTION atelier_new_prompt_texts()"
    )
    # A changed prompt (nothing changes one today) adds its text. Row-level and limited to the prompt
    # columns, so a re-clustering's UPDATE of session and phase never runs it: a statement-level
    # trigger with a transition table cannot name columns, and would scan every updated row.
    op.execute(
        f"""
        CREATE FUNCTION atelier_changed_prompt_text() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO prompt_texts (prompt_sha256, document)
            VALUES (NEW.prompt_sha256, {_DOCUMENT.format(prompt="NEW.prompt")})
            ON CONFLICT (prompt_sha256) DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER tr_assets_prompt_texts_update AFTER UPDATE OF prompt, prompt_sha256 ON assets "
        "FOR EACH ROW WHEN (NEW.prompt_sha256 IS NOT NULL AND NEW.prompt IS NOT NULL "
        "AND NEW.prompt_sha256 IS DISTINCT FROM OLD.prompt_sha256) "
        "EXECUTE FUNCTION atelier_changed_prompt_text()"
    )
    op.execute(_NEW_PROMPTS.format(source="assets"))
    op.create_index("ix_prompt_texts_document", "prompt_texts", ["document"], postgresql_using="gin")
    op.drop_index("ix_assets_prompt_fts", table_name="assets")


def downgrade() -> None:
    op.create_index(
        "ix_assets_prompt_fts",
        "assets",
        [sa.text("to_tsvector('english'::regconfig, coalesce(prompt, ''))")],
        postgresql_using="gin",
    )
    op.execute("DROP TRIGGER tr_assets_prompt_texts_update ON assets")
    op.execute("DROP TRIGGER tr_assets_prompt_texts_insert ON assets")
    op.execute("DROP FUNCTION atelier_changed_prompt_text()")
    op.execute("DROP FUNCTION atelier_new_prompt_texts()")
    op.drop_table("prompt_texts")
