"""Initial schema: users, tokens, assets, sessions, phases, lineage, corrections, calibration.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 07:40:17.457761
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pgvector; on a managed server the extension may need to be enabled by an administrator first.
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "prompt_embeddings",
        sa.Column("prompt_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("embedding", Vector(dim=384), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("prompt_sha256"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handle"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)
    op.create_table(
        "corrections",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("boundary_score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_corrections_user_id"), "corrections", ["user_id"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_pinned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asset_count", sa.Integer(), nullable=False),
        sa.Column("first_asset_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sessions_user_started", "sessions", ["user_id", "started_at", "id"], unique=False)
    op.create_table(
        "user_calibrations",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("threshold_offset", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("correction_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "phases",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asset_count", sa.Integer(), nullable=False),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "ordinal", name="uq_phases_session_ordinal"),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at_source", sa.String(length=80), nullable=True),
        sa.Column("created_at_precision", sa.String(length=12), nullable=True),
        sa.Column("file_counter", sa.BigInteger(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("prompt_sha256", sa.LargeBinary(length=32), nullable=True),
        sa.Column("negative_prompt", sa.Text(), nullable=True),
        sa.Column("seed", sa.Numeric(precision=20, scale=0), nullable=True),
        sa.Column("cfg_scale", sa.Float(), nullable=True),
        sa.Column("steps", sa.Integer(), nullable=True),
        sa.Column("sampler", sa.String(length=120), nullable=True),
        sa.Column("scheduler", sa.String(length=120), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column(
            "loras",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("denoise", sa.Float(), nullable=True),
        sa.Column("source_image", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("parent_job_id", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("workflow_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "extra",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("image_format", sa.String(length=8), nullable=True),
        sa.Column("pixel_width", sa.Integer(), nullable=True),
        sa.Column("pixel_height", sa.Integer(), nullable=True),
        sa.Column("edited", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=True),
        sa.Column("visual_embedding", Vector(), nullable=True),
        sa.Column("visual_model", sa.String(length=120), nullable=True),
        sa.Column("session_id", sa.UUID(), nullable=True),
        sa.Column("phase_id", sa.UUID(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["phase_id"], ["phases.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "record_id", name="uq_assets_user_record"),
    )
    op.create_index(
        "ix_assets_session_stream",
        "assets",
        ["session_id", "created_at", "file_counter", "file_name", "id"],
        unique=False,
    )
    op.create_index("ix_assets_user_content", "assets", ["user_id", "content_sha256"], unique=False)
    op.create_index("ix_assets_user_file_name", "assets", ["user_id", "file_name"], unique=False)
    op.create_index("ix_assets_user_job", "assets", ["user_id", "job_id"], unique=False)
    op.create_index(
        "ix_assets_user_stream",
        "assets",
        ["user_id", "created_at", "file_counter", "file_name", "id"],
        unique=False,
    )
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("parent_asset_id", sa.UUID(), nullable=False),
        sa.Column("child_asset_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["child_asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_asset_id", name="uq_lineage_one_parent"),
    )
    op.create_index(op.f("ix_lineage_edges_user_id"), "lineage_edges", ["user_id"], unique=False)
    op.create_index("ix_lineage_parent", "lineage_edges", ["parent_asset_id"], unique=False)
    op.create_table(
        "session_constraints",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("asset_a_id", sa.UUID(), nullable=False),
        sa.Column("asset_b_id", sa.UUID(), nullable=False),
        sa.Column("correction_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["asset_a_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["asset_b_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["correction_id"], ["corrections.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "kind", "asset_a_id", "asset_b_id", name="uq_constraint_pair"),
    )
    op.create_index(op.f("ix_session_constraints_user_id"), "session_constraints", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_session_constraints_user_id"), table_name="session_constraints")
    op.drop_table("session_constraints")
    op.drop_index("ix_lineage_parent", table_name="lineage_edges")
    op.drop_index(op.f("ix_lineage_edges_user_id"), table_name="lineage_edges")
    op.drop_table("lineage_edges")
    op.drop_index("ix_assets_user_stream", table_name="assets")
    op.drop_index("ix_assets_user_job", table_name="assets")
    op.drop_index("ix_assets_user_file_name", table_name="assets")
    op.drop_index("ix_assets_user_content", table_name="assets")
    op.drop_index("ix_assets_session_stream", table_name="assets")
    op.drop_table("assets")
    op.drop_table("phases")
    op.drop_table("user_calibrations")
    op.drop_index("ix_sessions_user_started", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(op.f("ix_corrections_user_id"), table_name="corrections")
    op.drop_table("corrections")
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("prompt_embeddings")
