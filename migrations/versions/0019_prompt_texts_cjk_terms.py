"""prompt_texts: Chinese, Japanese and Korean prompts searchable by their words.

PostgreSQL's ``english`` parser takes a run of CJK characters for one word: "站在樱花树下" was a single
lexeme, so a search for 樱花 (cherry blossom) found nothing. The search document of a prompt holding such
runs now also carries each run's characters and overlapping character pairs (the standard way to index
text without spaces, as the session engine compares such prompts: ``engine.features.prompt_text``), and a
query is matched by the pairs of its own runs (a one-character run by the character).

One definition of the document, ``atelier_prompt_document(prompt)``, is used by both triggers (the
insert trigger of migration 0012 and the prompt-change trigger) and here to rebuild the documents of the
prompts already stored that hold such characters; ``atelier_prompt_query(text)`` builds the query
(``catalog.search.candidates``). A prompt without CJK characters keeps exactly its earlier document.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEARCHED_CHARS = 100_000
"""As migration 0012: characters of a prompt that are searched."""
_CJK_TERM_CHARS = 10_000
"""Characters of a prompt whose CJK runs are indexed (each character is one row of a linear pass: a real
prompt is a few hundred; a crafted 100,000-character one stays a fraction of a second)."""
CJK_CLASS = r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff66-\uff9f]"
"""Han, kana and Hangul (the engine's ``_CJK_RUN`` ranges), as a PostgreSQL regular expression class."""

_FUNCTIONS = (
    rf"""
CREATE FUNCTION atelier_cjk_terms(body text, with_characters boolean) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT term), '{{}}'::text[])
    FROM (
        SELECT chars.c,
               lead(chars.c) OVER (PARTITION BY found.run ORDER BY chars.i) AS next,
               count(*) OVER (PARTITION BY found.run) AS run_length
        FROM regexp_matches(left(body, {_CJK_TERM_CHARS}), '{CJK_CLASS}+', 'g') WITH ORDINALITY AS found(parts, run)
        CROSS JOIN LATERAL regexp_split_to_table(found.parts[1], '') WITH ORDINALITY AS chars(c, i)
    ) AS runs
    CROSS JOIN LATERAL (
        SELECT runs.c || runs.next AS term WHERE runs.next IS NOT NULL
        UNION ALL
        SELECT runs.c WHERE with_characters OR runs.run_length = 1
    ) AS terms
$$
""",
    rf"""
CREATE FUNCTION atelier_prompt_document(prompt text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('english'::regconfig, left(prompt, {_SEARCHED_CHARS}))
        || CASE WHEN left(prompt, {_SEARCHED_CHARS}) ~ '{CJK_CLASS}'
                THEN array_to_tsvector(atelier_cjk_terms(left(prompt, {_SEARCHED_CHARS}), true))
                ELSE ''::tsvector END
$$
""",
    """
CREATE FUNCTION atelier_prompt_query(words text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT replace(plainto_tsquery('english'::regconfig, words)::text, ' & ', ' | ')::tsquery
        || coalesce(
            (SELECT array_to_string(array_agg(quote_literal(term)), ' | ')::tsquery
             FROM unnest(atelier_cjk_terms(words, false)) AS term
             HAVING count(*) > 0),
            ''::tsquery)
$$
""",
)
"""One statement each (asyncpg runs one command per statement)."""

_NEW_PROMPTS_FUNCTION = """
CREATE OR REPLACE FUNCTION atelier_new_prompt_texts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO prompt_texts (prompt_sha256, document)
    SELECT first.prompt_sha256, {document}
    FROM (
        SELECT DISTINCT ON (prompt_sha256) prompt_sha256, prompt FROM new_assets
        WHERE prompt_sha256 IS NOT NULL AND prompt IS NOT NULL
        ORDER BY prompt_sha256
    ) AS first
    WHERE NOT EXISTS (SELECT 1 FROM prompt_texts AS known WHERE known.prompt_sha256 = first.prompt_sha256)
    ON CONFLICT (prompt_sha256) DO NOTHING;
    RETURN NULL;
END
$$
"""
_CHANGED_PROMPT_FUNCTION = """
CREATE OR REPLACE FUNCTION atelier_changed_prompt_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO prompt_texts (prompt_sha256, document)
    VALUES (NEW.prompt_sha256, {new_document})
    ON CONFLICT (prompt_sha256) DO NOTHING;
    RETURN NULL;
END
$$
"""

_ENGLISH_ONLY = f"to_tsvector('english'::regconfig, left({{prompt}}, {_SEARCHED_CHARS}))"
"""Migration 0012's document (the downgrade's)."""


def _rebuild_cjk_documents(document: str) -> str:
    """Recompute the stored documents of prompts holding CJK characters with ``document``."""
    return f"""
    UPDATE prompt_texts AS pt SET document = {document.format(prompt="cjk.prompt")}
    FROM (
        SELECT DISTINCT ON (prompt_sha256) prompt_sha256, prompt FROM assets
        WHERE prompt_sha256 IS NOT NULL AND prompt ~ '{CJK_CLASS}'
        ORDER BY prompt_sha256
    ) AS cjk
    WHERE pt.prompt_sha256 = cjk.prompt_sha256
    """


def _point_triggers_at(document: str) -> None:
    """Both trigger functions computing their new rows' documents with ``document``."""
    op.execute(_NEW_PROMPTS_FUNCTION.format(document=document.format(prompt="first.prompt")))
    op.execute(_CHANGED_PROMPT_FUNCTION.format(new_document=document.format(prompt="NEW.prompt")))


def upgrade() -> None:
    for statement in _FUNCTIONS:
        op.execute(statement)
    _point_triggers_at("atelier_prompt_document({prompt})")
    op.execute(_rebuild_cjk_documents("atelier_prompt_document({prompt})"))


def downgrade() -> None:
    _point_triggers_at(_ENGLISH_ONLY)
    op.execute(_rebuild_cjk_documents(_ENGLISH_ONLY))
    op.execute("DROP FUNCTION atelier_prompt_query(text)")
    op.execute("DROP FUNCTION atelier_prompt_document(text)")
    op.execute("DROP FUNCTION atelier_cjk_terms(text, boolean)")
