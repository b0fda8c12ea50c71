"""SQLAlchemy models: the catalog's tables, designed for the whole mission.

Identity and ownership:
- Every row that holds an artist's data carries ``user_id``; repositories always filter by it, so no
  query path can return another user's rows.
- ``assets.record_id`` is the interchange id (the content SHA-256 for image files), unique per user:
  re-importing the same bytes adds nothing.
- Each clustered asset belongs to at most one session (``assets.session_id``) and one phase of it;
  assets without a usable time have no session and are never clustered.
- Sessions keep their UUID across re-clustering while their membership mostly survives
  (see :mod:`catalog.reclustering`); ``label_pinned`` marks an artist's own label, never overwritten.
- Lineage: one parent per child (``lineage_edges.child_asset_id`` is unique). Inferred edges stay
  inside a session; named ones (the file names its source) may join two sessions. Readers must not
  assume the edges are acyclic (files can name each other); the API's ancestor walk is cycle-safe.
- Corrections are kept twice on purpose: ``corrections`` is the artist's history (what they did),
  ``session_constraints`` the must-link / cannot-link pairs every re-clustering honours.

Units: times are ``timestamptz``; sizes in pixels; ``file_size_bytes`` in bytes; ``threshold_offset``
is in the engine's boundary-score units (see ``engine.calibration``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PROMPT_EMBEDDING_DIMENSIONS = 384
"""all-MiniLM-L6-v2."""


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONB, datetime: DateTime(timezone=True)}


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))


def _created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _uuid_pk()
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    created_at: Mapped[datetime] = _created_at()
    sessions_described_with: Mapped[int | None] = mapped_column(Integer)
    """``engine.analysis.DESCRIPTION_VERSION`` the whole stream was last described with (NULL: an
    engine before migration 0015); see :mod:`catalog.sessions.redescription`."""
    redescription_failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Re-descriptions that failed in a row for ``redescription_failed_version`` (0: none since the
    stream was last described); the healing tick backs off from such a user (migration 0016,
    :mod:`catalog.sessions.redescription`)."""
    redescription_failed_at: Mapped[datetime | None]
    """When the last of those failures was recorded (the database's clock); NULL: none."""
    redescription_failed_version: Mapped[int | None] = mapped_column(Integer)
    """The ``DESCRIPTION_VERSION`` those failures were met with: another engine version starts afresh."""


class ApiToken(Base):
    """Only a SHA-256 of the secret is stored; ``prefix`` (shown to the user) identifies the token."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_at: Mapped[datetime] = _created_at()
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True
    )
    """The token that created this one over GraphQL (``createApiToken``); revoking it revokes this one
    too (:func:`catalog.accounts.repository.revoke_token_by_id`). Null for tokens made by the CLI."""


class PromptEmbedding(Base):
    """One embedding per unique prompt text (keyed by its SHA-256), shared by every asset using it."""

    __tablename__ = "prompt_embeddings"
    __table_args__ = (
        # cosine HNSW for search (migration 0009); ownership is always decided through ``assets``
        Index(
            "ix_prompt_embeddings_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    prompt_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    embedding: Mapped[Any] = mapped_column(Vector(PROMPT_EMBEDDING_DIMENSIONS))
    created_at: Mapped[datetime] = _created_at()


class PromptText(Base):
    """The full-text search vector of one distinct prompt (keyed by its SHA-256, shared like
    :class:`PromptEmbedding`): filled by a trigger on ``assets`` when the first asset using the prompt
    is inserted (migration 0012), never rewritten when assets are re-clustered."""

    __tablename__ = "prompt_texts"
    __table_args__ = (Index("ix_prompt_texts_document", "document", postgresql_using="gin"),)

    prompt_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    document: Mapped[Any] = mapped_column(TSVECTOR)
    """``to_tsvector('english', …)`` of the prompt's first 100,000 characters (a ``tsvector`` holds at
    most 1 MB; migration 0012)."""


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("user_id", "record_id", name="uq_assets_user_record"),
        Index("ix_assets_user_stream", "user_id", "created_at", "file_counter", "file_name", "id"),
        Index("ix_assets_session_stream", "session_id", "created_at", "file_counter", "file_name", "id"),
        Index("ix_assets_user_content", "user_id", "content_sha256"),
        Index("ix_assets_user_job", "user_id", "job_id"),
        Index("ix_assets_user_file_name", "user_id", "file_name"),
        Index("ix_assets_user_file_stem", "user_id", "file_stem"),  # named-parent lookup (0007, 0013)
        Index(
            "ix_assets_user_parent_job",
            "user_id",
            "parent_job_id",
            postgresql_where=text("parent_job_id IS NOT NULL"),
        ),
        Index(  # images named before their parent arrives (catalog.sessions.explicit_lineage; 0007, 0013)
            "ix_assets_user_reference_stem",
            "user_id",
            "reference_stem",
            postgresql_where=text("reference_stem IS NOT NULL"),
        ),
        Index("ix_assets_phase", "phase_id"),
        Index(
            "ix_assets_missing_thumbnail",
            "user_id",
            "id",
            postgresql_where=text(
                "thumbnail_sha256 IS NULL AND file_path IS NOT NULL AND thumbnail_error IS NULL"
            ),
        ),
        Index(
            "ix_assets_user_undated",
            "user_id",
            "imported_at",
            "id",
            postgresql_where=text("created_at IS NULL"),
        ),
        Index(
            "ix_assets_user_unclustered",
            "user_id",
            "created_at",
            "file_counter",
            "file_name",
            "id",
            postgresql_where=text("session_id IS NULL"),
        ),
        # search (migration 0009): the user's prompts, and prompt full text for the lexical fallback
        Index("ix_assets_user_prompt", "user_id", "prompt_sha256"),
        Index(  # lasting thumbnail failures, to retry once the decoder changes (migration 0014)
            "ix_assets_thumbnail_failures", "user_id", postgresql_where=text("thumbnail_error IS NOT NULL")
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(200))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime | None]
    created_at_source: Mapped[str | None] = mapped_column(String(80))
    created_at_precision: Mapped[str | None] = mapped_column(String(12))
    file_counter: Mapped[int | None] = mapped_column(BigInteger)
    prompt: Mapped[str | None] = mapped_column(Text)
    prompt_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    negative_prompt: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[Decimal | None] = mapped_column(Numeric(20, 0))
    """Numeric, not bigint: ComfyUI seeds reach 2**64 - 1."""
    cfg_scale: Mapped[float | None] = mapped_column(Float)
    steps: Mapped[int | None] = mapped_column(Integer)
    sampler: Mapped[str | None] = mapped_column(String(120))
    scheduler: Mapped[str | None] = mapped_column(String(120))
    model: Mapped[str | None] = mapped_column(Text)
    loras: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    denoise: Mapped[float | None] = mapped_column(Float)
    source_image: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(200))
    parent_job_id: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(Text)
    file_stem: Mapped[str | None] = mapped_column(Text)
    """``file_name``'s base name without extension (``explicit_lineage.FILE_STEM_SQL``), set by a trigger
    on insert and when the name changes (migration 0013): never written by the application."""
    reference_stem: Mapped[str | None] = mapped_column(Text)
    """The base name without extension of the first file the asset names (``explicit_lineage.
    REFERENCE_STEM_SQL``; null when it names none), set by the same trigger."""
    workflow_hash: Mapped[str | None] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    file_path: Mapped[str | None] = mapped_column(Text)
    """The file the asset was read from, as text; a path that is not valid UTF-8 is shown with U+FFFD
    for each undecodable byte, and opened by ``file_path_bytes`` (see :mod:`catalog.stored_paths`)."""
    file_path_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The exact bytes of ``file_path`` when they are not valid UTF-8; null otherwise (migration 0010)."""
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    image_format: Mapped[str | None] = mapped_column(String(8))
    pixel_width: Mapped[int | None] = mapped_column(Integer)
    pixel_height: Mapped[int | None] = mapped_column(Integer)
    edited: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    """Content address of the WEBP thumbnail under ``ATELIER_HOME/thumbnails``; null until made."""
    thumbnail_error: Mapped[str | None] = mapped_column(Text)
    """Why the file's content cannot be rendered (broken pixels, a refused size): set on a *lasting*
    failure (:class:`catalog.thumbnails.ThumbnailError`), after which no import or worker decodes the
    file again; null otherwise (migration 0011)."""
    thumbnail_error_decoder: Mapped[str | None] = mapped_column(Text)
    """The decoder that met ``thumbnail_error`` (``catalog.thumbnails.THUMBNAIL_DECODER``): the failure
    is lasting for it only, and tried again once the decoder changes (migration 0014)."""
    visual_embedding: Mapped[Any | None] = mapped_column(Vector())
    visual_model: Mapped[str | None] = mapped_column(String(120))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    phase_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = _created_at()


class ClusteringOwed(Base):
    """An asset whose session membership has not been computed since it was stored (or since its
    thumbnail's visual descriptor arrived). Written in the same transaction as the asset change and
    deleted by the re-clustering that covers it, in that re-clustering's transaction, so a crash in
    between leaves the mark behind for :func:`catalog.importing.owed_work.complete_owed_clustering`."""

    __tablename__ = "clustering_owed"
    __table_args__ = (Index("ix_clustering_owed_user", "user_id"),)

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    owed_since: Mapped[datetime] = _created_at()


class Session(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_user_started", "user_id", "started_at", "id"),
        Index("ix_sessions_user_ended", "user_id", "ended_at", "id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tool: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(Text)
    label_pinned: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    intent: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    """Confidence (0–1) that the boundary opening this session is a real break."""
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    asset_count: Mapped[int] = mapped_column(Integer)
    first_asset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class Phase(Base):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("session_id", "ordinal", name="uq_phases_session_ordinal"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    intent: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    asset_count: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class LineageEdge(Base):
    __tablename__ = "lineage_edges"
    __table_args__ = (
        UniqueConstraint("child_asset_id", name="uq_lineage_one_parent"),
        Index("ix_lineage_parent", "parent_asset_id"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    child_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = _created_at()


class Correction(Base):
    """An artist's edit, as they made it (merge, split, move, relabel), kept as history."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_user_history", "user_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    boundary_score: Mapped[float | None] = mapped_column(Float)
    """The engine's score at the corrected boundary when it was made (teaches the offset)."""
    created_at: Mapped[datetime] = _created_at()
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the artist undid it (``undoCorrection``); the row stays as history. Undone corrections hold
    no constraint and teach nothing."""


class SessionConstraint(Base):
    """``must_link``: the two assets stay in one session; ``cannot_link``: they never share one;
    ``move``: ``asset_a`` belongs to the session of ``asset_b`` (its anchor).

    A pair a later correction replaced (the latest word wins) is kept with ``superseded_by_id`` set:
    clustering reads active pairs only, and undoing that later correction makes it active again
    (migration 0024). One active pair per ``(kind, asset_a, asset_b)``."""

    __tablename__ = "session_constraints"
    __table_args__ = (
        Index(
            "uq_constraint_pair_active",
            "user_id",
            "kind",
            "asset_a_id",
            "asset_b_id",
            unique=True,
            postgresql_where=text("superseded_by_id IS NULL"),
        ),
        Index(
            "ix_session_constraints_superseded_by_id",
            "superseded_by_id",
            postgresql_where=text("superseded_by_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    asset_a_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    asset_b_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    correction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("corrections.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("corrections.id", ondelete="CASCADE")
    )
    """The later correction that replaced this pair; ``None``: the pair is in force."""
    created_at: Mapped[datetime] = _created_at()


class UserCalibration(Base):
    """The learned per-user threshold offset (bounded; shrunk toward 0 while corrections are few)."""

    __tablename__ = "user_calibrations"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    threshold_offset: Mapped[float] = mapped_column(Float, server_default=text("0"))
    correction_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated_at: Mapped[datetime] = _created_at()
    recurring_words: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """The artist's recurring words as the whole library gives them: ``{"words": {word: factor},
    "sittings": n}`` (migration 0021, :mod:`catalog.sessions.recurring_words_store`); null until learned."""


class RemovedRecord(Base):
    """An image (or JSONL record) the artist removed from the library: imports leave these bytes out
    (migration 0020, :mod:`catalog.assets.removal`). ``record_id`` is the removed asset's (an image's
    content hash); the file fields say where it was read from (a watched folder's catch-up treats that
    unchanged file as known)."""

    __tablename__ = "removed_records"
    __table_args__ = (
        Index(
            "ix_removed_records_user_path",
            "user_id",
            "file_path",
            postgresql_where=text("file_path IS NOT NULL"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    file_name: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(Text)
    file_path_bytes: Mapped[bytes | None] = mapped_column(LargeBinary)
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    removed_at: Mapped[datetime] = _created_at()


class StoredTimeEvidence(Base):
    """A generation time from a tool's own export (ComfyUI ``/history``, InvokeAI's database, a
    Midjourney archive), kept so that image files imported later still get it.

    ``key_kind`` is ``file_name`` (matched to ``assets.file_name``) or ``job_id`` (matched to
    ``assets.job_id``); one row per ``(user, source, key_kind, key)`` — the first export that names a
    key keeps it (see :mod:`catalog.importing.export_evidence`).
    """

    __tablename__ = "export_time_evidence"
    __table_args__ = (
        UniqueConstraint("user_id", "source", "key_kind", "key", name="uq_export_evidence_key"),
        Index("ix_export_evidence_lookup", "user_id", "key_kind", "key"),
        CheckConstraint("parent_grid BETWEEN 0 AND 63", name="ck_export_evidence_parent_grid"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    """The generation time the export states (timestamptz, UTC)."""
    source: Mapped[str] = mapped_column(String(80))
    """``export:comfyui_history`` / ``export:invokeai_db`` / ``export:midjourney_archive``."""
    precision: Mapped[str] = mapped_column(String(12))
    time_field: Mapped[str] = mapped_column(String(80))
    job_id: Mapped[str | None] = mapped_column(String(200))
    parent_job_id: Mapped[str | None] = mapped_column(String(200))
    parent_grid: Mapped[int | None] = mapped_column(SmallInteger)
    """Which image (0-based) of ``parent_job_id``'s grid this job was made from (Midjourney's
    ``parent_grid``); set only with ``parent_job_id``. Copied into matching assets'
    ``extra["parent_grid"]``, where lineage reads it."""
    job_type: Mapped[str | None] = mapped_column(String(80))
    """The tool's word for what the job is (Midjourney's ``job_type``: ``v7_diffusion``,
    ``v7_upsample``, ``v7_variation`` …), verbatim; longer values are not kept. Copied into the
    ``extra["job_type"]`` of the assets of this job (matched by job id), where lineage reads the kind
    of a link to a parent job."""
    export_location: Mapped[str | None] = mapped_column(Text)
    """The file path or URL the evidence was imported from (for the user's reference)."""
    imported_at: Mapped[datetime] = _created_at()
